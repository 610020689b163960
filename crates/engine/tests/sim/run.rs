//! The simulation loop and its invariants, checked after every step.

use std::collections::VecDeque;

use s3lift_engine::error::codes;
use s3lift_engine::{Action, Engine, Event, FileId};
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::plan::{PartPlan, MAX_PARTS};

use crate::reload::reload;
use crate::scenario::Scenario;
use crate::store::merge;
use crate::world::World;

/// Steps after which a scenario counts as stuck.
const MAX_STEPS: u64 = 3_000_000;

/// What one or more scenarios covered.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub scenarios: u64,
    pub uploads: u64,
    pub completed: u64,
    pub failed: u64,
    /// Failures by code.
    pub codes: std::collections::BTreeMap<&'static str, u64>,
    pub ten_thousand_part_plans: u64,
    pub max_size: u64,
    /// 5 TiB uploads that completed.
    pub five_tib_completed: u64,
    pub data_requests: u64,
    pub reloads: u64,
    /// Reloads while a complete was on its way.
    pub reloads_mid_complete: u64,
    /// Uploads that a new engine finished from a resume record.
    pub resumed: u64,
    /// Completes of a resumed upload that another tab made first.
    pub taken_over: u64,
    /// Completes to the in-body route, and those an older replica refused.
    pub in_body_completes: u64,
    pub old_replica: u64,
    /// Completes sent ahead of their last parts' answers.
    pub ahead_completes: u64,
}

impl Summary {
    pub fn add(&mut self, o: &Summary) {
        self.scenarios += o.scenarios;
        self.uploads += o.uploads;
        self.completed += o.completed;
        self.failed += o.failed;
        for (c, n) in &o.codes {
            *self.codes.entry(c).or_default() += n;
        }
        self.ten_thousand_part_plans += o.ten_thousand_part_plans;
        self.max_size = self.max_size.max(o.max_size);
        self.five_tib_completed += o.five_tib_completed;
        self.data_requests += o.data_requests;
        self.reloads += o.reloads;
        self.reloads_mid_complete += o.reloads_mid_complete;
        self.resumed += o.resumed;
        self.taken_over += o.taken_over;
        self.in_body_completes += o.in_body_completes;
        self.old_replica += o.old_replica;
        self.ahead_completes += o.ahead_completes;
    }
}

macro_rules! ensure {
    ($c:expr, $($m:tt)*) => {
        if !$c {
            return Err(format!($($m)*));
        }
    };
}

