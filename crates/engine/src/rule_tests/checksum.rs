//! Per-part checksums.

use s3lift_protocol::plan::MIB;

use super::*;

#[test]
fn with_checksums_parts_are_digested_then_signed_for_their_digest() {
    let cfg = Config {
        concurrency: 2,
        checksum: Some(s3lift_protocol::wire::ChecksumAlgorithm::Sha256),
        ..Config::default()
    };
    let mut t = T {
        e: Engine::new(cfg),
        now: 0,
    };
    let out = t.add(1, 12 * MIB);
    let out = t.signer(id_of(&out[0]), created(3, 5 * MIB));
    let asked: Vec<(u32, u64, u64)> = out
        .iter()
        .filter_map(|a| match a {
            Action::Digest {
                part, start, end, ..
            } => Some((*part, *start, *end)),
            _ => None,
        })
        .collect();
    assert_eq!(
        asked,
        vec![(1, 0, 5 * MIB), (2, 5 * MIB, 10 * MIB)],
        "at most `concurrency` reads at once"
    );
    assert!(!out.iter().any(|a| matches!(a, Action::SignParts { .. })));
    let signs = |out: &[Action]| {
        out.iter().find_map(|a| match a {
            Action::SignParts {
                id,
                parts,
                checksums,
                ..
            } => Some((*id, parts.clone(), checksums.clone().unwrap().values)),
            _ => None,
        })
    };
    let out = t.ev(Event::Digested {
        file: FileId(1),
        part: 1,
        value: Some("A".into()),
    });
    let (sign, parts, sums) = signs(&out).expect("signed once digested");
    assert_eq!((parts, sums), (vec![1], vec!["A".to_owned()]));
    assert!(out
        .iter()
        .any(|a| matches!(a, Action::Digest { part: 3, .. })));
    t.ev(Event::Digested {
        file: FileId(1),
        part: 2,
        value: Some("B".into()),
    });
    let out = t.signer(sign, urls(&[1]));
    let (_, parts, sums) = signs(&out).expect("the next digest is signed");
    assert_eq!((parts, sums), (vec![2], vec!["B".to_owned()]));
    // An unreadable file fails (and aborts) with read_failed.
    let out = t.ev(Event::Digested {
        file: FileId(1),
        part: 3,
        value: None,
    });
    assert_eq!(abort_answered(&mut t, &out).code, codes::READ_FAILED);
}
