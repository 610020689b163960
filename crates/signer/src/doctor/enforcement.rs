//! What the store enforces: POST policies and their range, signed lengths,
//! part sizes, and checksums (per request and whole-object).

use std::time::SystemTime;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use reqwest::StatusCode;
use s3lift_protocol::crc64;
use sha2::{Digest, Sha256};

use super::probes::{without_url, Probe, TTL};
use super::{Finding, Status};
use crate::presign::presign_post;

impl Probe<'_> {
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

    pub(super) async fn post_policy(&mut self) -> Vec<Finding> {
        const PUT: &str = "set S3LIFT_STORE_POST_POLICY=off: the signer then answers presigned PUTs, which sign their length (`auto` probes this at start)";
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

    pub(super) async fn content_length(&mut self) -> Finding {
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

    pub(super) async fn min_part_size(&mut self) -> Finding {
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
                let _ = self.store.abort(&key, &id).await;
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
                let _ = self.store.abort(&key, &id).await;
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

    pub(super) async fn checksum(&mut self, algo: &'static str) -> Finding {
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
        let fix = if algo == "crc64nvme" {
            "set S3LIFT_STORE_CHECKSUMS=off: the signer then drops requested checksums instead of signing them (`auto` probes this at start)"
        } else {
            "leave checksums off in the client (`checksum` option) for this store"
        };
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
    pub(super) async fn full_object_crc64(&mut self) -> Finding {
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
            let _ = self.store.abort(key, &id).await;
        }
        result
    }
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
