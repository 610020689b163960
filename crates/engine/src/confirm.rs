//! A single-request upload is stored: report it with
//! `POST /s3/params/complete` (docs/protocol.md, extension; up to 100 keys
//! per call), so the signer checks the object and fires its
//! `upload.completed` webhook. S3
//! never tells the signer about a presigned PUT or POST, so without this
//! call small files would go unreported.
//!
//! What each answer does (the object is already stored):
//! - 200: confirmed; `location` and `etag` are the signer's (from its HEAD).
//! - 413 `too_large` (the signer deleted the object) or 404 `no_such_key`
//!   (the store does not hold it): the upload fails with that code.
//! - any other 404, or a 405 (Companion, which lacks the route): remembered,
//!   never asked again, and the upload succeeds unconfirmed.
//! - anything else, once the retry policy gives up (network, 5xx, 429, an
//!   expired token): the upload succeeds with `confirmed: false` rather than
//!   failing a file the store holds; the app can tell that no webhook was sent.

use alloc::{string::String, vec::Vec};

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::wire::{ErrorBody, ObjectChecksum, SingleCompleteResponse};

use crate::api::{Action, Failure, FileId, Outcome};
use crate::engine::{Engine, Req};
use crate::error::{known_code, status_of_batch_item, UploadError};
use crate::file::{Body, Phase, Step};

/// Keys per confirm call (the signer's limit).
const MAX_CONFIRM_BATCH: usize = 100;

impl Engine {
    /// Reports stored files, up to 100 in one call, one call at a time:
    /// files stored while it is in flight go together in the next.
    pub(crate) fn issue_confirm(&mut self, need: &[FileId]) {
        let busy = self.confirming || self.signer_in_flight >= self.cfg.concurrency.max(1);
        if need.is_empty() || busy {
            return;
        }
        let need = need.get(..MAX_CONFIRM_BATCH).unwrap_or(need);
        let mut files = Vec::with_capacity(need.len());
        let mut keys = Vec::with_capacity(need.len());
        for &f in need {
            let key = match self.files.get(&f).map(|x| &x.body) {
                Some(Body::Single(s)) => s.stored.as_ref().map(|o| o.key.clone()),
                // A multipart upload that complete found gone.
                Some(Body::Multi(m)) => m.upload.as_ref().map(|u| u.key.clone()),
                None => None,
            };
            if let Some(key) = key {
                files.push(f);
                keys.push(key);
            }
        }
        if files.is_empty() {
            return;
        }
        let rid = self.issue(Req::Confirm(files.clone()));
        self.out.push_back(Action::Confirm {
            id: rid,
            files,
            keys,
        });
    }

    /// The answer of a confirm call: one entry per file, in order.
    pub(crate) fn confirmed(
        &mut self,
        files: &[FileId],
        items: &mut [Result<SingleCompleteResponse, ErrorBody>],
    ) {
        self.confirming = false;
        for (i, &f) in files.iter().enumerate() {
            // Borrowed (what is kept is taken out): the answer is dropped
            // once, by its caller.
            let failure = match items.get_mut(i) {
                Some(Ok(c)) => {
                    self.confirmed_one(f, c);
                    continue;
                }
                Some(Err(body)) => Failure {
                    status: Some(status_of_batch_item(known_code(&body.code))),
                    code: Some(core::mem::take(&mut body.code)),
                    ..Failure::default()
                },
                // The answer is short of this key: the retry policy decides.
                None => Failure::coded(200, ErrorCode::BadAnswer),
            };
            self.confirm_failed(f, &failure);
        }
    }

    /// The step of `f`'s confirm call: a stored single upload's, or the
    /// step of a multipart upload that complete found gone.
    pub(crate) fn confirm_step(&mut self, f: FileId) -> Option<&mut Step> {
        match &mut self.files.get_mut(&f)?.body {
            Body::Single(s) => Some(&mut s.confirm),
            Body::Multi(m) => Some(&mut m.step),
        }
    }

