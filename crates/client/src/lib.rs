//! s3lift browser client: direct-to-S3 uploads over presigned URLs.
//!
//! ```js
//! import init, { Uploader } from 's3lift';
//! await init();
//! const up = new Uploader({ endpoint: '/s3', headers: { Authorization: 'Bearer …' } });
//! const upload = up.upload(file, { onProgress: (p) => console.log(p.bytesSent / p.totalBytes) });
//! const { key, location } = await upload.done;
//! ```
//!
//! A thin driver over `s3lift_engine`, which makes every decision (queue,
//! AIMD limit, planning, signing windows, retries, pause/resume/cancel,
//! resume records, progress), tested natively by simulation.
//!
//! - [`driver`]: the event loop between the engine and the browser.
//! - [`signer`]: docs/protocol.md calls over `fetch`, one attempt each.
//! - [`transport`]: `xhr` (byte progress) and `fetch` store requests.
//! - [`browser`]: digests (WebCrypto, CRC-32) and `localStorage` resume records.
//! - [`decode`]: the signer's JSON into the wire types.
//! - `options`: `new Uploader(...)`'s options, read into the engine's and
//!   the driver's settings.
//! - [`heap`]: the allocator (size classes; smaller than dlmalloc).
//! - [`js`]: the I/O snippet `io.js` (plumbing only), timers, errors with
//!   machine codes, JSON text.
// No `std` outside tests. Built without the `std` feature (the bundle),
// nothing links it: a panic traps, with no message formatted (`core::fmt`
// and std's panic hook and their strings leave the module).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

#[cfg(all(target_arch = "wasm32", not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

pub mod browser;
pub mod decode;
pub mod driver;
pub mod heap;
pub mod js;
mod options;
pub mod signer;
pub mod transport;

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use s3lift_engine::{Engine, Event, FileId};
use wasm_bindgen::prelude::*;
use web_sys::File;

use crate::driver::{tell, Driver, Entry, Shared, State};

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: heap::SizeClasses = heap::SizeClasses::new();
use crate::js::{error_to_js, get, Deferred};
use crate::options::config;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `new Uploader(...)`. */
export interface UploaderOptions {
  /** Base URL of the signer's routes, e.g. `/s3` or `https://api.example/s3`. */
  endpoint: string;
  /** Headers for signer calls (auth), or a function returning them (sync or async) for token refresh. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Part size in bytes (default: the signer's plan; at least 5 MiB). */
  partSize?: number;
  /** Requests in flight across all files of this uploader (default 6). */
  concurrency?: number;
  /** Files smaller than this go in one request (default 8 MiB). */
  multipartThreshold?: number;
  /** Retry policy for parts and signer calls. */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per-part checksum signed into each part URL (default 'none'). 'crc64nvme' also checks the
   *  whole file: its CRC64NVME, combined from the parts', is verified by the store at complete. */
  checksum?: 'sha256' | 'crc32' | 'crc64nvme' | 'none';
  /** Resume multipart uploads after a page reload (default true). */
  resume?: boolean;
  /** A resume record older than this is not continued: its upload is aborted when the file
   *  comes back, and the file starts afresh (default 7 days). */
  resumeTtlMs?: number;
  /** `'xhr'` reports bytes as they leave (default); `'fetch'` reports per part and is lighter. */
  transport?: 'xhr' | 'fetch';
  /** A request with no upload progress for this long is aborted and retried (default 30000 ms; 0 disables). */
  stallTimeoutMs?: number;
  /** Run the engine, its requests and its checksums in a dedicated Web Worker (the package's
   *  `s3lift-worker.js`, a module worker; default false): the page only handles progress, state
   *  and results, so a long SHA-256 upload leaves the main thread free. The API is the same, with
   *  three differences: the options go to the worker by structured clone (`headers` may still be a
   *  function: the worker asks the page for each call); the `Upload` getters (`state`, `resumed`,
   *  `fingerprint`, `stats`…) mirror the worker's and are updated with each event, so `fingerprint`
   *  is known a moment after `upload()` returns, not at once; and a bad option rejects each
   *  upload's `done` (code `bad_option`) instead of throwing here. Resume records stay in the page's
   *  `localStorage`. `uploader.free()` stops the worker. */
  worker?: boolean;
}

/** Byte-level progress of one upload. */
export interface Progress {
  bytesSent: number;
  totalBytes: number;
  /** Moving average over the last seconds. */
  bytesPerSecond: number;
  /** `null` until the speed is known. */
  etaSeconds: number | null;
  /** `'file_changed'`: the file is not the one whose parts the store held
   *  (resumed after an edit), so the upload started over. */
  restarted: 'file_changed' | null;
}

/** A stored part. */
export interface PartUploaded { partNumber: number; etag: string; size: number }

