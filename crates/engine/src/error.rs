//! How an upload fails: a stable machine code, a human message, the HTTP
//! status when there was one, and the key of an object that may exist.
//!
//! Messages never carry a URL, a token or a signature: they are built here
//! from codes and numbers only.

use crate::Cat;
use alloc::string::String;

use s3lift_protocol::decimal;
use s3lift_protocol::error_code::ErrorCode;

use crate::failure::Failure;

/// The codes the engine itself gives, as [`ErrorCode`]s (the signer's pass
/// through unchanged; both are variants of the one enum).
pub mod codes {
    use s3lift_protocol::error_code::ErrorCode;

    /// The app cancelled the upload.
    pub const CANCELLED: ErrorCode = ErrorCode::Cancelled;
    /// A request kept failing with transient errors until the retry policy gave up.
    pub const RETRIES_EXHAUSTED: ErrorCode = ErrorCode::RetriesExhausted;
    /// URLs kept expiring (clock skew), or a single upload's URL expired after an
    /// attempt that may have been stored (re-signing would make a second key).
    pub const URL_EXPIRED: ErrorCode = ErrorCode::UrlExpired;
    /// The store refused a request for good (4xx other than expiry).
    pub const STORE_REFUSED: ErrorCode = ErrorCode::StoreRefused;
    /// The store stored a part but its `ETag` header was unreadable (CORS).
    pub const ETAG_UNREADABLE: ErrorCode = ErrorCode::EtagUnreadable;
    /// The signer's plan breaks S3's rules, or the file is too large for S3.
    pub const BAD_PLAN: ErrorCode = ErrorCode::BadPlan;
    /// The signer answered something unexpected.
    pub const BAD_ANSWER: ErrorCode = ErrorCode::BadAnswer;
    /// Complete was reached with parts missing (a bug guard).
    pub const MISSING_PARTS: ErrorCode = ErrorCode::MissingParts;
    /// The signer could not be reached.
    pub const NETWORK: ErrorCode = ErrorCode::Network;
    /// The signer answered an error without a known code.
    pub const SIGNER_ERROR: ErrorCode = ErrorCode::SignerError;
    /// The file could not be read (to digest a part).
    pub const READ_FAILED: ErrorCode = ErrorCode::ReadFailed;
}

/// Why an upload failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    /// The machine code (`UploadError.code` in JS is its string form).
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// The HTTP status behind it, if any.
    pub status: Option<u16>,
    /// An object that may have been stored under this key (a single upload
    /// cancelled or failed after an attempt whose answer never came).
    pub key: Option<String>,
}

impl UploadError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            key: None,
        }
    }

    /// The same, with an HTTP status.
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    /// The upload was cancelled.
    pub fn cancelled() -> Self {
        Self::new(codes::CANCELLED, "The upload was cancelled")
    }

    /// A signer call failed for good.
    pub fn from_signer(f: &Failure) -> Self {
        let Some(status) = f.status else {
            return Self::new(codes::NETWORK, "The signer could not be reached");
        };
        let code = known_code(f.code.as_deref().unwrap_or(""));
        let status_text = decimal(u64::from(status));
        let message = if code == codes::SIGNER_ERROR {
            ["The signer answered HTTP ", &status_text].cat()
        } else {
            let code = code.as_str();
            [
                "The signer refused the request (",
                code,
                ", HTTP ",
                &status_text,
                ")",
            ]
            .cat()
        };
        Self::new(code, message).with_status(Some(status))
    }

    /// A signer call failed for good: refused (not `retryable`), or
    /// transient until the retry policy gave up. A transient refusal that
    /// names a documented code (`storage_unavailable`, `rate_limited`…)
    /// keeps it, so the app can say what is wrong; otherwise
    /// `retries_exhausted`.
    pub fn signer_gave_up(f: &Failure) -> Self {
        let known = f.code.as_deref().and_then(ErrorCode::parse);
        if f.retryable() && (known.is_none() || f.status.is_none()) {
            Self::new(
                codes::RETRIES_EXHAUSTED,
                "The signer kept failing; giving up after retries",
            )
            .with_status(f.status)
        } else {
            Self::from_signer(f)
        }
    }

    /// A store request failed for good.
    pub fn from_store(f: &Failure) -> Self {
        let Some(status) = f.status else {
            return Self::new(codes::STORE_REFUSED, "The storage could not be reached");
        };
        let s = decimal(u64::from(status));
        // `(HTTP 403, AccessDenied)`, or `(HTTP 403)` without a code.
        let (sep, c) = match f.code.as_deref() {
            Some(c) => (", ", c),
            None => ("", ""),
        };
        let msg = ["The storage refused the upload (HTTP ", &s, sep, c, ")"].cat();
        Self::new(codes::STORE_REFUSED, msg).with_status(Some(status))
    }
}

/// A signer code we document keeps its name; anything else is `signer_error`.
pub fn known_code(code: &str) -> ErrorCode {
    ErrorCode::parse(code).unwrap_or(codes::SIGNER_ERROR)
}

/// The HTTP status the one-file route would have answered for a refusal
/// that came inside a `POST /s3/params` batch (which has no status per item).
pub fn status_of_batch_item(code: ErrorCode) -> u16 {
    code.http_status().unwrap_or(400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_signer_codes_become_signer_error() {
        assert_eq!(known_code("too_large"), ErrorCode::TooLarge);
        assert_eq!(known_code("weird"), codes::SIGNER_ERROR);
        let f = Failure {
            status: Some(401),
            code: Some("invalid_token".into()),
            ..Failure::default()
        };
        let e = UploadError::from_signer(&f);
        assert_eq!((e.code, e.status), (ErrorCode::InvalidToken, Some(401)));
        assert_eq!(
            UploadError::from_signer(&Failure::network()).code,
            ErrorCode::Network
        );
        assert_eq!(status_of_batch_item(ErrorCode::ForbiddenKey), 403);
    }

    #[test]
    fn a_signer_that_kept_failing_keeps_its_documented_code() {
        let down = Failure {
            status: Some(503),
            code: Some("storage_unavailable".into()),
            ..Failure::default()
        };
        let e = UploadError::signer_gave_up(&down);
        assert_eq!(
            (e.code, e.status),
            (ErrorCode::StorageUnavailable, Some(503))
        );
        let bare = Failure {
            status: Some(502),
            ..Failure::default()
        };
        let e = UploadError::signer_gave_up(&bare);
        assert_eq!((e.code, e.status), (codes::RETRIES_EXHAUSTED, Some(502)));
        let e = UploadError::signer_gave_up(&Failure::network());
        assert_eq!(e.code, codes::RETRIES_EXHAUSTED);
    }
}
