//! Reading the signer's JSON answers (already parsed by `JSON.parse`) into
//! the wire types of `s3lift_protocol`.
//!
//! A table of fields per type, read by one non-generic reader that writes
//! each field in place, instead of a generic deserializer (serde +
//! serde-wasm-bindgen cost the bundle more than the rest of the wire
//! handling together) or an instance of the same reads per type. The rules
//! are serde's for these types: required fields must be there with the
//! right type, optional ones may be absent or `null`, unknown fields are
//! ignored.
use alloc::{string::String, vec::Vec};
use core::{marker::PhantomData, mem::offset_of};

use js_sys::Object;
use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{
    BatchSignResponse, ChecksumDecision, CompleteResponse, CreateMultipartResponse, ErrorBody,
    ListedPart, ObjectChecksum, SignedPart, SingleCompleteResponse, UploadMethod, UploadParams,
};
use s3lift_protocol::{map::Map, Must};
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
    // Whole: `f64::fract` needs `std`. (`as` saturates: a negative or NaN
    // becomes 0, which is not `n` back but for 0 and -0.)
    let u = n as u64;
    (u as f64 == n && n <= 9_007_199_254_740_991.0).then_some(u)
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
    if !lax && k != 2 {
        return Err(name);
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

/// `o.headers`: part number -> a string map (present: `put` reads only
/// those; absent is the default, empty).
fn nested(v: &JsValue, name: Missing) -> Result<Map<Map<String>>, Missing> {
    let mut out = Map::new();
    if kind(v) != 2 {
        return Err(name);
    }
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

/// A field's type, and what `put` writes for it.
trait Kind {
    type T;
    const TAG: u8;
}

macro_rules! kinds {
    ($($k:ident $tag:literal $t:ty;)*) => {$(
        struct $k;
        impl Kind for $k {
            type T = $t;
            const TAG: u8 = $tag;
        }
    )*};
}

// `Str`: `""` when absent (unless `REQ`); numbers: whole and non-negative
// (serde's `u64`) but `F64`; `Crc`: `o[name].crc64nvme` when it is a
// string, never wrong; `True`: `=== true`, never wrong.
kinds! {
    Str 0 String;
    OptStr 1 Option<String>;
    Method 2 UploadMethod; // `PUT`/`put` or `POST`/`post`.
    Decision 3 Option<ChecksumDecision>; // `signed` or `dropped`.
    Num 4 u64;
    OptNum 5 Option<u64>;
    U32 6 u32;
    OptU32 7 Option<u32>;
    F64 8 f64;
    StrMap 9 Map<String>;
    Nested 10 Map<Map<String>>;
    Batch 11 Option<BatchSignResponse>;
    Crc 12 Option<ObjectChecksum>;
    True 13 bool;
}

/// Must be there (an absent field is left at its default otherwise).
const REQ: u8 = 16;

/// The fields of a `T` to read, in order: the name, and the kind (`| REQ`)
/// in the low byte with the field's offset above it (a smaller table).
/// Made only by `spec!`, which checks that each field is of its kind's
/// type, so `fill` writes every one as what it is.
struct Spec<T>(&'static [(Missing, u32)], PhantomData<T>);

/// `spec!(T: "name" => field: Kind [+ REQ], ...)`.
macro_rules! spec {
    ($t:ty: $($name:literal => $f:ident: $k:ident $(+ $req:ident)?),* $(,)?) => {{
        const S: Spec<$t> = Spec(
            &[$({
                // The field is a `Kind::T` (a compile-time check only).
                let _: fn(&$t) -> &<$k as Kind>::T = |t| &t.$f;
                ($name, (offset_of!($t, $f) as u32) << 8 | (<$k as Kind>::TAG $(| $req)?) as u32)
            }),*],
            PhantomData,
        );
        S
    }};
}

/// `impl FromJs` for a type read by its `spec!`.
macro_rules! from_js {
    ($t:ident: $($fields:tt)*) => {
        impl FromJs for $t {
            fn from_js(v: &JsValue) -> Result<Self, Missing> {
                read(v, spec!($t: $($fields)*))
            }
        }
    };
}

/// A `T` read from `o` as `spec` says: its fields in order, the first
/// absent (when required) or of the wrong type named; absent optional
/// fields keep their default. One non-generic reader for every type.
fn read<T: Default>(o: &JsValue, spec: Spec<T>) -> Result<T, Missing> {
    let mut out = T::default();
    // SAFETY: `spec` was made by `spec!` for `T`: each offset is a field
    // of `out` of its kind's type, and that field holds its default.
    unsafe { fill(o, (&mut out as *mut T).cast(), spec.0)? };
    Ok(out)
}

/// SAFETY: `base` points to a value whose field at each offset of `spec`
/// is of that entry's kind's type and holds that type's default (which
/// owns no memory: it is overwritten without a drop).
#[inline(never)]
unsafe fn fill(o: &JsValue, base: *mut u8, spec: &[(Missing, u32)]) -> Result<(), Missing> {
    object(o)?;
    for &(name, field) in spec {
        let (tag, offset) = (field as u8, field as usize >> 8);
        let f = get(o, name);
        let ok = match absent(&f) {
            true => tag & REQ == 0,
            // SAFETY: as `fill`'s.
            false => unsafe { put(&f, name, tag & 15, base.add(offset)) }.is_some(),
        };
        drop(f);
        if !ok {
            return Err(name);
        }
    }
    Ok(())
}

/// Writes `f` read as kind `k` at `p`; `None` when it is of the wrong type.
/// SAFETY: `p` is a field of `k`'s type that holds its default.
#[inline(never)]
unsafe fn put(f: &JsValue, name: Missing, k: u8, p: *mut u8) -> Option<()> {
    unsafe {
        match k {
            // The string kinds.
            0..=3 => {
                let s = f.as_string()?;
                match (k, s.as_str()) {
                    (Str::TAG, _) => p.cast::<String>().write(s),
                    (OptStr::TAG, _) => p.cast::<Option<String>>().write(Some(s)),
                    (Method::TAG, "PUT" | "put") => {
                        p.cast::<UploadMethod>().write(UploadMethod::Put)
                    }
                    (Method::TAG, "POST" | "post") => {
                        p.cast::<UploadMethod>().write(UploadMethod::Post)
                    }
                    (Decision::TAG, "signed") => p
                        .cast::<Option<ChecksumDecision>>()
                        .write(Some(ChecksumDecision::Signed)),
                    (Decision::TAG, "dropped") => p
                        .cast::<Option<ChecksumDecision>>()
                        .write(Some(ChecksumDecision::Dropped)),
                    _ => return None,
                }
            }
            // The whole numbers.
            4..=7 => {
                let n = whole(f)?;
                let small = u32::try_from(n);
                match k {
                    Num::TAG => p.cast::<u64>().write(n),
                    OptNum::TAG => p.cast::<Option<u64>>().write(Some(n)),
                    U32::TAG => p.cast::<u32>().write(small.ok()?),
                    _ => p.cast::<Option<u32>>().write(Some(small.ok()?)),
                }
            }
            F64::TAG => p.cast::<f64>().write(f.as_f64()?),
            StrMap::TAG => p
                .cast::<Map<String>>()
                .write(entries(f, name, JsValue::as_string, false).ok()?),
            Nested::TAG => p.cast::<Map<Map<String>>>().write(nested(f, name).ok()?),
            Batch::TAG => p
                .cast::<Option<BatchSignResponse>>()
                .write(Some(BatchSignResponse::from_js(f).ok()?)),
            Crc::TAG => p.cast::<Option<ObjectChecksum>>().write(
                get(f, "crc64nvme")
                    .as_string()
                    .map(|crc64nvme| ObjectChecksum { crc64nvme }),
            ),
            _ => p.cast::<bool>().write(kind(f) == 4),
        }
    }
    Some(())
}

from_js!(UploadParams:
    "method" => method: Method + REQ,
    "url" => url: Str + REQ,
    "fields" => fields: StrMap,
    "headers" => headers: StrMap,
    "key" => key: OptStr,
    "bucket" => bucket: OptStr,
    "expires" => expires: OptNum,
    "checksum" => checksum: Decision,
);

from_js!(CreateMultipartResponse:
    "key" => key: Str + REQ,
    "uploadId" => upload_id: Str + REQ,
    "bucket" => bucket: OptStr,
    "partSize" => part_size: OptNum,
    "partCount" => part_count: OptU32,
    "expires" => expires: OptNum,
    "parts" => parts: Batch,
    "checksum" => checksum: Decision,
);

from_js!(BatchSignResponse:
    "presignedUrls" => presigned_urls: StrMap + REQ,
    "headers" => headers: Nested,
    "expires" => expires: OptNum,
);

from_js!(SignedPart:
    "url" => url: Str + REQ,
    "headers" => headers: StrMap,
    "expires" => expires: OptNum,
);

const LISTED_PART: Spec<ListedPart> = spec!(ListedPart:
    "PartNumber" => part_number: U32 + REQ,
    "Size" => size: Num + REQ,
    "ETag" => etag: Str + REQ,
);

impl FromJs for ListedPart {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        read(v, LISTED_PART)
    }
}

impl FromJs for Vec<ListedPart> {
    fn from_js(v: &JsValue) -> Result<Self, Missing> {
        if kind(v) != 1 {
            return Err(".");
        }
        let mut out: Vec<ListedPart> = Vec::new();
        // An array (checked above): read in place, not copied by `Array.from`;
        // each part filled where it is pushed.
        for i in 0..len(v) {
            out.push(ListedPart::default());
            let part: *mut ListedPart = out.last_mut().must();
            // SAFETY: as in `read` (the spec is `ListedPart`'s, and `part`
            // the default just pushed); on an error `out` drops it.
            unsafe { fill(&at(v, i), part.cast(), LISTED_PART.0)? };
        }
        Ok(out)
    }
}

from_js!(CompleteResponse:
    "location" => location: Str + REQ,
    "key" => key: OptStr,
    "bucket" => bucket: OptStr,
    "etag" => etag: OptStr,
    "checksum" => checksum: Crc,
);

from_js!(SingleCompleteResponse:
    "key" => key: Str + REQ,
    "bucket" => bucket: Str + REQ,
    "location" => location: Str + REQ,
    "etag" => etag: Str + REQ,
    "size" => size: Num + REQ,
    "checksum" => checksum: Crc,
);

from_js!(ErrorBody:
    "error" => error: Str + REQ,
    "code" => code: Str,
);

/// Any JSON at all (an answer whose body does not matter, like abort's).
impl FromJs for () {
    fn from_js(_: &JsValue) -> Result<Self, Missing> {
        Ok(())
    }
}

from_js!(ResumeRecord:
    "uploadId" => upload_id: Str + REQ,
    "key" => key: Str + REQ,
    "partSize" => part_size: Num + REQ,
    "fingerprint" => fingerprint: Str + REQ,
    "createdAt" => created_at: F64 + REQ,
    // `=== true` (the glue's shim for `as_bool` is longer).
    "completing" => completing: True,
);
