//! The browser's services the engine asks for: digesting a part (the
//! snippet reads it and runs WebCrypto's SHA-256, or the digest module
//! `s3lift-digest.wasm` (crates/digest) for CRC-32, CRC64NVME and the MD5
//! that checks a resumed file against the stored ETags), and resume records
//! in `localStorage` under `s3lift:<fingerprint>` (the snippet writes the prefix).
use alloc::string::String;

use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::JsValue;

use crate::decode::FromJs;
use crate::js::{self, Json};

/// Starts digesting bytes `start..end` of `blob`: the snippet calls
/// `done(file, part, value)` with the digest as the engine takes it (base64;
/// MD5 in hex, as an ETag), or `undefined` when the file could not be read
/// or the digest module could not load.
pub fn digest(
    blob: &JsValue,
    start: u64,
    end: u64,
    algo: ChecksumAlgorithm,
    file: f64,
    part: u32,
    done: &JsValue,
) {
    // The snippet's tags: 0 is WebCrypto's SHA-256, the others the digest
    // module's (crates/digest: `CRC32`, `CRC64NVME`, `MD5`).
    let tag = match algo {
        ChecksumAlgorithm::Sha256 => 0,
        ChecksumAlgorithm::Crc32 => 1,
        ChecksumAlgorithm::Crc64nvme => 2,
        ChecksumAlgorithm::Md5 => 3,
    };
    js::digest(blob, start as f64, end as f64, tag, file, part as i32, done);
}

/// The record saved under `fp` by an earlier page, if any (the engine
/// decides whether it is still fresh).
pub fn load_record(fp: &str) -> Option<ResumeRecord> {
    ResumeRecord::from_js(&js::load(fp)).ok()
}

/// Saves `r` under its fingerprint.
pub fn save_record(r: &ResumeRecord) {
    js::save(&r.fingerprint, &resume_record_json(r));
}

/// Forgets the record saved under `fp`.
pub fn forget(fp: &str) {
    js::save(fp, "");
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
