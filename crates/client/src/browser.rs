//! The browser's services the engine asks for: reading and digesting a
//! part (WebCrypto SHA-256, CRC-32 here), and resume records in
//! `localStorage` under `s3lift:<fingerprint>`.

use js_sys::Uint8Array;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use crate::decode::{resume_record_to_js, FromJs};
use crate::js::{base64, crc32, get};

/// The bytes of `blob`; `None` when the file could not be read.
pub async fn read(blob: &Blob) -> Option<Uint8Array> {
    let buf = JsFuture::from(blob.array_buffer()).await.ok()?;
    Some(Uint8Array::new(&buf))
}

/// Base64 digest of `bytes`: SHA-256 by the browser's WebCrypto (which
/// needs a secure context), CRC-32 here. `None` when it cannot be computed.
pub async fn checksum(algo: ChecksumAlgorithm, bytes: &Uint8Array) -> Option<String> {
    match algo {
        ChecksumAlgorithm::Crc32 => Some(base64(&crc32(&bytes.to_vec()).to_be_bytes())),
        ChecksumAlgorithm::Sha256 => {
            let crypto = get(&js_sys::global(), "crypto");
            if crypto.is_undefined() {
                return None;
            }
            let subtle = crypto.unchecked_into::<web_sys::Crypto>().subtle();
            let p = subtle
                .digest_with_str_and_buffer_source("SHA-256", bytes)
                .ok()?;
            let d = JsFuture::from(p).await.ok()?;
            Some(base64(&Uint8Array::new(&d).to_vec()))
        }
        ChecksumAlgorithm::Crc64nvme => {
            let crc = s3lift_protocol::crc64::checksum(&bytes.to_vec());
            Some(s3lift_protocol::crc64::to_base64(crc))
        }
        ChecksumAlgorithm::Md5 => None,
    }
}

/// Reads bytes `start..end` of `blob` and digests them.
pub async fn digest(blob: &Blob, start: u64, end: u64, algo: ChecksumAlgorithm) -> Option<String> {
    let slice = blob.slice_with_f64_and_f64(start as f64, end as f64).ok()?;
    checksum(algo, &read(&slice).await?).await
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn item(fp: &str) -> String {
    ["s3lift:", fp].concat()
}

/// The record saved under `fp` by an earlier page, if any (the engine
/// decides whether it is still fresh).
pub fn load_record(fp: &str) -> Option<ResumeRecord> {
    let text = storage()?.get_item(&item(fp)).ok()??;
    ResumeRecord::from_js(&js_sys::JSON::parse(&text).ok()?).ok()
}

/// Saves `r` under its fingerprint.
pub fn save_record(r: &ResumeRecord) {
    let Some(s) = storage() else { return };
    if let Ok(text) = js_sys::JSON::stringify(&resume_record_to_js(r)) {
        let _ = s.set_item(&item(&r.fingerprint), &String::from(text));
    }
}

/// Forgets the record saved under `fp`.
pub fn forget(fp: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&item(fp));
    }
}
