//! The network going away and the page being suspended: neither is the
//! store's or the signer's fault, so neither burns retries.
//!
//! - Offline (the browser's `offline` event): every upload pauses. Parts in
//!   flight are stopped (the store may have some: the parts are listed
//!   again when the network is back); signer calls end on their own, and a
//!   failure without an answer that arrives while offline only puts its
//!   request back, with no retry counted, no backoff and no limit change.
//!   Online: everything continues.
//! - Suspended (a background tab's throttled timers, a frozen tab, a
//!   sleeping laptop): a wake that comes far later than it was asked for
//!   means the driver could not observe the requests in between, so that
//!   time does not count towards their stall or signer deadlines.

use crate::api::{Failure, FileId};
use crate::engine::{req_file, Engine, Req};
use crate::file::{Body, Phase};

impl Engine {
    /// Failed store requests of `file` counted against the retry budget
    /// (those absorbed while offline are not).
    pub fn retries(&self, file: FileId) -> u32 {
        match self.files.get(&file).map(|f| &f.body) {
            Some(Body::Single(s)) => s.send_failures,
            Some(Body::Multi(m)) => m.parts.iter().map(|p| p.failures).sum(),
            None => 0,
        }
    }

    /// Whether the driver said the network is gone (and not back yet).
    pub fn offline(&self) -> bool {
        self.offline
    }

    pub(crate) fn go_offline(&mut self) {
        if self.offline {
            return;
        }
        self.offline = true;
        // By index, not over a copy: nothing here changes `order`.
        let mut i = 0;
        while let Some(&id) = self.order.get(i) {
            i += 1;
            let Some(f) = self.files.get(&id) else {
                continue;
            };
            // A single request is left to end, as a pause leaves it (see
            // `pause`); its failure while offline is absorbed.
            if f.fatal.is_some() || !matches!(f.body, Body::Multi(_)) {
                continue;
            }
            let stopped = self.stop_data(id);
            if let Some(m) = self.multi_mut(id) {
                m.sync_on_resume |= stopped > 0;
            }
            self.progress(id, true);
        }
    }

    pub(crate) fn go_online(&mut self) {
        if !core::mem::take(&mut self.offline) {
            return;
        }
        for f in self.files.values_mut() {
            if f.paused {
                // A user's pause outlives the outage; resume lists the parts.
                continue;
            }
            if let Body::Multi(m) = &mut f.body {
                if m.phase == Phase::Upload && core::mem::take(&mut m.sync_on_resume) {
                    m.enter(Phase::List);
                }
            }
        }
    }

    /// `req` failed: the outage's doing (put back, uncounted) or its own.
    pub(crate) fn failed(&mut self, req: Req, failure: &Failure) {
        if self.absorbs(&req, failure) {
            self.absorb(&req);
        } else {
            self.on_failed(&req, failure);
        }
    }

    /// Whether a failure of `req` is the outage's, not the request's: it
    /// came without an answer while offline, for a file not winding down.
    pub(crate) fn absorbs(&self, req: &Req, failure: &Failure) -> bool {
        if !self.offline || failure.status.is_some() {
            return false;
        }
        let live = |f: &FileId| self.files.get(f).is_some_and(|x| x.fatal.is_none());
        match req {
            Req::ParamsBatch(files) | Req::Confirm(files) => files.iter().all(live),
            // An old upload's abort is tried once; nothing waits for it.
            Req::Discard => false,
            one => req_file(one).is_some_and(|f| live(&f)),
        }
    }

    /// Puts `req` back as if it had never been sent: no retry is counted,
    /// no backoff, no limit change. What it may have done is remembered
    /// (a complete, a single upload or a part may have reached the store).
    pub(crate) fn absorb(&mut self, req: &Req) {
        self.release(req, true);
        if let &Req::Part(f, n) = req {
            if let Some(m) = self.multi_mut(f) {
                m.queue.push_front(n);
                // It may have landed before the network went.
                m.sync_on_resume = true;
            }
        }
    }

    /// Shifts request deadlines past an interval the driver slept through:
    /// called with the time of the event that ends it. A wake asked for at
    /// `due` that comes more than `suspend_slack_ms` late means the page was
    /// suspended (throttled or frozen timers), and the requests' progress
    /// events, if any, may still be queued behind this one: the whole gap
    /// since the previous event is not counted. A request is excused once
    /// per stretch without progress, so a real stall in a tab whose timers
    /// are always late is still caught, one late wake later.
    pub(crate) fn skip_suspended(&mut self, now: u64) {
        let Some(due) = self.armed.take() else {
            return;
        };
        let slack = self.cfg.suspend_slack_ms;
        if slack == 0 || now <= due.saturating_add(slack) {
            return;
        }
        let gap = now.saturating_sub(self.now);
        for r in self.requests.values_mut() {
            if r.deadline > 0 && !r.excused {
                r.deadline += gap;
                r.excused = true;
            }
        }
    }
}
