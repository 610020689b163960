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

mod uuid_v8;

use self::uuid_v8::{pack_v8, unpack_v8, PART_BITS, RANDOM_BITS, SIZE_BITS};

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

#[cfg(test)]
mod path_tests;

#[cfg(test)]
mod tests;
