//! Failed requests, routed by what they were for: signer calls back off
//! on their step (or fall back when a batch route is missing), store
//! requests and multipart steps go to the retry policy in `failures`.

use s3lift_protocol::error_code::ErrorCode;

use crate::api::{Failure, FileId, RequestId};
use crate::engine::{Engine, Req};
use crate::error::UploadError;
use crate::file::{Body, Step};

impl Engine {
    pub(crate) fn on_failed(&mut self, req: &Req, failure: &Failure) {
        self.release(req, failure.maybe_applied());
        self.failed_released(req, failure);
    }

    /// `on_failed` once `release` has undone the request's marks.
    pub(crate) fn failed_released(&mut self, req: &Req, failure: &Failure) {
        match req {
            Req::ParamsBatch(files) => {
                let missing_route = no_route(failure);
                if missing_route {
                    // A Companion-only peer: sign file by file from now on.
                    self.batch_params = false;
                    return;
                }
                for &f in files {
                    self.signer_step_failed(f, failure, single_sign);
                }
            }
            &Req::Params(f) => {
                self.signer_step_failed(f, failure, single_sign);
            }
            &(Req::Create(f) | Req::List(f) | Req::Complete(f) | Req::Abort(f)) => {
                self.multi_step_failed(f, req, failure)
            }
            &Req::SignParts(f, _) if no_route(failure) => {
                if self.multi_mut(f).is_some() {
                    // No batch route: sign part by part.
                    self.batch_parts = false;
                }
            }
            &(Req::SignParts(f, _) | Req::SignPart(f, _)) => {
                self.signer_step_failed(f, failure, multi_sign);
            }
            &Req::Single(f) => self.single_failed(f, failure),
            Req::Confirm(files) => {
                for &f in files {
                    self.confirm_failed(f, failure);
                }
            }
            &Req::Part(f, n) => self.part_failed(f, n, failure),
            Req::Discard => {}
        }
    }

    /// What a request that ended without its answer leaves to undo, failed
    /// or absorbed alike: its file's marks of a call or a send in flight.
    /// `applied`: it may have reached the store (a single upload, a
    /// complete) and taken effect.
    pub(crate) fn release(&mut self, req: &Req, applied: bool) {
        self.mark(req, None, applied);
    }

    /// Sets (`on`: the request's id, as it is issued) or clears (`None`,
    /// `release`) its file's marks of a call or a send in flight: one
    /// place for both, so that they stay each other's inverse.
    pub(crate) fn mark(&mut self, req: &Req, on: Option<RequestId>, applied: bool) {
        let up = on.is_some();
        match *req {
            Req::Discard => {}
            Req::ParamsBatch(ref files) => {
                for f in files {
                    if let Some(s) = self.single_mut(*f) {
                        s.sign.in_flight = on;
                    }
                }
            }
            Req::Params(f) => {
                if let Some(s) = self.single_mut(f) {
                    s.sign.in_flight = on;
                }
            }
            Req::Confirm(ref files) => {
                self.confirming = up;
                for f in files {
                    if let Some(step) = self.confirm_step(*f) {
                        step.in_flight = on;
                    }
                }
            }
            Req::Create(f) | Req::List(f) | Req::Complete(f) | Req::Abort(f) => {
                if let Some(m) = self.multi_mut(f) {
                    m.step.in_flight = on;
                    m.complete_maybe_done |= applied && matches!(req, Req::Complete(_));
                }
            }
            Req::SignParts(f, ref parts) => {
                if let Some(m) = self.multi_mut(f) {
                    count(&mut m.signing, up);
                    for n in parts {
                        m.part(*n).signing = up;
                    }
                }
            }
            Req::SignPart(f, n) => {
                if let Some(m) = self.multi_mut(f) {
                    count(&mut m.signing, up);
                    m.part(n).signing = up;
                }
            }
            Req::Single(f) | Req::Part(f, _) => {
                let part = match *req {
                    Req::Part(_, n) => Some(n),
                    _ => None,
                };
                let Some(file) = self.files.get_mut(&f) else {
                    return;
                };
                // (Issued: its part has no bytes of an attempt to count.)
                file.tracker.retry_part(part.unwrap_or(1));
                match (&mut file.body, part) {
                    (Body::Single(s), None) => {
                        s.sending = on;
                        s.maybe_stored |= applied;
                    }
                    (Body::Multi(m), Some(n)) => {
                        count(&mut m.sending, up);
                        m.part(n).sending = on;
                    }
                    _ => {}
                }
            }
        }
    }

    /// Counts a failed signer call on `step`: backs off, or fails the file.
    /// Answers whether a retry is coming.
    fn signer_step_failed(
        &mut self,
        f: FileId,
        failure: &Failure,
        // A fn pointer, not a generic: one instance for every step.
        step: fn(&mut crate::file::File) -> Option<&mut Step>,
    ) -> bool {
        let retryable = failure.retryable();
        let Some(file) = self.files.get_mut(&f) else {
            return false;
        };
        let Some(st) = step(file) else { return false };
        st.failures += 1;
        let failures = st.failures;
        if retryable && self.cfg.retry.allows(failures) {
            let wait = self.delay(failures - 1, failure.retry_after_ms);
            let now = self.now;
            if let Some(st) = self.files.get_mut(&f).and_then(|f| step(f)) {
                st.wait_until = now + wait;
            }
            return true;
        }
        let e = UploadError::signer_gave_up(failure);
        self.fatal(f, e);
        false
    }
}

/// One more (`up`) or one less in flight.
fn count(n: &mut u32, up: bool) {
    if up {
        *n += 1;
    } else {
        *n -= 1;
    }
}

fn single_sign(file: &mut crate::file::File) -> Option<&mut Step> {
    match &mut file.body {
        Body::Single(s) => Some(&mut s.sign),
        Body::Multi(_) => None,
    }
}

fn multi_sign(file: &mut crate::file::File) -> Option<&mut Step> {
    match &mut file.body {
        Body::Multi(m) => Some(&mut m.sign),
        Body::Single(_) => None,
    }
}

/// A 404/405 that means the route does not exist (a Companion-only peer),
/// not that the upload is gone.
pub(crate) fn no_route(f: &Failure) -> bool {
    matches!(f.status, Some(404 | 405)) && !f.is(ErrorCode::NoSuchUpload)
}

/// `no_such_upload`: the upload is gone (completed, aborted or expired).
pub(crate) fn is_gone(f: &Failure) -> bool {
    f.is(ErrorCode::NoSuchUpload) || matches!(f.status, Some(404))
}
