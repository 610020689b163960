//! Object keys: `<prefix>/<caller>/<uuid>.<tag>/<sanitized filename>`, or
//! `…/<uuid>.<tag>/<sanitized/relative/path>` for a file of a picked folder,
//! made by the signer and never taken verbatim from a client.
//!
//! The signer holds no per-upload state, yet it must know at every later
//! request what it approved at create. The `<uuid>` is an RFC 9562 version 8
//! UUID whose custom bits carry the approved size and part size next to 65
//! random bits (so two uploads of one file never share a key). The `<tag>` is
//! HMAC-SHA256 under `S3LIFT_KEY_SECRET`, truncated to 128 bits (RFC 2104 §5
//! allows truncation to the left-most bits; NIST SP 800-107 asks for at least
//! 64), over the prefix, the caller, the UUID (size, part size, random bits)
//! and the name. A client can read the plan but cannot change any of it: a
//! re-packed UUID claiming 5 TiB, or another caller or name, no longer matches
//! its tag, and every route refuses the key with 403 `forbidden_key` before
//! the store is asked. Replicas that share the secret accept each other's keys.

use std::fmt;

use hmac::{Hmac, Mac};
use s3lift_protocol::plan::{PartPlan, MIB};
use s3lift_protocol::sanitize::{
    sanitize_filename, sanitize_relative_path, PathError, MAX_KEY_BYTES,
};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::{ConfigError, Secret, Settings};
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

    /// The most the stored object may hold: the approved size, never more
    /// than `max_size` (`S3LIFT_MAX_SIZE`), which bounds size-less uploads.
    pub fn limit(&self, max_size: u64) -> u64 {
        self.size.unwrap_or(max_size).min(max_size)
    }
}

/// Bytes of HMAC-SHA256 kept in a key.
const TAG_BYTES: usize = 16;

/// Makes keys and checks the keys clients send back: the key prefix and the
/// HMAC key that authenticates each key's plan.
#[derive(Clone)]
pub struct KeyIssuer {
    prefix: String,
    mac: Hmac<Sha256>,
}

impl fmt::Debug for KeyIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyIssuer")
            .field("prefix", &self.prefix)
            .field("secret", &"***")
            .finish()
    }
}

/// A key made by this signer, its tag checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey {
    prefix: String,
    caller: String,
    id: Uuid,
    tag: [u8; TAG_BYTES],
    /// The sanitized file name, or relative path (segments joined by `/`).
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
    /// Of our shape, but its tag does not match: the plan, the caller or the
    /// name was changed, or the key was made under another key secret.
    #[error("the key's signature does not match: it was altered, or not made by this signer")]
    Forged,
}

const SIZE_BITS: u32 = 44; // size + 1; 0 = not declared. 5 TiB < 2^43.
const PART_BITS: u32 = 13; // part size in MiB; 5 GiB = 5120 MiB < 2^13. 0 = none.
const RANDOM_BITS: u32 = 122 - SIZE_BITS - PART_BITS; // 65

/// A fresh random secret, for `s3lift-signer dev` when none is configured:
/// 32 bytes as hex, from the OS generator behind `Uuid::new_v4`.
pub fn generate_secret() -> Secret {
    let mut hex = String::with_capacity(64);
    while hex.len() < 64 {
        hex.push_str(&Uuid::new_v4().simple().to_string());
    }
    hex.truncate(64);
    Secret::new(hex)
}

impl KeyIssuer {
    /// The issuer the settings describe. Serving without `S3LIFT_KEY_SECRET` is
    /// a configuration error: keys would carry plans nobody can trust.
    pub fn from_settings(settings: &Settings) -> Result<KeyIssuer, ConfigError> {
        let secret = settings
            .uploads
            .key_secret
            .as_ref()
            .ok_or(ConfigError::Missing {
                setting: "S3LIFT_KEY_SECRET",
                reason:
                    "at least 32 random bytes that authenticate the plan inside each object key \
                     (the same on every replica; `openssl rand -hex 32` makes one)",
            })?;
        Ok(KeyIssuer::new(&settings.uploads.key_prefix, secret))
    }

    /// An issuer for keys under `prefix`, authenticated with `secret`.
    pub fn new(prefix: &str, secret: &Secret) -> KeyIssuer {
        KeyIssuer {
            prefix: prefix.to_owned(),
            mac: Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
                .expect("HMAC takes any key length"),
        }
    }