pub fn run(sc: Scenario) -> Result<Summary, String> {
    let mut w = World::new(sc.seed, sc.shape.clone(), sc.faults.clone());
    let mut engine = Engine::new(sc.cfg.clone());
    let mut sum = Summary {
        scenarios: 1,
        uploads: sc.files.len() as u64,
        ..Summary::default()
    };
    for f in &sc.files {
        w.sizes.insert(f.id, f.size);
        sum.max_size = sum.max_size.max(f.size);
        let plan = PartPlan::new(f.size, sc.cfg.part_size);
        if f.size >= sc.cfg.multipart_threshold && plan.is_ok_and(|p| p.part_count() == MAX_PARTS) {
            sum.ten_thousand_part_plans += 1;
        }
        engine.handle(0, Event::Add(f.clone()));
    }
    // Files added in one go share signer batches.
    drain(&sc, &mut engine, &mut w)?;
    let mut user: VecDeque<(u64, Event)> = sc.user.iter().cloned().collect();
    let mut reload_at = sc.reload_at;
    let mut steps = 0;
    loop {
        steps += 1;
        ensure!(
            steps < MAX_STEPS,
            "stuck after {steps} steps at t={} ms",
            w.now
        );
        let candidates = [
            w.next_time(),
            engine.poll_timeout(),
            user.front().map(|u| u.0),
            reload_at,
        ];
        let Some(t) = candidates.iter().flatten().min().copied() else {
            break;
        };
        let t = t.max(w.now);
        if reload_at.is_some_and(|r| r <= t) {
            // Between signer calls, or while only completes are on their
            // way: the new page does not know whether they went through.
            // (A reload mid-create would leave an upload nobody knows of:
            // the store's lifecycle rule's to clean, not the engine's.)
            if w.reload_allowed() && engine.live_files() > 0 {
                engine = reload(&sc, &mut w, t)?;
                sum.reloads += 1;
                reload_at = None;
            } else {
                let possible = engine.live_files() > 0;
                reload_at = if possible { Some(t + 1) } else { None };
                if reload_at.is_some()
                    && w.next_time().is_none_or(|n| n > t + 1)
                    && engine.poll_timeout().is_none_or(|n| n > t + 1)
                {
                    w.now = t + 1;
                }
            }
            continue;
        }
        if user.front().is_some_and(|u| u.0 <= t) {
            let (_, ev) = user.pop_front().expect("peeked");
            w.now = t;
            match ev {
                Event::Offline => w.go_offline(),
                Event::Online => w.offline = false,
                _ => {}
            }
            if let Event::Cancel(f) = ev {
                w.cancels.cancel(f);
            }
            trace(w.now, &ev);
            engine.handle(t, ev);
        } else if w.next_time().is_some_and(|n| n <= t) {
            if let Some(ev) = w.next() {
                trace(w.now, &ev);
                engine.handle(w.now, ev);
            }
        } else {
            w.now = t;
            trace(w.now, &Event::Tick);
            engine.handle(t, Event::Tick);
        }
        drain(&sc, &mut engine, &mut w)?;
    }
    finish_checks(&sc, &engine, &w)?;
    sum.completed = w.finished.values().filter(|r| r.is_ok()).count() as u64;
    sum.failed = sum.uploads - sum.completed;
    sum.five_tib_completed = sc
        .files
        .iter()
        .filter(|f| f.size == s3lift_protocol::plan::MAX_OBJECT_SIZE && w.finished[&f.id].is_ok())
        .count() as u64;
    sum.data_requests = w.stats.data_requests;
    sum.resumed = w.resumed;
    sum.reloads_mid_complete = w.reloads_mid_complete;
    sum.taken_over = w.taken_over;
    sum.in_body_completes = w.in_body_completes;
    sum.old_replica = w.old_replica;
    sum.ahead_completes = w.ahead_completes;
    for r in w.finished.values() {
        if let Err(c) = r {
            *sum.codes.entry(c).or_default() += 1;
        }
    }
    Ok(sum)
}

/// Performs every action, checking the per-step invariants.
pub(crate) fn drain(sc: &Scenario, engine: &mut Engine, w: &mut World) -> Result<(), String> {
    while let Some(a) = engine.poll_action() {
        trace(w.now, &a);
        w.cancels.sent(&a);
        match a {
            Action::SendSingle { file, .. } | Action::SendPart { file, .. } => {
                ensure!(!w.offline, "a store request for {file:?} while offline");
                ensure!(
                    (w.data_out.len() as u32) < engine.limit(),
                    "a store request for {file:?} beyond the limit: {} in flight, limit {}",
                    w.data_out.len(),
                    engine.limit()
                );
                ensure!(
                    !w.finished.contains_key(&file),
                    "a request for finished {file:?}"
                );
                w.apply(a);
            }
            Action::Progress { file, progress } => {
                ensure!(
                    progress.bytes_sent <= progress.total_bytes,
                    "progress over total for {file:?}"
                );
                let last = w.progress.insert(file, progress.bytes_sent).unwrap_or(0);
                ensure!(
                    progress.bytes_sent >= last,
                    "progress of {file:?} went back from {last} to {}",
                    progress.bytes_sent
                );
            }
            Action::PartStored { .. } => {}
            Action::Finished { file, result } => on_finished(sc, w, file, result)?,
            other => {
                if !matches!(
                    other,
                    Action::CancelRequest { .. }
                        | Action::SaveResume { .. }
                        | Action::ForgetResume { .. }
                        | Action::Digest { .. }
                        | Action::Restarted { .. }
                ) {
                    ensure!(!w.offline, "a signer call while offline: {other:?}");
                    ensure!(
                        (w.signer_out.len() as u32) < sc.cfg.concurrency,
                        "a signer call beyond the cap of {}",
                        sc.cfg.concurrency
                    );
                }
                w.apply(other);
            }
        }
    }
    ensure!(
        engine.data_in_flight() as usize == w.data_out.len()
            && engine.signer_in_flight() as usize == w.signer_out.len(),
        "the engine counts {}+{} requests in flight, the driver {}+{}",
        engine.data_in_flight(),
        engine.signer_in_flight(),
        w.data_out.len(),
        w.signer_out.len()
    );
    Ok(())
}

