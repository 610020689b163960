//! What to do after a failed request, how long to wait, and how many
//! requests to keep in flight.
//!
//! - [`classify`] turns an answer (or its absence) into a [`Verdict`]:
//!   retry later, re-sign the URL and retry now, or fail.
//! - [`RetryPolicy`] is exponential backoff with full jitter.
//! - [`ConcurrencyLimit`] is additive-increase / multiplicative-decrease:
//!   halved on 429/503, climbing back by one after a window of successes.

/// Retry settings: the JS option `retry: { maxAttempts, baseDelayMs, maxDelayMs }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Delay cap of the first retry, in ms.
    pub base_delay_ms: u32,
    /// Longest delay, in ms.
    pub max_delay_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay_ms: 300,
            max_delay_ms: 20_000,
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (0 for the first retry), with full
    /// jitter: uniform in `0 ..= min(max, base × 2^retry)`. `unit` is a random
    /// number in `[0, 1)`. A `Retry-After` from the server wins when longer.
    pub fn delay_ms(&self, retry: u32, unit: f64, retry_after_ms: Option<u32>) -> u32 {
        let cap = u64::from(self.base_delay_ms)
            .saturating_mul(1u64 << retry.min(30))
            .min(u64::from(self.max_delay_ms));
        let jittered = (cap as f64 * unit.clamp(0.0, 1.0)) as u32;
        jittered.max(
            retry_after_ms
                .unwrap_or(0)
                .min(self.max_delay_ms.max(60_000)),
        )
    }

    /// Whether another attempt is allowed after `attempts` failed ones.
    pub fn allows(&self, attempts: u32) -> bool {
        attempts < self.max_attempts
    }
}

/// What to do about one failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A transient failure: wait (backoff), then retry.
    Retry {
        /// The server asked to slow down (429/503): lower the concurrency.
        throttled: bool,
    },
    /// The presigned URL expired: sign again and retry at once.
    Resign,
    /// Retrying cannot help.
    Fail,
}

/// Classifies a failed request. `status` is `None` for a network error, an
/// abort by the stall detector, or a timeout; `body` is the answer's text
/// (an S3 XML error or a signer JSON error).
pub fn classify(status: Option<u16>, body: &str) -> Verdict {
    match status {
        None => Verdict::Retry { throttled: false },
        Some(s) if is_expired_url(s, body) => Verdict::Resign,
        Some(429 | 503) => Verdict::Retry { throttled: true },
        Some(408 | 500..=599) => Verdict::Retry { throttled: false },
        Some(_) => Verdict::Fail,
    }
}

/// An expired presigned URL: AWS answers 403 `AccessDenied` "Request has
/// expired"; Garage answers 400 `InvalidRequest` "Date is too old".
pub fn is_expired_url(status: u16, body: &str) -> bool {
    let has = |s: &str| find(body.as_bytes(), s.as_bytes()).is_some();
    match status {
        403 => has("Request has expired") || has("<Code>ExpiredToken</Code>"),
        400 => has("Date is too old") || has("Request has expired"),
        _ => false,
    }
}

/// Where `needle` (not empty) starts in `hay`. Bytes, not `str::find`: this
/// runs in the browser bundle, where `core::str::pattern` and the panics of
/// `str` slicing cost more than the rest of this module.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    // Not `windows`: its panic for a zero width (and that message) would
    // come along.
    (0..hay.len()).find(|&i| hay.get(i..).is_some_and(|h| h.starts_with(needle)))
}

/// `Retry-After` in ms, from its delta-seconds form. (The HTTP-date form is
/// ignored: the backoff covers it.)
pub fn parse_retry_after(value: &str) -> Option<u32> {
    // `value.trim().parse::<u32>()`, by hand (see `find`), in one pass:
    // `at` 0 before the number (whitespace, then at most one `+`), 1 after
    // the `+`, 2 in the digits, 3 in the whitespace after them.
    let mut at = 0u8;
    let mut secs: u64 = 0;
    for &c in value.as_bytes() {
        let d = c.wrapping_sub(b'0');
        if d <= 9 && at < 3 {
            at = 2;
            secs = secs * 10 + u64::from(d);
            if secs > u64::from(u32::MAX) {
                return None;
            }
        } else if c == b'+' && at == 0 {
            at = 1;
        } else if c.is_ascii_whitespace() && at != 1 {
            at |= at >> 1;
        } else {
            return None;
        }
    }
    (at >= 2).then(|| (secs as u32).saturating_mul(1000))
}

/// The `<Code>` of an S3 XML error body, if any.
pub fn s3_error_code(body: &str) -> Option<&str> {
    let start = find(body.as_bytes(), b"<Code>")? + 6;
    let len = find(body.as_bytes().get(start..)?, b"</Code>")?;
    body.get(start..start + len)
}