    /// Makes a fresh key for `caller` and a user's file name.
    pub fn issue(&self, caller: &Caller, filename: &str, approved: Approved) -> ObjectKey {
        self.make(caller, sanitize_filename(filename), approved)
    }

    /// Makes a fresh key for `caller`, ending with the sanitized
    /// `relative_path` when one is given (and not empty), else with the
    /// sanitized `filename`. Refuses a path with a `..` segment, too deep or
    /// too long, or one that makes a key longer than S3 stores.
    pub fn issue_at(
        &self,
        caller: &Caller,
        filename: &str,
        relative_path: Option<&str>,
        approved: Approved,
    ) -> Result<ObjectKey, PathError> {
        let Some(path) = relative_path.filter(|p| !p.is_empty()) else {
            return Ok(self.issue(caller, filename, approved));
        };
        let name = sanitize_relative_path(path)?;
        // `<prefix>/<caller>/<uuid>.<tag>/<name>`
        let bytes = self.prefix.len() + caller.as_str().len() + 36 + 2 * TAG_BYTES + 4 + name.len();
        if bytes > MAX_KEY_BYTES {
            return Err(PathError::KeyTooLong { bytes });
        }
        Ok(self.make(caller, name, approved))
    }

    fn make(&self, caller: &Caller, name: String, approved: Approved) -> ObjectKey {
        let size_field = approved.size.map_or(0, |s| (s + 1) as u128) & ((1 << SIZE_BITS) - 1);
        let part_field =
            approved.part_size.map_or(0, |p| (p / MIB) as u128) & ((1 << PART_BITS) - 1);
        let random = Uuid::new_v4().as_u128() & ((1 << RANDOM_BITS) - 1);
        let custom =
            (size_field << (PART_BITS + RANDOM_BITS)) | (part_field << RANDOM_BITS) | random;
        let id = Uuid::from_u128(pack_v8(custom));
        let mut tag = [0; TAG_BYTES];
        tag.copy_from_slice(
            &self
                .tagger(caller.as_str(), &id, &name)
                .finalize()
                .into_bytes()[..TAG_BYTES],
        );
        ObjectKey {
            prefix: self.prefix.clone(),
            caller: caller.as_str().to_owned(),
            id,
            tag,
            name,
        }
    }

    /// Parses a key from a client, checks it is in `caller`'s namespace and
    /// that its tag matches (in constant time).
    pub fn parse_for(&self, key: &str, caller: &Caller) -> Result<ObjectKey, KeyError> {
        let parsed = self.parse(key)?;
        if parsed.caller != caller.as_str() {
            return Err(KeyError::NotYours);
        }
        self.tagger(&parsed.caller, &parsed.id, &parsed.name)
            .verify_truncated_left(&parsed.tag)
            .map_err(|_| KeyError::Forged)?;
        Ok(parsed)
    }

    /// The MAC over everything a key asserts. Each variable-length field is
    /// length-prefixed, so no two different keys feed it the same bytes.
    fn tagger(&self, caller: &str, id: &Uuid, name: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(b"s3lift-key-v1");
        for field in [
            self.prefix.as_bytes(),
            caller.as_bytes(),
            &id.as_bytes()[..],
            name.as_bytes(),
        ] {
            mac.update(&(field.len() as u32).to_be_bytes());
            mac.update(field);
        }
        mac
    }

    fn parse(&self, key: &str) -> Result<ObjectKey, KeyError> {
        let rest = key
            .strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .ok_or(KeyError::Malformed)?;
        let mut it = rest.splitn(3, '/');
        let (Some(caller), Some(id_tag), Some(name)) = (it.next(), it.next(), it.next()) else {
            return Err(KeyError::Malformed);
        };
        Caller::parse(caller).map_err(|_| KeyError::Malformed)?;
        let (id, tag_hex) = id_tag.split_once('.').ok_or(KeyError::Malformed)?;
        // Only the canonical lower-case forms, so one key has one spelling.
        let id = Uuid::try_parse(id)
            .ok()
            .filter(|u| u.hyphenated().to_string() == id)
            .ok_or(KeyError::Malformed)?;
        let mut tag = [0; TAG_BYTES];
        if tag_hex.len() != 2 * TAG_BYTES
            || tag_hex.bytes().any(|b| b.is_ascii_uppercase())
            || hex::decode_to_slice(tag_hex, &mut tag).is_err()
        {
            return Err(KeyError::Malformed);
        }
        // The name is one sanitized segment, or a sanitized relative path:
        // never a `..` or empty segment, so the key stays in its namespace.
        if unpack_v8(id.as_u128()).is_none()
            || name.is_empty()
            || sanitize_relative_path(name).as_deref() != Ok(name)
        {
            return Err(KeyError::Malformed);
        }
        Ok(ObjectKey {
            prefix: self.prefix.clone(),
            caller: caller.to_owned(),
            id,
            tag,
            name: name.to_owned(),
        })
    }
}

