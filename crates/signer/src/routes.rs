//! The HTTP routes of `docs/protocol.md`. Each handler parses its input
//! into domain types at the edge, then signs or calls the store.

use std::collections::{BTreeMap, HashMap};
use std::future::ready;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use s3lift_protocol::plan::{PartNumber, PartPlan, MAX_PARTS, MAX_PART_SIZE, MIB, MIN_PART_SIZE};
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumList, CompleteRequest, CompleteResponse, CreateMultipartBody,
    CreateMultipartResponse, DownloadLink, ListedPart, ParamsBatchEntry, ParamsBatchRequest,
    ParamsBatchResponse, SignedPart, UploadMethod, UploadParams,
};
use serde::Deserialize;

use crate::auth::Authenticator;
use crate::config::{Settings, SingleUploadMethod};
use crate::content_type::ContentType;
use crate::cookie::Credential;
use crate::domain::Caller;
use crate::error::ApiError;
use crate::keys::{Approved, KeyIssuer, ObjectKey};
use crate::limits::{admit, Admitted};
use crate::metrics::Metrics;
use crate::presign::{presign_post, presign_url, BucketUrl, PresignRequest};
use crate::ratelimit::RateLimiter;
use crate::single_complete::params_complete;
use crate::store::Store;
use crate::unsized_parts::{refuse_when_off, size_required, UnsizedParts};
use crate::webhook::Webhook;
use futures_util::future::LocalBoxFuture;

/// Everything the handlers share. Nothing in it is per-upload state: the
/// verified-uploads set is a cache any replica can rebuild from the store.
pub struct AppState {
    /// Validated settings.
    pub settings: Settings,
    /// Bearer token checks.
    pub auth: Authenticator,
    /// The store client.
    pub store: Store,
    /// How object URLs look.
    pub url: BucketUrl,
    /// Per-caller limiter, when configured.
    pub limiter: Option<RateLimiter>,
    /// `(upload id, key)` pairs recently seen alive in the store.
    pub verified: VerifiedUploads,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Completion webhook, when configured.
    pub webhook: Option<Webhook>,
    /// Makes keys and checks their tags (`S3LIFT_KEY_SECRET`).
    pub keys: KeyIssuer,
    /// The bounds on uploads created without a size, when they are allowed.
    pub unsized_parts: Option<UnsizedParts>,
}

/// A bounded cache of multipart uploads known to exist for a key, so that
/// signing a part does not cost a store round trip each time.
pub struct VerifiedUploads {
    ttl: Duration,
    entries: Mutex<HashMap<(String, String), Instant>>,
}

const VERIFIED_CAPACITY: usize = 50_000;

impl VerifiedUploads {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        VerifiedUploads {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn contains(&self, upload_id: &str, key: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&(upload_id.to_owned(), key.to_owned()))
            .is_some_and(|t| t.elapsed() < self.ttl)
    }

    fn insert(&self, upload_id: &str, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= VERIFIED_CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, t| t.elapsed() < ttl);
            if entries.len() >= VERIFIED_CAPACITY {
                entries.clear();
            }
        }
        entries.insert((upload_id.to_owned(), key.to_owned()), Instant::now());
    }

    fn remove(&self, upload_id: &str, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&(upload_id.to_owned(), key.to_owned()));
    }
}

/// An authenticated, rate-limited caller: the first thing every protocol
/// route extracts.
pub struct Authed(pub Caller);

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Authed, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return Box::pin(ready(Err(ApiError::BadRequest(
                "server misconfigured".into(),
            ))));
        };
        let s = &state.settings;
        let credential = crate::cookie::credential(
            req,
            s.auth.auth_cookie.as_deref(),
            &s.server.allowed_origins,
        );
        Box::pin(async move {
            let caller = match credential? {
                Credential::Header(h) => state.auth.authenticate(Some(&h)).await?,
                Credential::Cookie(t) => state.auth.authenticate_token(&t).await?,
                Credential::None => state.auth.authenticate(None).await?,
            };
            if let Some(l) = &state.limiter {
                l.check(caller.as_str(), Instant::now())
                    .map_err(ApiError::RateLimited)?;
            }
            Ok(Authed(caller))
        })
    }
}

