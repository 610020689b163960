//! Pause, resume, cancel, and failing a file: stopping its requests and
//! winding down (a multipart upload that exists is always aborted).

use alloc::borrow::ToOwned;

use crate::api::FileId;
use crate::engine::{ids_where, Engine, Req};
use crate::error::UploadError;
use crate::file::{Body, Phase};

impl Engine {
    pub(crate) fn pause(&mut self, id: FileId) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if f.paused || f.fatal.is_some() {
            return;
        }
        f.paused = true;
        if matches!(f.body, Body::Single(_)) {
            // A single request in flight is left to end: stopping it would
            // leave its outcome unknown, and if its params expired during
            // the pause, resuming would need a new key next to an object
            // that may be stored. It is below the multipart threshold, and
            // nothing new starts until resume.
            return;
        }
        let stopped = self.stop_data(id);
        if let Some(m) = self.multi_mut(id) {
            // Stopped parts may have landed anyway: ask the store on resume.
            m.sync_on_resume |= stopped > 0;
        }
        self.progress(id, true);
    }

    pub(crate) fn resume(&mut self, id: FileId) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if !f.paused {
            return;
        }
        f.paused = false;
        if let Body::Multi(m) = &mut f.body {
            if m.phase == Phase::Upload && m.sync_on_resume {
                m.sync_on_resume = false;
                m.enter(Phase::List);
            }
        }
    }

    pub(crate) fn cancel(&mut self, id: FileId) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if let Body::Single(s) = &f.body {
            if s.stored.is_some() {
                // Stored already: only the confirmation is left, and it
                // decides (a cancel cannot take the object back).
                return;
            }
        }
        if let Body::Multi(m) = &mut f.body {
            // A complete is out, or one went out whose answer never came.
            let sent = m.step.in_flight.is_some() || m.complete_maybe_done;
            if (m.phase == Phase::Complete && sent) || m.gone.is_some() {
                // Too late to take back: aborting now could race a complete
                // that succeeds (or already did, its answer lost) and leave
                // an object nobody reports. The complete's outcome decides,
                // or the check of the object once the upload is gone. A
                // complete not sent yet (waiting for a signer slot, a
                // backoff, or the end of a pause) is not: the cancel applies.
                m.cancel_after_complete = true;
                return;
            }
        }
        self.fatal(id, UploadError::cancelled());
    }

    /// Stops `id`'s store requests; answers how many were in flight.
    pub(crate) fn stop_data(&mut self, id: FileId) -> u32 {
        let mut ids = ids_where(&self.requests, |r| match r.req {
            Req::Single(f) | Req::Part(f, _) => f == id,
            _ => false,
        });
        let count = ids.len() as u32;
        // Newest first, so that the parts go back to the queue in order.
        while let Some(rid) = ids.pop() {
            let Some(req) = self.stop_request(rid) else {
                continue;
            };
            // It may have reached the store before we stopped it.
            self.release(&req, true);
            if let (&Req::Part(_, n), Some(m)) = (&req, self.multi_mut(id)) {
                m.queue.push_front(n);
            }
        }
        count
    }

    /// Fails `id` with `err` (the first error wins): stops its requests,
    /// aborts its multipart upload if one exists, then finishes it.
    pub(crate) fn fatal(&mut self, id: FileId, err: UploadError) {
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if f.fatal.is_some() {
            return;
        }
        if let Body::Multi(m) = &mut f.body {
            if m.ahead && (m.step.in_flight.is_some() || m.ahead_done.is_some()) {
                // A complete ahead of the last answers is out: it decides,
                // as for a cancel (`ahead_failed`); or it completed ahead of
                // this, and the file ends with the object.
                m.ahead_error.get_or_insert(err);
                return;
            }
        }
        f.paused = false;
        // Held by the file from here (one move of `err`): kept for the
        // create's answer or the abort's end, or taken back to end it now.
        f.fatal = Some(err);
        self.stop_data(id);
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        match &mut f.body {
            Body::Single(s) => {
                if let (true, Some(err)) = (s.maybe_stored, &mut f.fatal) {
                    err.key = s.key().map(str::to_owned);
                }
            }
            Body::Multi(m) => {
                if let (true, Some(err)) = (m.complete_maybe_done, &mut f.fatal) {
                    // A complete may have gone through: name the object.
                    err.key = m.upload.as_ref().map(|u| u.key.clone());
                }
                let signs = ids_where(&self.requests, |r| match &r.req {
                    Req::SignParts(f, _) | Req::SignPart(f, _) | Req::List(f) => *f == id,
                    _ => false,
                });
                let creating = m.phase == Phase::Create && m.step.in_flight.is_some();
                // A file with no upload ends here with its error.
                let keep = creating || m.upload.is_some();
                for &r in &signs {
                    self.stop_request(r);
                }
                if creating {
                    // The create's answer names the upload to abort.
                    return;
                }
                if keep {
                    if let Some(m) = self.multi_mut(id) {
                        m.signing = 0;
                        m.enter(Phase::Abort);
                    }
                    return;
                }
            }
        }
        if let Some(err) = self.files.get_mut(&id).and_then(|f| f.fatal.take()) {
            self.finish(id, Err(err));
        }
    }
}
