//! A resume record whose upload ListParts finds gone. The page may have
//! reloaded while the upload's complete was on its way: the store completed
//! it, and the answer died with the page. The object at the record's key
//! decides (`confirm`): there, the file is done, as resumed; not there
//! (aborted, expired), the file starts afresh under a new upload.

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::plan::MIB;
use s3lift_protocol::resume::ResumeRecord;

use super::complete_gone::object;
use super::*;

/// File `id` (12 MiB) added with `record`, whose upload ListParts finds
/// gone: the actions that followed.
fn gone_with(t: &mut T, id: u64, record: ResumeRecord) -> Vec<Action> {
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        fingerprint: Some(record.fingerprint.clone()),
        resume: Some(record),
        ..spec(id, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    t.fail(list, not_found("no_such_upload"))
}

/// File 1 with the record of upload `u` at key `k`, found gone.
fn record_gone(t: &mut T) -> Vec<Action> {
    gone_with(t, 1, record_u())
}

/// `record_u` under fingerprint `fp`, marked `completing` or not.
fn record(fp: &str, completing: bool) -> ResumeRecord {
    ResumeRecord {
        fingerprint: fp.into(),
        completing,
        ..record_u()
    }
}

/// Whether `out` starts the file afresh: its record forgotten, a new create.
fn afresh(out: &[Action]) -> bool {
    matches!(
        out,
        [
            Action::ForgetResume { .. },
            Action::CreateMultipart { .. },
            ..
        ]
    )
}

fn creates(out: &[Action]) -> usize {
    out.iter()
        .filter(|a| matches!(a, Action::CreateMultipart { .. }))
        .count()
}

#[test]
fn a_gone_upload_whose_object_is_there_is_done_as_resumed() {
    let mut t = T::new(3);
    let out = record_gone(&mut t);
    assert_eq!(creates(&out), 0, "not afresh before the check: {out:#?}");
    let keys: Vec<&str> = out
        .iter()
        .find_map(|a| match a {
            Action::Confirm { keys, .. } => Some(keys.iter().map(String::as_str).collect()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Confirm in {out:#?}"));
    assert_eq!(keys, ["k"]);
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    assert_eq!(creates(&out), 0, "{out:#?}");
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!(
        (ok.key.as_str(), ok.resumed, ok.confirmed),
        ("k", true, true)
    );
    assert_eq!(ok.location.as_deref(), Some("https://s3/b/k"));
    assert!(
        out.iter().any(|a| matches!(a, Action::ForgetResume { .. })),
        "the record goes once the file is done: {out:#?}"
    );
}

#[test]
fn no_object_or_another_size_starts_afresh() {
    for answer in [
        Err(not_found("no_such_key")),
        Ok(object(12 * MIB - 1)),
        // A signer without the confirm route (Companion): nothing to ask.
        Err(not_found("not_found")),
    ] {
        let mut t = T::new(3);
        let out = record_gone(&mut t);
        let check = confirm_id(&out);
        let out = match answer.clone() {
            Ok(a) => t.signer(check, a),
            Err(f) => t.fail(check, f),
        };
        assert!(finished(&out).is_none(), "{answer:?}: {out:#?}");
        assert!(afresh(&out), "{answer:?}: {out:#?}");
    }
}

#[test]
fn without_the_confirm_route_a_gone_record_starts_afresh_at_once() {
    let mut t = T::new(3);
    // A confirm call that met a route-less signer before.
    let out = record_gone(&mut t);
    t.fail(confirm_id(&out), not_found("not_found"));
    let out = gone_with(&mut t, 2, record("fp2", false));
    assert!(afresh(&out), "{out:#?}");
}

#[test]
fn a_check_that_fails_is_retried_then_the_file_fails_without_a_second_object() {
    let mut t = T::new(3);
    let out = record_gone(&mut t);
    let out = t.fail(confirm_id(&out), Failure::from_signer(503, None, None));
    assert!(finished(&out).is_none());
    let out = t.wait();
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    assert!(finished(&out).unwrap().is_ok());
    // Never answered: the file fails with ListParts' error rather than
    // start a second object beside one that may be there.
    let mut t = T::new(3);
    let mut out = record_gone(&mut t);
    for _ in 0..10 {
        let Some(id) = out.iter().find_map(|a| match a {
            Action::Confirm { id, .. } => Some(*id),
            _ => None,
        }) else {
            break;
        };
        t.fail(id, Failure::from_signer(503, None, None));
        out = t.wait();
    }
    assert_eq!(creates(&out), 0, "{out:#?}");
    let err = abort_answered(&mut t, &out);
    assert_eq!(err.code, ErrorCode::NoSuchUpload, "{err:?}");
}

#[test]
fn cancel_during_the_check_leaves_the_outcome_to_the_object() {
    // Found: the file is done (a cancel cannot take the object back).
    let mut t = T::new(3);
    let out = record_gone(&mut t);
    let check = confirm_id(&out);
    let out = t.ev(Event::Cancel(FileId(1)));
    assert!(finished(&out).is_none(), "{out:#?}");
    assert!(!out.iter().any(|a| matches!(a, Action::Abort { .. })));
    let out = t.signer(check, object(12 * MIB));
    assert!(finished(&out).unwrap().is_ok());
    // Not there: cancelled, and nothing created.
    let mut t = T::new(3);
    let out = record_gone(&mut t);
    let check = confirm_id(&out);
    t.ev(Event::Cancel(FileId(1)));
    let out = t.fail(check, not_found("no_such_key"));
    assert_eq!(creates(&out), 0, "{out:#?}");
    let err = finished(&out).unwrap().clone().unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
}

#[test]
fn the_record_says_so_before_the_complete_goes_out_and_only_once() {
    use super::multipart::{multipart_sending, store_all};
    let mut t = T::new(3);
    let sends = multipart_sending(&mut t);
    let out = store_all(&mut t, &sends);
    let at = |f: &dyn Fn(&Action) -> bool| out.iter().position(f);
    let mark = at(&|a| matches!(a, Action::SaveResume { record, .. } if record.completing));
    let complete = at(&|a| matches!(a, Action::Complete { .. }));
    assert!(mark.is_some() && mark < complete, "{out:#?}");
    let Some(Action::SaveResume { record, .. }) = mark.map(|i| &out[i]) else {
        unreachable!()
    };
    assert_eq!((record.upload_id.as_str(), record.key.as_str()), ("u", "k"));
    let id = find(&out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    });
    let again = t.fail(id, Failure::network());
    let again = [again, t.wait()].concat();
    assert!(again.iter().any(|a| matches!(a, Action::Complete { .. })));
    assert!(
        !again.iter().any(|a| matches!(a, Action::SaveResume { .. })),
        "{again:#?}"
    );
}

#[test]
fn without_the_confirm_route_a_record_that_sent_its_complete_is_done() {
    // Companion: nothing to check the object by; the record's complete did it.
    let mut t = T::new(3);
    let out = gone_with(&mut t, 1, record("fp1", true));
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    assert_eq!(creates(&out), 0, "{out:#?}");
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!((ok.key.as_str(), ok.resumed), ("k", true));
    // Once the engine knows there is no route, it does not ask.
    let out = gone_with(&mut t, 2, record("fp2", true));
    assert!(finished(&out).unwrap().is_ok(), "{out:#?}");
}

#[test]
fn a_check_that_finds_no_object_outweighs_the_record() {
    let mut t = T::new(3);
    let out = gone_with(&mut t, 1, record("fp1", true));
    let out = t.fail(confirm_id(&out), not_found("no_such_key"));
    assert!(afresh(&out), "{out:#?}");
}

#[test]
fn a_fresh_start_carries_nothing_of_the_marked_record_over() {
    // The marked record's upload left no object: the new upload's own
    // record is marked before its own complete, as any upload's is.
    let mut t = T::new(3);
    let out = gone_with(&mut t, 1, record("fp1", true));
    let out = t.fail(confirm_id(&out), not_found("no_such_key"));
    assert!(afresh(&out), "{out:#?}");
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let out = t.signer(create, created(3, 5 * MIB));
    let sends = signed_sends(&mut t, &out);
    let out = super::multipart::store_all(&mut t, &sends);
    assert!(
        out.iter().any(|a| matches!(
            a,
            Action::SaveResume { record, .. } if record.completing
        )),
        "{out:#?}"
    );
}

/// File 1 resumed from a record marked `completing` whose ListParts shows
/// parts 1 and 2 stored: the store's 404 to part 3, the answer that follows.
/// The record's page sent its complete ahead of part 3's answer and
/// reloaded; part 3's bytes landed after the listing, and the signer, still
/// waiting for them, completed the upload.
fn part_gone_after_the_records_complete(t: &mut T) -> Vec<Action> {
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record("fp1", true)),
        ..spec(1, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let listed = [1, 2].map(|n| s3lift_protocol::wire::ListedPart {
        part_number: n,
        size: 5 * MIB,
        etag: format!("\"e{n}\""),
    });
    let out = t.signer(list, SignerAnswer::Listed(listed.into()));
    let sign = find(&out, |a| {
        matches!(a, Action::SignParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(sign, urls(&[3]));
    let send = find(&out, |a| {
        matches!(a, Action::SendPart { part: 3, .. }).then(|| id_of(a))
    });
    let body = "<Error><Code>NoSuchUpload</Code></Error>";
    t.fail(send, Failure::from_store(404, body, None))
}

#[test]
fn a_part_the_store_finds_no_upload_for_after_the_records_complete_checks_the_object() {
    let mut t = T::new(3);
    let out = part_gone_after_the_records_complete(&mut t);
    assert!(
        finished(&out).is_none(),
        "not failed before the check: {out:#?}"
    );
    assert!(!out.iter().any(|a| matches!(a, Action::Abort { .. })));
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!((ok.key.as_str(), ok.resumed), ("k", true));
    // No object: the store's refusal stands, and nothing starts afresh.
    let mut t = T::new(3);
    let out = part_gone_after_the_records_complete(&mut t);
    let out = t.fail(confirm_id(&out), not_found("no_such_key"));
    assert_eq!(creates(&out), 0, "{out:#?}");
    let err = abort_answered(&mut t, &out);
    assert_eq!((err.code, err.status), (ErrorCode::StoreRefused, Some(404)));
}
