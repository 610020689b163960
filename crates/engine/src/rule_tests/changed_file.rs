//! Never resume onto a changed file (`verify`): the stored parts' ETags
//! against the file's bytes, and a record handed over for another fingerprint.

use s3lift_protocol::md5;
use s3lift_protocol::plan::MIB;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{ChecksumAlgorithm, CompleteResponse, ListedPart};

use super::*;
use crate::api::Restart;

fn record(fingerprint: &str) -> ResumeRecord {
    ResumeRecord {
        upload_id: "old".into(),
        key: "old-key".into(),
        part_size: 5 * MIB,
        fingerprint: fingerprint.into(),
        created_at: 0.0,
        completing: false,
    }
}

fn etag(bytes: &[u8]) -> String {
    ["\"", &md5::hex(bytes), "\""].concat()
}

/// A 3-part file resumed from a record; the store lists parts 1 and 2
/// with the ETags given. Answers what the listing led to.
fn resume_listing(t: &mut T, etags: [&str; 2]) -> Vec<Action> {
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record("fp1")),
        ..spec(1, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let listed = (1..=2)
        .map(|n| ListedPart {
            part_number: n,
            size: 5 * MIB,
            etag: etags[n as usize - 1].into(),
        })
        .collect();
    t.signer(list, SignerAnswer::Listed(listed))
}

fn md5_asks(out: &[Action]) -> Vec<(u32, u64, u64)> {
    out.iter()
        .filter_map(|a| match a {
            Action::Digest {
                part,
                start,
                end,
                algorithm: ChecksumAlgorithm::Md5,
                ..
            } => Some((*part, *start, *end)),
            _ => None,
        })
        .collect()
}

fn digested(t: &mut T, part: u32, bytes: &[u8]) -> Vec<Action> {
    t.ev(Event::Digested {
        file: FileId(1),
        part,
        value: Some(md5::hex(bytes)),
    })
}

#[test]
fn the_first_and_last_stored_parts_are_read_again_before_they_are_skipped() {
    let mut t = T::new(3);
    let out = resume_listing(&mut t, [&etag(b"one"), &etag(b"two")]);
    assert_eq!(
        md5_asks(&out),
        vec![(1, 0, 5 * MIB), (2, 5 * MIB, 10 * MIB)]
    );
    assert!(
        !out.iter().any(|a| matches!(a, Action::SignParts { .. })),
        "nothing is sent before the stored parts are checked: {out:#?}"
    );
    assert!(
        digested(&mut t, 2, b"two").is_empty(),
        "part 1 still pending"
    );
    let out = digested(&mut t, 1, b"one");
    let parts = out.iter().find_map(|a| match a {
        Action::SignParts { parts, .. } => Some(parts.clone()),
        _ => None,
    });
    assert_eq!(parts, Some(vec![3]), "the same file continues: {out:#?}");
    assert!(!out.iter().any(|a| matches!(a, Action::Abort { .. })));
}

#[test]
fn a_stored_part_of_other_bytes_aborts_the_old_upload_and_starts_over() {
    let mut t = T::new(3);
    resume_listing(&mut t, [&etag(b"one"), &etag(b"two")]);
    digested(&mut t, 1, b"one");
    // The file was edited where part 2 lies (same name, size and time).
    let out = digested(&mut t, 2, b"TWO");
    let abort = out.iter().find_map(|a| match a {
        Action::Abort { upload_id, key, .. } => Some((upload_id.as_str(), key.as_str())),
        _ => None,
    });
    assert_eq!(abort, Some(("old", "old-key")), "{out:#?}");
    assert!(out.contains(&Action::ForgetResume {
        file: FileId(1),
        fingerprint: "fp1".into()
    }));
    assert!(out.contains(&Action::Restarted {
        file: FileId(1),
        reason: Restart::FileChanged
    }));
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    // The abort's answer (or failure) changes nothing.
    let abort = find(&out, |a| {
        matches!(a, Action::Abort { .. }).then(|| id_of(a))
    });
    assert!(t.fail(abort, status(500)).is_empty());
    // The new upload sends every part, and ends saying it started over.
    let out = t.signer(create, created(3, 5 * MIB));
    let sends = signed_sends(&mut t, &out);
    assert_eq!(sends.len(), 3);
    let mut out = Vec::new();
    for id in sends {
        out = t.ev(Event::Stored {
            id,
            etag: Some("\"e\"".into()),
        });
    }
    let complete = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    let out = t.signer(
        complete,
        SignerAnswer::Completed(CompleteResponse {
            location: "https://s3/k".into(),
            key: Some("k".into()),
            bucket: None,
            etag: None,
            checksum: None,
        }),
    );
    let outcome = finished(&out).expect("done").as_ref().expect("stored");
    assert_eq!(outcome.restarted, Some(Restart::FileChanged));
    assert!(!outcome.resumed);
}

#[test]
fn a_record_for_another_fingerprint_starts_over_without_listing() {
    // The user gave the edited file again (its lastModified moved), and
    // the driver handed over the record it found by name and size.
    let mut t = T::new(3);
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record("fp-before-the-edit")),
        ..spec(1, 12 * MIB)
    }));
    assert!(!out.iter().any(|a| matches!(a, Action::ListParts { .. })));
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Abort { upload_id, .. } if upload_id == "old")));
    assert!(out.contains(&Action::ForgetResume {
        file: FileId(1),
        fingerprint: "fp-before-the-edit".into()
    }));
    assert!(out.contains(&Action::Restarted {
        file: FileId(1),
        reason: Restart::FileChanged
    }));
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::CreateMultipart { .. })));
}

#[test]
fn etags_that_are_not_md5s_leave_the_fingerprint_to_vouch() {
    let mut t = T::new(3);
    let out = resume_listing(&mut t, ["\"a\"", "\"b\""]);
    assert!(md5_asks(&out).is_empty());
    assert!(out.iter().any(|a| matches!(a, Action::SignParts { .. })));
}

#[test]
fn an_unreadable_file_fails_and_aborts() {
    let mut t = T::new(3);
    resume_listing(&mut t, [&etag(b"one"), &etag(b"two")]);
    let out = t.ev(Event::Digested {
        file: FileId(1),
        part: 1,
        value: None,
    });
    assert!(
        out.iter().any(|a| matches!(a, Action::Abort { .. })),
        "{out:#?}"
    );
}
