//! Input rules shared by the signing routes: type, size, name, metadata.

use super::state::AppState;
use crate::content_type::ContentType;
use crate::error::ApiError;
use crate::limits::{admit, Admitted};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Parses the caller's type strictly (400 when malformed) and checks it
/// against the allowlist (415); see `content_type.rs` and `limits.rs`.
pub(crate) fn check_type(
    state: &AppState,
    content_type: Option<&str>,
) -> Result<Admitted, ApiError> {
    let t = ContentType::parse_or_default(content_type)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    admit(&state.settings.uploads.allowed_types, t).map_err(ApiError::UnsupportedType)
}

pub(crate) fn check_size(state: &AppState, size: u64) -> Result<(), ApiError> {
    if size > state.settings.uploads.max_size {
        return Err(ApiError::TooLarge(format!(
            "the file is {size} bytes; the largest accepted is {} bytes",
            state.settings.uploads.max_size
        )));
    }
    Ok(())
}

pub(crate) fn check_filename(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::BadRequest("`filename` is required".into()));
    }
    if name.len() > 1024 {
        return Err(ApiError::BadRequest(
            "`filename` is longer than 1024 bytes".into(),
        ));
    }
    Ok(())
}

/// User metadata as `x-amz-meta-*`: names of `[a-z0-9_-]`, values of visible
/// ASCII (anything else percent-encoded, since browsers cannot send other
/// bytes in a header), at most 2 KiB in all as S3 allows.
pub(crate) fn clean_metadata<'a>(
    pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let mut total = 0;
    for (name, value) in pairs {
        let Some(value) = value else { continue };
        let name = name.to_ascii_lowercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::BadRequest(format!(
                "metadata name `{}` must be letters, digits, - or _",
                name.chars().take(64).collect::<String>()
            )));
        }
        let value: String = value
            .bytes()
            .map(|b| {
                if (0x20..0x7f).contains(&b) && b != b'%' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        total += name.len() + value.len();
        out.insert(name, value);
    }
    if total > 2048 {
        return Err(ApiError::BadRequest("metadata is larger than 2 KiB".into()));
    }
    Ok(out)
}

pub(crate) fn now() -> SystemTime {
    SystemTime::now()
}
