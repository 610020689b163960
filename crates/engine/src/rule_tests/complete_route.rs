//! The in-body complete route (`POST /s3/multipart/complete`): used once a
//! create answer shows our signer's extensions, never against Companion,
//! and given up for the path route when a replica does not have it.

use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::CreateMultipartResponse;

use super::multipart::{multipart_sending, store_all};
use super::*;

/// The complete in `out`: (its id, whether it goes to the in-body route).
fn complete(out: &[Action]) -> (RequestId, bool) {
    out.iter()
        .find_map(|a| match a {
            Action::Complete { id, in_body, .. } => Some((*id, *in_body)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no Complete in {out:#?}"))
}

/// File `id` (12 MiB) created by a Companion-shaped answer (no `partSize`),
/// its parts stored: the actions that followed.
fn companion_upload(t: &mut T, id: u64) -> Vec<Action> {
    let out = t.add(id, 12 * MIB);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let out = t.signer(
        create,
        SignerAnswer::Created(CreateMultipartResponse {
            key: "k".into(),
            upload_id: "u".into(),
            bucket: None,
            part_size: None,
            part_count: None,
            expires: None,
            parts: None,
            checksum: None,
        }),
    );
    let sends = signed_sends(t, &out);
    store_all(t, &sends)
}

/// A 12 MiB upload created by our signer, its parts stored: its complete.
fn stored(t: &mut T) -> (RequestId, bool) {
    let sends = multipart_sending(t);
    complete(&store_all(t, &sends))
}

#[test]
fn our_signer_s_create_answer_sends_the_complete_to_the_in_body_route() {
    let mut t = T::new(3);
    assert!(stored(&mut t).1);
}

#[test]
fn a_companion_create_answer_keeps_the_path_route() {
    let mut t = T::new(3);
    let (_, in_body) = complete(&companion_upload(&mut t, 1));
    assert!(!in_body, "Companion has no in-body route");
}

#[test]
fn an_older_replica_s_404_sends_the_complete_again_at_once_by_the_path_and_for_good() {
    let mut t = T::new(3);
    let (id, _) = stored(&mut t);
    let out = t.fail(id, not_found("not_found"));
    let (again, in_body) = complete(&out);
    assert!(!in_body, "the path route");
    assert_ne!(again, id);
    let out = t.signer(again, completed());
    assert!(matches!(finished(&out), Some(Ok(_))), "{out:#?}");
    // A later upload in this engine goes straight to the path route.
    let out = t.add(2, 12 * MIB);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let out = t.signer(create, created(3, 5 * MIB));
    let sends = signed_sends(&mut t, &out);
    let (_, in_body) = complete(&store_all(&mut t, &sends));
    assert!(!in_body, "given up for good");
}

#[test]
fn a_405_is_an_older_replica_too() {
    let mut t = T::new(3);
    let (id, _) = stored(&mut t);
    let out = t.fail(id, Failure::from_signer(405, None, None));
    assert!(!complete(&out).1);
}

#[test]
fn no_such_upload_from_the_in_body_route_is_the_upload_s_answer_not_the_route_s() {
    let mut t = T::new(3);
    let (id, _) = stored(&mut t);
    let out = t.fail(id, not_found("no_such_upload"));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Complete { .. })),
        "no second complete for a gone upload: {out:#?}"
    );
    assert_eq!(t.e.complete_in_body, Some(true));
}
