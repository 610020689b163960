//! A single-request file with CRC64NVME checksums (issue 15): the driver
//! digests the whole file first, the params request carries the value for
//! the signer to sign, and the confirmed result carries what the store holds.

use s3lift_protocol::crc64;
use s3lift_protocol::wire::{
    ChecksumAlgorithm, ChecksumDecision, ObjectChecksum, SingleCompleteResponse,
};

use super::*;

fn crc_engine() -> T {
    let cfg = Config {
        concurrency: 2,
        checksum: Some(ChecksumAlgorithm::Crc64nvme),
        ..Config::default()
    };
    T {
        e: Engine::new(cfg),
        now: 0,
    }
}

#[test]
fn the_params_request_carries_the_whole_files_crc64nvme() {
    let mut t = crc_engine();
    let out = t.add(1, 100);
    let asked = out.iter().find_map(|a| match a {
        Action::Digest {
            file,
            part,
            start,
            end,
            algorithm,
        } => Some((*file, *part, *start, *end, *algorithm)),
        _ => None,
    });
    assert_eq!(
        asked,
        Some((FileId(1), 1, 0, 100, ChecksumAlgorithm::Crc64nvme)),
        "the whole file is digested: {out:#?}"
    );
    assert!(
        !out.iter()
            .any(|a| matches!(a, Action::SignParamsBatch { .. })),
        "no params before the digest: {out:#?}"
    );
    let value = crc64::to_base64(crc64::checksum(&[7u8; 100]));
    let out = t.ev(Event::Digested {
        file: FileId(1),
        part: 1,
        value: Some(value.clone()),
    });
    let sent = out.iter().find_map(|a| match a {
        Action::SignParamsBatch { files, .. } => Some(files[0].query.checksum_crc64nvme.clone()),
        _ => None,
    });
    assert_eq!(sent, Some(Some(value.clone())), "{out:#?}");

    // The signer signed it; the store stored it; the confirm reads it back.
    let mut p = params(Some("a/1.txt"), None, Some(900));
    p.method = UploadMethod::Put;
    p.headers
        .insert("x-amz-checksum-crc64nvme".into(), value.clone());
    p.checksum = Some(ChecksumDecision::Signed);
    let out = t.signer(batch_id(&out), SignerAnswer::ParamsBatch(vec![Ok(p)]));
    let (id, params) = send_single(&out);
    assert_eq!(
        params.headers.get("x-amz-checksum-crc64nvme"),
        Some(&value),
        "the driver sends the signed header"
    );
    let out = t.ev(Event::Stored {
        id,
        etag: Some("\"e\"".into()),
    });
    let answer = SingleCompleteResponse {
        key: "a/1.txt".into(),
        bucket: "b".into(),
        location: "l".into(),
        etag: "\"e\"".into(),
        size: 100,
        checksum: Some(ObjectChecksum {
            crc64nvme: value.clone(),
        }),
    };
    let out = t.signer(confirm_id(&out), SignerAnswer::Confirmed(vec![Ok(answer)]));
    let ok = finished(&out).unwrap().as_ref().unwrap();
    assert_eq!(ok.checksum.as_deref(), Some(value.as_str()));
}

#[test]
fn an_unreadable_file_fails_before_any_signer_call() {
    let mut t = crc_engine();
    t.add(1, 100);
    let out = t.ev(Event::Digested {
        file: FileId(1),
        part: 1,
        value: None,
    });
    let err = finished(&out).unwrap().as_ref().unwrap_err();
    assert_eq!(err.code, crate::error::codes::READ_FAILED);
    assert!(!out
        .iter()
        .any(|a| matches!(a, Action::SignParamsBatch { .. })));
}

#[test]
fn without_checksums_nothing_is_digested() {
    let mut t = T::new(2);
    let out = t.add(1, 100);
    assert!(!out.iter().any(|a| matches!(a, Action::Digest { .. })));
    let sent = out.iter().find_map(|a| match a {
        Action::SignParamsBatch { files, .. } => Some(files[0].query.checksum_crc64nvme.clone()),
        _ => None,
    });
    assert_eq!(sent, Some(None));
}