/// An S3 upload id as a client sends it back: opaque, but bounded and
/// printable so it can go into a query string and a log line safely.
fn parse_upload_id(id: &str) -> Result<&str, ApiError> {
    let ok = !id.is_empty() && id.len() <= 1024 && id.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(id)
        .ok_or_else(|| ApiError::BadRequest("uploadId is not a valid upload id".into()))
}

/// The `?key=` query of the routes that act on one object.
#[derive(Deserialize)]
pub struct KeyQuery {
    key: String,
}

fn parse_key(state: &AppState, caller: &Caller, key: &str) -> Result<ObjectKey, ApiError> {
    if key.is_empty() {
        return Err(ApiError::BadRequest("`key` is required".into()));
    }
    Ok(state.keys.parse_for(key, caller)?)
}

/// Parses the caller's type strictly (400 when malformed) and checks it
/// against the allowlist (415); see `content_type.rs` and `limits.rs`.
fn check_type(state: &AppState, content_type: Option<&str>) -> Result<Admitted, ApiError> {
    let t = ContentType::parse_or_default(content_type)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    admit(&state.settings.uploads.allowed_types, t).map_err(ApiError::UnsupportedType)
}

fn check_size(state: &AppState, size: u64) -> Result<(), ApiError> {
    if size > state.settings.uploads.max_size {
        return Err(ApiError::TooLarge(format!(
            "the file is {size} bytes; the largest accepted is {} bytes",
            state.settings.uploads.max_size
        )));
    }
    Ok(())
}

fn check_filename(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::BadRequest("`filename` is required".into()));
    }
    if name.len() > 1024 {
        return Err(ApiError::BadRequest(
            "`filename` is longer than 1024 bytes".into(),
        ));
    }
    Ok(())
}

/// User metadata as `x-amz-meta-*`: names of `[a-z0-9_-]`, values of visible
/// ASCII (anything else percent-encoded, since browsers cannot send other
/// bytes in a header), at most 2 KiB in all as S3 allows.
fn clean_metadata<'a>(
    pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (name, value) in pairs {
        let Some(value) = value else { continue };
        let name = name.to_ascii_lowercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::BadRequest(format!(
                "metadata name `{}` must be letters, digits, - or _",
                name.chars().take(64).collect::<String>()
            )));
        }
        let value: String = value
            .bytes()
            .map(|b| {
                if (0x20..0x7f).contains(&b) && b != b'%' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        total += name.len() + value.len();
        out.insert(name, value);
    }
    if total > 2048 {
        return Err(ApiError::BadRequest("metadata is larger than 2 KiB".into()));
    }
    Ok(out)
}

fn now() -> SystemTime {
    SystemTime::now()
}

