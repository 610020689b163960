//! Multipart uploads: create, sign parts, list parts, abort.

use super::{
    extract::{parse_key, parse_upload_id, Authed, KeyQuery},
    rules::{check_filename, check_size, check_type, clean_metadata, now},
    state::AppState,
};
use crate::error::ApiError;
use crate::keys::{Approved, ObjectKey};
use crate::presign::{presign_url, PresignRequest};
use crate::unsized_parts::{refuse_when_off, size_required};
use actix_web::{web, HttpResponse};
use s3lift_protocol::map::Map;
use s3lift_protocol::plan::{PartNumber, PartPlan, MAX_PARTS, MAX_PART_SIZE, MIB, MIN_PART_SIZE};
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumDecision, ChecksumList, CreateMultipartBody,
    CreateMultipartResponse, ListedPart, SignedPart,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `POST /s3/multipart`: create an upload and answer the plan.
pub async fn create_multipart(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    body: web::Json<CreateMultipartBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    check_filename(&body.base.filename)?;
    let admitted = check_type(&state, body.base.content_type.as_deref())?;
    let metadata = clean_metadata(
        body.base
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_metadata_string())),
    )?;
    let plan = match body.base.size {
        Some(size) => {
            check_size(&state, size)?;
            // Plans are in whole MiB so the key can carry them (see keys.rs).
            let preferred = body
                .part_size
                .unwrap_or(state.settings.uploads.part_size)
                .clamp(MIN_PART_SIZE, MAX_PART_SIZE)
                / MIB
                * MIB;
            Some(
                PartPlan::new(size, Some(preferred))
                    .map_err(|e| ApiError::TooLarge(e.to_string()))?,
            )
        }
        None if state.unsized_parts.is_some() => None,
        None => return Err(size_required()),
    };
    let approved = Approved {
        size: plan.as_ref().map(PartPlan::size),
        part_size: plan.as_ref().map(PartPlan::part_size),
    };
    let object_key = state
        .keys
        .issue_at(
            &caller,
            &body.base.filename,
            body.base.relative_path.as_deref(),
            approved,
        )
        .map_err(|e| ApiError::BadPath(e.to_string()))?;
    let key = object_key.to_string();
    // A store that does not check checksums gets none (as for a single
    // PUT): the parts and the complete go without, and the answer says so.
    let decision = body
        .checksum_algorithm
        .map(|_| match state.features.checksums {
            true => ChecksumDecision::Signed,
            false => ChecksumDecision::Dropped,
        });
    let algorithm = body.checksum_algorithm.filter(|_| state.features.checksums);
    let upload_id = state
        .store
        .create_multipart(
            &key,
            admitted.content_type.as_str(),
            admitted.disposition,
            metadata.into_iter().collect(),
            algorithm,
        )
        .await?;
    state.verified.insert(&upload_id, &key);
    tracing::info!(caller = caller.as_str(), key = %key, size = ?approved.size, "multipart upload created");
    // The first window of part URLs rides on this answer, so the client's
    // first byte leaves one round trip sooner. Parts bound to checksums
    // cannot be signed before the client has their digests.
    let first = match (&plan, body.sign_parts, algorithm) {
        (Some(plan), Some(n), None) if n > 0 => {
            let last = n.min(plan.part_count()).min(MAX_FIRST_PARTS);
            let numbers: Vec<PartNumber> =
                (1..=last).filter_map(|n| PartNumber::new(n).ok()).collect();
            let signed = sign_parts(&state, &object_key, &upload_id, &numbers, None).await?;
            Some(batch_response(&state, signed))
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(CreateMultipartResponse {
        key,
        upload_id,
        bucket: Some(state.url.bucket().to_owned()),
        part_size: plan.as_ref().map(PartPlan::part_size),
        part_count: plan.as_ref().map(PartPlan::part_count),
        expires: Some(state.settings.uploads.url_ttl),
        parts: first,
        checksum: decision,
    }))
}

/// The most part URLs a create answers with (`signParts`).
pub(crate) const MAX_FIRST_PARTS: u32 = 100;

/// The batch answer for signed parts: URLs and the headers each must carry.
fn batch_response(
    state: &AppState,
    signed: Vec<(u32, String, BTreeMap<String, String>)>,
) -> BatchSignResponse {
    let mut resp = BatchSignResponse {
        presigned_urls: Map::new(),
        headers: Map::new(),
        expires: Some(state.settings.uploads.url_ttl),
    };
    for (n, url, headers) in signed {
        resp.presigned_urls.insert(n.to_string(), url);
        if !headers.is_empty() {
            resp.headers.insert(n.to_string(), headers.into());
        }
    }
    resp
}

pub(crate) async fn ensure_upload(
    state: &AppState,
    upload_id: &str,
    key: &str,
) -> Result<(), ApiError> {
    if !state.verified.contains(upload_id, key) {
        state.store.check_upload(key, upload_id).await?;
        state.verified.insert(upload_id, key);
    }
    Ok(())
}

