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

/// A JSON number that is a whole, non-negative integer (what serde's `u64` takes).
fn whole(v: &JsValue) -> Option<u64> {
    let n = v.as_f64()?;
    // Whole: `f64::fract` needs `std`. (NaN fails the first test.)
    let u = n as u64;
    (n >= 0.0 && u <= 9_007_199_254_740_991 && u as f64 == n).then_some(u)
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

/// `o.headers`: part number -> a string map; absent is empty.
fn nested(v: &JsValue, name: Missing) -> Result<Map<Map<String>>, Missing> {
    let mut out = Map::new();
    if absent(v) {
        return Ok(out);
    }
    object(v).map_err(|_| name)?;
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

// What a field of an answer is (the low bits), and whether it must be
// there (`REQ`): one table per type drives one non-generic reader, instead
// of an instance of the same reading code per type.
/// A string.
const STR: u8 = 0;
/// A whole non-negative number (serde's `u64`).
const NUM: u8 = 1;
/// A whole number that fits a `u32`.
const U32: u8 = 2;
/// Any number (kept as its bits).
const F64: u8 = 3;
/// A string map (absent is empty unless `REQ`).
const MAP: u8 = 4;
/// A map of string maps (absent is empty).
const NESTED: u8 = 5;
/// A batch of part URLs (`BatchSignResponse`).
const BATCH: u8 = 6;
/// `PUT`/`put` (0) or `POST`/`post` (1).
const METHOD: u8 = 7;
/// `signed` (0) or `dropped` (1).
const DECISION: u8 = 8;
/// `o[name].crc64nvme` when it is a string; never wrong.
const CRC: u8 = 9;
/// `=== true` (1), else 0; never wrong.
const TRUE: u8 = 10;
/// Must be there.
const REQ: u8 = 16;

/// One field's value, as read by `fields`.
#[derive(Default)]
enum Val {
    #[default]
    None,
    Str(String),
    Num(u64),
    Map(Map<String>),
    Nested(Map<Map<String>>),
    Batch(alloc::boxed::Box<BatchSignResponse>),
}

/// The values of a table's fields, taken in the table's order.
struct Got {
    v: Vec<Val>,
    i: usize,
}

/// Reads `o`'s fields as `spec` says, in its order; the first absent (when
/// required) or of the wrong type is named.
#[inline(never)]
fn fields(o: &JsValue, spec: &[(Missing, u8)]) -> Result<Got, Missing> {
    object(o)?;
    let mut v = Vec::new();
    for &(name, tag) in spec {
        let f = get(o, name);
        // Required: absent fails too (a required map: its absence only).
        let val = match tag & REQ != 0 && absent(&f) {
            true => None,
            false => one(&f, name, tag & 15),
        };
        drop(f);
        v.push(val.ok_or(name)?);
    }
    Ok(Got { v, i: 0 })
}

/// A field's value as kind `k` says; `None` when it is of the wrong type.
#[inline(never)]
fn one(f: &JsValue, name: Missing, k: u8) -> Option<Val> {
    Some(match k {
        CRC => get(f, "crc64nvme").as_string().map_or(Val::None, Val::Str),
        TRUE => Val::Num(u64::from(kind(f) == 4)),
        MAP => Val::Map(entries(f, name, JsValue::as_string, false).ok()?),
        NESTED => Val::Nested(nested(f, name).ok()?),
        _ if absent(f) => Val::None,
        STR => Val::Str(f.as_string()?),
        NUM => Val::Num(whole(f)?),
        U32 => Val::Num(whole(f).filter(|&n| n <= u64::from(u32::MAX))?),
        F64 => Val::Num(f.as_f64()?.to_bits()),
        BATCH => Val::Batch(alloc::boxed::Box::new(BatchSignResponse::from_js(f).ok()?)),
        _ => Val::Num(match (k, f.as_string().as_deref()) {
            (METHOD, Some("PUT" | "put")) | (DECISION, Some("signed")) => 0,
            (METHOD, Some("POST" | "post")) | (DECISION, Some("dropped")) => 1,
            _ => return None,
        }),
    })
}

impl Got {
    #[inline(never)]
    fn next(&mut self) -> Val {
        let i = self.i;
        self.i += 1;
        self.v.get_mut(i).map(core::mem::take).unwrap_or_default()
    }

    /// A string; `""` when absent.
    #[inline(never)]
    fn str(&mut self) -> String {
        self.opt_str().unwrap_or_default()
    }

    #[inline(never)]
    fn opt_str(&mut self) -> Option<String> {
        match self.next() {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    #[inline(never)]
    fn opt_num(&mut self) -> Option<u64> {
        match self.next() {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }

    fn num(&mut self) -> u64 {
        self.opt_num().unwrap_or_default()
    }

    #[inline(never)]
    fn map(&mut self) -> Map<String> {
        match self.next() {
            Val::Map(m) => m,
            _ => Map::new(),
        }
    }

    fn decision(&mut self) -> Option<ChecksumDecision> {
        self.opt_num().map(|n| {
            if n == 0 {
                ChecksumDecision::Signed
            } else {
                ChecksumDecision::Dropped
            }
        })
    }

    fn checksum(&mut self) -> Option<ObjectChecksum> {
        self.opt_str().map(|crc64nvme| ObjectChecksum { crc64nvme })
    }
}

impl FromJs for UploadParams {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[
                ("method", METHOD | REQ),
                ("url", STR | REQ),
                ("fields", MAP),
                ("headers", MAP),
                ("key", STR),
                ("bucket", STR),
                ("expires", NUM),
                ("checksum", DECISION),
            ],
        )?;
        Ok(Self {
            method: if g.num() == 0 {
                UploadMethod::Put
            } else {
                UploadMethod::Post
            },
            url: g.str(),
            fields: g.map(),
            headers: g.map(),
            key: g.opt_str(),
            bucket: g.opt_str(),
            expires: g.opt_num(),
            checksum: g.decision(),
        })
    }
}

impl FromJs for CreateMultipartResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[
                ("key", STR | REQ),
                ("uploadId", STR | REQ),
                ("bucket", STR),
                ("partSize", NUM),
                ("partCount", U32),
                ("expires", NUM),
                ("parts", BATCH),
                ("checksum", DECISION),
            ],
        )?;
        Ok(Self {
            key: g.str(),
            upload_id: g.str(),
            bucket: g.opt_str(),
            part_size: g.opt_num(),
            part_count: g.opt_num().map(|n| n as u32),
            expires: g.opt_num(),
            parts: match g.next() {
                Val::Batch(b) => Some(*b),
                _ => None,
            },
            checksum: g.decision(),
        })
    }
}

