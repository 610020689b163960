//! Calls to the signer (docs/protocol.md) over `fetch`: one attempt each.
//! Retries, timeouts and fallbacks are the engine's; this module builds the
//! request an [`Action`] names, and decodes the answer into a
//! [`SignerAnswer`], or describes the failure as a [`Failure`].
use alloc::{string::String, vec::Vec};

use s3lift_engine::{Action, Failure, FileId, RequestId, SignerAnswer};
use s3lift_protocol::wire::{ErrorBody, UploadMethod};
use wasm_bindgen::JsValue;

use crate::decode::FromJs;
use crate::js::{at, get, len, Json};

/// Where the signer is and how to authenticate to it.
pub struct Signer {
    /// The base path or URL, without a trailing slash (`/s3`).
    pub endpoint: String,
    /// A headers object, or a function returning one (or a promise of one).
    pub headers: JsValue,
    /// Sent as `checksumAlgorithm` when a multipart upload is created.
    pub checksum: Option<&'static str>,
}

/// What the answer must decode into.
#[derive(Clone, Copy)]
pub enum Kind {
    ParamsBatch,
    Params,
    Created,
    Parts,
    Part,
    Listed,
    Completed,
    Aborted,
    Confirmed,
}

/// A signer call: its fields as a JSON array, `[..., kind]`, which the
/// snippet's `signer` turns into the method, URL and body (docs/protocol.md;
/// JS text costs the bundle less than wasm for this); the answer kind; the
/// call's id and file (`None`: a batch).
pub struct Request {
    pub spec: String,
    pub kind: Kind,
    pub id: RequestId,
    pub file: Option<FileId>,
}

/// The array's next item: `,` unless it is the first.
fn next(j: &mut Json) -> &mut Json {
    if j.0.as_bytes().last() != Some(&b'[') {
        j.0.push(',');
    }
    j
}

/// A string, or `null`.
fn text(j: &mut Json, v: Option<&str>) {
    match v {
        Some(s) => next(j).string(s),
        None => next(j).raw("null"),
    };
}

/// A number, or `null`.
fn num(j: &mut Json, v: Option<u64>) {
    match v {
        Some(n) => next(j).number(n),
        None => next(j).raw("null"),
    };
}

/// `list` as an array of numbers.
fn numbers(j: &mut Json, list: &[u32]) {
    next(j).0.push('[');
    for n in list {
        next(j).number(u64::from(*n));
    }
    j.0.push(']');
}

/// A params query or a create request's fields: `filename`, `type` (`""`
/// when unknown), `size`, `relativePath`.
fn file(j: &mut Json, name: &str, ct: &Option<String>, size: Option<u64>, path: &Option<String>) {
    next(j).string(name);
    text(j, Some(ct.as_deref().unwrap_or("")));
    num(j, size);
    text(j, path.as_deref());
}

/// The upload id and the key.
fn ids(j: &mut Json, upload_id: &str, key: &str) {
    next(j).string(upload_id);
    next(j).string(key);
}

/// The call an action names (`checksum`: the create's `checksumAlgorithm`);
/// `None` when it is not a signer call. The array's items, before the kind
/// (the snippet's `signer` reads them in this order, the kind last; `null`: absent):
/// - params batch: per file `[filename, type, size, relativePath, checksumCrc64nvme, method]`;
/// - params: `filename, type, size, relativePath, checksumCrc64nvme`;
/// - create: `filename, type, size, relativePath, metadata, partSize, checksumAlgorithm, signParts`;
/// - sign parts: `uploadId, key, [partNumbers], [algorithm, checksums...]`; sign part: `uploadId, key, part`;
/// - list, abort: `uploadId, key`;
/// - complete: `uploadId, key, inBody, [[PartNumber, ETag]...], checksumCrc64nvme, [pending]`;
/// - confirm: the keys.
pub fn request(a: &Action, checksum: Option<&str>) -> Option<Request> {
    let mut j = Json(String::from("["));
    let (kind, id, file_id) = match a {
        Action::SignParamsBatch { id, files, .. } => {
            for f in files {
                next(&mut j).0.push('[');
                query(&mut j, &f.query);
                next(&mut j).string(match f.method {
                    UploadMethod::Put => "PUT",
                    UploadMethod::Post => "POST",
                });
                j.0.push(']');
            }
            (Kind::ParamsBatch, *id, None)
        }
        Action::SignParams {
            id, file, query: q, ..
        } => {
            query(&mut j, q);
            (Kind::Params, *id, Some(*file))
        }
        Action::CreateMultipart {
            id,
            file: f,
            request: r,
            part_size,
            sign_parts,
            ..
        } => {
            file(
                &mut j,
                &r.filename,
                &r.content_type,
                r.size,
                &r.relative_path,
            );
            let mut meta = Json::default();
            for (k, v) in &r.metadata {
                if let Some(v) = v.to_metadata_string() {
                    meta.key(k).string(v);
                }
            }
            next(&mut j).raw(&meta.close());
            num(&mut j, *part_size);
            text(&mut j, checksum);
            num(&mut j, sign_parts.map(u64::from));
            (Kind::Created, *id, Some(*f))
        }
        Action::SignParts {
            id,
            file,
            upload_id,
            key,
            parts,
            checksums,
            ..
        } => {
            ids(&mut j, upload_id, key);
            numbers(&mut j, parts);
            match checksums {
                // `[algorithm, values...]`: the snippet writes `algorithm:v1,v2`.
                Some(c) => {
                    next(&mut j).0.push('[');
                    next(&mut j).string(c.algorithm.as_str());
                    for v in &c.values {
                        next(&mut j).string(v);
                    }
                    j.0.push(']');
                }
                None => text(&mut j, None),
            }
            (Kind::Parts, *id, Some(*file))
        }
        Action::SignPart {
            id,
            file,
            upload_id,
            key,
            part,
            ..
        } => {
            ids(&mut j, upload_id, key);
            next(&mut j).number(u64::from(*part));
            (Kind::Part, *id, Some(*file))
        }
        Action::ListParts {
            id,
            file,
            upload_id,
            key,
            ..
        } => {
            ids(&mut j, upload_id, key);
            (Kind::Listed, *id, Some(*file))
        }
        Action::Complete {
            id,
            file,
            upload_id,
            key,
            parts,
            pending,
            checksum,
            in_body,
            ..
        } => {
            ids(&mut j, upload_id, key);
            next(&mut j).number(u64::from(*in_body));
            next(&mut j).0.push('[');
            for p in parts {
                next(&mut j).0.push('[');
                j.number(u64::from(p.part_number));
                next(&mut j).string(&p.etag);
                j.0.push(']');
            }
            j.0.push(']');
            text(&mut j, checksum.as_deref());
            numbers(&mut j, pending);
            (Kind::Completed, *id, Some(*file))
        }
        Action::Abort {
            id,
            file,
            upload_id,
            key,
            ..
        } => {
            ids(&mut j, upload_id, key);
            (Kind::Aborted, *id, Some(*file))
        }
        Action::Confirm { id, keys, .. } => {
            for k in keys {
                next(&mut j).string(k);
            }
            (Kind::Confirmed, *id, None)
        }
        _ => return None,
    };
    // The kind last (the snippet pops it).
    next(&mut j).number(kind as u64);
    j.0.push(']');
    Some(Request {
        spec: j.0,
        kind,
        id,
        file: file_id,
    })
}

