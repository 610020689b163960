//! Multipart uploads: create, list parts, complete, abort, and the incomplete ones.

use std::collections::HashMap;

use aws_sdk_s3::types::{CompletedMultipartUpload, ServerSideEncryption};
use s3lift_protocol::wire::{ChecksumAlgorithm, CompletedPart, ListedPart};

use super::error::map_err;
use super::{Store, StoreError};
use crate::config::Sse;

/// A part as the store lists it, with its checksum when it has one.
#[derive(Debug, Clone)]
pub struct StoredPart {
    /// Number, size and ETag.
    pub part: ListedPart,
    /// The part's checksum, when the upload has an algorithm.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

fn sdk_algorithm(a: ChecksumAlgorithm) -> Option<aws_sdk_s3::types::ChecksumAlgorithm> {
    match a {
        ChecksumAlgorithm::Sha256 => Some(aws_sdk_s3::types::ChecksumAlgorithm::Sha256),
        ChecksumAlgorithm::Crc32 => Some(aws_sdk_s3::types::ChecksumAlgorithm::Crc32),
        ChecksumAlgorithm::Crc64nvme => Some(aws_sdk_s3::types::ChecksumAlgorithm::Crc64Nvme),
        // Content-MD5 needs no algorithm declared at create.
        ChecksumAlgorithm::Md5 => None,
    }
}

impl Store {
    /// `CreateMultipartUpload`, with the object's type and, for active
    /// content, its `Content-Disposition` (see `limits.rs`).
    pub async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
        content_disposition: Option<&str>,
        metadata: HashMap<String, String>,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<String, StoreError> {
        let mut req = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_content_disposition(content_disposition.map(str::to_owned))
            .set_metadata((!metadata.is_empty()).then_some(metadata))
            .set_checksum_algorithm(checksum.and_then(sdk_algorithm));
        if checksum == Some(ChecksumAlgorithm::Crc64nvme) {
            // CRC64NVME combines across parts: S3 checks the whole object.
            req = req.checksum_type(aws_sdk_s3::types::ChecksumType::FullObject);
        }
        match &self.sse {
            Some(Sse::Aes256) => req = req.server_side_encryption(ServerSideEncryption::Aes256),
            Some(Sse::Kms { key_id }) => {
                req = req
                    .server_side_encryption(ServerSideEncryption::AwsKms)
                    .set_ssekms_key_id(key_id.clone())
            }
            None => {}
        }
        let out = req.send().await.map_err(map_err)?;
        out.upload_id.ok_or_else(|| StoreError::Refused {
            code: "NoUploadId".into(),
            message: String::new(),
        })
    }

    /// `ListParts`, following every page.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<StoredPart>, StoreError> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.take())
                .send()
                .await
                .map_err(map_err)?;
            for p in out.parts() {
                let checksum = p
                    .checksum_sha256()
                    .map(|v| (ChecksumAlgorithm::Sha256, v.to_owned()))
                    .or_else(|| {
                        p.checksum_crc32()
                            .map(|v| (ChecksumAlgorithm::Crc32, v.to_owned()))
                    })
                    .or_else(|| {
                        p.checksum_crc64_nvme()
                            .map(|v| (ChecksumAlgorithm::Crc64nvme, v.to_owned()))
                    });
                parts.push(StoredPart {
                    part: ListedPart {
                        part_number: p.part_number().unwrap_or(0).max(0) as u32,
                        size: p.size().unwrap_or(0).max(0) as u64,
                        etag: p.e_tag().unwrap_or("").to_owned(),
                    },
                    checksum,
                });
            }
            if out.is_truncated() == Some(true) {
                marker = out.next_part_number_marker().map(str::to_owned);
                if marker.is_none() {
                    break;
                }
            } else {
                break;
            }
        }
        parts.sort_by_key(|p| p.part.part_number);
        Ok(parts)
    }

    /// Checks that `upload_id` is a live multipart upload of `key`.
    pub async fn check_upload(&self, key: &str, upload_id: &str) -> Result<(), StoreError> {
        self.client
            .list_parts()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .max_parts(1)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// `CompleteMultipartUpload`; returns the object's ETag. Part checksums
    /// found by `ListParts` are passed on, as S3 requires for uploads created
    /// with a checksum algorithm. `full_crc64` is the whole object's
    /// CRC64NVME of a `FULL_OBJECT` upload, which the store checks.
    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        stored: &[StoredPart],
        full_crc64: Option<&str>,
    ) -> Result<String, StoreError> {
        let checksums: HashMap<u32, &(ChecksumAlgorithm, String)> = stored
            .iter()
            .filter_map(|s| s.checksum.as_ref().map(|c| (s.part.part_number, c)))
            .collect();
        let parts = parts
            .iter()
            .map(|p| {
                let b = aws_sdk_s3::types::CompletedPart::builder()
                    .part_number(p.part_number as i32)
                    .e_tag(&p.etag);
                match checksums.get(&p.part_number) {
                    Some((ChecksumAlgorithm::Sha256, v)) => b.checksum_sha256(v),
                    Some((ChecksumAlgorithm::Crc32, v)) => b.checksum_crc32(v),
                    Some((ChecksumAlgorithm::Crc64nvme, v)) => b.checksum_crc64_nvme(v),
                    _ => b,
                }
                .build()
            })
            .collect();
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .set_checksum_type(full_crc64.map(|_| aws_sdk_s3::types::ChecksumType::FullObject))
            .set_checksum_crc64_nvme(full_crc64.map(str::to_owned))
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(map_err)?;
        // S3 may answer 200 with an <Error> body (the complete failed after the
        // headers were sent). Such an answer has no ETag: treat it as a failure.
        out.e_tag
            .filter(|e| !e.is_empty())
            .ok_or_else(|| StoreError::Refused {
                code: "CompleteFailed".into(),
                message: "complete answered without an ETag".into(),
            })
    }

    /// `AbortMultipartUpload`; an upload already gone is fine (idempotent).
    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), StoreError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match map_err(e) {
                StoreError::NoSuchUpload => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Incomplete multipart uploads under `prefix` (for tests and operators).
    pub async fn incomplete_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let out = self
            .client
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .prefix(prefix)
            .send()
            .await
            .map_err(map_err)?;
        Ok(out
            .uploads()
            .iter()
            .map(|u| {
                (
                    u.key().unwrap_or("").to_owned(),
                    u.upload_id().unwrap_or("").to_owned(),
                )
            })
            .collect())
    }
}
