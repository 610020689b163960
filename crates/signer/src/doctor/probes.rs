//! The probe: it connects and checks the bucket, runs every check in order, and
//! holds what the checks share (see the module above).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use reqwest::StatusCode;

use super::{Finding, Status};
use crate::config::Settings;
use crate::presign::{presign_url, BucketUrl, PresignRequest};
use crate::store::Store;

pub(super) const TTL: Duration = Duration::from_secs(300);

pub(crate) struct Probe<'a> {
    pub(super) settings: &'a Settings,
    pub(super) store: Store,
    pub(super) url: BucketUrl,
    pub(super) creds: Credentials,
    pub(super) http: reqwest::Client,
    pub(super) dir: String,
    pub(super) made: Vec<String>,
}

impl<'a> Probe<'a> {
    pub(crate) async fn run(settings: &'a Settings, explicit: Option<Credentials>) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(mut p) = Probe::open(settings, explicit, &mut out).await else {
            return out;
        };
        out.push(p.clock().await);
        out.extend(p.cors().await);
        out.push(p.lifecycle().await);
        out.extend(p.post_policy().await);
        out.push(p.content_length().await);
        out.push(p.min_part_size().await);
        for algo in ["crc32", "sha256", "crc64nvme"] {
            out.push(p.checksum(algo).await);
        }
        out.push(p.full_object_crc64().await);
        p.cleanup().await;
        out
    }

    /// Only the checks whose findings the signer acts on (`S3LIFT_STORE_*`
    /// = `auto`): POST forms with their range, and a signed CRC64NVME on a
    /// PUT. `None` when the store cannot be reached.
    pub(crate) async fn features(
        settings: &'a Settings,
        explicit: Option<Credentials>,
    ) -> Option<(Vec<Finding>, Finding)> {
        let mut p = Probe::open(settings, explicit, &mut Vec::new()).await?;
        let post = p.post_policy().await;
        let crc64 = p.checksum("crc64nvme").await;
        p.cleanup().await;
        Some((post, crc64))
    }

    /// Connects with the signer's credentials and checks the bucket, each
    /// step a finding in `out`; `None` when a later check cannot run.
    async fn open(
        settings: &'a Settings,
        explicit: Option<Credentials>,
        out: &mut Vec<Finding>,
    ) -> Option<Probe<'a>> {
        let store = match Store::connect(settings, explicit).await {
            Ok(s) => s,
            Err(e) => {
                out.push(Finding::fail("credentials", true, e.to_string(), CREDS_FIX));
                return None;
            }
        };
        let creds = match store.credentials().await {
            Ok(c) => c,
            Err(e) => {
                out.push(Finding::fail("credentials", true, e.to_string(), CREDS_FIX));
                return None;
            }
        };
        out.push(Finding::pass(
            "credentials",
            true,
            format!("access key {}…", prefix(creds.access_key_id())),
        ));
        if let Err(e) = store.ping().await {
            out.push(Finding::fail(
                "bucket",
                true,
                format!("HeadBucket on `{}` failed: {e}", settings.store.bucket),
                "check S3LIFT_S3_BUCKET, S3LIFT_S3_ENDPOINT and S3LIFT_S3_REGION, and that the key may read and write the bucket",
            ));
            for check in LATER {
                out.push(Finding {
                    check,
                    status: Status::Skipped,
                    required: false,
                    detail: "the bucket cannot be reached".into(),
                    fix: None,
                });
            }
            return None;
        }
        out.push(Finding::pass(
            "bucket",
            true,
            format!("`{}` answers", settings.store.bucket),
        ));
        let url = BucketUrl::new(
            settings.store.endpoint.as_deref(),
            &settings.store.region,
            &settings.store.bucket,
            settings.store.path_style,
        );
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(15))
            .build()
            .expect("a plain HTTP client builds");
        let root = settings.uploads.key_prefix.trim_matches('/');
        let id = uuid::Uuid::new_v4().simple();
        let dir = if root.is_empty() {
            format!(".s3lift-doctor/{id}")
        } else {
            format!("{root}/.s3lift-doctor/{id}")
        };
        Some(Probe {
            settings,
            store,
            url,
            creds,
            http,
            dir,
            made: Vec::new(),
        })
    }

    pub(super) fn key(&mut self, name: &str) -> String {
        let key = format!("{}/{name}", self.dir);
        self.made.push(key.clone());
        key
    }
    pub(super) fn presigned(&self, method: &str, key: &str, headers: &[(&str, &str)]) -> String {
        presign_url(
            &self.url,
            &self.creds,
            SystemTime::now(),
            &PresignRequest {
                method,
                key,
                query: &[],
                headers,
                expires: TTL,
            },
        )
    }

    /// A presigned PUT of `body` with `headers` (all signed) and any `extra`
    /// unsigned ones; the status and response headers, or the error.
    pub(super) async fn put(
        &self,
        key: &str,
        body: &[u8],
        headers: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> Result<(StatusCode, reqwest::header::HeaderMap), String> {
        let signed: Vec<(&str, &str)> = headers.to_vec();
        let url = self.presigned("PUT", key, &signed);
        let mut req = self.http.put(url).body(body.to_vec());
        for (k, v) in headers.iter().chain(extra) {
            if *k != "content-length" {
                req = req.header(*k, *v);
            }
        }
        let res = req.send().await.map_err(|e| without_url(&e))?;
        Ok((res.status(), res.headers().clone()))
    }

    async fn cleanup(&self) {
        for key in &self.made {
            let _ = self.store.delete_object(key).await;
        }
    }
}

const CREDS_FIX: &str = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile / instance role) for a key that may read and write the bucket";

/// The checks after `bucket`, reported as skipped when it fails.
const LATER: [&str; 12] = [
    "clock",
    "cors",
    "cors_etag",
    "lifecycle",
    "post_policy",
    "post_policy_range",
    "content_length",
    "min_part_size",
    "checksum_crc32",
    "checksum_sha256",
    "checksum_crc64nvme",
    "checksum_full_object",
];

fn prefix(s: &str) -> &str {
    s.get(..4).unwrap_or("")
}

/// A transport error without its URL (a presigned URL is a credential).
pub(super) fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the connection failed"
    };
    format!("no answer from the store ({kind})")
}
