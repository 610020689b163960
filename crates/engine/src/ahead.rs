//! A multipart complete sent ahead of the last parts' answers (our signer's
//! `pending` extension, docs/protocol.md).
//!
//! A browser tells that a part's bytes are all sent only with its answer
//! (Chromium reports upload progress about every 100 ms, and the last
//! report comes with the answer), so a complete that waits for every
//! answer costs each multipart upload a round trip at its end. Once every
//! part is stored or in flight, and the bytes left to send would take under
//! `complete_ahead_ms` at the file's measured rate, the complete goes out
//! with the parts in flight as pending; the signer waits until the store
//! holds them. It succeeds: the file ends once its parts in flight have
//! answered (their `PartStored` first). It fails, whyever: the upload goes
//! on as before, and completes after the answers (only a refusal that such
//! a complete would meet too ends it). Only against our signer (a create
//! answer with its extensions), and once per upload.

use s3lift_protocol::error_code::ErrorCode;

use crate::api::{Failure, FileId};
use crate::engine::Engine;
use crate::error::UploadError;
use crate::file::{Body, Multi, Phase};

/// Every part not stored is in flight (and one is): as many parts are
/// sending as are missing, since a part in flight is never a stored one.
fn ready(m: &Multi) -> bool {
    m.sending > 0
        && m.plan
            .is_some_and(|p| p.part_count() as usize - m.collector.len() == m.sending as usize)
}

/// Ends `m`'s complete ahead (not in flight): back to sending parts while
/// some are not stored; answers the cancel or failure that waited for it,
/// which applies now.
fn drop_ahead(m: &mut Multi) -> Option<UploadError> {
    m.ahead = false;
    if m.phase == Phase::Complete
        && m.plan
            .is_some_and(|p| m.collector.len() < p.part_count() as usize)
    {
        m.phase = Phase::Upload;
    }
    if core::mem::take(&mut m.cancel_after_complete) {
        Some(UploadError::cancelled())
    } else {
        m.ahead_error.take()
    }
}

impl Engine {
    /// Sends `id`'s complete ahead of its last answers if it is time.
    pub(crate) fn complete_ahead(&mut self, id: FileId) {
        let ahead_ms = self.cfg.complete_ahead_ms;
        if ahead_ms == 0 || self.complete_in_body != Some(true) {
            return;
        }
        let now = self.now;
        let Some(file) = self.files.get(&id) else {
            return;
        };
        let Body::Multi(m) = &file.body else { return };
        // (The scheduler's turn for an upload sending parts, not paused.)
        if file.fatal.is_some()
            || m.ahead_failed
            || m.gone.is_some()
            || !m.step.ready(now)
            || !ready(m)
        {
            return;
        }
        if ahead_ms != u64::MAX {
            let left = file
                .tracker
                .total()
                .saturating_sub(file.tracker.bytes_sent());
            let rate = file.meter.bytes_per_second();
            // No rate measured yet, or too early.
            if rate <= 0.0 || left as f64 * 1000.0 > rate * ahead_ms as f64 {
                return;
            }
        }
        if self.whole_checksum_pending(id) {
            return;
        }
        if let Some(m) = self.multi_mut(id) {
            m.enter(Phase::Complete);
            m.ahead = true;
        }
        self.issue_upload_call(id);
    }

    /// The scheduler's turn for a file whose complete went ahead and is not
    /// in flight: sent (again, or for the first time if no signer slot was
    /// free) while its parts are still all stored or in flight, or back to
    /// sending parts.
    pub(crate) fn ahead_again(&mut self, id: FileId) {
        let Some(m) = self.multi_mut(id) else { return };
        if ready(m) {
            return self.issue_upload_call(id);
        }
        let error = drop_ahead(m);
        // Its parts (or its abort) go out in the next pass: this one is past them.
        self.dirty = true;
        if let Some(e) = error {
            // A cancel that came for the complete, which never went out.
            self.fatal(id, e);
        }
    }

    /// Ends `f` with its complete's outcome once no part is in flight (at
    /// once for a complete not sent ahead: it has none).
    pub(crate) fn finish_ahead(&mut self, f: FileId) {
        let Some(file) = self.files.get_mut(&f) else {
            return;
        };
        let Body::Multi(m) = &mut file.body else {
            return;
        };
        if m.sending > 0 {
            return;
        }
        let Some(outcome) = m.ahead_done.take() else {
            return;
        };
        // Parts whose answers never came are stored all the same (the
        // signer found them): the last progress says every byte.
        file.tracker.complete_all();
        self.finish(f, Ok(outcome));
    }

    /// A failed complete of `f`: true when it went ahead and this is all
    /// there is to do. A failure other than its parts missing the signer's
    /// wait goes on to the complete's own rules (`multi_step_failed`): a
    /// 503's `Retry-After` holds back the complete after the answers too.
    pub(crate) fn ahead_failed(&mut self, f: FileId, failure: &Failure) -> bool {
        let Some(m) = self.multi_mut(f) else {
            return false;
        };
        if !m.ahead {
            return false;
        }
        m.ahead_failed = true;
        // What came while it was out applies now that it failed.
        if let Some(e) = drop_ahead(m) {
            self.fatal(f, e);
            return true;
        }
        // A part did not land within the signer's wait, or a signer replica
        // older than `pending` (a rolling upgrade) did not wait: it finds
        // parts missing, or no part at all (a bad request). The complete
        // after the answers, at once.
        failure.is(ErrorCode::InvalidParts) || failure.is(ErrorCode::BadRequest)
    }
}
