//! Layered configuration: built-in defaults, then a TOML file (`--config`),
//! then `S3LIFT_*` environment variables; the environment wins.
//!
//! Everything is checked once, at start: a bad value stops the process with a
//! message that names the setting, rather than failing on the first request.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

mod merge;
mod parse;
mod types;

pub use self::types::*;

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
    store_post_policy: Option<StoreFeature>,
    store_checksums: Option<StoreFeature>,
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
}

#[cfg(test)]
mod tests;
