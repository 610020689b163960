//! Layered configuration: built-in defaults, then a TOML file (`--config`),
//! then `S3LIFT_*` environment variables; the environment wins.
//!
//! Everything is checked once, at start: a bad value stops the process with a
//! message that names the setting, rather than failing on the first request.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use s3lift_protocol::plan::MAX_OBJECT_SIZE;
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
pub struct StaticTokens(Vec<(Secret, Caller)>);

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

/// The TOML file: the same settings, lower-case, without the `S3LIFT_` prefix
/// (`bind`, `s3_endpoint`, `max_size`…).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    base_path: Option<String>,
    s3_endpoint: Option<String>,
    s3_public_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_bucket: Option<String>,
    s3_path_style: Option<bool>,
    key_prefix: Option<String>,
    jwt_secret: Option<Secret>,
    static_tokens: Option<HashMap<String, String>>,
    jwt_audience: Option<String>,
    jwt_issuer: Option<String>,
    jwks_url: Option<String>,
    jwks_file: Option<String>,
    auth_cookie: Option<String>,
    allow_anonymous: Option<bool>,
    max_size: Option<u64>,
    allowed_types: Option<Vec<String>>,
    url_ttl: Option<u64>,
    allowed_origins: Option<Vec<String>>,
    rate_limit: Option<u32>,
    sse: Option<String>,
    sse_kms_key_id: Option<String>,
    webhook_url: Option<String>,
    single_upload: Option<SingleUploadMethod>,
    part_size: Option<u64>,
    storage_timeout_ms: Option<u64>,
    static_dir: Option<String>,
    log_format: Option<String>,
    key_secret: Option<Secret>,
    allow_unsized_multipart: Option<bool>,
    unsized_part_rate: Option<u32>,
    webhook_secret: Option<Secret>,
    metrics_bind: Option<String>,
}

/// A source of `S3LIFT_*` values: the process environment, or a map in tests.
pub trait Env {
    /// The value of `name`, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.trim().is_empty())
    }
}

