//! Rules of single-request uploads and of the shared limit.

use super::*;

#[test]
fn files_below_the_threshold_go_in_one_request_the_rest_multipart() {
    let mut t = T::new(4);
    let out = t.add(1, 8 * MIB - 1);
    assert!(matches!(out[..], [Action::SignParamsBatch { .. }]));
    let out = t.add(2, 8 * MIB);
    assert!(matches!(out[..], [Action::CreateMultipart { .. }]));
    let out = t.add(3, s3lift_protocol::plan::MAX_OBJECT_SIZE + 1);
    assert_eq!(
        finished(&out).unwrap().as_ref().unwrap_err().code,
        codes::BAD_PLAN
    );
}

#[test]
fn a_single_retry_after_a_lost_answer_reuses_its_params_and_key() {
    let mut t = T::new(2);
    let (id, first) = single_in_flight(&mut t, "a/1.txt");
    assert!(
        t.fail(id, Failure::network()).is_empty(),
        "no new params are asked for"
    );
    let out = t.wait();
    let (id2, again) = send_single(&out);
    assert_eq!(again, first);
    let out = t.ev(Event::Stored {
        id: id2,
        etag: Some("\"e\"".into()),
    });
    // A peer without the confirmation route: the upload ends unconfirmed.
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!(ok.key, "a/1.txt");
    assert_eq!(
        ok.location.as_deref(),
        Some("https://s3.example/bucket/a/1.txt")
    );
}

#[test]
fn a_single_whose_params_expire_after_a_lost_answer_fails_naming_the_key() {
    let mut t = T::new(2);
    let (id, _) = single_in_flight(&mut t, "a/1.txt");
    t.fail(id, Failure::network());
    // Past the expiry (900 s) minus its margin: re-signing would mean a second key.
    let out = t.tick_to(900_000);
    let err = finished(&out).unwrap().as_ref().unwrap_err();
    assert_eq!(err.code, codes::URL_EXPIRED);
    assert_eq!(err.key.as_deref(), Some("a/1.txt"));
}

#[test]
fn an_expired_single_url_without_a_doubt_is_signed_again() {
    let mut t = T::new(2);
    let (id, _) = single_in_flight(&mut t, "a/1.txt");
    let out = t.fail(id, Failure::from_store(403, "Request has expired", None));
    assert!(
        matches!(out[..], [Action::SignParamsBatch { .. }]),
        "{out:#?}"
    );
}

#[test]
fn companion_params_give_the_key_from_fields_and_no_batch_route_means_one_by_one() {
    let mut t = T::new(2);
    let out = t.add(1, 10);
    let b = batch_id(&out);
    let body = ErrorBody {
        error: "not found".into(),
        code: "not_found".into(),
    };
    let out = t.fail(b, Failure::from_signer(404, Some(&body), None));
    let one = find(&out, |a| {
        matches!(a, Action::SignParams { .. }).then(|| id_of(a))
    });
    let out = t.signer(
        one,
        SignerAnswer::Params(params(None, Some("c/f1.bin"), None)),
    );
    let (id, _) = send_single(&out);
    let out = t.ev(Event::Stored { id, etag: None });
    let out = t.fail(confirm_id(&out), not_found("not_found"));
    assert_eq!(finished(&out).unwrap().as_ref().unwrap().key, "c/f1.bin");
    // Later files skip the batch route.
    assert!(matches!(t.add(2, 10)[..], [Action::SignParams { .. }]));
}

#[test]
fn params_naming_no_key_fail_before_anything_is_stored() {
    let mut t = T::new(2);
    let out = t.add(1, 10);
    let out = t.signer(
        batch_id(&out),
        SignerAnswer::ParamsBatch(vec![Ok(params(None, None, None))]),
    );
    assert_eq!(
        finished(&out).unwrap().as_ref().unwrap_err().code,
        codes::BAD_ANSWER
    );
    assert!(!out.iter().any(|a| matches!(a, Action::SendSingle { .. })));
}