impl FromJs for BatchSignResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[
                ("presignedUrls", MAP | REQ),
                ("headers", NESTED),
                ("expires", NUM),
            ],
        )?;
        Ok(Self {
            presigned_urls: g.map(),
            headers: match g.next() {
                Val::Nested(m) => m,
                _ => Map::new(),
            },
            expires: g.opt_num(),
        })
    }
}

impl FromJs for SignedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[("url", STR | REQ), ("headers", MAP), ("expires", NUM)],
        )?;
        Ok(Self {
            url: g.str(),
            headers: g.map(),
            expires: g.opt_num(),
        })
    }
}

impl FromJs for ListedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[
                ("PartNumber", U32 | REQ),
                ("Size", NUM | REQ),
                ("ETag", STR | REQ),
            ],
        )?;
        Ok(Self {
            part_number: g.num() as u32,
            size: g.num(),
            etag: g.str(),
        })
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
        let mut g = fields(
            v,
            &[
                ("location", STR | REQ),
                ("key", STR),
                ("bucket", STR),
                ("etag", STR),
                ("checksum", CRC),
            ],
        )?;
        Ok(Self {
            location: g.str(),
            key: g.opt_str(),
            bucket: g.opt_str(),
            etag: g.opt_str(),
            checksum: g.checksum(),
        })
    }
}

impl FromJs for SingleCompleteResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(
            v,
            &[
                ("key", STR | REQ),
                ("bucket", STR | REQ),
                ("location", STR | REQ),
                ("etag", STR | REQ),
                ("size", NUM | REQ),
                ("checksum", CRC),
            ],
        )?;
        Ok(Self {
            key: g.str(),
            bucket: g.str(),
            location: g.str(),
            etag: g.str(),
            size: g.num(),
            checksum: g.checksum(),
        })
    }
}

impl FromJs for ErrorBody {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        let mut g = fields(v, &[("error", STR | REQ), ("code", STR)])?;
        Ok(Self {
            error: g.str(),
            code: g.str(),
        })
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
        let mut g = fields(
            v,
            &[
                ("uploadId", STR | REQ),
                ("key", STR | REQ),
                ("partSize", NUM | REQ),
                ("fingerprint", STR | REQ),
                ("createdAt", F64 | REQ),
                // `=== true` (the glue's shim for `as_bool` is longer).
                ("completing", TRUE),
            ],
        )?;
        Ok(Self {
            upload_id: g.str(),
            key: g.str(),
            part_size: g.num(),
            fingerprint: g.str(),
            created_at: f64::from_bits(g.num()),
            completing: g.num() != 0,
        })
    }
}
