//! The JSON bodies of `docs/protocol.md`, version 1.
//!
//! Field names follow the wire exactly (Companion's mixed casing included:
//! `uploadId`, `presignedUrls`, `PartNumber`, `ETag`). Fields that are
//! extensions are `Option`s with `#[serde(default)]`, so that the s3lift client
//! can read a plain Companion answer, and a Companion client can ignore ours.

use alloc::string::String;

pub use crate::map::Map;

use serde::{Deserialize, Serialize};

mod checksum;
mod multipart;
mod single;

pub use self::checksum::{
    ChecksumAlgorithm, ChecksumDecision, ChecksumList, ChecksumListError, ObjectChecksum,
};
pub use self::multipart::{
    BatchSignResponse, CompleteRequest, CompleteResponse, CompleteUploadRequest, CompletedPart,
    CreateMultipartBody, CreateMultipartRequest, CreateMultipartResponse, ListedPart, SignedPart,
};
pub use self::single::{
    ConfirmBatchEntry, ConfirmBatchRequest, ConfirmBatchResponse, ParamsBatchEntry,
    ParamsBatchFile, ParamsBatchRequest, ParamsBatchResponse, ParamsQuery, SingleCompleteResponse,
    UploadMethod, UploadParams,
};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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

/// Metadata values without `serde_json` in the wasm client: a client may send
/// any JSON value (Uppy sends `relativePath: null`), and S3 stores strings, so
/// scalars become strings and null or nested values are dropped.
pub mod serde_json_value;

#[cfg(test)]
mod tests;
