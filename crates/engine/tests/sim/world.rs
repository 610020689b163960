//! The simulated world around one engine: the signer (s3lift- or
//! Companion-shaped), the store, the network with its seeded faults, and
//! the clock. `apply` performs one action; `next` delivers one answer.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use s3lift_engine::rng::Rng;
use s3lift_engine::{Event, Failure, FileId, RequestId, SignerAnswer};

use crate::scenario::{Faults, Shape};
use crate::store::{self, Store};

/// What reaches the engine later.
#[derive(Debug)]
pub enum Arrival {
    /// An answer, as is.
    Deliver(Event),
    /// A part PUT reaching the store: stored if the upload is open.
    Part {
        id: RequestId,
        upload: String,
        part: u32,
        range: store::Range,
        lose: bool,
    },
    /// A complete with pending parts at the signer (`crate::ahead`).
    Ahead(crate::ahead::Ahead),
    /// A single upload reaching the store.
    Single {
        id: RequestId,
        key: String,
        file: FileId,
        size: u64,
        lose: bool,
    },
}

/// Counters the invariants read.
#[derive(Debug, Default)]
pub struct Stats {
    pub bytes_sent: BTreeMap<FileId, u64>,
    /// Bytes of requests whose success the engine never took in.
    pub allowance: BTreeMap<FileId, u64>,
    pub successes_since_throttle: u64,
    pub data_requests: u64,
}

pub struct World {
    pub now: u64,
    pub rng: Rng,
    pub shape: Shape,
    pub faults: Faults,
    pub store: Store,
    pub sizes: BTreeMap<FileId, u64>,
    pub heap: BinaryHeap<Reverse<(u64, u64)>>,
    pub pending: BTreeMap<u64, Arrival>,
    seq: u64,
    pub data_out: BTreeMap<RequestId, (FileId, u64)>,
    pub signer_out: BTreeSet<RequestId>,
    pub finished: BTreeMap<FileId, Result<String, &'static str>>,
    pub reported: BTreeSet<String>,
    pub records: BTreeMap<FileId, s3lift_protocol::resume::ResumeRecord>,
    /// The complete calls among the signer calls.
    pub complete_calls: BTreeSet<RequestId>,
    /// Reloads that came while a complete was on its way.
    pub reloads_mid_complete: u64,
    /// Uploads finished from a resume record.
    pub resumed: u64,
    /// Files a reloaded engine was handed a resume record for, with the
    /// record's `completing` mark as the engine read it.
    pub from_record: BTreeMap<FileId, bool>,
    /// Completes that another tab, holding the same resumed upload, made
    /// just before ours arrived.
    pub taken_over: u64,
    /// Completes sent to the in-body route, and those of them that met an
    /// older signer replica without it (404 `not_found`).
    pub in_body_completes: u64,
    pub old_replica: u64,
    /// Completes sent ahead of their last parts' answers.
    pub ahead_completes: u64,
    pub stats: Stats,
    /// Inside the `offline` window.
    pub offline: bool,
    /// The last progress each file reported (this engine's).
    pub progress: BTreeMap<FileId, u64>,
    pub cancels: crate::cancel::Cancels,
}

impl World {
    pub fn new(seed: u64, shape: Shape, faults: Faults) -> Self {
        Self {
            now: 0,
            rng: Rng::new(seed ^ 0x5151),
            shape,
            faults,
            store: Store::default(),
            sizes: BTreeMap::new(),
            heap: BinaryHeap::new(),
            pending: BTreeMap::new(),
            seq: 0,
            data_out: BTreeMap::new(),
            signer_out: BTreeSet::new(),
            finished: BTreeMap::new(),
            reported: BTreeSet::new(),
            records: BTreeMap::new(),
            complete_calls: BTreeSet::new(),
            reloads_mid_complete: 0,
            resumed: 0,
            from_record: BTreeMap::new(),
            taken_over: 0,
            in_body_completes: 0,
            ahead_completes: 0,
            old_replica: 0,
            stats: Stats::default(),
            offline: false,
            progress: BTreeMap::new(),
            cancels: Default::default(),
        }
    }