/// Signs parts of one upload; `checksums` binds each URL to a digest.
pub(crate) async fn sign_parts(
    state: &AppState,
    key: &ObjectKey,
    upload_id: &str,
    numbers: &[PartNumber],
    checksums: Option<&ChecksumList>,
) -> Result<Vec<(u32, String, BTreeMap<String, String>)>, ApiError> {
    let plan = key.approved().plan();
    match &plan {
        Some(plan) => {
            if let Some(n) = numbers.iter().find(|n| n.get() > plan.part_count()) {
                return Err(ApiError::BadRequest(format!(
                    "part {n} is beyond this upload's plan of {} parts",
                    plan.part_count()
                )));
            }
        }
        None => refuse_when_off(state.unsized_parts.as_ref())?.check(
            key.caller(),
            numbers,
            Instant::now(),
        )?,
    }
    let key_string = key.to_string();
    ensure_upload(state, upload_id, &key_string).await?;
    let creds = state.store.credentials().await?;
    let ttl = Duration::from_secs(state.settings.uploads.url_ttl);
    let at = now();
    let mut out = Vec::with_capacity(numbers.len());
    for (i, n) in numbers.iter().enumerate() {
        let number = n.get().to_string();
        let len = plan
            .as_ref()
            .and_then(|p| p.expected_len(n.get()))
            .map(|l| l.to_string());
        let mut must_send = BTreeMap::new();
        if let Some(list) = checksums {
            must_send.insert(
                list.algorithm.header_name().to_owned(),
                list.values[i].clone(),
            );
        }
        let mut signed: Vec<(&str, &str)> = must_send
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The planned length is signed, so the store itself refuses a part of
        // any other size. Browsers send Content-Length on their own, so it is
        // not listed among the headers the client must set.
        if let Some(len) = &len {
            signed.push(("content-length", len));
        }
        let url = presign_url(
            &state.url,
            &creds,
            at,
            &PresignRequest {
                method: "PUT",
                key: &key_string,
                query: &[("partNumber", &number), ("uploadId", upload_id)],
                headers: &signed,
                expires: ttl,
            },
        );
        out.push((n.get(), url, must_send));
    }
    state
        .metrics
        .presigned
        .with_label_values(&["part"])
        .inc_by(numbers.len() as u64);
    Ok(out)
}

#[derive(Deserialize)]
pub struct BatchQuery {
    pub(crate) key: String,
    #[serde(rename = "partNumbers")]
    pub(crate) part_numbers: String,
    #[serde(default)]
    pub(crate) checksums: Option<String>,
}

/// The most parts one batch may sign.
pub(crate) const MAX_BATCH: usize = 1_000;

/// `GET /s3/multipart/{uploadId}/batch`.
pub async fn sign_batch(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<BatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = &parse_upload_id(&path)?;
    let key = parse_key(&state, &caller, &query.key)?;
    let mut numbers = Vec::new();
    for s in query.part_numbers.split(',').filter(|s| !s.is_empty()) {
        numbers.push(s.trim().parse::<PartNumber>().map_err(|_| {
            ApiError::BadRequest(format!(
                "partNumbers must be numbers from 1 to {MAX_PARTS}, comma-separated"
            ))
        })?);
    }
    if numbers.is_empty() {
        return Err(ApiError::BadRequest("partNumbers is empty".into()));
    }
    if numbers.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_BATCH} parts per batch"
        )));
    }
    let checksums = match &query.checksums {
        Some(c) if !c.is_empty() => {
            let list: ChecksumList =
                c.parse()
                    .map_err(|e: s3lift_protocol::wire::ChecksumListError| {
                        ApiError::BadRequest(e.to_string())
                    })?;
            if list.values.len() != numbers.len() {
                return Err(ApiError::BadRequest(format!(
                    "checksums has {} values for {} part numbers",
                    list.values.len(),
                    numbers.len()
                )));
            }
            Some(list)
        }
        _ => None,
    }
    // Checked, then dropped where the store does not check them.
    .filter(|_| state.features.checksums);
    let signed = sign_parts(&state, &key, upload_id, &numbers, checksums.as_ref()).await?;
    Ok(HttpResponse::Ok().json(batch_response(&state, signed)))
}

/// `GET /s3/multipart/{uploadId}/{partNumber}`.
pub async fn sign_one(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<(String, String)>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let (upload_id, number) = path.into_inner();
    let upload_id = &parse_upload_id(&upload_id)?;
    let number: PartNumber = number.parse().map_err(|_| {
        ApiError::BadRequest(format!("the part number must be from 1 to {MAX_PARTS}"))
    })?;
    let key = parse_key(&state, &caller, &query.key)?;
    let mut signed = sign_parts(&state, &key, upload_id, &[number], None).await?;
    let (_, url, headers) = signed.pop().expect("one part signed");
    Ok(HttpResponse::Ok().json(SignedPart {
        url,
        headers: headers.into(),
        expires: Some(state.settings.uploads.url_ttl),
    }))
}

/// `GET /s3/multipart/{uploadId}`: the parts already stored.
pub async fn list_parts(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = &parse_upload_id(&path)?;
    let key = parse_key(&state, &caller, &query.key)?.to_string();
    let parts: Vec<ListedPart> = state
        .store
        .list_parts(&key, upload_id)
        .await?
        .into_iter()
        .map(|s| s.part)
        .collect();
    Ok(HttpResponse::Ok().json(parts))
}

/// `DELETE /s3/multipart/{uploadId}`: idempotent abort.
pub async fn abort(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = &parse_upload_id(&path)?;
    let key = parse_key(&state, &caller, &query.key)?.to_string();
    state.store.abort(&key, upload_id).await?;
    state.verified.remove(upload_id, &key);
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
