//! `s3lift-signer dev`: an embedded S3-compatible store (`s3s` + `s3s-fs`,
//! files on disk) with a CORS layer, so the demo runs with no cloud account.
//!
//! It is a development convenience: it checks SigV4 signatures but is not a
//! strict store. Tests of what the store enforces run against Garage.
//!
//! - [`dev_settings`]: the settings of dev mode, in the order environment >
//!   `--config` file > dev defaults; only the store is fixed (by `main`).
//! - [`is_loopback_host`]: dev mode answers only to `Host: localhost`,
//!   `127.0.0.1` or `[::1]`, so a page on another name that resolves to
//!   127.0.0.1 (DNS rebinding) cannot drive an anonymous signer.

use std::collections::{HashMap, HashSet};
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

use crate::config::{ConfigError, Env, Settings};

/// The bucket of dev mode when no setting names one.
pub const DEV_BUCKET: &str = "s3lift-dev";

/// Dev defaults under the user's settings: a name set in the environment or
/// in the `--config` file keeps its value; any other falls back to the dev
/// default. (`Settings::load` reads the environment before the file, so
/// defaults given as environment would beat the file.)
struct DevDefaults<'a> {
    env: &'a dyn Env,
    /// The file's keys, lower case (`allowed_origins`).
    in_file: HashSet<String>,
    defaults: HashMap<&'static str, String>,
}

impl Env for DevDefaults<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.env.get(name).or_else(|| {
            let file_key = name.strip_prefix("S3LIFT_")?.to_ascii_lowercase();
            if self.in_file.contains(&file_key) {
                None
            } else {
                self.defaults.get(name).cloned()
            }
        })
    }
}

/// The settings of `s3lift-signer dev`: environment, then the file, then the
/// dev defaults (bucket `s3lift-dev`, anonymous uploads, the demo page's own
/// origins, the embedded store's features). The caller then points them at
/// the embedded store.
pub fn dev_settings(file: Option<&Path>, env: &dyn Env) -> Result<Settings, ConfigError> {
    let in_file = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            toml::from_str::<toml::Table>(&text)
                .map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    reason: e.message().to_owned(),
                })?
                .keys()
                .cloned()
                .collect()
        }
        None => HashSet::new(),
    };
    let mut layered = DevDefaults {
        env,
        in_file,
        defaults: HashMap::from([
            ("S3LIFT_S3_BUCKET", DEV_BUCKET.to_owned()),
            ("S3LIFT_ALLOW_ANONYMOUS", "true".to_owned()),
            // The embedded store is s3s-fs, which enforces a POST form's size
            // range and checks checksums (`doctor`'s dev-store test proves
            // both): no probe at start, whose refused probe form the store
            // would log as an ERROR in the first lines a new user reads.
            ("S3LIFT_STORE_POST_POLICY", "on".to_owned()),
            ("S3LIFT_STORE_CHECKSUMS", "on".to_owned()),
        ]),
    };
    // The demo page's origins follow the port the signer will listen on.
    let bind = Settings::load(file, &layered)?.server.bind;
    let port = bind.port();
    layered.defaults.insert(
        "S3LIFT_ALLOWED_ORIGINS",
        format!("http://127.0.0.1:{port},http://localhost:{port},http://[::1]:{port}"),
    );
    Settings::load(file, &layered)
}

/// Whether a `Host` header value names this machine by a loopback name:
/// `localhost`, `127.0.0.1` or `[::1]`, with any port or none.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        match host.find(']') {
            Some(i) => (&host[..=i], &host[i + 1..]),
            None => return false,
        }
    } else {
        match host.split_once(':') {
            Some((n, _)) => (n, &host[n.len()..]),
            None => (host.as_str(), ""),
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// The request's `Host` (or, in HTTP/2, its `:authority`) is loopback.
/// `X-Forwarded-Host` is not read: anyone can send it.
pub fn request_host_is_loopback(req: &actix_web::HttpRequest) -> bool {
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    host.is_some_and(|h| is_loopback_host(&h))
}

/// 403 `forbidden_host`.
pub fn forbidden_host() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Forbidden().json(s3lift_protocol::wire::ErrorBody {
        error: "s3lift-signer dev answers only to Host localhost, 127.0.0.1 or [::1]".into(),
        code: s3lift_protocol::error_code::ErrorCode::ForbiddenHost
            .as_str()
            .into(),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:1",
            "127.0.0.1",
            "127.0.0.1:65535",
            "[::1]",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "localhost:",
            "localhost:80:80",
            "localhost:abc",
            "[::1",
            "[::1]x",
            "[::2]:80",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
