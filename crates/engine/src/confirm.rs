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

use alloc::vec::Vec;

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::retry::Verdict;
use s3lift_protocol::wire::{ErrorBody, SingleCompleteResponse};

use crate::api::{Action, Failure, FileId};
use crate::engine::{Engine, Req};
use crate::error::{known_code, status_of_batch_item, UploadError};

/// Keys per confirm call (the signer's limit).
const MAX_CONFIRM_BATCH: usize = 100;

impl Engine {
    /// Reports stored files, up to 100 in one call, one call at a time:
    /// files stored while it is in flight go together in the next.
    pub(crate) fn issue_confirm(&mut self, mut need: Vec<FileId>) {
        let busy = self.confirming || self.signer_in_flight >= self.cfg.concurrency.max(1);
        if need.is_empty() || busy {
            return;
        }
        need.truncate(MAX_CONFIRM_BATCH);
        let mut files = Vec::with_capacity(need.len());
        let mut keys = Vec::with_capacity(need.len());
        for f in need {
            if let Some(key) = self
                .single_mut(f)
                .and_then(|s| s.stored.as_ref().map(|o| o.key.clone()))
            {
                files.push(f);
                keys.push(key);
            }
        }
        if files.is_empty() {
            return;
        }
        let rid = self.issue(Req::Confirm(files.clone()));
        self.confirming = true;
        for f in &files {
            if let Some(s) = self.single_mut(*f) {
                s.confirm.in_flight = Some(rid);
            }
        }
        self.out.push_back(Action::Confirm {
            id: rid,
            files,
            keys,
        });
    }

    /// The answer of a confirm call: one entry per file, in order.
    pub(crate) fn confirmed(
        &mut self,
        files: Vec<FileId>,
        items: Vec<Result<SingleCompleteResponse, ErrorBody>>,
    ) {
        self.confirming = false;
        let mut items = items.into_iter();
        for f in files {
            let failure = match items.next() {
                Some(Ok(c)) => {
                    self.confirmed_one(f, c);
                    continue;
                }
                Some(Err(body)) => Failure {
                    status: Some(status_of_batch_item(known_code(&body.code))),
                    code: Some(body.code),
                    ..Failure::default()
                },
                // The answer is short of this key: the retry policy decides.
                None => Failure {
                    status: Some(200),
                    code: Some(ErrorCode::BadAnswer.as_str().into()),
                    ..Failure::default()
                },
            };
            self.confirm_failed(f, failure);
        }
    }

    fn confirmed_one(&mut self, f: FileId, c: SingleCompleteResponse) {
        let Some(mut outcome) = self.single_mut(f).and_then(|s| s.stored.take()) else {
            return;
        };
        outcome.confirmed = true;
        outcome.location = Some(c.location);
        outcome.etag = Some(c.etag);
        outcome.bucket = Some(c.bucket);
        outcome.checksum = c.checksum.map(|c| c.crc64nvme);
        self.finish(f, Ok(outcome));
    }

    pub(crate) fn confirm_failed(&mut self, f: FileId, failure: Failure) {
        let (now, retry) = (self.now, self.cfg.retry);
        let Some(s) = self.single_mut(f) else { return };
        s.confirm.in_flight = None;
        s.confirm.failures += 1;
        let tries = s.confirm.failures;
        let code = failure.code.as_deref().map(known_code);
        if matches!(code, Some(ErrorCode::TooLarge | ErrorCode::NoSuchKey)) {
            return self.fatal(f, UploadError::from_signer(&failure));
        }
        let no_route = matches!(failure.status, Some(404 | 405));
        let retryable = matches!(failure.verdict(), Verdict::Retry { .. } | Verdict::Resign);
        if !no_route && retryable && retry.allows(tries) {
            let wait = self.delay(tries - 1, failure.retry_after_ms);
            if let Some(s) = self.single_mut(f) {
                s.confirm.wait_until = now + wait;
            }
            return;
        }
        if no_route {
            self.confirm_route = false;
        }
        if let Some(outcome) = self.single_mut(f).and_then(|s| s.stored.take()) {
            self.finish(f, Ok(outcome));
        }
    }
}
