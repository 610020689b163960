//! A resumed upload whose complete trips on parts an earlier run was still
//! writing (`invalid_parts`) lists the parts again and retries; a fresh
//! upload with the same answer fails at once (nothing stray can exist).

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::ListedPart;

use super::*;

fn invalid_parts() -> Failure {
    let body = ErrorBody {
        error: "the store refused the parts".into(),
        code: "invalid_parts".into(),
    };
    Failure::from_signer(400, Some(&body), None)
}

fn listed() -> SignerAnswer {
    SignerAnswer::Listed(
        (1..=3)
            .map(|n| ListedPart {
                part_number: n,
                size: if n == 3 { 2 * MIB } else { 5 * MIB },
                etag: format!("\"{n}\""),
            })
            .collect(),
    )
}

fn complete_id(out: &[Action]) -> Option<RequestId> {
    out.iter().find_map(|a| match a {
        Action::Complete { id, .. } => Some(*id),
        _ => None,
    })
}

fn list_id(out: &[Action]) -> Option<RequestId> {
    out.iter().find_map(|a| match a {
        Action::ListParts { id, .. } => Some(*id),
        _ => None,
    })
}

#[test]
fn a_resumed_complete_refused_for_stray_parts_is_listed_and_retried() {
    let record = record_u();
    let mut t = T::new(3);
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record),
        ..spec(1, 12 * MIB)
    }));
    let out = t.signer(list_id(&out).expect("list first"), listed());
    let complete = complete_id(&out).expect("every part is stored: complete");
    let out = t.fail(complete, invalid_parts());
    assert!(finished(&out).is_none(), "not given up: {out:#?}");
    let out = t.wait();
    let out = t.signer(list_id(&out).expect("the parts are listed again"), listed());
    let complete = complete_id(&out).expect("and complete is tried again");
    let out = t.signer(
        complete,
        SignerAnswer::Completed(s3lift_protocol::wire::CompleteResponse {
            location: "l".into(),
            key: Some("k".into()),
            bucket: None,
            etag: None,
            checksum: None,
        }),
    );
    assert!(finished(&out).unwrap().is_ok());
}

#[test]
fn a_fresh_upload_refused_at_complete_fails_at_once() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let out = t.signer(create, created(3, 5 * MIB));
    let sends = signed_sends(&mut t, &out);
    let mut last = Vec::new();
    for id in sends {
        last = t.ev(Event::Stored {
            id,
            etag: Some("\"e\"".into()),
        });
    }
    let out = t.fail(complete_id(&last).unwrap(), invalid_parts());
    // Failed: it aborts first, then reports.
    assert_eq!(abort_answered(&mut t, &out).code, ErrorCode::InvalidParts);
}

#[test]
fn parts_a_pause_cut_off_but_the_store_kept_are_reported_once_on_resume() {
    let mut t = T::new(3);
    let out = t.add(1, 12 * MIB);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let out = t.signer(create, created(3, 5 * MIB));
    let sends = signed_sends(&mut t, &out);
    // Part 1's answer arrives; parts 2 and 3 are cut off by the pause, but
    // the store kept part 2.
    let out = t.ev(Event::Stored {
        id: sends[0],
        etag: Some("\"1\"".into()),
    });
    let reported = |out: &[Action]| -> Vec<u32> {
        out.iter()
            .filter_map(|a| match a {
                Action::PartStored { part, .. } => Some(*part),
                _ => None,
            })
            .collect()
    };
    assert_eq!(reported(&out), [1]);
    t.ev(Event::Pause(FileId(1)));
    let out = t.ev(Event::Resume(FileId(1)));
    let list = list_id(&out).expect("a resume after cut-off parts asks the store");
    let listed = SignerAnswer::Listed(
        [1u32, 2]
            .iter()
            .map(|n| ListedPart {
                part_number: *n,
                size: 5 * MIB,
                etag: format!("\"{n}\""),
            })
            .collect(),
    );
    let out = t.signer(list, listed);
    assert_eq!(
        reported(&out),
        [2],
        "part 2 once; part 1 was reported already"
    );
}
