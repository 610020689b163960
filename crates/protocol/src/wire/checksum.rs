//! Checksums on the wire: algorithms, the `checksums=` list, and what became of one.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use serde::{Deserialize, Serialize};

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

/// A stored object's checksum, as the store reports it after the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectChecksum {
    /// The whole object's CRC64NVME, base64.
    pub crc64nvme: String,
}

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