    fn confirmed_one(&mut self, f: FileId, c: &mut SingleCompleteResponse) {
        let Some(file) = self.files.get_mut(&f) else {
            return;
        };
        let size = file.spec.size;
        let outcome = match &mut file.body {
            Body::Single(s) => s.stored.take(),
            // Another object than this upload's is not its to report.
            Body::Multi(m) if m.gone.is_some() && c.size != size => {
                return self.confirm_failed(f, &Failure::coded(404, ErrorCode::NoSuchKey));
            }
            Body::Multi(m) => {
                // Found from a resume record: this file's upload, resumed.
                m.resumed |= m.from_record;
                m.gone.take().and_then(|_| m.outcome())
            }
        };
        let Some(outcome) = outcome else {
            return;
        };
        let take = core::mem::take::<String>;
        let (bucket, etag) = (Some(take(&mut c.bucket)), Some(take(&mut c.etag)));
        let location = take(&mut c.location);
        self.finish(
            f,
            Ok(checked(outcome, bucket, location, etag, c.checksum.take())),
        );
    }

    /// A confirm call failed for `f`: retried by the policy, unless the
    /// signer refused the object or has no such route. A stored single
    /// upload then succeeds unconfirmed (refused: fails); a multipart upload
    /// that complete found gone fails with complete's error (but counts as
    /// done without the route when our own lost complete may have done it);
    /// one whose resume record named an upload found gone starts afresh.
    pub(crate) fn confirm_failed(&mut self, f: FileId, failure: &Failure) {
        let (now, retry) = (self.now, self.cfg.retry);
        let Some(step) = self.confirm_step(f) else {
            return;
        };
        step.in_flight = None;
        step.failures += 1;
        let tries = step.failures;
        let refused = failure.is(ErrorCode::TooLarge) || failure.is(ErrorCode::NoSuchKey);
        let no_route = !refused && matches!(failure.status, Some(404 | 405));
        let retryable = failure.retryable();
        if !refused && !no_route && retryable && retry.allows(tries) {
            let wait = self.delay(tries - 1, failure.retry_after_ms);
            if let Some(step) = self.confirm_step(f) {
                step.wait_until = now + wait;
            }
            return;
        }
        if no_route {
            self.confirm_route = false;
        }
        let Some(file) = self.files.get_mut(&f) else {
            return;
        };
        match &mut file.body {
            Body::Single(_) if refused => self.fatal(f, UploadError::from_signer(failure)),
            Body::Single(s) => {
                if let Some(outcome) = s.stored.take() {
                    self.finish(f, Ok(outcome));
                }
            }
            Body::Multi(m) => {
                let Some(err) = m.gone.take() else { return };
                if no_route && m.complete_maybe_done {
                    // A complete was sent (by the record's page, at List, or
                    // by this one) and there is no way to check: it went through.
                    self.assumed_complete(f);
                } else if m.phase == Phase::List && (refused || no_route) {
                    // The recorded upload left no object: start afresh,
                    // unless a cancel waited on the check.
                    let cancelled = core::mem::take(&mut m.cancel_after_complete);
                    self.record_gone(f);
                    if cancelled {
                        self.fatal(f, UploadError::cancelled());
                    }
                } else {
                    self.step_failed_for_good(f, err);
                }
            }
        }
    }
}

/// `outcome` as the signer checked it and reported it (its webhook): where
/// it is, its ETag and checksum. For a multipart complete and a confirmed
/// object alike.
pub(crate) fn checked(
    mut outcome: Outcome,
    bucket: Option<String>,
    location: String,
    etag: Option<String>,
    checksum: Option<ObjectChecksum>,
) -> Outcome {
    outcome.bucket = bucket.or(outcome.bucket);
    outcome.location = Some(location);
    outcome.etag = etag;
    outcome.confirmed = true;
    outcome.checksum = checksum.map(|c| c.crc64nvme);
    outcome
}
