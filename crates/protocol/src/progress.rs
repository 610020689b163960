//! Byte progress of one upload, its speed and its ETA.
//!
//! Each part reports the bytes it has sent so far; the total never counts a
//! byte twice and never exceeds the file size. A part that will be sent
//! again ([`ProgressTracker::retry_part`]) keeps the bytes its failed attempt
//! reached until the retry overtakes them, so the reported total never moves
//! backwards. Speed is measured over a sliding window of recent samples.

use alloc::vec::Vec;

/// A snapshot for `onProgress`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Bytes acknowledged or in flight, without double counting.
    pub bytes_sent: u64,
    /// File size.
    pub total_bytes: u64,
    /// Moving average over the last few seconds.
    pub bytes_per_second: f64,
    /// Seconds left at that speed; `None` before the speed is known.
    pub eta_seconds: Option<f64>,
}

/// Per-part byte accounting for one upload.
#[derive(Debug, Clone, Default)]
pub struct ProgressTracker {
    total: u64,
    done: u64,
    /// (part, bytes of the attempt in flight, bytes a failed earlier attempt
    /// reached) of parts not stored yet (a vector: a handful at a time). A
    /// part counts the larger of the two.
    in_flight: Vec<(u32, u64, u64)>,
    resent: u64,
}

impl ProgressTracker {
    /// An upload of `total` bytes, nothing sent.
    pub fn new(total: u64) -> Self {
        Self {
            total,
            ..Self::default()
        }
    }

    /// Starts over from `done` stored bytes (after asking the store), keeping
    /// the count of re-sent bytes. Parts `stored` says the store has lose
    /// their entries (`done` counts them); the others keep what their
    /// attempts reached until a new attempt overtakes it.
    pub fn restart_from(&mut self, done: u64, stored: impl Fn(u32) -> bool) {
        // In place (the order of `in_flight` means nothing: `take` swaps too).
        let mut i = 0;
        while let Some(e) = self.in_flight.get_mut(i) {
            let (n, b, held) = *e;
            self.resent += b;
            if !stored(n) && b.max(held) > 0 {
                *e = (n, 0, b.max(held));
                i += 1;
            } else {
                crate::swap_remove_at(&mut self.in_flight, i);
            }
        }
        self.done = done.min(self.total);
    }

    /// Part `n` has sent `bytes` of its current attempt.
    pub fn set_part(&mut self, n: u32, bytes: u64) {
        match self.entry(n) {
            Some(e) => e.1 = bytes,
            None => self.in_flight.push((n, bytes, 0)),
        }
    }

    /// Part `n`'s attempt failed: its bytes no longer count (they will be re-sent).
    pub fn reset_part(&mut self, n: u32) {
        if let Some((b, _)) = self.take(n) {
            self.resent += b;
        }
    }

    /// Part `n`'s attempt failed or was stopped, and the part will be sent
    /// again: its bytes count as re-sent, but the total keeps what the
    /// attempt reached until the next attempt overtakes it (progress never
    /// moves backwards).
    pub fn retry_part(&mut self, n: u32) {
        if let Some(e) = self.entry(n) {
            let b = e.1;
            e.2 = e.2.max(b);
            e.1 = 0;
            self.resent += b;
        }
    }

    // Part `n`'s entry: one search for `set_part` and `retry_part`.
    #[inline(never)]
    fn entry(&mut self, n: u32) -> Option<&mut (u32, u64, u64)> {
        self.in_flight.iter_mut().find(|e| e.0 == n)
    }

    /// Part `n` is stored with `len` bytes.
    pub fn complete_part(&mut self, n: u32, len: u64) {
        self.take(n);
        self.done = (self.done + len).min(self.total);
    }

    /// The whole file is stored (parts whose answers never came too).
    pub fn complete_all(&mut self) {
        self.done = self.total;
    }

    /// Bytes counted now, at most the total.
    pub fn bytes_sent(&self) -> u64 {
        let parts: u64 = self.in_flight.iter().map(|e| e.1.max(e.2)).sum();
        (self.done + parts).min(self.total)
    }

    fn take(&mut self, n: u32) -> Option<(u64, u64)> {
        let i = self.in_flight.iter().position(|e| e.0 == n)?;
        let (_, b, held) = crate::swap_remove_at(&mut self.in_flight, i);
        Some((b, held))
    }

    /// Bytes sent by attempts that failed and were thrown away.
    pub fn bytes_resent(&self) -> u64 {
        self.resent
    }

