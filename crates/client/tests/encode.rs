//! The request bodies `signer::request` and the snippet's `route` write by hand (Rust the
//! fields, JS the method, URL and body), against serde's JSON
//! of the same wire types (what the signer reads): equal as JSON values, so
//! no field is missing, extra, renamed or typed differently. `decode.rs`
//! checks the other direction, the answers.
#![cfg(target_arch = "wasm32")]

use s3lift_client::signer::request;
use s3lift_engine::api::ParamsRequest;
use s3lift_engine::{Action, FileId, RequestId};
use s3lift_protocol::map::Map;
use s3lift_protocol::wire::serde_json_value::Value as MetaValue;
use s3lift_protocol::wire::{
    ChecksumAlgorithm, ChecksumList, CompleteRequest, CompleteUploadRequest, CompletedPart,
    ConfirmBatchRequest, CreateMultipartBody, CreateMultipartRequest, ParamsBatchFile,
    ParamsBatchRequest, ParamsQuery, UploadMethod,
};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/src/io.js")]
extern "C" {
    /// `[method, path, body]` of the fields `signer::request` wrote.
    fn route(spec: &str) -> js_sys::Array;
}

/// The method and path of the call `action` names, and its body (`None`: none).
fn call_of(action: &Action, checksum: Option<&str>) -> (String, String, Option<Value>) {
    let r = request(action, checksum).expect("a signer call");
    let a = route(&r.spec);
    let body = a.get(2);
    let body = (!body.is_undefined()).then(|| {
        let text: String = js_sys::JSON::stringify(&body).unwrap().into();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    });
    (
        a.get(0).as_string().unwrap(),
        a.get(1).as_string().unwrap(),
        body,
    )
}

/// The body of the request `action` names, as a JSON value, with its method and path.
fn body_of(action: &Action, checksum: Option<&str>) -> (String, String, Value) {
    let (method, path, body) = call_of(action, checksum);
    (method, path, body.expect("a body"))
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).unwrap()
}

/// The largest whole number a JS number holds exactly (`Number.MAX_SAFE_INTEGER`): every
/// size and part size comes from one (`File.size`, the `partSize` option), and the snippet
/// reads the fields as JS numbers.
const MAX_SAFE: u64 = (1 << 53) - 1;

/// Names that need escaping, and a path inside a picked folder.
const NAME: &str = "a \"quoted\"\\name\n\u{1}€𝄞.bin";
const PATH: &str = "photos/2024/ünï/a \"quoted\"\\name\n\u{1}€𝄞.bin";

#[wasm_bindgen_test]
fn create_bodies_are_serde_s_create_multipart_body() {
    let mut metadata: Map<MetaValue> = Map::default();
    metadata.insert("owner".into(), MetaValue::Scalar("ü \"x\"\n".into()));
    metadata.insert("k\"ey".into(), MetaValue::Scalar(String::new()));
    let base = CreateMultipartRequest {
        filename: NAME.into(),
        content_type: Some("video/mp4".into()),
        metadata,
        size: Some(5 * 1024 * 1024 * 1024 * 1024),
        relative_path: Some(PATH.into()),
    };
    for (part_size, sign_parts, checksum) in [
        (
            Some(8 * 1024 * 1024),
            Some(6),
            Some(ChecksumAlgorithm::Crc64nvme),
        ),
        (None, None, None),
        (
            Some(MAX_SAFE),
            Some(u32::MAX),
            Some(ChecksumAlgorithm::Sha256),
        ),
    ] {
        let action = Action::CreateMultipart {
            id: RequestId(1),
            file: FileId(1),
            request: base.clone(),
            part_size,
            sign_parts,
        };
        let (method, path, body) = body_of(&action, checksum.map(|c| c.as_str()));
        assert_eq!((method.as_str(), path.as_str()), ("POST", "/multipart"));
        let want = CreateMultipartBody {
            base: base.clone(),
            part_size,
            checksum_algorithm: checksum,
            sign_parts,
        };
        assert_eq!(body, to_value(&want));
    }
    // Without size, folder path or metadata: the optional fields are left out.
    let bare = CreateMultipartRequest {
        filename: "a.bin".into(),
        content_type: Some("application/octet-stream".into()),
        metadata: Map::default(),
        size: None,
        relative_path: None,
    };
    let action = Action::CreateMultipart {
        id: RequestId(2),
        file: FileId(2),
        request: bare.clone(),
        part_size: None,
        sign_parts: None,
    };
    let want = CreateMultipartBody {
        base: bare,
        part_size: None,
        checksum_algorithm: None,
        sign_parts: None,
    };
    assert_eq!(body_of(&action, None).2, to_value(&want));
}

