//! The complete ahead of the last parts' answers (`ahead`): sent with the
//! parts in flight as `pending` once their bytes left are few, only to our
//! signer; on success the file ends after its parts' answers; on failure the
//! upload completes after them as before.

use s3lift_protocol::plan::MIB;

use super::multipart::{multipart_sending, store_all};
use super::*;

/// The complete in `out`: (its id, its parts' numbers, its pending parts).
fn complete(out: &[Action]) -> Option<(RequestId, Vec<u32>, Vec<u32>)> {
    out.iter().find_map(|a| match a {
        Action::Complete {
            id, parts, pending, ..
        } => Some((
            *id,
            parts.iter().map(|p| p.part_number).collect(),
            pending.clone(),
        )),
        _ => None,
    })
}

/// A 12 MiB upload (parts of 5, 5 and 2 MiB) created by our signer, sent
/// at about 10 MiB/s: part 1 stored, then part 2 at 4 of its 5 MiB; 3 MiB
/// left, under 250 ms at the rate measured. Every action that followed.
fn nearly_sent(t: &mut T) -> (Vec<RequestId>, Vec<Action>) {
    let sends = multipart_sending(t);
    let mut out = Vec::new();
    t.now += 100;
    out.extend(t.ev(Event::Sent {
        id: sends[0],
        bytes: MIB,
    }));
    assert!(
        complete(&out).is_none(),
        "11 MiB left, no rate yet: too early"
    );
    t.now += 400;
    out.extend(store_all(t, &sends[..1]));
    assert!(
        complete(&out).is_none(),
        "7 MiB left at 10 MiB/s: too early"
    );
    t.now += 100;
    out.extend(t.ev(Event::Sent {
        id: sends[1],
        bytes: 4 * MIB,
    }));
    (sends, out)
}

/// The answers of parts 2 and 3 (the parts in flight): what followed the last.
fn answer_the_rest(t: &mut T, sends: &[RequestId]) -> Vec<Action> {
    t.ev(Event::Stored {
        id: sends[1],
        etag: Some("\"e1\"".into()),
    });
    t.ev(Event::Stored {
        id: sends[2],
        etag: Some("\"e2\"".into()),
    })
}

#[test]
fn the_complete_goes_ahead_with_the_parts_in_flight_pending() {
    let mut t = T::new(3);
    let (_, out) = nearly_sent(&mut t);
    let (_, parts, pending) = complete(&out).expect("a complete ahead");
    assert_eq!(parts, [1]);
    assert_eq!(pending, [2, 3]);
}

#[test]
fn its_success_ends_the_file_after_the_parts_answers_each_told() {
    let mut t = T::new(3);
    let (sends, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    let out = t.signer(id, completed());
    assert!(finished(&out).is_none(), "part answers first: {out:#?}");
    let out = t.ev(Event::Stored {
        id: sends[1],
        etag: Some("\"e1\"".into()),
    });
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::PartStored { part: 2, .. })));
    assert!(finished(&out).is_none());
    let out = t.ev(Event::Stored {
        id: sends[2],
        etag: Some("\"e2\"".into()),
    });
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::PartStored { part: 3, .. })));
    assert!(
        matches!(finished(&out), Some(Ok(o)) if o.confirmed),
        "{out:#?}"
    );
    assert!(complete(&out).is_none(), "one complete");
}

