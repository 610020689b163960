//! The optional webhook: after each successful complete, a POST of
//! `{key, bucket, size, etag, caller}` to `S3LIFT_WEBHOOK_URL`.
//!
//! It runs after the answer is sent and never fails an upload; a failure is
//! logged without the URL (which may carry a secret in its query).

use std::time::Duration;

use s3lift_protocol::wire::UploadCompleted;

/// Sends completion events.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
}

impl Webhook {
    /// A webhook to `url`, with a 5-second timeout.
    pub fn new(url: String) -> anyhow::Result<Webhook> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Webhook { client, url })
    }

    /// Posts `event` in the background.
    pub fn notify(&self, event: UploadCompleted) {
        let this = self.clone();
        tokio::spawn(async move {
            for attempt in 1..=3u32 {
                match this.client.post(&this.url).json(&event).send().await {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => tracing::warn!(
                        status = r.status().as_u16(),
                        attempt,
                        "webhook refused the event"
                    ),
                    Err(e) => {
                        tracing::warn!(attempt, error = %e.without_url(), "webhook unreachable")
                    }
                }
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
        });
    }
}
