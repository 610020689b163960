//! `s3lift-signer dev`: an embedded S3-compatible store (`s3s` + `s3s-fs`,
//! files on disk) with a CORS layer, so the demo runs with no cloud account.
//!
//! It is a development convenience: it checks SigV4 signatures but is not a
//! strict store. Tests of what the store enforces run against Garage.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;

use aws_credential_types::Credentials;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

/// A running embedded store.
pub struct DevStore {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Credentials the store accepts (random per run).
    pub credentials: Credentials,
}

fn random_hex(bytes: usize) -> String {
    let mut s = String::new();
    while s.len() < bytes * 2 {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(bytes * 2);
    s
}

/// Starts the store on `bind`, with `bucket` created under `data_dir`.
pub async fn start(data_dir: &Path, bind: SocketAddr, bucket: &str) -> anyhow::Result<DevStore> {
    std::fs::create_dir_all(data_dir.join(bucket)).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the dev store folder {}: {e}",
            data_dir.display()
        )
    })?;
    let access_key = format!("DEV{}", random_hex(8).to_uppercase());
    let secret_key = random_hex(20);
    let fs = s3s_fs::FileSystem::new(data_dir).map_err(|e| anyhow::anyhow!("dev store: {e:?}"))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(
        access_key.clone(),
        secret_key.clone(),
    ));
    let service = builder.build();

    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot bind the dev store on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            let svc = service_fn(move |req: Request<Incoming>| {
                let service = service.clone();
                async move { Ok::<_, Infallible>(with_cors(req, service).await) }
            });
            let conn = http
                .serve_connection(TokioIo::new(socket), svc)
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    Ok(DevStore {
        endpoint: format!("http://{addr}"),
        credentials: Credentials::new(access_key, secret_key, None, None, "s3lift-dev"),
    })
}

/// Answers preflights and adds CORS headers to every answer, reflecting the
/// caller's origin: this store only ever listens on loopback for a demo.
/// `ETag` is exposed, as a real bucket's CORS rule must do.
async fn with_cors(
    req: Request<Incoming>,
    service: s3s::service::S3Service,
) -> Response<s3s::Body> {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let asked_headers = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let mut resp = if req.method() == Method::OPTIONS {
        let mut r = Response::new(s3s::Body::from(Bytes::new()));
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, PUT, POST, HEAD, DELETE"),
        );
        if let Some(a) = asked_headers {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, a);
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
        r
    } else {
        match hyper::service::Service::call(&service, req).await {
            Ok(r) => r,
            Err(_) => {
                let mut r = Response::new(s3s::Body::from(Bytes::from_static(b"internal error")));
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            }
        }
    };
    if let Some(o) = origin {
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}
