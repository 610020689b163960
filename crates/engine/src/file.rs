//! The state of one file: a single upload or a multipart upload, with the
//! bookkeeping both share (pause, failure, progress).

use alloc::{boxed::Box, string::String, vec::Vec};

use crate::deque::VecDeque;

use s3lift_protocol::collector::PartCollector;
use s3lift_protocol::plan::PartPlan;
use s3lift_protocol::progress::{ProgressTracker, SpeedMeter};
use s3lift_protocol::wire::UploadParams;
use s3lift_protocol::Must;

use crate::api::{FileId, FileSpec, Outcome, RequestId, Restart};
use crate::error::UploadError;
use crate::url::SignedUrl;

/// One file.
#[derive(Debug)]
pub(crate) struct File {
    pub spec: FileSpec,
    pub paused: bool,
    /// Set once the file is failing or cancelled: it only winds down now.
    pub fatal: Option<UploadError>,
    pub tracker: ProgressTracker,
    pub meter: SpeedMeter,
    pub last_progress: Option<u64>,
    pub body: Body,
}

/// Single request or multipart.
#[derive(Debug)]
pub(crate) enum Body {
    Single(Box<Single>),
    Multi(Box<Multi>),
}

/// Retry state of one signer call kind (params, create, list, complete, abort).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Step {
    pub failures: u32,
    pub wait_until: u64,
    pub in_flight: Option<RequestId>,
}

impl Step {
    /// Whether a call may start at `now`.
    pub fn ready(&self, now: u64) -> bool {
        self.in_flight.is_none() && now >= self.wait_until
    }
}

/// A file sent in one request.
#[derive(Debug, Default)]
pub(crate) struct Single {
    /// Signed params and their expiry; reused by every retry while fresh,
    /// so that a retry after a lost answer writes the same key again.
    pub params: Option<(UploadParams, SignedUrl)>,
    pub sign: Step,
    /// The send in flight, if any.
    pub sending: Option<RequestId>,
    pub send_failures: u32,
    pub resigns: u32,
    pub send_wait_until: u64,
    /// An attempt under the current key may have been stored (no answer came).
    pub maybe_stored: bool,
    /// Stored: the outcome, waiting for the signer's confirmation.
    pub stored: Option<crate::api::Outcome>,
    /// `POST /s3/params/complete` retries.
    pub confirm: Step,
    /// The whole file's CRC64NVME (checksums on), sent in the params
    /// request so that the signer signs it into the PUT.
    pub digest: Option<String>,
    /// The driver is reading the file for `digest`.
    pub digesting: bool,
}

impl Single {
    /// The object key of the current params: top-level `key`, or Companion's `fields.key`.
    pub fn key(&self) -> Option<&str> {
        let (p, _) = self.params.as_ref()?;
        p.key
            .as_deref()
            .or_else(|| p.fields.get("key").map(String::as_str))
    }
}

/// Where a multipart upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `POST /s3/multipart`.
    Create,
    /// ListParts: resuming from a record, or after a pause.
    List,
    /// Reading stored parts again to check the file did not change
    /// (`verify`); then `Multi::after_verify`.
    Verify,
    /// Sending parts.
    Upload,
    /// Complete.
    Complete,
    /// Abort, then finish with the fatal error.
    Abort,
}

/// The store's upload.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub key: String,
    pub upload_id: String,
    pub bucket: Option<String>,
}

/// One planned part.
#[derive(Debug, Default, Clone)]
pub(crate) struct Part {
    pub url: Option<SignedUrl>,
    pub sending: Option<RequestId>,
    pub signing: bool,
    /// Its checksum, once the driver computed it (checksums on).
    pub digest: Option<String>,
    pub digesting: bool,
    pub failures: u32,
    pub resigns: u32,
    pub done: bool,
}

/// Part `n` of `parts` (numbered from 1, known to be planned), to read:
/// one function for every reader, as [`Multi::part`] is for writers.
#[inline(never)]
pub(crate) fn part_of(parts: &[Part], n: u32) -> &Part {
    parts.get(n as usize - 1).must()
}

/// Whether part `n` of `parts` is stored, for `ProgressTracker::restart_from`:
/// every part when there are none (a file starting over keeps no attempt).
/// One closure type for both callers, so one `restart_from` instance.
pub(crate) fn stored_in(parts: &[Part]) -> impl Fn(u32) -> bool + '_ {
    move |n| parts.is_empty() || part_of(parts, n).done
}

/// [`Engine::multi_mut`] on the file table alone, for a caller that pushes
/// actions to `out` while it holds the file.
pub(crate) fn multi_in(
    files: &mut crate::vecmap::VecMap<FileId, Box<File>>,
    f: FileId,
) -> Option<&mut Multi> {
    match &mut files.get_mut(&f)?.body {
        Body::Multi(m) => Some(m),
        Body::Single(_) => None,
    }
}

