//! Parsing helpers of `merge`: lists, numbers, booleans, the token table and the
//! identity-provider settings. Every error names its setting and never a secret.

use std::collections::HashMap;

use crate::domain::Caller;

use super::{ConfigError, Env, FileSettings, Secret, StaticTokens, StoreFeature};

pub(super) fn invalid(setting: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { setting, reason }
}

pub(super) fn parse_bool(setting: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(setting, format!("`{v}` must be true or false"))),
    }
}

/// `auto`, `on` or `off`, from the environment, else the file, else `auto`.
pub(super) fn parse_feature(
    setting: &'static str,
    env: Option<String>,
    file: Option<StoreFeature>,
) -> Result<StoreFeature, ConfigError> {
    match env.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("auto") => Ok(StoreFeature::Auto),
        Some("on") => Ok(StoreFeature::On),
        Some("off") => Ok(StoreFeature::Off),
        Some(other) => Err(invalid(
            setting,
            format!("`{other}` must be auto, on or off"),
        )),
        None => Ok(file.unwrap_or(StoreFeature::Auto)),
    }
}

pub(super) fn parse_u64(setting: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| invalid(setting, format!("`{v}` is not a whole number")))
}

pub(super) fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `token=caller,token2=caller2`. The tokens themselves never appear in an error.
pub(super) fn parse_token_table(v: &str) -> Result<HashMap<String, String>, ConfigError> {
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
pub(super) fn parse_static_tokens(
    table: HashMap<String, String>,
) -> Result<StaticTokens, ConfigError> {
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

pub(super) struct Identity {
    pub(super) audience: Vec<String>,
    pub(super) issuer: Vec<String>,
    pub(super) jwks: Option<crate::jwks::JwksSource>,
    pub(super) cookie: Option<String>,
}

/// `S3LIFT_JWT_AUDIENCE`, `S3LIFT_JWT_ISSUER`, `S3LIFT_JWKS_URL`,
/// `S3LIFT_JWKS_FILE` and `S3LIFT_AUTH_COOKIE`. A key file is read and
/// parsed here, once, so a bad one stops the start.
pub(super) fn identity_settings(
    f: &mut FileSettings,
    env: &dyn Env,
) -> Result<Identity, ConfigError> {
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
pub(super) fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
}