impl Settings {
    /// Reads the file (when given), then the environment, and validates.
    pub fn load(file: Option<&Path>, env: &dyn Env) -> Result<Settings, ConfigError> {
        let file = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                toml::from_str::<FileSettings>(&text).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    reason: e.message().to_owned(),
                })?
            }
            None => FileSettings::default(),
        };
        Self::merge(file, env)
    }

    fn merge(mut f: FileSettings, env: &dyn Env) -> Result<Settings, ConfigError> {
        let identity = identity_settings(&mut f, env)?;
        let bind_text = env
            .get("S3LIFT_BIND")
            .or(f.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.parse().map_err(|_| {
            invalid(
                "S3LIFT_BIND",
                format!("`{bind_text}` is not an address like 127.0.0.1:8080"),
            )
        })?;

        let base_path = env
            .get("S3LIFT_BASE_PATH")
            .or(f.base_path)
            .unwrap_or_else(|| "/s3".into());
        if !base_path.starts_with('/') || base_path.ends_with('/') || base_path.contains("//") {
            return Err(invalid(
                "S3LIFT_BASE_PATH",
                "must start with `/` and not end with one, like /s3".into(),
            ));
        }

        let s3_endpoint = env.get("S3LIFT_S3_ENDPOINT").or(f.s3_endpoint);
        if let Some(e) = &s3_endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) || e.contains('?') {
                return Err(invalid(
                    "S3LIFT_S3_ENDPOINT",
                    format!("`{e}` must be an http(s) URL without a query"),
                ));
            }
        }
        let s3_public_endpoint = env
            .get("S3LIFT_S3_PUBLIC_ENDPOINT")
            .or(f.s3_public_endpoint);
        if let Some(e) = &s3_public_endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) || e.contains('?') {
                return Err(invalid(
                    "S3LIFT_S3_PUBLIC_ENDPOINT",
                    format!("`{e}` must be an http(s) URL without a query"),
                ));
            }
        }
        let s3_region = env
            .get("S3LIFT_S3_REGION")
            .or(f.s3_region)
            .or_else(|| env.get("AWS_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let s3_bucket =
            env.get("S3LIFT_S3_BUCKET")
                .or(f.s3_bucket)
                .ok_or(ConfigError::Missing {
                    setting: "S3LIFT_S3_BUCKET",
                    reason: "the bucket uploads go to",
                })?;
        if !valid_bucket_name(&s3_bucket) {
            return Err(invalid(
                "S3LIFT_S3_BUCKET",
                format!("`{s3_bucket}` is not a valid S3 bucket name"),
            ));
        }
        let s3_path_style = match env.get("S3LIFT_S3_PATH_STYLE") {
            Some(v) => parse_bool("S3LIFT_S3_PATH_STYLE", &v)?,
            None => f.s3_path_style.unwrap_or(s3_endpoint.is_some()),
        };

        let key_prefix = env
            .get("S3LIFT_KEY_PREFIX")
            .or(f.key_prefix)
            .unwrap_or_else(|| "uploads".into());
        if key_prefix.is_empty()
            || key_prefix.starts_with('/')
            || key_prefix.ends_with('/')
            || key_prefix
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
            || !key_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            return Err(invalid(
                "S3LIFT_KEY_PREFIX",
                "must be segments of [A-Za-z0-9._-] joined by `/`, like uploads or app/uploads"
                    .into(),
            ));
        }

        let jwt_secret = env
            .get("S3LIFT_JWT_SECRET")
            .map(Secret::new)
            .or(f.jwt_secret);
        if let Some(s) = &jwt_secret {
            if s.expose().len() < 32 {
                return Err(invalid(
                    "S3LIFT_JWT_SECRET",
                    "must be at least 32 bytes for HS256".into(),
                ));
            }
        }
        let static_tokens = match env.get("S3LIFT_STATIC_TOKENS") {
            Some(v) => parse_token_table(&v)?,
            None => f.static_tokens.unwrap_or_default(),
        };
        for (i, (token, caller)) in static_tokens.iter().enumerate() {
            // 16 characters: a token is a password that never changes and
            // is tried at network speed. The message never shows the token.
            if token.chars().count() < MIN_STATIC_TOKEN_LEN {
                return Err(invalid(
                    "S3LIFT_STATIC_TOKENS",
                    format!(
                        "the token for caller `{caller}` (entry {}) is shorter than {MIN_STATIC_TOKEN_LEN} characters",
                        i + 1
                    ),
                ));
            }
        }
        let static_tokens = parse_static_tokens(static_tokens)?;
        let allow_anonymous = match env.get("S3LIFT_ALLOW_ANONYMOUS") {
            Some(v) => parse_bool("S3LIFT_ALLOW_ANONYMOUS", &v)?,
            None => f.allow_anonymous.unwrap_or(false),
        };

        let max_size = match env.get("S3LIFT_MAX_SIZE") {
            Some(v) => parse_u64("S3LIFT_MAX_SIZE", &v)?,
            None => f.max_size.unwrap_or(MAX_OBJECT_SIZE),
        };
        if max_size == 0 || max_size > MAX_OBJECT_SIZE {
            return Err(invalid(
                "S3LIFT_MAX_SIZE",
                format!("must be between 1 and {MAX_OBJECT_SIZE} (5 TiB, S3's limit)"),
            ));
        }
        let allowed_types = match env.get("S3LIFT_ALLOWED_TYPES") {
            Some(v) => split_list(&v),
            None => f.allowed_types.unwrap_or_default(),
        };
        let allowed_types = allowed_types
            .iter()
            .map(|t| {
                TypePattern::parse(t).ok_or_else(|| {
                    invalid(
                        "S3LIFT_ALLOWED_TYPES",
                        format!("`{t}` is not a type like image/png or image/*"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let url_ttl = match env.get("S3LIFT_URL_TTL") {
            Some(v) => parse_u64("S3LIFT_URL_TTL", &v)?,
            None => f.url_ttl.unwrap_or(600),
        };
        // SigV4 presigned URLs are valid for 1 s to 7 days.
        if !(1..=604_800).contains(&url_ttl) {
            return Err(invalid(
                "S3LIFT_URL_TTL",
                "must be 1 to 604800 seconds (SigV4's limit)".into(),
            ));
        }
        let allowed_origins = match env.get("S3LIFT_ALLOWED_ORIGINS") {
            Some(v) => split_list(&v),
            None => f.allowed_origins.unwrap_or_default(),
        };
        for o in &allowed_origins {
            if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
                return Err(invalid(
                    "S3LIFT_ALLOWED_ORIGINS",
                    format!("`{o}` must be an origin like https://app.example.com, or *"),
                ));
            }
        }
        let rate_limit = match env.get("S3LIFT_RATE_LIMIT") {
            Some(v) => Some(parse_u64("S3LIFT_RATE_LIMIT", &v)?),
            None => f.rate_limit.map(u64::from),
        };
        let rate_limit = match rate_limit {
            None | Some(0) => None,
            Some(n) => Some(
                u32::try_from(n).map_err(|_| invalid("S3LIFT_RATE_LIMIT", "too large".into()))?,
            ),
        };
        let sse_kms_key_id = env.get("S3LIFT_SSE_KMS_KEY_ID").or(f.sse_kms_key_id);
        let sse = match env.get("S3LIFT_SSE").or(f.sse).as_deref() {
            None | Some("none") => None,
            Some("AES256") => Some(Sse::Aes256),
            Some("aws:kms") => Some(Sse::Kms {
                key_id: sse_kms_key_id,
            }),
            Some(other) => {
                return Err(invalid(
                    "S3LIFT_SSE",
                    format!("`{other}` must be AES256 or aws:kms"),
                ))
            }
        };
        let webhook_url = env.get("S3LIFT_WEBHOOK_URL").or(f.webhook_url);
        if let Some(u) = &webhook_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(invalid(
                    "S3LIFT_WEBHOOK_URL",
                    "must be an http(s) URL".into(),
                ));
            }
        }
        let single_upload = match env.get("S3LIFT_SINGLE_UPLOAD").as_deref() {
            Some("auto") => SingleUploadMethod::Auto,
            Some("post") => SingleUploadMethod::Post,
            Some(other) => {
                return Err(invalid(
                    "S3LIFT_SINGLE_UPLOAD",
                    format!("`{other}` must be auto or post"),
                ))
            }
            None => f.single_upload.unwrap_or(SingleUploadMethod::Auto),
        };
        let part_size = match env.get("S3LIFT_PART_SIZE") {
            Some(v) => parse_u64("S3LIFT_PART_SIZE", &v)?,
            None => f
                .part_size
                .unwrap_or(s3lift_protocol::plan::DEFAULT_PART_SIZE),
        };
        if !(s3lift_protocol::plan::MIN_PART_SIZE..=s3lift_protocol::plan::MAX_PART_SIZE)
            .contains(&part_size)
        {
            return Err(invalid(
                "S3LIFT_PART_SIZE",
                "must be between 5 MiB and 5 GiB (S3's part limits)".into(),
            ));
        }
        let storage_timeout_ms = match env.get("S3LIFT_STORAGE_TIMEOUT_MS") {
            Some(v) => parse_u64("S3LIFT_STORAGE_TIMEOUT_MS", &v)?,
            None => f.storage_timeout_ms.unwrap_or(10_000),
        };
        if !(100..=300_000).contains(&storage_timeout_ms) {
            return Err(invalid(
                "S3LIFT_STORAGE_TIMEOUT_MS",
                "must be 100 to 300000".into(),
            ));
        }
        let static_dir = env.get("S3LIFT_STATIC_DIR").or(f.static_dir);
        let log_json = match env.get("S3LIFT_LOG_FORMAT").or(f.log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(invalid(
                    "S3LIFT_LOG_FORMAT",
                    format!("`{other}` must be text or json"),
                ))
            }
        };

        let key_secret = env
            .get("S3LIFT_KEY_SECRET")
            .map(Secret::new)
            .or(f.key_secret);
        if let Some(s) = &key_secret {
            if s.expose().len() < MIN_KEY_SECRET_LEN {
                return Err(invalid(
                    "S3LIFT_KEY_SECRET",
                    format!("must be at least {MIN_KEY_SECRET_LEN} bytes (`openssl rand -hex 32` makes one)"),
                ));
            }
        }
        let allow_unsized_multipart = match env.get("S3LIFT_ALLOW_UNSIZED_MULTIPART") {
            Some(v) => parse_bool("S3LIFT_ALLOW_UNSIZED_MULTIPART", &v)?,
            None => f.allow_unsized_multipart.unwrap_or(false),
        };
        let unsized_part_rate = match env.get("S3LIFT_UNSIZED_PART_RATE") {
            Some(v) => parse_u64("S3LIFT_UNSIZED_PART_RATE", &v)?,
            None => f
                .unsized_part_rate
                .map_or(u64::from(DEFAULT_UNSIZED_PART_RATE), u64::from),
        };
        if !(1..=1_000_000).contains(&unsized_part_rate) {
            return Err(invalid(
                "S3LIFT_UNSIZED_PART_RATE",
                "must be 1 to 1000000 parts per minute".into(),
            ));
        }

        // Operations (ops): webhook signing and the metrics listener.
        let webhook_secret = env
            .get("S3LIFT_WEBHOOK_SECRET")
            .map(Secret::new)
            .or(f.webhook_secret);
        match (&webhook_url, &webhook_secret) {
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    setting: "S3LIFT_WEBHOOK_SECRET",
                    reason: "S3LIFT_WEBHOOK_URL is set, and its events are signed with this secret (at least 32 bytes)",
                })
            }
            (_, Some(s)) if s.expose().len() < 32 => {
                return Err(invalid(
                    "S3LIFT_WEBHOOK_SECRET",
                    "must be at least 32 bytes (HMAC-SHA256 key)".into(),
                ))
            }
            _ => {}
        }
        let metrics_bind = match env.get("S3LIFT_METRICS_BIND").or(f.metrics_bind) {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                invalid(
                    "S3LIFT_METRICS_BIND",
                    format!("`{text}` is not an address like 127.0.0.1:9090"),
                )
            })?),
        };

        Ok(Settings {
            server: ServerSettings {
                bind,
                base_path,
                allowed_origins,
                rate_limit,
                static_dir,
                log_json,
                metrics_bind,
            },
            store: StoreSettings {
                endpoint: s3_endpoint,
                public_endpoint: s3_public_endpoint,
                region: s3_region,
                bucket: s3_bucket,
                path_style: s3_path_style,
                sse,
                timeout_ms: storage_timeout_ms,
            },
            auth: AuthSettings {
                jwt_secret,
                static_tokens,
                jwt_audience: identity.audience,
                jwt_issuer: identity.issuer,
                jwks: identity.jwks,
                auth_cookie: identity.cookie,
                allow_anonymous,
            },
            uploads: UploadSettings {
                key_prefix,
                max_size,
                allowed_types,
                url_ttl,
                single_upload,
                part_size,
                key_secret,
                allow_unsized_multipart,
                unsized_part_rate: unsized_part_rate as u32,
            },
            webhook: match (webhook_url, webhook_secret) {
                (Some(url), Some(secret)) => Some(WebhookSettings {
                    url: Secret::new(url),
                    secret,
                }),
                _ => None,
            },
        })
    }
}

