//! Rules of multipart uploads: signing part URLs, and signing them again.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::{BatchSignResponse, ErrorBody, SignedPart};

use super::*;

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