/// `GET /s3/params`: how to send a small file in one request.
pub async fn params(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut filename = None;
    let mut content_type = None;
    let mut size = None;
    let mut prefer_post = false;
    let mut metadata = Vec::new();
    for (k, v) in query.iter() {
        match k.as_str() {
            "filename" => filename = Some(v.as_str()),
            // Extension: a browser POST form needs no CORS preflight, a PUT does.
            "method" => {
                prefer_post = match v.to_ascii_lowercase().as_str() {
                    "post" => true,
                    "put" => false,
                    _ => return Err(ApiError::BadRequest("`method` must be put or post".into())),
                }
            }
            "type" => content_type = Some(v.as_str()),
            "size" => {
                size = Some(v.parse::<u64>().map_err(|_| {
                    ApiError::BadRequest("`size` must be a whole number of bytes".into())
                })?)
            }
            // Companion's form: metadata[name]=value.
            k if k.starts_with("metadata[") && k.ends_with(']') => {
                metadata.push((&k[9..k.len() - 1], Some(v.as_str())))
            }
            _ => {}
        }
    }
    let metadata = clean_metadata(metadata.into_iter())?;
    let answer = sign_single(
        &state,
        &caller,
        filename.unwrap_or(""),
        content_type,
        size,
        prefer_post,
        &metadata,
    )
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// Signs one single-request upload: a PUT with its exact length signed, or
/// a POST policy whose `content-length-range` the store enforces.
async fn sign_single(
    state: &AppState,
    caller: &Caller,
    filename: &str,
    content_type: Option<&str>,
    size: Option<u64>,
    prefer_post: bool,
    metadata: &BTreeMap<String, String>,
) -> Result<UploadParams, ApiError> {
    check_filename(filename)?;
    let Admitted {
        content_type,
        disposition,
    } = check_type(state, content_type)?;
    let content_type = content_type.as_str();
    // S3 refuses a single PUT above 5 GiB: such files must go multipart.
    let single_max = state.settings.uploads.max_size.min(MAX_PART_SIZE);
    if let Some(size) = size {
        check_size(state, size)?;
        if size > single_max {
            return Err(ApiError::TooLarge(format!(
                "a single request carries at most {single_max} bytes; use a multipart upload"
            )));
        }
    }
    let key = state
        .keys
        .issue(
            caller,
            filename,
            Approved {
                size,
                part_size: None,
            },
        )
        .to_string();
    let creds = state.store.credentials().await?;
    let ttl = state.settings.uploads.url_ttl;
    // Signed, so the store keeps exactly these: the canonical type, and for
    // active content the attachment disposition (a header the client must
    // send with a PUT, a policy field of a POST).
    let mut headers: Vec<(String, String)> = vec![("content-type".into(), content_type.into())];
    if let Some(d) = disposition {
        headers.push(("content-disposition".into(), d.into()));
    }
    headers.extend(
        state
            .store
            .sse_headers()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    headers.extend(
        metadata
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone())),
    );

    let answer = match (size, state.settings.uploads.single_upload) {
        (Some(size), SingleUploadMethod::Auto) if !prefer_post => {
            // The exact length is signed: the store refuses any other body size.
            let len = size.to_string();
            let mut signed: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            signed.push(("content-length", &len));
            let url = presign_url(
                &state.url,
                &creds,
                now(),
                &PresignRequest {
                    method: "PUT",
                    key: &key,
                    query: &[],
                    headers: &signed,
                    expires: Duration::from_secs(ttl),
                },
            );
            state.metrics.presigned.with_label_values(&["put"]).inc();
            UploadParams {
                method: UploadMethod::Put,
                url,
                fields: BTreeMap::new(),
                headers: headers.into_iter().collect(),
                key: Some(key),
                bucket: Some(state.url.bucket().to_owned()),
                expires: Some(ttl),
            }
        }
        _ => {
            // Size unknown (a Companion client) or POST configured: the policy's
            // content-length-range makes the store enforce the limit.
            let range = match size {
                Some(s) => (s, s),
                None => (0, single_max),
            };
            let extra: Vec<(&str, &str)> = headers
                .iter()
                .skip(1)
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let policy = presign_post(
                &state.url,
                &creds,
                now(),
                &key,
                content_type,
                range,
                &extra,
                Duration::from_secs(ttl),
            );
            state.metrics.presigned.with_label_values(&["post"]).inc();
            UploadParams {
                method: UploadMethod::Post,
                url: policy.url,
                fields: policy.fields.into_iter().collect(),
                headers: BTreeMap::new(),
                key: Some(key),
                bucket: Some(state.url.bucket().to_owned()),
                expires: Some(ttl),
            }
        }
    };
    Ok(answer)
}

/// The most files one `POST /s3/params` may sign.
const MAX_PARAMS_BATCH: usize = 100;

