//! Flaky networks: offline pauses everything without burning retries, a
//! suspended driver's late wake is no stall, progress never moves backwards.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::ListedPart;

use super::multipart::{multipart_sending, store_all};
use super::*;

fn sends(out: &[Action]) -> Vec<RequestId> {
    out.iter()
        .filter(|a| matches!(a, Action::SendPart { .. } | Action::SendSingle { .. }))
        .map(id_of)
        .collect()
}

fn cancels(out: &[Action]) -> Vec<RequestId> {
    out.iter()
        .filter_map(|a| match a {
            Action::CancelRequest { id } => Some(*id),
            _ => None,
        })
        .collect()
}

fn progress(out: &[Action]) -> Vec<u64> {
    out.iter()
        .filter_map(|a| match a {
            Action::Progress { progress, .. } => Some(progress.bytes_sent),
            _ => None,
        })
        .collect()
}

fn list_id(out: &[Action]) -> RequestId {
    find(out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    })
}

#[test]
fn offline_stops_every_part_and_online_lists_then_finishes_without_a_retry() {
    let mut t = T::new(3);
    let parts = multipart_sending(&mut t);
    let out = t.ev(Event::Offline);
    assert_eq!(
        cancels(&out),
        parts.iter().rev().copied().collect::<Vec<_>>()
    );
    assert!(t.e.offline());
    // Nothing starts while offline, however long it lasts.
    assert_eq!(t.e.poll_timeout(), None);
    assert!(t.tick_to(3_600_000).is_empty());
    assert_eq!(t.e.retries(FileId(1)), 0);
    // Back online: the stopped parts may have landed, so the store is asked.
    let out = t.ev(Event::Online);
    let list = list_id(&out);
    let listed = vec![ListedPart {
        part_number: 2,
        size: 5 * MIB,
        etag: "\"e2\"".into(),
    }];
    let out = t.signer(list, SignerAnswer::Listed(listed));
    // An hour offline: the URLs expired meanwhile.
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[1, 3]));
    let again = sends(&out);
    assert_eq!(again.len(), 2, "parts 1 and 3 again: {out:#?}");
    let out = store_all(&mut t, &again);
    let complete = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    assert_eq!(t.e.retries(FileId(1)), 0);
    let out = t.signer(
        complete,
        SignerAnswer::Completed(s3lift_protocol::wire::CompleteResponse {
            location: "https://s3/k".into(),
            key: Some("k".into()),
            bucket: None,
            etag: None,
            checksum: None,
        }),
    );
    assert!(finished(&out).unwrap().is_ok());
}

#[test]
fn failures_without_an_answer_while_offline_burn_no_retries() {
    // One attempt in all: any counted failure would end the upload.
    let mut t = T::new(2);
    t.e.cfg.retry.max_attempts = 1;
    let (id, p) = single_in_flight(&mut t, "k");
    // A single request is left to end (as on pause); it fails, as do the
    // signer calls of a multipart upload added meanwhile.
    t.ev(Event::Offline);
    let out = t.add(2, 12 * MIB);
    assert!(out.is_empty(), "nothing starts while offline: {out:#?}");
    assert!(t.fail(id, Failure::network()).is_empty());
    assert_eq!(t.e.retries(FileId(1)), 0);
    // Online: the same params again at once (no backoff), and the create.
    let out = t.ev(Event::Online);
    let (again, p2) = send_single(&out);
    assert_eq!(p2, p);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    // Offline again with both out: both fail with no answer, both come back.
    t.ev(Event::Offline);
    t.fail(again, Failure::network());
    t.fail(create, Failure::network());
    let out = t.ev(Event::Online);
    assert_eq!(sends(&out).len(), 1);
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::CreateMultipart { .. })));
    assert_eq!(t.e.retries(FileId(1)), 0);
    assert!(finished(&out).is_none());
}

