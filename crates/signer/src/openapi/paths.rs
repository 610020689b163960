//! The route stubs: one `#[utoipa::path]` per route, read only for the document.
// The stubs are never called; `utoipa::path` reads their attributes only.
#![allow(dead_code)]

use s3lift_protocol::wire::{
    BatchSignResponse, CompleteRequest, CompleteResponse, CompleteUploadRequest,
    ConfirmBatchRequest, CreateMultipartBody, CreateMultipartResponse, DownloadLink, ListedPart,
    ParamsBatchRequest, ParamsBatchResponse, SignedPart, UploadMethod, UploadParams,
};

use super::{ConfirmAnswer, Empty, Error, Status};

/// Sign a single-request upload (PUT or POST policy).
#[utoipa::path(
    get,
    path = "/params",
    operation_id = "params",
    params(
        ("filename" = String, Query, description = "The name the user picked; the key is made from it"),
        ("type" = Option<String>, Query, description = "The content type"),
        ("size" = Option<u64>, Query, description = "Extension: the exact size in bytes, signed into the request"),
        ("method" = Option<UploadMethod>, Query, description = "Extension: `post` prefers a POST form (no CORS preflight); case is ignored"),
        ("checksumCrc64nvme" = Option<String>, Query, description = "Extension: the whole file's CRC64NVME (base64 of 8 bytes), signed into a PUT as `x-amz-checksum-crc64nvme`; needs `size`"),
        ("metadata" = Option<BTreeMap<String, String>>, Query, style = DeepObject, explode, description = "Companion's `metadata[name]=value`, stored as `x-amz-meta-name`"),
    ),
    responses(
        (status = 200, description = "OK", body = UploadParams),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 413, response = Error),
        (status = 415, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn params() {}

/// Extension: sign up to 100 single-request uploads in one call.
#[utoipa::path(
    post,
    path = "/params",
    operation_id = "paramsBatch",
    request_body = ParamsBatchRequest,
    responses(
        (status = 200, description = "One entry per file, in order: its params, or its own {error, code}", body = ParamsBatchResponse),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn params_batch() {}

/// Create a multipart upload and plan its parts.
#[utoipa::path(
    post,
    path = "/multipart",
    operation_id = "createMultipart",
    request_body = CreateMultipartBody,
    responses(
        (status = 200, description = "OK", body = CreateMultipartResponse),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 413, response = Error),
        (status = 415, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn create_multipart() {}

/// Sign part URLs.
#[utoipa::path(
    get,
    path = "/multipart/{uploadId}/batch",
    operation_id = "signBatch",
    params(
        ("uploadId" = String, Path, description = "The store's upload id"),
        ("key" = String, Query, description = "The object key the signer made"),
        ("partNumbers" = String, Query, description = "Part numbers, comma-separated (at most 1000)", example = "1,2,3"),
        ("checksums" = Option<String>, Query, description = "Extension: one digest per part number, in order", example = "sha256:<b64>,<b64>"),
    ),
    responses(
        (status = 200, description = "OK", body = BatchSignResponse),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn sign_batch() {}

/// Check the parts against the plan and complete.
#[utoipa::path(
    post,
    path = "/multipart/{uploadId}/complete",
    operation_id = "complete",
    params(
        ("uploadId" = String, Path, description = "The store's upload id"),
        ("key" = String, Query, description = "The object key the signer made"),
    ),
    request_body = CompleteRequest,
    responses(
        (status = 200, description = "OK", body = CompleteResponse),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 413, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn complete() {}

/// Complete, with the upload named in the body (extension): one URL for
/// every upload, so a browser's CORS preflight is cached, not paid per upload.
#[utoipa::path(
    post,
    path = "/multipart/complete",
    operation_id = "complete_in_body",
    request_body = CompleteUploadRequest,
    responses(
        (status = 200, description = "OK", body = CompleteResponse),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 413, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn complete_in_body() {}

/// Sign one part URL.
#[utoipa::path(
    get,
    path = "/multipart/{uploadId}/{partNumber}",
    operation_id = "signPart",
    params(
        ("uploadId" = String, Path, description = "The store's upload id"),
        ("partNumber" = u32, Path, minimum = 1, maximum = 10000, description = "1-based part number"),
        ("key" = String, Query, description = "The object key the signer made"),
    ),
    responses(
        (status = 200, description = "OK", body = SignedPart),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn sign_part() {}

/// List uploaded parts (all pages).
#[utoipa::path(
    get,
    path = "/multipart/{uploadId}",
    operation_id = "listParts",
    params(
        ("uploadId" = String, Path, description = "The store's upload id"),
        ("key" = String, Query, description = "The object key the signer made"),
    ),
    responses(
        (status = 200, description = "OK", body = Vec<ListedPart>),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn list_parts() {}

/// Abort (idempotent).
#[utoipa::path(
    delete,
    path = "/multipart/{uploadId}",
    operation_id = "abort",
    params(
        ("uploadId" = String, Path, description = "The store's upload id"),
        ("key" = String, Query, description = "The object key the signer made"),
    ),
    responses(
        (status = 200, description = "OK", body = Empty),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn abort() {}

/// A short-lived presigned GET for one of the caller's objects.
#[utoipa::path(
    get,
    path = "/download",
    operation_id = "download",
    params(("key" = String, Query, description = "The object key the signer made")),
    responses(
        (status = 200, description = "OK", body = DownloadLink),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn download() {}

/// Extension: a single-request upload is finished. The signer checks the stored
/// object against the size it approved (deleting it and answering 413 when it
/// is over) and fires the signed webhook.
#[utoipa::path(
    post,
    path = "/params/complete",
    operation_id = "paramsComplete",
    params(("key" = Option<String>, Query, description = "The object key the signer made; without it, the body lists the keys")),
    request_body(content = Option<ConfirmBatchRequest>, description = "Many keys at once, when there is no `?key=`"),
    responses(
        (status = 200, description = "The object as the store holds it, or one entry per key of the body", body = ConfirmAnswer),
        (status = 400, response = Error),
        (status = 401, response = Error),
        (status = 403, response = Error),
        (status = 404, response = Error),
        (status = 413, response = Error),
        (status = 429, response = Error),
        (status = 502, response = Error),
        (status = 503, response = Error),
    )
)]
fn params_complete() {}

/// The process is up.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz",
    responses((status = 200, description = "OK", body = Status)))]
fn healthz() {}

/// The store answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz",
    responses(
        (status = 200, description = "OK", body = Status),
        (status = 503, response = Error),
    ))]
fn readyz() {}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain")))]
fn metrics() {}

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
fn openapi_json() {}
