//! Object keys: `<prefix>/<caller>/<uuid>/<sanitized filename>`, made by the
//! signer and never taken verbatim from a client.
//!
//! The signer holds no per-upload state, yet it must know at every later
//! request what it approved at create: the `<uuid>` is an RFC 9562 version 8
//! UUID whose custom bits carry the approved size and part size, next to 65
//! random bits. The store binds an upload id to its key, and clients cannot
//! write keys, so a key that parses is one this signer made: any replica can
//! read the plan back from it.

use std::fmt;

use s3lift_protocol::plan::{PartPlan, MIB};
use s3lift_protocol::sanitize::sanitize_filename;
use uuid::Uuid;

use crate::domain::Caller;

/// What the signer approved when it made a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approved {
    /// The declared size, when the client declared one.
    pub size: Option<u64>,
    /// The planned part size in bytes (whole MiB), for multipart uploads of a known size.
    pub part_size: Option<u64>,
}

impl Approved {
    /// The multipart plan, when both size and part size are known.
    pub fn plan(&self) -> Option<PartPlan> {
        PartPlan::from_parts(self.size?, self.part_size?).ok()
    }
}

/// A key made by this signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    prefix: String,
    caller: String,
    id: Uuid,
    name: String,
}

/// Why a key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// Not of our shape, or made for another prefix.
    #[error("the key was not made by this signer")]
    Malformed,
    /// Of our shape, but in another caller's namespace.
    #[error("the key belongs to another caller")]
    NotYours,
}

const SIZE_BITS: u32 = 44; // size + 1; 0 = not declared. 5 TiB < 2^43.
const PART_BITS: u32 = 13; // part size in MiB; 5 GiB = 5120 MiB < 2^13. 0 = none.
const RANDOM_BITS: u32 = 122 - SIZE_BITS - PART_BITS; // 65

impl ObjectKey {
    /// Makes a fresh key for `caller` and a user's file name.
    pub fn new(prefix: &str, caller: &Caller, filename: &str, approved: Approved) -> ObjectKey {
        let size_field = approved.size.map_or(0, |s| (s + 1) as u128) & ((1 << SIZE_BITS) - 1);
        let part_field =
            approved.part_size.map_or(0, |p| (p / MIB) as u128) & ((1 << PART_BITS) - 1);
        let random = Uuid::new_v4().as_u128() & ((1 << RANDOM_BITS) - 1);
        let custom =
            (size_field << (PART_BITS + RANDOM_BITS)) | (part_field << RANDOM_BITS) | random;
        ObjectKey {
            prefix: prefix.to_owned(),
            caller: caller.as_str().to_owned(),
            id: Uuid::from_u128(pack_v8(custom)),
            name: sanitize_filename(filename),
        }
    }

    /// Parses a key from a client and checks it is in `caller`'s namespace.
    pub fn parse_for(key: &str, prefix: &str, caller: &Caller) -> Result<ObjectKey, KeyError> {
        let parsed = Self::parse(key, prefix)?;
        if parsed.caller != caller.as_str() {
            return Err(KeyError::NotYours);
        }
        Ok(parsed)
    }

    fn parse(key: &str, prefix: &str) -> Result<ObjectKey, KeyError> {
        let rest = key
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or(KeyError::Malformed)?;
        let mut it = rest.splitn(3, '/');
        let (Some(caller), Some(id), Some(name)) = (it.next(), it.next(), it.next()) else {
            return Err(KeyError::Malformed);
        };
        Caller::parse(caller).map_err(|_| KeyError::Malformed)?;
        // Only the canonical hyphenated lower-case form, so one key has one spelling.
        let id = Uuid::try_parse(id)
            .ok()
            .filter(|u| u.hyphenated().to_string() == id)
            .ok_or(KeyError::Malformed)?;
        if unpack_v8(id.as_u128()).is_none() || name.is_empty() || sanitize_filename(name) != name {
            return Err(KeyError::Malformed);
        }
        Ok(ObjectKey {
            prefix: prefix.to_owned(),
            caller: caller.to_owned(),
            id,
            name: name.to_owned(),
        })
    }

