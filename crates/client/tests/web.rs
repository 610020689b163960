//! In headless Chromium (wasm-bindgen-test through chromedriver): slicing,
//! checksums and the two transports.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use s3lift_client::browser::digest;
use s3lift_client::js::abort;
use s3lift_client::transport::{send, Kind};
use s3lift_protocol::plan::{PartPlan, MIB};
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
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

/// What the snippet's `digest` answers for bytes `start..end` with `algo`.
async fn digest_of(blob: &Blob, start: u64, end: u64, algo: ChecksumAlgorithm) -> Option<String> {
    let got: Rc<RefCell<JsValue>> = Rc::default();
    let g = got.clone();
    let settled = Promise::new(&mut |resolve, _| {
        let g = g.clone();
        let done = Closure::once_into_js(move |file: f64, part: u32, value: JsValue| {
            assert_eq!((file, part), (7.0, 3));
            *g.borrow_mut() = value;
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
        digest(blob, start, end, algo, 7.0, 3, &done);
    });
    JsFuture::from(settled).await.unwrap();
    let value = got.borrow().clone();
    value.as_string()
}

#[wasm_bindgen_test]
async fn plan_slices_cover_the_blob_exactly() {
    let data = pattern(12 * MIB as usize + 333);
    let blob = blob_of(&data);
    let plan = PartPlan::new(data.len() as u64, Some(5 * MIB)).unwrap();
    let mut joined = Vec::new();
    for part in plan.parts() {
        // The part's SHA-256, against that of a blob of the slice of `data`.
        let sha = digest_of(&blob, part.start, part.end, ChecksumAlgorithm::Sha256).await;
        let want = &data[part.start as usize..part.end as usize];
        let len = want.len() as u64;
        let whole = digest_of(&blob_of(want), 0, len, ChecksumAlgorithm::Sha256).await;
        assert!(sha.is_some());
        assert_eq!(sha, whole);
        joined.extend_from_slice(want);
    }
    assert_eq!(joined, data);
}

#[wasm_bindgen_test]
async fn checksums_match_known_values() {
    let blob = blob_of(b"123456789");
    // SHA-256, by WebCrypto.
    assert_eq!(
        digest_of(&blob, 0, 0, ChecksumAlgorithm::Sha256)
            .await
            .unwrap(),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    );
    assert_eq!(
        digest_of(&blob, 0, 9, ChecksumAlgorithm::Sha256)
            .await
            .unwrap(),
        "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="
    );
}

#[wasm_bindgen_test]
async fn without_the_digest_module_a_digest_has_no_value() {
    // The test page has no s3lift-digest.wasm (the npm package has: the
    // browser tests check CRC-32, CRC64NVME and MD5 there): the snippet
    // answers no value, and never hangs.
    let blob = blob_of(b"123456789");
    for algo in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc64nvme,
        ChecksumAlgorithm::Md5,
    ] {
        assert_eq!(digest_of(&blob, 0, 9, algo).await, None, "{algo:?}");
    }
}

fn origin() -> String {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).unwrap();
    js_sys::Reflect::get(&location, &"origin".into())
        .unwrap()
        .as_string()
        .unwrap()
}

