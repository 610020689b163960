//! Deciding what runs now: signer calls (capped at `concurrency`), then
//! store requests within the shared AIMD limit, files first come first served.
//!
//! This module makes the pass: which signer call each file needs, the
//! windows of part URLs signed ahead of the sends, and which store request
//! starts next; `window` signs the part URLs a multipart upload needs next,
//! and `calls` builds a file's other signer calls.

use crate::Cat;
use alloc::{borrow::ToOwned, string::String, vec::Vec};

use s3lift_protocol::decimal;
use s3lift_protocol::wire::ChecksumAlgorithm;

use crate::answers::bad_answer;
use crate::api::{Action, FileId};
use crate::engine::{Engine, Req};
use crate::error::{codes, UploadError};
use crate::file::{part_of, Body, Phase};

mod calls;
mod window;

impl Engine {
    pub(crate) fn schedule(&mut self) {
        if self.live_files() == 0 || self.offline {
            return;
        }
        let mut need_params = Vec::new();
        let mut need_confirm = Vec::new();
        let budget = self.params_budget();
        for &id in &self.order.clone() {
            self.schedule_signer(id, &mut need_params, &mut need_confirm, budget);
        }
        // Queued files start in order while the params window has room
        // (with CRC64NVME each asks for its digest first, as it starts).
        while need_params.len() < budget {
            let Some(id) = self.next_queued() else {
                break;
            };
            self.order.push(id);
            self.schedule_signer(id, &mut need_params, &mut need_confirm, budget);
        }
        let order = self.order.clone();
        self.sign_params(&need_params);
        self.issue_confirm(&need_confirm);
        // Store slots go round the files one at a time (as the browser's
        // first-come-first-served pool did), so a huge file does not hold
        // back the small files added after it.
        let n = order.len();
        let start = self.turn.checked_rem(n).unwrap_or(0);
        let mut progressed = true;
        while progressed && self.data_in_flight < self.limit.current() {
            progressed = false;
            for k in 0..n {
                if self.data_in_flight >= self.limit.current() {
                    break;
                }
                let i = (start + k) % n;
                if self.dispatch_one(order[i]) {
                    progressed = true;
                    // The next free slot goes to the file after this one.
                    self.turn = i + 1;
                }
            }
        }
    }

    fn signer_slot(&self) -> bool {
        self.signer_in_flight < self.cfg.concurrency.max(1)
    }

    fn schedule_signer(
        &mut self,
        id: FileId,
        need_params: &mut Vec<FileId>,
        need_confirm: &mut Vec<FileId>,
        params_budget: usize,
    ) {
        #[cfg(test)]
        {
            self.visits += 1;
        }
        let now = self.now;
        let Some(file) = self.files.get_mut(&id) else {
            return;
        };
        if file.paused && file.fatal.is_none() {
            return;
        }
        match &mut file.body {
            Body::Single(s) => {
                if s.stored.is_some() {
                    if s.confirm.ready(now) {
                        need_confirm.push(id);
                    }
                    return;
                }
                if s.sending.is_some() || s.sign.in_flight.is_some() {
                    return;
                }
                if self.cfg.checksum == Some(ChecksumAlgorithm::Crc64nvme) && s.digest.is_none() {
                    // The params request carries the whole file's CRC64NVME.
                    if !s.digesting {
                        s.digesting = true;
                        self.out.push_back(Action::Digest {
                            file: id,
                            part: 1,
                            start: 0,
                            end: file.spec.size,
                            algorithm: ChecksumAlgorithm::Crc64nvme,
                        });
                    }
                    return;
                }
                match &s.params {
                    Some((_, u)) if u.fresh(now) => {}
                    Some(_) if s.maybe_stored => {
                        // New params would mean a new key, and a second object
                        // next to one that may already be stored.
                        let mut e = UploadError::new(
                            codes::URL_EXPIRED,
                            "The upload URL expired after an attempt whose answer was lost",
                        );
                        e.key = s.key().map(str::to_owned);
                        self.fatal(id, e);
                    }
                    _ if s.sign.ready(now)
                        && now >= s.send_wait_until
                        && need_params.len() < params_budget =>
                    {
                        need_params.push(id)
                    }
                    _ => {}
                }
            }
            Body::Multi(m) => {
                if m.discard.is_some() && self.signer_slot() {
                    self.issue_discard(id);
                }
                let Some(m) = self.multi_mut(id) else {
                    return;
                };
                if m.ahead_done.is_some() {
                    // Completed ahead: ends once its parts in flight answered.
                    return self.finish_ahead(id);
                }
                if !m.step.ready(now) && m.phase != Phase::Upload {
                    return;
                }
                match m.phase {
                    Phase::Create => self.issue_create(id),
                    // The recorded upload (at List) or the upload (at
                    // Complete) was found gone: is the object there?
                    Phase::List | Phase::Complete if m.gone.is_some() => need_confirm.push(id),
                    Phase::List | Phase::Abort => self.issue_upload_call(id),
                    // Waiting on the digests of stored parts.
                    Phase::Verify => {}
                    Phase::Complete if m.ahead => self.ahead_again(id),
                    // The missing parts alone, not `completed()`: its list
                    // of every stored part was built only to be dropped.
                    Phase::Complete => {
                        let gap = m.collector.missing();
                        if let Some(&first) = gap.first() {
                            // Each stored part is in the plan, once: stored
                            // and missing make up the plan's count.
                            let count = gap.len() + m.collector.len();
                            let e = UploadError::new(
                                codes::MISSING_PARTS,
                                missing(gap.len(), count, first),
                            );
                            self.fatal(id, e)
                        } else if !self.whole_checksum_pending(id) {
                            self.issue_upload_call(id)
                        }
                    }
                    Phase::Upload => {
                        // Parts whose backoff is over go first.
                        // The latest due first, so that the earliest ends
                        // up in front (no sort: one `sort_small` instance
                        // less in the bundle).
                        loop {
                            let mut last: Option<(usize, (u64, u32))> = None;
                            for (i, w) in m.waiting.iter().enumerate() {
                                if w.0 <= now && last.is_none_or(|(_, l)| *w > l) {
                                    last = Some((i, *w));
                                }
                            }
                            let Some((i, (_, n))) = last else { break };
                            s3lift_protocol::remove_at(&mut m.waiting, i);
                            m.queue.push_front(n);
                        }
                        self.sign_parts(id);
                        self.complete_ahead(id);
                    }
                }
            }
        }
    }

