//! The browser's services the engine asks for: digesting a part (the
//! snippet reads it, and runs WebCrypto's SHA-256; CRC-32, CRC64NVME and
//! the MD5 that checks a resumed file against the stored ETags are computed
//! here), and resume records in `localStorage` under `s3lift:<fingerprint>`.
use alloc::string::String;
use s3lift_engine::Cat;

use js_sys::Array;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::{JsCast, JsValue};

use crate::decode::FromJs;
use crate::js::{self, base64, crc32, Json};

/// Starts digesting bytes `start..end` of `blob`: the snippet calls
/// `done(file, part, bytes)` with the bytes (CRC-32) or their SHA-256.
/// `false` when the algorithm is not one the browser client computes.
pub fn digest(
    blob: &JsValue,
    start: u64,
    end: u64,
    algo: ChecksumAlgorithm,
    file: f64,
    part: u32,
    done: &JsValue,
) -> bool {
    let sha = match algo {
        ChecksumAlgorithm::Sha256 => true,
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc64nvme | ChecksumAlgorithm::Md5 => false,
    };
    js::digest(blob, start as f64, end as f64, sha, file, part, done);
    true
}

/// The digest from what the snippet read: CRC-32 or CRC64NVME of the bytes
/// (base64), their MD5 (hex, as an ETag), or the SHA-256 WebCrypto computed. `None` when the file could not be read.
pub fn digest_value(algo: ChecksumAlgorithm, bytes: &JsValue) -> Option<String> {
    // The snippet's `Uint8Array`, or `undefined`.
    if bytes.is_undefined() {
        return None;
    }
    // Its `length` through js-sys's `Array` import (the same `.length` in the
    // glue): one import less than `Uint8Array::length`.
    let mut out = alloc::vec![0; bytes.unchecked_ref::<Array>().length() as usize];
    js::copy_bytes(&mut out, bytes);
    let bytes = out;
    Some(match algo {
        ChecksumAlgorithm::Crc32 => base64(&crc32(&bytes).to_be_bytes()),
        // `crc64::to_base64`, through the bundle's one base64 encoder.
        ChecksumAlgorithm::Crc64nvme => {
            base64(&s3lift_protocol::crc64::checksum(&bytes).to_be_bytes())
        }
        ChecksumAlgorithm::Md5 => s3lift_protocol::md5::hex(&bytes),
        _ => base64(&bytes),
    })
}

fn item(fp: &str) -> String {
    ["s3lift:", fp].cat()
}

/// The record saved under `fp` by an earlier page, if any (the engine
/// decides whether it is still fresh).
pub fn load_record(fp: &str) -> Option<ResumeRecord> {
    ResumeRecord::from_js(&js::load(&item(fp))).ok()
}

/// Saves `r` under its fingerprint.
pub fn save_record(r: &ResumeRecord) {
    js::save(&item(&r.fingerprint), Some(&resume_record_json(r)));
}

/// Forgets the record saved under `fp`.
pub fn forget(fp: &str) {
    js::save(&item(fp), None);
}

/// The stored form of a resume record (read back by [`FromJs`]).
pub fn resume_record_json(r: &ResumeRecord) -> String {
    let mut o = Json::default();
    o.key("uploadId").string(&r.upload_id);
    o.key("key").string(&r.key);
    o.key("partSize").number(r.part_size);
    o.key("fingerprint").string(&r.fingerprint);
    // Milliseconds since the epoch, whole (the engine's clock).
    o.key("createdAt").number(r.created_at as u64);
    if r.completing {
        o.key("completing").raw("true");
    }
    o.close()
}
