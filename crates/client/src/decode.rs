//! Reading the signer's JSON answers (already parsed by `JSON.parse`) into
//! the wire types of `s3lift_protocol`.
//!
//! A handful of typed field reads per answer instead of a generic
//! deserializer: serde + serde-wasm-bindgen cost the bundle more than the
//! rest of the wire handling together, for six small shapes. The rules are
//! serde's for these types: required fields must be there with the right
//! type, optional ones may be absent or `null`, unknown fields are ignored.
use alloc::{string::String, vec::Vec};

use s3lift_protocol::map::Map;

use js_sys::Object;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumDecision, CompleteResponse, CreateMultipartResponse, ErrorBody,
    ListedPart, ObjectChecksum, SignedPart, SingleCompleteResponse, UploadMethod, UploadParams,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::js::{at, get, kind, len};

/// What an answer lacked: the field (`uploadId`), or the answer itself (`.`).
pub type Missing = &'static str;

/// A wire type read from a parsed JSON value.
pub trait FromJs: Sized {
    fn from_js(v: &JsValue) -> Result<Self, Missing>;
}

fn absent(v: &JsValue) -> bool {
    kind(v) == 0
}

/// `o[name]`, read by `read`; absent, or of the wrong type, is an error.
fn required<T>(o: &JsValue, name: Missing, read: fn(&JsValue) -> Option<T>) -> Result<T, Missing> {
    read(&get(o, name)).ok_or(name)
}

/// `o[name]`, read by `read`; absent (or `null`) is `None`, the wrong type an error.
fn optional<T>(
    o: &JsValue,
    name: Missing,
    read: fn(&JsValue) -> Option<T>,
) -> Result<Option<T>, Missing> {
    let v = get(o, name);
    if absent(&v) {
        return Ok(None);
    }
    read(&v).map(Some).ok_or(name)
}

/// A JSON number that is a whole, non-negative integer (what serde's `u64` takes).
fn whole(v: &JsValue) -> Option<u64> {
    let n = v.as_f64()?;
    // Whole: `f64::fract` needs `std`. (NaN fails the first test.)
    let u = n as u64;
    (n >= 0.0 && u <= 9_007_199_254_740_991 && u as f64 == n).then_some(u)
}

fn opt_string(o: &JsValue, name: Missing) -> Result<Option<String>, Missing> {
    optional(o, name, JsValue::as_string)
}

fn opt_number(o: &JsValue, name: Missing) -> Result<Option<u64>, Missing> {
    optional(o, name, whole)
}

/// `v`'s own entries, each value read by `value`; absent is empty. `lax`
/// (`upload()`'s `metadata`): any object (else empty), and the entries
/// whose value `value` refuses are skipped instead of failing the read.
/// String values only: one instance of the walk (the signed parts'
/// headers, a map of maps, walk their outer map by hand).
pub fn entries(
    v: &JsValue,
    name: Missing,
    value: fn(&JsValue) -> Option<String>,
    lax: bool,
) -> Result<Map<String>, Missing> {
    let mut out = Map::new();
    let k = kind(v);
    // Not an object (an array is one, as for `typeof`): empty when lax.
    if k == 0 || lax && k > 2 {
        return Ok(out);
    }
    if !lax {
        object(v).map_err(|_| name)?;
    }
    let list = Object::entries(v.unchecked_ref::<Object>());
    for i in 0..len(&list) {
        let entry = at(&list, i);
        // `[key, value]`, read through the snippet's `field` (one import less).
        let key = get(&entry, "0").as_string().ok_or(name)?;
        match value(&get(&entry, "1")) {
            Some(v) => out.insert(key, v),
            None if lax => continue,
            None => return Err(name),
        };
    }
    Ok(out)
}

fn string_map(o: &JsValue, name: Missing) -> Result<Map<String>, Missing> {
    entries(&get(o, name), name, JsValue::as_string, false)
}

/// `o.headers`: part number -> a string map; absent is empty.
fn nested(o: &JsValue) -> Result<Map<Map<String>>, Missing> {
    let name = "headers";
    let mut out = Map::new();
    let v = get(o, name);
    if absent(&v) {
        return Ok(out);
    }
    object(&v).map_err(|_| name)?;
    let list = Object::entries(v.unchecked_ref::<Object>());
    for i in 0..len(&list) {
        let entry = at(&list, i);
        let key = get(&entry, "0").as_string().ok_or(name)?;
        out.insert(
            key,
            entries(&get(&entry, "1"), name, JsValue::as_string, false)?,
        );
    }
    Ok(out)
}

fn object(v: &JsValue) -> Result<(), Missing> {
    if kind(v) == 2 {
        Ok(())
    } else {
        Err(".")
    }
}

/// Reads the fields of one object, remembering the first that was absent
/// or of the wrong type: the impls below read every field and answer once,
/// where a `?` per field would make each struct literal carry drop code for
/// every field read before it (kilobytes of the bundle).
struct Reader<'a> {
    o: &'a JsValue,
    bad: Option<Missing>,
}

impl<'a> Reader<'a> {
    fn new(o: &'a JsValue) -> Result<Self, Missing> {
        object(o)?;
        Ok(Self { o, bad: None })
    }

    /// Notes `name` as wrong (the first one wins); a placeholder value.
    /// `checksum`: what the signer did with a requested checksum.
    fn decision(&mut self) -> Option<ChecksumDecision> {
        match self.opt_string("checksum").as_deref() {
            None => None,
            Some("signed") => Some(ChecksumDecision::Signed),
            Some("dropped") => Some(ChecksumDecision::Dropped),
            Some(_) => self.fail("checksum"),
        }
    }

