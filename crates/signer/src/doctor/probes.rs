//! The checks, each a real request to the store (see the module above).

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

use super::{Finding, Status};
use crate::config::Settings;
use crate::presign::{presign_post, presign_url, BucketUrl, PresignRequest};
use crate::store::Store;
use s3lift_protocol::crc64;

const SETUP: &str = "run `s3lift-signer bucket setup` (CORS for S3LIFT_ALLOWED_ORIGINS: PUT POST GET HEAD, ExposeHeaders ETag; abort-incomplete lifecycle rule)";
const TTL: Duration = Duration::from_secs(300);

pub(crate) struct Probe<'a> {
    settings: &'a Settings,
    store: Store,
    url: BucketUrl,
    creds: Credentials,
    http: reqwest::Client,
    dir: String,
    made: Vec<String>,
}

impl<'a> Probe<'a> {
    pub(crate) async fn run(settings: &'a Settings, explicit: Option<Credentials>) -> Vec<Finding> {
        let mut out = Vec::new();
        let store = match Store::connect(settings, explicit).await {
            Ok(s) => s,
            Err(e) => {
                out.push(Finding::fail("credentials", true, e.to_string(), CREDS_FIX));
                return out;
            }
        };
        let creds = match store.credentials().await {
            Ok(c) => c,
            Err(e) => {
                out.push(Finding::fail("credentials", true, e.to_string(), CREDS_FIX));
                return out;
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
            return out;
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
        let mut p = Probe {
            settings,
            store,
            url,
            creds,
            http,
            dir,
            made: Vec::new(),
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

    fn key(&mut self, name: &str) -> String {
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
    async fn put(
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

    async fn post_form(&mut self, name: &str, len: usize) -> Result<StatusCode, String> {
        let key = self.key(name);
        let policy = presign_post(
            &self.url,
            &self.creds,
            SystemTime::now(),
            &key,
            "text/plain",
            (0, 16),
            &[],
            TTL,
        );
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in policy.fields {
            form = form.text(k, v);
        }
        let part = reqwest::multipart::Part::bytes(vec![b'x'; len])
            .mime_str("text/plain")
            .map_err(|e| e.to_string())?;
        form = form.part("file", part);
        let res = self
            .http
            .post(policy.url)
            .multipart(form)
            .send()
            .await
            .map_err(|e| without_url(&e))?;
        Ok(res.status())
    }

    async fn post_policy(&mut self) -> Vec<Finding> {
        const PUT: &str = "small files need presigned PUTs here, which sign their length: keep S3LIFT_SINGLE_UPLOAD=auto and declare sizes";
        let ok = match self.post_form("post-small", 5).await {
            Ok(s) if s.is_success() => {
                Finding::pass("post_policy", false, "browser POST forms are accepted")
            }
            Ok(s) if s == StatusCode::NOT_IMPLEMENTED => Finding::not_supported(
                "post_policy",
                "the store has no POST Object (R2 is one)",
                PUT,
            ),
            Ok(s) => Finding::fail(
                "post_policy",
                false,
                format!("a valid POST form was refused with {s}"),
                PUT,
            ),
            Err(e) => Finding::fail("post_policy", false, e, PUT),
        };
        if ok.status != Status::Pass {
            let skipped = Finding {
                check: "post_policy_range",
                status: Status::Skipped,
                required: false,
                detail: "POST forms do not work here".into(),
                fix: None,
            };
            return vec![ok, skipped];
        }
        let range = match self.post_form("post-large", 17).await {
            Ok(s) if s.is_client_error() => Finding::pass(
                "post_policy_range",
                true,
                "a form over its content-length-range is refused",
            ),
            Ok(s) => Finding::fail(
                "post_policy_range",
                true,
                format!("a form over its content-length-range got {s}: sizes are not enforced"),
                PUT,
            ),
            Err(e) => Finding::fail("post_policy_range", true, e, PUT),
        };
        vec![ok, range]
    }

    async fn content_length(&mut self) -> Finding {
        let key = self.key("length");
        let fix = "use a store that checks signed headers (AWS S3, Garage, MinIO and R2 do)";
        match self
            .put(&key, b"12345", &[("content-length", "5")], &[])
            .await
        {
            Ok((s, _)) if s.is_success() => {}
            Ok((s, _)) => {
                return Finding::fail(
                    "content_length",
                    true,
                    format!("a PUT of exactly its signed length got {s}"),
                    fix,
                )
            }
            Err(e) => return Finding::fail("content_length", true, e, fix),
        }
        match self.put(&key, b"123456", &[("content-length", "5")], &[]).await {
            Ok((s, _)) if s.is_client_error() => Finding::pass("content_length", true, "a body longer than its signed Content-Length is refused"),
            Ok((s, _)) => Finding::fail("content_length", true, format!("a body longer than its signed Content-Length got {s}: upload sizes are not enforced"), fix),
            Err(_) => Finding::pass("content_length", true, "a body longer than its signed Content-Length is refused (connection closed)"),
        }
    }

    async fn min_part_size(&mut self) -> Finding {
        let key = self.key("parts");
        let client = self.store.client();
        let bucket = self.store.bucket();
        let Ok(created) = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
        else {
            return Finding::fail(
                "min_part_size",
                true,
                "CreateMultipartUpload failed",
                "check that the key may write the bucket",
            );
        };
        let id = created.upload_id().unwrap_or_default().to_owned();
        let mut parts = Vec::new();
        for n in 1..=2 {
            let res = client
                .upload_part()
                .bucket(bucket)
                .key(&key)
                .upload_id(&id)
                .part_number(n)
                .body(ByteStream::from_static(b"x"))
                .send()
                .await;
            let Ok(res) = res else {
                let _ = client
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .send()
                    .await;
                return Finding::fail(
                    "min_part_size",
                    true,
                    "UploadPart failed",
                    "check that the key may write the bucket",
                );
            };
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .set_e_tag(res.e_tag().map(str::to_owned))
                    .build(),
            );
        }
        let done = client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        match done {
            Ok(_) => Finding::pass(
                "min_part_size",
                false,
                "not enforced by the store; the signer's plans keep to 5 MiB anyway",
            ),
            Err(e) => {
                let _ = client
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .send()
                    .await;
                match e.code() {
                    Some("EntityTooSmall") => Finding::pass(
                        "min_part_size",
                        false,
                        "parts under 5 MiB are refused at complete, as on AWS",
                    ),
                    other => Finding::fail(
                        "min_part_size",
                        false,
                        format!("complete failed with {}", other.unwrap_or("an error")),
                        "check the store's multipart support",
                    ),
                }
            }
        }
    }

    async fn checksum(&mut self, algo: &'static str) -> Finding {
        let check = match algo {
            "crc32" => "checksum_crc32",
            "sha256" => "checksum_sha256",
            _ => "checksum_crc64nvme",
        };
        let body = b"s3lift doctor checksum";
        let value = checksum_of(algo, body);
        let wrong = checksum_of(algo, b"something else");
        let header = format!("x-amz-checksum-{algo}");
        let key = self.key(check);
        let fix = "leave checksums off in the client (`checksum` option) for this store";
        match self.put(&key, body, &[(&header, &value)], &[]).await {
            Ok((s, _)) if s.is_success() => {}
            Ok((s, _)) => {
                return Finding::not_supported(
                    check,
                    format!("a PUT with a correct {header} got {s}"),
                    fix,
                )
            }
            Err(e) => return Finding::fail(check, false, e, fix),
        }
        match self.put(&key, body, &[(&header, &wrong)], &[]).await {
            Ok((s, _)) if s.is_client_error() => Finding::pass(
                check,
                false,
                format!("{header} is checked: a wrong value is refused"),
            ),
            Ok((s, _)) => Finding::fail(
                check,
                false,
                format!("a wrong {header} got {s}: accepted but not checked"),
                fix,
            ),
            Err(e) => Finding::fail(check, false, e, fix),
        }
    }

    /// A multipart upload with a `FULL_OBJECT` CRC64NVME, completed with the
    /// right whole-object value and then with a wrong one.
    async fn full_object_crc64(&mut self) -> Finding {
        const CHECK: &str = "checksum_full_object";
        let fix = "whole-file checksums are then checked by the signer's HEAD only";
        let data = b"s3lift full object checksum";
        let whole = crc64::to_base64(crc64::checksum(data));
        let wrong = crc64::to_base64(crc64::checksum(b"other"));
        let mut outcomes = Vec::new();
        for (name, value) in [("full-right", &whole), ("full-wrong", &wrong)] {
            let key = self.key(name);
            outcomes.push(self.full_object_upload(&key, data, value).await);
        }
        match (&outcomes[0], &outcomes[1]) {
            (Ok(()), Err(_)) => Finding::pass(
                CHECK,
                false,
                "CRC64NVME FULL_OBJECT uploads complete, and a wrong value is refused",
            ),
            (Ok(()), Ok(())) => Finding::fail(
                CHECK,
                false,
                "a wrong FULL_OBJECT checksum was accepted at complete",
                fix,
            ),
            (Err(e), _) => Finding::not_supported(
                CHECK,
                format!("a FULL_OBJECT CRC64NVME upload failed: {e}"),
                fix,
            ),
        }
    }

    async fn full_object_upload(
        &self,
        key: &str,
        data: &'static [u8],
        whole: &str,
    ) -> Result<(), String> {
        let client = self.store.client();
        let bucket = self.store.bucket();
        let created = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_type(ChecksumType::FullObject)
            .send()
            .await
            .map_err(|e| {
                e.code()
                    .unwrap_or("CreateMultipartUpload failed")
                    .to_owned()
            })?;
        let id = created.upload_id().unwrap_or_default().to_owned();
        let part = crc64::to_base64(crc64::checksum(data));
        let result = async {
            let res = client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .part_number(1)
                .checksum_crc64_nvme(&part)
                .body(ByteStream::from_static(data))
                .send()
                .await
                .map_err(|e| e.code().unwrap_or("UploadPart failed").to_owned())?;
            let done = CompletedPart::builder()
                .part_number(1)
                .set_e_tag(res.e_tag().map(str::to_owned))
                .checksum_crc64_nvme(&part)
                .build();
            client
                .complete_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .checksum_type(ChecksumType::FullObject)
                .checksum_crc64_nvme(whole)
                .multipart_upload(CompletedMultipartUpload::builder().parts(done).build())
                .send()
                .await
                .map_err(|e| {
                    e.code()
                        .unwrap_or("CompleteMultipartUpload failed")
                        .to_owned()
                })?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .send()
                .await;
        }
        result
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
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the connection failed"
    };
    format!("no answer from the store ({kind})")
}

fn checksum_of(algo: &str, data: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    match algo {
        "crc32" => b64.encode(crc32(data).to_be_bytes()),
        "sha256" => b64.encode(Sha256::digest(data)),
        _ => crc64::to_base64(crc64::checksum(data)),
    }
}

/// CRC-32 (IEEE), bit by bit: the probe bodies are a few bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_check_value() {
        assert_eq!(super::crc32(b"123456789"), 0xcbf4_3926);
    }
}
