//! The hand-written readers of `decode` against serde's own JSON of the same
//! wire types (what the signer sends), plus Companion-shaped and broken answers.
#![cfg(target_arch = "wasm32")]

use s3lift_protocol::map::Map;

use s3lift_client::browser::resume_record_json;
use s3lift_client::decode::FromJs;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumDecision, CompleteResponse, CreateMultipartResponse, ErrorBody,
    ListedPart, ObjectChecksum, SingleCompleteResponse, UploadMethod, UploadParams,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn parse(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test JSON")
}

/// serde → JSON text → `JSON.parse` → `from_js` gives the value back.
fn round_trip<T: serde::Serialize + FromJs + PartialEq + std::fmt::Debug>(value: T) {
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(T::from_js(&parse(&json)).unwrap(), value, "{json}");
}

fn map(pairs: &[(&str, &str)]) -> Map<String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[wasm_bindgen_test]
fn signer_answers_read_back_as_serde_wrote_them() {
    round_trip(UploadParams {
        method: UploadMethod::Post,
        url: "https://s3.example/bucket".into(),
        fields: map(&[("key", "uploads/a/b.bin"), ("policy", "e30=")]),
        headers: Map::new(),
        key: Some("uploads/a/b.bin".into()),
        bucket: Some("bucket".into()),
        expires: Some(900),
        checksum: None,
    });
    round_trip(UploadParams {
        method: UploadMethod::Put,
        url: "https://s3.example/bucket/k".into(),
        fields: Map::new(),
        headers: map(&[("x-amz-checksum-crc64nvme", "rosUhgp5mIg=")]),
        key: Some("k".into()),
        bucket: None,
        expires: None,
        checksum: Some(ChecksumDecision::Signed),
    });
    round_trip(CreateMultipartResponse {
        key: "k".into(),
        upload_id: "u".into(),
        bucket: None,
        part_size: Some(8 << 20),
        part_count: Some(129),
        expires: Some(900),
        parts: None,
        checksum: None,
    });
    // `signParts`: the first window of part URLs rides on the create answer.
    round_trip(CreateMultipartResponse {
        key: "k".into(),
        upload_id: "u".into(),
        bucket: Some("b".into()),
        part_size: Some(5 << 20),
        part_count: Some(3),
        expires: Some(900),
        parts: Some(BatchSignResponse {
            presigned_urls: map(&[("1", "https://a/1"), ("2", "https://a/2")]),
            headers: Map::new(),
            expires: Some(900),
        }),
        checksum: Some(ChecksumDecision::Dropped),
    });
    let mut headers = Map::new();
    headers.insert(
        "2".to_string(),
        map(&[("x-amz-checksum-crc32", "AAAAAA==")]),
    );
    round_trip(BatchSignResponse {
        presigned_urls: map(&[("1", "https://a/1"), ("2", "https://a/2")]),
        headers,
        expires: None,
    });
    round_trip(vec![
        ListedPart {
            part_number: 1,
            size: 5 << 20,
            etag: "\"a\"".into(),
        },
        ListedPart {
            part_number: 3,
            size: 17,
            etag: "\"c\"".into(),
        },
    ]);
    round_trip(CompleteResponse {
        location: "https://s3.example/b/k".into(),
        key: Some("k".into()),
        bucket: None,
        etag: Some("\"x-2\"".into()),
        checksum: None,
    });
    round_trip(CompleteResponse {
        location: "https://s3.example/b/k".into(),
        key: Some("k".into()),
        bucket: Some("b".into()),
        etag: Some("\"x-3\"".into()),
        checksum: Some(ObjectChecksum {
            crc64nvme: "rosUhgp5mIg=".into(),
        }),
    });
    round_trip(SingleCompleteResponse {
        key: "k".into(),
        bucket: "b".into(),
        location: "https://s3.example/b/k".into(),
        etag: "\"e\"".into(),
        size: 1000,
        checksum: None,
    });
    round_trip(SingleCompleteResponse {
        key: "k".into(),
        bucket: "b".into(),
        location: "https://s3.example/b/k".into(),
        etag: "\"e\"".into(),
        size: 1000,
        checksum: Some(ObjectChecksum {
            crc64nvme: "rosUhgp5mIg=".into(),
        }),
    });
    round_trip(ErrorBody {
        error: "No token".into(),
        code: "missing_token".into(),
    });
}