    fn fail<T: Default>(&mut self, name: Missing) -> T {
        self.bad.get_or_insert(name);
        T::default()
    }

    fn check<T: Default>(&mut self, r: Result<T, Missing>) -> T {
        r.unwrap_or_else(|name| self.fail(name))
    }

    /// A required field: an optional one that must be there (absent and
    /// of the wrong type note the same name).
    fn string(&mut self, name: Missing) -> String {
        match self.opt_string(name) {
            Some(s) => s,
            None => self.fail(name),
        }
    }

    fn opt_string(&mut self, name: Missing) -> Option<String> {
        let r = opt_string(self.o, name);
        self.check(r)
    }

    fn number(&mut self, name: Missing) -> u64 {
        match self.opt_number(name) {
            Some(n) => n,
            None => self.fail(name),
        }
    }

    fn opt_number(&mut self, name: Missing) -> Option<u64> {
        let r = opt_number(self.o, name);
        self.check(r)
    }

    fn string_map(&mut self, name: Missing) -> Map<String> {
        let r = string_map(self.o, name);
        self.check(r)
    }

    fn done<T>(self, value: T) -> Result<T, Missing> {
        match self.bad {
            Some(name) => Err(name),
            None => Ok(value),
        }
    }
}

impl FromJs for UploadParams {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let method = match r.string("method").as_str() {
            "PUT" | "put" => UploadMethod::Put,
            "POST" | "post" => UploadMethod::Post,
            _ => {
                r.bad.get_or_insert("method");
                UploadMethod::Put
            }
        };
        let p = Self {
            method,
            url: r.string("url"),
            fields: r.string_map("fields"),
            headers: r.string_map("headers"),
            key: r.opt_string("key"),
            bucket: r.opt_string("bucket"),
            expires: r.opt_number("expires"),
            checksum: r.decision(),
        };
        r.done(p)
    }
}

impl FromJs for CreateMultipartResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let c = Self {
            key: r.string("key"),
            upload_id: r.string("uploadId"),
            bucket: r.opt_string("bucket"),
            part_size: r.opt_number("partSize"),
            part_count: match r.opt_number("partCount").map(u32::try_from) {
                Some(Ok(n)) => Some(n),
                Some(Err(_)) => r.fail("partCount"),
                None => None,
            },
            expires: r.opt_number("expires"),
            parts: match get(v, "parts") {
                p if absent(&p) => None,
                p => match BatchSignResponse::from_js(&p) {
                    Ok(b) => Some(b),
                    Err(_) => r.fail("parts"),
                },
            },
            checksum: r.decision(),
        };
        r.done(c)
    }
}

impl FromJs for BatchSignResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        if absent(&get(v, "presignedUrls")) {
            return Err("presignedUrls");
        }
        let headers = nested(v);
        let b = Self {
            presigned_urls: r.string_map("presignedUrls"),
            headers: r.check(headers),
            expires: r.opt_number("expires"),
        };
        r.done(b)
    }
}

impl FromJs for SignedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let p = Self {
            url: r.string("url"),
            headers: r.string_map("headers"),
            expires: r.opt_number("expires"),
        };
        r.done(p)
    }
}

impl FromJs for ListedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let n = r.number("PartNumber");
        let p = Self {
            part_number: u32::try_from(n).unwrap_or_else(|_| r.fail("PartNumber")),
            size: r.number("Size"),
            etag: r.string("ETag"),
        };
        r.done(p)
    }
}

impl FromJs for Vec<ListedPart> {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        if kind(v) != 1 {
            return Err(".");
        }
        let mut out = Vec::new();
        // An array (checked above): read in place, not copied by `Array.from`.
        for i in 0..len(v) {
            out.push(ListedPart::from_js(&at(v, i))?);
        }
        Ok(out)
    }
}

impl FromJs for CompleteResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let c = Self {
            location: r.string("location"),
            key: r.opt_string("key"),
            bucket: r.opt_string("bucket"),
            etag: r.opt_string("etag"),
            checksum: get(&get(v, "checksum"), "crc64nvme")
                .as_string()
                .map(|crc64nvme| ObjectChecksum { crc64nvme }),
        };
        r.done(c)
    }
}

impl FromJs for SingleCompleteResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let c = Self {
            key: r.string("key"),
            bucket: r.string("bucket"),
            location: r.string("location"),
            etag: r.string("etag"),
            size: r.number("size"),
            checksum: get(&get(v, "checksum"), "crc64nvme")
                .as_string()
                .map(|crc64nvme| ObjectChecksum { crc64nvme }),
        };
        r.done(c)
    }
}

impl FromJs for ErrorBody {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let e = Self {
            error: r.string("error"),
            code: r.opt_string("code").unwrap_or_default(),
        };
        r.done(e)
    }
}

/// Any JSON at all (an answer whose body does not matter, like abort's).
impl FromJs for () {
    fn from_js(_: &JsValue) -> Result<Self, Missing> {
        Ok(())
    }
}

impl FromJs for ResumeRecord {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut r = Reader::new(v)?;
        let created_at = required(v, "createdAt", JsValue::as_f64);
        let rec = Self {
            upload_id: r.string("uploadId"),
            key: r.string("key"),
            part_size: r.number("partSize"),
            fingerprint: r.string("fingerprint"),
            created_at: r.check(created_at),
            // `=== true` (the glue's shim for `as_bool` is longer; `kind`:
            // no import of its own).
            completing: kind(&get(v, "completing")) == 4,
        };
        r.done(rec)
    }
}
