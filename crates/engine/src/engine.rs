//! The engine: the request table, time, the shared limit, and the one
//! entry point that changes state ([`Engine::handle`]).
//!
//! This module holds the state, the entry points and adding files; the
//! request table (ids, deadlines, in-flight counts) is `requests`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::deque::VecDeque;
use core::cell::Cell;

use s3lift_protocol::plan::{PartPlan, MAX_OBJECT_SIZE};
use s3lift_protocol::retry::ConcurrencyLimit;

use crate::api::{Action, Event, FileId, Outcome, RequestId};
use crate::config::Config;
use crate::error::{codes, UploadError};
use crate::file::{Body, File, Phase};
use crate::rng::Rng;
use crate::vecmap::VecMap;

mod requests;

pub(crate) use self::requests::{ids_where, req_file, InFlight, Req};

/// Every decision of an uploader with N files, without I/O or a clock.
///
/// Feed it [`Event`]s with [`Engine::handle`], then drain
/// [`Engine::poll_action`] until `None`, and call `handle(t, Event::Tick)`
/// at [`Engine::poll_timeout`].
#[derive(Debug)]
pub struct Engine {
    pub(crate) cfg: Config,
    pub(crate) now: u64,
    pub(crate) rng: Rng,
    pub(crate) limit: ConcurrencyLimit,
    pub(crate) data_in_flight: u32,
    pub(crate) signer_in_flight: u32,
    next_id: u64,
    pub(crate) files: VecMap<FileId, Box<File>>,
    /// Live files the scheduler looks at, in the order they started (first
    /// come, first served): every multipart upload, and the single uploads
    /// taken from `queued`.
    pub(crate) order: Vec<FileId>,
    /// Single uploads nothing was asked for yet, in the order they were
    /// added: each scheduling pass takes from the front only as many as the
    /// params window has room for, so that a pass costs the files in
    /// flight, not every queued file (10,000 files: 6 s of engine time,
    /// natively, when each pass went through all of them).
    pub(crate) queued: Vec<FileId>,
    /// Where `queued` starts: the ids before it have been taken.
    pub(crate) queued_head: usize,
    /// Files the scheduler looked at, all passes together (rule tests).
    #[cfg(test)]
    pub(crate) visits: u64,
    /// Boxed: entries of the same shape as `files`' (an id and a pointer), so
    /// the two tables share one copy of the map's search, insert and removal.
    pub(crate) requests: VecMap<RequestId, Box<InFlight>>,
    /// The signer has `POST /s3/params` (until it answers 404/405).
    pub(crate) batch_params: bool,
    /// The signer has the part batch route (until it answers 404/405).
    pub(crate) batch_parts: bool,
    /// The signer has `POST /s3/params/complete` (until it answers 404/405).
    pub(crate) confirm_route: bool,
    /// `POST /s3/multipart/complete` (one URL: one CORS preflight a page): seen
    /// in a create answer's `partSize`; `Some(false)` after its 404/405.
    pub(crate) complete_in_body: Option<bool>,
    /// The confirm call in flight: one at a time, so files stored meanwhile
    /// wait and go together in the next call.
    pub(crate) confirming: bool,
    pub(crate) out: VecDeque<Action>,
    /// Something changed since the last scheduling pass.
    pub(crate) dirty: bool,
    /// The file that gets the first store slot in the next pass.
    pub(crate) turn: usize,
    /// The browser said the network is gone: nothing new starts.
    pub(crate) offline: bool,
    /// The wake [`Engine::poll_timeout`] last gave the driver, until the
    /// next event: a late one shows the driver was suspended.
    pub(crate) armed: Cell<Option<u64>>,
}

impl Engine {
    /// An engine with no files.
    pub fn new(cfg: Config) -> Self {
        Self {
            rng: Rng::new(cfg.seed),
            limit: ConcurrencyLimit::new(cfg.concurrency),
            cfg,
            now: 0,
            data_in_flight: 0,
            signer_in_flight: 0,
            next_id: 0,
            files: VecMap::default(),
            order: Vec::new(),
            queued: Vec::new(),
            queued_head: 0,
            #[cfg(test)]
            visits: 0,
            requests: VecMap::default(),
            batch_params: true,
            batch_parts: true,
            confirm_route: true,
            complete_in_body: None,
            confirming: false,
            out: VecDeque::new(),
            dirty: false,
            turn: 0,
            offline: false,
            armed: Cell::new(None),
        }
    }

