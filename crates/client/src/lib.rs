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
//! - [`upload`]: one file's upload (single request or multipart) and the shared pool.
//! - [`transport`]: `xhr` (byte progress) and `fetch` part requests, with stall detection.
//! - [`signer`]: docs/protocol.md calls through gloo-net.
//! - [`confirm`]: `POST /params/complete` after a single-request upload (the webhook).
//! - [`js`]: timers, deferred promises, errors with machine codes.
//!
//! The decisions themselves (planning, retry verdicts, backoff, AIMD
//! concurrency, progress, completeness) live in `s3lift_protocol`, tested natively.

pub mod batch;
pub mod confirm;
pub mod decode;
pub mod js;
pub mod signer;
pub mod transport;
pub mod upload;

use s3lift_protocol::error_code::ErrorCode;
use std::rc::Rc;

use s3lift_protocol::plan::MIB;
use s3lift_protocol::retry::RetryPolicy;
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::prelude::*;
use web_sys::File;

use crate::js::{get, get_f64, get_str, UploadError};
use crate::upload::{Config, Inner, Pool};

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
  /** Per-part checksum signed into each part URL (default 'none'). */
  checksum?: 'sha256' | 'crc32' | 'none';
  /** Resume multipart uploads after a page reload (default true). */
  resume?: boolean;
  /** `'xhr'` reports bytes as they leave (default); `'fetch'` reports per part and is lighter. */
  transport?: 'xhr' | 'fetch';
  /** A request with no upload progress for this long is aborted and retried (default 30000 ms; 0 disables). */
  stallTimeoutMs?: number;
}

/** Byte-level progress of one upload. */
export interface Progress {
  bytesSent: number;
  totalBytes: number;
  /** Moving average over the last seconds. */
  bytesPerSecond: number;
  /** `null` until the speed is known. */
  etaSeconds: number | null;
}

/** A stored part. */
export interface PartUploaded { partNumber: number; etag: string; size: number }

/** Options of `uploader.upload(file, ...)`. */
export interface UploadOptions {
  /** Stored as `x-amz-meta-*` (multipart uploads). */
  metadata?: Record<string, string>;
  onProgress?: (p: Progress) => void;
  onPartUploaded?: (p: PartUploaded) => void;
  /** Aborting it cancels the upload. */
  signal?: AbortSignal;
}

/** What `upload.done` resolves to. `confirmed`: the signer checked the stored object and sent
 *  its `upload.completed` webhook (false against Companion, or when a small file's
 *  `POST /params/complete` kept failing after retries: the object is stored either way). */
export interface UploadResult { key: string; bucket: string | null; location: string; etag: string | null; confirmed: boolean }

export type UploadState = 'queued' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled';

/** Counters, for tests and dashboards. */
export interface UploadStats { partsUploaded: number; partRequests: number; bytesResent: number }

/** `upload.done` rejects with this: `code` is a machine code (`cancelled`, `etag_unreadable`,
 *  `missing_token`, `too_large`, `store_refused`, `retries_exhausted`, `network`…), `status` the HTTP status if any. */
export interface UploadError extends Error { code: string; status?: number }
"#;

/// Uploads files to S3 through a signer. One pool of requests is shared by
/// every file it uploads.
#[wasm_bindgen]
pub struct Uploader {
    cfg: Rc<Config>,
    pool: Rc<Pool>,
    /// Small files' params, signed many per call, outside the part pool so
    /// signing overlaps the PUTs.
    batcher: Rc<batch::ParamsBatcher>,
}

#[wasm_bindgen]
impl Uploader {
    /// Creates an uploader. Throws on invalid options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "UploaderOptions")] options: JsValue,
    ) -> Result<Uploader, JsValue> {
        let cfg = config(&options).map_err(|e| e.to_js())?;
        let pool = Rc::new(Pool::new(cfg.concurrency));
        let batcher = Rc::new(batch::ParamsBatcher::new(cfg.concurrency));
        Ok(Uploader {
            cfg: Rc::new(cfg),
            pool,
            batcher,
        })
    }

    /// Starts uploading `file`; returns its handle at once.
    pub fn upload(
        &self,
        file: File,
        #[wasm_bindgen(unchecked_param_type = "UploadOptions | undefined")] options: JsValue,
    ) -> Upload {
        let inner = Inner::new(
            self.cfg.clone(),
            self.pool.clone(),
            self.batcher.clone(),
            file,
            &options,
        );
        if let Ok(signal) = get(&options, "signal").dyn_into::<web_sys::AbortSignal>() {
            let weak = Rc::downgrade(&inner);
            let on_abort = Closure::once_into_js(move || {
                if let Some(i) = weak.upgrade() {
                    i.cancel();
                }
            });
            if signal.aborted() {
                inner.cancel();
            } else {
                let _ = signal.add_event_listener_with_callback("abort", on_abort.unchecked_ref());
            }
        }
        inner.start();
        Upload { inner }
    }
}