    /// File size.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Speed over a sliding time window.
#[derive(Debug, Clone)]
pub struct SpeedMeter {
    window_ms: f64,
    samples: Vec<(f64, u64)>,
}

impl Default for SpeedMeter {
    fn default() -> Self {
        Self::new(5_000.0)
    }
}

impl SpeedMeter {
    /// A meter averaging over `window_ms`.
    pub fn new(window_ms: f64) -> Self {
        Self {
            window_ms,
            samples: Vec::new(),
        }
    }

    /// Records that `bytes` had been sent at time `now_ms`.
    pub fn sample(&mut self, now_ms: f64, bytes: u64) {
        self.samples.push((now_ms, bytes));
        let horizon = now_ms - self.window_ms;
        // Drop samples older than the window, keeping at least two (a loop:
        // `take_while` and `count` are adapters' code in the browser bundle).
        let keep_from = self.samples.len().saturating_sub(2);
        let mut drop = 0;
        while drop < keep_from && self.samples.get(drop).is_some_and(|s| s.0 < horizon) {
            drop += 1;
        }
        crate::drop_front(&mut self.samples, drop);
    }

    /// Bytes per second over the window (0 until two samples exist).
    pub fn bytes_per_second(&self) -> f64 {
        match (self.samples.first(), self.samples.last()) {
            (Some((t0, b0)), Some((t1, b1))) if t1 > t0 && b1 >= b0 => {
                (b1 - b0) as f64 * 1000.0 / (t1 - t0)
            }
            _ => 0.0,
        }
    }

    /// A full snapshot for `tracker`.
    pub fn progress(&self, tracker: &ProgressTracker) -> Progress {
        let sent = tracker.bytes_sent();
        let speed = self.bytes_per_second();
        let left = tracker.total().saturating_sub(sent);
        let eta = if left == 0 {
            Some(0.0)
        } else if speed > 0.0 {
            Some(left as f64 / speed)
        } else {
            None
        };
        Progress {
            bytes_sent: sent,
            total_bytes: tracker.total(),
            bytes_per_second: speed,
            eta_seconds: eta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parts_add_up_and_failures_are_taken_back() {
        let mut t = ProgressTracker::new(100);
        t.set_part(1, 30);
        t.set_part(2, 20);
        assert_eq!(t.bytes_sent(), 50);
        t.reset_part(2);
        assert_eq!(t.bytes_sent(), 30);
        assert_eq!(t.bytes_resent(), 20);
        t.complete_part(1, 50);
        assert_eq!(t.bytes_sent(), 50);
        t.complete_part(2, 50);
        assert_eq!(t.bytes_sent(), 100);
    }

    #[test]
    fn a_retried_part_keeps_its_bytes_until_the_retry_overtakes_them() {
        let mut t = ProgressTracker::new(100);
        t.set_part(1, 30);
        t.set_part(2, 20);
        t.retry_part(2);
        assert_eq!(t.bytes_sent(), 50, "the failed attempt's 20 bytes stay");
        assert_eq!(t.bytes_resent(), 20);
        t.set_part(2, 5);
        assert_eq!(t.bytes_sent(), 50, "the retry is behind: still 20");
        t.set_part(2, 35);
        assert_eq!(t.bytes_sent(), 65, "the retry overtook them");
        t.retry_part(1);
        // The store has part 2 after all, not part 1: part 1 keeps its 30.
        t.restart_from(50, |n| n == 2);
        assert_eq!(t.bytes_sent(), 80);
        t.complete_part(1, 50);
        assert_eq!(t.bytes_sent(), 100);
    }

    #[test]
    fn speed_and_eta() {
        let mut m = SpeedMeter::new(5_000.0);
        let mut t = ProgressTracker::new(10_000);
        assert_eq!(m.progress(&t).eta_seconds, None);
        m.sample(0.0, 0);
        t.set_part(1, 1_000);
        m.sample(1_000.0, 1_000);
        let p = m.progress(&t);
        assert!((p.bytes_per_second - 1_000.0).abs() < 1e-9);
        assert!((p.eta_seconds.unwrap() - 9.0).abs() < 1e-9);
        // Old samples leave the window.
        m.sample(20_000.0, 1_000);
        m.sample(21_000.0, 3_000);
        assert!((m.bytes_per_second() - 2_000.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn never_above_total_never_negative(ops in proptest::collection::vec((0u8..4, 1u32..8, 0u64..200), 0..300)) {
            let total = 700;
            let mut t = ProgressTracker::new(total);
            for (op, n, b) in ops {
                match op {
                    0 => t.set_part(n, b.min(100)),
                    1 => t.reset_part(n),
                    3 => t.retry_part(n),
                    _ => t.complete_part(n, b.min(100)),
                }
                prop_assert!(t.bytes_sent() <= total);
            }
        }
    }
}
