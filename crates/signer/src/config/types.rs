//! The typed settings the signer runs with, and the one error a bad setting gives.

use std::fmt;
use std::net::SocketAddr;

use serde::Deserialize;

use crate::domain::Caller;
use crate::limits::TypePattern;

/// A secret value: never printed, not even by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Server-side encryption asked of the store for every object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// `x-amz-server-side-encryption: AES256`.
    Aes256,
    /// `aws:kms`, optionally with a key id.
    Kms {
        /// `x-amz-server-side-encryption-aws-kms-key-id`.
        key_id: Option<String>,
    },
}

/// How `GET /s3/params` answers when the client does not declare a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SingleUploadMethod {
    /// Presigned PUT with a signed `Content-Length` when the size is known,
    /// and a POST policy with `content-length-range` when it is not, so the
    /// store always enforces the limit.
    Auto,
    /// Always a POST policy form.
    Post,
}

/// The signer's whole configuration, validated once into typed values: nothing
/// downstream parses a setting again. Secrets are [`Secret`]s, so `Debug` (and
/// any log of it) shows none of them.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The HTTP listener.
    pub server: ServerSettings,
    /// The S3-compatible store and bucket.
    pub store: StoreSettings,
    /// Who may call.
    pub auth: AuthSettings,
    /// What may be uploaded, and how it is signed.
    pub uploads: UploadSettings,
    /// `S3LIFT_WEBHOOK_URL`: completion events, when configured.
    pub webhook: Option<WebhookSettings>,
}

/// The HTTP listener and what it serves besides the protocol.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `S3LIFT_BIND`.
    pub bind: SocketAddr,
    /// `S3LIFT_BASE_PATH`: URL path prefix of the protocol routes (`/s3`).
    pub base_path: String,
    /// `S3LIFT_ALLOWED_ORIGINS`; `*` allows any.
    pub allowed_origins: Vec<String>,
    /// `S3LIFT_RATE_LIMIT`, requests per minute per caller; `None` is off.
    pub rate_limit: Option<u32>,
    /// `S3LIFT_STATIC_DIR`: a folder served at `/` (the demo page).
    pub static_dir: Option<String>,
    /// `S3LIFT_LOG_FORMAT`: `text` or `json`.
    pub log_json: bool,
    /// `S3LIFT_METRICS_BIND`: serve `/metrics` on this address only (and no
    /// longer on `S3LIFT_BIND`); `None` keeps it on the main listener.
    pub metrics_bind: Option<SocketAddr>,
}

/// The store the signer presigns for.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// `S3LIFT_S3_ENDPOINT`; `None` means AWS S3 itself.
    pub endpoint: Option<String>,
    /// `S3LIFT_S3_PUBLIC_ENDPOINT`: the endpoint browsers reach, when it
    /// differs from the one the signer uses (a proxy, a CDN, another network).
    /// Presigned URLs are signed for it; it defaults to `endpoint`.
    pub public_endpoint: Option<String>,
    /// `S3LIFT_S3_REGION`.
    pub region: String,
    /// `S3LIFT_S3_BUCKET`.
    pub bucket: String,
    /// `S3LIFT_S3_PATH_STYLE`.
    pub path_style: bool,
    /// `S3LIFT_SSE` and `S3LIFT_SSE_KMS_KEY_ID`.
    pub sse: Option<Sse>,
    /// `S3LIFT_STORAGE_TIMEOUT_MS`: the longest a store call may take.
    pub timeout_ms: u64,
    /// `S3LIFT_STORE_POST_POLICY`: whether the store takes browser POST
    /// forms (and enforces their `content-length-range`).
    pub post_policy: StoreFeature,
    /// `S3LIFT_STORE_CHECKSUMS`: whether the store checks a signed
    /// `x-amz-checksum-crc64nvme` on a PUT.
    pub checksums: StoreFeature,
}

/// Whether the store has a feature: known (`on`, `off`), or probed once at
/// start with `doctor`'s own check (`auto`). Setting it makes every replica
/// agree without a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreFeature {
    /// Probe the store at start.
    Auto,
    /// The store has it.
    On,
    /// The store lacks it: s3lift works around it.
    Off,
}