    /// Takes in one event at time `now_ms` (times never go backwards here).
    pub fn handle(&mut self, now_ms: u64, event: Event) {
        self.skip_suspended(now_ms);
        self.now = self.now.max(now_ms);
        self.expire_requests();
        match event {
            Event::Add(spec) => self.add(spec),
            Event::Signer { id, mut answer } => {
                if let Some(req) = self.take(id) {
                    self.on_signer(req, &mut answer);
                }
            }
            Event::Stored { id, mut etag } => {
                if let Some(req) = self.take(id) {
                    self.on_stored(req, &mut etag);
                }
            }
            Event::Sent { id, bytes } => self.on_sent(id, bytes),
            Event::Failed { id, failure } => {
                if let Some(req) = self.take(id) {
                    self.failed(req, &failure);
                }
            }
            Event::Digested {
                file,
                part,
                mut value,
            } => self.on_digested(file, part, &mut value),
            Event::Pause(f) => self.pause(f),
            Event::Resume(f) => self.resume(f),
            Event::Cancel(f) => self.cancel(f),
            Event::Offline => self.go_offline(),
            Event::Online => self.go_online(),
            Event::Tick => {}
        }
        self.dirty = true;
    }

    /// The next thing the driver must do. New requests are decided when the
    /// earlier actions are drained, so that every event handled since the
    /// last drain is seen at once: files added together share one
    /// `POST /s3/params` batch, as one turn of the browser's event loop does.
    pub fn poll_action(&mut self) -> Option<Action> {
        // Again while a pass changed what the next one decides (and asked
        // for nothing yet): a complete sent ahead that falls back to parts.
        while self.out.is_empty() && core::mem::take(&mut self.dirty) {
            self.schedule();
        }
        self.out.pop_front()
    }

    /// When to call `handle(t, Event::Tick)` next, if anything waits on time
    /// (meaningful once `poll_action` has answered `None`).
    pub fn poll_timeout(&self) -> Option<u64> {
        let next = self.next_wake();
        self.armed.set(next);
        next
    }

    fn next_wake(&self) -> Option<u64> {
        let now = self.now;
        // 0 is "none": a deadline is never 0 here, and a wait counts only
        // when later than `now` (so above 0). A plain number, no `Option`s.
        let mut next = 0u64;
        let mut consider = |t: u64, floor: u64| {
            if t > floor && (next == 0 || t < next) {
                next = t;
            }
        };
        for r in self.requests.values() {
            consider(r.deadline, 0);
        }
        if !self.offline {
            // Offline, nothing starts until the network is back: only
            // requests still out may need their deadline.
            // Queued files wait on nothing but the scheduler.
            for id in &self.order {
                let Some(f) = self.files.get(id).filter(|f| !f.paused) else {
                    continue;
                };
                match &f.body {
                    Body::Single(s) => {
                        for t in [s.confirm.wait_until, s.sign.wait_until, s.send_wait_until] {
                            consider(t, now);
                        }
                    }
                    Body::Multi(m) => {
                        for t in [m.step.wait_until, m.sign.wait_until] {
                            consider(t, now);
                        }
                        for w in &m.waiting {
                            consider(w.0, now);
                        }
                        // Re-sign ahead of expiry even when nothing else happens.
                        if m.phase == Phase::Upload {
                            for n in m.queue.iter().take(self.cfg.sign_window()) {
                                if let Some(u) = &crate::file::part_of(&m.parts, *n).url {
                                    consider(u.expires_at.saturating_sub(u.margin_ms), now);
                                }
                            }
                        }
                    }
                }
            }
        }
        (next > 0).then_some(next)
    }

    /// Requests allowed in flight now (the AIMD limit).
    pub fn limit(&self) -> u32 {
        self.limit.current()
    }

    /// Store requests in flight now.
    pub fn data_in_flight(&self) -> u32 {
        self.data_in_flight
    }

    /// Signer calls in flight now.
    pub fn signer_in_flight(&self) -> u32 {
        self.signer_in_flight
    }

    /// Whether `file` continues an upload an earlier page started (known
    /// once the store listed its parts; `Outcome::resumed` says it at the end).
    pub fn resumed(&self, file: FileId) -> bool {
        matches!(self.files.get(&file).map(|f| &f.body), Some(Body::Multi(m)) if m.resumed)
    }

    /// Whether a file of `size` bytes goes multipart: only those keep a
    /// resume record, so only they need a tab lock.
    pub fn resumable(&self, size: u64) -> bool {
        size >= self.cfg.multipart_threshold
    }

    /// Files not finished yet.
    pub fn live_files(&self) -> usize {
        self.order.len() + self.queued.len() - self.queued_head
    }

