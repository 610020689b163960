//! Calls to the signer (docs/protocol.md), over fetch through gloo-net, retried
//! by the same rules as part uploads.

use gloo_net::http::{Request, RequestBuilder};
use js_sys::{Function, Object, Promise};
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::retry::{classify, parse_retry_after, RetryPolicy, Verdict};
use s3lift_protocol::wire::ErrorBody;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::decode::FromJs;
use crate::js::{sleep, UploadError};

/// Where the signer is and how to authenticate to it.
pub struct Signer {
    /// The base path or URL, without a trailing slash (`/s3`).
    pub endpoint: String,
    /// A headers object, or a function returning one (or a promise of one).
    pub headers: JsValue,
    pub retry: RetryPolicy,
    /// A call with no answer after this long is aborted and retried (0: never).
    pub timeout_ms: u32,
    /// The signer lacks `POST /params/complete` (Companion): not asked again.
    pub complete_unsupported: std::cell::Cell<bool>,
}

#[derive(Clone, Copy)]
pub enum Method {
    Get,
    Post,
    Delete,
}

/// `encodeURIComponent`.
pub fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

impl Signer {
    async fn headers(&self) -> Result<Vec<(String, String)>, UploadError> {
        let mut value = self.headers.clone();
        if let Some(f) = value.dyn_ref::<Function>() {
            value = f
                .call0(&JsValue::UNDEFINED)
                .map_err(|_| UploadError::new(ErrorCode::Auth, "the headers function threw"))?;
        }
        if let Some(p) = value.dyn_ref::<Promise>() {
            value = JsFuture::from(p.clone()).await.map_err(|_| {
                UploadError::new(ErrorCode::Auth, "the headers promise was rejected")
            })?;
        }
        let mut out = Vec::new();
        if value.is_object() {
            for entry in Object::entries(value.unchecked_ref::<Object>()).iter() {
                let pair: js_sys::Array = entry.unchecked_into();
                if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                    out.push((k, v));
                }
            }
        }
        Ok(out)
    }

    /// Calls `path` (relative to the endpoint) and decodes the JSON answer.
    pub async fn call<T: FromJs>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, UploadError> {
        let (value, status) = self.call_value(method, path, body).await?;
        T::from_js(&value).map_err(|field| bad_answer(field).with_status(status))
    }

    /// Calls `path` and answers the parsed JSON, undecoded, with its status.
    pub async fn call_value(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(JsValue, u16), UploadError> {
        let url = format!("{}{}", self.endpoint, path);
        let mut failures = 0;
        loop {
            let headers = self.headers().await?;
            let mut b: RequestBuilder = match method {
                Method::Get => Request::get(&url),
                Method::Post => Request::post(&url),
                Method::Delete => Request::delete(&url),
            };
            b = b.header("accept", "application/json");
            // A stalled call is aborted, then retried like a network error.
            let controller = web_sys::AbortController::new().ok();
            let finished = std::rc::Rc::new(std::cell::Cell::new(false));
            if let (Some(c), true) = (&controller, self.timeout_ms > 0) {
                b = b.abort_signal(Some(&c.signal()));
                let (c, finished, ms) = (c.clone(), finished.clone(), self.timeout_ms);
                wasm_bindgen_futures::spawn_local(async move {
                    sleep(ms).await;
                    if !finished.get() {
                        c.abort();
                    }
                });
            }
            for (k, v) in &headers {
                b = b.header(k, v);
            }
            let sent = match &body {
                Some(json) => match b
                    .header("content-type", "application/json")
                    .body(json.as_str())
                {
                    Ok(req) => req.send().await,
                    Err(e) => Err(e),
                },
                None => b.send().await,
            };
            let (status, text, retry_after) = match sent {
                Ok(res) => {
                    let status = res.status();
                    let retry_after = res.headers().get("retry-after");
                    match res.text().await {
                        Ok(text) => (Some(status), text, retry_after),
                        // The body was cut off (or timed out): a network failure.
                        Err(_) => (None, String::new(), None),
                    }
                }
                Err(_) => (None, String::new(), None),
            };
            finished.set(true);
            if let Some(s @ 200..=299) = status {
                let value = js_sys::JSON::parse(if text.is_empty() { "{}" } else { &text })
                    .map_err(|_| {
                        UploadError::new(
                            ErrorCode::BadAnswer,
                            "the signer answered something that is not JSON",
                        )
                        .with_status(s)
                    })?;
                return Ok((value, s));
            }
            match classify(status, &text) {
                Verdict::Retry { .. } | Verdict::Resign if self.retry.allows(failures + 1) => {
                    let wait = self.retry.delay_ms(
                        failures,
                        js_sys::Math::random(),
                        retry_after.as_deref().and_then(parse_retry_after),
                    );
                    failures += 1;
                    sleep(wait).await;
                }
                _ => return Err(signer_error(status, &text)),
            }
        }
    }
}

/// A signer failure as a JS error: its `{error, code}` when it sent one.
fn signer_error(status: Option<u16>, text: &str) -> UploadError {
    let Some(status) = status else {
        return UploadError::new(
            ErrorCode::Network,
            "The signer could not be reached (network error)",
        );
    };
    let body = js_sys::JSON::parse(text)
        .ok()
        .and_then(|v| ErrorBody::from_js(&v).ok());
    let (code, message): (ErrorCode, String) = match body {
        Some(b) => (static_code(&b.code), b.error),
        None => (
            ErrorCode::SignerError,
            format!("The signer answered HTTP {status}"),
        ),
    };
    UploadError::new(code, message).with_status(status)
}

/// The signer's answer lacked `field` (or it had the wrong type).
pub fn bad_answer(field: &str) -> UploadError {
    UploadError::new(
        ErrorCode::BadAnswer,
        [
            "unexpected signer answer: `",
            field,
            "` is missing or of the wrong type",
        ]
        .concat(),
    )
}

/// Known machine codes keep their name; others become `signer_error`.
pub fn static_code(code: &str) -> ErrorCode {
    ErrorCode::parse(code).unwrap_or(ErrorCode::SignerError)
}
