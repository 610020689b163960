//! Operational routes: health, readiness, metrics, the OpenAPI document, 404s.

use super::state::AppState;
use crate::error::ApiError;
use actix_web::{web, HttpResponse};

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the store answers.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// Any other path: a JSON 404 like every other error.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(s3lift_protocol::wire::ErrorBody {
        error: "no such route".into(),
        code: s3lift_protocol::error_code::ErrorCode::NotFound
            .as_str()
            .into(),
    })
}

/// `GET /openapi.json`: the OpenAPI description of these routes, under the
/// configured base path (built once, see `openapi.rs`).
pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::json(&state.settings.server.base_path))
}

/// `GET /metrics`: the text exposition format, on the main listener or on
/// `S3LIFT_METRICS_BIND`'s (mounted by `app.rs`).
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
