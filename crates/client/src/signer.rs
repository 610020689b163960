//! Calls to the signer (docs/protocol.md) over `fetch`: one attempt each.
//! Retries, timeouts and fallbacks are the engine's; this module builds the
//! request an [`Action`] names and decodes the answer into a
//! [`SignerAnswer`], or describes the failure as a [`Failure`].

use js_sys::{Array, Function, Object, Promise};
use s3lift_engine::{Action, Failure, SignerAnswer};
use s3lift_protocol::wire::{ErrorBody, SingleCompleteResponse, UploadParams};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, Response};

use crate::decode::FromJs;
use crate::js::{get, set, to_json};
use crate::transport::{fetch, AbortHandle};

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
    js_sys::encode_uri_component(s).into()
}

/// What the answer must decode into.
#[derive(Clone, Copy)]
enum Kind {
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

/// The request an action names: method, path below the endpoint, JSON body.
fn request(
    a: &Action,
    checksum: Option<&str>,
) -> Option<(&'static str, String, Option<String>, Kind)> {
    let up = |id: &str, key: &str| format!("/multipart/{}?key={}", enc(id), enc(key));
    Some(match a {
        Action::SignParamsBatch { files, .. } => {
            let list = Array::new();
            for f in files {
                let o = query_object(&f.query);
                set(&o, "method", "POST");
                list.push(&o);
            }
            let body = Object::new();
            set(&body, "files", list);
            (
                "POST",
                "/params".into(),
                Some(to_json(&body)),
                Kind::ParamsBatch,
            )
        }
        Action::SignParams { query, .. } => {
            let path = format!(
                "/params?filename={}&type={}&size={}&method=post",
                enc(&query.filename),
                enc(query.content_type.as_deref().unwrap_or("")),
                query.size.unwrap_or(0)
            );
            ("GET", path, None, Kind::Params)
        }
        Action::CreateMultipart {
            request,
            part_size,
            sign_parts,
            ..
        } => {
            let body = Object::new();
            set(&body, "filename", request.filename.as_str());
            set(&body, "type", request.content_type.as_deref().unwrap_or(""));
            let meta = Object::new();
            for (k, v) in &request.metadata {
                if let Some(v) = v.to_metadata_string() {
                    set(&meta, k, v);
                }
            }
            set(&body, "metadata", meta);
            if let Some(size) = request.size {
                set(&body, "size", size as f64);
            }
            if let Some(ps) = part_size {
                set(&body, "partSize", *ps as f64);
            }
            if let Some(c) = checksum {
                set(&body, "checksumAlgorithm", c);
            }
            if let Some(n) = sign_parts {
                set(&body, "signParts", *n);
            }
            (
                "POST",
                "/multipart".into(),
                Some(to_json(&body)),
                Kind::Created,
            )
        }
        Action::SignParts {
            upload_id,
            key,
            parts,
            checksums,
            ..
        } => {
            let list: Vec<String> = parts.iter().map(u32::to_string).collect();
            let mut path = format!(
                "/multipart/{}/batch?key={}&partNumbers={}",
                enc(upload_id),
                enc(key),
                list.join(",")
            );
            if let Some(c) = checksums {
                path.push_str("&checksums=");
                path.push_str(&enc(&format!(
                    "{}:{}",
                    c.algorithm.as_str(),
                    c.values.join(",")
                )));
            }
            ("GET", path, None, Kind::Parts)
        }
        Action::SignPart {
            upload_id,
            key,
            part,
            ..
        } => {
            let path = format!("/multipart/{}/{part}?key={}", enc(upload_id), enc(key));
            ("GET", path, None, Kind::Part)
        }
        Action::ListParts { upload_id, key, .. } => ("GET", up(upload_id, key), None, Kind::Listed),
        Action::Complete {
            upload_id,
            key,
            parts,
            checksum,
            ..
        } => {
            let list = Array::new();
            for p in parts {
                let o = Object::new();
                set(&o, "PartNumber", p.part_number);
                set(&o, "ETag", p.etag.as_str());
                list.push(&o);
            }
            let body = Object::new();
            set(&body, "parts", list);
            if let Some(c) = checksum {
                set(&body, "checksumCrc64nvme", c.as_str());
            }
            let path = format!("/multipart/{}/complete?key={}", enc(upload_id), enc(key));
            ("POST", path, Some(to_json(&body)), Kind::Completed)
        }
        Action::Abort { upload_id, key, .. } => ("DELETE", up(upload_id, key), None, Kind::Aborted),
        Action::Confirm { keys, .. } => {
            let list = Array::new();
            for k in keys {
                list.push(&JsValue::from_str(k));
            }
            let body = Object::new();
            set(&body, "keys", list);
            let path = "/params/complete".into();
            ("POST", path, Some(to_json(&body)), Kind::Confirmed)
        }
        _ => return None,
    })
}

fn query_object(q: &s3lift_protocol::wire::ParamsQuery) -> Object {
    let o = Object::new();
    set(&o, "filename", q.filename.as_str());
    set(&o, "type", q.content_type.as_deref().unwrap_or(""));
    if let Some(size) = q.size {
        set(&o, "size", size as f64);
    }
    o
}

/// A 2xx whose body is not the answer expected: the engine fails the file
/// with `bad_answer` (a 2xx is never retried).
fn bad_answer(status: u16) -> Failure {
    Failure {
        status: Some(status),
        code: Some("bad_answer".into()),
        ..Failure::default()
    }
}

fn decode(kind: Kind, v: &JsValue) -> Result<SignerAnswer, &'static str> {
    Ok(match kind {
        Kind::ParamsBatch => {
            let items = get(v, "params");
            if !Array::is_array(&items) {
                return Err("params");
            }
            SignerAnswer::ParamsBatch(Array::from(&items).iter().map(|i| batch_item(&i)).collect())
        }
        Kind::Params => SignerAnswer::Params(FromJs::from_js(v)?),
        Kind::Created => SignerAnswer::Created(FromJs::from_js(v)?),
        Kind::Parts => SignerAnswer::Parts(FromJs::from_js(v)?),
        Kind::Part => SignerAnswer::Part(FromJs::from_js(v)?),
        Kind::Listed => SignerAnswer::Listed(FromJs::from_js(v)?),
        Kind::Completed => SignerAnswer::Completed(FromJs::from_js(v)?),
        Kind::Aborted => SignerAnswer::Aborted,
        Kind::Confirmed => {
            let items = get(v, "objects");
            if !Array::is_array(&items) {
                return Err("objects");
            }
            let items = Array::from(&items)
                .iter()
                .map(|i| confirm_item(&i))
                .collect();
            SignerAnswer::Confirmed(items)
        }
    })
}

