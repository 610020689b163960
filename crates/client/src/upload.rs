//! One file's upload: a single request below the threshold, otherwise S3
//! multipart with parts in parallel, sharing the uploader's pool.
//!
//! The decisions (plan, retry verdicts, backoff, concurrency, progress,
//! completeness) are `s3lift_protocol`'s; this module sequences them with
//! the browser's I/O.

use s3lift_protocol::error_code::ErrorCode;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use js_sys::{Function, Object, Uint8Array};
use s3lift_protocol::collector::PartCollector;
use s3lift_protocol::plan::{PartPlan, PartRange};
use s3lift_protocol::progress::{ProgressTracker, SpeedMeter};
use s3lift_protocol::resume::{fingerprint, ResumeRecord, DEFAULT_RESUME_TTL_MS};
use s3lift_protocol::retry::{
    classify, parse_retry_after, s3_error_code, ConcurrencyLimit, RetryPolicy, Verdict,
};
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumAlgorithm, CompleteResponse, CreateMultipartResponse, ListedPart,
    UploadMethod, UploadParams,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FormData};

use crate::batch::{ParamsBatcher, ParamsRequest};
use crate::decode::{resume_record_to_js, FromJs};
use crate::js::{base64, crc32, get, now, set, sleep, to_json, Deferred, Notify, UploadError};
use crate::signer::{enc, Method, Signer};
use crate::transport::{self, AbortHandle, Answer, Body, Failure, Kind, Put};

/// Settings shared by every upload of one `Uploader`.
pub struct Config {
    pub signer: Rc<Signer>,
    pub concurrency: u32,
    pub part_size: Option<u64>,
    pub threshold: u64,
    pub retry: RetryPolicy,
    pub checksum: Option<ChecksumAlgorithm>,
    pub resume: bool,
    pub transport: Kind,
    pub stall_ms: u32,
}

/// The pool of request slots all files share, with an adaptive limit.
pub struct Pool {
    limit: RefCell<ConcurrencyLimit>,
    active: Cell<u32>,
    waiters: RefCell<VecDeque<Deferred>>,
}

impl Pool {
    pub fn new(max: u32) -> Self {
        Self {
            limit: RefCell::new(ConcurrencyLimit::new(max)),
            active: Cell::new(0),
            waiters: RefCell::new(VecDeque::new()),
        }
    }

    /// Waits for a slot (first come, first served).
    pub(crate) async fn acquire(&self) {
        if self.waiters.borrow().is_empty() && self.active.get() < self.limit.borrow().current() {
            self.active.set(self.active.get() + 1);
            return;
        }
        let d = Deferred::new();
        let p = d.promise.clone();
        self.waiters.borrow_mut().push_back(d);
        let _ = JsFuture::from(p).await;
    }

    pub(crate) fn release(&self) {
        self.active.set(self.active.get().saturating_sub(1));
        self.wake();
    }

    fn wake(&self) {
        while self.active.get() < self.limit.borrow().current() {
            let Some(d) = self.waiters.borrow_mut().pop_front() else {
                break;
            };
            self.active.set(self.active.get() + 1);
            d.resolve(&JsValue::UNDEFINED);
        }
    }

    fn on_success(&self) {
        self.limit.borrow_mut().on_success();
        self.wake();
    }

    fn on_throttle(&self) {
        self.limit.borrow_mut().on_throttle();
    }
}

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

struct Multipart {
    key: String,
    upload_id: String,
    bucket: Option<String>,
    plan: PartPlan,
}

struct SignedUrl {
    url: String,
    headers: Vec<(String, String)>,
    expires_at: f64,
    /// Time left below which the URL is signed again before use: 5 s, or
    /// half the TTL when URLs live shorter than 10 s.
    margin_ms: f64,
}

#[derive(Default)]
pub struct Stats {
    pub parts_uploaded: Cell<u32>,
    pub part_requests: Cell<u32>,
}

