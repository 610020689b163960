//! A failed request as the driver saw it, and the one retry rule every
//! request kind shares.

use alloc::{borrow::ToOwned, string::String};

use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::retry::{classify, is_expired_url, parse_retry_after, s3_error_code, Verdict};
use s3lift_protocol::wire::ErrorBody;

/// Why a request failed, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    /// HTTP status; `None` for a network error or a timeout.
    pub status: Option<u16>,
    /// The machine code: a signer `code` or an S3 `<Code>`.
    pub code: Option<String>,
    /// The presigned URL had expired (S3 or Garage said so).
    pub expired: bool,
    /// `Retry-After`, in ms.
    pub retry_after_ms: Option<u32>,
}

impl Failure {
    /// No answer: a network error, a reset, a timeout.
    pub fn network() -> Self {
        Self::default()
    }

    /// An answer with `status` that the engine gives `code` (a signer
    /// answer it cannot use, an object the confirmation did not find).
    pub(crate) fn coded(status: u16, code: ErrorCode) -> Self {
        Self {
            status: Some(status),
            code: Some(code.as_str().to_owned()),
            ..Self::default()
        }
    }

    /// A store answer (`status`, body text, `Retry-After` header).
    pub fn from_store(status: u16, body: &str, retry_after: Option<&str>) -> Self {
        Self {
            status: Some(status),
            code: s3_error_code(body).map(str::to_owned),
            expired: is_expired_url(status, body),
            retry_after_ms: retry_after.and_then(parse_retry_after),
        }
    }

    /// A signer answer with its `{error, code}` body when it had one.
    pub fn from_signer(status: u16, body: Option<&ErrorBody>, retry_after: Option<&str>) -> Self {
        Self {
            status: Some(status),
            code: body.map(|b| b.code.clone()).filter(|c| !c.is_empty()),
            expired: false,
            retry_after_ms: retry_after.and_then(parse_retry_after),
        }
    }

    /// The one retry rule every request kind shares.
    pub fn verdict(&self) -> Verdict {
        if self.expired {
            Verdict::Resign
        } else {
            classify(self.status, "")
        }
    }

    /// The request may have reached the store and taken effect.
    pub fn maybe_applied(&self) -> bool {
        self.status.is_none()
    }

    /// Worth another try (after a backoff, or with a new URL).
    #[inline(never)]
    pub(crate) fn retryable(&self) -> bool {
        !matches!(self.verdict(), Verdict::Fail)
    }

    /// The answer names `code`.
    #[inline(never)]
    pub(crate) fn is(&self, code: ErrorCode) -> bool {
        self.code.as_deref() == Some(code.as_str())
    }
}
