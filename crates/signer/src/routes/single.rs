//! Single-request uploads: `GET /s3/params` and the batch `POST /s3/params`.

use super::{
    extract::Authed,
    rules::{check_filename, check_size, check_type, clean_metadata, now},
    state::AppState,
};
use crate::config::SingleUploadMethod;
use crate::domain::Caller;
use crate::error::ApiError;
use crate::keys::Approved;
use crate::limits::Admitted;
use crate::presign::{presign_post, presign_url, PresignRequest};
use actix_web::{web, HttpResponse};
use s3lift_protocol::crc64;
use s3lift_protocol::map::Map;
use s3lift_protocol::plan::MAX_PART_SIZE;
use s3lift_protocol::wire::{
    ChecksumDecision, ParamsBatchEntry, ParamsBatchRequest, ParamsBatchResponse, UploadMethod,
    UploadParams,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// `GET /s3/params`: how to send a small file in one request.
pub async fn params(
    state: web::Data<AppState>,
    Authed(caller): Authed,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ApiError> {
    let mut filename = None;
    let mut content_type = None;
    let mut size = None;
    let mut relative_path = None;
    let mut prefer_post = false;
    let mut checksum = None;
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
            "relativePath" => relative_path = Some(v.as_str()),
            "checksumCrc64nvme" => checksum = Some(v.as_str()),
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
        Naming {
            filename: filename.unwrap_or(""),
            relative_path,
        },
        content_type,
        size,
        prefer_post,
        checksum,
        &metadata,
    )
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// What a key is named from: the file name, and a folder's relative path.
pub(crate) struct Naming<'a> {
    pub filename: &'a str,
    pub relative_path: Option<&'a str>,
}

/// Signs one single-request upload: a PUT with its exact length (and the
/// file's CRC64NVME, when asked for and the store checks it) signed, or a
/// POST policy whose `content-length-range` the store enforces.
#[allow(clippy::too_many_arguments)] // each is one field of the request
pub(crate) async fn sign_single(
    state: &AppState,
    caller: &Caller,
    Naming {
        filename,
        relative_path,
    }: Naming<'_>,
    content_type: Option<&str>,
    size: Option<u64>,
    prefer_post: bool,
    checksum: Option<&str>,
    metadata: &BTreeMap<String, String>,
) -> Result<UploadParams, ApiError> {
    check_filename(filename)?;
    if let Some(c) = checksum {
        if crc64::from_base64(c).is_none() {
            return Err(ApiError::BadRequest(
                "`checksumCrc64nvme` must be the base64 of 8 bytes".into(),
            ));
        }
        if size.is_none() {
            return Err(ApiError::BadRequest(
                "`checksumCrc64nvme` needs `size`: the checksum is signed into a PUT".into(),
            ));
        }
    }
    // A store that does not check checksums gets none: the upload goes on
    // without one, and the answer says so.
    let decision = checksum.map(|_| match state.features.checksums {
        true => ChecksumDecision::Signed,
        false => ChecksumDecision::Dropped,
    });
    let checksum = checksum.filter(|_| state.features.checksums);
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
        .issue_at(
            caller,
            filename,
            relative_path,
            Approved {
                size,
                part_size: None,
            },
        )
        .map_err(|e| ApiError::BadPath(e.to_string()))?
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
    if let Some(c) = checksum {
        headers.push(("x-amz-checksum-crc64nvme".into(), c.into()));
    }

    // A POST form is the default for a size the client does not declare, and
    // a choice otherwise; never when the store has none, nor for a checksum.
    let post = state.features.post_policy
        && checksum.is_none()
        && (size.is_none()
            || prefer_post
            || state.settings.uploads.single_upload == SingleUploadMethod::Post);
    let answer = if !post {
        // The exact length is signed when known: the store refuses any
        // other body size (an undeclared one is judged at confirm).
        let len = size.map(|s| s.to_string());
        let mut signed: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(len) = &len {
            signed.push(("content-length", len));
        }
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
            fields: Map::new(),
            headers: headers.into_iter().collect(),
            key: Some(key),
            bucket: Some(state.url.bucket().to_owned()),
            expires: Some(ttl),
            checksum: decision,
        }
    } else {
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
            headers: Map::new(),
            key: Some(key),
            bucket: Some(state.url.bucket().to_owned()),
            expires: Some(ttl),
            checksum: decision,
        }
    };
    Ok(answer)
}

/// The most files one `POST /s3/params` may sign.
pub(crate) const MAX_PARAMS_BATCH: usize = 100;

/// `POST /s3/params` (extension): `{files: [{filename, type, size, method, relativePath}]}` →
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
            Naming {
                filename: &f.filename,
                relative_path: f.relative_path.as_deref(),
            },
            f.content_type.as_deref(),
            Some(f.size),
            post,
            f.checksum_crc64nvme.as_deref(),
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
