//! One tab per upload: an upload with a resume fingerprint runs only in
//! the tab that holds the Web Lock `s3lift:<fingerprint>`. Another tab
//! uploading the same file says `'another-tab'` and waits for the lock; it
//! gets it when the first tab finishes or closes, and resumes from the parts
//! that tab stored (its resume record, in the shared `localStorage`).

use alloc::{rc::Rc, string::String};

use s3lift_engine::{Event, FileId};

use s3lift_protocol::Must;

use super::{at, tell, Driver, Entry, Shared, State};
use crate::js;

impl Driver {
    /// Hands `entry` to the engine once this tab holds the upload's Web
    /// Lock (`s3lift:<fingerprint>`), so that two tabs never run the same
    /// upload: the second one waits, then resumes from the stored parts.
    pub fn add(&self, entry: Rc<Entry>) {
        // Known at once (`upload.fingerprint`), not only once the lock is held.
        let fingerprint = self.fingerprint(&entry);
        entry.fingerprint.write().clone_from(&fingerprint);
        // A single-request file keeps no resume record, so no other tab can
        // take it over: it needs no lock (10,000 small files, no 10,000 lock requests).
        let resumable = self.engine_resumable(js::number(&entry.file, "size") as u64);
        let (Some(fp), true) = (fingerprint, resumable) else {
            return self.start(entry);
        };
        entry.state.set(State::Queued);
        self.waiting.write().push(entry.clone());
        // Waiting is work too: the lock's answer must find this driver.
        self.hold();
        // Queued again after a failure (`retry`): told so.
        tell(&entry, State::Queued);
        let release = js::lock(&fp, entry.id.0 as f64, self.callbacks.locked.as_ref());
        *entry.lock.write() = Some(release);
    }

    /// The upload's resume fingerprint: its record's key and its lock's name.
    pub(super) fn fingerprint(&self, entry: &Entry) -> Option<String> {
        // The snippet's (the entry's worker proxy computes it too).
        self.settings.resume.then(|| {
            js::fingerprint(
                // Two files of one name in two folders are two uploads.
                entry.relative_path.as_deref().unwrap_or(""),
                &entry.file,
                &self.settings.signer.endpoint,
            )
        })
    }

    /// The Web Lock of a waiting upload: held (it starts), or held by
    /// another tab (it says so, and keeps waiting).
    pub(super) fn locked(&self, id: FileId, held: bool) {
        let Some(i) = self.waiting_at(id) else { return };
        if held {
            let entry = s3lift_protocol::remove_at(&mut self.waiting.write(), i);
            let was = entry.state.get();
            self.start(entry.clone());
            if was == State::Paused {
                // Paused while it waited: it stays paused.
                entry.state.set(State::Paused);
                self.feed_later(Event::Pause(id));
            }
        } else {
            let entry = self.waiting.read().get(i).must().clone();
            entry.elsewhere.set(true);
            // A pause made before this answer holds (`resume` shows the wait).
            if entry.state.get() != State::Paused {
                entry.state.set(State::AnotherTab);
                tell(&entry, State::AnotherTab);
            }
        }
    }

    /// Whether `id` waits for its Web Lock (not handed to the engine yet).
    pub fn is_waiting(&self, id: FileId) -> bool {
        self.waiting_at(id).is_some()
    }

    /// Where `id` is in the uploads waiting for their Web Lock.
    fn waiting_at(&self, id: FileId) -> Option<usize> {
        at(&self.waiting.read(), id)
    }

    /// An upload waiting on another tab is cancelled: it stops waiting.
    pub fn forget_waiting(&self, id: FileId) -> bool {
        let Some(i) = self.waiting_at(id) else {
            return false;
        };
        let e = s3lift_protocol::remove_at(&mut self.waiting.write(), i);
        release(&e);
        self.hold();
        true
    }
}

/// Lets go of `e`'s Web Lock: a tab waiting on it takes over.
pub(super) fn release(e: &Entry) {
    if let Some(held) = e.lock.write().take() {
        js::abort(&held);
    }
}