#[wasm_bindgen_test]
fn companion_shapes_without_extensions_are_read() {
    let p = UploadParams::from_js(&parse(
        r#"{"method":"put","url":"https://a","fields":{},"headers":{"content-type":"image/png"}}"#,
    ))
    .unwrap();
    assert_eq!(p.method, UploadMethod::Put);
    assert_eq!(p.key, None);
    assert_eq!(p.headers, map(&[("content-type", "image/png")]));
    let c = CreateMultipartResponse::from_js(&parse(r#"{"key":"k","uploadId":"u","extra":1}"#))
        .unwrap();
    assert_eq!((c.part_size, c.bucket), (None, None));
    let b = BatchSignResponse::from_js(&parse(r#"{"presignedUrls":{"1":"https://a"}}"#)).unwrap();
    assert!(b.headers.is_empty());
    let e = ErrorBody::from_js(&parse(r#"{"error":"nope","code":null}"#)).unwrap();
    assert_eq!(e.code, "");
}

#[wasm_bindgen_test]
fn broken_answers_name_the_field() {
    let cases: &[(&str, Result<(), &str>)] = &[
        (r#"{"key":"k"}"#, Err("uploadId")),
        (r#"{"key":"k","uploadId":7}"#, Err("uploadId")),
        (
            r#"{"key":"k","uploadId":"u","partSize":-1}"#,
            Err("partSize"),
        ),
        (
            r#"{"key":"k","uploadId":"u","partSize":1.5}"#,
            Err("partSize"),
        ),
        (
            r#"{"key":"k","uploadId":"u","partCount":5000000000}"#,
            Err("partCount"),
        ),
        (r#"[]"#, Err(".")),
        (r#""text""#, Err(".")),
        // Several wrong fields: the first one, in the type's order, is named.
        (r#"{"uploadId":7}"#, Err("key")),
        (
            r#"{"key":"k","uploadId":"u","partSize":-1,"partCount":0.5}"#,
            Err("partSize"),
        ),
    ];
    for (json, want) in cases {
        let got = CreateMultipartResponse::from_js(&parse(json)).map(|_| ());
        assert_eq!(&got, want, "{json}");
    }
    assert_eq!(
        BatchSignResponse::from_js(&parse("{}")).unwrap_err(),
        "presignedUrls"
    );
    assert_eq!(
        BatchSignResponse::from_js(&parse(r#"{"presignedUrls":{"1":5}}"#)).unwrap_err(),
        "presignedUrls"
    );
    assert_eq!(
        BatchSignResponse::from_js(&parse(r#"{"presignedUrls":{},"headers":{"1":{"a":1}}}"#))
            .unwrap_err(),
        "headers"
    );
    assert_eq!(
        UploadParams::from_js(&parse(r#"{"method":"PATCH","url":"u"}"#)).unwrap_err(),
        "method"
    );
    assert_eq!(
        Vec::<ListedPart>::from_js(&parse(r#"[{"PartNumber":1,"Size":1}]"#)).unwrap_err(),
        "ETag"
    );
    assert_eq!(
        Vec::<ListedPart>::from_js(&parse(r#"{"PartNumber":1}"#)).unwrap_err(),
        "."
    );
}

#[wasm_bindgen_test]
fn resume_records_survive_storage() {
    let r = ResumeRecord {
        upload_id: "u".into(),
        // JSON escapes: quotes, a backslash, a control character.
        key: "uploads/alice/x/\"q\"\\f\u{1}ü.bin".into(),
        part_size: 8 << 20,
        fingerprint: "abc-123".into(),
        created_at: 1_764_500_000_123.0,
        completing: false,
    };
    // What the driver writes to localStorage reads back, with the mark a
    // complete leaves or without it (as records from before the mark).
    let text = resume_record_json(&r);
    assert!(!text.contains("completing"), "{text}");
    assert_eq!(ResumeRecord::from_js(&parse(&text)).unwrap(), r);
    let marked = ResumeRecord {
        completing: true,
        ..r.clone()
    };
    let text = resume_record_json(&marked);
    assert_eq!(ResumeRecord::from_js(&parse(&text)).unwrap(), marked);
    // A record written by serde (an earlier version) reads back too.
    round_trip(r);
    round_trip(marked);
}

/// `js::get` reads as `Reflect.get` did: a primitive has no fields (a string's
/// `length` is not one), `null` has none, and a getter that throws reads as absent.
#[wasm_bindgen_test]
fn fields_of_primitives_and_throwing_getters_are_absent() {
    use s3lift_client::js::get;
    assert!(get(&JsValue::from_str("abc"), "length").is_undefined());
    assert!(get(&JsValue::NULL, "url").is_undefined());
    assert_eq!(
        get(&parse(r#"{"url":"u"}"#), "url").as_string().as_deref(),
        Some("u")
    );
    let throwing = js_sys::Function::new_no_args(
        "return Object.defineProperty({}, 'url', { get() { throw new Error('no'); } });",
    )
    .call0(&JsValue::UNDEFINED)
    .unwrap();
    assert!(get(&throwing, "url").is_undefined());
}

/// `upload()`'s `metadata` is read by `decode::entries` laxly: any object (an
/// array by its indexes), its entries of a string value, nothing else; the
/// signer's maps strictly (a plain object of strings, or the field is named).
#[wasm_bindgen_test]
fn metadata_is_read_laxly_and_answers_strictly() {
    use s3lift_client::decode::entries;
    let lax = |json: &str| entries(&parse(json), "metadata", JsValue::as_string, true);
    assert_eq!(
        lax(r#"{"a":"1","b":2,"c":null,"d":{"e":"f"},"g":"h"}"#),
        Ok(map(&[("a", "1"), ("g", "h")]))
    );
    assert_eq!(lax(r#"["x",3]"#), Ok(map(&[("0", "x")])));
    for json in [r#""text""#, "7", "null", "true"] {
        assert_eq!(lax(json), Ok(Map::new()), "{json}");
    }
    assert_eq!(
        entries(&JsValue::UNDEFINED, "metadata", JsValue::as_string, true),
        Ok(Map::new())
    );
    let strict = |json: &str| entries(&parse(json), "fields", JsValue::as_string, false);
    assert_eq!(strict(r#"{"a":"1"}"#), Ok(map(&[("a", "1")])));
    assert_eq!(strict("null"), Ok(Map::new()));
    for json in [r#"{"a":"1","b":2}"#, r#"["x"]"#, r#""text""#] {
        assert_eq!(strict(json), Err("fields"), "{json}");
    }
}

/// Every field kind of `decode`'s tables (which write each field in place by
/// its offset): wrong types are named, absent optional fields keep their
/// default, and a kind never reads into another kind's field.
#[wasm_bindgen_test]
fn each_field_kind_reads_its_own_type() {
    let params = |json: &str| UploadParams::from_js(&parse(json));
    assert_eq!(
        params(r#"{"method":"signed","url":"u"}"#).unwrap_err(),
        "method"
    );
    assert_eq!(
        params(r#"{"method":"POST","url":"u","checksum":"PUT"}"#).unwrap_err(),
        "checksum"
    );
    let p = params(r#"{"method":"post","url":"u","checksum":"dropped","expires":null}"#).unwrap();
    assert_eq!(
        (p.method, p.checksum, p.expires, p.key),
        (
            UploadMethod::Post,
            Some(ChecksumDecision::Dropped),
            None,
            None
        )
    );
    assert_eq!(
        params(r#"{"method":"PUT","url":"u","key":5}"#).unwrap_err(),
        "key"
    );
    assert_eq!(params(r#"{"method":"PUT"}"#).unwrap_err(), "url");
    assert_eq!(
        params(r#"{"method":"PUT","url":"u","fields":[]}"#).unwrap_err(),
        "fields"
    );
    let listed = |json: &str| Vec::<ListedPart>::from_js(&parse(json));
    assert_eq!(
        listed(r#"[{"PartNumber":4294967296,"Size":1,"ETag":"e"}]"#).unwrap_err(),
        "PartNumber"
    );
    assert_eq!(
        listed(r#"[{"PartNumber":4294967295,"Size":1,"ETag":"e"}]"#).unwrap()[0].part_number,
        u32::MAX
    );
    assert_eq!(
        listed(r#"[{"PartNumber":1,"Size":"1","ETag":"e"}]"#).unwrap_err(),
        "Size"
    );
    let create = |json: &str| CreateMultipartResponse::from_js(&parse(json));
    assert_eq!(
        create(r#"{"key":"k","uploadId":"u","parts":{"headers":{}},"checksum":"x"}"#).unwrap_err(),
        "parts"
    );
    assert_eq!(
        create(r#"{"key":"k","uploadId":"u","partCount":4294967295}"#)
            .unwrap()
            .part_count,
        Some(u32::MAX)
    );
    let complete = |json: &str| CompleteResponse::from_js(&parse(json));
    assert_eq!(
        complete(r#"{"location":"l","checksum":{"crc64nvme":5}}"#)
            .unwrap()
            .checksum,
        None
    );
    assert_eq!(
        complete(r#"{"location":"l","checksum":7}"#)
            .unwrap()
            .checksum,
        None
    );
    let error = |json: &str| ErrorBody::from_js(&parse(json));
    assert_eq!(error(r#"{"error":"e"}"#).unwrap().code, "");
    assert_eq!(error(r#"{"error":"e","code":5}"#).unwrap_err(), "code");
    assert_eq!(error(r#"{"code":"c"}"#).unwrap_err(), "error");
    let record = |json: &str| ResumeRecord::from_js(&parse(json));
    let base = r#""uploadId":"u","key":"k","partSize":5,"fingerprint":"f""#;
    assert_eq!(
        record(&format!(r#"{{{base},"createdAt":"x"}}"#)).unwrap_err(),
        "createdAt"
    );
    let r = record(&format!(r#"{{{base},"createdAt":1.5,"completing":"yes"}}"#)).unwrap();
    assert_eq!((r.created_at, r.completing, r.part_size), (1.5, false, 5));
    assert!(
        record(&format!(r#"{{{base},"createdAt":-2,"completing":true}}"#))
            .unwrap()
            .completing
    );
}