fn on_finished(
    sc: &Scenario,
    w: &mut World,
    file: FileId,
    result: Result<s3lift_engine::Outcome, s3lift_engine::UploadError>,
) -> Result<(), String> {
    ensure!(!w.finished.contains_key(&file), "{file:?} finished twice");
    let size = w.sizes[&file];
    match result {
        Ok(o) => {
            let want = if size == 0 {
                vec![]
            } else {
                vec![(file, 0, size)]
            };
            let got = w.store.objects.get(&o.key).cloned().map(merge);
            ensure!(
                got.as_ref() == Some(&want),
                "{file:?} reported {} but the store holds {got:?}",
                o.key
            );
            let sent = w.stats.bytes_sent.get(&file).copied().unwrap_or(0);
            let allowed = w.stats.allowance.get(&file).copied().unwrap_or(0);
            ensure!(
                sent.saturating_sub(size) <= allowed,
                "{file:?} re-sent {} bytes, but failed requests only account for {allowed}",
                sent - size
            );
            w.cancels.uploaded(file)?;
            w.reported.insert(o.key.clone());
            w.resumed += u64::from(o.resumed);
            w.finished.insert(file, Ok(o.key));
        }
        Err(e) => {
            ensure!(
                ErrorCode::ALL.contains(&e.code),
                "undocumented code {}",
                e.code
            );
            let spec = sc.files.iter().find(|f| f.id == file).expect("known file");
            let cancelled = sc.cancelled.contains(&file);
            let expected = (e.code == codes::CANCELLED && cancelled)
                || (e.code == codes::BAD_PLAN
                    && spec.size > s3lift_protocol::plan::MAX_OBJECT_SIZE)
                || !sc.clean();
            ensure!(
                expected,
                "{file:?} failed with {} ({}) without a fault to explain it",
                e.code,
                e.message
            );
            ensure!(
                e.code != codes::CANCELLED || cancelled,
                "{file:?} cancelled without a cancel"
            );
            if let Some(k) = e.key {
                // The store refused it, or the upload is gone: then it holds
                // no object of it (a complete that went through makes the
                // upload's parts refused and the upload gone, and the object
                // is the file's, done).
                ensure!(
                    (e.code != codes::STORE_REFUSED && e.code != ErrorCode::NoSuchUpload)
                        || !w.store.objects.contains_key(&k),
                    "{file:?} failed with {} ({}) but its object {k} is in the store",
                    e.code,
                    e.message
                );
                w.reported.insert(k);
            }
            let open: Vec<&String> = w
                .store
                .uploads
                .iter()
                .filter(|(_, u)| u.file == file)
                .map(|(id, _)| id)
                .collect();
            ensure!(
                open.is_empty(),
                "{file:?} failed ({}) leaving uploads {open:?} open",
                e.code
            );
            w.finished.insert(file, Err(e.code.as_str()));
        }
    }
    Ok(())
}

fn finish_checks(sc: &Scenario, engine: &Engine, w: &World) -> Result<(), String> {
    for f in &sc.files {
        ensure!(
            w.finished.contains_key(&f.id),
            "{:?} ({} B) never finished",
            f.id,
            f.size
        );
    }
    ensure!(engine.live_files() == 0, "the engine still holds files");
    for key in w.store.objects.keys() {
        ensure!(
            w.reported.contains(key),
            "object {key} is in the store but was never reported"
        );
    }
    ensure!(
        w.store.uploads.is_empty(),
        "uploads left open: {:?}",
        w.store.uploads.keys().collect::<Vec<_>>()
    );
    let max = sc.cfg.concurrency;
    let needed = u64::from(max) * u64::from(max.saturating_sub(1)) / 2;
    ensure!(
        w.stats.successes_since_throttle < needed.max(1) || engine.limit() == max,
        "the limit stayed at {} of {max} after {} successes without a throttle",
        engine.limit(),
        w.stats.successes_since_throttle
    );
    Ok(())
}

/// `S3LIFT_SIM_TRACE=1` prints every event and action of a replayed seed.
fn trace(now: u64, what: &dyn std::fmt::Debug) {
    thread_local!(static ON: bool = std::env::var_os("S3LIFT_SIM_TRACE").is_some());
    if ON.with(|on| *on) {
        eprintln!("{now:>10} {what:?}");
    }
}