/// `POST /s3/params` (extension): `{files: [{filename, type, size, method}]}` →
/// `{params: [UploadParams | {error, code}]}`, in order. One refused file does
/// not refuse the others.
pub async fn params_batch(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    body: web::Json<ParamsBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let files = body.into_inner().files;
    if files.is_empty() || files.len() > MAX_PARAMS_BATCH {
        return Err(ApiError::BadRequest(format!(
            "files must list 1 to {MAX_PARAMS_BATCH} files"
        )));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let post = f.method == Some(UploadMethod::Post);
        let item = match sign_single(
            &state,
            &caller,
            &f.filename,
            f.content_type.as_deref(),
            Some(f.size),
            post,
            &BTreeMap::new(),
        )
        .await
        {
            Ok(p) => ParamsBatchEntry::Signed(p),
            Err(e) => ParamsBatchEntry::Refused(e.body()),
        };
        out.push(item);
    }
    Ok(HttpResponse::Ok().json(ParamsBatchResponse { params: out }))
}

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
    let key = state
        .keys
        .issue(&caller, &body.base.filename, approved)
        .to_string();
    let upload_id = state
        .store
        .create_multipart(
            &key,
            admitted.content_type.as_str(),
            admitted.disposition,
            metadata.into_iter().collect(),
            body.checksum_algorithm,
        )
        .await?;
    state.verified.insert(&upload_id, &key);
    tracing::info!(caller = caller.as_str(), key = %key, size = ?approved.size, "multipart upload created");
    Ok(HttpResponse::Ok().json(CreateMultipartResponse {
        key,
        upload_id,
        bucket: Some(state.url.bucket().to_owned()),
        part_size: plan.as_ref().map(PartPlan::part_size),
        part_count: plan.as_ref().map(PartPlan::part_count),
        expires: Some(state.settings.uploads.url_ttl),
    }))
}

async fn ensure_upload(state: &AppState, upload_id: &str, key: &str) -> Result<(), ApiError> {
    if !state.verified.contains(upload_id, key) {
        state.store.check_upload(key, upload_id).await?;
        state.verified.insert(upload_id, key);
    }
    Ok(())
}

/// Signs parts of one upload; `checksums` binds each URL to a digest.
async fn sign_parts(
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
    key: String,
    #[serde(rename = "partNumbers")]
    part_numbers: String,
    #[serde(default)]
    checksums: Option<String>,
}

/// The most parts one batch may sign.
const MAX_BATCH: usize = 1_000;

/// `GET /s3/multipart/{uploadId}/batch`.
pub async fn sign_batch(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<BatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = parse_upload_id(&path)?;
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
    };
    let signed = sign_parts(&state, &key, upload_id, &numbers, checksums.as_ref()).await?;
    let mut resp = BatchSignResponse {
        presigned_urls: BTreeMap::new(),
        headers: BTreeMap::new(),
        expires: Some(state.settings.uploads.url_ttl),
    };
    for (n, url, headers) in signed {
        resp.presigned_urls.insert(n.to_string(), url);
        if !headers.is_empty() {
            resp.headers.insert(n.to_string(), headers);
        }
    }
    Ok(HttpResponse::Ok().json(resp))
}