/// Everything one upload's tasks share.
pub struct Inner {
    cfg: Rc<Config>,
    pool: Rc<Pool>,
    batcher: Rc<ParamsBatcher>,
    file: File,
    metadata: JsValue,
    on_progress: Option<Function>,
    on_part: Option<Function>,
    pub state: Cell<State>,
    pub resumed: Cell<bool>,
    pub stats: Stats,
    tracker: RefCell<ProgressTracker>,
    meter: RefCell<SpeedMeter>,
    last_emit: Cell<f64>,
    /// Bumped by pause and cancel: tasks of an older generation stand down.
    generation: Cell<u32>,
    in_flight: RefCell<BTreeMap<u32, AbortHandle>>,
    running: Cell<u32>,
    drained: Notify,
    resumed_signal: Notify,
    fatal: RefCell<Option<UploadError>>,
    mp: RefCell<Option<Multipart>>,
    urls: RefCell<BTreeMap<u32, SignedUrl>>,
    collector: RefCell<PartCollector>,
    pub done: RefCell<Rc<Deferred>>,
}

impl Inner {
    pub fn new(
        cfg: Rc<Config>,
        pool: Rc<Pool>,
        batcher: Rc<ParamsBatcher>,
        file: File,
        options: &JsValue,
    ) -> Rc<Inner> {
        let size = file.size() as u64;
        Rc::new(Inner {
            cfg,
            pool,
            batcher,
            metadata: get(options, "metadata"),
            on_progress: crate::js::get_fn(options, "onProgress"),
            on_part: crate::js::get_fn(options, "onPartUploaded"),
            file,
            state: Cell::new(State::Queued),
            resumed: Cell::new(false),
            stats: Stats::default(),
            tracker: RefCell::new(ProgressTracker::new(size)),
            meter: RefCell::new(SpeedMeter::default()),
            last_emit: Cell::new(0.0),
            generation: Cell::new(0),
            in_flight: RefCell::new(BTreeMap::new()),
            running: Cell::new(0),
            drained: Notify::default(),
            resumed_signal: Notify::default(),
            fatal: RefCell::new(None),
            mp: RefCell::new(None),
            urls: RefCell::new(BTreeMap::new()),
            collector: RefCell::new(PartCollector::new(0)),
            done: RefCell::new(Rc::new(Deferred::new())),
        })
    }

    /// Starts (or restarts after a failure) the upload task.
    pub fn start(self: &Rc<Self>) {
        let me = self.clone();
        let done = self.done.borrow().clone();
        self.fatal.borrow_mut().take();
        wasm_bindgen_futures::spawn_local(async move {
            let out = me.run().await;
            match out {
                Ok(v) => {
                    me.state.set(State::Done);
                    me.emit_progress(true);
                    done.resolve(&v);
                }
                Err(e) => {
                    if me.state.get() == State::Cancelled {
                        me.abort_remote().await;
                        done.reject(&UploadError::cancelled().to_js());
                    } else {
                        me.state.set(State::Failed);
                        done.reject(&e.to_js());
                    }
                }
            }
        });
    }

    pub fn bytes_resent(&self) -> f64 {
        self.tracker.borrow().bytes_resent() as f64
    }

    pub fn pause(&self) {
        if matches!(self.state.get(), State::Uploading | State::Queued) {
            self.state.set(State::Paused);
            self.stop_in_flight();
        }
    }

    pub fn resume(&self) {
        if self.state.get() == State::Paused {
            self.state.set(State::Uploading);
            self.resumed_signal.notify_all();
        }
    }

    /// Stops everything and aborts the multipart upload on the signer.
    pub fn cancel(self: &Rc<Self>) {
        let was = self.state.get();
        if matches!(was, State::Done | State::Cancelled) {
            return;
        }
        self.state.set(State::Cancelled);
        self.stop_in_flight();
        self.resumed_signal.notify_all();
        if was == State::Failed {
            // The run already ended: abort here, and settle a fresh `done` as cancelled.
            let d = Rc::new(Deferred::new());
            d.reject(&UploadError::cancelled().to_js());
            *self.done.borrow_mut() = d;
            let me = self.clone();
            wasm_bindgen_futures::spawn_local(async move { me.abort_remote().await });
        }
        // Otherwise the running task sees the state, aborts, and rejects `done`.
    }

