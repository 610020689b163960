//! Rules of multipart uploads: pause, resume, and resume records.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{ErrorBody, ListedPart};

use super::multipart::multipart_sending;
use super::*;

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
    let record = record_u();
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
    // Completed by a complete whose answer a reload lost? Not when the
    // object is not there (rule_tests/record_gone has the other answers).
    let out = t.fail(confirm_id(&out), not_found("no_such_key"));
    assert!(matches!(out[0], Action::ForgetResume { .. }), "{out:#?}");
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
        resume: Some(record_u()),
        ..spec(1, 12 * MIB)
    }));
    assert!(matches!(out[..], [Action::ListParts { .. }]), "{out:#?}");
}

#[test]
fn a_continued_upload_says_so_as_soon_as_the_store_listed_it() {
    // The app shows "Resuming" while it runs, not only once it is done.
    let record = record_u();
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
