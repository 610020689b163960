//! Fewer signer round trips (issue 13): the create carries the first window
//! of part URLs, and stored small files are confirmed in batches.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{ChecksumAlgorithm, SingleCompleteResponse};

use super::*;

/// The create in `out`: its id and what it asked for with `signParts`.
fn create(out: &[Action]) -> (RequestId, Option<u32>) {
    out.iter()
        .find_map(|a| match a {
            Action::CreateMultipart { id, sign_parts, .. } => Some((*id, *sign_parts)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no CreateMultipart in {out:#?}"))
}

fn created_with_urls(parts: u32, part_size: u64, signed: &[u32]) -> SignerAnswer {
    let SignerAnswer::Created(mut c) = created(parts, part_size) else {
        unreachable!()
    };
    let SignerAnswer::Parts(b) = urls(signed) else {
        unreachable!()
    };
    c.parts = Some(b);
    SignerAnswer::Created(c)
}

fn part_sends(out: &[Action]) -> Vec<u32> {
    out.iter()
        .filter_map(|a| match a {
            Action::SendPart { part, .. } => Some(*part),
            _ => None,
        })
        .collect()
}

#[test]
fn the_first_parts_leave_with_the_urls_the_create_answered() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let (id, asked) = create(&out);
    assert_eq!(asked, Some(t.e.cfg.sign_window() as u32));
    let out = t.signer(id, created_with_urls(3, 5 * MIB, &[1, 2, 3]));
    assert_eq!(part_sends(&out), [1, 2, 3], "no round trip before the data");
    assert!(
        !out.iter()
            .any(|a| matches!(a, Action::SignParts { .. } | Action::SignPart { .. })),
        "nothing left to sign: {out:#?}"
    );
}

#[test]
fn a_create_answer_without_urls_signs_the_window_as_before() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let (id, _) = create(&out);
    let out = t.signer(id, created(3, 5 * MIB));
    assert!(part_sends(&out).is_empty());
    assert!(out.iter().any(|a| matches!(a, Action::SignParts { .. })));
}

#[test]
fn parts_bound_to_checksums_are_not_asked_for_at_create() {
    let cfg = Config {
        concurrency: 2,
        checksum: Some(ChecksumAlgorithm::Sha256),
        ..Config::default()
    };
    let mut t = T {
        e: Engine::new(cfg),
        now: 0,
    };
    let out = t.add(1, 12 * MIB);
    assert_eq!(create(&out).1, None);
}

/// The create's preferred part size.
fn asked_part_size(out: &[Action]) -> Option<u64> {
    out.iter().find_map(|a| match a {
        Action::CreateMultipart { part_size, .. } => Some(*part_size),
        _ => None,
    })?
}

#[test]
fn a_file_of_one_wave_asks_for_one_part_per_slot_so_none_waits_for_a_second_wave() {
    // 50 MiB at 6 in flight: 8 MiB parts would be 6 + a 7th behind them.
    let mut t = T::new(6);
    let out = t.add(1, 50 * MIB);
    assert_eq!(asked_part_size(&out), Some(9 * MIB));
    // A signer that plans nothing (Companion) gets the same plan.
    let (id, _) = create(&out);
    let SignerAnswer::Created(mut c) = created(6, 9 * MIB) else {
        unreachable!()
    };
    (c.part_size, c.part_count) = (None, None);
    let out = t.signer(id, SignerAnswer::Created(c));
    let sign = out
        .iter()
        .find_map(|a| matches!(a, Action::SignParts { .. }).then(|| id_of(a)))
        .unwrap_or_else(|| panic!("no SignParts in {out:#?}"));
    let out = t.signer(sign, urls(&[1, 2, 3, 4, 5, 6]));
    assert_eq!(part_sends(&out), [1, 2, 3, 4, 5, 6]);
    // Bigger files keep the default; the app's own choice wins.
    let out = t.add(2, 200 * MIB);
    assert_eq!(asked_part_size(&out), Some(8 * MIB));
    let mut t = T {
        e: Engine::new(Config {
            part_size: Some(5 * MIB),
            ..Config::default()
        }),
        now: 0,
    };
    assert_eq!(asked_part_size(&t.add(1, 50 * MIB)), Some(5 * MIB));
}

fn confirms(out: &[Action]) -> Vec<(RequestId, Vec<String>)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Confirm { id, keys, .. } => Some((*id, keys.clone())),
            _ => None,
        })
        .collect()
}

