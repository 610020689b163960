//! The JSON bodies of `docs/protocol.md`, version 1.
//!
//! Field names follow the wire exactly (Companion's mixed casing included:
//! `uploadId`, `presignedUrls`, `PartNumber`, `ETag`). Fields that are
//! extensions are `Option`s with `#[serde(default)]`, so that the s3lift client
//! can read a plain Companion answer, and a Companion client can ignore ours.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

pub use crate::map::Map;

use serde::{Deserialize, Serialize};

/// HTTP method of a single-request upload (`GET /s3/params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UploadMethod {
    /// A presigned `PUT` of the whole body.
    #[serde(rename = "PUT", alias = "put")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// What the signer did with a whole-file checksum a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChecksumDecision {
    /// Signed into the `PUT` (`x-amz-checksum-crc64nvme` is in `headers`):
    /// the store refuses other bytes.
    Signed,
    /// Left out, because the store does not check checksums
    /// (`S3LIFT_STORE_CHECKSUMS`): the upload goes on without one.
    Dropped,
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

/// Body of `POST /s3/multipart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMultipartRequest {
    /// The name the user picked.
    pub filename: String,
    /// The declared content type.
    #[serde(rename = "type", default)]
    pub content_type: Option<String>,
    /// User metadata, stored as `x-amz-meta-*`. Scalars are kept as their
    /// string form; null, objects and arrays are dropped.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub metadata: Map<serde_json_value::Value>,
    /// Extension: the whole object's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Extension: the file's path inside a picked folder, its name included
    /// (`photos/2024/a.jpg`); the key ends with it, sanitized (docs/protocol.md, "Folders").
    #[serde(
        default,
        rename = "relativePath",
        skip_serializing_if = "Option::is_none"
    )]
    pub relative_path: Option<String>,
}

/// Body of `POST /s3/multipart` as the signer reads it: Companion's fields
/// and our extensions, in one flat JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMultipartBody {
    /// Companion's fields.
    #[serde(flatten)]
    pub base: CreateMultipartRequest,
    /// Extension: the client's preferred part size; the signer clamps it.
    #[serde(default, rename = "partSize", skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// Extension: the checksum algorithm parts will carry.
    #[serde(
        default,
        rename = "checksumAlgorithm",
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// Extension: sign the first `signParts` parts now and answer their URLs
    /// in `parts`, which saves the client one round trip before its first
    /// byte. Ignored when parts carry checksums (their URLs need the digests).
    #[serde(default, rename = "signParts", skip_serializing_if = "Option::is_none")]
    pub sign_parts: Option<u32>,
}

/// Answer of `POST /s3/multipart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMultipartResponse {
    /// The object key the signer made.
    pub key: String,
    /// The store's multipart upload id.
    pub upload_id: String,
    /// The bucket (absent in old Companions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Extension: the planned part size; every part but the last has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// Extension: the planned number of parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_count: Option<u32>,
    /// Extension: seconds a part URL stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
    /// Extension: the URLs of the first parts, when `signParts` asked for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<BatchSignResponse>,
    /// Extension: what became of a requested `checksumAlgorithm`; absent
    /// when none was asked for. `dropped`: parts and complete go without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ChecksumDecision>,
}

/// Answer of `GET /s3/multipart/{uploadId}/batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchSignResponse {
    /// Part number (as a decimal string) → presigned `UploadPart` URL.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub presigned_urls: Map<String>,
    /// Extension: part number → headers the part request must carry.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, BTreeMap<String, String>>))]
    pub headers: Map<Map<String>>,
    /// Extension: seconds the URLs stay valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

/// Answer of `GET /s3/multipart/{uploadId}/{partNumber}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedPart {
    /// The presigned `UploadPart` URL.
    pub url: String,
    /// Extension: headers the part request must carry.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub headers: Map<String>,
    /// Extension: seconds the URL stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

/// One element of `GET /s3/multipart/{uploadId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedPart {
    /// 1-based part number.
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    /// Bytes stored for the part.
    #[serde(rename = "Size")]
    pub size: u64,
    /// The part's ETag, quotes included, as S3 returns it.
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// One element of the body of `POST …/complete`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompletedPart {
    /// 1-based part number.
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    /// The ETag the store answered for the part.
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// Body of `POST /s3/multipart/{uploadId}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteRequest {
    /// The uploaded parts; the signer sorts them.
    pub parts: Vec<CompletedPart>,
    /// Extension: the whole file's CRC64NVME (base64 of 8 big-endian bytes),
    /// for an upload created with `checksumAlgorithm: "crc64nvme"`.
    #[serde(
        default,
        rename = "checksumCrc64nvme",
        skip_serializing_if = "Option::is_none"
    )]
    pub checksum_crc64nvme: Option<String>,
}

/// A stored object's checksum, as the store reports it after the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectChecksum {
    /// The whole object's CRC64NVME, base64.
    pub crc64nvme: String,
}

/// Answer of `POST /s3/multipart/{uploadId}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteResponse {
    /// The object's URL.
    pub location: String,
    /// The object key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Extension: the object's ETag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Extension: the whole object's checksum, read back from the store,
    /// when the client sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ObjectChecksum>,
}

/// Answer of `GET /s3/download?key=` (extension).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadLink {
    /// A short-lived presigned `GET` URL.
    pub url: String,
    /// Seconds it stays valid.
    pub expires: u64,
}

