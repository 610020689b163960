//! One seeded scenario: engine settings, signer shape, fault plan, files
//! (with every planning edge), and the user's pauses, resumes, cancels
//! and page reloads.

use s3lift_engine::rng::Rng;
use s3lift_engine::{Config, Event, FileId, FileSpec};
use s3lift_protocol::plan::{MAX_OBJECT_SIZE, MIB, MIN_PART_SIZE};

/// How the signer behaves.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Companion: no `POST /s3/params`, no plan in create, `fields.key` only, no `expires`.
    pub companion: bool,
    /// No part batch route either: parts are signed one by one.
    pub no_part_batch: bool,
    /// URL lifetime, s.
    pub ttl_s: u64,
    /// Single uploads by PUT (else POST form).
    pub put: bool,
}

/// The seeded fault plan.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Chance that a store request fails, before `cutoff`.
    pub p_data: f64,
    /// Chance that a signer call fails, before `cutoff`.
    pub p_signer: f64,
    /// No fault after this time, so the limit can be seen climbing back.
    pub cutoff: u64,
    /// The signer answers 503 (Retry-After: 1) in this window.
    pub outage: Option<(u64, u64)>,
    /// The browser says the network is gone in this window (`Offline`,
    /// then `Online`): store requests out then fail without an answer, and
    /// the engine must start none. Not a fault: it explains no failure.
    pub offline: Option<(u64, u64)>,
}

/// The edge sizes of 10,000-part plans (for a part size) and of S3's 5 TiB limit.
fn huge(i: u64, part: u64) -> u64 {
    [
        MAX_OBJECT_SIZE,
        10_000 * part,
        10_000 * part - 1,
        10_000 * part + 1,
        MAX_OBJECT_SIZE - 1,
        MAX_OBJECT_SIZE + 1,
    ][(i % 6) as usize]
}

pub struct Scenario {
    pub seed: u64,
    pub cfg: Config,
    pub shape: Shape,
    pub faults: Faults,
    pub files: Vec<FileSpec>,
    /// (time, event), sorted.
    pub user: Vec<(u64, Event)>,
    pub reload_at: Option<u64>,
    pub cancelled: Vec<FileId>,
}

fn log_uniform(rng: &mut Rng, max: u64) -> u64 {
    let bits = 64 - max.leading_zeros() as u64;
    let b = rng.below(bits + 1);
    rng.below((1u64 << b).min(max) + 1)
}

impl Scenario {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let cfg = Config {
            concurrency: 1 + rng.below(8) as u32,
            multipart_threshold: [5 * MIB, 8 * MIB, 16 * MIB][rng.below(3) as usize],
            part_size: [None, Some(5 * MIB), Some(16 * MIB)][rng.below(3) as usize],
            stall_timeout_ms: 30_000,
            signer_timeout_ms: 10_000,
            seed,
            // Completes ahead of the last answers: never, the browser's
            // setting, or as soon as every part is stored or in flight.
            // (Its own generator: the scenarios stay as they were.)
            complete_ahead_ms: [0, 300, u64::MAX][Rng::new(seed ^ 0xa4ead).below(3) as usize],
            ..Config::default()
        };
        let companion = rng.below(4) == 0;
        let shape = Shape {
            companion,
            no_part_batch: companion && rng.below(2) == 0,
            ttl_s: if rng.below(5) == 0 {
                8 + rng.below(60)
            } else {
                3600
            },
            put: rng.below(2) == 0,
        };
        let mut cfg = cfg;
        if !shape.no_part_batch && rng.below(5) == 0 {
            cfg.checksum = Some(s3lift_protocol::wire::ChecksumAlgorithm::Sha256);
        }
        let p = [0.0, 0.02, 0.1, 0.3];
        let mut faults = Faults {
            p_data: p[rng.below(4) as usize],
            p_signer: p[rng.below(3) as usize],
            cutoff: rng.below(20_000),
            outage: None,
            offline: None,
        };
        if rng.below(5) == 0 {
            let start = rng.below(5_000);
            faults.outage = Some((start, start + 500 + rng.below(3_500)));
        }
        let threshold = cfg.multipart_threshold;
        let part = cfg.part_size.unwrap_or(8 * MIB);
        let kind = rng.below(100);
        let mut sizes = Vec::new();
        let mut reload_at = None;
        if seed % 499 < 2 {
            sizes.push(huge(seed / 499, part));
        } else if kind < 5 {
            sizes.push(threshold + log_uniform(&mut rng, 3 * 1024 * MIB));
            reload_at = Some(rng.below(4_000));
        } else if kind < 15 {
            // A burst of small files with 429/503 early: the limit must climb back.
            faults.p_data = 0.3;
            faults.cutoff = rng.below(3_000);
            for _ in 0..20 + rng.below(40) {
                sizes.push(log_uniform(&mut rng, threshold - 1));
            }
        } else {
            for _ in 0..1 + rng.below(6) {
                let edges = [
                    0,
                    1,
                    threshold - 1,
                    threshold,
                    threshold + 1,
                    MIN_PART_SIZE - 1,
                    MIN_PART_SIZE,
                    MIN_PART_SIZE + 1,
                    part * 2 - 1,
                    part * 2,
                    part * 2 + 1,
                    part * 3 + 1,
                ];
                let r = rng.below(100);
                sizes.push(match r {
                    0..=24 => edges[rng.below(edges.len() as u64) as usize],
                    25..=69 => log_uniform(&mut rng, threshold - 1),
                    _ => threshold + log_uniform(&mut rng, 2 * 1024 * MIB),
                });
            }
        }
        let files: Vec<FileSpec> = sizes
            .iter()
            .enumerate()
            .map(|(i, size)| FileSpec {
                id: FileId(i as u64 + 1),
                name: format!("f{i}.bin"),
                size: *size,
                content_type: "application/octet-stream".into(),
                metadata: Default::default(),
                fingerprint: (reload_at.is_some() || rng.below(2) == 0).then(|| format!("fp{i}")),
                resume: None,
                relative_path: None,
            })
            .collect();
        let mut user = Vec::new();
        let mut cancelled = Vec::new();
        for f in &files {
            if rng.below(100) < 15 {
                let t = rng.below(3_000);
                user.push((t, Event::Pause(f.id)));
                user.push((t + rng.below(3_000), Event::Resume(f.id)));
            }
            if reload_at.is_none() && rng.below(100) < 5 {
                user.push((rng.below(5_000), Event::Cancel(f.id)));
                cancelled.push(f.id);
            }
        }
        // Its own generator, so the scenarios above stay as they were.
        let mut net = Rng::new(seed ^ 0x0ff_11e);
        if net.below(5) == 0 {
            let start = net.below(5_000);
            let end = start + 1 + net.below(120_000);
            faults.offline = Some((start, end));
            user.push((start, Event::Offline));
            user.push((end, Event::Online));
        }
        user.sort_by_key(|(t, _)| *t);
        Self {
            seed,
            cfg,
            shape,
            faults,
            files,
            user,
            reload_at,
            cancelled,
        }
    }

    /// No fault can happen: every upload must succeed (or be cancelled).
    pub fn clean(&self) -> bool {
        let no_random =
            self.faults.cutoff == 0 || (self.faults.p_data == 0.0 && self.faults.p_signer == 0.0);
        no_random && self.faults.outage.is_none()
    }
}