fn object(key: &str) -> Result<SingleCompleteResponse, ErrorBody> {
    Ok(SingleCompleteResponse {
        key: key.into(),
        bucket: "b".into(),
        location: format!("https://s3.example/b/{key}"),
        etag: "\"e\"".into(),
        size: 100,
        checksum: None,
    })
}

/// Three small files signed in one batch and sent; returns their sends.
fn three_sent(t: &mut T) -> Vec<RequestId> {
    for f in 1..=3 {
        t.e.handle(t.now, Event::Add(spec(f, 100)));
    }
    let out: Vec<Action> = std::iter::from_fn(|| t.e.poll_action()).collect();
    let items = (1..=3)
        .map(|f| Ok(params(Some(&format!("a/{f}.txt")), None, Some(900))))
        .collect();
    let out = t.signer(batch_id(&out), SignerAnswer::ParamsBatch(items));
    single_sends(&out)
}

#[test]
fn files_stored_while_a_confirm_is_in_flight_go_together_in_the_next() {
    let mut t = T::new(4);
    let sends = three_sent(&mut t);
    assert_eq!(sends.len(), 3);
    let stored = |t: &mut T, id| t.ev(Event::Stored { id, etag: None });
    let first = confirms(&stored(&mut t, sends[0]));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, ["a/1.txt"]);
    assert!(
        confirms(&stored(&mut t, sends[1])).is_empty(),
        "one at a time"
    );
    assert!(
        confirms(&stored(&mut t, sends[2])).is_empty(),
        "one at a time"
    );
    let out = t.signer(first[0].0, SignerAnswer::Confirmed(vec![object("a/1.txt")]));
    assert!(finished(&out).unwrap().as_ref().unwrap().confirmed);
    let next = confirms(&out);
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].1,
        ["a/2.txt", "a/3.txt"],
        "the two stored meanwhile, in one call"
    );
    let out = t.signer(
        next[0].0,
        SignerAnswer::Confirmed(vec![object("a/2.txt"), object("a/3.txt")]),
    );
    let done = out
        .iter()
        .filter(|a| matches!(a, Action::Finished { result: Ok(o), .. } if o.confirmed))
        .count();
    assert_eq!(done, 2);
}

#[test]
fn each_key_of_a_confirm_batch_has_its_own_verdict() {
    let mut t = T::new(4);
    let sends = three_sent(&mut t);
    let mut all = Vec::new();
    for id in &sends[1..] {
        all.extend(t.ev(Event::Stored {
            id: *id,
            etag: None,
        }));
    }
    all.extend(t.ev(Event::Stored {
        id: sends[0],
        etag: None,
    }));
    let calls = confirms(&all);
    assert_eq!(calls.len(), 1, "{calls:?}");
    let (id, keys) = &calls[0];
    assert_eq!(keys, &["a/2.txt"]);
    let out = t.signer(*id, SignerAnswer::Confirmed(vec![object("a/2.txt")]));
    let (id, keys) = &confirms(&out)[0];
    assert_eq!(
        keys,
        &["a/1.txt", "a/3.txt"],
        "in the order files were added"
    );
    let too_large = ErrorBody {
        error: "deleted".into(),
        code: "too_large".into(),
    };
    let out = t.signer(
        *id,
        SignerAnswer::Confirmed(vec![object("a/1.txt"), Err(too_large)]),
    );
    let results: Vec<(u64, bool)> = out
        .iter()
        .filter_map(|a| match a {
            Action::Finished { file, result } => Some((file.0, result.is_ok())),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [(1, true), (3, false)],
        "only the refused key fails"
    );
}
