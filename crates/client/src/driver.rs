//! The browser driver of one `Uploader`: it feeds the engine events with
//! `Date.now()`, performs the actions it drains (signer calls, store
//! requests, digests, resume records, callbacks), and ticks it with one
//! timer at `poll_timeout`. Every decision is the engine's.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use js_sys::{Function, Object};
use s3lift_engine::{Action, Engine, Event, Failure, FileId, Outcome, RequestId, UploadError};
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::progress::Progress;
use s3lift_protocol::wire::UploadMethod;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, FormData};

use crate::browser;
use crate::js::{clear_timeout, error_to_js, now, set, set_timeout, Deferred};
use crate::signer::Signer;
use crate::transport::{self, AbortHandle, Answer, Body, Kind, Put};

/// What `upload.state` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Uploading,
    Paused,
    Done,
    Failed,
    Cancelled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Uploading => "uploading",
            State::Paused => "paused",
            State::Done => "done",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }
}

/// One file's JS side: its bytes, callbacks, state and `done` promise.
pub struct Entry {
    pub id: FileId,
    pub file: File,
    pub metadata: BTreeMap<String, String>,
    pub on_progress: Option<Function>,
    pub on_part: Option<Function>,
    pub state: Cell<State>,
    pub resumed: Cell<bool>,
    pub parts_uploaded: Cell<u32>,
    pub part_requests: Cell<u32>,
    /// Bytes sent by store requests that then failed or were stopped.
    pub bytes_resent: Cell<f64>,
    pub done: RefCell<Rc<Deferred>>,
}

/// A request in flight: how to stop it, and what it has sent.
struct Slot {
    abort: AbortHandle,
    file: Option<FileId>,
    sent: f64,
}

/// Settings of the driver itself (the engine has its own `Config`).
pub struct Settings {
    pub signer: Signer,
    pub transport: Kind,
    /// Save resume records (JS `resume`).
    pub resume: bool,
}

/// One engine and everything its actions need.
pub struct Driver {
    engine: RefCell<Engine>,
    pub settings: Settings,
    /// Live files and requests in flight: a few dozen at most, so plain
    /// vectors (a map per key type costs the bundle kilobytes).
    files: RefCell<Vec<Rc<Entry>>>,
    slots: RefCell<Vec<(RequestId, Slot)>>,
    pumping: Cell<bool>,
    queued: Cell<bool>,
    /// The armed timer: its id and the engine time it fires at.
    timer: RefCell<Option<(JsValue, u64)>>,
    tick: RefCell<Option<Closure<dyn FnMut()>>>,
    me: RefCell<Weak<Driver>>,
}

fn ms() -> u64 {
    now() as u64
}

impl Driver {
    pub fn new(engine: Engine, settings: Settings) -> Rc<Self> {
        let d = Rc::new(Self {
            engine: RefCell::new(engine),
            settings,
            files: RefCell::default(),
            slots: RefCell::default(),
            pumping: Cell::new(false),
            queued: Cell::new(false),
            timer: RefCell::new(None),
            tick: RefCell::new(None),
            me: RefCell::new(Weak::new()),
        });
        *d.me.borrow_mut() = Rc::downgrade(&d);
        let weak = Rc::downgrade(&d);
        *d.tick.borrow_mut() = Some(Closure::new(move || {
            if let Some(d) = weak.upgrade() {
                d.timer.borrow_mut().take();
                d.feed(Event::Tick);
            }
        }));
        d
    }

    fn rc(&self) -> Rc<Self> {
        self.me.borrow().upgrade().expect("the driver is alive")
    }

    /// Hands `entry` to the engine; its first requests leave with the
    /// others added in the same turn of the event loop.
    pub fn add(&self, entry: Rc<Entry>) {
        let f = &entry.file;
        let fingerprint = self.settings.resume.then(|| {
            s3lift_protocol::resume::fingerprint(
                &f.name(),
                f.size() as u64,
                f.last_modified(),
                &f.type_(),
                &self.settings.signer.endpoint,
            )
        });
        let spec = s3lift_engine::FileSpec {
            id: entry.id,
            name: f.name(),
            size: f.size() as u64,
            content_type: f.type_(),
            metadata: entry.metadata.clone(),
            resume: fingerprint.as_deref().and_then(browser::load_record),
            fingerprint,
        };
        entry.state.set(State::Uploading);
        self.files.borrow_mut().push(entry);
        self.feed_later(Event::Add(spec));
    }

    /// An event from the JS API: handled now, acted on at the end of this turn.
    pub fn feed_later(&self, event: Event) {
        self.engine.borrow_mut().handle(ms(), event);
        if !self.queued.replace(true) {
            let me = self.rc();
            wasm_bindgen_futures::spawn_local(async move {
                me.queued.set(false);
                me.pump();
            });
        }
    }

    /// An event from I/O or the timer: handled and acted on now.
    pub fn feed(&self, event: Event) {
        self.engine.borrow_mut().handle(ms(), event);
        self.pump();
    }

