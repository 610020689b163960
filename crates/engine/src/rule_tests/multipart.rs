//! Rules of multipart uploads.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{CompleteResponse, ErrorBody};

use super::*;

/// A 3-part multipart upload, created and signed: the part send ids.
pub(super) fn multipart_sending(t: &mut T) -> Vec<RequestId> {
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    assert!(matches!(out[0], Action::SaveResume { .. }));
    let sends = signed_sends(t, &out);
    assert_eq!(sends.len(), 3);
    sends
}

pub(super) fn store_all(t: &mut T, sends: &[RequestId]) -> Vec<Action> {
    let mut out = Vec::new();
    for (i, id) in sends.iter().enumerate() {
        out = t.ev(Event::Stored {
            id: *id,
            etag: Some(format!("\"e{i}\"")),
        });
    }
    out
}

#[test]
fn parts_complete_in_order_after_the_last_one_lands() {
    let mut t = T::new(3);
    let mut sends = multipart_sending(&mut t);
    sends.reverse();
    let out = store_all(&mut t, &sends);
    let parts = out
        .iter()
        .find_map(|a| match a {
            Action::Complete { parts, .. } => Some(parts.clone()),
            _ => None,
        })
        .expect("complete");
    assert_eq!(
        parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn a_part_failing_for_good_aborts_then_fails() {
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = t.fail(sends[0], status(400));
    assert!(
        out.iter()
            .filter(|a| matches!(a, Action::CancelRequest { .. }))
            .count()
            == 2
    );
    let abort = find(&out, |a| {
        matches!(a, Action::Abort { .. }).then(|| id_of(a))
    });
    assert!(finished(&out).is_none(), "not before the abort is done");
    let out = t.signer(abort, SignerAnswer::Aborted);
    assert_eq!(
        finished(&out).unwrap().as_ref().unwrap_err().code,
        codes::STORE_REFUSED
    );
    assert!(out.iter().any(|a| matches!(a, Action::ForgetResume { .. })));
}

#[test]
fn a_stored_part_without_an_etag_fails_with_the_cors_hint() {
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = t.ev(Event::Stored {
        id: sends[0],
        etag: None,
    });
    assert_eq!(abort_answered(&mut t, &out).code, codes::ETAG_UNREADABLE);
}

#[test]
fn cancel_during_create_aborts_what_create_made() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let create = id_of(&out[0]);
    assert!(t.ev(Event::Cancel(FileId(1))).is_empty());
    let out = t.signer(create, created(3, 5 * MIB));
    assert_eq!(abort_answered(&mut t, &out).code, codes::CANCELLED);
}

#[test]
fn cancel_before_the_complete_goes_out_aborts() {
    // The complete was refused without effect (429) and waits out its
    // backoff: nothing of it can have applied, so the cancel aborts now
    // (it used to wait for a complete that then went out and succeeded).
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = store_all(&mut t, &sends);
    let complete = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    t.fail(complete, Failure::from_signer(429, None, None));
    let out = t.ev(Event::Cancel(FileId(1)));
    assert_eq!(abort_answered(&mut t, &out).code, codes::CANCELLED);
    // A complete whose answer never came may have applied: its retry decides.
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = store_all(&mut t, &sends);
    let complete = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    t.fail(complete, Failure::network());
    let out = t.ev(Event::Cancel(FileId(1)));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "{out:#?}"
    );
    let again = find(&t.wait(), |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    let out = t.signer(again, completed());
    assert!(finished(&out).unwrap().is_ok(), "{out:#?}");
}

#[test]
fn a_plan_breaking_s3_rules_is_refused_and_aborted() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(7, 5 * MIB));
    assert!(out.iter().any(|a| matches!(a, Action::Abort { .. })));
}

#[test]
fn completion_reports_progress_at_the_total() {
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = store_all(&mut t, &sends);
    let c = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    let done = CompleteResponse {
        location: "https://s3/k".into(),
        key: None,
        bucket: None,
        etag: None,
        checksum: None,
    };
    let out = t.signer(c, SignerAnswer::Completed(done));
    let last = out.iter().rev().find_map(|a| match a {
        Action::Progress { progress, .. } => Some(*progress),
        _ => None,
    });
    assert_eq!(last.unwrap().bytes_sent, 12 * MIB);
    assert!(out.iter().any(|a| matches!(a, Action::ForgetResume { .. })));
}

#[test]
fn store_slots_go_round_the_files() {
    let mut t = T::new(2);
    t.e.handle(0, Event::Add(spec(1, 40 * MIB)));
    t.e.handle(0, Event::Add(spec(2, 10)));
    let out = t.ev(Event::Tick);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let params_batch = batch_id(&out);
    let out = t.signer(create, created(8, 5 * MIB));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[1, 2, 3, 4, 5, 6, 7, 8]));
    let parts: Vec<RequestId> = out
        .iter()
        .filter(|a| matches!(a, Action::SendPart { .. }))
        .map(id_of)
        .collect();
    assert_eq!(parts.len(), 2, "the big file fills both slots");
    let one = vec![Ok(params(Some("small"), None, Some(900)))];
    assert!(
        t.signer(params_batch, SignerAnswer::ParamsBatch(one))
            .is_empty(),
        "no slot yet"
    );
    let out = t.ev(Event::Stored {
        id: parts[0],
        etag: Some("\"a\"".into()),
    });
    assert!(
        out.iter().any(|a| matches!(a, Action::SendSingle { .. })),
        "the freed slot goes to the small file, not to part 3: {out:#?}"
    );
}

#[test]
fn a_create_refused_until_retries_run_out_keeps_the_signers_code() {
    // Garage down: the signer answers 503 `storage_unavailable` every time.
    let mut t = T::new(2);
    let mut out = t.add(1, 12 * MIB);
    let down = Failure::from_signer(
        503,
        Some(&ErrorBody {
            error: "storage unreachable".into(),
            code: "storage_unavailable".into(),
        }),
        None,
    );
    for _ in 0..20 {
        let create = find(&out, |a| {
            matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
        });
        out = t.fail(create, down.clone());
        if let Some(result) = finished(&out) {
            let e = result.as_ref().expect_err("it cannot succeed");
            assert_eq!(
                (e.code, e.status),
                (
                    s3lift_protocol::error_code::ErrorCode::StorageUnavailable,
                    Some(503)
                )
            );
            return;
        }
        out = t.wait();
    }
    panic!("the create was retried forever");
}
