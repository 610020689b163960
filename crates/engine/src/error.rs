//! How an upload fails: a stable machine code, a human message, the HTTP
//! status when there was one, and the key of an object that may exist.
//!
//! Messages never carry a URL, a token or a signature: they are built here
//! from codes and numbers only.

use s3lift_protocol::wire::codes as signer;

use crate::api::Failure;

/// The codes the engine itself gives (the signer's are in
/// `s3lift_protocol::wire::codes` and pass through unchanged).
pub mod codes {
    /// The app cancelled the upload.
    pub const CANCELLED: &str = "cancelled";
    /// A request kept failing with transient errors until the retry policy gave up.
    pub const RETRIES_EXHAUSTED: &str = "retries_exhausted";
    /// URLs kept expiring (clock skew), or a single upload's URL expired after an
    /// attempt that may have been stored (re-signing would make a second key).
    pub const URL_EXPIRED: &str = "url_expired";
    /// The store refused a request for good (4xx other than expiry).
    pub const STORE_REFUSED: &str = "store_refused";
    /// The store stored a part but its `ETag` header was unreadable (CORS).
    pub const ETAG_UNREADABLE: &str = "etag_unreadable";
    /// The signer's plan breaks S3's rules, or the file is too large for S3.
    pub const BAD_PLAN: &str = "bad_plan";
    /// The signer answered something unexpected.
    pub const BAD_ANSWER: &str = "bad_answer";
    /// Complete was reached with parts missing (a bug guard).
    pub const MISSING_PARTS: &str = "missing_parts";
    /// The signer could not be reached.
    pub const NETWORK: &str = "network";
    /// The signer answered an error without a known code.
    pub const SIGNER_ERROR: &str = "signer_error";
    /// The file could not be read (to digest a part).
    pub const READ_FAILED: &str = "read_failed";
}

/// Every code an upload can fail with.
pub const ALL_CODES: &[&str] = &[
    codes::CANCELLED,
    codes::RETRIES_EXHAUSTED,
    codes::URL_EXPIRED,
    codes::STORE_REFUSED,
    codes::ETAG_UNREADABLE,
    codes::BAD_PLAN,
    codes::BAD_ANSWER,
    codes::MISSING_PARTS,
    codes::NETWORK,
    codes::SIGNER_ERROR,
    codes::READ_FAILED,
    signer::BAD_REQUEST,
    signer::MISSING_TOKEN,
    signer::INVALID_TOKEN,
    signer::FORBIDDEN_KEY,
    signer::NO_SUCH_UPLOAD,
    signer::NO_SUCH_KEY,
    signer::NOT_FOUND,
    signer::TOO_LARGE,
    signer::UNSUPPORTED_TYPE,
    signer::RATE_LIMITED,
    signer::INVALID_PARTS,
    signer::STORAGE_ERROR,
    signer::STORAGE_UNAVAILABLE,
    signer::INTERNAL,
];

/// Why an upload failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    /// One of [`ALL_CODES`].
    pub code: &'static str,
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
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
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
        let message = if code == codes::SIGNER_ERROR {
            format!("The signer answered HTTP {status}")
        } else {
            format!("The signer refused the request ({code}, HTTP {status})")
        };
        Self::new(code, message).with_status(Some(status))
    }

    /// A store request failed for good.
    pub fn from_store(f: &Failure) -> Self {
        let msg = match (f.status, f.code.as_deref()) {
            (Some(s), Some(c)) => format!("The storage refused the upload (HTTP {s}, {c})"),
            (Some(s), None) => format!("The storage refused the upload (HTTP {s})"),
            (None, _) => "The storage could not be reached".to_owned(),
        };
        Self::new(codes::STORE_REFUSED, msg).with_status(f.status)
    }
}

/// A signer code we document keeps its name; anything else is `signer_error`.
pub fn known_code(code: &str) -> &'static str {
    ALL_CODES
        .iter()
        .copied()
        .find(|c| *c == code)
        .unwrap_or(codes::SIGNER_ERROR)
}

/// The HTTP status the one-file route would have answered for a refusal
/// that came inside a `POST /s3/params` batch (which has no status per item).
pub fn status_of_batch_item(code: &str) -> u16 {
    match code {
        signer::TOO_LARGE => 413,
        signer::UNSUPPORTED_TYPE => 415,
        signer::FORBIDDEN_KEY => 403,
        signer::MISSING_TOKEN | signer::INVALID_TOKEN => 401,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_signer_codes_become_signer_error() {
        assert_eq!(known_code("too_large"), "too_large");
        assert_eq!(known_code("weird"), codes::SIGNER_ERROR);
        let f = Failure {
            status: Some(401),
            code: Some("invalid_token".into()),
            ..Failure::default()
        };
        let e = UploadError::from_signer(&f);
        assert_eq!((e.code, e.status), ("invalid_token", Some(401)));
        assert_eq!(
            UploadError::from_signer(&Failure::network()).code,
            "network"
        );
        assert_eq!(status_of_batch_item("forbidden_key"), 403);
    }
}
