//! Small bridges to the JS runtime: the I/O snippet (`io.js`), timers,
//! errors with a machine code, object reads, JSON text.
use alloc::string::String;

use s3lift_engine::UploadError;
use s3lift_protocol::error_code::ErrorCode;

use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `setTimeout` (windows and workers).
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(f: &JsValue, ms: i32) -> JsValue;
    /// `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
    /// `queueMicrotask`.
    #[wasm_bindgen(js_name = queueMicrotask)]
    pub fn later(f: &JsValue);
}

/// The snippet: plumbing only (see its header); every decision is the engine's.
#[wasm_bindgen(module = "/src/io.js")]
extern "C" {
    /// A signer call to the signer at `endpoint` (`spec`: the JSON array
    /// `signer::request` writes); answers `done(id, status, json, retryAfter)`.
    pub fn signer(
        endpoint: &str,
        spec: &str,
        headers: &JsValue,
        id: f64,
        done: &JsValue,
    ) -> JsValue;
    /// A store request; answers `done(id, status, etag, errorText, retryAfter)`.
    /// `start` -1: the whole file. (Numbers are `i32` or `f64` below, not
    /// `Option` or `u32`: shorter glue shims.)
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        xhr: i32,
        url: &str,
        headers: &str,
        file: &JsValue,
        start: f64,
        end: f64,
        fields: &str,
        id: f64,
        progress: &JsValue,
        done: &JsValue,
    ) -> JsValue;
    /// Stops what `signer`, `send`, `network` or `lock` returned.
    pub fn abort(handle: &JsValue);
    /// The digest of bytes `start..end` of `blob` with algorithm `tag` (see
    /// `browser::digest`): `done(file, part, value)`, the value's text.
    #[allow(clippy::too_many_arguments)]
    pub fn digest(
        blob: &JsValue,
        start: f64,
        end: f64,
        tag: i32,
        file: f64,
        part: i32,
        done: &JsValue,
    );
    /// Calls `changed(onLine)` on `online`/`offline`; returns what `abort` stops.
    pub fn network(changed: &JsValue) -> JsValue;
    /// Web Lock `s3lift:<fp>`: `granted(file, held)` (see the snippet);
    /// returns what `abort` releases.
    pub fn lock(fp: &str, file: f64, granted: &JsValue) -> JsValue;
    /// A picked file's resume fingerprint (`s3lift_protocol::resume::fingerprint`;
    /// `path`: `relativePath`, `""` for none, then the file's name counts).
    pub fn fingerprint(path: &str, file: &JsValue, endpoint: &str) -> String;
    /// `navigator.onLine` (true where unknown).
    #[wasm_bindgen(js_name = onLine)]
    pub fn on_line() -> bool;
    /// `localStorage.getItem` of `s3lift:<fp>`, parsed as JSON (`undefined`
    /// if absent or not JSON).
    pub fn load(fp: &str) -> JsValue;
    /// `localStorage.setItem` of `s3lift:<fp>`, or `removeItem` with `""`;
    /// errors ignored.
    /// (An absent string is `""` here and below: the glue's shim for an
    /// `Option<&str>` is longer than for a `&str`.)
    pub fn save(fp: &str, value: &str);
    /// `[promise, resolve, reject]`.
    pub fn deferred() -> JsValue;
    /// Resolves (`ok` 1) or rejects (0) a `deferred()`.
    pub fn settle(d: &JsValue, ok: i32, v: &JsValue);
    /// What `v` is: 0 `null` or `undefined`, 1 an array, 2 another object,
    /// 3 a function, 4 `true`, 5 `false`, 6 anything else.
    pub fn kind(v: &JsValue) -> u8;
    /// `obj[key]` as `Reflect.get` reads it, `undefined` where that throws
    /// (its `catch` shim cost the bundle more than this).
    pub fn field(obj: &JsValue, key: &str) -> JsValue;
    /// An `Error` with `.code`, `.status` (0: none) and `.key` (`""`: none).
    pub fn error(message: &str, code: &str, status: u16, key: &str) -> JsValue;
    /// An `UploadResult` (`crc64nvme`: `""` when none; `restarted`: a
    /// `driver::restart` number).
    pub fn result(
        key: &str,
        bucket: Option<&str>,
        location: Option<&str>,
        etag: Option<&str>,
        confirmed: bool,
        crc64nvme: &str,
        restarted: u8,
    ) -> JsValue;
    /// Calls `f` with a `Progress` (`eta`: -1 when unknown; `restarted`: a
    /// `driver::restart` number).
    pub fn progress(f: &Function, sent: f64, total: f64, per_second: f64, eta: f64, restarted: u8);
    /// Calls `f` with a `PartUploaded`.
    pub fn part(f: &Function, number: i32, etag: &str, size: f64);
    /// Calls `f(state)` in a microtask (`onStateChange`), with `state`'s
    /// name (`driver::State` as a number).
    pub fn state(f: &Function, state: u8);
    /// A `driver::State`'s name (`upload.state`), or a `driver::restart`
    /// number's (`upload.restarted`).
    pub fn named(state: u8) -> JsValue;
    /// An `UploadStats`.
    pub fn stats(
        parts_uploaded: i32,
        part_requests: i32,
        bytes_resent: f64,
        retries: i32,
    ) -> JsValue;
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// `obj[key]`, or `undefined`.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    field(obj, key)
}

