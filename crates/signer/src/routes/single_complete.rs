//! `POST /s3/params/complete?key=` (extension): the end of a single-request
//! upload, which S3 itself never reports to the signer.
//!
//! A presigned PUT or POST goes from the browser straight to the store, so the
//! signer learns nothing of it. The s3lift client (and an Uppy app, from its
//! `upload-success` event) calls this route afterwards; the signer HEADs the
//! object and judges what the store holds, not what the client says:
//!
//! - missing: 404 `no_such_key`, no event;
//! - larger than the key's approved size (else `S3LIFT_MAX_SIZE`): the object
//!   is deleted and the answer is 413 `too_large`, no event;
//! - otherwise the `upload.completed` webhook fires and the answer is
//!   [`SingleCompleteResponse`].
//!
//! Calling it twice is harmless: the event id names the object version
//! (see [`crate::webhook::event_id`]), so a receiver sees one event.

use actix_web::{web, HttpResponse};
use s3lift_protocol::wire::SingleCompleteResponse;
use serde::Deserialize;

use super::extract::parse_key;
use super::{AppState, Authed};
use crate::error::ApiError;

/// The `?key=` query.
#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    key: String,
}

/// `POST /s3/params/complete?key=`.
pub async fn params_complete(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let key = parse_key(&state, &caller, &query.key)?;
    let key_string = key.to_string();
    let head = state.store.head_object(&key_string).await?;
    // The store enforced a signed length or a policy range, but this route
    // must not rely on it: a store that ignores either (or an object written
    // with other credentials) still ends here.
    let limit = key.approved().limit(state.settings.uploads.max_size);
    if head.size > limit {
        state.store.delete_object(&key_string).await?;
        tracing::warn!(caller = caller.as_str(), key = %key_string, size = head.size, limit, "object over its approved size deleted");
        return Err(ApiError::TooLarge(format!(
            "the object is {} bytes, more than the {limit} approved; it was deleted",
            head.size
        )));
    }
    let bucket = state.url.bucket().to_owned();
    if let Some(w) = &state.webhook {
        w.notify(crate::webhook::event(
            &bucket,
            &key_string,
            head.size,
            &head.etag,
            head.content_type.clone(),
            &caller,
        ));
    }
    tracing::info!(caller = caller.as_str(), key = %key_string, size = head.size, "single upload completed");
    Ok(HttpResponse::Ok().json(SingleCompleteResponse {
        location: state.url.object_url(&key_string),
        key: key_string,
        bucket,
        etag: head.etag,
        size: head.size,
    }))
}
