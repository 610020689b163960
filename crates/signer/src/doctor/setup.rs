//! The store's set-up for browsers, and the clock: clock skew, CORS (preflights
//! and the exposed `ETag`) and the lifecycle rule that aborts abandoned uploads.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::error::ProvideErrorMetadata;
use reqwest::Method;

use super::probes::{without_url, Probe};
use super::Finding;

const SETUP: &str = "run `s3lift-signer bucket setup` (CORS for S3LIFT_ALLOWED_ORIGINS: PUT POST GET HEAD, ExposeHeaders ETag; abort-incomplete lifecycle rule)";

impl Probe<'_> {
    pub(super) async fn clock(&mut self) -> Finding {
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

    pub(super) async fn cors(&mut self) -> Vec<Finding> {
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

    pub(super) async fn lifecycle(&mut self) -> Finding {
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
}
