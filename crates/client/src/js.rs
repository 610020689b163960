//! Small bridges to the JS runtime: timers, promises used as one-shot
//! signals, errors with a machine code, object building.

use std::cell::RefCell;

use s3lift_engine::UploadError;
use s3lift_protocol::error_code::ErrorCode;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `setTimeout` (windows and workers).
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(f: &Function, ms: i32) -> JsValue;
    /// `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Sets `obj[key] = value`.
pub fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// `obj[key]`, or `undefined`.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` as a number, when it is one.
pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// `obj[key]` as a string, when it is one.
pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// `obj[key]` as a function, when it is one.
pub fn get_fn(obj: &JsValue, key: &str) -> Option<Function> {
    get(obj, key).dyn_into::<Function>().ok()
}

/// `err` as a JS `Error` with `.code` (the [`ErrorCode`]'s name), `.status`
/// when there was an HTTP status, and `.key` when an object may have been
/// stored under that key. Messages never carry a presigned URL or a token.
pub fn error_to_js(err: &UploadError) -> JsValue {
    let e = js_sys::Error::new(&err.message);
    set(&e, "code", err.code.as_str());
    if let Some(s) = err.status {
        set(&e, "status", s);
    }
    if let Some(k) = &err.key {
        set(&e, "key", k.as_str());
    }
    e.into()
}

/// An error of the JS API itself (a bad option).
pub fn api_error(code: ErrorCode, message: &str) -> JsValue {
    error_to_js(&UploadError::new(code, message))
}

/// A promise that can be settled from Rust later: `done`.
pub struct Deferred {
    pub promise: Promise,
    resolve: Function,
    reject: Function,
}

impl Default for Deferred {
    fn default() -> Self {
        Self::new()
    }
}

impl Deferred {
    pub fn new() -> Self {
        let slot: RefCell<Option<(Function, Function)>> = RefCell::new(None);
        let promise = Promise::new(&mut |res, rej| {
            *slot.borrow_mut() = Some((res, rej));
        });
        let (resolve, reject) = slot
            .into_inner()
            .expect("Promise executors run synchronously");
        Self {
            promise,
            resolve,
            reject,
        }
    }

    pub fn resolve(&self, v: &JsValue) {
        let _ = self.resolve.call1(&JsValue::UNDEFINED, v);
    }

    pub fn reject(&self, v: &JsValue) {
        let _ = self.reject.call1(&JsValue::UNDEFINED, v);
    }
}

/// `JSON.stringify(value)` (empty when the value cannot be serialized).
pub fn to_json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_default()
}

/// Standard base64 of `bytes`.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// CRC-32 (IEEE), as `x-amz-checksum-crc32` wants it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = !0u32;
    for b in bytes {
        crc = table[((crc ^ u32::from(*b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