    /// Performs every action the engine has, then arms the timer.
    fn pump(&self) {
        if self.pumping.replace(true) {
            // An action's callback fed an event: the outer loop drains it.
            return;
        }
        loop {
            let next = self.engine.borrow_mut().poll_action();
            match next {
                Some(a) => self.perform(a),
                None => break,
            }
        }
        self.pumping.set(false);
        self.arm_timer();
    }

    fn arm_timer(&self) {
        let at = self.engine.borrow().poll_timeout();
        let mut timer = self.timer.borrow_mut();
        if timer.as_ref().map(|t| t.1) == at {
            return;
        }
        if let Some((id, _)) = timer.take() {
            clear_timeout(&id);
        }
        if let (Some(at), Some(tick)) = (at, self.tick.borrow().as_ref()) {
            let wait = at.saturating_sub(ms()).min(i32::MAX as u64) as i32;
            *timer = Some((set_timeout(tick.as_ref().unchecked_ref(), wait), at));
        }
    }

    fn entry(&self, id: FileId) -> Option<Rc<Entry>> {
        self.files.borrow().iter().find(|e| e.id == id).cloned()
    }

    fn open(&self, id: RequestId, file: Option<FileId>) -> AbortHandle {
        let abort = AbortHandle::default();
        let slot = Slot {
            abort: abort.clone(),
            file,
            sent: 0.0,
        };
        self.slots.borrow_mut().push((id, slot));
        abort
    }

    /// Ends request `id`; `false` when it was stopped already (the engine
    /// forgot it, so its answer is dropped). `wasted` counts its bytes as re-sent.
    fn close(&self, id: RequestId, wasted: bool) -> bool {
        let mut slots = self.slots.borrow_mut();
        let Some(i) = slots.iter().position(|s| s.0 == id) else {
            return false;
        };
        let slot = slots.swap_remove(i).1;
        drop(slots);
        if wasted {
            if let Some(e) = slot.file.and_then(|f| self.entry(f)) {
                e.bytes_resent.set(e.bytes_resent.get() + slot.sent);
            }
        }
        true
    }

    fn perform(&self, action: Action) {
        match action {
            Action::SendSingle { id, file, params } => {
                let Some(e) = self.entry(file) else { return };
                let blob: Blob = e.file.clone().into();
                let (method, body, headers) = match params.method {
                    UploadMethod::Put => (
                        "PUT",
                        Body::Blob(blob),
                        params.headers.into_iter().collect(),
                    ),
                    UploadMethod::Post => {
                        let Ok(form) = FormData::new() else { return };
                        for (k, v) in &params.fields {
                            let _ = form.append_with_str(k, v);
                        }
                        let _ = form.append_with_blob("file", &blob);
                        ("POST", Body::Form(form), Vec::new())
                    }
                };
                self.send(id, &e, method, params.url, headers, body);
            }
            Action::SendPart {
                id,
                file,
                url,
                headers,
                start,
                end,
                ..
            } => {
                let Some(e) = self.entry(file) else { return };
                let Ok(blob) = e.file.slice_with_f64_and_f64(start as f64, end as f64) else {
                    return self.feed(Event::Failed {
                        id,
                        failure: Failure::network(),
                    });
                };
                self.send(id, &e, "PUT", url, headers, Body::Blob(blob));
            }
            Action::CancelRequest { id } => {
                let abort = self
                    .slots
                    .borrow()
                    .iter()
                    .find(|s| s.0 == id)
                    .map(|s| s.1.abort.clone());
                if let Some(abort) = abort {
                    abort.abort();
                }
                self.close(id, true);
            }
            Action::Digest {
                file,
                part,
                start,
                end,
                algorithm,
            } => {
                let Some(e) = self.entry(file) else { return };
                let me = self.rc();
                wasm_bindgen_futures::spawn_local(async move {
                    let value = browser::digest(&e.file, start, end, algorithm).await;
                    me.feed(Event::Digested { file, part, value });
                });
            }
            Action::SaveResume { record, .. } => browser::save_record(&record),
            Action::ForgetResume { fingerprint, .. } => browser::forget(&fingerprint),
            Action::Progress { file, progress } => {
                let Some(e) = self.entry(file) else { return };
                // Known once the store listed the parts (`upload.resumed`).
                e.resumed.set(self.engine.borrow().resumed(file));
                if let Some(cb) = &e.on_progress {
                    let _ = cb.call1(&JsValue::UNDEFINED, &progress_to_js(&progress));
                }
            }
            Action::PartStored {
                file,
                part,
                etag,
                size,
            } => {
                let Some(e) = self.entry(file) else { return };
                e.parts_uploaded.set(e.parts_uploaded.get() + 1);
                if let Some(cb) = &e.on_part {
                    let o = Object::new();
                    set(&o, "partNumber", part);
                    set(&o, "etag", etag);
                    set(&o, "size", size as f64);
                    let _ = cb.call1(&JsValue::UNDEFINED, &o);
                }
            }
            Action::Finished { file, result } => {
                let entry = {
                    let mut files = self.files.borrow_mut();
                    let i = files.iter().position(|e| e.id == file);
                    i.map(|i| files.remove(i))
                };
                if let Some(e) = entry {
                    settle(&e, result);
                }
            }
            signer_call => self.call(signer_call),
        }
    }