/** Options of `uploader.upload(file, ...)`. */
export interface UploadOptions {
  /** Stored as `x-amz-meta-*` (multipart uploads). */
  metadata?: Record<string, string>;
  /** The file's path inside a picked or dropped folder, its name included (`photos/2024/a.jpg`,
   *  what `File.webkitRelativePath` holds): the key keeps the folders. The signer sanitizes it and
   *  refuses a `..` segment or a path too deep or too long (`bad_path`); Companion ignores it. */
  relativePath?: string;
  onProgress?: (p: Progress) => void;
  onPartUploaded?: (p: PartUploaded) => void;
  /** Called with the new `state` each time `upload.state` changes, `'offline'` included: from the
   *  first `'queued'` to `'uploading'` (or `'another-tab'`), `'offline'` and back, `'paused'`, and
   *  once with `'done'`, `'failed'` or `'cancelled'`. Called in a microtask, so never from inside
   *  `upload()`, `pause()`, `resume()` or `cancel()`; a change undone in the same turn is told too
   *  (`pause(); resume()`: `'paused'`, then `'uploading'`). The last call comes before
   *  `await upload.done` goes on. */
  onStateChange?: (state: UploadState) => void;
  /** Aborting it cancels the upload. */
  signal?: AbortSignal;
  /** Continue the upload recorded under this fingerprint (`upload.fingerprint` of an
   *  earlier page) instead of the file's own: the same file picked again. If it changed
   *  (name, size, lastModified, type, or the bytes of its stored parts), the recorded
   *  upload is aborted and the file starts over (`restarted: 'file_changed'`). */
  resumeFrom?: string;
}

/** What `upload.done` resolves to. `confirmed`: the signer checked the stored object and sent
 *  its `upload.completed` webhook (false against Companion, or when a small file's
 *  `POST /params/complete` kept failing after retries: the object is stored either way). */
export interface UploadResult { key: string; bucket: string | null; location: string; etag: string | null; confirmed: boolean; checksum: { crc64nvme: string } | null; restarted: 'file_changed' | null }

/** `offline`: the browser has no network; the upload waits for it (no retries burned).
 *  `another-tab`: the same file is uploading in another tab of this site; this upload takes
 *  over (from the parts stored) when that tab finishes or closes. */
export type UploadState = 'queued' | 'uploading' | 'offline' | 'another-tab' | 'paused' | 'done' | 'failed' | 'cancelled';

/** Counters, for tests and dashboards. `retries`: failed store requests counted against the
 *  retry budget (those cut by going offline are not). */
export interface UploadStats { partsUploaded: number; partRequests: number; bytesResent: number; retries: number }

/** `upload.done` rejects with this: `code` is a machine code (`cancelled`, `etag_unreadable`, `browser` (with
 *  `worker: true`, the worker could not start),
 *  `missing_token`, `too_large`, `store_refused`, `retries_exhausted`, `network`…), `status` the HTTP status if any,
 *  `key` an object that may have been stored anyway (a single upload whose answer was lost). */
export interface UploadError extends Error { code: string; status?: number; key?: string }
"#;

/// Uploads files to S3 through a signer. One engine (one queue, one
/// request limit) serves every file it uploads.
#[wasm_bindgen]
pub struct Uploader {
    driver: Rc<Driver>,
    next: Cell<u64>,
}

#[wasm_bindgen]
impl Uploader {
    /// Creates an uploader. Throws on invalid options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "UploaderOptions")] options: JsValue,
    ) -> Result<Uploader, JsValue> {
        let (cfg, settings) = config(&options)?;
        Ok(Uploader {
            driver: Driver::new(Engine::new(cfg), settings),
            next: Cell::new(0),
        })
    }

    /// Starts uploading `file`; returns its handle at once.
    pub fn upload(
        &self,
        file: File,
        // A `JsValue`, not an `Option`: the glue passes it as it is (absent
        // or `null` has no fields, as `undefined`).
        #[wasm_bindgen(unchecked_param_type = "UploadOptions")] options: JsValue,
    ) -> Upload {
        self.next.set(self.next.get() + 1);
        // Any object; its entries of a string value (a lax read never fails).
        let metadata = decode::entries(
            &get(&options, "metadata"),
            "metadata",
            JsValue::as_string,
            true,
        )
        .unwrap_or_default();
        let relative_path = js::get_str(&options, "relativePath").filter(|p| !p.is_empty());
        let entry = Rc::new(Entry {
            id: FileId(self.next.get()),
            file,
            metadata,
            relative_path,
            on_progress: js::get_fn(&options, "onProgress"),
            on_part: js::get_fn(&options, "onPartUploaded"),
            state: Cell::new(State::Queued),
            resumed: Cell::new(false),
            restarted: Cell::new(None),
            resume_from: js::get_str(&options, "resumeFrom"),
            fingerprint: RefCell::default(),
            parts_uploaded: Cell::new(0),
            part_requests: Cell::new(0),
            bytes_resent: Cell::new(0.0),
            retries: Cell::new(0),
            on_state: js::get_fn(&options, "onStateChange"),
            told: Cell::new(State::Queued),
            elsewhere: Cell::new(false),
            lock: RefCell::new(None),
            done: RefCell::new(Deferred::new()),
        });
        let up = Upload {
            driver: self.driver.clone(),
            entry,
        };
        self.driver.add(up.entry.clone());
        up
    }
}