#[wasm_bindgen_test]
fn params_batch_bodies_are_serde_s_params_batch_request() {
    let query = |name: &str, size: u64, path: Option<&str>, crc: Option<&str>| ParamsQuery {
        filename: name.into(),
        content_type: Some("text/plain".into()),
        size: Some(size),
        relative_path: path.map(Into::into),
        checksum_crc64nvme: crc.map(Into::into),
    };
    let items = [
        (query(NAME, 0, Some(PATH), None), UploadMethod::Post),
        (
            query("b.txt", 65536, None, Some("rosUhgp5mIg=")),
            UploadMethod::Put,
        ),
        (query("c.txt", MAX_SAFE, None, None), UploadMethod::Post),
    ];
    let action = Action::SignParamsBatch {
        id: RequestId(3),
        files: items
            .iter()
            .enumerate()
            .map(|(i, (q, m))| ParamsRequest {
                file: FileId(i as u64),
                query: q.clone(),
                method: *m,
            })
            .collect(),
    };
    let (method, path, body) = body_of(&action, None);
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/params"));
    let want = ParamsBatchRequest {
        files: items
            .iter()
            .map(|(q, m)| ParamsBatchFile {
                filename: q.filename.clone(),
                content_type: q.content_type.clone(),
                size: q.size.unwrap(),
                method: Some(*m),
                relative_path: q.relative_path.clone(),
                checksum_crc64nvme: q.checksum_crc64nvme.clone(),
            })
            .collect(),
    };
    assert_eq!(body, to_value(&want));
}

#[wasm_bindgen_test]
fn complete_bodies_are_serde_s_complete_requests_on_both_routes() {
    let parts = vec![
        CompletedPart {
            part_number: 1,
            etag: "\"9b2cf535f27731c974343645a3985328\"".into(),
        },
        CompletedPart {
            part_number: 10_000,
            etag: "\"e\\\"\"".into(),
        },
    ];
    // With the parts in flight pending (a complete ahead of their answers),
    // and without; a list of parts empty when all are pending.
    let cases = [
        (parts.clone(), vec![]),
        (parts.clone(), vec![2, 3, 9_999]),
        (vec![], vec![1]),
    ];
    for (checksum, (parts, pending)) in [None, Some("rosUhgp5mIg=".to_string())]
        .into_iter()
        .flat_map(|c| cases.clone().map(|p| (c.clone(), p)))
    {
        let complete = CompleteRequest {
            parts: parts.clone(),
            checksum_crc64nvme: checksum.clone(),
            pending: pending.clone(),
        };
        for in_body in [false, true] {
            let action = Action::Complete {
                id: RequestId(4),
                file: FileId(4),
                upload_id: "up/load id+=".into(),
                key: "u/1/ü name.bin".into(),
                parts: parts.clone(),
                pending: pending.clone(),
                checksum: checksum.clone(),
                in_body,
            };
            let (method, path, body) = body_of(&action, None);
            assert_eq!(method, "POST");
            if in_body {
                assert_eq!(path, "/multipart/complete");
                let want = CompleteUploadRequest {
                    upload_id: "up/load id+=".into(),
                    key: "u/1/ü name.bin".into(),
                    complete: complete.clone(),
                };
                assert_eq!(body, to_value(&want));
            } else {
                assert_eq!(
                    path,
                    "/multipart/up%2Fload%20id%2B%3D/complete?key=u%2F1%2F%C3%BC%20name.bin"
                );
                assert_eq!(body, to_value(&complete));
            }
        }
    }
}