/// POSTs `body` with `kind`; returns the status the snippet answered (0:
/// no answer) and the last progress figure. `stop` aborts it at once.
async fn put(kind: Kind, url: &str, body: &[u8], stop: bool) -> (u16, f64) {
    let seen = Rc::new(Cell::new(0.0));
    let s = seen.clone();
    let progress = Closure::<dyn FnMut(f64, f64)>::new(move |id: f64, b: f64| {
        assert_eq!(id, 5.0);
        s.set(b);
    });
    let status = Rc::new(Cell::new(u16::MAX));
    let st = status.clone();
    let file = blob_of(body);
    let settled = Promise::new(&mut |resolve, _| {
        let st = st.clone();
        let done = Closure::once_into_js(move |id: f64, s: u16| {
            assert_eq!(id, 5.0);
            st.set(s);
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
        let handle = send(
            kind,
            url,
            r#"{"x-test":"1","Content-Length":"3"}"#,
            &file,
            (0.0, body.len() as f64),
            "",
            5.0,
            progress.as_ref(),
            &done,
        );
        if stop {
            abort(&handle);
        }
    });
    JsFuture::from(settled).await.unwrap();
    (status.get(), seen.get())
}

#[wasm_bindgen_test]
async fn both_transports_deliver_an_answer() {
    for kind in [Kind::Xhr, Kind::Fetch] {
        let url = format!("{}/no-such-route", origin());
        let (status, _) = put(kind, &url, &pattern(256 * 1024), false).await;
        assert!((200..600).contains(&status), "{kind:?}: {status}");
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_store_is_a_network_failure() {
    for kind in [Kind::Xhr, Kind::Fetch] {
        let (status, _) = put(kind, "http://127.0.0.1:9/", b"x", false).await;
        assert_eq!(status, 0, "{kind:?}");
    }
}

#[wasm_bindgen_test]
async fn an_aborted_request_answers_no_status() {
    // The driver takes the request out of its table before it aborts, so
    // this answer is dropped; here, only that it never looks like a store's.
    for kind in [Kind::Xhr, Kind::Fetch] {
        let url = format!("{}/x", origin());
        let (status, sent) = put(kind, &url, b"abc", true).await;
        assert_eq!((status, sent), (0, 0.0), "{kind:?}");
    }
}

/// A burst of allocations of many sizes, all freed again (what each file's
/// strings, tables and answers do).
fn churn(round: usize) {
    let mut live = Vec::new();
    for i in 0..2_000 {
        let n = (i * 7919 + round) % 70_000;
        live.push(vec![i as u8; n]);
        let mut s = "x".repeat(i % 300);
        s.push_str("grown past its first block");
        if i % 3 == 0 {
            live.clear();
        }
    }
}

#[wasm_bindgen_test]
fn the_heap_reuses_freed_memory_and_aligns_blocks() {
    churn(0);
    let pages = core::arch::wasm32::memory_size(0);
    for round in 1..20 {
        churn(round);
    }
    // Every block freed went back to its class and served the next rounds.
    assert_eq!(core::arch::wasm32::memory_size(0), pages);
    for align in [1, 8, 16, 64, 4096, 65536] {
        for size in [1, 7, align, 3 * align + 1] {
            let l = std::alloc::Layout::from_size_align(size, align).unwrap();
            let p = unsafe { std::alloc::alloc(l) };
            assert!(
                !p.is_null() && (p as usize).is_multiple_of(align),
                "{size} {align}"
            );
            unsafe { std::alloc::dealloc(p, l) };
        }
    }
}

/// A file's fields as the snippet's `fingerprint` reads them (a plain object: no `File`
/// needed).
fn file_like(name: &str, size: f64, last_modified: f64, content_type: &str) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in [
        ("name", JsValue::from_str(name)),
        ("size", size.into()),
        ("lastModified", last_modified.into()),
        ("type", JsValue::from_str(content_type)),
    ] {
        js_sys::Reflect::set(&o, &k.into(), &v).unwrap();
    }
    o.into()
}

/// The snippet's fingerprint (the bundle's, and the worker proxy's) is the protocol's, which
/// the resume records saved so far are keyed by.
#[wasm_bindgen_test]
fn the_snippet_s_fingerprint_is_the_protocol_s() {
    use s3lift_client::js::fingerprint;
    use s3lift_protocol::resume::fingerprint as protocol;
    let name = "a \"quoted\"\\name\n\u{1}€𝄞.bin";
    let cases: [(&str, &str, f64, f64, &str, &str); 5] = [
        ("", "a.bin", 12.0, 1_700_000_000_123.0, "text/plain", "/s3"),
        ("", name, 0.0, 0.0, "", "https://api.example/s3"),
        (
            "photos/2024/ünï/a.jpg",
            "a.jpg",
            9_007_199_254_740_991.0,
            -1.5,
            "image/jpeg",
            "",
        ),
        ("", "", 5_497_558_138_880.0, 1e15 + 0.75, "video/mp4", "/s3"),
        // Not a number: read as 0, as `js::number` does.
        ("", "b", f64::NAN, f64::NAN, "x", "/s3"),
    ];
    for (path, name, size, lm, ct, endpoint) in cases {
        let want = protocol(
            if path.is_empty() { name } else { path },
            size as u64,
            lm,
            ct,
            endpoint,
        );
        let file = file_like(name, size, lm, ct);
        assert_eq!(
            fingerprint(path, &file, endpoint),
            want,
            "{path} {name} {size} {lm}"
        );
    }
    // A field missing or of another type is read as the module reads it: `""` or 0.
    let bare = js_sys::Object::new().into();
    assert_eq!(
        fingerprint("", &bare, "/s3"),
        protocol("", 0, 0.0, "", "/s3")
    );
}