fn query(j: &mut Json, q: &s3lift_protocol::wire::ParamsQuery) {
    file(j, &q.filename, &q.content_type, q.size, &q.relative_path);
    text(j, q.checksum_crc64nvme.as_deref());
}

/// A 2xx whose body is not the answer expected: the engine fails the file
/// with `bad_answer` (a 2xx is never retried).
fn bad_answer(status: u16) -> Failure {
    coded(status, "bad_answer")
}

/// A failure with `status` and `code`.
#[inline(never)]
fn coded(status: u16, code: &str) -> Failure {
    Failure {
        status: Some(status),
        code: Some(code.into()),
        ..Failure::default()
    }
}

fn decode(kind: Kind, v: &JsValue) -> Result<SignerAnswer, &'static str> {
    Ok(match kind {
        Kind::ParamsBatch => SignerAnswer::ParamsBatch(items(v, "params", "url")?),
        Kind::Params => SignerAnswer::Params(FromJs::from_js(v)?),
        Kind::Created => SignerAnswer::Created(FromJs::from_js(v)?),
        Kind::Parts => SignerAnswer::Parts(FromJs::from_js(v)?),
        Kind::Part => SignerAnswer::Part(FromJs::from_js(v)?),
        Kind::Listed => SignerAnswer::Listed(FromJs::from_js(v)?),
        Kind::Completed => SignerAnswer::Completed(FromJs::from_js(v)?),
        Kind::Aborted => SignerAnswer::Aborted,
        Kind::Confirmed => SignerAnswer::Confirmed(items(v, "objects", "location")?),
    })
}

/// `v[name]`, a list of per-file results: each item is a `T` when its
/// `tag` field is a string and it reads as one, else its error body
/// (`POST /s3/params`: params; `POST /s3/params/complete`: the object).
fn items<T: FromJs>(
    v: &JsValue,
    name: &'static str,
    tag: &str,
) -> Result<Vec<Result<T, ErrorBody>>, &'static str> {
    let list = get(v, name);
    if crate::js::kind(&list) != 1 {
        return Err(name);
    }
    let mut out = Vec::new();
    // An array (checked above): read in place, not copied by `Array.from`.
    for i in 0..len(&list) {
        out.push(item(&at(&list, i), tag));
    }
    Ok(out)
}

fn item<T: FromJs>(item: &JsValue, tag: &str) -> Result<T, ErrorBody> {
    // A string (read through `get_str`: the `is_string` import goes).
    if crate::js::get_str(item, tag).is_some() {
        if let Ok(o) = T::from_js(item) {
            return Ok(o);
        }
    }
    Err(refused(item))
}

/// A batch item's error body (one copy for the two kinds of batch).
#[inline(never)]
fn refused(item: &JsValue) -> ErrorBody {
    ErrorBody::from_js(item).unwrap_or_else(|_| ErrorBody {
        error: "unexpected signer answer".into(),
        code: "bad_answer".into(),
    })
}

/// The answer to a call of `kind`, as the snippet's `signer` reported it:
/// status 0 when nothing came back, 1 when the app's `headers` function
/// threw; `json` is the parsed body (`undefined` when it was not JSON,
/// `{}` when it was `null`); `retry_after` the `Retry-After` header, a
/// string or `null`.
pub fn answer(
    kind: Kind,
    status: u16,
    json: &JsValue,
    retry_after: &JsValue,
) -> Result<SignerAnswer, Failure> {
    match status {
        0 => Err(Failure::network()),
        // The app's headers function threw or its promise was rejected.
        1 => Err(coded(401, "auth")),
        // Not JSON (the snippet's `undefined`; JSON `null` comes as `{}`).
        200..=299 if crate::js::kind(json) == 0 => Err(bad_answer(status)),
        200..=299 => decode(kind, json).map_err(|_| bad_answer(status)),
        _ => {
            let body = ErrorBody::from_js(json).ok();
            Err(Failure::from_signer(
                status,
                body.as_ref(),
                retry_after.as_string().as_deref(),
            ))
        }
    }
}
