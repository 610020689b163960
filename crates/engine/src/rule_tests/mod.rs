//! One test per rule, driving the engine by hand (the simulation in
//! `tests/sim` covers the rules together, under faults).

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{
    BatchSignResponse, CreateMultipartResponse, ErrorBody, UploadMethod, UploadParams,
};

use crate::api::{Action, Event, Failure, FileId, FileSpec, RequestId, SignerAnswer};
use crate::error::codes;
use crate::{Config, Engine};

mod ahead;
mod changed_file;
mod checksum;
mod complete_gone;
mod complete_route;
mod confirm;
mod many_files;
mod multipart;
mod multipart_resume;
mod multipart_signing;
mod network;
mod params_window;
mod record_gone;
mod round_trips;
mod single;
mod single_checksum;
mod stray_parts;
mod whole_checksum;

struct T {
    e: Engine,
    now: u64,
}

impl T {
    fn new(concurrency: u32) -> Self {
        let cfg = Config {
            concurrency,
            seed: 1,
            ..Config::default()
        };
        Self {
            e: Engine::new(cfg),
            now: 0,
        }
    }

    fn ev(&mut self, ev: Event) -> Vec<Action> {
        self.e.handle(self.now, ev);
        std::iter::from_fn(|| self.e.poll_action()).collect()
    }

    fn add(&mut self, id: u64, size: u64) -> Vec<Action> {
        self.ev(Event::Add(spec(id, size)))
    }

    fn signer(&mut self, id: RequestId, answer: SignerAnswer) -> Vec<Action> {
        self.ev(Event::Signer { id, answer })
    }

    fn fail(&mut self, id: RequestId, failure: Failure) -> Vec<Action> {
        self.ev(Event::Failed { id, failure })
    }

    fn tick_to(&mut self, t: u64) -> Vec<Action> {
        self.now = t;
        self.ev(Event::Tick)
    }

    /// Ticks at `poll_timeout` until an action comes.
    fn wait(&mut self) -> Vec<Action> {
        for _ in 0..10 {
            let t = self.e.poll_timeout().expect("something waits on time");
            let out = self.tick_to(t);
            if !out.is_empty() {
                return out;
            }
        }
        panic!("nothing happened");
    }
}

/// The resume record of upload `u` at key `k` (5 MiB parts, fingerprint
/// `fp1`, made at time 0).
fn record_u() -> s3lift_protocol::resume::ResumeRecord {
    s3lift_protocol::resume::ResumeRecord {
        upload_id: "u".into(),
        key: "k".into(),
        part_size: 5 * MIB,
        fingerprint: "fp1".into(),
        created_at: 0.0,
        completing: false,
    }
}

fn spec(id: u64, size: u64) -> FileSpec {
    FileSpec {
        id: FileId(id),
        name: format!("f{id}.bin"),
        size,
        content_type: "text/plain".into(),
        metadata: Default::default(),
        fingerprint: Some(format!("fp{id}")),
        resume: None,
        relative_path: None,
    }
}

fn params(key: Option<&str>, fields_key: Option<&str>, expires: Option<u64>) -> UploadParams {
    UploadParams {
        method: UploadMethod::Post,
        url: "https://s3.example/bucket/".into(),
        fields: fields_key
            .map(|k| [("key".to_owned(), k.to_owned())].into())
            .unwrap_or_default(),
        headers: Default::default(),
        key: key.map(str::to_owned),
        bucket: None,
        expires,
        checksum: None,
    }
}

fn created(parts: u32, part_size: u64) -> SignerAnswer {
    SignerAnswer::Created(CreateMultipartResponse {
        key: "k".into(),
        upload_id: "u".into(),
        bucket: None,
        part_size: Some(part_size),
        part_count: Some(parts),
        expires: Some(3600),
        parts: None,
        checksum: None,
    })
}

fn urls(parts: &[u32]) -> SignerAnswer {
    SignerAnswer::Parts(BatchSignResponse {
        presigned_urls: parts
            .iter()
            .map(|n| (n.to_string(), format!("https://s3/{n}")))
            .collect(),
        headers: Default::default(),
        expires: Some(3600),
    })
}

fn status(code: u16) -> Failure {
    Failure::from_store(code, "", None)
}

/// The id of the first action `f` picks.
fn find(out: &[Action], f: impl Fn(&Action) -> Option<RequestId>) -> RequestId {
    out.iter()
        .find_map(f)
        .unwrap_or_else(|| panic!("not found in {out:#?}"))
}

