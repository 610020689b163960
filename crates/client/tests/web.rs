//! In headless Chromium (wasm-bindgen-test through chromedriver): slicing,
//! checksums and the two transports.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use s3lift_client::browser::{checksum, read};
use s3lift_client::js::{base64, crc32};
use s3lift_client::transport::{send, AbortHandle, Body, Failure, Kind, Put};
use s3lift_protocol::plan::{PartPlan, MIB};
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

fn blob_of(bytes: &[u8]) -> Blob {
    let parts = Array::new();
    parts.push(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[wasm_bindgen_test]
async fn plan_slices_cover_the_blob_exactly() {
    let data = pattern(12 * MIB as usize + 333);
    let blob = blob_of(&data);
    let plan = PartPlan::new(data.len() as u64, Some(5 * MIB)).unwrap();
    let mut joined = Vec::new();
    for part in plan.parts() {
        let slice = blob
            .slice_with_f64_and_f64(part.start as f64, part.end as f64)
            .unwrap();
        assert_eq!(slice.size() as u64, part.len());
        joined.extend(read(&slice).await.unwrap().to_vec());
    }
    assert_eq!(joined, data);
}

#[wasm_bindgen_test]
async fn checksums_match_known_values() {
    let bytes = Uint8Array::from(&b"123456789"[..]);
    assert_eq!(
        checksum(ChecksumAlgorithm::Crc32, &bytes).await.unwrap(),
        base64(&0xCBF4_3926u32.to_be_bytes())
    );
    assert_eq!(crc32(b""), 0);
    let empty = Uint8Array::new_with_length(0);
    // SHA-256 of the empty string, by WebCrypto.
    assert_eq!(
        checksum(ChecksumAlgorithm::Sha256, &empty).await.unwrap(),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert!(checksum(ChecksumAlgorithm::Md5, &empty).await.is_none());
}

fn origin() -> String {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).unwrap();
    js_sys::Reflect::get(&location, &"origin".into())
        .unwrap()
        .as_string()
        .unwrap()
}

async fn put(
    kind: Kind,
    url: &str,
    body: Body,
    abort: &AbortHandle,
    seen: Rc<Cell<f64>>,
) -> Result<u16, Failure> {
    let on_progress: Rc<dyn Fn(f64)> = Rc::new(move |b| seen.set(b));
    send(
        kind,
        Put {
            method: "POST",
            url,
            headers: &[("x-test".into(), "1".into())],
            body,
            on_progress,
            abort,
        },
    )
    .await
    .map(|a| a.status)
}

#[wasm_bindgen_test]
async fn both_transports_deliver_an_answer() {
    for kind in [Kind::Xhr, Kind::Fetch] {
        let seen = Rc::new(Cell::new(0.0));
        let body = Body::Blob(blob_of(&pattern(256 * 1024)));
        let status = put(
            kind,
            &format!("{}/no-such-route", origin()),
            body,
            &AbortHandle::default(),
            seen.clone(),
        )
        .await;
        let status = status.unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        assert!((200..600).contains(&status), "{kind:?}: {status}");
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_store_is_a_network_failure() {
    for kind in [Kind::Xhr, Kind::Fetch] {
        let seen = Rc::new(Cell::new(0.0));
        let out = put(
            kind,
            "http://127.0.0.1:9/",
            Body::Blob(blob_of(b"x")),
            &AbortHandle::default(),
            seen,
        )
        .await;
        assert_eq!(out, Err(Failure::Network), "{kind:?}");
    }
}

#[wasm_bindgen_test]
async fn an_aborted_request_reports_aborted() {
    for kind in [Kind::Xhr, Kind::Fetch] {
        let abort = AbortHandle::default();
        abort.abort();
        let out = put(
            kind,
            &format!("{}/x", origin()),
            Body::Blob(blob_of(b"abc")),
            &abort,
            Rc::new(Cell::new(0.0)),
        )
        .await;
        assert_eq!(out, Err(Failure::Aborted), "{kind:?}");
    }
}
