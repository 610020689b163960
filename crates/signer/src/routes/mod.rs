//! The HTTP routes of `docs/protocol.md`. Each handler parses its input
//! into domain types at the edge, then signs or calls the store.

mod complete;
mod download;
mod extract;
mod multipart;
mod ops;
mod rules;
mod single;
mod single_complete;
mod state;

pub use self::ops::{metrics, not_found};
pub use self::{
    extract::Authed,
    state::{AppState, VerifiedUploads},
};

use self::single_complete::params_complete;
use self::{
    complete::{complete, complete_in_body},
    download::download,
    multipart::{abort, create_multipart, list_parts, sign_batch, sign_one},
    ops::{healthz, openapi, readyz},
    single::{params, params_batch},
};
use actix_web::web;

/// Declares the protocol routes once: `PROTOCOL_ROUTES` lists them and
/// `protocol_scope` mounts exactly them, so the list cannot drift from what
/// is served (`tests/openapi.rs` checks `openapi.rs` documents each).
macro_rules! protocol_routes {
    ($($method:ident $path:literal => $handler:ident,)*) => {
        /// Every protocol route as `(method, path under the base path)`.
        pub const PROTOCOL_ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn protocol_scope(base: &str) -> actix_web::Scope {
            web::scope(base)
                $(.route($path, web::method(actix_web::http::Method::$method).to($handler)))*
        }
    };
}

// Mount protocol routes only here. Order matters: a literal segment comes
// before a `{param}` in the same place.
protocol_routes! {
    GET "/params" => params,
    POST "/params" => params_batch,
    POST "/params/complete" => params_complete,
    GET "/download" => download,
    POST "/multipart" => create_multipart,
    POST "/multipart/complete" => complete_in_body,
    GET "/multipart/{uploadId}/batch" => sign_batch,
    POST "/multipart/{uploadId}/complete" => complete,
    GET "/multipart/{uploadId}/{partNumber}" => sign_one,
    GET "/multipart/{uploadId}" => list_parts,
    DELETE "/multipart/{uploadId}" => abort,
}

/// Mounts every route under `base` (the protocol) and at the root (operations).
/// `/metrics` is mounted by `app.rs`: on the main listener, or on its own.
pub fn configure(base: &str) -> impl FnOnce(&mut web::ServiceConfig) + '_ {
    move |cfg| {
        cfg.route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/openapi.json", web::get().to(openapi))
            .service(protocol_scope(base));
    }
}