/// One file's upload.
#[wasm_bindgen]
pub struct Upload {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Upload {
    /// Settles when the upload ends: the result, or an `UploadError`.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<UploadResult>")]
    pub fn done(&self) -> js_sys::Promise {
        self.inner.done.borrow().promise.clone()
    }

    /// Stops new parts and aborts those in flight.
    pub fn pause(&self) {
        self.inner.pause();
    }

    /// Continues a paused upload, sending only the parts the store lacks.
    pub fn resume(&self) {
        self.inner.resume();
    }

    /// Stops and aborts the multipart upload; `done` rejects with code `cancelled`.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// After a failure, continues the same upload (its stored parts are kept).
    pub fn retry(&self) {
        self.inner.retry();
    }

    /// The current state.
    #[wasm_bindgen(getter, unchecked_return_type = "UploadState")]
    pub fn state(&self) -> String {
        self.inner.state.get().as_str().to_owned()
    }

    /// True when this upload continues one started before a page reload.
    #[wasm_bindgen(getter)]
    pub fn resumed(&self) -> bool {
        self.inner.resumed.get()
    }

    /// Counters: parts stored, part requests sent, bytes re-sent after failures.
    #[wasm_bindgen(getter, unchecked_return_type = "UploadStats")]
    pub fn stats(&self) -> JsValue {
        let o = js_sys::Object::new();
        js::set(&o, "partsUploaded", self.inner.stats.parts_uploaded.get());
        js::set(&o, "partRequests", self.inner.stats.part_requests.get());
        js::set(&o, "bytesResent", self.inner.bytes_resent());
        o.into()
    }
}

fn config(o: &JsValue) -> Result<Config, UploadError> {
    let bad = |m: &str| UploadError::new(ErrorCode::BadOption, m.to_owned());
    let endpoint = get_str(o, "endpoint")
        .ok_or_else(|| bad("`endpoint` (the signer's base URL, e.g. '/s3') is required"))?;
    let mut retry = RetryPolicy::default();
    let r = get(o, "retry");
    if r.is_object() {
        if let Some(v) = get_f64(&r, "maxAttempts") {
            retry.max_attempts = (v as u32).max(1);
        }
        if let Some(v) = get_f64(&r, "baseDelayMs") {
            retry.base_delay_ms = v as u32;
        }
        if let Some(v) = get_f64(&r, "maxDelayMs") {
            retry.max_delay_ms = v as u32;
        }
    }
    let checksum = match get_str(o, "checksum").as_deref() {
        None | Some("none") => None,
        Some("sha256") => Some(ChecksumAlgorithm::Sha256),
        Some("crc32") => Some(ChecksumAlgorithm::Crc32),
        Some(_) => return Err(bad("`checksum` must be 'sha256', 'crc32' or 'none'")),
    };
    let transport = match get_str(o, "transport").as_deref() {
        None | Some("xhr") => transport::Kind::Xhr,
        Some("fetch") => transport::Kind::Fetch,
        Some(_) => return Err(bad("`transport` must be 'xhr' or 'fetch'")),
    };
    let concurrency = get_f64(o, "concurrency").unwrap_or(6.0);
    if !(1.0..=64.0).contains(&concurrency) {
        return Err(bad("`concurrency` must be from 1 to 64"));
    }
    let part_size = get_f64(o, "partSize").map(|v| v as u64);
    let stall_ms = get_f64(o, "stallTimeoutMs")
        .map(|v| v as u32)
        .unwrap_or(30_000);
    Ok(Config {
        signer: Rc::new(signer::Signer {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            headers: get(o, "headers"),
            retry,
            timeout_ms: stall_ms,
            complete_unsupported: std::cell::Cell::new(false),
        }),
        concurrency: concurrency as u32,
        part_size,
        threshold: get_f64(o, "multipartThreshold")
            .map(|v| v as u64)
            .unwrap_or(8 * MIB),
        retry,
        checksum,
        resume: get(o, "resume").as_bool().unwrap_or(true),
        transport,
        stall_ms,
    })
}
