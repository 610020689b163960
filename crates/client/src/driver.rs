//! The browser driver of one `Uploader`: it feeds the engine events with
//! `Date.now()`, performs the actions it drains (signer calls, store
//! requests, digests, resume records, callbacks), and ticks it with one
//! timer at `poll_timeout`. Every decision is the engine's.
//!
//! No futures: the snippet (`io.js`) calls back into five closures made
//! once per driver (answers, progress, digests, the timer, the end of a
//! turn), and each request in flight is a row of the request table.
//!
//! This module holds the driver's state and the event loop (feed, pump,
//! timer); `callbacks` makes the closures, `perform` carries out the
//! actions and feeds back their answers, `state` tells each upload's
//! `onStateChange`, `tabs` runs each upload in one tab only.
use alloc::rc::{Rc, Weak};
use alloc::{string::String, vec::Vec};
use core::cell::{Cell, Ref, RefCell, RefMut};
use s3lift_protocol::{map::Map, wire::ChecksumAlgorithm, Must};

use js_sys::Function;
use s3lift_engine::{Engine, Event, FileId, RequestId, Restart};
use wasm_bindgen::prelude::*;
use web_sys::File;

use crate::browser;
use crate::js::{self, clear_timeout, now, set_timeout, Deferred};
use crate::signer::{self, Signer};
use crate::transport::Kind;

/// `RefCell::borrow` and `borrow_mut` by [`Must`]: a cell already taken is
/// `protocol::broken`, which in the wasm build is the trap a panic is there
/// anyway, so the forty call sites pass no location record.
pub(crate) trait Shared<T> {
    fn read(&self) -> Ref<'_, T>;
    fn write(&self) -> RefMut<'_, T>;
}

impl<T> Shared<T> for RefCell<T> {
    fn read(&self) -> Ref<'_, T> {
        self.try_borrow().ok().must()
    }

    #[inline(never)]
    fn write(&self) -> RefMut<'_, T> {
        self.try_borrow_mut().ok().must()
    }
}

pub(crate) mod callbacks;
mod perform;
mod state;
mod tabs;

use callbacks::Callbacks;

pub(crate) use state::tell;
pub use state::{restart, State};

/// One file's JS side: its bytes, callbacks, state and `done` promise.
pub struct Entry {
    pub id: FileId,
    pub file: File,
    pub metadata: Map<String>,
    /// `relativePath`: the file's path inside a picked folder.
    pub relative_path: Option<String>,
    pub on_progress: Option<Function>,
    pub on_part: Option<Function>,
    pub state: Cell<State>,
    pub resumed: Cell<bool>,
    /// The upload started over (`upload.restarted`).
    pub restarted: Cell<Option<Restart>>,
    /// Continue the upload recorded under this fingerprint instead of the
    /// file's own (`resumeFrom`: the file was picked again, maybe edited).
    pub resume_from: Option<String>,
    /// The file's fingerprint, once added with `resume` on.
    pub fingerprint: RefCell<Option<String>>,
    pub parts_uploaded: Cell<u32>,
    pub part_requests: Cell<u32>,
    /// Bytes sent by store requests that then failed or were stopped.
    pub bytes_resent: Cell<f64>,
    /// Failed store requests counted against the retry budget (the engine's).
    pub retries: Cell<u32>,
    /// `onStateChange`: told each change of the state `upload.state` says.
    pub on_state: Option<Function>,
    /// What `onStateChange` was last told (`Queued` before its first call).
    pub told: Cell<State>,
    /// Another tab holds the upload's Web Lock: waiting, it shows
    /// `'another-tab'` (once resumed, if it was paused first).
    pub elsewhere: Cell<bool>,
    /// Releases this upload's Web Lock (or stops waiting for it).
    pub lock: RefCell<Option<JsValue>>,
    pub done: RefCell<Deferred>,
}

/// A request in flight: how to stop it, what it has sent, and what its
/// answer decodes into (`None`: a store request).
struct Slot {
    id: RequestId,
    handle: JsValue,
    file: Option<FileId>,
    sent: f64,
    signer: Option<signer::Kind>,
}

/// Settings of the driver itself (the engine has its own `Config`).
pub struct Settings {
    pub signer: Signer,
    pub transport: Kind,
    /// Save resume records (JS `resume`).
    pub resume: bool,
    /// The per-part checksum (the engine asks for each digest).
    pub checksum: Option<ChecksumAlgorithm>,
}

/// One engine and everything its actions need.
pub struct Driver {
    engine: RefCell<Engine>,
    pub settings: Settings,
    /// Live files and requests in flight: a few dozen at most, so plain
    /// vectors (a map per key type costs the bundle kilobytes).
    files: RefCell<Vec<Rc<Entry>>>,
    slots: RefCell<Vec<Slot>>,
    pumping: Cell<bool>,
    queued: Cell<bool>,
    /// A call from the JS API since the last pump (it may have changed a
    /// state without telling: an upload started, a cancel), and the
    /// network state the last pump told: `tell_changed` looks at every
    /// upload only when either says it may have to.
    untold: Cell<bool>,
    told_offline: Cell<bool>,
    /// The armed timer: its id and the engine time it fires at.
    timer: RefCell<Option<(JsValue, u64)>>,
    callbacks: Callbacks,
    /// Itself, while files or requests are live: the callbacks hold only a
    /// `Weak`, and an answer must find its driver even if the app dropped
    /// every handle.
    keep: RefCell<Option<Rc<Driver>>>,
    me: Weak<Driver>,
    /// Stops listening to `online`/`offline`.
    unlisten: RefCell<Option<JsValue>>,
    /// Uploads waiting for their Web Lock.
    waiting: RefCell<Vec<Rc<Entry>>>,
}