    /// Aborts the multipart upload on the signer (idempotent) and forgets the record.
    async fn abort_remote(&self) {
        let mp = self
            .mp
            .borrow()
            .as_ref()
            .map(|m| (m.key.clone(), m.upload_id.clone()));
        if let Some((key, id)) = mp {
            let path = format!("/multipart/{}?key={}", enc(&id), enc(&key));
            let _ = self
                .cfg
                .signer
                .call::<()>(Method::Delete, &path, None)
                .await;
        }
        self.forget_record();
    }

    /// After a failure: keeps the multipart upload and continues it.
    pub fn retry(self: &Rc<Self>) {
        if self.state.get() == State::Failed {
            *self.done.borrow_mut() = Rc::new(Deferred::new());
            self.state.set(State::Queued);
            self.start();
        }
    }

    fn stop_in_flight(&self) {
        self.generation.set(self.generation.get() + 1);
        let handles: Vec<AbortHandle> = self.in_flight.borrow().values().cloned().collect();
        for h in handles {
            h.abort();
        }
    }

    fn emit_progress(&self, force: bool) {
        let t = now();
        if !force && t - self.last_emit.get() < 50.0 {
            return;
        }
        self.last_emit.set(t);
        let Some(cb) = &self.on_progress else { return };
        let tracker = self.tracker.borrow();
        let mut meter = self.meter.borrow_mut();
        meter.sample(t, tracker.bytes_sent());
        let p = meter.progress(&tracker);
        let o = Object::new();
        set(&o, "bytesSent", p.bytes_sent as f64);
        set(&o, "totalBytes", p.total_bytes as f64);
        set(&o, "bytesPerSecond", p.bytes_per_second);
        set(
            &o,
            "etaSeconds",
            p.eta_seconds.map(JsValue::from).unwrap_or(JsValue::NULL),
        );
        drop((tracker, meter));
        let _ = cb.call1(&JsValue::UNDEFINED, &o);
    }

    fn cancelled(&self) -> Result<(), UploadError> {
        if self.state.get() == State::Cancelled {
            Err(UploadError::cancelled())
        } else {
            Ok(())
        }
    }

    /// Waits while paused; errors when cancelled.
    async fn wait_if_paused(&self) -> Result<(), UploadError> {
        while self.state.get() == State::Paused {
            let _ = JsFuture::from(self.resumed_signal.notified()).await;
        }
        self.cancelled()
    }

    async fn run(self: &Rc<Self>) -> Result<JsValue, UploadError> {
        self.wait_if_paused().await?;
        self.state.set(State::Uploading);
        if (self.file.size() as u64) < self.cfg.threshold {
            self.single().await
        } else {
            self.multipart().await
        }
    }

    // ---- single request ------------------------------------------------