/// The body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A human message. Never carries a URL, token or secret.
    pub error: String,
    /// A stable machine code, one of [`ErrorCode`](crate::error_code::ErrorCode)'s strings.
    #[serde(default)]
    pub code: String,
}

/// The `type` of every [`UploadCompleted`] event.
pub const UPLOAD_COMPLETED: &str = "upload.completed";

/// The payload of the optional webhook, sent once per completed upload,
/// multipart (`POST …/complete`) or single request (`POST /s3/params/complete`).
/// Signed with `X-S3lift-Signature` (see `docs/deploy.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadCompleted {
    /// Event id: the same for every delivery of this event (retries included),
    /// so a receiver can drop duplicates.
    pub id: String,
    /// Always [`UPLOAD_COMPLETED`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Object key.
    pub key: String,
    /// Bucket.
    pub bucket: String,
    /// Object size in bytes, as the store reports it.
    pub size: u64,
    /// Object ETag.
    pub etag: String,
    /// The stored `Content-Type`; `null` when the store did not say.
    pub content_type: Option<String>,
    /// Identity of the uploader.
    pub caller: String,
    /// When the signer saw the upload complete, RFC 3339 UTC (`2026-12-02T10:00:00Z`).
    pub completed_at: String,
    /// The whole object's checksum as the store holds it, when the upload
    /// carried one (`checksumCrc64nvme`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<ObjectChecksum>,
    /// The object's path under its upload's id, sanitized: the `relativePath`
    /// it was signed with, or else its file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relative_path: Option<String>,
}

/// Answer of `POST /s3/params/complete?key=` (extension): the object a
/// single-request upload stored, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Metadata values without `serde_json` in the wasm client: a client may send
/// any JSON value (Uppy sends `relativePath: null`), and S3 stores strings, so
/// scalars become strings and null or nested values are dropped.
pub mod serde_json_value;

/// The `checksums=` query extension of the batch route:
/// `<algo>:<b64>,<b64>,...`, one value per part number, in the same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumList {
    /// The algorithm every value uses.
    pub algorithm: ChecksumAlgorithm,
    /// Base64 digests, one per requested part, in order.
    pub values: Vec<String>,
}

/// A checksum a part URL can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChecksumAlgorithm {
    /// `x-amz-checksum-sha256`.
    Sha256,
    /// `x-amz-checksum-crc32`.
    Crc32,
    /// `Content-MD5`.
    Md5,
    /// `x-amz-checksum-crc64nvme`. A multipart upload created with it has a
    /// `FULL_OBJECT` checksum: the whole file's value, combined from the
    /// parts' ([`crate::crc64::combine`]), is checked at complete.
    Crc64nvme,
}

impl ChecksumAlgorithm {
    /// The wire name, as in `checksums=sha256:…`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Sha256 => "sha256",
            ChecksumAlgorithm::Crc32 => "crc32",
            ChecksumAlgorithm::Md5 => "md5",
            ChecksumAlgorithm::Crc64nvme => "crc64nvme",
        }
    }

    /// The header that carries the value, lower-case.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Md5 => "content-md5",
            ChecksumAlgorithm::Crc64nvme => "x-amz-checksum-crc64nvme",
        }
    }

    /// Length in bytes of the raw digest.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Sha256 => 32,
            ChecksumAlgorithm::Crc32 => 4,
            ChecksumAlgorithm::Md5 => 16,
            ChecksumAlgorithm::Crc64nvme => 8,
        }
    }
}

/// Why a `checksums=` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumListError {
    /// No `algo:` prefix.
    #[error("checksums must look like `sha256:<base64>,<base64>`")]
    MissingAlgorithm,
    /// An algorithm we do not bind.
    #[error("unknown checksum algorithm `{0}` (use sha256, crc32, crc64nvme or md5)")]
    UnknownAlgorithm(String),
    /// A value that is not base64 of the right length.
    #[error("checksum {index} is not a base64 {algorithm} digest")]
    BadValue {
        /// 0-based position in the list.
        index: usize,
        /// The algorithm name.
        algorithm: &'static str,
    },
}

impl core::str::FromStr for ChecksumList {
    type Err = ChecksumListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, rest) = s
            .split_once(':')
            .ok_or(ChecksumListError::MissingAlgorithm)?;
        let algorithm = match algo.to_ascii_lowercase().as_str() {
            "sha256" => ChecksumAlgorithm::Sha256,
            "crc32" => ChecksumAlgorithm::Crc32,
            "md5" => ChecksumAlgorithm::Md5,
            "crc64nvme" => ChecksumAlgorithm::Crc64nvme,
            other => {
                return Err(ChecksumListError::UnknownAlgorithm(
                    other.chars().take(16).collect(),
                ))
            }
        };
        let values: Vec<String> = rest.split(',').map(str::to_owned).collect();
        for (index, v) in values.iter().enumerate() {
            if base64_decoded_len(v) != Some(algorithm.digest_len()) {
                return Err(ChecksumListError::BadValue {
                    index,
                    algorithm: algorithm.as_str(),
                });
            }
        }
        Ok(ChecksumList { algorithm, values })
    }
}

impl core::fmt::Display for ChecksumList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.values.join(","))
    }
}

/// The decoded length of a padded standard-alphabet base64 string, or `None`
/// when it is not one. Enough to validate a digest without a base64 crate.
fn base64_decoded_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() % 4 != 0 {
        return None;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let body = &b[..b.len() - pad];
    if !body
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
    {
        return None;
    }
    Some(b.len() / 4 * 3 - pad)
}

#[cfg(test)]
mod tests;