fn invalid(setting: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { setting, reason }
}

fn parse_bool(setting: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(setting, format!("`{v}` must be true or false"))),
    }
}

fn parse_u64(setting: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| invalid(setting, format!("`{v}` is not a whole number")))
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `token=caller,token2=caller2`. The tokens themselves never appear in an error.
fn parse_token_table(v: &str) -> Result<HashMap<String, String>, ConfigError> {
    let mut table = HashMap::new();
    for (i, entry) in split_list(v).iter().enumerate() {
        let (token, caller) = entry.split_once('=').ok_or_else(|| {
            invalid(
                "S3LIFT_STATIC_TOKENS",
                format!("entry {} must look like token=caller", i + 1),
            )
        })?;
        table.insert(token.to_owned(), caller.trim().to_owned());
    }
    Ok(table)
}

/// Each caller of the token table checked; the tokens never appear in an error.
fn parse_static_tokens(table: HashMap<String, String>) -> Result<StaticTokens, ConfigError> {
    let mut entries = Vec::with_capacity(table.len());
    for (token, caller) in table {
        let caller = Caller::parse(&caller).map_err(|_| {
            invalid(
                "S3LIFT_STATIC_TOKENS",
                format!("caller `{caller}` must be 1-128 characters of [A-Za-z0-9._@-]"),
            )
        })?;
        entries.push((Secret::new(token), caller));
    }
    Ok(StaticTokens(entries))
}