/// One file's upload.
#[wasm_bindgen]
pub struct Upload {
    driver: Rc<Driver>,
    entry: Rc<Entry>,
}

#[wasm_bindgen]
impl Upload {
    /// Settles when the upload ends: the result, or an `UploadError`.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<UploadResult>")]
    pub fn done(&self) -> js_sys::Promise {
        self.entry.done.read().promise()
    }

    /// Stops new parts and aborts those in flight.
    pub fn pause(&self) {
        let s = &self.entry.state;
        // One waiting on another tab pauses too: it stays paused when it takes over.
        if matches!(
            s.get(),
            State::Uploading | State::Queued | State::AnotherTab
        ) {
            // Told now, not by the pump: a resume() before it would hide it
            // (and first what it paused, an upload() in this turn untold yet).
            tell(&self.entry, self.driver.shown(&self.entry));
            s.set(State::Paused);
            tell(&self.entry, State::Paused);
            self.driver.feed_later(Event::Pause(self.entry.id));
        }
    }

    /// Continues a paused upload, sending only the parts the store lacks.
    pub fn resume(&self) {
        let e = &self.entry;
        if e.state.get() != State::Paused {
            return;
        }
        let s = if !self.driver.is_waiting(e.id) {
            self.driver.feed_later(Event::Resume(e.id));
            State::Uploading
        } else if e.elsewhere.get() {
            // Still waiting for its Web Lock: back to what it waits for.
            State::AnotherTab
        } else {
            State::Queued
        };
        e.state.set(s);
        // Told now, as pause() is ('offline' if the network is gone).
        tell(e, self.driver.shown(e));
    }

    /// Stops and aborts the multipart upload; `done` rejects with code `cancelled`.
    pub fn cancel(&self) {
        let e = &self.entry;
        if self.driver.forget_waiting(e.id) {
            // Waiting for another tab: it never reached the engine, so
            // there is nothing to stop or abort.
            e.state.set(State::Cancelled);
        } else {
            match e.state.replace(State::Cancelled) {
                State::Done => return e.state.set(State::Done),
                State::Cancelled => return,
                // It ended already (its multipart upload was aborted then):
                // a fresh `done` says cancelled.
                State::Failed => *e.done.write() = Deferred::new(),
                _ => return self.driver.feed_later(Event::Cancel(e.id)),
            }
        }
        // Told first, then `done` (one rejection for both ways here).
        tell(e, State::Cancelled);
        let cancelled = s3lift_engine::UploadError::cancelled();
        e.done.read().reject(&error_to_js(&cancelled));
    }

    /// After a failure, uploads the file again (with a fresh `done`).
    pub fn retry(&self) {
        if self.entry.state.get() == State::Failed {
            *self.entry.done.write() = Deferred::new();
            self.driver.add(self.entry.clone());
        }
    }

    /// The current state.
    #[wasm_bindgen(getter, unchecked_return_type = "UploadState")]
    pub fn state(&self) -> JsValue {
        // Named by the snippet (no string passed).
        js::named(self.driver.shown(&self.entry) as u8)
    }

    /// True when this upload continues one started before a page reload.
    #[wasm_bindgen(getter)]
    pub fn resumed(&self) -> bool {
        self.entry.resumed.get()
    }

    /// `'file_changed'` when the upload started over because the file is
    /// not the one whose parts the store held; otherwise `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "'file_changed' | null")]
    pub fn restarted(&self) -> JsValue {
        js::named(driver::restart(self.entry.restarted.get()))
    }

    /// The key of this file's resume record (`resume` on, multipart): give
    /// it as `resumeFrom` to continue after a reload.
    #[wasm_bindgen(getter, unchecked_return_type = "string | undefined")]
    pub fn fingerprint(&self) -> JsValue {
        match self.entry.fingerprint.read().as_deref() {
            Some(f) => JsValue::from_str(f),
            None => JsValue::UNDEFINED,
        }
    }

    /// Counters: parts stored, part requests sent, bytes re-sent after failures.
    #[wasm_bindgen(getter, unchecked_return_type = "UploadStats")]
    pub fn stats(&self) -> JsValue {
        let e = &self.entry;
        js::stats(
            e.parts_uploaded.get() as i32,
            e.part_requests.get() as i32,
            e.bytes_resent.get(),
            self.driver.retries(e) as i32,
        )
    }
}