/// A multipart upload.
#[derive(Debug)]
pub(crate) struct Multi {
    pub phase: Phase,
    pub step: Step,
    pub upload: Option<Upload>,
    pub plan: Option<PartPlan>,
    pub parts: Vec<Part>,
    /// Parts to send, in order (retries go first).
    pub queue: VecDeque<u32>,
    /// Parts waiting out a backoff: (until, part).
    pub waiting: Vec<(u64, u32)>,
    pub collector: PartCollector,
    pub sending: u32,
    /// Sign calls in flight.
    pub signing: u32,
    /// Digests asked for and not answered.
    pub digesting: u32,
    pub sign: Step,
    /// The upload came from a resume record: a 403/404 at ListParts starts afresh.
    pub from_record: bool,
    /// When its resume record was made (ms since the epoch), if it has one.
    pub record_at: Option<f64>,
    /// Its resume record says a complete was sent.
    pub record_completing: bool,
    pub resumed: bool,
    /// Stored parts being checked against the file: (part, the MD5 its
    /// listed ETag names).
    pub verify: Vec<(u32, String)>,
    /// Where the upload goes once they match (`Upload` or `Complete`).
    pub after_verify: Phase,
    /// The upload started over (the file changed under its record).
    pub restarted: bool,
    /// The upload the changed file's record named, to abort.
    pub discard: Option<Upload>,
    /// A complete whose answer never came may have succeeded.
    pub complete_maybe_done: bool,
    /// The complete in flight went to the in-body route.
    pub complete_in_body: bool,
    /// Complete found the upload gone, where someone may have completed it
    /// (our own complete whose answer was lost, or another tab that held
    /// the resumed upload): the object at its key is checked with the
    /// confirm call, and this error stands if it is not there. Also set
    /// when ListParts finds a resume record's upload gone (a reload may
    /// have lost its complete's answer): not there, the file starts afresh.
    pub gone: Option<UploadError>,
    /// Completes of a resumed upload refused for stray parts, re-listed.
    pub stray_retries: u32,
    /// A pause stopped parts mid-way: ask the store what it has on resume.
    pub sync_on_resume: bool,
    /// Cancel came while complete was in flight (its answer decides), or
    /// while the object of an upload found gone was checked (the check does).
    pub cancel_after_complete: bool,
    /// The signer dropped the requested checksums (its store does not check
    /// them): parts and complete go without, and nothing is digested.
    pub sums_dropped: bool,
    /// The complete in flight went ahead of the last parts' answers (`ahead`).
    pub ahead: bool,
    /// One did, and failed: the complete waits for the answers from now on.
    pub ahead_failed: bool,
    /// A failure that came while such a complete was in flight: it applies
    /// if that complete fails (as a cancel does then).
    pub ahead_error: Option<UploadError>,
    /// That complete succeeded: the outcome, given once the parts still in
    /// flight have answered (their `PartStored` first) or ended.
    pub ahead_done: Option<Outcome>,
}

impl Multi {
    /// A multipart upload not created yet.
    pub fn new() -> Self {
        Self {
            phase: Phase::Create,
            step: Step::default(),
            upload: None,
            plan: None,
            parts: Vec::new(),
            queue: VecDeque::new(),
            waiting: Vec::new(),
            collector: PartCollector::new(0),
            sending: 0,
            signing: 0,
            digesting: 0,
            sign: Step::default(),
            from_record: false,
            record_at: None,
            record_completing: false,
            resumed: false,
            verify: Vec::new(),
            after_verify: Phase::Upload,
            restarted: false,
            discard: None,
            complete_maybe_done: false,
            complete_in_body: false,
            gone: None,
            stray_retries: 0,
            sync_on_resume: false,
            cancel_after_complete: false,
            sums_dropped: false,
            ahead: false,
            ahead_failed: false,
            ahead_error: None,
            ahead_done: None,
        }
    }

    /// Adopts `plan`: every part not yet stored goes to the queue.
    pub fn start_plan(&mut self, plan: PartPlan) {
        self.plan = Some(plan);
        // Pushed, not `vec![Part::default(); n]`: no `extend_with` and
        // `Part::clone` instances for it.
        let n = plan.part_count() as usize;
        let mut parts = Vec::with_capacity(n);
        for _ in 0..n {
            parts.push(Part::default());
        }
        self.parts = parts;
        self.collector = PartCollector::new(plan.part_count());
        self.queue = VecDeque::new();
        for n in 1..plan.part_count() + 1 {
            self.queue.push_back(n);
        }
    }

    /// Continues the upload of a resume record made at `created_at` (its
    /// plan agreed): the store is asked for its parts first. `completing`:
    /// an earlier page sent a complete, which may have gone through.
    pub fn continue_record(&mut self, plan: PartPlan, created_at: f64, completing: bool) {
        self.start_plan(plan);
        self.from_record = true;
        self.record_at = Some(created_at);
        self.record_completing = completing;
        self.complete_maybe_done = completing;
        self.enter(Phase::List);
    }

    /// Part `n`'s slot.
    #[inline(never)]
    pub fn part(&mut self, n: u32) -> &mut Part {
        self.parts.get_mut(n as usize - 1).must()
    }

    /// What the upload comes to once completed, before the signer's
    /// answer names its location, ETag and checksum.
    pub fn outcome(&self) -> Option<Outcome> {
        let up = self.upload.as_ref()?;
        Some(Outcome {
            key: up.key.clone(),
            bucket: up.bucket.clone(),
            location: None,
            etag: None,
            resumed: self.resumed,
            restarted: self.restarted.then_some(Restart::FileChanged),
            confirmed: false,
            checksum: None,
        })
    }

    /// The upload's id and key, to name it in a signer call.
    pub fn named(&self) -> Option<(String, String)> {
        let up = self.upload.as_ref()?;
        Some((up.upload_id.clone(), up.key.clone()))
    }

    /// Moves a changed phase's step back to a fresh start.
    #[inline(never)]
    pub fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        self.step = Step::default();
    }
}

impl File {
    /// A file about to start.
    pub fn new(spec: FileSpec, multipart: bool) -> Self {
        let tracker = ProgressTracker::new(spec.size);
        let body = if multipart {
            Body::Multi(Box::new(Multi::new()))
        } else {
            Body::Single(Box::default())
        };
        Self {
            spec,
            paused: false,
            fatal: None,
            tracker,
            meter: SpeedMeter::default(),
            last_progress: None,
            body,
        }
    }
}
