//! `POST /s3/multipart/{uploadId}/complete`: the store's own ListParts is
//! judged by [`crate::completion::judge`], then the upload is completed, or
//! aborted when it is over its approved size.
//!
//! With `checksumCrc64nvme` (an upload created with `checksumAlgorithm:
//! "crc64nvme"`), the store checks the whole object's CRC64NVME at complete;
//! the signer then reads it back (HEAD with checksum mode) and answers it.
//! A mismatch either way is 400 `checksum_mismatch` and nothing is kept: the
//! upload is aborted, or the object deleted.
//!
//! `POST /s3/multipart/complete` (extension) does the same with the upload
//! id and key in the body: one URL for every upload, so a browser pays its
//! CORS preflight once, not once per upload.
//!
//! `pending` (extension): parts sent whose answers have not come yet. The
//! signer lists the store's parts until it holds each of them (at most
//! [`crate::completion::PENDING_WAIT`]), and completes with the ETags the
//! store lists.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use s3lift_protocol::wire::{
    CompleteRequest, CompleteResponse, CompleteUploadRequest, CompletedPart, ListedPart,
    ObjectChecksum,
};

use super::extract::{parse_key, parse_upload_id, Authed, KeyQuery};
use super::state::AppState;
use crate::completion::{
    check_pending, judge, listing_gap, merge_pending, not_arrived, Arrival, Refusal, Verdict,
};
use crate::domain::Caller;
use crate::error::ApiError;
use crate::keys::ObjectKey;
use crate::store::{StoreError, StoredPart};

/// `POST /s3/multipart/{uploadId}/complete`.
pub async fn complete(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<KeyQuery>,
    body: web::Json<CompleteRequest>,
) -> Result<HttpResponse, ApiError> {
    complete_upload(state, caller, &path, &query.key, body.into_inner()).await
}

/// `POST /s3/multipart/complete` (extension): the upload named in the body.
pub async fn complete_in_body(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    body: web::Json<CompleteUploadRequest>,
) -> Result<HttpResponse, ApiError> {
    let CompleteUploadRequest {
        upload_id,
        key,
        complete,
    } = body.into_inner();
    complete_upload(state, caller, &upload_id, &key, complete).await
}

