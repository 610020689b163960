//! Building and running the HTTP server (after zero2prod's `startup.rs`):
//! bind first (port 0 works), report the real port, then run.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use aws_credential_types::Credentials;

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::error::{json_config, path_config, query_config};
use crate::keys::KeyIssuer;
use crate::metrics::Metrics;
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
        let keys = KeyIssuer::from_settings(&settings)?;
        let listener = TcpListener::bind(settings.server.bind).map_err(|e| {
            anyhow::anyhow!("cannot bind S3LIFT_BIND={}: {e}", settings.server.bind)
        })?;
        let port = listener.local_addr()?.port();
        let store = Store::connect(&settings, credentials).await?;
        let state = web::Data::new(AppState {
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
            metrics: Metrics::new(),
            webhook: settings
                .webhook
                .as_ref()
                .map(|w| Webhook::new(w.url.expose().to_owned()))
                .transpose()?,
            keys,
            unsized_parts: UnsizedParts::from_settings(&settings),
            store,
            settings,
        });
        let server = HttpServer::new(move || {
            let base = state.settings.server.base_path.clone();
            let mut app = App::new()
                .app_data(state.clone())
                .app_data(json_config())
                .app_data(query_config())
                .app_data(path_config())
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, HeaderValue::from_static("no-store"))))
                .wrap(cors(
                    &state.settings.server.allowed_origins,
                    state.settings.auth.auth_cookie.is_some(),
                ))
                .wrap_fn(|req, srv| {
                    let started = Instant::now();
                    let method = req.method().to_string();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await?;
                        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                        let status = res.status().as_u16();
                        let elapsed = started.elapsed();
                        if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
                            state.metrics.requests.with_label_values(&[&route, &method, &status.to_string()]).inc();
                            state.metrics.latency.with_label_values(&[&route]).observe(elapsed.as_secs_f64());
                        }
                        // The route pattern, never the URI: queries carry keys
                        // and upload ids, and nothing here may log a credential.
                        tracing::debug!(%method, %route, status, micros = elapsed.as_micros() as u64, "request");
                        Ok(res)
                    }
                })
                .configure(configure(&base));
            for (mount, dir) in &mounts {
                app = app.service(actix_files::Files::new(mount, dir).index_file("index.html"));
            }
            app.default_service(web::to(not_found))
        })
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Application { port, server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// CORS for the listed origins. With cookie auth, listed origins (never `*`)
/// may send credentials (Fetch standard: a credentialed answer must name the
/// origin); requests from unlisted origins are refused by `crate::cookie`.
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
    if cookie_auth && !origins.iter().any(|o| o == "*") {
        c = c.supports_credentials();
    }
    c
}
