//! The optional webhook: after each completed upload, multipart or single
//! request, one signed `upload.completed` event is POSTed to
//! `S3LIFT_WEBHOOK_URL` (body: [`UploadCompleted`]).
//!
//! - **Signature.** `X-S3lift-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`
//!   over `"<t>.<raw body>"`, keyed by `S3LIFT_WEBHOOK_SECRET` (the scheme
//!   Stripe uses, so receivers know it). The timestamp is inside the MAC, so a
//!   receiver that refuses an old `t` also refuses a replayed delivery.
//! - **Idempotency.** The event `id` is derived from bucket, key and ETag: every
//!   retry of a delivery, and a client calling `/s3/params/complete` twice for
//!   the same object, carry the same id, so a receiver drops duplicates by id.
//! - It runs after the answer is sent and never fails an upload; a failure is
//!   logged without the URL (which may carry a secret in its query).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use prometheus::IntCounterVec;
use s3lift_protocol::wire::{UploadCompleted, UPLOAD_COMPLETED};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::config::Secret;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-s3lift-signature";

/// Deliveries tried per event: the first and four retries, 0.5 s to 4 s apart.
const ATTEMPTS: u32 = 5;

/// Sends completion events.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    secret: Secret,
    events: IntCounterVec,
}

impl Webhook {
    /// A webhook to `url` signed with `secret`, with a 5-second timeout per
    /// delivery; `events` counts them by outcome (`queued`, `delivered`, `failed`).
    pub fn new(url: String, secret: Secret, events: IntCounterVec) -> anyhow::Result<Webhook> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Webhook {
            client,
            url,
            secret,
            events,
        })
    }

    /// Posts `event` in the background, retrying with the same body (and id).
    pub fn notify(&self, event: UploadCompleted) {
        let this = self.clone();
        let body = match serde_json::to_vec(&event) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "webhook event not serializable");
                return;
            }
        };
        self.events.with_label_values(&["queued"]).inc();
        tokio::spawn(async move {
            for attempt in 1..=ATTEMPTS {
                // Signed at each attempt: `t` is when this delivery left.
                let t = unix_seconds(SystemTime::now());
                let res = this
                    .client
                    .post(&this.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(SIGNATURE_HEADER, signature_header(&this.secret, t, &body))
                    .body(body.clone())
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status().is_success() => {
                        this.events.with_label_values(&["delivered"]).inc();
                        return;
                    }
                    Ok(r) => tracing::warn!(
                        status = r.status().as_u16(),
                        attempt,
                        id = %event.id,
                        "webhook refused the event"
                    ),
                    Err(e) => {
                        tracing::warn!(attempt, id = %event.id, error = %e.without_url(), "webhook unreachable")
                    }
                }
                if attempt < ATTEMPTS {
                    tokio::time::sleep(Duration::from_millis(500 << (attempt - 1))).await;
                }
            }
            this.events.with_label_values(&["failed"]).inc();
        });
    }
}

/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature_header(secret: &Secret, t: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The event id: `evt_` and 32 hex digits of SHA-256 over bucket, key and
/// ETag. Keys are unique per upload (a random UUID), so this names one
/// stored object version, whoever reports it and however often.
pub fn event_id(bucket: &str, key: &str, etag: &str) -> String {
    let mut h = Sha256::new();
    for part in [UPLOAD_COMPLETED, bucket, key, etag.trim_matches('"')] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("evt_{}", &hex::encode(h.finalize())[..32])
}

/// The event for an object the store holds.
pub fn event(
    bucket: &str,
    key: &str,
    size: u64,
    etag: &str,
    content_type: Option<String>,
    caller: &Caller,
) -> UploadCompleted {
    UploadCompleted {
        id: event_id(bucket, key, etag),
        kind: UPLOAD_COMPLETED.to_owned(),
        key: key.to_owned(),
        bucket: bucket.to_owned(),
        size,
        etag: etag.to_owned(),
        content_type,
        caller: caller.as_str().to_owned(),
        completed_at: rfc3339(SystemTime::now()),
        checksum: None,
        relative_path: None,
    }
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// RFC 3339 in UTC, to the second (`2026-12-02T10:00:00Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = unix_seconds(t);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (≥ 0 here).
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_dates() {
        let at = |s: u64| rfc3339(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_205_599), "2026-12-02T09:59:59Z");
    }

    #[test]
    fn signature_is_hmac_sha256_of_t_dot_body() {
        // RFC 4231 does not cover this framing; the value is computed by
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec`.
        let h = signature_header(&Secret::new("whsec"), 1_700_000_000, b"{}");
        assert_eq!(
            h,
            "t=1700000000,v1=7d44587dddbaf4c7f70fef20f48cd594834ffea1641e3ac227b84408298738af"
        );
    }

    #[test]
    fn event_id_names_the_object_version() {
        let a = event_id("b", "uploads/a/x/f", "\"e1\"");
        assert_eq!(a, event_id("b", "uploads/a/x/f", "e1"));
        assert_ne!(a, event_id("b", "uploads/a/x/f", "e2"));
        assert_ne!(a, event_id("b", "uploads/a/y/f", "e1"));
        assert!(a.starts_with("evt_") && a.len() == 36);
    }
}
