//! Carrying out the engine's actions and feeding back what came of them:
//! store requests and signer calls are rows of the request table, opened
//! when sent and closed by their answer (or a cancel); digests, resume
//! records, and the app's callbacks and `done` promise.

use js_sys::Function;
use s3lift_engine::{Action, Event, FileId, Outcome, RequestId, Restart, UploadError};
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::progress::Progress;
use s3lift_protocol::wire::UploadMethod;
use wasm_bindgen::prelude::*;

use super::tabs::release;
use super::{at, ms, tell, Driver, Entry, Shared, Slot, State};
use crate::browser;
use crate::js::{self, error_to_js, Json};
use crate::signer;
use crate::transport::{self, WHOLE};

impl Driver {
    /// Ends request `id`; `None` when it was stopped already (the engine
    /// forgot it, so its answer is dropped).
    fn close(&self, id: RequestId) -> Option<Slot> {
        let mut slots = self.slots.write();
        let i = slots.iter().position(|s| s.id == id)?;
        Some(slots.swap_remove(i))
    }

    /// Counts what `slot` sent as re-sent.
    fn wasted(&self, slot: &Slot) {
        if let Some(e) = slot.file.and_then(|f| self.entry(f)) {
            e.bytes_resent.set(e.bytes_resent.get() + slot.sent);
        }
    }

    /// The snippet's answer to request `id`, fed to the engine.
    pub(super) fn answered(
        &self,
        id: RequestId,
        status: u16,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
    ) {
        // Out of the table first (reading the answer touches no row).
        let Some(slot) = self.close(id) else {
            return;
        };
        let event = match slot.signer {
            Some(kind) => match signer::answer(kind, status, a, b) {
                Ok(answer) => Event::Signer { id, answer },
                Err(failure) => Event::Failed { id, failure },
            },
            None => transport::event(id, status, a, b, c),
        };
        if slot.signer.is_none() && !matches!(event, Event::Stored { .. }) {
            self.wasted(&slot);
        }
        if status == 0 && !js::on_line() && !self.engine.read().offline() {
            // The request died with the network, and its failure came
            // before the `offline` event: the engine hears of the
            // outage first, so the failure burns no retry.
            self.engine.write().handle(ms(), Event::Offline);
        }
        self.feed(event);
    }

    /// Bytes sent so far by store request `id`.
    pub(super) fn sent(&self, id: RequestId, sent: f64) {
        let live = match self.slots.write().iter_mut().find(|s| s.id == id) {
            Some(slot) => {
                slot.sent = sent;
                true
            }
            None => false,
        };
        if live {
            self.feed(Event::Sent {
                id,
                bytes: sent as u64,
            });
        }
    }

