//! Failed store requests and failed multipart signer calls: the same
//! verdicts, backoff and limits for every kind.

use crate::Cat;
use s3lift_protocol::decimal;
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::retry::Verdict;

use crate::answers::{is_gone, no_route};
use crate::api::{Action, Failure, FileId};
use crate::engine::{Engine, Req};
use crate::error::{codes, UploadError};
use crate::file::{Body, Phase, Step};

/// Re-signs of one URL before the clock is blamed.
const MAX_RESIGNS: u32 = 3;

impl Engine {
    /// A failed single upload (`release` has undone its send).
    pub(crate) fn single_failed(&mut self, f: FileId, failure: &Failure) {
        let (now, max) = (self.now, self.cfg.retry);
        let Some(s) = self.single_mut(f) else { return };
        match failure.verdict() {
            Verdict::Retry { throttled } => {
                s.send_failures += 1;
                let n = s.send_failures;
                if throttled {
                    self.limit.on_throttle();
                }
                if !max.allows(n) {
                    let e = UploadError::new(
                        codes::RETRIES_EXHAUSTED,
                        "The upload kept failing; giving up after retries",
                    );
                    return self.fatal(f, e.with_status(failure.status));
                }
                let wait = self.delay(n - 1, failure.retry_after_ms);
                if let Some(s) = self.single_mut(f) {
                    // The params (and so the key) are kept: see `Single::params`.
                    s.send_wait_until = now + wait;
                }
            }
            Verdict::Resign => {
                s.resigns += 1;
                if let Some((_, u)) = &mut s.params {
                    u.expires_at = 0;
                }
                if s.resigns > MAX_RESIGNS {
                    self.fatal(f, expired());
                }
            }
            Verdict::Fail => self.fatal(f, UploadError::from_store(failure)),
        }
    }

    /// A failed part (`release` has undone its send).
    pub(crate) fn part_failed(&mut self, f: FileId, n: u32, failure: &Failure) {
        let (now, max) = (self.now, self.cfg.retry);
        let Some(m) = self.multi_mut(f) else { return };
        let part = m.part(n);
        match failure.verdict() {
            Verdict::Retry { throttled } => {
                part.failures += 1;
                let tries = part.failures;
                if throttled {
                    self.limit.on_throttle();
                }
                if !max.allows(tries) {
                    let e = UploadError::new(
                        codes::RETRIES_EXHAUSTED,
                        [
                            "Part ",
                            &decimal(u64::from(n)),
                            " kept failing; giving up after ",
                            &decimal(u64::from(tries)),
                            " attempts",
                        ]
                        .cat(),
                    );
                    return self.fatal(f, e.with_status(failure.status));
                }
                let wait = self.delay(tries - 1, failure.retry_after_ms);
                if let Some(m) = self.multi_mut(f) {
                    m.waiting.push((now + wait, n));
                }
            }
            Verdict::Resign => {
                part.url = None;
                part.resigns += 1;
                if part.resigns > MAX_RESIGNS {
                    return self.fatal(f, expired());
                }
                m.queue.push_front(n);
            }
            Verdict::Fail if m.complete_maybe_done && !m.ahead && is_gone(failure) => {
                // A complete went out (the record's page's, which may have
                // gone ahead of this part's bytes and waited for them to
                // land): the upload is gone because it is done, or aborted.
                // The object at its key decides, as when ListParts finds
                // the record's upload gone.
                m.gone = Some(UploadError::from_store(failure));
                self.stop_data(f);
                if let Some(m) = self.multi_mut(f) {
                    m.enter(Phase::Complete);
                }
                if !self.confirm_route {
                    self.assumed_complete(f);
                }
            }
            Verdict::Fail => self.fatal(f, UploadError::from_store(failure)),
        }
    }

