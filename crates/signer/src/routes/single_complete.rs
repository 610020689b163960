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
//!   [`SingleCompleteResponse`], with the stored CRC64NVME when the upload
//!   carried one (read back with checksum mode).
//!
//! With no `?key=` and a JSON body `{"keys": [...]}` (1 to 100), it checks
//! many objects in one call and answers one entry per key, in order: the
//! client reports its small files in batches, not one round trip each.
//!
//! Calling it twice is harmless: the event id names the object version
//! (see [`crate::webhook::event_id`]), so a receiver sees one event.

use actix_web::{web, HttpResponse};
use futures_util::{stream, StreamExt};
use s3lift_protocol::wire::{
    ConfirmBatchEntry, ConfirmBatchRequest, ConfirmBatchResponse, ObjectChecksum,
    SingleCompleteResponse,
};
use serde::Deserialize;

use super::extract::parse_key;
use super::{AppState, Authed};
use crate::domain::Caller;
use crate::error::ApiError;

/// The `?key=` query.
#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    key: String,
}

/// The most keys one call may confirm (as many as a params batch signs).
pub const MAX_CONFIRM_BATCH: usize = 100;

/// HEADs in flight at once for one batch: enough to hide the store's
/// latency without one caller taking all of its connections.
const HEADS_AT_ONCE: usize = 16;

/// `POST /s3/params/complete?key=`, or with a [`ConfirmBatchRequest`] body.
pub async fn params_complete(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<Query>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if !query.key.is_empty() || body.is_empty() {
        let object = confirm(&state, &caller, &query.key).await?;
        return Ok(HttpResponse::Ok().json(object));
    }
    let request: ConfirmBatchRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body must be {{\"keys\": [...]}}: {e}")))?;
    if request.keys.is_empty() || request.keys.len() > MAX_CONFIRM_BATCH {
        return Err(ApiError::BadRequest(format!(
            "keys must hold 1 to {MAX_CONFIRM_BATCH} object keys"
        )));
    }
    let objects = stream::iter(request.keys.iter())
        .map(|key| confirm(&state, &caller, key))
        .buffered(HEADS_AT_ONCE)
        .map(|r| match r {
            Ok(o) => ConfirmBatchEntry::Confirmed(o),
            Err(e) => ConfirmBatchEntry::Refused(e.body()),
        })
        .collect()
        .await;
    Ok(HttpResponse::Ok().json(ConfirmBatchResponse { objects }))
}

/// Checks one stored object, and fires its event when it passes.
async fn confirm(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<SingleCompleteResponse, ApiError> {
    let key = parse_key(state, caller, key)?;
    let key_string = key.to_string();
    // With checksum mode, the store answers the CRC64NVME a signed
    // `x-amz-checksum-crc64nvme` made it check (see `routes/single.rs`).
    let head = state
        .store
        .head_object_with(&key_string, state.features.checksums)
        .await?;
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
    let checksum = head
        .crc64nvme
        .clone()
        .map(|crc64nvme| ObjectChecksum { crc64nvme });
    if let Some(w) = &state.webhook {
        let mut event = crate::webhook::event(
            &bucket,
            &key_string,
            head.size,
            &head.etag,
            head.content_type.clone(),
            caller,
        );
        event.relative_path = Some(key.relative_path().to_owned());
        event.checksum = checksum.clone();
        w.notify(event);
    }
    tracing::info!(caller = caller.as_str(), key = %key_string, size = head.size, "single upload completed");
    Ok(SingleCompleteResponse {
        location: state.url.object_url(&key_string),
        key: key_string,
        bucket,
        etag: head.etag,
        size: head.size,
        checksum,
    })
}