    async fn single(self: &Rc<Self>) -> Result<JsValue, UploadError> {
        let size = self.file.size() as u64;
        let mut failures = 0;
        loop {
            self.wait_if_paused().await?;
            // Signing happens outside the part pool (the signer is another
            // origin, with its own connections), so PUTs never wait on it.
            let gen = self.generation.get();
            let req = ParamsRequest {
                filename: self.file.name(),
                content_type: self.file.type_(),
                size,
            };
            let params = self.batcher.sign(&self.cfg.signer, req).await?;
            let key = params.key.clone();
            self.pool.acquire().await;
            let out = if gen == self.generation.get() {
                self.single_attempt(size, params, gen).await
            } else {
                Err(Attempt::Stood)
            };
            self.pool.release();
            match out {
                Ok(v) => {
                    let result: Object = v.unchecked_into();
                    match key {
                        Some(key) => {
                            crate::confirm::confirm(&self.cfg.signer, &key, &result).await?
                        }
                        // An old Companion names no key: nothing to confirm.
                        None => set(&result, "confirmed", false),
                    }
                    return Ok(result.into());
                }
                // Paused, or the URL expired: new params are asked for on the next turn.
                Err(Attempt::Stood | Attempt::Expired) => continue,
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Again {
                    throttled,
                    retry_after,
                }) => {
                    if self
                        .back_off(&mut failures, throttled, retry_after)
                        .await
                        .is_err()
                    {
                        return Err(UploadError::new(
                            ErrorCode::RetriesExhausted,
                            "The upload kept failing; giving up after retries",
                        ));
                    }
                }
            }
        }
    }

    /// After a transient failure: slows the shared pool on 429/503, counts
    /// the failure, and waits the policy's backoff. `Err` when the policy
    /// allows no further attempt.
    async fn back_off(
        &self,
        failures: &mut u32,
        throttled: bool,
        retry_after: Option<u32>,
    ) -> Result<(), ()> {
        if throttled {
            self.pool.on_throttle();
        }
        *failures += 1;
        if !self.cfg.retry.allows(*failures) {
            return Err(());
        }
        sleep(
            self.cfg
                .retry
                .delay_ms(*failures - 1, js_sys::Math::random(), retry_after),
        )
        .await;
        Ok(())
    }

    async fn single_attempt(
        self: &Rc<Self>,
        size: u64,
        params: UploadParams,
        gen: u32,
    ) -> Result<JsValue, Attempt> {
        let blob: Blob = self.file.clone().into();
        let (method, body, headers) = match params.method {
            UploadMethod::Put => (
                "PUT",
                Body::Blob(blob),
                params.headers.clone().into_iter().collect::<Vec<_>>(),
            ),
            UploadMethod::Post => {
                let form = FormData::new().map_err(|_| {
                    Attempt::Fatal(UploadError::new(
                        ErrorCode::Browser,
                        "FormData is unavailable",
                    ))
                })?;
                for (k, v) in &params.fields {
                    let _ = form.append_with_str(k, v);
                }
                let _ = form.append_with_blob("file", &blob);
                ("POST", Body::Form(form), Vec::new())
            }
        };
        let answer = self
            .send_tracked(1, method, &params.url, &headers, body, gen)
            .await?;
        self.tracker.borrow_mut().complete_part(1, size);
        let r = Object::new();
        set(
            &r,
            "key",
            params
                .key
                .clone()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
        );
        set(
            &r,
            "bucket",
            params
                .bucket
                .clone()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
        );
        let base = params.url.split('?').next().unwrap_or("");
        // A POST form goes to the bucket; the object lives at bucket/key.
        let location = match (params.method, &params.key) {
            (UploadMethod::Post, Some(k)) => {
                let path: Vec<String> = k.split('/').map(enc).collect();
                format!("{}/{}", base.trim_end_matches('/'), path.join("/"))
            }
            _ => base.to_owned(),
        };
        set(&r, "location", location);
        set(
            &r,
            "etag",
            answer.etag.map(JsValue::from).unwrap_or(JsValue::NULL),
        );
        Ok(r.into())
    }

    /// Sends one request of this upload, tracking its progress under slot `n`.
    async fn send_tracked(
        self: &Rc<Self>,
        n: u32,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Body,
        gen: u32,
    ) -> Result<Answer, Attempt> {
        let abort = AbortHandle::default();
        self.in_flight.borrow_mut().insert(n, abort.clone());
        self.stats
            .part_requests
            .set(self.stats.part_requests.get() + 1);
        let me = Rc::downgrade(self);
        let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |sent: f64| {
            if let Some(me) = me.upgrade() {
                me.tracker.borrow_mut().set_part(n, sent as u64);
                me.emit_progress(false);
            }
        });
        let put = Put {
            method,
            url,
            headers,
            body,
            on_progress,
            abort: &abort,
            stall_ms: self.cfg.stall_ms,
        };
        let out = transport::send(self.cfg.transport, put).await;
        self.in_flight.borrow_mut().remove(&n);
        let stood_down = gen != self.generation.get();
        match out {
            Ok(a) if (200..300).contains(&a.status) && !stood_down => Ok(a),
            _ if stood_down => {
                self.tracker.borrow_mut().reset_part(n);
                Err(Attempt::Stood)
            }
            Err(Failure::Aborted) => {
                self.tracker.borrow_mut().reset_part(n);
                Err(Attempt::Stood)
            }
            Err(Failure::Network) => {
                self.tracker.borrow_mut().reset_part(n);
                Err(Attempt::Again {
                    throttled: false,
                    retry_after: None,
                })
            }
            Ok(a) => {
                self.tracker.borrow_mut().reset_part(n);
                let retry_after = a.retry_after.as_deref().and_then(parse_retry_after);
                match classify(Some(a.status), &a.text) {
                    Verdict::Resign => Err(Attempt::Expired),
                    Verdict::Retry { throttled } => Err(Attempt::Again {
                        throttled,
                        retry_after,
                    }),
                    Verdict::Fail => Err(Attempt::Fatal(store_error(a.status, &a.text))),
                }
            }
        }
    }

    // ---- multipart -----------------------------------------------------

    async fn multipart(self: &Rc<Self>) -> Result<JsValue, UploadError> {
        if self.mp.borrow().is_none() {
            self.open_multipart().await?;
        }
        loop {
            self.wait_if_paused().await?;
            self.fatal.borrow_mut().take();
            self.dispatch().await;
            // Wait for every part task of this round to end.
            while self.running.get() > 0 {
                let _ = JsFuture::from(self.drained.notified()).await;
            }
            self.cancelled()?;
            if let Some(e) = self.fatal.borrow_mut().take() {
                return Err(e);
            }
            if self.state.get() == State::Paused {
                self.wait_if_paused().await?;
                // Parts may have landed while their answers were lost: ask the store.
                self.sync_with_store().await?;
                continue;
            }
            if self.collector.borrow().missing().is_empty() {
                break;
            }
        }
        self.complete().await
    }

    fn fingerprint(&self) -> String {
        fingerprint(
            &self.file.name(),
            self.file.size() as u64,
            self.file.last_modified(),
            &self.file.type_(),
            &self.cfg.signer.endpoint,
        )
    }

    async fn open_multipart(self: &Rc<Self>) -> Result<(), UploadError> {
        let size = self.file.size() as u64;
        let fp = self.fingerprint();
        if self.cfg.resume {
            if let Some(rec) = load_record(&fp).filter(|r| r.is_fresh(now(), DEFAULT_RESUME_TTL_MS))
            {
                if let Ok(plan) = PartPlan::from_parts(size, rec.part_size) {
                    *self.mp.borrow_mut() = Some(Multipart {
                        key: rec.key,
                        upload_id: rec.upload_id,
                        bucket: None,
                        plan,
                    });
                    *self.collector.borrow_mut() = PartCollector::new(plan.part_count());
                    match self.sync_with_store().await {
                        Ok(()) => {
                            self.resumed.set(true);
                            return Ok(());
                        }
                        // Gone (aborted, expired, completed): start afresh.
                        Err(e) if matches!(e.status, Some(403 | 404)) => {
                            self.mp.borrow_mut().take();
                            forget(&fp);
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let body = Object::new();
        set(&body, "filename", self.file.name());
        set(&body, "type", self.file.type_());
        set(
            &body,
            "metadata",
            if self.metadata.is_object() {
                self.metadata.clone()
            } else {
                Object::new().into()
            },
        );
        set(&body, "size", size as f64);
        if let Some(ps) = self.cfg.part_size {
            set(&body, "partSize", ps as f64);
        }
        if let Some(c) = self.cfg.checksum {
            set(&body, "checksumAlgorithm", c.as_str());
        }
        let json = to_json(&body);
        let created: CreateMultipartResponse = self
            .cfg
            .signer
            .call(Method::Post, "/multipart", Some(json))
            .await?;
        let plan = match created.part_size {
            Some(ps) => PartPlan::from_parts(size, ps),
            None => PartPlan::new(size, self.cfg.part_size),
        }
        .map_err(|e| UploadError::new(ErrorCode::BadPlan, e.to_string()))?;
        if self.cfg.resume {
            save_record(&ResumeRecord {
                upload_id: created.upload_id.clone(),
                key: created.key.clone(),
                part_size: plan.part_size(),
                fingerprint: fp,
                created_at: now(),
            });
        }
        *self.collector.borrow_mut() = PartCollector::new(plan.part_count());
        *self.mp.borrow_mut() = Some(Multipart {
            key: created.key,
            upload_id: created.upload_id,
            bucket: created.bucket,
            plan,
        });
        Ok(())
    }

    /// ListParts (all pages) → the parts the store has, of the planned size.
    async fn sync_with_store(self: &Rc<Self>) -> Result<(), UploadError> {
        let (path, plan) = {
            let mp = self.mp.borrow();
            let mp = mp.as_ref().expect("multipart opened");
            (
                format!("/multipart/{}?key={}", enc(&mp.upload_id), enc(&mp.key)),
                mp.plan,
            )
        };
        let listed: Vec<ListedPart> = self.cfg.signer.call(Method::Get, &path, None).await?;
        let mut fresh = PartCollector::from_listed(plan.part_count(), &listed, |n, size| {
            plan.expected_len(n) == Some(size)
        });
        // Keep ETags we hold for parts the listing has not caught up with.
        fresh.merge(&self.collector.borrow());
        let done: u64 = (1..=plan.part_count())
            .filter(|n| fresh.has(*n))
            .filter_map(|n| plan.expected_len(n))
            .sum();
        *self.collector.borrow_mut() = fresh;
        self.tracker.borrow_mut().restart_from(done);
        self.emit_progress(true);
        Ok(())
    }

    /// Starts part tasks for every missing part, within the shared pool.
    async fn dispatch(self: &Rc<Self>) {
        let gen = self.generation.get();
        let (plan, missing) = {
            let mp = self.mp.borrow();
            (
                mp.as_ref().expect("multipart opened").plan,
                self.collector.borrow().missing(),
            )
        };
        let window = (self.cfg.concurrency * 2).max(10) as usize;
        for (i, n) in missing.iter().copied().enumerate() {
            self.pool.acquire().await;
            if gen != self.generation.get() || self.fatal.borrow().is_some() {
                self.pool.release();
                return;
            }
            if self.cfg.checksum.is_none() && !self.has_fresh_url(n) {
                // Sign a window of upcoming parts in one batch.
                let batch: Vec<u32> = missing[i..]
                    .iter()
                    .copied()
                    .filter(|m| !self.has_fresh_url(*m))
                    .take(window)
                    .collect();
                if let Err(e) = self.sign(&batch, None).await {
                    self.pool.release();
                    self.fail(e);
                    return;
                }
            }
            let range = plan.part(n).expect("planned part");
            self.running.set(self.running.get() + 1);
            let me = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = me.part_task(range, gen).await {
                    me.fail(e);
                }
                me.pool.release();
                me.running.set(me.running.get() - 1);
                if me.running.get() == 0 {
                    me.drained.notify_all();
                }
            });
        }
    }

    fn fail(&self, e: UploadError) {
        if self.fatal.borrow().is_none() {
            *self.fatal.borrow_mut() = Some(e);
            // Stop the other parts now; the multipart upload is kept for a retry.
            self.stop_in_flight();
        }
    }

    fn has_fresh_url(&self, n: u32) -> bool {
        self.urls
            .borrow()
            .get(&n)
            .is_some_and(|u| u.expires_at - now() > u.margin_ms)
    }

    async fn sign(
        &self,
        numbers: &[u32],
        checksums: Option<(ChecksumAlgorithm, &str)>,
    ) -> Result<(), UploadError> {
        let (id, key) = {
            let mp = self.mp.borrow();
            let mp = mp.as_ref().expect("multipart opened");
            (mp.upload_id.clone(), mp.key.clone())
        };
        let list: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
        let mut path = format!(
            "/multipart/{}/batch?key={}&partNumbers={}",
            enc(&id),
            enc(&key),
            list.join(",")
        );
        if let Some((algo, value)) = checksums {
            path.push_str("&checksums=");
            path.push_str(&enc(&format!("{}:{value}", algo.as_str())));
        }
        let asked = now();
        let signed: BatchSignResponse = self.cfg.signer.call(Method::Get, &path, None).await?;
        // Without `expires` (plain Companion), assume its 5-minute default minus a margin.
        let ttl_ms = signed
            .expires
            .map(|s| s as f64 * 1000.0)
            .unwrap_or(240_000.0);
        let mut urls = self.urls.borrow_mut();
        for (n, url) in signed.presigned_urls {
            let Ok(num) = n.parse::<u32>() else { continue };
            let headers = signed
                .headers
                .get(&n)
                .map(|h| h.clone().into_iter().collect())
                .unwrap_or_default();
            urls.insert(
                num,
                SignedUrl {
                    url,
                    headers,
                    expires_at: asked + ttl_ms,
                    margin_ms: (ttl_ms / 2.0).min(5_000.0),
                },
            );
        }
        Ok(())
    }

    /// Uploads one part until it is stored, retrying by the policy.
    async fn part_task(self: &Rc<Self>, range: PartRange, gen: u32) -> Result<(), UploadError> {
        let n = range.number.get();
        let mut failures = 0;
        let mut resigns = 0;
        loop {
            if gen != self.generation.get() {
                return Ok(());
            }
            let blob = self
                .file
                .slice_with_f64_and_f64(range.start as f64, range.end as f64)
                .map_err(|_| UploadError::new(ErrorCode::Browser, "Blob.slice failed"))?;
            let body = match self.cfg.checksum {
                Some(algo) => {
                    let bytes = read(&blob).await?;
                    let digest = checksum(algo, &bytes).await?;
                    self.urls.borrow_mut().remove(&n);
                    self.sign(&[n], Some((algo, &digest))).await?;
                    Body::Bytes(bytes)
                }
                None => {
                    if !self.has_fresh_url(n) {
                        self.sign(&[n], None).await?;
                    }
                    Body::Blob(blob)
                }
            };
            let (url, headers) = match self.urls.borrow().get(&n) {
                Some(u) => (u.url.clone(), u.headers.clone()),
                None => {
                    return Err(UploadError::new(
                        ErrorCode::BadAnswer,
                        format!("the signer did not sign part {n}"),
                    ))
                }
            };
            match self.send_tracked(n, "PUT", &url, &headers, body, gen).await {
                Ok(answer) => {
                    let Some(etag) = answer.etag.filter(|e| !e.is_empty()) else {
                        return Err(UploadError::new(
                            ErrorCode::EtagUnreadable,
                            "The part was stored but its ETag header is unreadable: the bucket's CORS rule must expose it \
                             (ExposeHeaders: [\"ETag\"]). Run `s3lift-signer bucket setup`, or add ETag to the rule's ExposeHeaders.",
                        ));
                    };
                    self.urls.borrow_mut().remove(&n);
                    self.collector.borrow_mut().insert(n, etag.clone());
                    self.tracker.borrow_mut().complete_part(n, range.len());
                    self.stats
                        .parts_uploaded
                        .set(self.stats.parts_uploaded.get() + 1);
                    self.pool.on_success();
                    self.emit_progress(false);
                    if let Some(cb) = &self.on_part {
                        let o = Object::new();
                        set(&o, "partNumber", n);
                        set(&o, "etag", etag);
                        set(&o, "size", range.len() as f64);
                        let _ = cb.call1(&JsValue::UNDEFINED, &o);
                    }
                    return Ok(());
                }
                Err(Attempt::Stood) => return Ok(()),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Expired) => {
                    self.urls.borrow_mut().remove(&n);
                    resigns += 1;
                    if resigns > 3 {
                        return Err(UploadError::new(
                            ErrorCode::UrlExpired,
                            "Part URLs keep expiring: is this computer's clock right?",
                        ));
                    }
                }
                Err(Attempt::Again {
                    throttled,
                    retry_after,
                }) => {
                    if self
                        .back_off(&mut failures, throttled, retry_after)
                        .await
                        .is_err()
                    {
                        return Err(UploadError::new(
                            ErrorCode::RetriesExhausted,
                            format!("Part {n} kept failing; giving up after {failures} attempts"),
                        ));
                    }
                }
            }
        }
    }

    async fn complete(self: &Rc<Self>) -> Result<JsValue, UploadError> {
        let parts = self
            .collector
            .borrow()
            .completed()
            .map_err(|e| UploadError::new(ErrorCode::MissingParts, e.to_string()))?;
        let (id, key, bucket) = {
            let mp = self.mp.borrow();
            let mp = mp.as_ref().expect("multipart opened");
            (mp.upload_id.clone(), mp.key.clone(), mp.bucket.clone())
        };
        let list = js_sys::Array::new();
        for p in &parts {
            let o = Object::new();
            set(&o, "PartNumber", p.part_number);
            set(&o, "ETag", p.etag.as_str());
            list.push(&o);
        }
        let body = Object::new();
        set(&body, "parts", list);
        let json = to_json(&body);
        let path = format!("/multipart/{}/complete?key={}", enc(&id), enc(&key));
        let done: CompleteResponse = self
            .cfg
            .signer
            .call(Method::Post, &path, Some(json))
            .await?;
        self.forget_record();
        let r = Object::new();
        // The signer's complete is the confirmation (and fires its webhook).
        set(&r, "confirmed", true);
        set(&r, "key", done.key.unwrap_or(key));
        set(
            &r,
            "bucket",
            done.bucket
                .or(bucket)
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
        );
        set(&r, "location", done.location);
        set(
            &r,
            "etag",
            done.etag.map(JsValue::from).unwrap_or(JsValue::NULL),
        );
        Ok(r.into())
    }

    fn forget_record(&self) {
        forget(&self.fingerprint());
    }
}

/// How one attempt ended, short of success.
enum Attempt {
    /// Paused or cancelled: stand down quietly.
    Stood,
    /// The URL expired: sign again, retry now.
    Expired,
    /// Transient: back off and retry.
    Again {
        throttled: bool,
        retry_after: Option<u32>,
    },
    Fatal(UploadError),
}

fn store_error(status: u16, body: &str) -> UploadError {
    let code = s3_error_code(body).unwrap_or("");
    let msg = match code {
        "" => format!("The storage refused the upload (HTTP {status})"),
        c => format!("The storage refused the upload (HTTP {status}, {c})"),
    };
    UploadError::new(ErrorCode::StoreRefused, msg).with_status(status)
}

pub async fn read(blob: &Blob) -> Result<Uint8Array, UploadError> {
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| UploadError::new(ErrorCode::ReadFailed, "The file could not be read"))?;
    Ok(Uint8Array::new(&buf))
}

