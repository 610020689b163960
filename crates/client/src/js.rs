//! Small bridges to the JS runtime: timers, promises used as one-shot
//! signals, errors with a machine code, object building.

use s3lift_protocol::error_code::ErrorCode;
use std::cell::RefCell;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &Function, ms: i32) -> JsValue;
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Waits `ms` milliseconds (works in windows and workers).
pub async fn sleep(ms: u32) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms.min(i32::MAX as u32) as i32);
    });
    let _ = JsFuture::from(p).await;
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

/// An error for JS: an `Error` with `.code` and, when there is one, `.status`.
/// Messages never carry a presigned URL or a token.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadError {
    pub code: ErrorCode,
    pub status: Option<u16>,
    pub message: String,
}

impl UploadError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            status: None,
            message: message.into(),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "The upload was cancelled")
    }

    pub fn to_js(&self) -> JsValue {
        let e = js_sys::Error::new(&self.message);
        set(&e, "code", self.code.as_str());
        if let Some(s) = self.status {
            set(&e, "status", s);
        }
        e.into()
    }
}

/// A promise that can be settled from Rust later: `done`, and the
/// wake-ups of waiters (pool slots, resume).
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

    /// Waits for the promise, ignoring its value.
    pub async fn wait(&self) {
        let _ = JsFuture::from(self.promise.clone()).await;
    }
}

/// Waiters woken all at once (pause → resume, parts drained).
#[derive(Default)]
pub struct Notify {
    waiters: RefCell<Vec<Function>>,
}

impl Notify {
    /// A promise resolved at the next `notify_all`.
    pub fn notified(&self) -> Promise {
        let mut waiters = self.waiters.borrow_mut();
        Promise::new(&mut |resolve, _| waiters.push(resolve))
    }

    pub fn notify_all(&self) {
        let waiters: Vec<Function> = self.waiters.borrow_mut().drain(..).collect();
        for w in waiters {
            let _ = w.call0(&JsValue::UNDEFINED);
        }
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