/// An array's length, through `field` (no import of its own).
pub fn len(v: &JsValue) -> u32 {
    get_f64(v, "length").unwrap_or_default() as u32
}

/// An array's item `i`, through `field`, as `Reflect.get` reads it with
/// the index as a key (no import of its own).
#[inline(never)]
pub fn at(v: &JsValue, i: u32) -> JsValue {
    get(v, &s3lift_protocol::decimal(u64::from(i)))
}

/// `obj[key]` as a number, when it is one.
pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// `obj[key]` as a string, when it is one.
pub fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// A `File`'s `name` or `type` (`field`, not web-sys's getters: one import
/// and its glue shim less each).
pub fn text(file: &JsValue, key: &str) -> String {
    get_str(file, key).unwrap_or_default()
}

/// A `File`'s `size` or `lastModified`.
pub fn number(file: &JsValue, key: &str) -> f64 {
    get_f64(file, key).unwrap_or_default()
}

/// `obj[key]` as a function, when it is one.
pub fn get_fn(obj: &JsValue, key: &str) -> Option<Function> {
    let v = get(obj, key);
    (kind(&v) == 3).then(|| v.unchecked_into())
}

/// `err` as a JS `Error` with `.code` (the [`ErrorCode`]'s name), `.status`
/// when there was an HTTP status, and `.key` when an object may have been
/// stored under that key. Messages never carry a presigned URL or a token.
pub fn error_to_js(err: &UploadError) -> JsValue {
    error(
        &err.message,
        err.code.as_str(),
        err.status.unwrap_or(0),
        err.key.as_deref().unwrap_or(""),
    )
}

/// An error of the JS API itself (a bad option).
pub fn api_error(code: ErrorCode, message: &str) -> JsValue {
    error(message, code.as_str(), 0, "")
}

/// A promise that can be settled from Rust later: `done`.
pub struct Deferred(JsValue);

impl Default for Deferred {
    fn default() -> Self {
        Self::new()
    }
}

impl Deferred {
    pub fn new() -> Self {
        Self(deferred())
    }

    /// Its promise, `d[0]` (through `field`: no import of its own).
    pub fn promise(&self) -> js_sys::Promise {
        get(&self.0, "0").unchecked_into()
    }

    pub fn resolve(&self, v: &JsValue) {
        settle(&self.0, 1, v);
    }

    pub fn reject(&self, v: &JsValue) {
        settle(&self.0, 0, v);
    }
}

/// JSON text, written by hand (no serde, no `format!` in the bundle).
#[derive(Default)]
pub struct Json(pub String);

impl Json {
    /// `{`, or `,` before the next member; then `"key":`.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.string(key);
        self.0.push(':');
        self
    }

    /// A JSON string.
    pub fn string(&mut self, s: &str) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.0.push('"');
        // By bytes, copying the runs between escapes: every byte escaped is
        // ASCII (so the cuts are char boundaries), and decoding chars costs
        // the bundle.
        let mut from = 0;
        for (i, b) in s.bytes().enumerate() {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            self.0.push_str(s.get(from..i).unwrap_or(""));
            from = i + 1;
            if b < 0x20 {
                self.0.push_str("\\u00");
                self.0.push(HEX[usize::from(b >> 4)] as char);
                self.0.push(HEX[usize::from(b & 15)] as char);
            } else {
                self.0.push('\\');
                self.0.push(b as char);
            }
        }
        self.0.push_str(s.get(from..).unwrap_or(""));
        self.0.push('"');
        self
    }

    /// A whole number.
    pub fn number(&mut self, n: u64) -> &mut Self {
        push_u64(&mut self.0, n);
        self
    }

    /// Raw JSON (an array or object written elsewhere).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.0.push_str(s);
        self
    }

    /// The object's text (`{}` when empty).
    pub fn close(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push('}');
        self.0
    }

    /// `{"k":"v",...}` of string pairs (a slice: one instance for the
    /// signed headers, a part's headers and the form fields).
    pub fn pairs(pairs: &[(String, String)]) -> String {
        let mut j = Json::default();
        for (k, v) in pairs {
            j.key(k).string(v);
        }
        j.close()
    }
}

/// `n` in decimal, appended (the engine's messages' writer: one in the bundle).
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(&s3lift_protocol::decimal(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_numbers() {
        let mut j = Json::default();
        j.key("a\"b")
            .string("x\\y\n")
            .key("n")
            .number(1234567890123);
        assert_eq!(j.close(), r#"{"a\"b":"x\\y\u000a","n":1234567890123}"#);
        assert_eq!(Json::default().close(), "{}");
        let mut u = Json::default();
        u.key("ü").string("\u{1}é\"€𝄞\\");
        assert_eq!(u.close(), "{\"ü\":\"\\u0001é\\\"€𝄞\\\\\"}");
        let mut s = String::new();
        push_u64(&mut s, 0);
        assert_eq!(s, "0");
    }
}
