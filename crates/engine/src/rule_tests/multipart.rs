//! Rules of multipart uploads.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, CompleteResponse, ErrorBody, ListedPart, SignedPart,
};

use super::*;

/// A 3-part multipart upload, created and signed: the part send ids.
pub(super) fn multipart_sending(t: &mut T) -> Vec<RequestId> {
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    assert!(matches!(out[0], Action::SaveResume { .. }));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[1, 2, 3]));
    let sends: Vec<RequestId> = out
        .iter()
        .filter(|a| matches!(a, Action::SendPart { .. }))
        .map(id_of)
        .collect();
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
fn a_lost_complete_answer_then_no_such_upload_counts_as_done() {
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = store_all(&mut t, &sends);
    let c = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    t.fail(c, Failure::network());
    let c2 = id_of(&t.wait()[0]);
    let body = ErrorBody {
        error: "gone".into(),
        code: "no_such_upload".into(),
    };
    let out = t.fail(c2, Failure::from_signer(404, Some(&body), None));
    assert_eq!(finished(&out).unwrap().as_ref().unwrap().key, "k");
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
    let abort = find(&out, |a| {
        matches!(a, Action::Abort { .. }).then(|| id_of(a))
    });
    let out = t.signer(abort, SignerAnswer::Aborted);
    assert_eq!(
        finished(&out).unwrap().as_ref().unwrap_err().code,
        codes::ETAG_UNREADABLE
    );
}

#[test]
fn cancel_during_create_aborts_what_create_made() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let create = id_of(&out[0]);
    assert!(t.ev(Event::Cancel(FileId(1))).is_empty());
    let out = t.signer(create, created(3, 5 * MIB));
    let abort = find(&out, |a| {
        matches!(a, Action::Abort { .. }).then(|| id_of(a))
    });
    let out = t.signer(abort, SignerAnswer::Aborted);
    assert_eq!(
        finished(&out).unwrap().as_ref().unwrap_err().code,
        codes::CANCELLED
    );
}

#[test]
fn a_plan_breaking_s3_rules_is_refused_and_aborted() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(7, 5 * MIB));
    assert!(out.iter().any(|a| matches!(a, Action::Abort { .. })));
}

#[test]
fn pause_stops_parts_and_resume_asks_the_store_first() {
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = t.ev(Event::Pause(FileId(1)));
    assert_eq!(
        out.iter()
            .filter(|a| matches!(a, Action::CancelRequest { .. }))
            .count(),
        3
    );
    let out = t.ev(Event::Resume(FileId(1)));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let listed = vec![ListedPart {
        part_number: 2,
        size: 5 * MIB,
        etag: "\"e2\"".into(),
    }];
    let out = t.signer(list, SignerAnswer::Listed(listed));
    let parts: Vec<u32> = out
        .iter()
        .filter_map(|a| match a {
            Action::SendPart { part, .. } => Some(*part),
            _ => None,
        })
        .collect();
    assert_eq!(parts, vec![1, 3], "part 2 is on the store already");
    let _ = sends;
}

