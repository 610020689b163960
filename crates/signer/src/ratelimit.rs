//! Per-caller rate limiting: a token bucket per caller, refilled continuously.
//!
//! The buckets live in each replica's memory. That keeps the signer free of
//! shared state: behind N replicas a caller gets at most N times the rate,
//! which is what the setting documents.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token bucket per caller: `per_minute` requests per minute, bursts up to
/// the same number.
pub struct RateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Above this many callers, idle buckets (full again) are dropped.
const MAX_TRACKED: usize = 100_000;

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per minute per caller.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `caller` at `now`, or says how many seconds to wait.
    pub fn check(&self, caller: &str, now: Instant) -> Result<(), u64> {
        self.check_n(caller, 1, now)
    }

    /// Charges `cost` tokens at once (a batch of part URLs). It passes when
    /// the caller has a token left, and may take the bucket below zero: the
    /// caller then waits until it is refilled past one, so a batch larger than
    /// the bucket still goes through once, and the average rate holds.
    pub fn check_n(&self, caller: &str, cost: u32, now: Instant) -> Result<(), u64> {
        let rate = self.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(caller) {
            let full_after = Duration::from_secs_f64(self.per_minute / rate);
            buckets.retain(|_, b| now.duration_since(b.last) < full_after);
        }
        let b = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.per_minute,
            last: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(self.per_minute);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= f64::from(cost.max(1));
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills() {
        let l = RateLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(l.check("a", t0).is_ok());
        }
        assert_eq!(l.check("a", t0), Err(1));
        assert!(l.check("b", t0).is_ok(), "callers are separate");
        assert!(l.check("a", t0 + Duration::from_millis(1_000)).is_ok());
        assert!(l.check("a", t0 + Duration::from_millis(1_000)).is_err());
    }

    #[test]
    fn a_batch_costs_its_size_and_leaves_a_debt() {
        let l = RateLimiter::new(60);
        let t0 = Instant::now();
        assert!(
            l.check_n("a", 100, t0).is_ok(),
            "a full bucket takes a batch"
        );
        assert_eq!(
            l.check_n("a", 1, t0),
            Err(41),
            "40 in debt: 41 s to one token"
        );
        assert!(l.check_n("a", 1, t0 + Duration::from_secs(41)).is_ok());
    }
}