/// One entry of a `POST /s3/params/complete` answer: the object, or an error body.
fn confirm_item(item: &JsValue) -> Result<SingleCompleteResponse, ErrorBody> {
    if get(item, "location").is_string() {
        if let Ok(o) = SingleCompleteResponse::from_js(item) {
            return Ok(o);
        }
    }
    Err(ErrorBody::from_js(item).unwrap_or(ErrorBody {
        error: "unexpected signer answer".into(),
        code: "bad_answer".into(),
    }))
}

/// One item of a `POST /s3/params` answer: params, or an error body.
fn batch_item(item: &JsValue) -> Result<UploadParams, ErrorBody> {
    if get(item, "url").is_string() {
        if let Ok(p) = UploadParams::from_js(item) {
            return Ok(p);
        }
    }
    Err(ErrorBody::from_js(item).unwrap_or(ErrorBody {
        error: "unexpected signer answer".into(),
        code: "bad_answer".into(),
    }))
}

impl Signer {
    async fn headers(&self) -> Result<Vec<(String, String)>, ()> {
        let mut value = self.headers.clone();
        if let Some(f) = value.dyn_ref::<Function>() {
            value = f.call0(&JsValue::UNDEFINED).map_err(drop)?;
        }
        if let Some(p) = value.dyn_ref::<Promise>() {
            value = JsFuture::from(p.clone()).await.map_err(drop)?;
        }
        let mut out = Vec::new();
        if value.is_object() {
            for entry in Object::entries(value.unchecked_ref::<Object>()).iter() {
                let pair: Array = entry.unchecked_into();
                if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                    out.push((k, v));
                }
            }
        }
        Ok(out)
    }

    /// Performs the signer call `action` names, once. `None` when the action
    /// is not a signer call, or was aborted through `abort`.
    pub async fn call(
        &self,
        action: &Action,
        abort: &AbortHandle,
    ) -> Option<Result<SignerAnswer, Failure>> {
        let (method, path, body, kind) = request(action, self.checksum)?;
        let Ok(headers) = self.headers().await else {
            // The app's headers function threw or its promise was rejected.
            return Some(Err(Failure {
                status: Some(401),
                code: Some("auth".into()),
                ..Failure::default()
            }));
        };
        let init = RequestInit::new();
        init.set_method(method);
        let h = web_sys::Headers::new().ok()?;
        let _ = h.set("accept", "application/json");
        for (k, v) in &headers {
            let _ = h.set(k, v);
        }
        if let Some(json) = &body {
            let _ = h.set("content-type", "application/json");
            init.set_body(&JsValue::from_str(json));
        }
        init.set_headers(&h);
        let controller = web_sys::AbortController::new().ok()?;
        init.set_signal(Some(&controller.signal()));
        abort.set(Box::new(move || controller.abort()));
        let url = [self.endpoint.as_str(), &path].concat();
        let res = JsFuture::from(fetch(&url, &init)).await;
        let text = match &res {
            Ok(r) => match r.unchecked_ref::<Response>().text() {
                Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
                Err(_) => None,
            },
            Err(_) => None,
        };
        abort.clear();
        if abort.is_aborted() {
            return None;
        }
        let (Ok(res), Some(text)) = (res, text) else {
            // No answer, or its body was cut off.
            return Some(Err(Failure::network()));
        };
        let res: Response = res.unchecked_into();
        let status = res.status();
        let json = js_sys::JSON::parse(if text.is_empty() { "{}" } else { &text });
        if res.ok() {
            return Some(match json {
                Ok(v) => decode(kind, &v).map_err(|_| bad_answer(status)),
                Err(_) => Err(bad_answer(status)),
            });
        }
        let body = json.ok().and_then(|v| ErrorBody::from_js(&v).ok());
        let retry_after = res.headers().get("retry-after").ok().flatten();
        Some(Err(Failure::from_signer(
            status,
            body.as_ref(),
            retry_after.as_deref(),
        )))
    }
}