async fn complete_upload(
    state: web::Data<AppState>,
    caller: Caller,
    upload_id: &str,
    key: &str,
    body: CompleteRequest,
) -> Result<HttpResponse, ApiError> {
    let upload_id = &parse_upload_id(upload_id)?;
    let key = parse_key(&state, &caller, key)?;
    let key_string = key.to_string();
    let CompleteRequest {
        parts,
        checksum_crc64nvme: full,
        pending,
    } = body;
    if full
        .as_deref()
        .is_some_and(|v| s3lift_protocol::crc64::from_base64(v).is_none())
    {
        return Err(ApiError::BadRequest(
            "checksumCrc64nvme must be the base64 of 8 bytes".into(),
        ));
    }
    // Checked, then passed on only to a store that checks it (the upload
    // was created without a checksum algorithm otherwise).
    let full = full.filter(|_| state.features.checksums);
    check_pending(&parts, &pending).map_err(refused)?;
    // What the store really holds, not what the client says it sent.
    let (parts, stored) = if pending.is_empty() {
        let stored = state.store.list_parts(&key_string, upload_id).await?;
        (parts, stored)
    } else {
        await_pending(&state, &key_string, upload_id, parts, &pending).await?
    };
    let listed: Vec<ListedPart> = stored.iter().map(|p| p.part.clone()).collect();
    let verdict = judge(
        parts,
        &listed,
        key.approved(),
        state.settings.uploads.max_size,
    )
    .map_err(refused)?;
    let (parts, total) = match verdict {
        Verdict::Complete { parts, total } => (parts, total),
        Verdict::AbortTooLarge { total, limit } => {
            state.store.abort(&key_string, upload_id).await?;
            state.verified.remove(upload_id, &key_string);
            tracing::warn!(caller = caller.as_str(), key = %key_string, total, limit, "upload over its approved size aborted");
            return Err(ApiError::TooLarge(format!(
                "the parts add up to {total} bytes, more than the {limit} approved; the upload was aborted"
            )));
        }
    };
    let etag = match state
        .store
        .complete(&key_string, upload_id, &parts, &stored, full.as_deref())
        .await
    {
        Ok(etag) => etag,
        Err(StoreError::ChecksumMismatch(m)) => {
            state.store.abort(&key_string, upload_id).await?;
            state.verified.remove(upload_id, &key_string);
            tracing::warn!(caller = caller.as_str(), key = %key_string, store = %m, "whole-object checksum refused; upload aborted");
            return Err(ApiError::ChecksumMismatch(
                "the store computed another CRC64NVME for the whole object; the upload was aborted"
                    .into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    state.verified.remove(upload_id, &key_string);
    tracing::info!(caller = caller.as_str(), key = %key_string, size = total, "multipart upload completed");
    let checksum = match &full {
        Some(sent) => Some(check_stored(&state, &key_string, sent).await?),
        None => None,
    };
    after_multipart(&state, &key, total, &etag, &caller, checksum.clone());
    Ok(HttpResponse::Ok().json(CompleteResponse {
        location: state.url.object_url(&key_string),
        key: Some(key_string),
        bucket: Some(state.url.bucket().to_owned()),
        etag: Some(etag),
        checksum,
    }))
}

/// A refused complete: a count is 400 `bad_request`, anything about the
/// parts themselves 400 `invalid_parts`.
fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Count => ApiError::BadRequest(r.to_string()),
        Refusal::Parts(m) => ApiError::InvalidParts(m),
    }
}

/// Lists the store's parts until it holds every `pending` part, with the
/// gaps of [`crate::completion::listing_gap`] (10 ms for 30 listings, then
/// doubling to 100 ms), for at most the settings' bound
/// ([`crate::completion::PENDING_WAIT`]). Returns `parts` with the pending
/// ones added (the store's ETags) and the last listing, which the complete
/// then uses: its sizes and checksums are those of the parts it completes.
async fn await_pending(
    state: &AppState,
    key: &str,
    upload_id: &str,
    parts: Vec<CompletedPart>,
    pending: &[u32],
) -> Result<(Vec<CompletedPart>, Vec<StoredPart>), ApiError> {
    let bound = state.settings.uploads.pending_wait;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let stored = state.store.list_parts(key, upload_id).await?;
        let listed: Vec<ListedPart> = stored.iter().map(|p| p.part.clone()).collect();
        let missing = match merge_pending(&parts, pending, &listed) {
            Arrival::Arrived(merged) => {
                tracing::debug!(key = %key, listings = attempt + 1, waited_ms = started.elapsed().as_millis() as u64, "pending parts reached the store");
                return Ok((merged, stored));
            }
            Arrival::Waiting(missing) => missing,
        };
        let left = bound.saturating_sub(started.elapsed());
        if left.is_zero() {
            tracing::warn!(key = %key, missing = ?missing, "pending parts did not reach the store in time");
            return Err(refused(not_arrived(&missing, bound)));
        }
        tokio::time::sleep(listing_gap(attempt).min(left)).await;
        attempt += 1;
    }
}

/// Reads the stored whole-object CRC64NVME back and compares it with the
/// client's: a store that skipped the check must not keep a wrong object.
async fn check_stored(state: &AppState, key: &str, sent: &str) -> Result<ObjectChecksum, ApiError> {
    match state.store.head_crc64(key).await? {
        Some(stored) if stored == sent => Ok(ObjectChecksum { crc64nvme: stored }),
        stored => {
            state.store.delete_object(key).await?;
            tracing::warn!(key = %key, stored = ?stored, "stored checksum differs from the client's; object deleted");
            Err(ApiError::ChecksumMismatch(match stored {
                Some(_) => "the stored object's CRC64NVME is not the client's; the object was deleted".into(),
                None => "the store kept no CRC64NVME for the object, so it cannot be verified; the object was deleted".into(),
            }))
        }
    }
}

/// After a multipart complete: the content type is not in the complete's
/// answer, so it is read with a HEAD, in the background, only when a webhook
/// is configured (the client's answer does not wait for it).
pub(crate) fn after_multipart(
    state: &web::Data<AppState>,
    key: &ObjectKey,
    size: u64,
    etag: &str,
    caller: &Caller,
    checksum: Option<ObjectChecksum>,
) {
    if state.webhook.is_none() {
        return;
    }
    let relative_path = key.relative_path().to_owned();
    let (state, key, etag, caller) = (
        state.clone(),
        key.to_string(),
        etag.to_owned(),
        caller.clone(),
    );
    tokio::spawn(async move {
        let content_type = match state.store.head_object(&key).await {
            Ok(head) => head.content_type,
            Err(e) => {
                tracing::warn!(error = %e, "no content type for the webhook event");
                None
            }
        };
        if let Some(w) = &state.webhook {
            let mut event =
                crate::webhook::event(state.url.bucket(), &key, size, &etag, content_type, &caller);
            event.checksum = checksum;
            event.relative_path = Some(relative_path);
            w.notify(event);
        }
    });
}