    /// A failed create, list, complete or abort call (`release` has
    /// cleared its step's call and noted a complete that may have applied).
    pub(crate) fn multi_step_failed(&mut self, f: FileId, req: &Req, failure: &Failure) {
        if matches!(req, Req::Complete(_)) && self.ahead_failed(f, failure) {
            return;
        }
        let Some(file) = self.files.get_mut(&f) else {
            return;
        };
        let fatal = file.fatal.is_some();
        let Body::Multi(m) = &mut file.body else {
            return;
        };
        let in_body = core::mem::take(&mut m.complete_in_body);
        if in_body && no_route(failure) {
            // A signer replica older than the in-body route (a rolling
            // upgrade): the path route, at once and from now on. Nothing was
            // completed, and it counts as no failure.
            self.complete_in_body = Some(false);
            return;
        }
        let retryable = failure.retryable();
        m.step.failures += 1;
        let tries = m.step.failures;
        // An abort is worth more tries: giving up leaves the upload to the
        // bucket's lifecycle rule.
        let budget = if matches!(req, Req::Abort(_)) { 2 } else { 1 };
        let allowed = retryable && tries < self.cfg.retry.max_attempts.saturating_mul(budget);
        // A resumed upload may have parts in the store that an earlier run's
        // requests were still writing when it died; the store's complete can
        // trip on them (`invalid_parts`) until they land or time out. List
        // the parts again and retry, within the retry policy.
        let stray = m.resumed
            && matches!(req, Req::Complete(_))
            && failure.is(ErrorCode::InvalidParts)
            && m.stray_retries + 1 < self.cfg.retry.max_attempts;
        if stray || allowed {
            let retry = if stray {
                m.stray_retries += 1;
                m.stray_retries - 1
            } else {
                tries - 1
            };
            let wait = self.delay(retry, failure.retry_after_ms);
            let now = self.now;
            if let Some(m) = self.multi_mut(f) {
                if stray {
                    m.enter(Phase::List);
                }
                m.step.wait_until = now + wait;
            }
            return;
        }
        match *req {
            Req::Create(_) if fatal => self.after_abort(f),
            Req::Abort(_) => self.after_abort(f),
            Req::List(_) | Req::Complete(_)
                if is_gone(failure)
                    && self.confirm_route
                    && match req {
                        Req::List(_) => m.from_record || m.complete_maybe_done,
                        _ => m.complete_maybe_done || m.resumed,
                    } =>
            {
                // At List: the recorded upload is gone: aborted or expired,
                // or completed, by this file's complete whose answer a
                // reload lost, or by another tab; or, listed again after a
                // pause or an outage, completed by this page's complete
                // whose answer was lost. At Complete: completed by
                // an earlier complete of ours whose answer was lost, or by
                // another tab that held this resumed upload; or aborted.
                // The key is this upload's own: an object of the file's
                // size there is its object. Ask the signer (`confirm`)
                // before deciding; not there, a record starts afresh.
                m.gone = Some(UploadError::signer_gave_up(failure));
                m.step = Step::default();
            }
            Req::List(_) if m.complete_maybe_done && is_gone(failure) => {
                // Gone after a complete went out (this page's, or the
                // record's page's), and no way to ask (Companion): that
                // complete went through.
                self.assumed_complete(f)
            }
            Req::List(_) if m.from_record && matches!(failure.status, Some(403 | 404)) => {
                // Gone or refused, and no way to ask: start afresh.
                self.record_gone(f)
            }
            Req::Complete(_) if m.complete_maybe_done && is_gone(failure) => {
                // A peer without the confirm route: an earlier complete,
                // whose answer was lost, did complete it.
                self.assumed_complete(f);
            }
            _ => self.step_failed_for_good(f, UploadError::signer_gave_up(failure)),
        }
    }

    /// The upload of `f`'s resume record is gone and no object stands for
    /// it: the record is forgotten and the file starts afresh, with nothing
    /// of the record's upload (its plan, its `completing` mark) carried over.
    pub(crate) fn record_gone(&mut self, f: FileId) {
        let Some(file) = self.files.get_mut(&f) else {
            return;
        };
        let fingerprint = file.spec.fingerprint.clone();
        let Body::Multi(m) = &mut file.body else {
            return;
        };
        **m = crate::file::Multi::new();
        if let Some(fingerprint) = fingerprint {
            self.out.push_back(Action::ForgetResume {
                file: f,
                fingerprint,
            });
        }
    }

    /// Fails `f` with `e` after its create, list or complete failed for good.
    pub(crate) fn step_failed_for_good(&mut self, f: FileId, mut e: UploadError) {
        if let Some(m) = self.multi_mut(f) {
            // Complete failed for good: a cancel that waited on it applies now.
            if core::mem::take(&mut m.cancel_after_complete) {
                e = UploadError::cancelled();
            }
            if m.phase == Phase::Complete {
                m.phase = Phase::Upload;
            }
        }
        self.fatal(f, e);
    }

    /// Finishes `f` as completed by a complete whose answer was lost, where
    /// the signer has no confirm route to check the object with.
    pub(crate) fn assumed_complete(&mut self, f: FileId) {
        let Some(m) = self.multi_mut(f) else { return };
        // Found gone from a resume record: this file's upload, resumed.
        m.resumed |= m.from_record;
        if let Some(mut outcome) = m.outcome() {
            outcome.confirmed = true;
            self.finish(f, Ok(outcome));
        }
    }
}

fn expired() -> UploadError {
    UploadError::new(
        codes::URL_EXPIRED,
        "Upload URLs keep expiring: is this computer's clock right?",
    )
}
