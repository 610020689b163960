//! `upload.state`, and `onStateChange`: each upload's callback hears every
//! change of the state `upload.state` says, `offline` included, and its
//! end once. Where the driver changes a state itself (`pause()`, `resume()`),
//! it tells at once, so a pause undone in the same turn is told too; the
//! engine's doing (the network going or coming back, an upload starting or
//! resuming) is told at the end of each pump, once its actions are performed.

use super::{Driver, Entry, Shared};
use crate::js;

/// What `upload.state` says: to JS as its number, which the snippet names
/// (`NAMES` in io.js, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Uploading,
    /// Never held by an entry: an `Uploading` one while the engine waits
    /// for the network (`Driver::shown`).
    Offline,
    /// The same file (same resume fingerprint) is uploading in another tab:
    /// this one waits for that tab to finish or close.
    AnotherTab,
    Paused,
    Done,
    Failed,
    Cancelled,
}

/// A restart's number for the snippet's `NAMES` (after the eight states):
/// 8 none (`null`), then `Restart`'s variants in their order.
pub fn restart(r: Option<s3lift_engine::Restart>) -> u8 {
    r.map_or(8, |r| 9 + r as u8)
}

impl Driver {
    /// `e`'s state as the app sees it.
    pub fn shown(&self, e: &Entry) -> State {
        match e.state.get() {
            State::Uploading if self.offline() => State::Offline,
            s => s,
        }
    }

    /// Tells each live upload (running, or waiting for its Web Lock) whose
    /// state changed since its callback last heard. No allocation for the
    /// others; the calls come later (`tell`), so no borrow is at risk.
    pub(super) fn tell_changed(&self) {
        // Only a JS API call or the network changes a state untold: an
        // I/O event's pump with neither costs nothing per upload (10,000
        // queued uploads, one pump per answer).
        let offline = self.offline();
        let flipped = self.told_offline.replace(offline) != offline;
        if !self.untold.replace(false) && !flipped {
            return;
        }
        for list in [&self.files, &self.waiting] {
            for e in list.read().iter() {
                tell(e, self.shown(e));
            }
        }
    }
}

/// Tells `e`'s `onStateChange` that its state is `s`, unless that is what
/// it last heard. The call is a microtask: never from inside the driver or
/// the app's own call (`cancel()`), and, queued before `done` settles, it
/// comes before `done`'s reactions.
pub(crate) fn tell(e: &Entry, s: State) {
    if e.told.replace(s) != s {
        if let Some(cb) = &e.on_state {
            js::state(cb, s as u8);
        }
    }
}
