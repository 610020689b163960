//! The engine's settings, with the defaults the JS API documents.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::retry::RetryPolicy;
use s3lift_protocol::wire::ChecksumAlgorithm;

/// Settings shared by every file of one engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Store requests in flight across all files (the AIMD ceiling), and
    /// also the cap on signer calls in flight.
    pub concurrency: u32,
    /// Files smaller than this go in one request.
    pub multipart_threshold: u64,
    /// The part size the app prefers (the signer's plan wins).
    pub part_size: Option<u64>,
    /// One retry policy for every request kind.
    pub retry: RetryPolicy,
    /// A store request with no progress for this long is cancelled and
    /// retried as a network failure (0: never).
    pub stall_timeout_ms: u64,
    /// A signer call with no answer for this long is cancelled and retried (0: never).
    pub signer_timeout_ms: u64,
    /// A wake that comes this much later than [`Engine::poll_timeout`]
    /// asked means the driver was suspended (a background tab's throttled
    /// timers, a frozen tab): that interval does not count towards stall or
    /// signer deadlines (0: every interval counts).
    ///
    /// [`Engine::poll_timeout`]: crate::Engine::poll_timeout
    pub suspend_slack_ms: u64,
    /// Least time between two progress reports of one file.
    pub progress_interval_ms: u64,
    /// URL lifetime assumed when the signer does not say (Companion signs
    /// for 5 minutes; a minute less leaves room for clock skew).
    pub default_url_ttl_ms: u64,
    /// How long a resume record stays usable (JS `resumeTtlMs`, default 7
    /// days); an older one's upload is aborted when its file comes back.
    pub resume_ttl_ms: u64,
    /// Per-part checksum signed into each part URL (JS `checksum`).
    pub checksum: Option<ChecksumAlgorithm>,
    /// Seed of the jitter generator.
    pub seed: u64,
    /// A multipart complete goes out ahead of the last parts' answers once
    /// their bytes left to send would take under this long at the file's
    /// measured rate (our signer waits for the store to hold them); 0: never,
    /// `u64::MAX`: as soon as every part is stored or in flight.
    pub complete_ahead_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            concurrency: 6,
            multipart_threshold: 8 * MIB,
            part_size: None,
            retry: RetryPolicy::default(),
            stall_timeout_ms: 30_000,
            signer_timeout_ms: 30_000,
            // Background tabs align timers to 1 s; intensive throttling to 60 s.
            suspend_slack_ms: 5_000,
            progress_interval_ms: 50,
            default_url_ttl_ms: 240_000,
            resume_ttl_ms: s3lift_protocol::resume::DEFAULT_RESUME_TTL_MS as u64,
            checksum: None,
            seed: 0,
            // Browsers report upload progress every 100 ms or so (Chromium),
            // and a part's last bytes only with its answer: so 150-250 ms
            // ahead of them, as the last reports fall; the signer lists the
            // parts every 10 ms for its first 300 ms of waiting.
            complete_ahead_ms: 250,
        }
    }
}

impl Config {
    /// Parts signed per batch call: enough to keep every slot busy twice over.
    pub fn sign_window(&self) -> usize {
        (self.concurrency as usize * 2).max(10)
    }
}
