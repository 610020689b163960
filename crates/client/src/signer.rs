//! Calls to the signer (docs/protocol.md) over `fetch`: one attempt each.
//! Retries, timeouts and fallbacks are the engine's; this module builds the
//! request an [`Action`] names, and decodes the answer into a
//! [`SignerAnswer`], or describes the failure as a [`Failure`].
use alloc::{string::String, vec::Vec};

use s3lift_engine::{Action, Failure, FileId, RequestId, SignerAnswer};
use s3lift_protocol::wire::{ErrorBody, UploadMethod};
use wasm_bindgen::JsValue;

use crate::decode::FromJs;
use crate::js::{at, get, len, push_u64, Json};

/// Where the signer is and how to authenticate to it.
pub struct Signer {
    /// The base path or URL, without a trailing slash (`/s3`).
    pub endpoint: String,
    /// A headers object, or a function returning one (or a promise of one).
    pub headers: JsValue,
    /// Sent as `checksumAlgorithm` when a multipart upload is created.
    pub checksum: Option<&'static str>,
}

/// `encodeURIComponent`.
pub fn enc(s: &str) -> String {
    crate::js::encode_uri_component(s)
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

/// A signer request: method, URL (the endpoint and the route's path), JSON
/// body (`""`: none), answer kind; the call's id and file (`None`: a batch).
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub body: String,
    pub kind: Kind,
    pub id: RequestId,
    pub file: Option<FileId>,
}

/// `/multipart/{id}{tail}?key={key}`, appended.
fn multipart(url: &mut String, id: &str, tail: &str, key: &str) {
    arg(url, "/multipart/", id);
    url.push_str(tail);
    arg(url, "?key=", key);
}

/// `list`, comma-separated (part numbers in a path and in a JSON array).
fn numbers(out: &mut String, list: &[u32]) {
    for (i, n) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_u64(out, u64::from(*n));
    }
}

/// `name` and `value` encoded (`encodeURIComponent`), appended.
fn arg(path: &mut String, name: &str, value: &str) {
    path.push_str(name);
    path.push_str(&enc(value));
}