    fn add(&mut self, spec: crate::api::FileSpec) {
        let id = spec.id;
        if self.files.contains_key(&id) {
            let e = UploadError::new(
                s3lift_protocol::error_code::ErrorCode::BadRequest,
                "the same file id was added twice",
            );
            self.out.push_back(Action::Finished {
                file: id,
                result: Err(e),
            });
            return;
        }
        if spec.size > MAX_OBJECT_SIZE {
            let e = UploadError::new(
                codes::BAD_PLAN,
                "the file is larger than the 5 TiB S3 allows",
            );
            self.out.push_back(Action::Finished {
                file: id,
                result: Err(e),
            });
            return;
        }
        let multipart = spec.size >= self.cfg.multipart_threshold;
        let mut file = File::new(spec, multipart);
        // A record for another fingerprint: the user gave the edited file
        // (the driver found the record by name and size, or by its stored
        // handle), so it starts over (`verify`).
        let mut changed = None;
        if let Body::Multi(m) = &mut file.body {
            let (now, ttl) = (self.now as f64, self.cfg.resume_ttl_ms as f64);
            let record = file.spec.resume.take();
            if let Some(r) = record.filter(|_| file.spec.fingerprint.is_some()) {
                let fresh = r.is_fresh(now, ttl);
                let (key, upload_id) = (r.key, r.upload_id);
                let up = Some(crate::file::Upload {
                    key,
                    upload_id,
                    bucket: None,
                });
                if !fresh {
                    // Expired: its upload is aborted (when a signer slot is
                    // free) and its record forgotten; the file starts afresh.
                    m.discard = up;
                    let fingerprint = r.fingerprint;
                    self.out.push_back(Action::ForgetResume {
                        file: id,
                        fingerprint,
                    });
                } else {
                    let same = file.spec.fingerprint.as_deref() == Some(r.fingerprint.as_str());
                    let plan = PartPlan::from_parts(file.spec.size, r.part_size);
                    m.upload = up;
                    match plan {
                        Ok(plan) if same => m.continue_record(plan, r.created_at, r.completing),
                        _ => changed = Some(r.fingerprint),
                    }
                }
            }
        }
        let single = matches!(file.body, Body::Single(_));
        self.files.insert(id, Box::new(file));
        if single {
            self.queued.push(id);
        } else {
            self.order.push(id);
        }
        if changed.is_some() {
            self.restart_changed(id, &mut changed);
        }
    }

    /// Takes the first queued file.
    pub(crate) fn next_queued(&mut self) -> Option<FileId> {
        let id = *self.queued.get(self.queued_head)?;
        self.queued_head += 1;
        if self.queued_head * 2 > self.queued.len() {
            // What was taken goes, so that the queue holds what it holds,
            // not all it ever held.
            s3lift_protocol::drop_front(&mut self.queued, self.queued_head);
            self.queued_head = 0;
        }
        Some(id)
    }

    /// Reports `file`'s progress (at most every `progress_interval_ms` unless forced).
    pub(crate) fn progress(&mut self, id: FileId, force: bool) {
        let (now, every) = (self.now, self.cfg.progress_interval_ms);
        let Some(f) = self.files.get_mut(&id) else {
            return;
        };
        if !force && f.last_progress.is_some_and(|t| now < t + every) {
            return;
        }
        f.last_progress = Some(now);
        f.meter.sample(now as f64, f.tracker.bytes_sent());
        let progress = f.meter.progress(&f.tracker);
        self.out.push_back(Action::Progress { file: id, progress });
    }

    /// Ends `file` with `result`: nothing more is asked for it.
    pub(crate) fn finish(&mut self, id: FileId, result: Result<Outcome, UploadError>) {
        let Some(f) = self.files.get(&id) else {
            return;
        };
        if let (Body::Multi(m), Some(fp)) = (&f.body, &f.spec.fingerprint) {
            if m.upload.is_some() {
                self.out.push_back(Action::ForgetResume {
                    file: id,
                    fingerprint: fp.clone(),
                });
            }
        }
        if !crate::take_id(&mut self.order, id) {
            // Never started: still queued, after `queued_head` (the ids
            // before it are started files, so it stays where it is).
            crate::take_id(&mut self.queued, id);
        }
        let ids = ids_where(&self.requests, |r| req_file(&r.req) == Some(id));
        for &r in &ids {
            self.stop_request(r);
        }
        if result.is_ok() {
            self.progress(id, true);
        }
        // Out of the table once, at the end (each removal moves the files after it).
        self.files.remove(&id);
        self.out.push_back(Action::Finished { file: id, result });
    }

    /// The next jitter draw.
    pub(crate) fn delay(&mut self, retry: u32, retry_after_ms: Option<u32>) -> u64 {
        let unit = self.rng.unit();
        u64::from(self.cfg.retry.delay_ms(retry, unit, retry_after_ms))
    }
}
