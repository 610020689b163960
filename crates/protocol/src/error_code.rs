//! Every machine code an s3lift error can carry, in one enum: the signer
//! answers the first group in `{"error", "code"}` bodies, the client adds its
//! own for what happens in the browser, and both read and write them through
//! [`ErrorCode::as_str`] and [`ErrorCode::parse`]. `docs/protocol.md` lists
//! them all; a test in this module keeps the two in step.

/// A stable machine code. The string forms are the wire format and part of the
/// public JS API (`UploadError.code`): never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // ---- answered by the signer -------------------------------------------
    /// 400: a body or query that does not parse or breaks a rule.
    BadRequest,
    /// 400: a multipart upload created without `size`, which the signer needs
    /// to bound it in the store.
    SizeRequired,
    /// 400: a `relativePath` with a `..` segment, no file name, or too deep
    /// or too long to make a key from.
    BadPath,
    /// 401: no credentials.
    MissingToken,
    /// 401: credentials that are invalid or expired.
    InvalidToken,
    /// 403: a key outside the caller's namespace, or one this signer did not make.
    ForbiddenKey,
    /// 403: a request authenticated by cookie from an origin that is not allowed
    /// (cross-site request forgery protection).
    ForbiddenOrigin,
    /// 403: `s3lift-signer dev` answers only to a loopback `Host` (a DNS
    /// rebinding guard).
    ForbiddenHost,
    /// 404: the multipart upload does not exist (for this key).
    NoSuchUpload,
    /// 404: the object does not exist.
    NoSuchKey,
    /// 404: no such route.
    NotFound,
    /// 413: larger than the configured or approved size.
    TooLarge,
    /// 415: a content type outside the allowlist.
    UnsupportedType,
    /// 429: too many requests from this caller.
    RateLimited,
    /// 400: the parts given at complete do not match what was uploaded.
    InvalidParts,
    /// 400: the whole object's checksum is not the one the client computed;
    /// nothing is stored (the upload is aborted, or the object deleted).
    ChecksumMismatch,
    /// 502: the store answered with an error.
    StorageError,
    /// 503: the store could not be reached in time.
    StorageUnavailable,
    /// 500: a bug on our side (never bad input).
    Internal,
    // ---- raised by the client ---------------------------------------------
    /// The upload was cancelled by the application.
    Cancelled,
    /// The signer could not be reached.
    Network,
    /// The application's `headers` function failed.
    Auth,
    /// An option passed to the client is not usable.
    BadOption,
    /// The signer answered something the client cannot use.
    BadAnswer,
    /// The signer's plan breaks S3's part rules.
    BadPlan,
    /// A browser API the upload needs failed or is missing.
    Browser,
    /// The file could not be read.
    ReadFailed,
    /// The store answered a part without a readable ETag (the bucket's CORS rule
    /// does not expose it).
    EtagUnreadable,
    /// A presigned URL expired and could not be renewed.
    UrlExpired,
    /// A request failed on every attempt the retry policy allows.
    RetriesExhausted,
    /// The store refused a request with a status that is not retried.
    StoreRefused,
    /// Parts are missing or duplicated at complete.
    MissingParts,
    /// The signer answered a code this client does not know.
    SignerError,
}

/// The wire forms, in declaration order (`ErrorCode as usize`).
static NAMES: [&str; 33] = [
    "bad_request",
    "size_required",
    "bad_path",
    "missing_token",
    "invalid_token",
    "forbidden_key",
    "forbidden_origin",
    "forbidden_host",
    "no_such_upload",
    "no_such_key",
    "not_found",
    "too_large",
    "unsupported_type",
    "rate_limited",
    "invalid_parts",
    "checksum_mismatch",
    "storage_error",
    "storage_unavailable",
    "internal",
    "cancelled",
    "network",
    "auth",
    "bad_option",
    "bad_answer",
    "bad_plan",
    "browser",
    "read_failed",
    "etag_unreadable",
    "url_expired",
    "retries_exhausted",
    "store_refused",
    "missing_parts",
    "signer_error",
];

impl ErrorCode {
    /// Every code, signer codes first.
    pub const ALL: [ErrorCode; 33] = [
        ErrorCode::BadRequest,
        ErrorCode::SizeRequired,
        ErrorCode::BadPath,
        ErrorCode::MissingToken,
        ErrorCode::InvalidToken,
        ErrorCode::ForbiddenKey,
        ErrorCode::ForbiddenOrigin,
        ErrorCode::ForbiddenHost,
        ErrorCode::NoSuchUpload,
        ErrorCode::NoSuchKey,
        ErrorCode::NotFound,
        ErrorCode::TooLarge,
        ErrorCode::UnsupportedType,
        ErrorCode::RateLimited,
        ErrorCode::InvalidParts,
        ErrorCode::ChecksumMismatch,
        ErrorCode::StorageError,
        ErrorCode::StorageUnavailable,
        ErrorCode::Internal,
        ErrorCode::Cancelled,
        ErrorCode::Network,
        ErrorCode::Auth,
        ErrorCode::BadOption,
        ErrorCode::BadAnswer,
        ErrorCode::BadPlan,
        ErrorCode::Browser,
        ErrorCode::ReadFailed,
        ErrorCode::EtagUnreadable,
        ErrorCode::UrlExpired,
        ErrorCode::RetriesExhausted,
        ErrorCode::StoreRefused,
        ErrorCode::MissingParts,
        ErrorCode::SignerError,
    ];

    /// The wire form.
    pub const fn as_str(self) -> &'static str {
        // One table, in declaration order (a `match` here was compiled into
        // two copies of every string in the browser bundle).
        NAMES[self as usize]
    }

    /// The code of a wire string, if it is one of ours.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        // By the names' table (`as_str` reads it): no copy of `ALL` to walk.
        let i = NAMES.iter().position(|n| *n == s)?;
        ErrorCode::ALL.get(i).copied()
    }

    /// The HTTP status the signer answers this code with; `None` for codes
    /// only the client raises.
    pub const fn http_status(self) -> Option<u16> {
        Some(match self {
            ErrorCode::BadRequest
            | ErrorCode::SizeRequired
            | ErrorCode::BadPath
            | ErrorCode::InvalidParts
            | ErrorCode::ChecksumMismatch => 400,
            ErrorCode::MissingToken | ErrorCode::InvalidToken => 401,
            ErrorCode::ForbiddenKey | ErrorCode::ForbiddenOrigin | ErrorCode::ForbiddenHost => 403,
            ErrorCode::NoSuchUpload | ErrorCode::NoSuchKey | ErrorCode::NotFound => 404,
            ErrorCode::TooLarge => 413,
            ErrorCode::UnsupportedType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::StorageError => 502,
            ErrorCode::StorageUnavailable => 503,
            _ => return None,
        })
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            assert!(seen.insert(c.as_str()), "{c} twice");
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    /// The protocol document is the source of truth: every code the signer
    /// answers is listed there with its status.
    #[test]
    fn the_protocol_document_lists_every_signer_code() {
        let doc = include_str!("../../../docs/protocol.md");
        for c in ErrorCode::ALL {
            if let Some(status) = c.http_status() {
                let row = format!("| `{}` | {status} |", c.as_str());
                assert!(doc.contains(&row), "docs/protocol.md lacks the row {row}");
            }
        }
    }
}