#[test]
fn throttles_on_small_files_halve_the_limit_and_successes_restore_it() {
    let mut t = T::new(4);
    for i in 1..=40 {
        t.e.handle(0, Event::Add(spec(i, 10)));
    }
    let out = t.ev(Event::Tick);
    let b = batch_id(&out);
    assert_eq!(out.len(), 1, "one batch for files added together");
    let answers = (1..=40)
        .map(|i| Ok(params(Some(&format!("k{i}")), None, Some(900))))
        .collect();
    let mut sends: Vec<RequestId> = t
        .signer(b, SignerAnswer::ParamsBatch(answers))
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(sends.len(), 4);
    t.fail(
        sends.remove(0),
        Failure::from_store(503, "<Code>SlowDown</Code>", None),
    );
    assert_eq!(t.e.limit(), 2);
    let mut stored = 0;
    while let Some(id) = sends.pop() {
        stored += 1;
        let out = t.ev(Event::Stored { id, etag: None });
        sends.extend(
            out.iter()
                .filter(|a| matches!(a, Action::SendSingle { .. }))
                .map(id_of),
        );
        assert!(t.e.data_in_flight() <= t.e.limit());
        if sends.is_empty() && t.e.live_files() > 0 {
            sends.extend(
                t.wait()
                    .iter()
                    .filter(|a| matches!(a, Action::SendSingle { .. }))
                    .map(id_of),
            );
        }
    }
    assert_eq!(stored, 40);
    assert_eq!(
        t.e.limit(),
        4,
        "the limit climbs back on single-upload successes"
    );
}

#[test]
fn retry_after_is_waited_out() {
    let mut t = T::new(2);
    let (id, _) = single_in_flight(&mut t, "k");
    t.fail(id, Failure::from_store(429, "", Some("7")));
    assert!(t.e.poll_timeout().unwrap() >= 7_000);
    assert!(t.tick_to(6_999).is_empty());
    assert!(matches!(t.tick_to(7_000)[..], [Action::SendSingle { .. }]));
}

#[test]
fn a_stalled_request_is_cancelled_and_retried() {
    let mut t = T::new(2);
    let (id, _) = single_in_flight(&mut t, "k");
    t.ev(Event::Sent { id, bytes: 50 });
    assert_eq!(t.e.poll_timeout(), Some(30_000));
    let out = t.tick_to(30_000);
    assert_eq!(out[0], Action::CancelRequest { id });
    assert!(t.e.poll_timeout().is_some());
}

#[test]
fn pause_lets_a_single_request_end_and_starts_nothing_new() {
    let mut t = T::new(2);
    let (id, _) = single_in_flight(&mut t, "k");
    let out = t.ev(Event::Pause(FileId(1)));
    assert!(!out
        .iter()
        .any(|a| matches!(a, Action::CancelRequest { .. })));
    // It failed meanwhile: no retry while paused, the same params after resume.
    t.fail(id, status(500));
    assert!(t.tick_to(60_000).is_empty());
    let out = t.ev(Event::Resume(FileId(1)));
    assert!(matches!(out[..], [Action::SendSingle { .. }]), "{out:#?}");
}

#[test]
fn a_folders_relative_path_rides_on_every_signing_request() {
    let mut t = T::new(4);
    let with_path = |id, size| {
        Event::Add(FileSpec {
            relative_path: Some(format!("album/sub/f{id}.bin")),
            ..spec(id, size)
        })
    };
    let out = t.ev(with_path(1, 10));
    let [Action::SignParamsBatch { files, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(
        files[0].query.relative_path.as_deref(),
        Some("album/sub/f1.bin")
    );
    let out = t.ev(with_path(2, 8 * MIB));
    let [Action::CreateMultipart { request, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(request.relative_path.as_deref(), Some("album/sub/f2.bin"));
    // Without one, none is sent.
    let out = t.add(3, 8 * MIB);
    let [Action::CreateMultipart { request, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(request.relative_path, None);
}