    /// A signer call, answered into the engine.
    fn call(&self, action: Action) {
        let Some((id, file)) = signer_ids(&action) else {
            return;
        };
        let abort = self.open(id, file);
        let me = self.rc();
        wasm_bindgen_futures::spawn_local(async move {
            let out = me.settings.signer.call(&action, &abort).await;
            if let Some(out) = out {
                if me.close(id, false) {
                    me.feed(match out {
                        Ok(answer) => Event::Signer { id, answer },
                        Err(failure) => Event::Failed { id, failure },
                    });
                }
            }
        });
    }

    /// A store request with byte progress, answered into the engine.
    fn send(
        &self,
        id: RequestId,
        e: &Entry,
        method: &'static str,
        url: String,
        headers: Vec<(String, String)>,
        body: Body,
    ) {
        e.part_requests.set(e.part_requests.get() + 1);
        let abort = self.open(id, Some(e.id));
        let me = self.rc();
        let weak = Rc::downgrade(&me);
        let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |sent: f64| {
            let Some(d) = weak.upgrade() else { return };
            let live = match d.slots.borrow_mut().iter_mut().find(|s| s.0 == id) {
                Some(slot) => {
                    slot.1.sent = sent;
                    true
                }
                None => false,
            };
            if live {
                d.feed(Event::Sent {
                    id,
                    bytes: sent as u64,
                });
            }
        });
        let kind = self.settings.transport;
        wasm_bindgen_futures::spawn_local(async move {
            let put = Put {
                method,
                url: &url,
                headers: &headers,
                body,
                on_progress,
                abort: &abort,
            };
            let event = match transport::send(kind, put).await {
                Ok(Answer { status, etag, .. }) if (200..300).contains(&status) => {
                    Some(Event::Stored { id, etag })
                }
                Ok(a) => Some(Event::Failed {
                    id,
                    failure: Failure::from_store(a.status, &a.text, a.retry_after.as_deref()),
                }),
                Err(transport::Failure::Network) => Some(Event::Failed {
                    id,
                    failure: Failure::network(),
                }),
                Err(transport::Failure::Aborted) => None,
            };
            if let Some(event) = event {
                let ok = matches!(event, Event::Stored { .. });
                if me.close(id, !ok) {
                    me.feed(event);
                }
            }
        });
    }
}

/// The request id and file of a signer call.
fn signer_ids(a: &Action) -> Option<(RequestId, Option<FileId>)> {
    Some(match a {
        Action::SignParamsBatch { id, .. } | Action::Confirm { id, .. } => (*id, None),
        Action::SignParams { id, file, .. }
        | Action::CreateMultipart { id, file, .. }
        | Action::SignParts { id, file, .. }
        | Action::SignPart { id, file, .. }
        | Action::ListParts { id, file, .. }
        | Action::Complete { id, file, .. }
        | Action::Abort { id, file, .. } => (*id, Some(*file)),
        _ => return None,
    })
}

fn progress_to_js(p: &Progress) -> JsValue {
    let o = Object::new();
    set(&o, "bytesSent", p.bytes_sent as f64);
    set(&o, "totalBytes", p.total_bytes as f64);
    set(&o, "bytesPerSecond", p.bytes_per_second);
    set(
        &o,
        "etaSeconds",
        p.eta_seconds.map(JsValue::from).unwrap_or(JsValue::NULL),
    );
    o.into()
}

fn opt(v: Option<String>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// Settles `done` with the engine's verdict.
fn settle(e: &Entry, result: Result<Outcome, UploadError>) {
    let done = e.done.borrow().clone();
    match result {
        Ok(o) => {
            e.state.set(State::Done);
            e.resumed.set(o.resumed);
            let r = Object::new();
            set(&r, "key", o.key);
            set(&r, "bucket", opt(o.bucket));
            set(&r, "location", opt(o.location));
            set(&r, "etag", opt(o.etag));
            set(&r, "confirmed", o.confirmed);
            let checksum = match o.checksum {
                Some(c) => {
                    let x = Object::new();
                    set(&x, "crc64nvme", c);
                    x.into()
                }
                None => JsValue::NULL,
            };
            set(&r, "checksum", checksum);
            done.resolve(&r);
        }
        Err(err) => {
            e.state.set(if err.code == ErrorCode::Cancelled {
                State::Cancelled
            } else {
                State::Failed
            });
            done.reject(&error_to_js(&err));
        }
    }
}
