//! `GET /s3/download`: short-lived links to the caller's objects.

use super::{
    extract::{parse_key, Authed, KeyQuery},
    rules::now,
    state::AppState,
};
use crate::error::ApiError;
use crate::presign::{presign_url, PresignRequest};
use actix_web::{web, HttpResponse};
use s3lift_protocol::wire::DownloadLink;
use std::time::Duration;

/// `GET /s3/download?key=`: a short-lived GET of one of the caller's objects.
pub async fn download(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = parse_key(&state, &caller, &query.key)?;
    let key_string = key.to_string();
    state.store.head_object(&key_string).await?;
    let ttl = state.settings.uploads.url_ttl.min(300);
    let creds = state.store.credentials().await?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        crate::presign::uri_encode(key.file_name(), true)
    );
    let url = presign_url(
        &state.url,
        &creds,
        now(),
        &PresignRequest {
            method: "GET",
            key: &key_string,
            query: &[("response-content-disposition", &disposition)],
            headers: &[],
            expires: Duration::from_secs(ttl),
        },
    );
    state.metrics.presigned.with_label_values(&["get"]).inc();
    Ok(HttpResponse::Ok().json(DownloadLink { url, expires: ttl }))
}
