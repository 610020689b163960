//! Failed requests, routed by what they were for: signer calls back off
//! on their step (or fall back when a batch route is missing), store
//! requests and multipart steps go to the retry policy in `failures`.

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::retry::Verdict;

use crate::api::{Failure, FileId};
use crate::engine::{Engine, Req};
use crate::error::UploadError;
use crate::file::{Body, Step};

impl Engine {
    pub(crate) fn on_failed(&mut self, req: Req, failure: Failure) {
        match req {
            Req::ParamsBatch(files) => {
                let missing_route = no_route(&failure);
                if missing_route {
                    // A Companion-only peer: sign file by file from now on.
                    self.batch_params = false;
                }
                for f in files {
                    let Some(s) = self.single_mut(f) else {
                        continue;
                    };
                    s.sign.in_flight = None;
                    if !missing_route {
                        self.signer_step_failed(f, &failure, single_sign);
                    }
                }
            }
            Req::Params(f) => {
                if let Some(s) = self.single_mut(f) {
                    s.sign.in_flight = None;
                }
                self.signer_step_failed(f, &failure, single_sign);
            }
            Req::Create(f) | Req::List(f) | Req::Complete(f) | Req::Abort(f) => {
                self.multi_step_failed(f, req, failure)
            }
            Req::SignParts(f, parts) => {
                let Some(m) = self.multi_mut(f) else { return };
                m.signing -= 1;
                for n in parts {
                    m.part(n).signing = false;
                }
                if no_route(&failure) {
                    // No batch route: sign part by part.
                    self.batch_parts = false;
                    return;
                }
                self.signer_step_failed(f, &failure, multi_sign);
            }
            Req::SignPart(f, n) => {
                let Some(m) = self.multi_mut(f) else { return };
                m.signing -= 1;
                m.part(n).signing = false;
                self.signer_step_failed(f, &failure, multi_sign);
            }
            Req::Single(f) => self.single_failed(f, failure),
            Req::Confirm(files) => {
                self.confirming = false;
                for f in files {
                    self.confirm_failed(f, failure.clone());
                }
            }
            Req::Part(f, n) => self.part_failed(f, n, failure),
            Req::Discard => {}
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
        let retryable = matches!(failure.verdict(), Verdict::Retry { .. } | Verdict::Resign);
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
        let e = UploadError::signer_gave_up(failure, retryable);
        self.fatal(f, e);
        false
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
fn no_route(f: &Failure) -> bool {
    matches!(f.status, Some(404 | 405))
        && f.code.as_deref() != Some(ErrorCode::NoSuchUpload.as_str())
}

/// `no_such_upload`: the upload is gone (completed, aborted or expired).
pub(crate) fn is_gone(f: &Failure) -> bool {
    f.code.as_deref() == Some(ErrorCode::NoSuchUpload.as_str()) || matches!(f.status, Some(404))
}