/// Base64 digest of `bytes`: SHA-256 by the browser's WebCrypto, CRC-32 here.
pub async fn checksum(algo: ChecksumAlgorithm, bytes: &Uint8Array) -> Result<String, UploadError> {
    match algo {
        ChecksumAlgorithm::Crc32 => Ok(base64(&crc32(&bytes.to_vec()).to_be_bytes())),
        ChecksumAlgorithm::Sha256 => {
            let subtle = subtle().ok_or_else(|| {
                UploadError::new(
                    ErrorCode::Browser,
                    "WebCrypto is unavailable (needs a secure context)",
                )
            })?;
            let p = subtle
                .digest_with_str_and_buffer_source("SHA-256", bytes)
                .map_err(|_| UploadError::new(ErrorCode::Browser, "SHA-256 digest failed"))?;
            let d = JsFuture::from(p)
                .await
                .map_err(|_| UploadError::new(ErrorCode::Browser, "SHA-256 digest failed"))?;
            Ok(base64(&Uint8Array::new(&d).to_vec()))
        }
        ChecksumAlgorithm::Md5 => Err(UploadError::new(
            ErrorCode::BadOption,
            "checksum must be 'sha256', 'crc32' or 'none'",
        )),
    }
}

fn subtle() -> Option<web_sys::SubtleCrypto> {
    let crypto = get(&js_sys::global(), "crypto");
    if crypto.is_undefined() {
        return None;
    }
    Some(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load_record(fp: &str) -> Option<ResumeRecord> {
    let text = storage()?.get_item(&format!("s3lift:{fp}")).ok()??;
    ResumeRecord::from_js(&js_sys::JSON::parse(&text).ok()?).ok()
}

fn save_record(r: &ResumeRecord) {
    let Some(s) = storage() else { return };
    if let Ok(text) = js_sys::JSON::stringify(&resume_record_to_js(r)) {
        let _ = s.set_item(&format!("s3lift:{}", r.fingerprint), &String::from(text));
    }
}

fn forget(fp: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&format!("s3lift:{fp}"));
    }
}
