//! Domain values parsed once at the edge ("parse, don't validate", after
//! zero2prod's `src/domain/`): once a handler holds one of these, the rule it
//! stands for has been checked, and nothing downstream checks it again.
//!
//! [`ObjectKey`](crate::keys::ObjectKey) lives in `keys`, next to the plan it carries,
//! and `PartNumber` in `s3lift_protocol::plan`, since the client plans with it too.

use std::fmt;

/// A caller identity, safe to use as one segment of an object key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller(String);

/// A string that cannot be a [`Caller`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a caller id must be 1-128 characters of [A-Za-z0-9._@-], not . or ..")]
pub struct InvalidCaller;

impl Caller {
    /// The identity used when anonymous access is on.
    pub const ANONYMOUS: &'static str = "anonymous";

    /// Accepts 1-128 characters of `[A-Za-z0-9._@-]`, not `.` or `..`: a caller
    /// is a key segment, so a `/` in a JWT `sub` must never widen a namespace.
    pub fn parse(s: &str) -> Result<Caller, InvalidCaller> {
        let ok = (1..=128).contains(&s.len())
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
        if ok {
            Ok(Caller(s.to_owned()))
        } else {
            Err(InvalidCaller)
        }
    }

    /// The anonymous caller.
    pub fn anonymous() -> Caller {
        Caller(Caller::ANONYMOUS.to_owned())
    }

    /// The identity as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An S3 multipart upload id as a client sends it back: opaque, but bounded
/// and printable, so it can go into a query string and a log line safely.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

/// A string that cannot be an [`UploadId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("uploadId is not a valid upload id")]
pub struct InvalidUploadId;

impl UploadId {
    /// Accepts 1-1024 visible ASCII characters (S3 ids are base64-ish; Garage's are hex).
    pub fn parse(id: &str) -> Result<UploadId, InvalidUploadId> {
        let ok = !id.is_empty() && id.len() <= 1024 && id.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| UploadId(id.to_owned())).ok_or(InvalidUploadId)
    }

    /// The id as the store knows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads as the `&str` the store calls take.
impl std::ops::Deref for UploadId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers() {
        assert_eq!(
            Caller::parse("alice@example.com").unwrap().as_str(),
            "alice@example.com"
        );
        for bad in ["", ".", "..", "a/b", "a b", &"x".repeat(129), "é"] {
            assert_eq!(Caller::parse(bad), Err(InvalidCaller), "{bad}");
        }
    }

    #[test]
    fn upload_ids() {
        assert!(UploadId::parse("2~abc-DEF_ghi").is_ok());
        for bad in ["", "a b", "a\nb", &"x".repeat(1025)] {
            assert_eq!(UploadId::parse(bad), Err(InvalidUploadId), "{bad:?}");
        }
    }
}