#[wasm_bindgen_test]
fn confirm_bodies_are_serde_s_confirm_batch_request() {
    let keys: Vec<String> = vec!["u/1/a.txt".into(), format!("u/1/{PATH}"), String::new()];
    let action = Action::Confirm {
        id: RequestId(5),
        files: vec![FileId(1), FileId(2), FileId(3)],
        keys: keys.clone(),
    };
    let (method, path, body) = body_of(&action, None);
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/params/complete")
    );
    assert_eq!(body, to_value(&ConfirmBatchRequest { keys }));
}

/// The calls without a body: their method and URL, each field encoded as
/// `encodeURIComponent` does (the part numbers' commas as they are).
#[wasm_bindgen_test]
fn calls_without_a_body_have_their_method_and_url() {
    let (up, key) = ("up/load id+=".to_string(), "u/1/ü name.bin".to_string());
    let base = "/multipart/up%2Fload%20id%2B%3D";
    let k = "?key=u%2F1%2F%C3%BC%20name.bin";
    let (id, file) = (RequestId(6), FileId(6));
    let query = |content_type: Option<&str>, size, path: Option<&str>, crc: Option<&str>| {
        Action::SignParams {
            id,
            file,
            query: ParamsQuery {
                filename: "a b&c.bin".into(),
                content_type: content_type.map(Into::into),
                size,
                relative_path: path.map(Into::into),
                checksum_crc64nvme: crc.map(Into::into),
            },
        }
    };
    let cases = [
        (
            query(Some("text/plain"), Some(12), None, None),
            "GET",
            "/params?filename=a%20b%26c.bin&type=text%2Fplain&size=12&method=post".to_string(),
        ),
        (
            query(None, None, Some("d/ü/a b&c.bin"), Some("rosUhgp5mIg=")),
            "GET",
            "/params?filename=a%20b%26c.bin&type=&size=0&method=post\
             &relativePath=d%2F%C3%BC%2Fa%20b%26c.bin&checksumCrc64nvme=rosUhgp5mIg%3D"
                .to_string(),
        ),
        (
            Action::SignParts {
                id,
                file,
                upload_id: up.clone(),
                key: key.clone(),
                parts: vec![1, 2, 10_000],
                checksums: None,
            },
            "GET",
            format!("{base}/batch{k}&partNumbers=1,2,10000"),
        ),
        (
            Action::SignParts {
                id,
                file,
                upload_id: up.clone(),
                key: key.clone(),
                parts: vec![3, 4],
                checksums: Some(ChecksumList {
                    algorithm: ChecksumAlgorithm::Crc64nvme,
                    values: vec!["a+/=".into(), "b".into()],
                }),
            },
            "GET",
            format!("{base}/batch{k}&partNumbers=3,4&checksums=crc64nvme%3Aa%2B%2F%3D%2Cb"),
        ),
        (
            Action::SignPart {
                id,
                file,
                upload_id: up.clone(),
                key: key.clone(),
                part: 42,
            },
            "GET",
            format!("{base}/42{k}"),
        ),
        (
            Action::ListParts {
                id,
                file,
                upload_id: up.clone(),
                key: key.clone(),
            },
            "GET",
            format!("{base}{k}"),
        ),
        (
            Action::Abort {
                id,
                file,
                upload_id: up.clone(),
                key: key.clone(),
            },
            "DELETE",
            format!("{base}{k}"),
        ),
    ];
    for (action, method, url) in cases {
        let (m, path, body) = call_of(&action, None);
        assert_eq!((m.as_str(), path.as_str()), (method, url.as_str()));
        assert!(body.is_none(), "no body: {path}");
    }
}