    /// The network goes: store requests out fail without an answer (the
    /// bytes may have reached the store anyway; signer calls out had
    /// arrived, and answer).
    pub fn go_offline(&mut self) {
        self.offline = true;
        let out: Vec<RequestId> = self.data_out.keys().copied().collect();
        for id in out {
            let failure = Failure::network();
            self.later(1, Arrival::Deliver(Event::Failed { id, failure }));
        }
    }

    pub(crate) fn later(&mut self, delay: u64, a: Arrival) {
        self.seq += 1;
        self.heap.push(Reverse((self.now + delay, self.seq)));
        self.pending.insert(self.seq, a);
    }

    /// The time of the next arrival.
    pub fn next_time(&self) -> Option<u64> {
        self.heap.peek().map(|r| r.0 .0)
    }

    /// Delivers the next arrival, applying its effect on the store.
    pub fn next(&mut self) -> Option<Event> {
        let Reverse((t, seq)) = self.heap.pop()?;
        self.now = self.now.max(t);
        match self.pending.remove(&seq)? {
            Arrival::Deliver(ev) => {
                let id = match &ev {
                    Event::Signer { id, .. }
                    | Event::Failed { id, .. }
                    | Event::Stored { id, .. } => *id,
                    _ => return Some(ev),
                };
                self.complete_calls.remove(&id);
                let live = self.signer_out.remove(&id) || self.data_out.contains_key(&id);
                if let (Event::Failed { failure, .. }, Some(_)) = (&ev, self.data_out.get(&id)) {
                    if matches!(failure.status, Some(429 | 503)) {
                        self.stats.successes_since_throttle = 0;
                    }
                }
                if let Some((f, len)) = self.data_out.remove(&id) {
                    *self.stats.allowance.entry(f).or_default() += len;
                }
                // A driver does not deliver answers of requests it cancelled.
                live.then_some(ev)
            }
            Arrival::Part {
                id,
                upload,
                part,
                range,
                lose,
            } => {
                let live = self.data_out.contains_key(&id);
                if !live && self.rng.unit() < 0.5 {
                    return None; // the cancelled request never reached the store
                }
                let etag = self.store.put_part(&upload, part, range);
                self.data_answer(id, live, lose, etag.map(Some), range.2 - range.1)
            }
            Arrival::Ahead(a) => {
                self.ahead_arrived(a);
                None
            }
            Arrival::Single {
                id,
                key,
                file,
                size,
                lose,
            } => {
                let live = self.data_out.contains_key(&id);
                if !live && self.rng.unit() < 0.5 {
                    return None;
                }
                self.store.objects.insert(
                    key.clone(),
                    if size == 0 {
                        vec![]
                    } else {
                        vec![(file, 0, size)]
                    },
                );
                self.data_answer(id, live, lose, Some(Some(format!("\"{key}\""))), size)
            }
        }
    }

    /// The answer of a data request that reached the store.
    fn data_answer(
        &mut self,
        id: RequestId,
        live: bool,
        lose: bool,
        stored: Option<Option<String>>,
        len: u64,
    ) -> Option<Event> {
        if !live {
            return None;
        }
        let (f, _) = self.data_out.remove(&id).expect("live");
        match stored {
            Some(etag) if !lose => {
                self.stats.successes_since_throttle += 1;
                Some(Event::Stored { id, etag })
            }
            Some(_) => {
                *self.stats.allowance.entry(f).or_default() += len;
                Some(Event::Failed {
                    id,
                    failure: Failure::network(),
                })
            }
            None => {
                *self.stats.allowance.entry(f).or_default() += len;
                let body = "<Error><Code>NoSuchUpload</Code></Error>";
                Some(Event::Failed {
                    id,
                    failure: Failure::from_store(404, body, None),
                })
            }
        }
    }

