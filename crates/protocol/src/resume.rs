//! The record that lets an upload continue after a page reload.
//!
//! It is stored (by the client, in `localStorage`) under the file's
//! fingerprint: name, size, last-modified time, type and signer endpoint.
//! Picking the same file again finds it, and ListParts says which parts the
//! store already has.

use alloc::string::String;

use serde::{Deserialize, Serialize};

/// How long a record stays usable: 7 days (a user may come back after a
/// weekend). Past it, the record's upload is aborted and the file starts
/// over; the bucket's abort-incomplete-uploads rule is the backstop.
pub const DEFAULT_RESUME_TTL_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;

/// A stable identity for a picked file at an endpoint.
pub fn fingerprint(
    name: &str,
    size: u64,
    last_modified_ms: f64,
    content_type: &str,
    endpoint: &str,
) -> String {
    // FNV-1a 64 over the fields, separated so that ("ab","c") ≠ ("a","bc").
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let lm = (last_modified_ms as i64).to_le_bytes();
    let sz = size.to_le_bytes();
    for field in [
        name.as_bytes(),
        &sz,
        &lm,
        content_type.as_bytes(),
        endpoint.as_bytes(),
        // Each field ends with 0xff.
    ] {
        for &b in field.iter() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::with_capacity(16 + 12);
    for i in (0..16).rev() {
        let d = ((h >> (i * 4)) & 0xf) as u8;
        out.push(char::from(if d < 10 { b'0' + d } else { b'a' - 10 + d }));
    }
    out.push('-');
    out.push_str(&crate::decimal(size));
    out
}

/// What is persisted for one in-progress multipart upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResumeRecord {
    /// The store's upload id.
    pub upload_id: String,
    /// The object key the signer made.
    pub key: String,
    /// The plan's part size.
    pub part_size: u64,
    /// The file's fingerprint (also the storage key).
    pub fingerprint: String,
    /// When the upload was created, ms since the epoch.
    pub created_at: f64,
    /// A complete was sent for it. A page that reloads then cannot tell
    /// whether it went through: ListParts finding the upload gone then
    /// most likely means completed (absent in records from before).
    #[serde(default, skip_serializing_if = "is_false")]
    pub completing: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ResumeRecord {
    /// Whether the record is still young enough to use at `now_ms`.
    pub fn is_fresh(&self, now_ms: f64, ttl_ms: f64) -> bool {
        now_ms >= self.created_at && now_ms - self.created_at < ttl_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_every_field() {
        let base = fingerprint("a.bin", 10, 1000.0, "x/y", "/s3");
        // Records stored by earlier versions keep their key (the entry's
        // `fingerprint` in crates/client/js/s3lift.js gives the same).
        assert_eq!(base, "a2a37930df4f47fe-10");
        for other in [
            fingerprint("b.bin", 10, 1000.0, "x/y", "/s3"),
            fingerprint("a.bin", 11, 1000.0, "x/y", "/s3"),
            fingerprint("a.bin", 10, 1001.0, "x/y", "/s3"),
            fingerprint("a.bin", 10, 1000.0, "x/z", "/s3"),
            fingerprint("a.bin", 10, 1000.0, "x/y", "/s4"),
            fingerprint("a.bi", 10, 1000.0, "nx/y", "/s3"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn records_expire_after_7_days() {
        let r = ResumeRecord {
            upload_id: "u".into(),
            key: "k".into(),
            part_size: 5,
            fingerprint: "f".into(),
            created_at: 1000.0,
            completing: false,
        };
        assert!(r.is_fresh(2000.0, DEFAULT_RESUME_TTL_MS));
        assert!(!r.is_fresh(1000.0 + DEFAULT_RESUME_TTL_MS, DEFAULT_RESUME_TTL_MS));
        assert!(!r.is_fresh(0.0, DEFAULT_RESUME_TTL_MS));
    }
}