    /// What was approved when the key was made.
    pub fn approved(&self) -> Approved {
        let custom = unpack_v8(self.id.as_u128()).unwrap_or(0);
        let size_field = (custom >> (PART_BITS + RANDOM_BITS)) & ((1 << SIZE_BITS) - 1);
        let part_field = (custom >> RANDOM_BITS) & ((1 << PART_BITS) - 1);
        Approved {
            size: (size_field > 0).then(|| (size_field - 1) as u64),
            part_size: (part_field > 0).then(|| part_field as u64 * MIB),
        }
    }

    /// The sanitized file name (the last segment).
    pub fn file_name(&self) -> &str {
        &self.name
    }

    /// The caller the key belongs to.
    pub fn caller(&self) -> &str {
        &self.caller
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.prefix,
            self.caller,
            self.id.hyphenated(),
            self.name
        )
    }
}

/// Spreads 122 custom bits around the version (bits 76-79 = 8) and variant
/// (bits 62-63 = 0b10) fields of an RFC 9562 UUID.
fn pack_v8(custom: u128) -> u128 {
    let hi48 = (custom >> 74) & ((1 << 48) - 1);
    let mid12 = (custom >> 62) & 0xfff;
    let lo62 = custom & ((1 << 62) - 1);
    (hi48 << 80) | (0x8 << 76) | (mid12 << 64) | (0b10 << 62) | lo62
}

fn unpack_v8(u: u128) -> Option<u128> {
    if (u >> 76) & 0xf != 0x8 || (u >> 62) & 0b11 != 0b10 {
        return None;
    }
    let hi48 = (u >> 80) & ((1 << 48) - 1);
    let mid12 = (u >> 64) & 0xfff;
    let lo62 = u & ((1 << 62) - 1);
    Some((hi48 << 74) | (mid12 << 62) | lo62)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn alice() -> Caller {
        Caller::parse("alice").unwrap()
    }

    #[test]
    fn key_shape_and_namespace() {
        let k = ObjectKey::new(
            "uploads",
            &alice(),
            "../../etc/passwd",
            Approved {
                size: Some(10),
                part_size: None,
            },
        );
        let s = k.to_string();
        assert!(s.starts_with("uploads/alice/"), "{s}");
        assert_eq!(s.matches('/').count(), 3, "{s}");
        let back = ObjectKey::parse_for(&s, "uploads", &alice()).unwrap();
        assert_eq!(back, k);
        assert_eq!(
            back.approved(),
            Approved {
                size: Some(10),
                part_size: None
            }
        );
        let bob = Caller::parse("bob").unwrap();
        assert_eq!(
            ObjectKey::parse_for(&s, "uploads", &bob),
            Err(KeyError::NotYours)
        );
        assert_eq!(
            ObjectKey::parse_for(&s, "other", &alice()),
            Err(KeyError::Malformed)
        );
        for bad in [
            "uploads/alice/x/y",
            "uploads/alice",
            "uploads/../alice/0000/y",
            "uploads/alice/550e8400-e29b-41d4-a716-446655440000/y", // a v4 uuid: not ours
            &s.replacen("uploads/", "uploads//", 1),
            &format!("{s}/../../x"),
            &s.to_uppercase(),
        ] {
            assert!(
                ObjectKey::parse_for(bad, "uploads", &alice()).is_err(),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn approved_round_trips(size in proptest::option::of(0u64..=5 * 1024 * 1024 * MIB), part in proptest::option::of(5u64..=5120)) {
            let approved = Approved { size, part_size: part.map(|p| p * MIB) };
            let k = ObjectKey::new("a/b", &alice(), "f.bin", approved);
            let back = ObjectKey::parse_for(&k.to_string(), "a/b", &alice()).unwrap();
            prop_assert_eq!(back.approved(), approved);
        }

        #[test]
        fn any_filename_stays_in_the_namespace(name in "\\PC{0,300}") {
            let k = ObjectKey::new("uploads", &alice(), &name, Approved { size: None, part_size: None }).to_string();
            prop_assert!(k.starts_with("uploads/alice/"));
            prop_assert_eq!(k.matches('/').count(), 3);
            prop_assert!(ObjectKey::parse_for(&k, "uploads", &alice()).is_ok());
        }
    }
}