fn ms() -> u64 {
    now() as u64
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some((id, _)) = self.timer.get_mut().take() {
            clear_timeout(&id);
        }
        if let Some(stop) = self.unlisten.get_mut().take() {
            js::abort(&stop);
        }
    }
}

impl Driver {
    pub fn new(mut engine: Engine, settings: Settings) -> Rc<Self> {
        if !js::on_line() {
            engine.handle(ms(), Event::Offline);
        }
        let d = Rc::new_cyclic(|me| Self {
            engine: RefCell::new(engine),
            settings,
            files: RefCell::default(),
            slots: RefCell::default(),
            pumping: Cell::new(false),
            queued: Cell::new(false),
            untold: Cell::new(false),
            told_offline: Cell::new(false),
            timer: RefCell::new(None),
            callbacks: Callbacks::new(me),
            keep: RefCell::new(None),
            me: me.clone(),
            unlisten: RefCell::new(None),
            waiting: RefCell::default(),
        });
        *d.unlisten.write() = Some(js::network(d.callbacks.network.as_ref()));
        d
    }

    /// Whether a file of `size` bytes would keep a resume record (goes multipart).
    pub fn engine_resumable(&self, size: u64) -> bool {
        self.engine.read().resumable(size)
    }

    /// Whether the engine holds every upload for the network to come back.
    pub fn offline(&self) -> bool {
        self.engine.read().offline()
    }

    /// `file`'s retries so far (kept once the engine is done with it).
    pub fn retries(&self, e: &Entry) -> u32 {
        let live = self.engine.read().retries(e.id);
        e.retries.set(e.retries.get().max(live));
        e.retries.get()
    }

    /// Feeds `entry` to the engine (its resume record read now, so that a
    /// tab taking over finds the parts the other one stored).
    pub(super) fn start(&self, entry: Rc<Entry>) {
        let f = &entry.file;
        // Computed once, when the file was added (`tabs.rs`, `add`).
        let fingerprint = entry.fingerprint.read().clone();
        let spec = s3lift_engine::FileSpec {
            id: entry.id,
            name: js::text(f, "name"),
            size: js::number(f, "size") as u64,
            content_type: js::text(f, "type"),
            metadata: entry.metadata.clone(),
            resume: entry
                .resume_from
                .as_deref()
                .or(fingerprint.as_deref())
                .filter(|_| self.settings.resume)
                .and_then(browser::load_record),
            fingerprint,
            relative_path: entry.relative_path.clone(),
        };
        entry.state.set(State::Uploading);
        self.files.write().push(entry);
        // Live from now on: the pump at the end of this turn must find this
        // driver even if the app frees its handles before then.
        self.hold();
        self.feed_later(Event::Add(spec));
    }

    /// An event from the JS API: handled now, acted on at the end of this turn.
    pub fn feed_later(&self, event: Event) {
        self.untold.set(true);
        self.engine.write().handle(ms(), event);
        if !self.queued.replace(true) {
            js::later(self.callbacks.later.as_ref());
        }
    }

    /// An event from I/O or the timer: handled and acted on now.
    pub fn feed(&self, event: Event) {
        self.engine.write().handle(ms(), event);
        self.pump();
    }

    /// Performs every action the engine has, tells each upload whose state
    /// changed meanwhile, then arms the timer.
    fn pump(&self) {
        if self.pumping.replace(true) {
            // An action's callback fed an event: the outer loop drains it.
            return;
        }
        loop {
            let next = self.engine.write().poll_action();
            match next {
                Some(a) => self.perform(&a),
                None => break,
            }
        }
        self.pumping.set(false);
        self.tell_changed();
        self.arm_timer();
        self.hold();
    }

    /// Keeps the driver alive while files wait for their Web Lock, run, or
    /// have requests in flight, whatever handles the app dropped.
    pub(crate) fn hold(&self) {
        let busy = !self.files.read().is_empty()
            || !self.slots.read().is_empty()
            || !self.waiting.read().is_empty();
        let mut keep = self.keep.write();
        if busy != keep.is_some() {
            // Dropping the last other handle here is safe: every caller of
            // `pump` holds an `Rc` of its own.
            let _old = core::mem::replace(&mut *keep, if busy { self.me.upgrade() } else { None });
        }
    }

    fn arm_timer(&self) {
        let at = self.engine.read().poll_timeout();
        let mut timer = self.timer.write();
        if timer.as_ref().map(|t| t.1) == at {
            return;
        }
        if let Some((id, _)) = timer.take() {
            clear_timeout(&id);
        }
        if let Some(at) = at {
            let wait = at.saturating_sub(ms()).min(i32::MAX as u64) as i32;
            *timer = Some((set_timeout(self.callbacks.tick.as_ref(), wait), at));
        }
    }

    fn entry(&self, id: FileId) -> Option<Rc<Entry>> {
        let files = self.files.read();
        files.get(at(&files, id)?).cloned()
    }
}

/// Where upload `id` is in `list` (the live files, or those waiting for
/// their Web Lock: one search for both).
fn at(list: &[Rc<Entry>], id: FileId) -> Option<usize> {
    list.iter().position(|e| e.id == id)
}
