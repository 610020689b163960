//! The store, through `aws-sdk-s3`: the few calls the signer itself makes
//! (create, list parts, complete, abort, bucket set-up), each bounded by a
//! timeout so an unreachable store is a 503, never a hang.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, CompletedMultipartUpload,
    CorsConfiguration, CorsRule, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    ServerSideEncryption,
};
use aws_sdk_s3::Client;
use s3lift_protocol::wire::{ChecksumAlgorithm, CompletedPart, ListedPart};
use tokio::sync::RwLock;

use crate::config::{Settings, Sse};

/// A store failure, as the routes need to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The multipart upload does not exist for this key.
    #[error("no such upload for this key")]
    NoSuchUpload,
    /// The object does not exist.
    #[error("no such object")]
    NoSuchKey,
    /// The store refused the part list at complete.
    #[error("{0}")]
    InvalidPart(String),
    /// Connection refused, timed out, or a 5xx: try again later.
    #[error("storage unreachable: {0}")]
    Unavailable(String),
    /// The data does not match its checksum (`BadDigest`).
    #[error("checksum mismatch: {0}")]
    ChecksumMismatch(String),
    /// Any other refusal (bad credentials, missing bucket…).
    #[error("storage refused the request: {code}: {message}")]
    Refused {
        /// The store's error code.
        code: String,
        /// The store's message (for the log only).
        message: String,
    },
}

fn map_err<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_owned();
            let message = e
                .message()
                .unwrap_or("")
                .chars()
                .take(300)
                .collect::<String>();
            match code.as_str() {
                "NoSuchUpload" => StoreError::NoSuchUpload,
                "NoSuchKey" | "NotFound" => StoreError::NoSuchKey,
                "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" | "MalformedXML" => {
                    StoreError::InvalidPart(format!("{code}: {message}"))
                }
                "BadDigest" | "InvalidDigest" | "XAmzContentChecksumMismatch" => {
                    StoreError::ChecksumMismatch(format!("{code}: {message}"))
                }
                "ServiceUnavailable" | "SlowDown" | "InternalError" => {
                    StoreError::Unavailable(code)
                }
                _ => StoreError::Refused { code, message },
            }
        }
        SdkError::TimeoutError(_) => StoreError::Unavailable("timed out".into()),
        SdkError::DispatchFailure(d) => StoreError::Unavailable(if d.is_timeout() {
            "timed out".into()
        } else if d.is_io() {
            "connection failed".into()
        } else {
            "dispatch failed".into()
        }),
        _ => StoreError::Unavailable(aws_smithy_types_display(&err).to_string()),
    }
}

/// A short display of an SDK error without its Debug dump (which may hold headers).
fn aws_smithy_types_display<E, R>(err: &SdkError<E, R>) -> &'static str {
    match err {
        SdkError::ConstructionFailure(_) => "request construction failed",
        SdkError::ResponseError(_) => "unreadable response",
        _ => "error",
    }
}

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

/// The store client plus the credentials used to presign.
pub struct Store {
    client: Client,
    bucket: String,
    credentials: SharedCredentialsProvider,
    cached: RwLock<Option<Credentials>>,
    sse: Option<Sse>,
}

impl Store {
    /// Builds the SDK client from settings and the standard AWS credential chain.
    /// `explicit` credentials (the embedded dev store's) replace the chain.
    pub async fn connect(
        settings: &Settings,
        explicit: Option<Credentials>,
    ) -> anyhow::Result<Store> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.store.region.clone()));
        if let Some(c) = explicit {
            loader = loader.credentials_provider(c);
        }
        let sdk = loader.load().await;
        let credentials = sdk.credentials_provider().ok_or_else(|| {
            anyhow::anyhow!(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile"
            )
        })?;
        let timeout = Duration::from_millis(settings.store.timeout_ms);
        let mut conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(settings.store.path_style)
            // Since early 2025 the SDKs add request checksums by default; the
            // store calls made here need none, and presigned URLs must not carry one.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(2_000).min(timeout))
                    .operation_attempt_timeout(timeout)
                    .operation_timeout(timeout * 2)
                    .build(),
            );
        if let Some(endpoint) = &settings.store.endpoint {
            conf = conf.endpoint_url(endpoint);
        }
        Ok(Store {
            client: Client::from_conf(conf.build()),
            bucket: settings.store.bucket.clone(),
            credentials,
            cached: RwLock::new(None),
            sse: settings.store.sse.clone(),
        })
    }

    /// Credentials for presigning, refreshed five minutes before they expire.
    pub async fn credentials(&self) -> Result<Credentials, StoreError> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|e| e > SystemTime::now() + Duration::from_secs(300))
        };
        if let Some(c) = self.cached.read().await.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let mut slot = self.cached.write().await;
        if let Some(c) = slot.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let c =
            self.credentials.provide_credentials().await.map_err(|e| {
                StoreError::Unavailable(format!("cannot load AWS credentials: {e}"))
            })?;
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The raw SDK client, for set-up commands.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The server-side encryption headers every object gets.
    pub fn sse_headers(&self) -> Vec<(&'static str, String)> {
        match &self.sse {
            None => vec![],
            Some(Sse::Aes256) => vec![("x-amz-server-side-encryption", "AES256".into())],
            Some(Sse::Kms { key_id }) => {
                let mut h = vec![("x-amz-server-side-encryption", "aws:kms".to_owned())];
                if let Some(k) = key_id {
                    h.push(("x-amz-server-side-encryption-aws-kms-key-id", k.clone()));
                }
                h
            }
        }
    }

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

    /// `HeadBucket`, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Creates the bucket when it does not exist.
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        if self.ping().await.is_ok() {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(map_err)
        {
            Ok(_) => Ok(()),
            Err(StoreError::Refused { code, .. }) if code.starts_with("BucketAlready") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies the CORS rule browsers need: the allowed origins may PUT, POST
    /// and GET, and may read the `ETag` header, without which no multipart
    /// upload can be completed from a browser.
    pub async fn put_cors(&self, origins: &[String], expose_etag: bool) -> Result<(), StoreError> {
        let mut rule = CorsRule::builder()
            .set_allowed_origins(Some(origins.to_vec()))
            .allowed_methods("PUT")
            .allowed_methods("POST")
            .allowed_methods("GET")
            .allowed_methods("HEAD")
            .allowed_headers("*")
            .max_age_seconds(3600);
        if expose_etag {
            rule = rule.expose_headers("ETag");
        }
        let rule = rule.build().map_err(|e| StoreError::Refused {
            code: "BadCors".into(),
            message: e.to_string(),
        })?;
        self.client
            .put_bucket_cors()
            .bucket(&self.bucket)
            .cors_configuration(
                CorsConfiguration::builder()
                    .cors_rules(rule)
                    .build()
                    .map_err(|e| StoreError::Refused {
                        code: "BadCors".into(),
                        message: e.to_string(),
                    })?,
            )
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// A lifecycle rule that aborts incomplete multipart uploads after `days`,
    /// so abandoned uploads do not keep costing storage.
    pub async fn put_abort_lifecycle(&self, days: i32) -> Result<(), StoreError> {
        let rule = LifecycleRule::builder()
            .id("s3lift-abort-incomplete-multipart")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Refused {
                code: "BadLifecycle".into(),
                message: e.to_string(),
            })?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| StoreError::Refused {
                        code: "BadLifecycle".into(),
                        message: e.to_string(),
                    })?,
            )
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
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
