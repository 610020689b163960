//! Sending one body to a presigned URL.
//!
//! `fetch` has no upload progress over HTTP/1.1, so there are two
//! transports: `xhr` (the default) reports bytes as they leave, through
//! `XMLHttpRequest.upload.onprogress`; `fetch` reports a part when it is
//! done and costs less per request. A stalled request is the engine's to
//! detect (it sees the progress): it asks for the abort.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Blob, FormData, ProgressEvent, RequestInit, Response, XmlHttpRequest,
};

/// Which transport part requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xhr,
    Fetch,
}

/// A request body: a lazy `Blob` slice, or a POST-policy form.
pub enum Body {
    Blob(Blob),
    Form(FormData),
}

/// What came back.
pub struct Answer {
    pub status: u16,
    pub etag: Option<String>,
    /// The body text, read only for errors (it holds S3's `<Code>`).
    pub text: String,
    /// `Retry-After`, read only for errors.
    pub retry_after: Option<String>,
}

/// How a request ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The network failed.
    Network,
    /// Aborted on purpose (pause, cancel, stall).
    Aborted,
}

type AbortFn = Box<dyn Fn()>;

/// Lets the scheduler abort a request in flight.
#[derive(Clone, Default)]
pub struct AbortHandle {
    inner: Rc<RefCell<Option<AbortFn>>>,
    aborted: Rc<Cell<bool>>,
}

impl AbortHandle {
    pub fn abort(&self) {
        self.aborted.set(true);
        if let Some(f) = self.inner.borrow().as_ref() {
            f();
        }
    }

    pub fn is_aborted(&self) -> bool {
        self.aborted.get()
    }

    pub fn set(&self, f: Box<dyn Fn()>) {
        *self.inner.borrow_mut() = Some(f);
    }

    pub fn clear(&self) {
        self.inner.borrow_mut().take();
    }
}

/// One request to send.
pub struct Put<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Body,
    /// Called with bytes sent so far in this attempt.
    pub on_progress: Rc<dyn Fn(f64)>,
    pub abort: &'a AbortHandle,
}

/// Sends `req` with the chosen transport.
pub async fn send(kind: Kind, req: Put<'_>) -> Result<Answer, Failure> {
    if req.abort.is_aborted() {
        return Err(Failure::Aborted);
    }
    let out = match kind {
        Kind::Xhr => send_xhr(&req).await,
        Kind::Fetch => send_fetch(&req).await,
    };
    req.abort.clear();
    if req.abort.is_aborted() {
        return Err(Failure::Aborted);
    }
    out
}

async fn send_xhr(req: &Put<'_>) -> Result<Answer, Failure> {
    let xhr = XmlHttpRequest::new().map_err(|_| Failure::Network)?;
    xhr.open_with_async(req.method, req.url, true)
        .map_err(|_| Failure::Network)?;
    for (k, v) in req.headers {
        // The browser sets Content-Length itself (it is signed, and matches).
        if !k.eq_ignore_ascii_case("content-length") {
            let _ = xhr.set_request_header(k, v);
        }
    }
    let progress = {
        let on_progress = req.on_progress.clone();
        Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| on_progress(e.loaded()))
    };
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    }
    let settled = Promise::new(&mut |resolve: Function, _| {
        xhr.set_onloadend(Some(&resolve));
    });
    {
        let x = xhr.clone();
        req.abort.set(Box::new(move || {
            let _ = x.abort();
        }));
    }
    let sent = match &req.body {
        Body::Blob(b) => xhr.send_with_opt_blob(Some(b)),
        Body::Form(f) => xhr.send_with_opt_form_data(Some(f)),
    };
    if sent.is_err() {
        return Err(Failure::Network);
    }
    let _ = JsFuture::from(settled).await;
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(None);
    }
    xhr.set_onloadend(None);
    drop(progress);
    let status = xhr.status().unwrap_or(0);
    if status == 0 {
        return Err(if req.abort.is_aborted() {
            Failure::Aborted
        } else {
            Failure::Network
        });
    }
    let ok = (200..300).contains(&status);
    Ok(Answer {
        status,
        etag: xhr.get_response_header("etag").ok().flatten(),
        text: if ok {
            String::new()
        } else {
            xhr.response_text().ok().flatten().unwrap_or_default()
        },
        // Only failures are retried: on success, asking for a header the store
        // may not expose would just log a console error per part.
        retry_after: if ok {
            None
        } else {
            xhr.get_response_header("retry-after").ok().flatten()
        },
    })
}

async fn send_fetch(req: &Put<'_>) -> Result<Answer, Failure> {
    let controller = AbortController::new().map_err(|_| Failure::Network)?;
    let init = RequestInit::new();
    init.set_method(req.method);
    let headers = web_sys::Headers::new().map_err(|_| Failure::Network)?;
    for (k, v) in req.headers {
        if !k.eq_ignore_ascii_case("content-length") {
            let _ = headers.set(k, v);
        }
    }
    init.set_headers(&headers);
    match &req.body {
        Body::Blob(b) => init.set_body(b),
        Body::Form(f) => init.set_body(f),
    }
    init.set_signal(Some(&controller.signal()));
    {
        let c = controller.clone();
        req.abort.set(Box::new(move || c.abort()));
    }
    let promise = fetch(req.url, &init);
    let res = JsFuture::from(promise).await;
    let out = match res {
        Ok(v) => {
            let res: Response = v.unchecked_into();
            let status = res.status();
            let ok = res.ok();
            let text = if ok {
                String::new()
            } else {
                match res.text() {
                    Ok(p) => JsFuture::from(p)
                        .await
                        .ok()
                        .and_then(|t| t.as_string())
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                }
            };
            if ok {
                if let Body::Blob(b) = &req.body {
                    (req.on_progress)(b.size());
                }
            }
            Ok(Answer {
                status,
                etag: res.headers().get("etag").ok().flatten(),
                text,
                retry_after: if ok {
                    None
                } else {
                    res.headers().get("retry-after").ok().flatten()
                },
            })
        }
        Err(_) if req.abort.is_aborted() => Err(Failure::Aborted),
        Err(_) => Err(Failure::Network),
    };
    out
}

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (windows and workers).
    #[wasm_bindgen(js_name = fetch)]
    pub(crate) fn fetch(url: &str, init: &RequestInit) -> Promise;
}