/// An adaptive limit on requests in flight (AIMD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    max: u32,
    current: u32,
    successes: u32,
}

impl ConcurrencyLimit {
    /// Starts at `max` (at least 1).
    pub fn new(max: u32) -> Self {
        let max = max.max(1);
        Self {
            max,
            current: max,
            successes: 0,
        }
    }

    /// Requests allowed in flight now.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// The configured ceiling.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The server pushed back (429/503): halve, never below 1.
    pub fn on_throttle(&mut self) {
        self.current = (self.current / 2).max(1);
        self.successes = 0;
    }

    /// A request succeeded: after `current` successes in a row, allow one more.
    pub fn on_success(&mut self) {
        if self.current >= self.max {
            return;
        }
        self.successes += 1;
        if self.successes >= self.current {
            self.current += 1;
            self.successes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classifies_what_s3_and_garage_answer() {
        assert_eq!(classify(None, ""), Verdict::Retry { throttled: false });
        assert_eq!(classify(Some(500), ""), Verdict::Retry { throttled: false });
        assert_eq!(classify(Some(408), ""), Verdict::Retry { throttled: false });
        assert_eq!(classify(Some(429), ""), Verdict::Retry { throttled: true });
        assert_eq!(
            classify(Some(503), "<Code>SlowDown</Code>"),
            Verdict::Retry { throttled: true }
        );
        let aws = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
        assert_eq!(classify(Some(403), aws), Verdict::Resign);
        let garage = "<Error><Code>InvalidRequest</Code><Message>Bad request: Date is too old</Message></Error>";
        assert_eq!(classify(Some(400), garage), Verdict::Resign);
        let bad_sig = "<Error><Code>SignatureDoesNotMatch</Code></Error>";
        assert_eq!(classify(Some(403), bad_sig), Verdict::Fail);
        assert_eq!(
            classify(Some(400), "<Code>InvalidDigest</Code>"),
            Verdict::Fail
        );
        assert_eq!(classify(Some(404), ""), Verdict::Fail);
        assert_eq!(s3_error_code(bad_sig), Some("SignatureDoesNotMatch"));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after("3"), Some(3000));
        assert_eq!(parse_retry_after(" 0 "), Some(0));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        // What `str::trim` + `u32::from_str` accepted, and nothing more.
        assert_eq!(parse_retry_after("+5"), Some(5000));
        assert_eq!(parse_retry_after("\t12\r\n"), Some(12000));
        for bad in ["", "  ", "+", "-1", "1 2", "12a", "4294967296", "1.5"] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
        assert_eq!(parse_retry_after("4294967295"), Some(u32::MAX));
        assert_eq!(s3_error_code("<Code>Open"), None);
        assert_eq!(s3_error_code("<Code></Code>"), Some(""));
        assert_eq!(s3_error_code("ü<Code>ü</Code>"), Some("ü"));
    }

    #[test]
    fn limit_halves_then_climbs_back() {
        let mut l = ConcurrencyLimit::new(6);
        l.on_throttle();
        assert_eq!(l.current(), 3);
        l.on_throttle();
        l.on_throttle();
        l.on_throttle();
        assert_eq!(l.current(), 1);
        for _ in 0..100 {
            l.on_success();
        }
        assert_eq!(l.current(), 6);
    }

    proptest! {
        #[test]
        fn backoff_stays_within_its_cap(retry in 0u32..64, unit in 0.0f64..1.0, base in 1u32..5_000, max in 1u32..120_000) {
            let p = RetryPolicy { max_attempts: 5, base_delay_ms: base, max_delay_ms: max };
            let d = p.delay_ms(retry, unit, None);
            let cap = (u64::from(base) << retry.min(30)).min(u64::from(max));
            prop_assert!(u64::from(d) <= cap);
        }

        #[test]
        fn retry_after_is_trim_and_parse(s in "[ \t\r\n+0-9a-]{0,14}") {
            // The reference: ASCII whitespace trimmed, then `u32::from_str`.
            let want = s
                .trim_matches(|c: char| c.is_ascii_whitespace())
                .parse::<u32>()
                .ok()
                .map(|n| n.saturating_mul(1000));
            prop_assert_eq!(parse_retry_after(&s), want, "{:?}", s);
        }

        #[test]
        fn retry_after_is_honoured(secs in 0u32..60, unit in 0.0f64..1.0) {
            let p = RetryPolicy::default();
            prop_assert!(p.delay_ms(0, unit, Some(secs * 1000)) >= secs * 1000);
        }

        #[test]
        fn limit_stays_between_one_and_max(max in 1u32..64, events in proptest::collection::vec(any::<bool>(), 0..500)) {
            let mut l = ConcurrencyLimit::new(max);
            for throttle in events {
                if throttle { l.on_throttle() } else { l.on_success() }
                prop_assert!(l.current() >= 1 && l.current() <= max);
            }
        }
    }
}