/// The shortest static token accepted.
pub const MIN_STATIC_TOKEN_LEN: usize = 16;

struct Identity {
    audience: Vec<String>,
    issuer: Vec<String>,
    jwks: Option<crate::jwks::JwksSource>,
    cookie: Option<String>,
}

/// `S3LIFT_JWT_AUDIENCE`, `S3LIFT_JWT_ISSUER`, `S3LIFT_JWKS_URL`,
/// `S3LIFT_JWKS_FILE` and `S3LIFT_AUTH_COOKIE`. A key file is read and
/// parsed here, once, so a bad one stops the start.
fn identity_settings(f: &mut FileSettings, env: &dyn Env) -> Result<Identity, ConfigError> {
    use crate::jwks::{JwksSource, KeySet};
    let audience = env
        .get("S3LIFT_JWT_AUDIENCE")
        .or(f.jwt_audience.take())
        .map(|v| split_list(&v))
        .unwrap_or_default();
    let issuer = env
        .get("S3LIFT_JWT_ISSUER")
        .or(f.jwt_issuer.take())
        .map(|v| split_list(&v))
        .unwrap_or_default();
    let url = env.get("S3LIFT_JWKS_URL").or(f.jwks_url.take());
    let file = env.get("S3LIFT_JWKS_FILE").or(f.jwks_file.take());
    let jwks = match (url, file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "S3LIFT_JWKS_URL",
                "set S3LIFT_JWKS_URL or S3LIFT_JWKS_FILE, not both".into(),
            ))
        }
        (Some(url), None) => {
            // Keys fetched over plain HTTP could be swapped on the way;
            // loopback is allowed for local IdPs and tests.
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| {
                    url.strip_prefix(p)
                        .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
                });
            if !(url.starts_with("https://") || loopback) {
                return Err(invalid(
                    "S3LIFT_JWKS_URL",
                    format!("`{url}` must be an https URL (http only on localhost)"),
                ));
            }
            Some(JwksSource::Url(url))
        }
        (None, Some(path)) => {
            let text = std::fs::read(&path)
                .map_err(|e| invalid("S3LIFT_JWKS_FILE", format!("cannot read {path}: {e}")))?;
            let keys = KeySet::parse(&text)
                .map_err(|e| invalid("S3LIFT_JWKS_FILE", format!("{path}: {e}")))?;
            Some(JwksSource::File { path, keys })
        }
        (None, None) => None,
    };
    let cookie = env.get("S3LIFT_AUTH_COOKIE").or(f.auth_cookie.take());
    if let Some(c) = &cookie {
        // RFC 6265 §4.1.1: a cookie name is an RFC 2616 token.
        let token_char = |ch: char| ch.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(ch);
        if c.is_empty() || !c.chars().all(token_char) {
            return Err(invalid(
                "S3LIFT_AUTH_COOKIE",
                format!("`{c}` is not a cookie name (letters, digits and !#$%&'*+-.^_`|~)"),
            ));
        }
    }
    Ok(Identity {
        audience,
        issuer,
        jwks,
        cookie,
    })
}