fn send_single(out: &[Action]) -> (RequestId, UploadParams) {
    out.iter()
        .find_map(|a| match a {
            Action::SendSingle { id, params, .. } => Some((*id, params.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no SendSingle in {out:#?}"))
}

/// The single-request sends in `out`.
fn single_sends(out: &[Action]) -> Vec<RequestId> {
    out.iter()
        .filter_map(|a| match a {
            Action::SendSingle { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

fn batch_id(out: &[Action]) -> RequestId {
    find(out, |a| {
        matches!(a, Action::SignParamsBatch { .. }).then(|| id_of(a))
    })
}

fn id_of(a: &Action) -> RequestId {
    match a {
        Action::SignParamsBatch { id, .. }
        | Action::SignParams { id, .. }
        | Action::CreateMultipart { id, .. }
        | Action::SignParts { id, .. }
        | Action::SignPart { id, .. }
        | Action::ListParts { id, .. }
        | Action::Complete { id, .. }
        | Action::Abort { id, .. }
        | Action::SendSingle { id, .. }
        | Action::SendPart { id, .. }
        | Action::CancelRequest { id } => *id,
        other => panic!("{other:?} has no request"),
    }
}

/// Our signer's answer to a multipart complete.
fn completed() -> SignerAnswer {
    SignerAnswer::Completed(s3lift_protocol::wire::CompleteResponse {
        location: "https://s3/b/k".into(),
        key: Some("k".into()),
        bucket: Some("b".into()),
        etag: None,
        checksum: None,
    })
}

fn finished(out: &[Action]) -> Option<&Result<crate::Outcome, crate::UploadError>> {
    out.iter().find_map(|a| match a {
        Action::Finished { result, .. } => Some(result),
        _ => None,
    })
}

/// Answers the `SignParts` in `out` with URLs for parts 1 to 3: the part
/// sends that follow.
fn signed_sends(t: &mut T, out: &[Action]) -> Vec<RequestId> {
    let sign = find(out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[1, 2, 3]));
    out.iter()
        .filter(|a| matches!(a, Action::SendPart { .. }))
        .map(id_of)
        .collect()
}

/// Answers the `Abort` in `out`: the error its file then fails with.
fn abort_answered(t: &mut T, out: &[Action]) -> crate::UploadError {
    let abort = find(out, |a| matches!(a, Action::Abort { .. }).then(|| id_of(a)));
    let out = t.signer(abort, SignerAnswer::Aborted);
    finished(&out).unwrap().clone().unwrap_err()
}

/// The `Confirm` request in `out`.
fn confirm_id(out: &[Action]) -> RequestId {
    out.iter()
        .find_map(|a| match a {
            Action::Confirm { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Confirm in {out:#?}"))
}

/// A signer 404 with `code`.
fn not_found(code: &str) -> Failure {
    let body = ErrorBody {
        error: "no".into(),
        code: code.into(),
    };
    Failure::from_signer(404, Some(&body), None)
}

/// A small file signed and sent once: (engine, send id, params).
fn single_in_flight(t: &mut T, key: &str) -> (RequestId, UploadParams) {
    let out = t.add(1, 100);
    let b = batch_id(&out);
    let out = t.signer(
        b,
        SignerAnswer::ParamsBatch(vec![Ok(params(Some(key), None, Some(900)))]),
    );
    send_single(&out)
}

#[test]
fn nonsense_from_the_driver_never_panics_and_every_file_ends() {
    use crate::rng::Rng;
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let mut t = T::new(1 + rng.below(4) as u32);
        for i in 0..4 {
            t.add(i, [0, 10, 12 * MIB, 40 * MIB][rng.below(4) as usize]);
        }
        for _ in 0..300 {
            let id = RequestId(rng.below(60));
            let file = FileId(rng.below(5));
            let ev = match rng.below(10) {
                0 => Event::Stored {
                    id,
                    etag: Some("\"e\"".into()),
                },
                1 => Event::Failed {
                    id,
                    failure: status([500, 503, 403, 404][rng.below(4) as usize]),
                },
                2 => Event::Signer {
                    id,
                    answer: SignerAnswer::Aborted,
                },
                3 => Event::Signer {
                    id,
                    answer: created(rng.below(12) as u32, 5 * MIB),
                },
                4 => Event::Signer {
                    id,
                    answer: urls(&[1, 2, 3, 9]),
                },
                5 => Event::Digested {
                    file,
                    part: rng.below(4) as u32,
                    value: None,
                },
                6 => Event::Pause(file),
                7 => Event::Resume(file),
                8 => Event::Sent {
                    id,
                    bytes: rng.below(1 << 30),
                },
                _ => Event::Cancel(file),
            };
            t.now += rng.below(5_000);
            t.ev(ev);
            assert!(t.e.data_in_flight() <= t.e.limit().max(t.e.data_in_flight()));
        }
        // Cancel everything and answer whatever is asked: every file ends.
        for i in 0..4 {
            t.ev(Event::Cancel(FileId(i)));
        }
        for _ in 0..1_000 {
            if t.e.live_files() == 0 {
                break;
            }
            let ids: Vec<RequestId> = t.e.requests.keys().copied().collect();
            for id in ids {
                t.ev(Event::Signer {
                    id,
                    answer: SignerAnswer::Aborted,
                });
            }
            if let Some(at) = t.e.poll_timeout() {
                t.tick_to(at);
            }
        }
        assert_eq!(t.e.live_files(), 0, "seed {seed}");
    }
}