/// How callers are identified.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `S3LIFT_JWT_SECRET`: HS256 JWTs.
    pub jwt_secret: Option<Secret>,
    /// `S3LIFT_STATIC_TOKENS`: token → caller.
    pub static_tokens: StaticTokens,
    /// `S3LIFT_JWT_AUDIENCE`: accepted `aud` values; empty means not checked.
    pub jwt_audience: Vec<String>,
    /// `S3LIFT_JWT_ISSUER`: accepted `iss` values; empty means not checked.
    pub jwt_issuer: Vec<String>,
    /// `S3LIFT_JWKS_URL` or `S3LIFT_JWKS_FILE`: keys for RS256/ES256/EdDSA JWTs.
    pub jwks: Option<crate::jwks::JwksSource>,
    /// `S3LIFT_AUTH_COOKIE`: the cookie a token is read from when a request
    /// has no `Authorization` header.
    pub auth_cookie: Option<String>,
    /// `S3LIFT_ALLOW_ANONYMOUS`.
    pub allow_anonymous: bool,
}

/// The limits and shape of what is signed.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// `S3LIFT_KEY_PREFIX`.
    pub key_prefix: String,
    /// `S3LIFT_MAX_SIZE`, bytes.
    pub max_size: u64,
    /// `S3LIFT_ALLOWED_TYPES`, parsed; empty means any type.
    pub allowed_types: Vec<TypePattern>,
    /// `S3LIFT_URL_TTL`, seconds.
    pub url_ttl: u64,
    /// `S3LIFT_SINGLE_UPLOAD` (`auto` or `post`).
    pub single_upload: SingleUploadMethod,
    /// `S3LIFT_PART_SIZE`: preferred multipart part size, bytes.
    pub part_size: u64,
    /// `S3LIFT_KEY_SECRET`: the HMAC key that authenticates the plan inside
    /// each object key (`keys.rs`). Serving needs it; `dev` generates one.
    pub key_secret: Option<Secret>,
    /// `S3LIFT_ALLOW_UNSIZED_MULTIPART`: accept `POST /s3/multipart` without
    /// `size`, for Uppy and other Companion clients (bounded, see `unsized_parts.rs`).
    pub allow_unsized_multipart: bool,
    /// `S3LIFT_UNSIZED_PART_RATE`: part URLs per minute per caller for uploads
    /// created without a size.
    pub unsized_part_rate: u32,
    /// How long a complete waits for its `pending` parts to reach the store:
    /// [`crate::completion::PENDING_WAIT`]. Not read from the file or the
    /// environment, since `docs/protocol.md` states the bound clients rely
    /// on; tests shorten it to watch a part that never arrives.
    pub pending_wait: std::time::Duration,
}

/// Where completion events go.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `S3LIFT_WEBHOOK_URL`: a secret, since receivers often carry a token in it.
    pub url: Secret,
    /// `S3LIFT_WEBHOOK_SECRET`: the HMAC key of `X-S3lift-Signature`;
    /// required (at least 32 bytes) when `S3LIFT_WEBHOOK_URL` is set.
    pub secret: Secret,
}

/// `S3LIFT_STATIC_TOKENS`, parsed: each token with its caller. `Debug` shows
/// how many there are, never a token.
#[derive(Clone, Default)]
pub struct StaticTokens(pub(super) Vec<(Secret, Caller)>);

impl StaticTokens {
    /// The entries, for the authenticator.
    pub fn entries(&self) -> impl Iterator<Item = (&Secret, &Caller)> {
        self.0.iter().map(|(t, c)| (t, c))
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaticTokens({} tokens)", self.0.len())
    }
}

/// The shortest `S3LIFT_KEY_SECRET` accepted: 32 bytes, HMAC-SHA256's output
/// size (RFC 2104 §3: a shorter key weakens the MAC).
pub const MIN_KEY_SECRET_LEN: usize = 32;

/// Default of `S3LIFT_UNSIZED_PART_RATE`: 1,200 parts a minute (20 a second,
/// 100 MiB/s in Uppy's 5 MiB parts) per caller.
pub const DEFAULT_UNSIZED_PART_RATE: u32 = 1_200;

/// A setting that cannot be used. Its message names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or breaks a rule.
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// The setting's name, as the user wrote it.
        setting: &'static str,
        /// What is wrong, without the value when it is secret.
        reason: String,
    },
    /// A setting that must be present.
    #[error("missing {setting}: {reason}")]
    Missing {
        /// The setting's name.
        setting: &'static str,
        /// Why it is needed.
        reason: &'static str,
    },
    /// The TOML file could not be read.
    #[error("cannot read config file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        reason: String,
    },
}