/// The request an action names, to the signer at `endpoint`; `None` when
/// it is not a signer call.
pub fn request(a: &Action, endpoint: &str, checksum: Option<&str>) -> Option<Request> {
    // The path is written after the endpoint, in place.
    let mut url = String::from(endpoint);
    let (method, body, kind, id, file) = match a {
        Action::SignParamsBatch { id, files, .. } => {
            // The list written into the body in place (here and below).
            let mut body = Json::default();
            body.key("files").0.push('[');
            for (i, f) in files.iter().enumerate() {
                if i > 0 {
                    body.0.push(',');
                }
                let mut o = query_object(&f.query);
                o.key("method").string(match f.method {
                    UploadMethod::Put => "PUT",
                    UploadMethod::Post => "POST",
                });
                body.0.push_str(&o.close());
            }
            body.0.push(']');
            url.push_str("/params");
            ("POST", body.close(), Kind::ParamsBatch, *id, None)
        }
        Action::SignParams {
            id, file, query, ..
        } => {
            arg(&mut url, "/params?filename=", &query.filename);
            let ct = query.content_type.as_deref().unwrap_or("");
            arg(&mut url, "&type=", ct);
            url.push_str("&size=");
            push_u64(&mut url, query.size.unwrap_or(0));
            url.push_str("&method=post");
            if let Some(p) = &query.relative_path {
                arg(&mut url, "&relativePath=", p);
            }
            if let Some(c) = &query.checksum_crc64nvme {
                arg(&mut url, "&checksumCrc64nvme=", c);
            }
            ("GET", String::new(), Kind::Params, *id, Some(*file))
        }
        Action::CreateMultipart {
            id,
            file,
            request,
            part_size,
            sign_parts,
            ..
        } => {
            let mut body = Json::default();
            name_type(&mut body, &request.filename, &request.content_type);
            let mut meta = Json::default();
            for (k, v) in &request.metadata {
                if let Some(v) = v.to_metadata_string() {
                    meta.key(k).string(v);
                }
            }
            body.key("metadata").raw(&meta.close());
            size_path(&mut body, request.size, &request.relative_path);
            if let Some(ps) = part_size {
                body.key("partSize").number(*ps);
            }
            if let Some(c) = checksum {
                body.key("checksumAlgorithm").string(c);
            }
            if let Some(n) = sign_parts {
                body.key("signParts").number(u64::from(*n));
            }
            url.push_str("/multipart");
            ("POST", body.close(), Kind::Created, *id, Some(*file))
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
            multipart(&mut url, upload_id, "/batch", key);
            url.push_str("&partNumbers=");
            numbers(&mut url, parts);
            if let Some(c) = checksums {
                let mut list = String::from(c.algorithm.as_str());
                for (i, v) in c.values.iter().enumerate() {
                    list.push(if i == 0 { ':' } else { ',' });
                    list.push_str(v);
                }
                arg(&mut url, "&checksums=", &list);
            }
            ("GET", String::new(), Kind::Parts, *id, Some(*file))
        }
        Action::SignPart {
            id,
            file,
            upload_id,
            key,
            part,
            ..
        } => {
            let mut tail = String::from("/");
            push_u64(&mut tail, u64::from(*part));
            multipart(&mut url, upload_id, &tail, key);
            ("GET", String::new(), Kind::Part, *id, Some(*file))
        }
        Action::ListParts {
            id,
            file,
            upload_id,
            key,
            ..
        } => {
            multipart(&mut url, upload_id, "", key);
            ("GET", String::new(), Kind::Listed, *id, Some(*file))
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
            let mut body = Json::default();
            if *in_body {
                body.key("uploadId").string(upload_id);
                body.key("key").string(key);
                url.push_str("/multipart/complete");
            } else {
                multipart(&mut url, upload_id, "/complete", key);
            }
            body.key("parts").0.push('[');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    body.0.push(',');
                }
                let mut o = Json::default();
                o.key("PartNumber").number(u64::from(p.part_number));
                o.key("ETag").string(&p.etag);
                body.0.push_str(&o.close());
            }
            body.0.push(']');
            if let Some(c) = checksum {
                body.key("checksumCrc64nvme").string(c);
            }
            if !pending.is_empty() {
                body.key("pending").0.push('[');
                numbers(&mut body.0, pending);
                body.0.push(']');
            }
            ("POST", body.close(), Kind::Completed, *id, Some(*file))
        }
        Action::Abort {
            id,
            file,
            upload_id,
            key,
            ..
        } => {
            multipart(&mut url, upload_id, "", key);
            ("DELETE", String::new(), Kind::Aborted, *id, Some(*file))
        }
        Action::Confirm { id, keys, .. } => {
            let mut body = Json::default();
            body.key("keys").0.push('[');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    body.0.push(',');
                }
                body.string(k);
            }
            body.0.push(']');
            url.push_str("/params/complete");
            ("POST", body.close(), Kind::Confirmed, *id, None)
        }
        _ => return None,
    };
    Some(Request {
        method,
        url,
        body,
        kind,
        id,
        file,
    })
}

fn query_object(q: &s3lift_protocol::wire::ParamsQuery) -> Json {
    let mut o = Json::default();
    name_type(&mut o, &q.filename, &q.content_type);
    size_path(&mut o, q.size, &q.relative_path);
    if let Some(c) = &q.checksum_crc64nvme {
        o.key("checksumCrc64nvme").string(c);
    }
    o
}

/// `filename` and `type` (`""` when unknown), as a params query and a
/// create request write them.
fn name_type(o: &mut Json, filename: &str, content_type: &Option<String>) {
    o.key("filename").string(filename);
    o.key("type").string(content_type.as_deref().unwrap_or(""));
}

/// `size` and `relativePath`, when known.
fn size_path(o: &mut Json, size: Option<u64>, relative_path: &Option<String>) {
    if let Some(size) = size {
        o.key("size").number(size);
    }
    if let Some(p) = relative_path {
        o.key("relativePath").string(p);
    }
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
/// threw; `json` is the parsed body (`undefined` when it was not JSON).
pub fn answer(
    kind: Kind,
    status: u16,
    json: &JsValue,
    retry_after: Option<String>,
) -> Result<SignerAnswer, Failure> {
    match status {
        0 => Err(Failure::network()),
        // The app's headers function threw or its promise was rejected.
        1 => Err(coded(401, "auth")),
        200..=299 if json.is_undefined() => Err(bad_answer(status)),
        200..=299 => decode(kind, json).map_err(|_| bad_answer(status)),
        _ => {
            let body = ErrorBody::from_js(json).ok();
            Err(Failure::from_signer(
                status,
                body.as_ref(),
                retry_after.as_deref(),
            ))
        }
    }
}