/// S3's bucket naming rules (3-63 chars, lower-case letters, digits, `-` and `.`).
fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_only_a_bucket() {
        let s = Settings::load(None, &env(&[("S3LIFT_S3_BUCKET", "b-1")])).unwrap();
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.uploads.url_ttl, 600);
        assert_eq!(s.uploads.key_prefix, "uploads");
        assert!(!s.auth.allow_anonymous);
        assert_eq!(
            s.uploads.key_secret, None,
            "serving refuses to start without one"
        );
        assert!(!s.uploads.allow_unsized_multipart);
        assert_eq!(s.uploads.unsized_part_rate, DEFAULT_UNSIZED_PART_RATE);
    }

    #[test]
    fn plan_settings_are_read_from_the_file_and_the_environment() {
        let dir = std::env::temp_dir().join(format!("s3lift-cfg-plans-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "s3_bucket = \"b-1\"\nkey_secret = \"file-secret-0123456789abcdef0123456789\"\n\
             allow_unsized_multipart = true\nunsized_part_rate = 60\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(
            s.uploads.key_secret.as_ref().unwrap().expose(),
            "file-secret-0123456789abcdef0123456789"
        );
        assert!(s.uploads.allow_unsized_multipart);
        assert_eq!(s.uploads.unsized_part_rate, 60);
        let s = Settings::load(
            Some(&path),
            &env(&[
                (
                    "S3LIFT_KEY_SECRET",
                    "env-secret-0123456789abcdef0123456789ab",
                ),
                ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "false"),
                ("S3LIFT_UNSIZED_PART_RATE", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(
            s.uploads.key_secret.as_ref().unwrap().expose(),
            "env-secret-0123456789abcdef0123456789ab"
        );
        assert!(!s.uploads.allow_unsized_multipart);
        assert_eq!(s.uploads.unsized_part_rate, 7);
        assert!(
            !format!("{s:?}").contains("env-secret"),
            "Debug shows no secret"
        );
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = std::env::temp_dir().join(format!("s3lift-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "s3_bucket = \"from-file\"\nurl_ttl = 30\nmax_size = 100\n",
        )
        .unwrap();
        let s = Settings::load(Some(&path), &env(&[("S3LIFT_URL_TTL", "45")])).unwrap();
        assert_eq!(s.store.bucket, "from-file");
        assert_eq!(s.uploads.url_ttl, 45);
        assert_eq!(s.uploads.max_size, 100);
    }

    #[test]
    fn errors_name_the_setting_and_hide_secrets() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "S3LIFT_S3_BUCKET"),
            (
                &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_BIND", "nope")],
                "S3LIFT_BIND",
            ),
            (
                &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_URL_TTL", "0")],
                "S3LIFT_URL_TTL",
            ),
            (
                &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_SSE", "rot13")],
                "S3LIFT_SSE",
            ),
            (
                &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_MAX_SIZE", "-1")],
                "S3LIFT_MAX_SIZE",
            ),
            (
                &[
                    ("S3LIFT_S3_BUCKET", "b-1"),
                    ("S3LIFT_ALLOWED_TYPES", "image"),
                ],
                "S3LIFT_ALLOWED_TYPES",
            ),
            (&[("S3LIFT_S3_BUCKET", "B_B")], "S3LIFT_S3_BUCKET"),
            (
                &[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_KEY_PREFIX", "../x")],
                "S3LIFT_KEY_PREFIX",
            ),
            (
                &[
                    ("S3LIFT_S3_BUCKET", "b-1"),
                    ("S3LIFT_ALLOW_ANONYMOUS", "maybe"),
                ],
                "S3LIFT_ALLOW_ANONYMOUS",
            ),
        ];
        for (pairs, setting) in cases {
            let e = Settings::load(None, &env(pairs)).unwrap_err().to_string();
            assert!(e.contains(setting), "{e} should name {setting}");
        }
        let e = Settings::load(
            None,
            &env(&[
                ("S3LIFT_S3_BUCKET", "b-1"),
                ("S3LIFT_STATIC_TOKENS", "sup3rs3cr3t=bad/caller"),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("S3LIFT_STATIC_TOKENS") && !e.contains("sup3rs3cr3t"),
            "{e}"
        );
        let e = Settings::load(
            None,
            &env(&[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_JWT_SECRET", "short")]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("S3LIFT_JWT_SECRET") && !e.contains("short"),
            "{e}"
        );
        for (setting, value) in [
            ("S3LIFT_KEY_SECRET", "too-short-key-secret"),
            ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "sometimes"),
            ("S3LIFT_UNSIZED_PART_RATE", "0"),
            ("S3LIFT_UNSIZED_PART_RATE", "fast"),
        ] {
            let e = Settings::load(None, &env(&[("S3LIFT_S3_BUCKET", "b-1"), (setting, value)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains(setting), "{e} should name {setting}");
            if setting == "S3LIFT_KEY_SECRET" {
                assert!(!e.contains(value), "{e} shows the secret");
            }
        }
    }

    #[test]
    fn webhook_needs_a_long_secret_and_metrics_bind_parses() {
        let hook = [
            ("S3LIFT_S3_BUCKET", "b-1"),
            ("S3LIFT_WEBHOOK_URL", "http://hook.example/x"),
        ];
        let e = Settings::load(None, &env(&hook)).unwrap_err().to_string();
        assert!(e.contains("S3LIFT_WEBHOOK_SECRET"), "{e}");
        let mut short = hook.to_vec();
        short.push(("S3LIFT_WEBHOOK_SECRET", "tooshort"));
        let e = Settings::load(None, &env(&short)).unwrap_err().to_string();
        assert!(
            e.contains("S3LIFT_WEBHOOK_SECRET") && !e.contains("tooshort"),
            "{e}"
        );
        let mut ok = hook.to_vec();
        ok.push(("S3LIFT_WEBHOOK_SECRET", "0123456789abcdef0123456789abcdef"));
        ok.push(("S3LIFT_METRICS_BIND", "127.0.0.1:9090"));
        let s = Settings::load(None, &env(&ok)).unwrap();
        assert_eq!(s.server.metrics_bind.unwrap().port(), 9090);
        let e = Settings::load(
            None,
            &env(&[("S3LIFT_S3_BUCKET", "b-1"), ("S3LIFT_METRICS_BIND", "nope")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("S3LIFT_METRICS_BIND"), "{e}");
    }

    #[test]
    fn secrets_do_not_debug_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
        let s = Settings::load(
            None,
            &env(&[
                ("S3LIFT_S3_BUCKET", "b-1"),
                ("S3LIFT_STATIC_TOKENS", "tok-hunter2-xyz-0001=alice"),
                ("S3LIFT_JWT_SECRET", "jwt-hunter2-jwt-hunter2-jwt-hunter2"),
                (
                    "S3LIFT_WEBHOOK_URL",
                    "https://hooks.example/x?token=hook-hunter2",
                ),
                (
                    "S3LIFT_WEBHOOK_SECRET",
                    "whsec-hunter2-whsec-hunter2-whsec-hunter2",
                ),
            ]),
        )
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("StaticTokens(1 tokens)"), "{printed}");
    }

    #[test]
    fn values_are_typed_once() {
        let s = Settings::load(
            None,
            &env(&[
                ("S3LIFT_S3_BUCKET", "b-1"),
                ("S3LIFT_ALLOWED_TYPES", "image/*, application/pdf"),
            ]),
        )
        .unwrap();
        assert_eq!(s.uploads.allowed_types.len(), 2);
        assert!(s.uploads.allowed_types[0]
            .matches(&crate::content_type::ContentType::parse("image/png").unwrap()));
    }
}