#[test]
fn a_request_timing_out_while_offline_burns_no_retry() {
    let mut t = T::new(2);
    t.e.cfg.retry.max_attempts = 1;
    let (id, _) = single_in_flight(&mut t, "k");
    t.ev(Event::Offline);
    // No answer before the stall deadline: stopped, and put back uncounted.
    let at = t.e.poll_timeout().expect("the request's deadline");
    let out = t.tick_to(at);
    assert_eq!(cancels(&out), vec![id]);
    assert!(finished(&out).is_none(), "{out:#?}");
    assert_eq!(t.e.retries(FileId(1)), 0);
    assert_eq!(sends(&t.ev(Event::Online)).len(), 1);
}

#[test]
fn an_answer_while_offline_still_counts() {
    // The store answered, so the network was there: a 500 is the store's.
    let mut t = T::new(2);
    t.e.cfg.retry.max_attempts = 1;
    let (id, _) = single_in_flight(&mut t, "k");
    t.ev(Event::Offline);
    let out = t.fail(id, status(500));
    let err = finished(&out).expect("failed").as_ref().unwrap_err();
    assert_eq!(err.code, codes::RETRIES_EXHAUSTED);
}

#[test]
fn a_late_wake_after_a_suspension_is_no_stall() {
    let mut t = T::new(3);
    let parts = multipart_sending(&mut t);
    assert_eq!(t.e.poll_timeout(), Some(30_000));
    // The timer due at 30 s fires a minute late (a throttled background
    // tab): the requests could not be observed meanwhile, so no stall.
    let out = t.tick_to(90_000);
    assert!(cancels(&out).is_empty(), "{out:#?}");
    // Their progress events, queued behind the timer, come in.
    for id in &parts {
        t.ev(Event::Sent {
            id: *id,
            bytes: MIB,
        });
    }
    let out = store_all(&mut t, &parts);
    assert!(out.iter().any(|a| matches!(a, Action::Complete { .. })));
    assert_eq!(t.e.retries(FileId(1)), 0);
}

#[test]
fn a_real_stall_is_caught_one_late_wake_later() {
    let mut t = T::new(3);
    let parts = multipart_sending(&mut t);
    let first = t.e.poll_timeout().unwrap();
    assert!(cancels(&t.tick_to(first + 60_000)).is_empty());
    // No progress since: the next wake, late again, counts.
    let next = t.e.poll_timeout().unwrap();
    let out = t.tick_to(next + 60_000);
    let mut cut = cancels(&out);
    cut.sort();
    assert_eq!(cut, parts);
}

#[test]
fn an_on_time_wake_judges_the_stall_as_before() {
    let mut t = T::new(3);
    let parts = multipart_sending(&mut t);
    let at = t.e.poll_timeout().unwrap();
    // A little late is not suspended (background tabs align timers to 1 s).
    let mut cut = cancels(&t.tick_to(at + 1_000));
    cut.sort();
    assert_eq!(cut, parts);
}

#[test]
fn a_retried_part_keeps_its_bytes_until_the_retry_overtakes_them() {
    let mut t = T::new(1);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[1, 2, 3]));
    let first = sends(&out)[0];
    let mut seen = Vec::new();
    t.now = 1_000;
    seen.extend(progress(&t.ev(Event::Sent {
        id: first,
        bytes: 3 * MIB,
    })));
    t.now = 2_000;
    seen.extend(progress(&t.fail(first, Failure::network())));
    let retry = sends(&t.wait())[0];
    t.now += 1_000;
    seen.extend(progress(&t.ev(Event::Sent {
        id: retry,
        bytes: MIB,
    })));
    t.now += 1_000;
    seen.extend(progress(&t.ev(Event::Sent {
        id: retry,
        bytes: 4 * MIB,
    })));
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {seen:?}"
    );
    assert_eq!(seen.first(), Some(&(3 * MIB)));
    assert_eq!(seen.last(), Some(&(4 * MIB)));
}
