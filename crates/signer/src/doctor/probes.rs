//! The checks, each a real request to the store (see the module above).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;
use reqwest::{Method, StatusCode};

use super::{Finding, Status};
use crate::config::Settings;
use crate::presign::{presign_url, BucketUrl, PresignRequest};
use crate::store::Store;

const SETUP: &str = "run `s3lift-signer bucket setup` (CORS for S3LIFT_ALLOWED_ORIGINS: PUT POST GET HEAD, ExposeHeaders ETag; abort-incomplete lifecycle rule)";
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

    fn presigned(&self, method: &str, key: &str, headers: &[(&str, &str)]) -> String {
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

    async fn clock(&mut self) -> Finding {
        let key = format!("{}/clock", self.dir);
        let url = self.presigned("GET", &key, &[]);
        let res = match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) => {
                return Finding::fail(
                    "clock",
                    true,
                    without_url(&e),
                    "check that the store's endpoint is reachable from here",
                )
            }
        };
        let date = res
            .headers()
            .get("date")
            .and_then(|d| d.to_str().ok())
            .and_then(|d| httpdate::parse_http_date(d).ok());
        let Some(date) = date else {
            return Finding::not_supported(
                "clock",
                "the store sent no Date header",
                "keep this machine's clock synchronised (NTP)",
            );
        };
        let now = SystemTime::now();
        let skew = now
            .duration_since(date)
            .or_else(|_| date.duration_since(now))
            .unwrap_or_default();
        // SigV4 allows 15 minutes; URLs signed for a few minutes need far less.
        if skew > Duration::from_secs(300) {
            return Finding::fail(
                "clock",
                true,
                format!("this clock and the store's differ by {} s", skew.as_secs()),
                "synchronise the clock (NTP): presigned URLs are refused or expire early",
            );
        }
        Finding::pass("clock", true, format!("skew {} s", skew.as_secs()))
    }

    /// The origins a browser will upload from (an example one for `*`).
    fn origins(&self) -> Vec<String> {
        let configured: Vec<String> = self
            .settings
            .server
            .allowed_origins
            .iter()
            .filter(|o| o.as_str() != "*")
            .take(5)
            .cloned()
            .collect();
        if configured.is_empty() {
            vec!["https://app.example".to_owned()]
        } else {
            configured
        }
    }

    async fn cors(&mut self) -> Vec<Finding> {
        let key = self.key("cors");
        let object = self.url.object_url(&key);
        let mut refused = Vec::new();
        for origin in self.origins() {
            for method in ["PUT", "POST", "GET"] {
                let target = if method == "POST" {
                    self.url.bucket_url()
                } else {
                    object.clone()
                };
                let res = self
                    .http
                    .request(Method::OPTIONS, target)
                    .header("origin", &origin)
                    .header("access-control-request-method", method)
                    .header("access-control-request-headers", "content-type")
                    .send()
                    .await;
                let allowed = res.as_ref().is_ok_and(|r| {
                    r.status().is_success()
                        && r.headers()
                            .get("access-control-allow-origin")
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|v| v == "*" || v == origin)
                });
                if !allowed {
                    refused.push(format!("{method} from {origin}"));
                }
            }
        }
        let methods = if refused.is_empty() {
            Finding::pass(
                "cors",
                true,
                format!(
                    "PUT, POST and GET allowed from {}",
                    self.origins().join(", ")
                ),
            )
        } else {
            Finding::fail(
                "cors",
                true,
                format!("the preflight refuses {}", refused.join(", ")),
                SETUP,
            )
        };
        let origin = self.origins()[0].clone();
        let etag = match self
            .put(&key, b"s3lift doctor", &[], &[("origin", &origin)])
            .await
        {
            Ok((s, h)) if s.is_success() => {
                let exposed = h
                    .get("access-control-expose-headers")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.split(',').any(|x| x.trim().eq_ignore_ascii_case("etag")));
                if exposed {
                    Finding::pass("cors_etag", true, "browsers can read the ETag of a part")
                } else {
                    Finding::fail("cors_etag", true, "ETag is not in Access-Control-Expose-Headers: browsers cannot read part ETags, so no multipart upload can complete", SETUP)
                }
            }
            Ok((s, _)) => Finding::fail(
                "cors_etag",
                true,
                format!("a presigned PUT was refused with {s}"),
                "check that the key may write the bucket",
            ),
            Err(e) => Finding::fail(
                "cors_etag",
                true,
                e,
                "check that the store's endpoint is reachable from here",
            ),
        };
        vec![methods, etag]
    }

    async fn lifecycle(&mut self) -> Finding {
        let res = self
            .store
            .client()
            .get_bucket_lifecycle_configuration()
            .bucket(self.store.bucket())
            .send()
            .await;
        match res {
            Ok(conf) => {
                let days = conf.rules().iter().find_map(|r| {
                    let on = r.status().as_str() == "Enabled";
                    r.abort_incomplete_multipart_upload()
                        .and_then(|a| a.days_after_initiation())
                        .filter(|_| on)
                });
                match days {
                    Some(d) => Finding::pass("lifecycle", false, format!("incomplete multipart uploads are aborted after {d} day(s)")),
                    None => Finding::fail("lifecycle", false, "no enabled rule aborts incomplete multipart uploads: abandoned parts cost storage forever", SETUP),
                }
            }
            Err(e) if matches!(e.code(), Some("NotImplemented")) => Finding::not_supported(
                "lifecycle",
                "the store has no lifecycle API",
                "abort old incomplete uploads another way (a cron job with ListMultipartUploads)",
            ),
            Err(e) if matches!(e.code(), Some("NoSuchLifecycleConfiguration")) => Finding::fail(
                "lifecycle",
                false,
                "the bucket has no lifecycle rule: abandoned parts cost storage forever",
                SETUP,
            ),
            Err(e) => Finding::fail(
                "lifecycle",
                false,
                format!(
                    "cannot read the lifecycle rules: {}",
                    e.code().unwrap_or("error")
                ),
                SETUP,
            ),
        }
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