    /// Starts at most one store request for `id`; answers whether it did.
    fn dispatch_one(&mut self, id: FileId) -> bool {
        let (now, window) = (self.now, self.cfg.sign_window());
        let Some(file) = self.files.get_mut(&id) else {
            return false;
        };
        if file.paused || file.fatal.is_some() {
            return false;
        }
        match &mut file.body {
            Body::Single(s) => {
                let ready = s.sending.is_none() && s.stored.is_none() && now >= s.send_wait_until;
                let Some((p, _)) = s.params.as_ref().filter(|(_, u)| ready && u.fresh(now)) else {
                    return false;
                };
                let params = p.clone();
                let rid = self.issue(Req::Single(id));
                self.out.push_back(Action::SendSingle {
                    id: rid,
                    file: id,
                    params,
                });
                true
            }
            Body::Multi(m) => {
                let Some(plan) = m.plan.filter(|_| m.phase == Phase::Upload) else {
                    return false;
                };
                // The first with a fresh URL, by a counting loop: no
                // `position` instance over the window.
                let (mut i, mut pick) = (0, None);
                for n in m.queue.iter().take(window) {
                    if part_of(&m.parts, *n)
                        .url
                        .as_ref()
                        .is_some_and(|u| u.fresh(now))
                    {
                        pick = Some(i);
                        break;
                    }
                    i += 1;
                }
                let Some(n) = pick.and_then(|i| m.queue.remove(i)) else {
                    return false;
                };
                let (Some(u), Some(range)) = (&m.part(n).url, plan.part(n)) else {
                    self.fatal(
                        id,
                        bad_answer("Unexpected signer answer: a part outside the plan"),
                    );
                    return false;
                };
                // Its fields cloned, not the `Option<SignedUrl>`: no clone
                // instance for that type.
                let (url, headers) = (u.url.clone(), u.headers.clone());
                let rid = self.issue(Req::Part(id, n));
                self.out.push_back(Action::SendPart {
                    id: rid,
                    file: id,
                    part: n,
                    url,
                    headers,
                    start: range.start,
                    end: range.end,
                });
                true
            }
        }
    }
}

/// The missing parts' message (`MissingParts`' facts), without
/// `core::fmt` (the bundle's size).
fn missing(missing: usize, count: usize, first: u32) -> String {
    [
        &decimal(missing as u64),
        " of ",
        &decimal(count as u64),
        " parts are missing (first: part ",
        &decimal(u64::from(first)),
        ")",
    ]
    .cat()
}

#[cfg(test)]
mod tests {
    #[test]
    fn missing_parts_message() {
        assert_eq!(
            super::missing(2, 5, 3),
            "2 of 5 parts are missing (first: part 3)"
        );
    }
}