#[test]
fn a_fresh_resume_record_is_continued_and_a_gone_one_forgotten() {
    let record = ResumeRecord {
        upload_id: "u".into(),
        key: "k".into(),
        part_size: 5 * MIB,
        fingerprint: "fp1".into(),
        created_at: 0.0,
    };
    let mut t = T::new(3);
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record.clone()),
        ..spec(1, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let body = ErrorBody {
        error: "gone".into(),
        code: "no_such_upload".into(),
    };
    let out = t.fail(list, Failure::from_signer(404, Some(&body), None));
    assert!(matches!(out[0], Action::ForgetResume { .. }));
    assert!(matches!(out[1], Action::CreateMultipart { .. }));
    // An expired record is not continued: its upload is aborted, its
    // record forgotten, and the file starts afresh.
    let mut t = T::new(3);
    t.now = 8 * 24 * 3600 * 1000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record),
        ..spec(1, 12 * MIB)
    }));
    assert!(
        matches!(&out[..], [Action::ForgetResume { fingerprint, .. }, Action::Abort { upload_id, key, .. }, Action::CreateMultipart { .. }] if fingerprint == "fp1" && upload_id == "u" && key == "k"),
        "{out:#?}"
    );
    // A record still inside the 7 days is continued.
    let mut t = T::new(3);
    t.now = 6 * 24 * 3600 * 1000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(ResumeRecord {
            upload_id: "u".into(),
            key: "k".into(),
            part_size: 5 * MIB,
            fingerprint: "fp1".into(),
            created_at: 0.0,
        }),
        ..spec(1, 12 * MIB)
    }));
    assert!(matches!(out[..], [Action::ListParts { .. }]), "{out:#?}");
}

#[test]
fn part_urls_are_signed_again_before_they_expire() {
    let mut t = T::new(1);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let short = SignerAnswer::Parts(BatchSignResponse {
        presigned_urls: (1..=3)
            .map(|n| (n.to_string(), format!("https://s3/{n}")))
            .collect(),
        headers: Default::default(),
        expires: Some(60),
    });
    let out = t.signer(sign, short);
    let first = find(&out, |a| {
        matches!(a, Action::SendPart { .. }).then(|| id_of(a))
    });
    // Part 1 takes 58 s: the other URLs have less than the 5 s margin left.
    t.now = 58_000;
    let out = t.ev(Event::Stored {
        id: first,
        etag: Some("\"a\"".into()),
    });
    let asked: Vec<u32> = out
        .iter()
        .find_map(|a| match a {
            Action::SignParts { parts, .. } => Some(parts.clone()),
            _ => None,
        })
        .expect("re-sign");
    assert_eq!(asked, vec![2, 3]);
    assert!(!out.iter().any(|a| matches!(a, Action::SendPart { .. })));
}

#[test]
fn no_part_batch_route_means_signing_part_by_part() {
    let mut t = T::new(2);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.fail(sign, Failure::from_signer(404, None, None));
    let one: Vec<RequestId> = out
        .iter()
        .filter(|a| matches!(a, Action::SignPart { .. }))
        .map(id_of)
        .collect();
    assert_eq!(
        one.len(),
        2,
        "at most `concurrency` part signatures at a time"
    );
    let part = SignedPart {
        url: "https://s3/1".into(),
        headers: Default::default(),
        expires: None,
    };
    let out = t.signer(one[0], SignerAnswer::Part(part));
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::SendPart { part: 1, .. })));
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
fn a_gone_upload_at_part_signing_is_not_mistaken_for_a_missing_route() {
    let mut t = T::new(2);
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let body = ErrorBody {
        error: "gone".into(),
        code: "no_such_upload".into(),
    };
    let out = t.fail(sign, Failure::from_signer(404, Some(&body), None));
    assert!(
        out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "{out:#?}"
    );
    assert!(t.e.batch_parts);
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

#[test]
fn a_continued_upload_says_so_as_soon_as_the_store_listed_it() {
    // The app shows "Resuming" while it runs, not only once it is done.
    let record = ResumeRecord {
        upload_id: "u".into(),
        key: "k".into(),
        part_size: 5 * MIB,
        fingerprint: "fp1".into(),
        created_at: 0.0,
    };
    let mut t = T::new(3);
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record),
        ..spec(1, 12 * MIB)
    }));
    assert!(!t.e.resumed(FileId(1)), "not before the store answered");
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let stored = ListedPart {
        part_number: 1,
        size: 5 * MIB,
        etag: "\"a\"".into(),
    };
    t.signer(list, SignerAnswer::Listed(vec![stored]));
    assert!(t.e.resumed(FileId(1)));
    assert!(!t.e.resumed(FileId(2)), "an unknown file is not resumed");
}