    #[inline(never)]
    pub(super) fn perform(&self, action: &Action) {
        match *action {
            Action::SendSingle {
                id,
                file,
                ref params,
            } => {
                let Some(e) = self.entry(file) else { return };
                // The whole file: a PUT with its signed headers, or a POST
                // as a form of these fields, then the file.
                let put = matches!(params.method, UploadMethod::Put);
                let pairs = Json::pairs(if put {
                    params.headers.as_slice()
                } else {
                    params.fields.as_slice()
                });
                let (headers, fields) = if put {
                    (pairs.as_str(), "")
                } else {
                    ("{}", pairs.as_str())
                };
                self.send(id, &e, &params.url, headers, WHOLE, fields);
            }
            Action::SendPart {
                id,
                file,
                ref url,
                ref headers,
                start,
                end,
                ..
            } => {
                let Some(e) = self.entry(file) else { return };
                let headers = Json::pairs(headers);
                let range = (start as f64, end as f64);
                self.send(id, &e, url, &headers, range, "");
            }
            Action::CancelRequest { id } => {
                // Out of the table first: an XHR's abort reports at once.
                if let Some(slot) = self.close(id) {
                    self.wasted(&slot);
                    js::abort(&slot.handle);
                }
            }
            Action::Digest {
                file,
                part,
                start,
                end,
                algorithm,
            } => {
                let Some(e) = self.entry(file) else { return };
                let done = self.callbacks.digested.as_ref();
                let f = file.0 as f64;
                browser::digest(&e.file, start, end, algorithm, f, part, done);
            }
            Action::SaveResume { ref record, .. } => browser::save_record(record),
            Action::ForgetResume {
                ref fingerprint, ..
            } => browser::forget(fingerprint),
            Action::Restarted { file, reason } => {
                if let Some(e) = self.entry(file) {
                    e.restarted.set(Some(reason));
                }
            }
            Action::Progress { file, progress } => {
                let Some(e) = self.entry(file) else { return };
                // Known once the store listed the parts (`upload.resumed`).
                e.resumed.set(self.engine.read().resumed(file));
                self.retries(&e);
                if let Some(cb) = &e.on_progress {
                    report(cb, &progress, e.restarted.get());
                }
            }
            Action::PartStored {
                file,
                part,
                ref etag,
                size,
            } => {
                let Some(e) = self.entry(file) else { return };
                e.parts_uploaded.set(e.parts_uploaded.get() + 1);
                if let Some(cb) = &e.on_part {
                    js::part(cb, part as i32, etag, size as f64);
                }
            }
            Action::Finished { file, ref result } => {
                let entry = {
                    let mut files = self.files.write();
                    let i = at(&files, file);
                    i.map(|i| s3lift_protocol::remove_at(&mut files, i))
                };
                if let Some(e) = entry {
                    release(&e);
                    settle(&e, result);
                }
            }
            _ => self.call(action),
        }
    }

    /// Opens a row for request `id`, started by `start`.
    fn open(
        &self,
        id: RequestId,
        file: Option<FileId>,
        signer: Option<signer::Kind>,
        handle: JsValue,
    ) {
        self.slots.write().push(Slot {
            id,
            handle,
            file,
            sent: 0.0,
            signer,
        });
    }

    /// A signer call, answered into the engine.
    fn call(&self, action: &Action) {
        let s = &self.settings.signer;
        let Some(req) = signer::request(action, s.checksum) else {
            return;
        };
        let done = self.callbacks.answer.as_ref();
        let handle = js::signer(&s.endpoint, &req.spec, &s.headers, req.id.0 as f64, done);
        self.open(req.id, req.file, Some(req.kind), handle);
    }

    /// A store request with byte progress, answered into the engine.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        id: RequestId,
        e: &Entry,
        url: &str,
        headers: &str,
        range: (f64, f64),
        fields: &str,
    ) {
        e.part_requests.set(e.part_requests.get() + 1);
        let cb = &self.callbacks;
        let handle = transport::send(
            self.settings.transport,
            url,
            headers,
            &e.file,
            range,
            fields,
            id.0 as f64,
            cb.progress.as_ref(),
            cb.answer.as_ref(),
        );
        self.open(id, Some(e.id), None, handle);
    }
}

fn report(cb: &Function, p: &Progress, restarted: Option<Restart>) {
    js::progress(
        cb,
        p.bytes_sent as f64,
        p.total_bytes as f64,
        p.bytes_per_second,
        p.eta_seconds.unwrap_or(-1.0),
        super::restart(restarted),
    );
}

/// Settles `done` with the engine's verdict (`onStateChange` told first).
fn settle(e: &Entry, result: &Result<Outcome, UploadError>) {
    let s = match result {
        Ok(_) => State::Done,
        Err(err) if err.code == ErrorCode::Cancelled => State::Cancelled,
        Err(_) => State::Failed,
    };
    tell(e, s);
    e.state.set(s);
    let done = e.done.read();
    match result {
        Ok(o) => {
            e.resumed.set(o.resumed);
            done.resolve(&js::result(
                &o.key,
                o.bucket.as_deref(),
                o.location.as_deref(),
                o.etag.as_deref(),
                o.confirmed,
                o.checksum.as_deref().unwrap_or(""),
                super::restart(o.restarted),
            ));
        }
        Err(err) => done.reject(&error_to_js(err)),
    }
}
