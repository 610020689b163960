//! [`StoreError`]: the store's failures, told apart the way the routes need.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// A store failure, as the routes need to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The multipart upload does not exist for this key.
    #[error("no such upload for this key")]
    NoSuchUpload,
    /// The object does not exist.
    #[error("no such object")]
    NoSuchKey,
    /// The store refused the part list at complete.
    #[error("{0}")]
    InvalidPart(String),
    /// Connection refused, timed out, or a 5xx: try again later.
    #[error("storage unreachable: {0}")]
    Unavailable(String),
    /// The data does not match its checksum (`BadDigest`).
    #[error("checksum mismatch: {0}")]
    ChecksumMismatch(String),
    /// Any other refusal (bad credentials, missing bucket…).
    #[error("storage refused the request: {code}: {message}")]
    Refused {
        /// The store's error code.
        code: String,
        /// The store's message (for the log only).
        message: String,
    },
}

pub(super) fn map_err<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_owned();
            let message = e
                .message()
                .unwrap_or("")
                .chars()
                .take(300)
                .collect::<String>();
            match code.as_str() {
                "NoSuchUpload" => StoreError::NoSuchUpload,
                "NoSuchKey" | "NotFound" => StoreError::NoSuchKey,
                "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" | "MalformedXML" => {
                    StoreError::InvalidPart(format!("{code}: {message}"))
                }
                "BadDigest" | "InvalidDigest" | "XAmzContentChecksumMismatch" => {
                    StoreError::ChecksumMismatch(format!("{code}: {message}"))
                }
                "ServiceUnavailable" | "SlowDown" | "InternalError" => {
                    StoreError::Unavailable(code)
                }
                _ => StoreError::Refused { code, message },
            }
        }
        SdkError::TimeoutError(_) => StoreError::Unavailable("timed out".into()),
        SdkError::DispatchFailure(d) => StoreError::Unavailable(if d.is_timeout() {
            "timed out".into()
        } else if d.is_io() {
            "connection failed".into()
        } else {
            "dispatch failed".into()
        }),
        _ => StoreError::Unavailable(aws_smithy_types_display(&err).to_string()),
    }
}

/// A short display of an SDK error without its Debug dump (which may hold headers).
fn aws_smithy_types_display<E, R>(err: &SdkError<E, R>) -> &'static str {
    match err {
        SdkError::ConstructionFailure(_) => "request construction failed",
        SdkError::ResponseError(_) => "unreadable response",
        _ => "error",
    }
}
