//! Sending one body to a presigned URL, through the snippet's `send`.
//!
//! `fetch` has no upload progress over HTTP/1.1, so there are two
//! transports: `xhr` (the default) reports bytes as they leave, through
//! `XMLHttpRequest.upload.onprogress`; `fetch` reports a part when it is
//! done and costs less per request. A stalled request is the engine's to
//! detect (it sees the progress): it asks for the abort.
use s3lift_engine::{Event, Failure, RequestId};
use wasm_bindgen::JsValue;

use crate::js;

/// Which transport part requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Xhr,
    Fetch,
}

/// The range of a request that sends the whole file (`send`'s `range`).
pub const WHOLE: (f64, f64) = (-1.0, 0.0);

/// One store request (`headers`: a JSON object): a PUT of bytes `range` of
/// `file` ([`WHOLE`], or `start..end`), or a POST of a POST-policy form of
/// `fields` (a JSON object; `""`: no form, a PUT) with the whole file last: the snippet
/// answers into `done(id, status, etag, errorText, retryAfter)` and
/// reports bytes sent to `progress(id, bytes)`. Returns the handle
/// [`js::abort`] stops.
#[allow(clippy::too_many_arguments)]
pub fn send(
    kind: Kind,
    url: &str,
    headers: &str,
    file: &JsValue,
    range: (f64, f64),
    fields: &str,
    id: f64,
    progress: &JsValue,
    done: &JsValue,
) -> JsValue {
    js::send(
        i32::from(kind == Kind::Xhr),
        url,
        headers,
        file,
        range.0,
        range.1,
        fields,
        id,
        progress,
        done,
    )
}

/// The event a store answer is: stored (2xx), or failed (status 0: no answer).
pub fn event(id: RequestId, status: u16, etag: &JsValue, text: &JsValue, retry: &JsValue) -> Event {
    match status {
        200..=299 => Event::Stored {
            id,
            etag: etag.as_string(),
        },
        0 => Event::Failed {
            id,
            failure: Failure::network(),
        },
        _ => Event::Failed {
            id,
            failure: Failure::from_store(
                status,
                &text.as_string().unwrap_or_default(),
                retry.as_string().as_deref(),
            ),
        },
    }
}