/// `GET /s3/multipart/{uploadId}/{partNumber}`.
pub async fn sign_one(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<(String, String)>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let (upload_id, number) = path.into_inner();
    let upload_id = parse_upload_id(&upload_id)?;
    let number: PartNumber = number.parse().map_err(|_| {
        ApiError::BadRequest(format!("the part number must be from 1 to {MAX_PARTS}"))
    })?;
    let key = parse_key(&state, &caller, &query.key)?;
    let mut signed = sign_parts(&state, &key, upload_id, &[number], None).await?;
    let (_, url, headers) = signed.pop().expect("one part signed");
    Ok(HttpResponse::Ok().json(SignedPart {
        url,
        headers,
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
    let upload_id = parse_upload_id(&path)?;
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

fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// `POST /s3/multipart/{uploadId}/complete`.
pub async fn complete(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<KeyQuery>,
    body: web::Json<CompleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = parse_upload_id(&path)?;
    let key = parse_key(&state, &caller, &query.key)?;
    let key_string = key.to_string();
    let mut parts = body.into_inner().parts;
    if parts.is_empty() || parts.len() > MAX_PARTS as usize {
        return Err(ApiError::BadRequest(format!(
            "parts must list 1 to {MAX_PARTS} parts"
        )));
    }
    parts.sort();
    if parts
        .windows(2)
        .any(|w| w[0].part_number == w[1].part_number)
    {
        return Err(ApiError::InvalidParts(
            "a part number is listed twice".into(),
        ));
    }
    // What the store really holds, not what the client says it sent.
    let stored = state.store.list_parts(&key_string, upload_id).await?;
    let by_number: HashMap<u32, &ListedPart> = stored
        .iter()
        .map(|p| (p.part.part_number, &p.part))
        .collect();
    let mut sized = Vec::with_capacity(parts.len());
    for p in &parts {
        PartNumber::new(p.part_number).map_err(|e| ApiError::InvalidParts(e.to_string()))?;
        match by_number.get(&p.part_number) {
            // A store that lists no ETag (s3s-fs) cannot contradict the client.
            Some(s) if s.etag.is_empty() || etag_eq(&s.etag, &p.etag) => {
                sized.push((p.part_number, s.size))
            }
            Some(_) => {
                return Err(ApiError::InvalidParts(format!(
                    "part {} has another ETag in the store",
                    p.part_number
                )))
            }
            None => {
                return Err(ApiError::InvalidParts(format!(
                    "part {} was never uploaded",
                    p.part_number
                )))
            }
        }
    }
    let total: u64 = sized.iter().map(|(_, s)| s).sum();
    let approved = key.approved();
    let limit = approved
        .size
        .unwrap_or(state.settings.uploads.max_size)
        .min(state.settings.uploads.max_size);
    let over = total > limit
        || approved.plan().is_some_and(|plan| {
            matches!(
                plan.check_uploaded(&sized),
                Err(s3lift_protocol::plan::PlanViolation::TooLarge { .. })
            )
        });
    if over {
        state.store.abort(&key_string, upload_id).await?;
        state.verified.remove(upload_id, &key_string);
        tracing::warn!(caller = caller.as_str(), key = %key_string, total, limit, "upload over its approved size aborted");
        return Err(ApiError::TooLarge(format!(
            "the parts add up to {total} bytes, more than the {limit} approved; the upload was aborted"
        )));
    }
    if let Some(plan) = approved.plan() {
        plan.check_uploaded(&sized)
            .map_err(|e| ApiError::InvalidParts(e.to_string()))?;
    }
    let etag = state
        .store
        .complete(&key_string, upload_id, &parts, &stored)
        .await?;
    state.verified.remove(upload_id, &key_string);
    tracing::info!(caller = caller.as_str(), key = %key_string, size = total, "multipart upload completed");
    crate::webhook::after_multipart(&state, &key_string, total, &etag, &caller);
    Ok(HttpResponse::Ok().json(CompleteResponse {
        location: state.url.object_url(&key_string),
        key: Some(key_string),
        bucket: Some(state.url.bucket().to_owned()),
        etag: Some(etag),
    }))
}

/// `DELETE /s3/multipart/{uploadId}`: idempotent abort.
pub async fn abort(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    path: web::Path<String>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let upload_id = parse_upload_id(&path)?;
    let key = parse_key(&state, &caller, &query.key)?.to_string();
    state.store.abort(&key, upload_id).await?;
    state.verified.remove(upload_id, &key);
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// `GET /s3/download?key=`: a short-lived GET of one of the caller's objects.
pub async fn download(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let key = parse_key(&state, &caller, &query.key)?;
    let key_string = key.to_string();
    state.store.object_size(&key_string).await?;
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
