//! Whole-file CRC64NVME (issue 15): parts are digested and bound to their
//! CRC64NVME, and complete carries the whole file's value, combined from
//! the parts' without reading the file again.

use s3lift_protocol::crc64;
use s3lift_protocol::plan::MIB;
use s3lift_protocol::wire::ChecksumAlgorithm;

use super::*;

fn crc_engine() -> T {
    let cfg = Config {
        concurrency: 3,
        checksum: Some(ChecksumAlgorithm::Crc64nvme),
        ..Config::default()
    };
    T {
        e: Engine::new(cfg),
        now: 0,
    }
}

/// The bytes of part `n` of a 12 MiB file in 5 MiB parts (made up, seeded by n).
fn part_bytes(n: u32) -> Vec<u8> {
    let len = if n == 3 { 2 * MIB } else { 5 * MIB } as usize;
    (0..len)
        .map(|i| (i as u32).wrapping_mul(n + 7) as u8)
        .collect()
}

fn completes(out: &[Action]) -> Option<(RequestId, Option<String>)> {
    out.iter().find_map(|a| match a {
        Action::Complete { id, checksum, .. } => Some((*id, checksum.clone())),
        _ => None,
    })
}

#[test]
fn complete_carries_the_whole_file_crc_combined_from_the_parts() {
    let mut t = crc_engine();
    let out = t.add(1, 12 * MIB);
    let create = find(&out, |a| {
        matches!(
            a,
            Action::CreateMultipart {
                sign_parts: None,
                ..
            }
        )
        .then(|| id_of(a))
    });
    let mut out = t.signer(create, created(3, 5 * MIB));
    let mut sends = Vec::new();
    for _ in 0..10 {
        let digests: Vec<u32> = out
            .iter()
            .filter_map(|a| match a {
                Action::Digest {
                    part, algorithm, ..
                } => {
                    assert_eq!(*algorithm, ChecksumAlgorithm::Crc64nvme);
                    Some(*part)
                }
                _ => None,
            })
            .collect();
        let mut next = Vec::new();
        for a in &out {
            match a {
                Action::SignParts { id, parts, .. } => next.extend(t.signer(*id, urls(parts))),
                Action::SendPart { id, .. } => sends.push(*id),
                _ => {}
            }
        }
        for n in digests {
            let value = crc64::to_base64(crc64::checksum(&part_bytes(n)));
            next.extend(t.ev(Event::Digested {
                file: FileId(1),
                part: n,
                value: Some(value),
            }));
        }
        if next.is_empty() {
            break;
        }
        out = next;
    }
    assert_eq!(sends.len(), 3, "every part sent once digested and signed");
    let mut last = Vec::new();
    for id in sends {
        last = t.ev(Event::Stored {
            id,
            etag: Some("\"p\"".into()),
        });
    }
    let (_, checksum) = completes(&last).expect("complete once every part is stored");
    let whole: Vec<u8> = (1..=3).flat_map(part_bytes).collect();
    assert_eq!(
        checksum,
        Some(crc64::to_base64(crc64::checksum(&whole))),
        "the whole file's CRC64NVME"
    );
}

#[test]
fn other_algorithms_send_no_whole_file_value() {
    let cfg = Config {
        concurrency: 3,
        checksum: Some(ChecksumAlgorithm::Sha256),
        ..Config::default()
    };
    let mut t = T {
        e: Engine::new(cfg),
        now: 0,
    };
    t.add(1, 12 * MIB);
    assert_eq!(t.e.whole_checksum(FileId(1)), None);
}

#[test]
fn a_resumed_upload_reads_the_parts_an_earlier_page_sent_before_it_completes() {
    let record = record_u();
    let mut t = crc_engine();
    t.now = 1_000;
    let out = t.ev(Event::Add(FileSpec {
        resume: Some(record),
        ..spec(1, 12 * MIB)
    }));
    let list = find(&out, |a| {
        matches!(a, Action::ListParts { .. }).then(|| id_of(a))
    });
    // Every part is stored already: only complete is left, but its whole-file
    // value needs the digests this page never computed.
    let listed = (1..=3)
        .map(|n| s3lift_protocol::wire::ListedPart {
            part_number: n,
            size: part_bytes(n).len() as u64,
            etag: format!("\"{n}\""),
        })
        .collect();
    let out = t.signer(list, SignerAnswer::Listed(listed));
    assert!(
        completes(&out).is_none(),
        "not before the digests: {out:#?}"
    );
    let asked: Vec<u32> = out
        .iter()
        .filter_map(|a| match a {
            Action::Digest { part, .. } => Some(*part),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [1, 2, 3]);
    let mut last = Vec::new();
    for n in asked {
        let value = crc64::to_base64(crc64::checksum(&part_bytes(n)));
        last = t.ev(Event::Digested {
            file: FileId(1),
            part: n,
            value: Some(value),
        });
    }
    let (_, checksum) = completes(&last).expect("complete once every digest is in");
    let whole: Vec<u8> = (1..=3).flat_map(part_bytes).collect();
    assert_eq!(checksum, Some(crc64::to_base64(crc64::checksum(&whole))));
}

/// A signer whose store does not check checksums (`S3LIFT_STORE_CHECKSUMS`)
/// answers the create with `checksum: dropped`: nothing is digested, the
/// part URLs are asked for unbound, and complete carries no value.
#[test]
fn a_dropped_checksum_digests_nothing_and_completes_without_a_value() {
    let mut t = crc_engine();
    let out = t.add(1, 12 * MIB);
    let create = find(&out, |a| {
        matches!(a, Action::CreateMultipart { .. }).then(|| id_of(a))
    });
    let SignerAnswer::Created(mut answer) = created(3, 5 * MIB) else {
        unreachable!()
    };
    answer.checksum = Some(s3lift_protocol::wire::ChecksumDecision::Dropped);
    let mut out = t.signer(create, SignerAnswer::Created(answer));
    let mut sends = Vec::new();
    for _ in 0..10 {
        let mut next = Vec::new();
        for a in &out {
            match a {
                Action::Digest { part, .. } => panic!("part {part} digested for nothing"),
                Action::SignParts {
                    id,
                    parts,
                    checksums,
                    ..
                } => {
                    assert_eq!(checksums, &None, "URLs are not bound to digests");
                    next.extend(t.signer(*id, urls(parts)));
                }
                Action::SendPart { id, .. } => sends.push(*id),
                _ => {}
            }
        }
        if next.is_empty() {
            break;
        }
        out = next;
    }
    assert_eq!(sends.len(), 3, "every part is sent without a digest");
    let mut last = Vec::new();
    for id in sends {
        last = t.ev(Event::Stored {
            id,
            etag: Some("\"p\"".into()),
        });
    }
    let (_, checksum) = completes(&last).expect("complete once every part is stored");
    assert_eq!(
        checksum, None,
        "no whole-file value for a store that ignores it"
    );
}
