//! Building and running the HTTP server (after zero2prod's `startup.rs`):
//! bind first (port 0 works), report the real port, then run.
//!
//! `/metrics` is served on the main listener, or, with `S3LIFT_METRICS_BIND`,
//! on a listener of its own and not on the main one: a separate listener
//! exists to keep the metrics off the public address.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::body::BoxBody;
use actix_web::dev::{Server, Service, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use aws_credential_types::Credentials;
use futures_util::future::LocalBoxFuture;

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::error::{json_config, path_config, query_config};
use crate::keys::KeyIssuer;
use crate::metrics::{method_label, Metrics, UNMATCHED};
use crate::presign::BucketUrl;
use crate::ratelimit::RateLimiter;
use crate::routes::{configure, not_found, AppState, VerifiedUploads};
use crate::store::Store;
use crate::unsized_parts::UnsizedParts;
use crate::webhook::Webhook;

/// Static folders to serve besides the API: `(mount path, folder)`.
pub type StaticMounts = Vec<(String, PathBuf)>;

/// A bound, ready-to-run signer.
pub struct Application {
    port: u16,
    server: Server,
    /// The `S3LIFT_METRICS_BIND` listener, when configured.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Connects to the store with the default credential chain and binds `settings.server.bind`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with(settings, None, Vec::new()).await
    }

    /// As [`Application::build`], with explicit store credentials and static folders.
    pub async fn build_with(
        settings: Settings,
        credentials: Option<Credentials>,
        mounts: StaticMounts,
    ) -> anyhow::Result<Application> {
        Self::build_inner(settings, credentials, mounts, false).await
    }

    /// `s3lift-signer dev`: as [`Application::build_with`], answering only
    /// requests whose `Host` is loopback (see [`crate::dev::is_loopback_host`]).
    pub async fn build_dev(
        settings: Settings,
        credentials: Option<Credentials>,
        mounts: StaticMounts,
    ) -> anyhow::Result<Application> {
        Self::build_inner(settings, credentials, mounts, true).await
    }

    async fn build_inner(
        settings: Settings,
        credentials: Option<Credentials>,
        mounts: StaticMounts,
        host_guard: bool,
    ) -> anyhow::Result<Application> {
        let keys = KeyIssuer::from_settings(&settings)?;
        let listener = TcpListener::bind(settings.server.bind).map_err(|e| {
            anyhow::anyhow!("cannot bind S3LIFT_BIND={}: {e}", settings.server.bind)
        })?;
        let port = listener.local_addr()?.port();
        let metrics_listener = settings
            .server
            .metrics_bind
            .map(|addr| {
                TcpListener::bind(addr)
                    .map_err(|e| anyhow::anyhow!("cannot bind S3LIFT_METRICS_BIND={addr}: {e}"))
            })
            .transpose()?;
        let metrics = Metrics::new();
        let features = crate::doctor::store_features(&settings, credentials.clone()).await;
        let store = Store::connect(&settings, credentials).await?;
        let state = web::Data::new(AppState {
            features,
            auth: Authenticator::new(&settings),
            url: BucketUrl::new(
                settings
                    .store
                    .public_endpoint
                    .as_deref()
                    .or(settings.store.endpoint.as_deref()),
                &settings.store.region,
                &settings.store.bucket,
                settings.store.path_style,
            ),
            limiter: settings.server.rate_limit.map(RateLimiter::new),
            verified: VerifiedUploads::new(Duration::from_secs(settings.uploads.url_ttl.min(300))),
            webhook: settings
                .webhook
                .as_ref()
                .map(|w| {
                    Webhook::new(
                        w.url.expose().to_owned(),
                        w.secret.clone(),
                        metrics.webhook_events.clone(),
                    )
                })
                .transpose()?,
            metrics,
            keys,
            unsized_parts: UnsizedParts::from_settings(&settings),
            store,
            settings,
        });
        let metrics = match metrics_listener {
            Some(l) => {
                let port = l.local_addr()?.port();
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .route("/metrics", web::get().to(crate::routes::metrics))
                        .default_service(web::to(not_found))
                })
                .workers(1)
                .listen(l)?
                .shutdown_timeout(5)
                .run();
                Some((port, server))
            }
            None => None,
        };
        let metrics_here = metrics.is_none();
        let server = HttpServer::new(move || {
            let base = state.settings.server.base_path.clone();
            let mut app = App::new()
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(query_config())
                .app_data(path_config())
                .wrap_fn(move |req, srv| -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>> {
                    // Dev mode's DNS rebinding guard, innermost so the refusal
                    // gets `no-store` and is counted like any answer.
                    if host_guard && !crate::dev::request_host_is_loopback(req.request()) {
                        let res = req.into_response(crate::dev::forbidden_host());
                        return Box::pin(async move { Ok(res) });
                    }
                    let fut = srv.call(req);
                    Box::pin(async move { Ok(fut.await?.map_into_boxed_body()) })
                })
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))))
                .wrap(cors(
                    &state.settings.server.allowed_origins,
                    state.settings.auth.auth_cookie.is_some(),
                ))
                .wrap_fn(|req, srv| {
                    let started = Instant::now();
                    let method = method_label(req.method());
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let route = res.request().match_pattern().unwrap_or_else(|| UNMATCHED.into());
                        let status = res.status().as_u16();
                        let elapsed = started.elapsed();
                        if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
                            state.metrics.requests.with_label_values(&[&route, method, &status.to_string()]).inc();
                            state.metrics.latency.with_label_values(&[&route]).observe(elapsed.as_secs_f64());
                        }
                        // The route pattern, never the URI: queries carry keys
                        // and upload ids, and nothing here may log a credential.
                        tracing::debug!(%method, %route, status, micros = elapsed.as_micros() as u64, "request");
                        Ok(res)
                    }
                })
                .configure(configure(&base));
            if metrics_here {
                app = app.route("/metrics", web::get().to(crate::routes::metrics));
            }
            for (mount, dir) in &mounts {
                app = app.service(actix_files::Files::new(mount, dir).index_file("index.html"));
            }
            app.default_service(web::to(not_found))
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Application {
            port,
            server,
            metrics,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `S3LIFT_METRICS_BIND` listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(p, _)| *p)
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => {
                futures_util::future::try_join(self.server, metrics).await?;
                Ok(())
            }
            None => self.server.await,
        }
    }
}

fn cors(origins: &[String], cookie_auth: bool) -> Cors {
    let mut c = Cors::default()
        .allowed_methods(["GET", "POST", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER])
        .max_age(3600);
    for o in origins {
        c = if o == "*" {
            c.allow_any_origin()
        } else {
            c.allowed_origin(o)
        };
    }
    // Cookie auth from a listed origin needs credentialed CORS; never with `*`.
    if cookie_auth && !origins.iter().any(|o| o == "*") {
        c = c.supports_credentials();
    }
    c
}
