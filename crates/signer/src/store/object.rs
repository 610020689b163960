//! Stored objects: `HeadObject` ([`ObjectHead`]) and `DeleteObject`.

use super::error::map_err;
use super::{Store, StoreError};

impl Store {
    /// `HeadObject`: what the store holds under `key`, for `/s3/params/complete`
    /// and the webhook event.
    pub async fn head_object(&self, key: &str) -> Result<ObjectHead, StoreError> {
        self.head_object_with(key, false).await
    }

    /// As [`Store::head_object`]; with `checksum_mode`, the store also
    /// answers the whole object's CRC64NVME when it keeps one.
    pub async fn head_object_with(
        &self,
        key: &str,
        checksum_mode: bool,
    ) -> Result<ObjectHead, StoreError> {
        let mut req = self.client.head_object().bucket(&self.bucket).key(key);
        if checksum_mode {
            req = req.checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled);
        }
        let out = req.send().await.map_err(map_err)?;
        Ok(ObjectHead {
            size: out.content_length().unwrap_or(0).max(0) as u64,
            etag: out.e_tag().unwrap_or("").to_owned(),
            content_type: out.content_type().map(str::to_owned),
            crc64nvme: out.checksum_crc64_nvme().map(str::to_owned),
        })
    }

    /// The whole object's CRC64NVME as the store holds it (`HeadObject`
    /// with checksum mode); `None` when it keeps none.
    pub async fn head_crc64(&self, key: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
            .map_err(map_err)?;
        Ok(out.checksum_crc64_nvme().map(str::to_owned))
    }

    /// `DeleteObject` (S3 answers 204 for a key already gone: idempotent).
    pub async fn delete_object(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

/// What `HeadObject` says about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// `Content-Length`.
    pub size: u64,
    /// `ETag`, quotes included.
    pub etag: String,
    /// `Content-Type`, when the store keeps one.
    pub content_type: Option<String>,
    /// The whole object's CRC64NVME, when asked for (checksum mode) and kept.
    pub crc64nvme: Option<String>,
}
