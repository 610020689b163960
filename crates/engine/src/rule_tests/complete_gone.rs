//! Complete answered "no such upload" where someone may have completed it:
//! our own earlier complete whose answer was lost, or another tab that held
//! a resumed upload. The object at the upload's key decides (`confirm`).

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{ErrorBody, SingleCompleteResponse};

use super::multipart::{multipart_sending, store_all};
use super::*;

pub(super) fn gone() -> Failure {
    let body = ErrorBody {
        error: "gone".into(),
        code: "no_such_upload".into(),
    };
    Failure::from_signer(404, Some(&body), None)
}

/// The signer's answer for an object of `size` bytes at key `k`.
pub(super) fn object(size: u64) -> SignerAnswer {
    SignerAnswer::Confirmed(vec![Ok(SingleCompleteResponse {
        key: "k".into(),
        bucket: "b".into(),
        location: "https://s3/b/k".into(),
        etag: "\"whole-3\"".into(),
        size,
        checksum: None,
    })])
}

fn complete_id(out: &[Action]) -> RequestId {
    find(out, |a| {
        matches!(a, Action::Complete { .. }).then(|| id_of(a))
    })
}

/// A 12 MiB upload whose complete was sent, lost, sent again and answered
/// "no such upload": the actions that followed.
fn lost_then_gone(t: &mut T) -> Vec<Action> {
    let sends = multipart_sending(t);
    let out = store_all(t, &sends);
    t.fail(complete_id(&out), Failure::network());
    let again = complete_id(&t.wait());
    t.fail(again, gone())
}

/// A 12 MiB upload resumed from a record (the store lists no part, as when
/// another tab held it), sent, and its complete answered "no such upload".
fn resumed_then_gone(t: &mut T) -> Vec<Action> {
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record_u()),
        ..spec(1, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    let out = t.signer(list, SignerAnswer::Listed(vec![]));
    let sends = signed_sends(t, &out);
    let out = store_all(t, &sends);
    t.fail(complete_id(&out), gone())
}

/// The keys of the `Confirm` in `out`.
pub(super) fn confirm_keys(out: &[Action]) -> Vec<String> {
    out.iter()
        .find_map(|a| match a {
            Action::Confirm { keys, .. } => Some(keys.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Confirm in {out:#?}"))
}

#[test]
fn a_lost_complete_then_no_such_upload_is_done_once_the_object_is_found() {
    let mut t = T::new(3);
    let out = lost_then_gone(&mut t);
    assert!(finished(&out).is_none(), "not before the object is checked");
    assert_eq!(confirm_keys(&out), vec!["k".to_owned()]);
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!((ok.key.as_str(), ok.confirmed), ("k", true));
    assert_eq!(ok.etag.as_deref(), Some("\"whole-3\""));
    assert_eq!(ok.location.as_deref(), Some("https://s3/b/k"));
}

#[test]
fn a_resumed_upload_that_another_tab_completed_is_done() {
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    assert!(finished(&out).is_none(), "{out:#?}");
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert!(ok.resumed && ok.confirmed, "{ok:?}");
}

#[test]
fn no_object_at_the_key_fails_with_no_such_upload() {
    for gone_case in [lost_then_gone, resumed_then_gone] {
        let mut t = T::new(3);
        let out = gone_case(&mut t);
        let out = t.fail(confirm_id(&out), not_found("no_such_key"));
        // The upload is gone already; the abort is tried all the same.
        let err = abort_answered(&mut t, &out);
        assert_eq!(err.code, ErrorCode::NoSuchUpload, "{err:?}");
    }
}

#[test]
fn an_object_of_another_size_is_not_taken_for_the_upload() {
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    let out = t.signer(confirm_id(&out), object(12 * MIB - 1));
    assert_eq!(abort_answered(&mut t, &out).code, ErrorCode::NoSuchUpload);
}

#[test]
fn a_check_that_fails_is_retried_by_the_policy() {
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    let out = t.fail(confirm_id(&out), Failure::from_signer(503, None, None));
    assert!(finished(&out).is_none());
    let out = t.wait();
    let out = t.signer(confirm_id(&out), object(12 * MIB));
    assert!(finished(&out).unwrap().is_ok());
}

#[test]
fn without_the_confirm_route_a_lost_complete_still_counts_and_a_resumed_one_fails() {
    // Companion: no route to check with. Our own lost complete did it.
    let mut t = T::new(3);
    let out = lost_then_gone(&mut t);
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    assert_eq!(finished(&out).unwrap().as_ref().unwrap().key, "k");
    // A resumed upload gone at complete, with nothing to check it by.
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    assert_eq!(abort_answered(&mut t, &out).code, ErrorCode::NoSuchUpload);
}

#[test]
fn cancel_during_the_check_leaves_the_outcome_to_the_object() {
    // Found: the upload is done (a cancel cannot take the object back).
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    let check = confirm_id(&out);
    assert!(finished(&t.ev(Event::Cancel(FileId(1)))).is_none());
    let out = t.signer(check, object(12 * MIB));
    assert!(finished(&out).unwrap().is_ok());
    // Not found: the upload is cancelled.
    let mut t = T::new(3);
    let out = resumed_then_gone(&mut t);
    let check = confirm_id(&out);
    t.ev(Event::Cancel(FileId(1)));
    let out = t.fail(check, not_found("no_such_key"));
    assert_eq!(abort_answered(&mut t, &out).code, ErrorCode::Cancelled);
}
