//! Multipart uploads: create, sign parts, list parts and complete (`/s3/multipart`).

use alloc::{string::String, vec::Vec};

use serde::{Deserialize, Serialize};

use super::{serde_json_value, ChecksumAlgorithm, ChecksumDecision, Map, ObjectChecksum};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
    /// Extension: parts the client has sent and has no answer for yet (its
    /// complete goes out while their last bytes travel). The signer lists
    /// the parts until the store holds each (a bounded wait), and completes
    /// with the ETags the store lists for them. Not in `parts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<u32>,
}

/// Body of `POST /s3/multipart/complete` (extension): the complete body
/// with the upload it completes in it, not in the URL. The URL is then the
/// same for every upload, so a browser's CORS preflight of it is cached
/// (`Access-Control-Max-Age`) instead of paid once per upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteUploadRequest {
    /// The store's multipart upload id.
    pub upload_id: String,
    /// The object key, as create answered it.
    pub key: String,
    /// The parts and the whole-file checksum, as in the path route's body.
    #[serde(flatten)]
    pub complete: CompleteRequest,
}

/// Answer of `POST /s3/multipart/{uploadId}/complete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
