//! The store, through `aws-sdk-s3`: the few calls the signer itself makes
//! (create, list parts, complete, abort, bucket set-up), each bounded by a
//! timeout so an unreachable store is a 503, never a hang.

use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::Client;
use tokio::sync::RwLock;

use crate::config::{Settings, Sse};

mod bucket;
mod error;
mod multipart;
mod object;

pub use self::error::StoreError;
pub use self::multipart::StoredPart;
pub use self::object::ObjectHead;

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
}
