//! Signing many small files in few signer calls (`POST /s3/params`, an
//! extension), so a folder of small files keeps the upload pool full
//! instead of waiting on one signer round trip per file.
//!
//! Requests queue up during one turn of the event loop and leave together,
//! up to 100 per call. A signer without the route (Companion) answers 404 or
//! 405 once; from then on each file asks `GET /s3/params` on its own, at
//! most `concurrency` at a time.

use s3lift_protocol::error_code::ErrorCode;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Object};
use s3lift_protocol::wire::{ErrorBody, UploadParams};
use wasm_bindgen::JsValue;

use crate::decode::FromJs;
use crate::js::{get, set, sleep, to_json, Deferred, UploadError};
use crate::signer::{bad_answer, enc, static_code, Method, Signer};
use crate::upload::Pool;

/// One small file to sign.
#[derive(Clone)]
pub struct ParamsRequest {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
}

type Slot = Rc<RefCell<Option<Result<UploadParams, UploadError>>>>;

/// The queue of files waiting for their params.
pub struct ParamsBatcher {
    queue: RefCell<Vec<(ParamsRequest, Slot, Deferred)>>,
    running: Cell<bool>,
    unsupported: Cell<bool>,
    /// Bounds the one-by-one calls of the fallback, so they overlap the
    /// uploads without flooding the signer.
    pool: Pool,
}

const MAX_BATCH: usize = 100;

impl ParamsBatcher {
    /// A batcher whose fallback keeps at most `concurrency` signer calls in flight.
    pub fn new(concurrency: u32) -> Self {
        Self {
            queue: RefCell::default(),
            running: Cell::new(false),
            unsupported: Cell::new(false),
            pool: Pool::new(concurrency),
        }
    }

    /// Params for one file: batched with its neighbours when the signer can,
    /// asked on its own (`GET /s3/params`) when it cannot.
    pub async fn sign(
        self: &Rc<Self>,
        signer: &Rc<Signer>,
        req: ParamsRequest,
    ) -> Result<UploadParams, UploadError> {
        if !self.unsupported.get() {
            let slot: Slot = Rc::default();
            let done = Deferred::new();
            let wait = done.promise.clone();
            self.queue
                .borrow_mut()
                .push((req.clone(), slot.clone(), done));
            if !self.running.replace(true) {
                wasm_bindgen_futures::spawn_local(drain(self.clone(), signer.clone()));
            }
            let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
            let answer = slot.borrow_mut().take();
            if let Some(answer) = answer {
                return answer;
            }
            // No answer: the signer lacks the batch route.
        }
        self.pool.acquire().await;
        let answer = one(signer, &req).await;
        self.pool.release();
        answer
    }
}

/// `GET /s3/params` for one file (Companion's route).
async fn one(signer: &Signer, req: &ParamsRequest) -> Result<UploadParams, UploadError> {
    let path = format!(
        "/params?filename={}&type={}&size={}&method=post",
        enc(&req.filename),
        enc(&req.content_type),
        req.size
    );
    signer.call(Method::Get, &path, None).await
}

async fn drain(b: Rc<ParamsBatcher>, signer: Rc<Signer>) {
    loop {
        // Let everything queued in this turn of the event loop join the batch.
        sleep(0).await;
        let batch: Vec<(ParamsRequest, Slot, Deferred)> = {
            let mut q = b.queue.borrow_mut();
            let n = q.len().min(MAX_BATCH);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            b.running.set(false);
            return;
        }
        let files = Array::new();
        for (r, _, _) in &batch {
            let o = Object::new();
            set(&o, "filename", r.filename.as_str());
            set(&o, "type", r.content_type.as_str());
            set(&o, "size", r.size as f64);
            // A POST form needs no CORS preflight (a PUT does): one request instead of two.
            set(&o, "method", "POST");
            files.push(&o);
        }
        let body = Object::new();
        set(&body, "files", files);
        let json = to_json(&body);
        match signer.call_value(Method::Post, "/params", Some(json)).await {
            Ok((value, _)) => {
                let items = Array::from(&get(&value, "params"));
                for (i, (_, slot, done)) in batch.into_iter().enumerate() {
                    let item = items.get(i as u32);
                    *slot.borrow_mut() = Some(decode(item));
                    done.resolve(&JsValue::UNDEFINED);
                }
            }
            Err(e) if matches!(e.status, Some(404 | 405)) => {
                b.unsupported.set(true);
                for (_, _, done) in batch {
                    done.resolve(&JsValue::UNDEFINED);
                }
            }
            Err(e) => {
                for (_, slot, done) in batch {
                    *slot.borrow_mut() = Some(Err(e.clone()));
                    done.resolve(&JsValue::UNDEFINED);
                }
            }
        }
    }
}

fn decode(item: JsValue) -> Result<UploadParams, UploadError> {
    if get(&item, "url").is_string() {
        return UploadParams::from_js(&item).map_err(bad_answer);
    }
    let Ok(body) = ErrorBody::from_js(&item) else {
        return Err(UploadError::new(
            ErrorCode::BadAnswer,
            "the signer's batch answer is missing a file",
        ));
    };
    let code = static_code(&body.code);
    // A refusal inside a batch has no HTTP status of its own: the one the
    // single route would have answered.
    let status = code.http_status().unwrap_or(400);
    Err(UploadError::new(code, body.error).with_status(status))
}