impl ObjectKey {
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
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// Everything after the upload's id: the sanitized relative path, or the
    /// file name.
    pub fn relative_path(&self) -> &str {
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
            "{}/{}/{}.{}/{}",
            self.prefix,
            self.caller,
            self.id.hyphenated(),
            hex::encode(self.tag),
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
#[path = "keys_path_tests.rs"]
mod path_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "unit-test-key-secret-0123456789abcdef";

    fn issuer(prefix: &str) -> KeyIssuer {
        KeyIssuer::new(prefix, &Secret::new(SECRET))
    }

    fn caller(name: &str) -> Caller {
        Caller::parse(name).unwrap()
    }

    fn alice() -> Caller {
        caller("alice")
    }

    /// The key with its UUID's custom bits replaced by `f(custom)` and the
    /// UUID re-packed: what an attacker who read keys.rs would send.
    fn repack(key: &str, f: impl Fn(u128) -> u128) -> String {
        // From the right: the prefix may hold `/`, the name never does.
        let segs: Vec<&str> = key.rsplitn(3, '/').collect();
        let (id, tag) = segs[1].split_once('.').unwrap();
        let custom = unpack_v8(Uuid::parse_str(id).unwrap().as_u128()).unwrap();
        let id = Uuid::from_u128(pack_v8(f(custom) & ((1 << 122) - 1)));
        format!("{}/{}.{tag}/{}", segs[2], id.hyphenated(), segs[0])
    }

    #[test]
    fn key_shape_and_namespace() {
        let keys = issuer("uploads");
        let approved = Approved {
            size: Some(10),
            part_size: None,
        };
        let k = keys.issue(&alice(), "../../etc/passwd", approved);
        let s = k.to_string();
        assert!(s.starts_with("uploads/alice/"), "{s}");
        assert_eq!(s.matches('/').count(), 3, "{s}");
        let back = keys.parse_for(&s, &alice()).unwrap();
        assert_eq!(back, k);
        assert_eq!(back.approved(), approved);
        assert_eq!(keys.parse_for(&s, &caller("bob")), Err(KeyError::NotYours));
        assert_eq!(
            issuer("other").parse_for(&s, &alice()),
            Err(KeyError::Malformed)
        );
        let no_tag = s.replacen(&format!(".{}", hex::encode(k.tag)), "", 1);
        let short_tag = s.replacen(
            &format!(".{}", hex::encode(k.tag)),
            &format!(".{}", &hex::encode(k.tag)[..16]),
            1,
        );
        for bad in [
            "uploads/alice/x/y",
            "uploads/alice",
            "uploads/../alice/0000/y",
            "uploads/alice/550e8400-e29b-41d4-a716-446655440000/y", // a v4 uuid: not ours
            &no_tag, // a key of the old, unauthenticated layout
            &short_tag,
            &s.replacen("uploads/", "uploads//", 1),
            &format!("{s}/../../x"),
            &s.to_uppercase(),
        ] {
            assert!(keys.parse_for(bad, &alice()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_issue_12_forgery_is_refused() {
        // A key approved for 10 bytes, re-packed to claim 5 TiB in 5 GiB parts.
        let keys = issuer("uploads");
        let k = keys
            .issue(
                &alice(),
                "a.bin",
                Approved {
                    size: Some(10),
                    part_size: None,
                },
            )
            .to_string();
        let forged = repack(&k, |c| {
            let random = c & ((1 << RANDOM_BITS) - 1);
            let size = (5u128 << 40) + 1;
            (size << (PART_BITS + RANDOM_BITS)) | (5120 << RANDOM_BITS) | random
        });
        assert_eq!(
            keys.parse(&forged).unwrap().approved(),
            Approved {
                size: Some(5 << 40),
                part_size: Some(5 << 30)
            },
            "the forgery decodes to the plan it claims"
        );
        assert_eq!(keys.parse_for(&forged, &alice()), Err(KeyError::Forged));
    }

    #[test]
    fn replicas_share_keys_only_with_the_same_secret() {
        let k = issuer("uploads")
            .issue(
                &alice(),
                "a.bin",
                Approved {
                    size: Some(1),
                    part_size: None,
                },
            )
            .to_string();
        assert!(issuer("uploads").parse_for(&k, &alice()).is_ok());
        let other = KeyIssuer::new(
            "uploads",
            &Secret::new("another-secret-of-32-bytes-or-more!!"),
        );
        assert_eq!(other.parse_for(&k, &alice()), Err(KeyError::Forged));
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let d = format!("{:?}", issuer("uploads"));
        assert!(!d.contains(SECRET) && d.contains("***"), "{d}");
        let g = generate_secret();
        assert_eq!(g.expose().len(), 64);
        assert_ne!(g, generate_secret());
    }

    /// A field of a key an attacker may change.
    #[derive(Debug, Clone)]
    enum Tamper {
        SizeBit(u32),
        PartBit(u32),
        RandomBit(u32),
        TagBit(usize),
        Caller(String),
        Name(String),
    }

    fn tamper() -> impl Strategy<Value = Tamper> {
        prop_oneof![
            (0..SIZE_BITS).prop_map(Tamper::SizeBit),
            (0..PART_BITS).prop_map(Tamper::PartBit),
            (0..RANDOM_BITS).prop_map(Tamper::RandomBit),
            (0..TAG_BYTES * 8).prop_map(Tamper::TagBit),
            "[a-z0-9@._-]{1,20}".prop_map(Tamper::Caller),
            "[a-zA-Z0-9 ._-]{1,40}".prop_map(Tamper::Name),
        ]
    }

    proptest! {
        #[test]
        fn any_tampered_field_fails_the_mac(
            size in proptest::option::of(0u64..=5 * 1024 * 1024 * MIB),
            part in proptest::option::of(5u64..=5120),
            name in "\\PC{1,60}",
            t in tamper(),
        ) {
            let keys = issuer("app/uploads");
            let k = keys.issue(&alice(), &name, Approved { size, part_size: part.map(|p| p * MIB) });
            let s = k.to_string();
            let (who, forged) = match &t {
                Tamper::SizeBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << (PART_BITS + RANDOM_BITS + b)))),
                Tamper::PartBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << (RANDOM_BITS + b)))),
                Tamper::RandomBit(b) => ("alice".to_owned(), repack(&s, |c| c ^ (1 << b))),
                Tamper::TagBit(b) => {
                    let mut tag = k.tag;
                    tag[b / 8] ^= 1 << (b % 8);
                    ("alice".to_owned(), s.replacen(&hex::encode(k.tag), &hex::encode(tag), 1))
                }
                Tamper::Caller(c) => {
                    prop_assume!(c != "alice" && Caller::parse(c).is_ok());
                    (c.clone(), s.replacen("/alice/", &format!("/{c}/"), 1))
                }
                Tamper::Name(n) => {
                    let n = sanitize_filename(n);
                    prop_assume!(n != k.name);
                    ("alice".to_owned(), format!("{}{n}", &s[..s.len() - k.name.len()]))
                }
            };
            prop_assert_ne!(&forged, &s);
            prop_assert_eq!(keys.parse_for(&forged, &caller(&who)), Err(KeyError::Forged), "{:?}", t);
        }

        #[test]
        fn approved_round_trips(size in proptest::option::of(0u64..=5 * 1024 * 1024 * MIB), part in proptest::option::of(5u64..=5120)) {
            let keys = issuer("a/b");
            let approved = Approved { size, part_size: part.map(|p| p * MIB) };
            let k = keys.issue(&alice(), "f.bin", approved);
            let back = keys.parse_for(&k.to_string(), &alice()).unwrap();
            prop_assert_eq!(back.approved(), approved);
        }

        #[test]
        fn any_filename_stays_in_the_namespace(name in "\\PC{0,300}") {
            let keys = issuer("uploads");
            let k = keys.issue(&alice(), &name, Approved { size: None, part_size: None }).to_string();
            prop_assert!(k.starts_with("uploads/alice/"));
            prop_assert_eq!(k.matches('/').count(), 3);
            prop_assert!(keys.parse_for(&k, &alice()).is_ok());
        }
    }
}
