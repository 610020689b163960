//! Single-request uploads: signing them (`/s3/params`) and confirming them (`/s3/params/complete`).

use alloc::{string::String, vec::Vec};

use serde::{Deserialize, Serialize};

use super::{ChecksumDecision, ErrorBody, Map, ObjectChecksum};

/// HTTP method of a single-request upload (`GET /s3/params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UploadMethod {
    /// A presigned `PUT` of the whole body.
    #[serde(rename = "PUT", alias = "put")]
    #[default]
    Put,
    /// A browser form `POST` with a signed policy.
    #[serde(rename = "POST", alias = "post")]
    Post,
}

/// Query of `GET /s3/params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamsQuery {
    /// The name the user picked; the signer sanitizes it into the key.
    pub filename: String,
    /// The declared content type.
    #[serde(rename = "type", default)]
    pub content_type: Option<String>,
    /// Extension: the exact size in bytes, signed into the request.
    #[serde(default)]
    pub size: Option<u64>,
    /// Extension: the file's path inside a picked folder, its name included
    /// (`photos/2024/a.jpg`); the key ends with it, sanitized (docs/protocol.md, "Folders").
    #[serde(
        default,
        rename = "relativePath",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_path: Option<String>,
    /// Extension: the whole file's CRC64NVME (base64 of 8 big-endian bytes).
    /// The signer signs it into a `PUT` as `x-amz-checksum-crc64nvme`, so
    /// the store refuses other bytes; needs `size`.
    #[serde(
        default,
        rename = "checksumCrc64nvme",
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
}

/// Answer of `GET /s3/params`: how to send a small object in one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadParams {
    /// `PUT` or `POST`.
    pub method: UploadMethod,
    /// Where to send it. A bearer credential: never log it.
    pub url: String,
    /// Form fields for `POST`, sent before the file field.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub fields: Map<String>,
    /// Headers the request must carry because they are signed.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub headers: Map<String>,
    /// The object key the signer made (absent in old Companions).
    #[serde(default)]
    pub key: Option<String>,
    /// Extension: the bucket the object goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Extension: seconds the URL stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    /// Extension: what became of a requested `checksumCrc64nvme`; absent
    /// when none was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ChecksumDecision>,
}

/// Body of `POST /s3/params` (extension): many small files signed in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamsBatchRequest {
    /// The files, 1 to 100 of them, answered in the same order.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub files: Vec<ParamsBatchFile>,
}

/// One file of [`ParamsBatchRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamsBatchFile {
    /// The name the user picked.
    pub filename: String,
    /// The declared content type.
    #[serde(rename = "type", default)]
    pub content_type: Option<String>,
    /// The exact size in bytes: required here, since the batch signs PUTs.
    pub size: u64,
    /// `POST` to prefer a form upload (no CORS preflight).
    #[serde(default)]
    pub method: Option<UploadMethod>,
    /// Extension: the file's path inside a picked folder, its name included
    /// (`photos/2024/a.jpg`); the key ends with it, sanitized (docs/protocol.md, "Folders").
    #[serde(
        default,
        rename = "relativePath",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_path: Option<String>,
    /// The whole file's CRC64NVME, as in [`ParamsQuery`].
    #[serde(
        default,
        rename = "checksumCrc64nvme",
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
}

/// Answer of `POST /s3/params`: one entry per file, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamsBatchResponse {
    /// Each file's params, or its own error: one refused file does not
    /// refuse the others.
    pub params: Vec<ParamsBatchEntry>,
}

/// One entry of [`ParamsBatchResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ParamsBatchEntry {
    /// The file was signed.
    Signed(UploadParams),
    /// The file was refused, with the body its own request would have had.
    Refused(ErrorBody),
}

/// Answer of `POST /s3/params/complete?key=` (extension): the object a
/// single-request upload stored, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SingleCompleteResponse {
    /// The object key.
    pub key: String,
    /// The bucket.
    pub bucket: String,
    /// The object's URL.
    pub location: String,
    /// The object's ETag.
    pub etag: String,
    /// The object's size in bytes.
    pub size: u64,
    /// The whole object's checksum as the store holds it (HEAD with
    /// checksum mode), when the upload carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ObjectChecksum>,
}

/// Body of `POST /s3/params/complete` (extension): many single-request
/// uploads reported in one call, answered in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmBatchRequest {
    /// The object keys, 1 to 100 of them.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub keys: Vec<String>,
}

/// Answer of `POST /s3/params/complete` with a body: one entry per key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmBatchResponse {
    /// Each object as the store holds it, or the key's own error: one
    /// refused key does not refuse the others.
    pub objects: Vec<ConfirmBatchEntry>,
}

/// One entry of [`ConfirmBatchResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConfirmBatchEntry {
    /// The object is stored and within its approved size.
    Confirmed(SingleCompleteResponse),
    /// The key was refused, with the body its own request would have had.
    Refused(ErrorBody),
}
