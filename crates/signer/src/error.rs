//! The one error type of the HTTP routes, and how each case maps to a status
//! and a machine code (`docs/protocol.md`, "Common rules").
//!
//! The body carries a human message and the code only. Causes (store error
//! details) go to the log, and nothing here ever holds a URL, token or secret.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use s3lift_protocol::error_code::ErrorCode;
use s3lift_protocol::wire::ErrorBody;

use crate::auth::AuthError;
use crate::keys::KeyError;
use crate::store::StoreError;

/// Everything a route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed input.
    #[error("{0}")]
    BadRequest(String),
    /// 400: a multipart create without `size` (see `unsized_parts.rs`).
    #[error("{0}")]
    SizeRequired(String),
    /// 400: a `relativePath` that cannot be made into a key.
    #[error("{0}")]
    BadPath(String),
    /// 401.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// 403: a key outside the caller's namespace, or whose tag does not match.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// 413.
    #[error("{0}")]
    TooLarge(String),
    /// 415.
    #[error("{0}")]
    UnsupportedType(String),
    /// 429, with the seconds to wait.
    #[error("too many requests: retry in {0} s")]
    RateLimited(u64),
    /// 400: the parts given at complete do not match.
    #[error("{0}")]
    InvalidParts(String),
    /// 400: the whole object's checksum is not the client's; nothing is kept.
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A store failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// The machine code; the HTTP status follows from it.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::SizeRequired(_) => ErrorCode::SizeRequired,
            ApiError::BadPath(_) => ErrorCode::BadPath,
            ApiError::Auth(AuthError::Missing) => ErrorCode::MissingToken,
            ApiError::Auth(AuthError::InvalidToken(_)) => ErrorCode::InvalidToken,
            ApiError::Auth(AuthError::ForbiddenOrigin) => ErrorCode::ForbiddenOrigin,
            ApiError::Key(_) => ErrorCode::ForbiddenKey,
            ApiError::TooLarge(_) => ErrorCode::TooLarge,
            ApiError::UnsupportedType(_) => ErrorCode::UnsupportedType,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::InvalidParts(_) => ErrorCode::InvalidParts,
            ApiError::ChecksumMismatch(_) => ErrorCode::ChecksumMismatch,
            ApiError::Store(StoreError::NoSuchUpload) => ErrorCode::NoSuchUpload,
            ApiError::Store(StoreError::NoSuchKey) => ErrorCode::NoSuchKey,
            ApiError::Store(StoreError::InvalidPart(_)) => ErrorCode::InvalidParts,
            ApiError::Store(StoreError::ChecksumMismatch(_)) => ErrorCode::ChecksumMismatch,
            ApiError::Store(StoreError::Unavailable(_)) => ErrorCode::StorageUnavailable,
            ApiError::Store(StoreError::Refused { .. }) => ErrorCode::StorageError,
        }
    }

    /// The `{error, code}` body this error answers with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.public_message(),
            code: self.code().as_str().to_owned(),
        }
    }

    /// The message for the client: never the store's raw answer.
    fn public_message(&self) -> String {
        match self {
            ApiError::Store(StoreError::Unavailable(_)) => {
                "the storage service cannot be reached; try again".into()
            }
            ApiError::Store(StoreError::Refused { .. }) => {
                "the storage service refused the request".into()
            }
            ApiError::Store(StoreError::InvalidPart(m)) => {
                format!("the store refused the parts: {m}")
            }
            ApiError::Store(StoreError::ChecksumMismatch(_)) => {
                "the data does not match its checksum".into()
            }
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code()
            .http_status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::warn!(code = self.code().as_str(), cause = %self, "request failed");
        } else {
            tracing::debug!(code = self.code().as_str(), cause = %self, "request refused");
        }
        let mut resp = HttpResponse::build(status);
        if let ApiError::RateLimited(secs) = self {
            resp.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let ApiError::Auth(AuthError::Missing | AuthError::InvalidToken(_)) = self {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        resp.json(self.body())
    }
}

/// Answers for input actix rejects before a handler runs (bad JSON, bad
/// query, bad path): the same `{error, code}` shape with 400, never a 500.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(4 * 1024 * 1024)
        .error_handler(|err, _| {
            let msg = match &err {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => {
                    "the JSON body is too large".to_owned()
                }
                actix_web::error::JsonPayloadError::ContentType => {
                    "the body must be application/json".to_owned()
                }
                other => format!("malformed JSON body: {}", first_line(&other.to_string())),
            };
            ApiError::BadRequest(msg).into()
        })
}

/// See [`json_config`].
pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default().error_handler(|err, _| {
        ApiError::BadRequest(format!("malformed query: {}", first_line(&err.to_string()))).into()
    })
}

/// See [`json_config`].
pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|err, _| {
        ApiError::BadRequest(format!("malformed path: {}", first_line(&err.to_string()))).into()
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}
