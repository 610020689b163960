//! Multipart uploads created without a size: refused by default, bounded in
//! the Companion compatibility mode (`S3LIFT_ALLOW_UNSIZED_MULTIPART`).
//!
//! When the size is known, every part URL signs the part's exact
//! `Content-Length`, so the store itself refuses a byte more than was
//! approved. Without a size there is no length to sign: the store would take
//! up to 10,000 parts of 5 GiB each, and a client that never completes keeps
//! it all until a lifecycle rule runs. So `POST /s3/multipart` needs `size`
//! (400 `size_required`). Uppy's `@uppy/aws-s3` sends none to a Companion
//! endpoint; for it the compatibility mode signs parts of size-less uploads
//! under three bounds:
//!
//! - part numbers above `ceil(max size / 5 MiB)` are refused: S3 makes every
//!   part but the last at least 5 MiB, so no object within the maximum size
//!   needs more parts than that;
//! - part URLs are rate limited per caller (`S3LIFT_UNSIZED_PART_RATE` a
//!   minute, in each replica), which bounds how fast a caller can spread such
//!   uploads over the store;
//! - complete adds up the stored parts and aborts the upload above the
//!   maximum size (413), as for every upload.

use std::time::Instant;

use s3lift_protocol::plan::{PartNumber, MAX_PARTS, MIN_PART_SIZE};

use crate::config::Settings;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;

/// The most parts an object of at most `max_size` bytes can have:
/// `ceil(max_size / 5 MiB)`, and never more than S3's 10,000.
pub fn max_parts(max_size: u64) -> u32 {
    u32::try_from(max_size.div_ceil(MIN_PART_SIZE))
        .unwrap_or(MAX_PARTS)
        .clamp(1, MAX_PARTS)
}

/// The answer to a multipart create without `size` when the mode is off.
pub fn size_required() -> ApiError {
    ApiError::SizeRequired(
        "`size` is required: send the file's size in bytes in the body, \
         `\"size\": <bytes>`, so the store can bound the upload"
            .into(),
    )
}

/// The bounds of the compatibility mode; present only when it is on.
pub struct UnsizedParts {
    max_parts: u32,
    max_size: u64,
    limiter: RateLimiter,
}

impl UnsizedParts {
    /// The bounds the settings ask for, or `None` when the mode is off.
    pub fn from_settings(settings: &Settings) -> Option<UnsizedParts> {
        settings
            .uploads
            .allow_unsized_multipart
            .then(|| UnsizedParts {
                max_parts: max_parts(settings.uploads.max_size),
                max_size: settings.uploads.max_size,
                limiter: RateLimiter::new(settings.uploads.unsized_part_rate),
            })
    }

    /// Checks a request to sign `numbers` for an upload of `caller` that was
    /// created without a size: every number within the bound, then one rate
    /// token per part.
    pub fn check(
        &self,
        caller: &str,
        numbers: &[PartNumber],
        now: Instant,
    ) -> Result<(), ApiError> {
        if let Some(n) = numbers.iter().find(|n| n.get() > self.max_parts) {
            return Err(ApiError::BadRequest(format!(
                "part {n} is beyond the {} parts an upload of at most {} bytes can have \
                 (every part but the last is at least 5 MiB); declare `size` at create to plan it",
                self.max_parts, self.max_size
            )));
        }
        let cost = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
        self.limiter
            .check_n(caller, cost, now)
            .map_err(ApiError::RateLimited)
    }
}

/// Refuses to sign parts of an upload without a planned size when the mode
/// is off: such an upload can only predate a switch of the setting, and its
/// part URLs would carry no length.
pub fn refuse_when_off(parts: Option<&UnsizedParts>) -> Result<&UnsizedParts, ApiError> {
    parts.ok_or_else(|| {
        ApiError::SizeRequired(
            "this upload was created without a size, which this signer does not accept; \
             start again with `\"size\": <bytes>` in the create body"
                .into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3lift_protocol::plan::MIB;

    #[test]
    fn the_part_bound_follows_the_5_mib_minimum() {
        assert_eq!(max_parts(1), 1);
        assert_eq!(max_parts(5 * MIB), 1);
        assert_eq!(max_parts(5 * MIB + 1), 2);
        assert_eq!(max_parts(10 * MIB), 2);
        assert_eq!(max_parts(5 << 40), MAX_PARTS);
    }

    #[test]
    fn numbers_over_the_bound_and_bursts_are_refused() {
        let u = UnsizedParts {
            max_parts: 2,
            max_size: 10 * MIB,
            limiter: RateLimiter::new(3),
        };
        let n = |v: u32| PartNumber::new(v).unwrap();
        let t0 = Instant::now();
        assert!(matches!(
            u.check("a", &[n(3)], t0),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            u.check("a", &[n(9999)], t0),
            Err(ApiError::BadRequest(_))
        ));
        assert!(u.check("a", &[n(1), n(2)], t0).is_ok());
        assert!(u.check("a", &[n(1)], t0).is_ok());
        assert!(matches!(
            u.check("a", &[n(2)], t0),
            Err(ApiError::RateLimited(_))
        ));
        assert!(u.check("b", &[n(2)], t0).is_ok(), "per caller");
    }
}
