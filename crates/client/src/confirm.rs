//! After a single-request upload: `POST {endpoint}/params/complete?key=`
//! (docs/protocol.md, extension), so the signer checks the stored object and
//! fires its `upload.completed` webhook. S3 never tells the signer about a
//! presigned PUT or POST, so without this call small files go unreported.
//!
//! What each answer does to the upload (the object is already stored):
//! - 200: confirmed; `location` and `etag` come from the signer's HEAD.
//! - 413 `too_large`: the signer deleted the object; the upload fails.
//! - 404 `no_such_key`: the store does not hold it; the upload fails.
//! - any other 404 or a 405 (Companion, which lacks the route): remembered,
//!   never asked again, and the upload succeeds unconfirmed.
//! - anything else, once the signer calls' retries are spent (network, 5xx,
//!   429, an expired token): the upload succeeds with `confirmed: false`
//!   rather than failing a file the store holds; the app can tell from it
//!   that no webhook was sent.

use js_sys::Object;
use s3lift_protocol::error_code::ErrorCode;

use crate::js::{get, set, UploadError};
use crate::signer::{enc, Method, Signer};

/// Confirms `key` with the signer and completes `result` (`UploadResult`):
/// sets `confirmed`, and the signer's `location`/`etag` when it answered.
pub async fn confirm(signer: &Signer, key: &str, result: &Object) -> Result<(), UploadError> {
    set(result, "confirmed", false);
    if signer.complete_unsupported.get() {
        return Ok(());
    }
    let path = ["/params/complete?key=", &enc(key)].concat();
    match signer.call_value(Method::Post, &path, None).await {
        Ok((answer, _)) => {
            for field in ["location", "etag"] {
                if let Some(v) = get(&answer, field).as_string() {
                    set(result, field, v);
                }
            }
            set(result, "confirmed", true);
            Ok(())
        }
        Err(e) if matches!(e.code, ErrorCode::TooLarge | ErrorCode::NoSuchKey) => Err(e),
        Err(e) if matches!(e.status, Some(404 | 405)) => {
            signer.complete_unsupported.set(true);
            Ok(())
        }
        Err(_) => Ok(()),
    }
}