    pub(crate) fn faulty(&mut self, p: f64) -> bool {
        self.now < self.faults.cutoff && self.rng.unit() < p
    }

    pub(crate) fn latency(&mut self) -> u64 {
        5 + self.rng.below(120)
    }

    /// A store request: maybe a fault, else its arrival at the store.
    pub(crate) fn data(
        &mut self,
        id: RequestId,
        file: FileId,
        len: u64,
        url_exp: u64,
        arrival: Arrival,
    ) {
        self.stats.data_requests += 1;
        self.data_out.insert(id, (file, len));
        *self.stats.bytes_sent.entry(file).or_default() += len;
        let lat = self.latency();
        let transfer = len / (200 * 1024); // 200 MiB/s, in ms
        if url_exp <= self.now {
            let body =
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
            let ev = Event::Failed {
                id,
                failure: Failure::from_store(403, body, None),
            };
            return self.later(lat, Arrival::Deliver(ev));
        }
        if self.faulty(self.faults.p_data) {
            let kind = self.rng.below(6);
            let failure = match kind {
                0 => Failure::from_store(500, "<Error><Code>InternalError</Code></Error>", None),
                1 => {
                    let ra = self.rng.below(4).to_string();
                    Failure::from_store(503, "<Error><Code>SlowDown</Code></Error>", Some(&ra))
                }
                2 => Failure::from_store(429, "", Some("1")),
                3 => Failure::network(),
                4 => {
                    // A stall, maybe after some progress: no answer, ever;
                    // the engine must time out.
                    if self.rng.below(2) == 0 {
                        let bytes = len / 2;
                        self.later(lat, Arrival::Deliver(Event::Sent { id, bytes }));
                    }
                    return;
                }
                _ => {
                    Failure::from_store(403, "<Code>AccessDenied</Code> Request has expired", None)
                }
            };
            return self.later(lat, Arrival::Deliver(Event::Failed { id, failure }));
        }
        if transfer > 1 && self.rng.below(4) == 0 {
            // Upload progress half-way (XHR `progress`).
            self.later(
                lat + transfer / 2,
                Arrival::Deliver(Event::Sent { id, bytes: len / 2 }),
            );
        }
        let lose = self.faulty(self.faults.p_data);
        let arrival = match arrival {
            Arrival::Part {
                upload,
                part,
                range,
                ..
            } => Arrival::Part {
                id,
                upload,
                part,
                range,
                lose,
            },
            Arrival::Single {
                key, file, size, ..
            } => Arrival::Single {
                id,
                key,
                file,
                size,
                lose,
            },
            other => other,
        };
        self.later(lat + transfer, arrival);
    }

    /// A signer call: an outage or a fault, else its answer (effects happen at once).
    pub(crate) fn signer(
        &mut self,
        id: RequestId,
        answer: impl FnOnce(&mut Self) -> Result<SignerAnswer, Failure>,
    ) {
        self.signer_out.insert(id);
        let lat = self.latency();
        let down = self
            .faults
            .outage
            .is_some_and(|(a, b)| self.now >= a && self.now < b);
        let ev = if down {
            Event::Failed {
                id,
                failure: Failure::from_signer(503, None, Some("1")),
            }
        } else if self.faulty(self.faults.p_signer) {
            match self.rng.below(3) {
                0 => Event::Failed {
                    id,
                    failure: Failure::from_signer(500, None, None),
                },
                1 => Event::Failed {
                    id,
                    failure: Failure::network(),
                },
                _ => return, // stalled: the engine times out
            }
        } else {
            match answer(self) {
                Ok(answer) => Event::Signer { id, answer },
                Err(failure) => Event::Failed { id, failure },
            }
        };
        self.later(lat, Arrival::Deliver(ev));
    }
}
