//! Reading the signer's JSON answers (already parsed by `JSON.parse`) into
//! the wire types of `s3lift_protocol`.
//!
//! A handful of typed field reads per answer instead of a generic
//! deserializer: serde + serde-wasm-bindgen cost the bundle more than the
//! rest of the wire handling together, for six small shapes. The rules are
//! serde's for these types: required fields must be there with the right
//! type, optional ones may be absent or `null`, unknown fields are ignored.

use std::collections::BTreeMap;

use js_sys::{Array, Object};
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, CompleteResponse, CreateMultipartResponse, ErrorBody, ListedPart,
    ObjectChecksum, SignedPart, SingleCompleteResponse, UploadMethod, UploadParams,
};
use wasm_bindgen::{JsCast, JsValue};

use crate::js::{get, set};

/// What an answer lacked: the field (`uploadId`), or the answer itself (`.`).
pub type Missing = &'static str;

/// A wire type read from a parsed JSON value.
pub trait FromJs: Sized {
    fn from_js(v: &JsValue) -> Result<Self, Missing>;
}

fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
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
    (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0).then_some(n as u64)
}

fn string(o: &JsValue, name: Missing) -> Result<String, Missing> {
    required(o, name, JsValue::as_string)
}

fn opt_string(o: &JsValue, name: Missing) -> Result<Option<String>, Missing> {
    optional(o, name, JsValue::as_string)
}

fn number(o: &JsValue, name: Missing) -> Result<u64, Missing> {
    required(o, name, whole)
}

fn opt_number(o: &JsValue, name: Missing) -> Result<Option<u64>, Missing> {
    optional(o, name, whole)
}

/// `o[name]`'s own entries, each value read by `value`; absent is empty.
fn map<T>(
    o: &JsValue,
    name: Missing,
    value: impl Fn(&JsValue) -> Option<T>,
) -> Result<BTreeMap<String, T>, Missing> {
    entries(&get(o, name), name, value)
}

fn entries<T>(
    v: &JsValue,
    name: Missing,
    value: impl Fn(&JsValue) -> Option<T>,
) -> Result<BTreeMap<String, T>, Missing> {
    let mut out = BTreeMap::new();
    if absent(v) {
        return Ok(out);
    }
    object(v).map_err(|_| name)?;
    for entry in Object::entries(v.unchecked_ref::<Object>()).iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().ok_or(name)?;
        out.insert(key, value(&pair.get(1)).ok_or(name)?);
    }
    Ok(out)
}

fn string_map(o: &JsValue, name: Missing) -> Result<BTreeMap<String, String>, Missing> {
    map(o, name, JsValue::as_string)
}

fn object(v: &JsValue) -> Result<(), Missing> {
    if v.is_object() && !Array::is_array(v) {
        Ok(())
    } else {
        Err(".")
    }
}

impl FromJs for UploadParams {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        let method = match string(v, "method")?.as_str() {
            "PUT" | "put" => UploadMethod::Put,
            "POST" | "post" => UploadMethod::Post,
            _ => return Err("method"),
        };
        Ok(Self {
            method,
            url: string(v, "url")?,
            fields: string_map(v, "fields")?,
            headers: string_map(v, "headers")?,
            key: opt_string(v, "key")?,
            bucket: opt_string(v, "bucket")?,
            expires: opt_number(v, "expires")?,
        })
    }
}

impl FromJs for CreateMultipartResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            key: string(v, "key")?,
            upload_id: string(v, "uploadId")?,
            bucket: opt_string(v, "bucket")?,
            part_size: opt_number(v, "partSize")?,
            part_count: opt_number(v, "partCount")?
                .map(u32::try_from)
                .transpose()
                .map_err(|_| "partCount")?,
            expires: opt_number(v, "expires")?,
            parts: match get(v, "parts") {
                p if absent(&p) => None,
                p => Some(BatchSignResponse::from_js(&p).map_err(|_| "parts")?),
            },
        })
    }
}

impl FromJs for BatchSignResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        if absent(&get(v, "presignedUrls")) {
            return Err("presignedUrls");
        }
        Ok(Self {
            presigned_urls: string_map(v, "presignedUrls")?,
            headers: map(v, "headers", |h| {
                entries(h, "headers", JsValue::as_string).ok()
            })?,
            expires: opt_number(v, "expires")?,
        })
    }
}

impl FromJs for SignedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            url: string(v, "url")?,
            headers: string_map(v, "headers")?,
            expires: opt_number(v, "expires")?,
        })
    }
}

impl FromJs for ListedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            part_number: u32::try_from(number(v, "PartNumber")?).map_err(|_| "PartNumber")?,
            size: number(v, "Size")?,
            etag: string(v, "ETag")?,
        })
    }
}

impl FromJs for Vec<ListedPart> {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        if !Array::is_array(v) {
            return Err(".");
        }
        Array::from(v)
            .iter()
            .map(|p| ListedPart::from_js(&p))
            .collect()
    }
}

impl FromJs for CompleteResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            location: string(v, "location")?,
            key: opt_string(v, "key")?,
            bucket: opt_string(v, "bucket")?,
            etag: opt_string(v, "etag")?,
            checksum: opt_string(&get(v, "checksum"), "crc64nvme")
                .ok()
                .flatten()
                .map(|crc64nvme| ObjectChecksum { crc64nvme }),
        })
    }
}

impl FromJs for SingleCompleteResponse {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            key: string(v, "key")?,
            bucket: string(v, "bucket")?,
            location: string(v, "location")?,
            etag: string(v, "etag")?,
            size: number(v, "size")?,
        })
    }
}

impl FromJs for ErrorBody {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        object(v)?;
        Ok(Self {
            error: string(v, "error")?,
            code: opt_string(v, "code")?.unwrap_or_default(),
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
        object(v)?;
        Ok(Self {
            upload_id: string(v, "uploadId")?,
            key: string(v, "key")?,
            part_size: number(v, "partSize")?,
            fingerprint: string(v, "fingerprint")?,
            created_at: required(v, "createdAt", JsValue::as_f64)?,
        })
    }
}

/// The stored form of a resume record (read back by [`FromJs`]).
pub fn resume_record_to_js(r: &ResumeRecord) -> JsValue {
    let o = Object::new();
    set(&o, "uploadId", r.upload_id.as_str());
    set(&o, "key", r.key.as_str());
    set(&o, "partSize", r.part_size as f64);
    set(&o, "fingerprint", r.fingerprint.as_str());
    set(&o, "createdAt", r.created_at);
    o.into()
}
