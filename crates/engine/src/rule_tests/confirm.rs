//! A stored single upload is reported with `POST /s3/params/complete`
//! before it finishes (the signer's webhook), and what each answer does.

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::wire::SingleCompleteResponse;

use super::*;

/// A small file stored: the actions that followed the store's 200.
fn stored(t: &mut T, file: u64) -> Vec<Action> {
    let out = t.add(file, 100);
    let out = t.signer(
        batch_id(&out),
        SignerAnswer::ParamsBatch(vec![Ok(params(Some("a/1.txt"), None, Some(900)))]),
    );
    let (id, _) = send_single(&out);
    t.ev(Event::Stored {
        id,
        etag: Some("\"s3\"".into()),
    })
}

#[test]
fn a_stored_single_upload_is_confirmed_before_it_finishes() {
    let mut t = T::new(2);
    let out = stored(&mut t, 1);
    assert!(finished(&out).is_none(), "not before the signer confirmed");
    let key = out.iter().find_map(|a| match a {
        Action::Confirm { keys, .. } => Some(keys.join(",")),
        _ => None,
    });
    assert_eq!(key.as_deref(), Some("a/1.txt"));
    let answer = SingleCompleteResponse {
        key: "a/1.txt".into(),
        bucket: "b".into(),
        location: "https://s3.example/b/a/1.txt".into(),
        etag: "\"head\"".into(),
        size: 100,
        checksum: None,
    };
    let out = t.signer(confirm_id(&out), SignerAnswer::Confirmed(vec![Ok(answer)]));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert!(ok.confirmed);
    assert_eq!(ok.etag.as_deref(), Some("\"head\""));
    assert_eq!(ok.location.as_deref(), Some("https://s3.example/b/a/1.txt"));
}

#[test]
fn too_large_at_confirmation_fails_the_upload() {
    let mut t = T::new(2);
    let out = stored(&mut t, 1);
    let body = ErrorBody {
        error: "the object is larger than approved; it was deleted".into(),
        code: "too_large".into(),
    };
    let out = t.fail(
        confirm_id(&out),
        Failure::from_signer(413, Some(&body), None),
    );
    let err = finished(&out).unwrap().as_ref().unwrap_err();
    assert_eq!((err.code, err.status), (ErrorCode::TooLarge, Some(413)));
}

#[test]
fn a_peer_without_the_route_is_asked_once_and_uploads_succeed_unconfirmed() {
    let mut t = T::new(2);
    let out = stored(&mut t, 1);
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    assert!(!finished(&out).unwrap().as_ref().unwrap().confirmed);
    // The next file finishes at its store answer: no second confirmation.
    let out = stored(&mut t, 2);
    assert!(!out.iter().any(|a| matches!(a, Action::Confirm { .. })));
    assert!(!finished(&out).unwrap().as_ref().unwrap().confirmed);
}

#[test]
fn a_confirmation_that_keeps_failing_is_retried_then_the_upload_succeeds_unconfirmed() {
    let mut t = T::new(2);
    let mut out = stored(&mut t, 1);
    let mut calls = 0;
    loop {
        calls += 1;
        out = t.fail(confirm_id(&out), Failure::from_signer(503, None, None));
        if let Some(result) = finished(&out) {
            assert!(!result.as_ref().unwrap().confirmed, "the object is stored");
            break;
        }
        out = t.wait();
    }
    assert_eq!(calls, t.e.cfg.retry.max_attempts, "retried by the policy");
}

#[test]
fn cancel_while_confirming_leaves_the_outcome_to_the_confirmation() {
    let mut t = T::new(2);
    let out = stored(&mut t, 1);
    let confirm = confirm_id(&out);
    let out = t.ev(Event::Cancel(FileId(1)));
    assert!(finished(&out).is_none(), "the object is stored already");
    let answer = SingleCompleteResponse {
        key: "a/1.txt".into(),
        bucket: "b".into(),
        location: "l".into(),
        etag: "e".into(),
        size: 100,
        checksum: None,
    };
    let out = t.signer(confirm, SignerAnswer::Confirmed(vec![Ok(answer)]));
    assert!(finished(&out).unwrap().as_ref().unwrap().confirmed);
}
