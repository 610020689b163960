//! Reading the options of `new Uploader(...)` into the engine's `Config`
//! and the driver's `Settings`; a bad option throws (`bad_option`).

use alloc::borrow::ToOwned;

use s3lift_engine::Config;
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::wire::ChecksumAlgorithm;
use wasm_bindgen::JsValue;

use crate::driver::Settings;
use crate::js::{api_error, get, get_f64, get_str};
use crate::{signer, transport};

// `Config::default()` then fields set, not `Config { seed, ..default() }`:
// the struct update built a copy and moved it field by field (-64 B).
#[allow(clippy::field_reassign_with_default)]
pub(crate) fn config(o: &JsValue) -> Result<(Config, Settings), JsValue> {
    let bad = |m: &str| api_error(ErrorCode::BadOption, m);
    let endpoint = get_str(o, "endpoint")
        .ok_or_else(|| bad("`endpoint` (the signer's base URL, e.g. '/s3') is required"))?;
    let mut cfg = Config::default();
    cfg.seed = js_sys::Math::random().to_bits();
    {
        let r = get(o, "retry");
        // An object (an array is one, as for `typeof`).
        if matches!(crate::js::kind(&r), 1 | 2) {
            if let Some(v) = get_f64(&r, "maxAttempts") {
                cfg.retry.max_attempts = (v as u32).max(1);
            }
            if let Some(v) = get_f64(&r, "baseDelayMs") {
                cfg.retry.base_delay_ms = v as u32;
            }
            if let Some(v) = get_f64(&r, "maxDelayMs") {
                cfg.retry.max_delay_ms = v as u32;
            }
        }
    }
    cfg.checksum = match get_str(o, "checksum").as_deref() {
        None | Some("none") => None,
        Some("sha256") => Some(ChecksumAlgorithm::Sha256),
        Some("crc32") => Some(ChecksumAlgorithm::Crc32),
        Some("crc64nvme") => Some(ChecksumAlgorithm::Crc64nvme),
        Some(_) => {
            return Err(bad(
                "`checksum` must be 'sha256', 'crc32', 'crc64nvme' or 'none'",
            ))
        }
    };
    let transport = match get_str(o, "transport").as_deref() {
        None | Some("xhr") => transport::Kind::Xhr,
        Some("fetch") => transport::Kind::Fetch,
        Some(_) => return Err(bad("`transport` must be 'xhr' or 'fetch'")),
    };
    let concurrency = get_f64(o, "concurrency").unwrap_or(6.0);
    if !(1.0..=64.0).contains(&concurrency) {
        return Err(bad("`concurrency` must be from 1 to 64"));
    }
    cfg.concurrency = concurrency as u32;
    cfg.part_size = get_f64(o, "partSize").map(|v| v as u64);
    if let Some(t) = get_f64(o, "multipartThreshold") {
        cfg.multipart_threshold = t as u64;
    }
    let stall = get_f64(o, "stallTimeoutMs").map_or(30_000, |v| v as u64);
    cfg.stall_timeout_ms = stall;
    cfg.signer_timeout_ms = stall;
    if let Some(t) = get_f64(o, "resumeTtlMs").filter(|t| *t > 0.0) {
        cfg.resume_ttl_ms = t as u64;
    }
    let settings = Settings {
        signer: signer::Signer {
            endpoint: s3lift_engine::url::without_trailing_slashes(&endpoint).to_owned(),
            headers: get(o, "headers"),
            checksum: cfg.checksum.map(ChecksumAlgorithm::as_str),
        },
        transport,
        // Anything but `false` (`kind`: no import of its own for `!==`).
        resume: crate::js::kind(&get(o, "resume")) != 5,
        checksum: cfg.checksum,
    };
    Ok((cfg, settings))
}
