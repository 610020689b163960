use super::*;

#[test]
fn reads_a_plain_companion_create_answer() {
    let r: CreateMultipartResponse =
        serde_json::from_str(r#"{"key":"a/b.bin","uploadId":"xyz"}"#).unwrap();
    assert_eq!(r.upload_id, "xyz");
    assert_eq!(r.part_size, None);
}

#[test]
fn list_parts_uses_s3_casing() {
    let p: Vec<ListedPart> =
        serde_json::from_str(r#"[{"PartNumber":1,"Size":5,"ETag":"\"e\"","LastModified":"x"}]"#)
            .unwrap();
    assert_eq!(p[0].etag, "\"e\"");
    let s = serde_json::to_string(&CompletedPart {
        part_number: 2,
        etag: "\"x\"".into(),
    })
    .unwrap();
    assert_eq!(s, r#"{"PartNumber":2,"ETag":"\"x\""}"#);
}

#[test]
fn checksum_list_round_trips_and_validates() {
    let sha = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let l: ChecksumList = format!("sha256:{sha},{sha}").parse().unwrap();
    assert_eq!(l.values.len(), 2);
    assert_eq!(l.to_string(), format!("sha256:{sha},{sha}"));
    assert!("crc32:AAAAAA==".parse::<ChecksumList>().is_ok());
    assert!(matches!(
        "sha256:AAAA".parse::<ChecksumList>(),
        Err(ChecksumListError::BadValue { index: 0, .. })
    ));
    assert!(matches!(
        "blake3:AAAA".parse::<ChecksumList>(),
        Err(ChecksumListError::UnknownAlgorithm(_))
    ));
    assert!(matches!(
        "AAAA".parse::<ChecksumList>(),
        Err(ChecksumListError::MissingAlgorithm)
    ));
}

#[test]
fn batch_and_create_bodies_keep_their_wire_shape() {
    let b: ParamsBatchRequest = serde_json::from_str(
        r#"{"files":[{"filename":"a.txt","type":"text/plain","size":3,"method":"post"}]}"#,
    )
    .unwrap();
    assert_eq!(b.files[0].method, Some(UploadMethod::Post));
    let answer = ParamsBatchResponse {
        params: vec![ParamsBatchEntry::Refused(ErrorBody {
            error: "no".into(),
            code: crate::error_code::ErrorCode::TooLarge.as_str().into(),
        })],
    };
    assert_eq!(
        serde_json::to_string(&answer).unwrap(),
        r#"{"params":[{"error":"no","code":"too_large"}]}"#
    );
    let c: CreateMultipartBody = serde_json::from_str(
        r#"{"filename":"a","size":9,"partSize":5242880,"checksumAlgorithm":"sha256"}"#,
    )
    .unwrap();
    assert_eq!(c.base.size, Some(9));
    assert_eq!(c.part_size, Some(5_242_880));
    assert_eq!(c.checksum_algorithm, Some(ChecksumAlgorithm::Sha256));
}

#[test]
fn metadata_values_accept_scalars() {
    let r: CreateMultipartRequest = serde_json::from_str(
        r#"{"filename":"a","metadata":{"n":3,"b":true,"s":"x","relativePath":null,"o":{"a":[1]}}}"#,
    )
    .unwrap();
    assert_eq!(r.metadata["n"].to_metadata_string(), Some("3"));
    assert_eq!(r.metadata["b"].to_metadata_string(), Some("true"));
    assert_eq!(r.metadata["relativePath"].to_metadata_string(), None);
    assert_eq!(r.metadata["o"].to_metadata_string(), None);
}

#[test]
fn the_complete_route_with_a_fixed_url_carries_the_upload_in_its_body() {
    let text = r#"{"uploadId":"u1","key":"a/b.bin","parts":[{"PartNumber":1,"ETag":"\"e\""}],"checksumCrc64nvme":"AAAAAAAAAAA="}"#;
    let body: CompleteUploadRequest = serde_json::from_str(text).unwrap();
    assert_eq!(body.upload_id, "u1");
    assert_eq!(body.key, "a/b.bin");
    assert_eq!(body.complete.parts[0].part_number, 1);
    assert_eq!(
        body.complete.checksum_crc64nvme.as_deref(),
        Some("AAAAAAAAAAA=")
    );
    assert_eq!(serde_json::to_string(&body).unwrap(), text);
    // Without the upload, it is not this route's body.
    assert!(serde_json::from_str::<CompleteUploadRequest>(r#"{"parts":[]}"#).is_err());
}