#[test]
fn a_part_lost_after_its_success_still_ends_the_file_with_every_byte() {
    let mut t = T::new(3);
    let (sends, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    t.signer(id, completed());
    t.ev(Event::Stored {
        id: sends[1],
        etag: Some("\"e1\"".into()),
    });
    let out = t.fail(sends[2], Failure::network());
    assert!(matches!(finished(&out), Some(Ok(_))), "{out:#?}");
    let last = out.iter().rev().find_map(|a| match a {
        Action::Progress { progress, .. } => Some(progress.bytes_sent),
        _ => None,
    });
    assert_eq!(last, Some(12 * MIB), "the last progress says every byte");
}

#[test]
fn its_failure_falls_back_to_the_complete_after_the_answers_once() {
    // A part that did not land in the signer's wait; or a signer replica
    // older than `pending` (a rolling upgrade), which reads a complete of
    // no stored part as a bad request.
    for (code, error) in [
        (
            "invalid_parts",
            "part 3 did not reach the store within 10 s",
        ),
        ("bad_request", "parts: at least one part is needed"),
    ] {
        let mut t = T::new(3);
        let (sends, out) = nearly_sent(&mut t);
        let (id, ..) = complete(&out).expect("a complete ahead");
        let body = ErrorBody {
            error: error.into(),
            code: code.into(),
        };
        let out = t.fail(id, Failure::from_signer(400, Some(&body), None));
        assert!(
            finished(&out).is_none() && complete(&out).is_none(),
            "{code}: {out:#?}"
        );
        let out = answer_the_rest(&mut t, &sends);
        let (again, parts, pending) = complete(&out).expect("the complete after the answers");
        assert_eq!((parts, pending), (vec![1, 2, 3], vec![]));
        let out = t.signer(again, completed());
        assert!(matches!(finished(&out), Some(Ok(_))), "{code}: {out:#?}");
    }
}

#[test]
fn a_busy_signer_s_retry_after_holds_back_the_complete_after_the_answers_too() {
    let mut t = T::new(3);
    let (sends, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    t.fail(id, Failure::from_signer(503, None, Some("60")));
    let out = answer_the_rest(&mut t, &sends);
    assert!(
        complete(&out).is_none(),
        "not before its Retry-After: {out:#?}"
    );
    let out = t.tick_to(t.now + 61_000);
    let (again, _, pending) = complete(&out).expect("the complete after its Retry-After");
    assert!(pending.is_empty());
    let out = t.signer(again, completed());
    assert!(matches!(finished(&out), Some(Ok(_))), "{out:#?}");
}

#[test]
fn a_cancel_while_it_is_out_waits_for_its_outcome() {
    let mut t = T::new(3);
    let (_, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    let out = t.ev(Event::Cancel(FileId(1)));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "no abort racing the complete: {out:#?}"
    );
    // It failed: the cancel applies, and the upload is aborted.
    let out = t.fail(id, Failure::from_signer(500, None, None));
    let e = abort_answered(&mut t, &out);
    assert_eq!(e.code, codes::CANCELLED);
}

#[test]
fn a_part_s_failure_for_good_while_it_is_out_waits_for_its_outcome() {
    let mut t = T::new(3);
    let (sends, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    let refused = Failure::from_store(400, "<Error><Code>BadDigest</Code></Error>", None);
    let out = t.fail(sends[2], refused);
    assert!(
        !out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "no abort racing the complete: {out:#?}"
    );
    let out = t.fail(id, Failure::from_signer(500, None, None));
    let e = abort_answered(&mut t, &out);
    assert_eq!(e.code.as_str(), "store_refused");
}

#[test]
fn never_to_a_companion_shaped_signer_nor_with_the_setting_off() {
    for off in [true, false] {
        let mut t = T::new(3);
        if off {
            t.e.cfg.complete_ahead_ms = 0;
        } else {
            // What a create answer without `partSize` leaves (Companion).
            t.e.complete_in_body = Some(false);
        }
        let (_, out) = nearly_sent(&mut t);
        assert!(complete(&out).is_none(), "{out:#?}");
    }
}

/// A complete ahead whose answer was lost, then a pause with a part in
/// flight: the parts are listed again at the resume, and the upload is gone
/// because that complete went through once the part landed. The object at
/// the key decides; nothing is aborted, and the file is not failed as
/// `no_such_upload` while its object stands (simulation seed 7170).
#[test]
fn a_listing_after_its_lost_answer_that_finds_the_upload_gone_checks_the_object() {
    use super::complete_gone::{confirm_keys, gone, object};
    let mut t = T::new(3);
    let (_, out) = nearly_sent(&mut t);
    let (id, ..) = complete(&out).expect("a complete ahead");
    t.fail(id, Failure::network());
    t.ev(Event::Pause(FileId(1)));
    let out = t.ev(Event::Resume(FileId(1)));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let out = t.fail(list, gone());
    assert!(
        !out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "no abort of an upload that may be done: {out:#?}"
    );
    assert!(finished(&out).is_none(), "not before the object is checked");
    assert_eq!(confirm_keys(&out), vec!["k".to_owned()]);
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    assert!(matches!(finished(&out), Some(Ok(_))), "{out:#?}");
}
