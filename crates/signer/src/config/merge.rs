//! Merging the file and the environment into [`Settings`], each value checked in turn.

use s3lift_protocol::plan::MAX_OBJECT_SIZE;

use super::parse::{
    identity_settings, invalid, parse_bool, parse_feature, parse_static_tokens, parse_token_table,
    parse_u64, split_list, valid_bucket_name, MIN_STATIC_TOKEN_LEN,
};
use super::{
    AuthSettings, ConfigError, Env, FileSettings, Secret, ServerSettings, Settings,
    SingleUploadMethod, Sse, StoreSettings, UploadSettings, WebhookSettings,
    DEFAULT_UNSIZED_PART_RATE, MIN_KEY_SECRET_LEN,
};
use crate::limits::TypePattern;

impl Settings {
    /// The settings `f` and `env` describe, or the first value refused.
    pub(super) fn merge(mut f: FileSettings, env: &dyn Env) -> Result<Settings, ConfigError> {
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
        let post_policy = parse_feature(
            "S3LIFT_STORE_POST_POLICY",
            env.get("S3LIFT_STORE_POST_POLICY"),
            f.store_post_policy,
        )?;
        let checksums = parse_feature(
            "S3LIFT_STORE_CHECKSUMS",
            env.get("S3LIFT_STORE_CHECKSUMS"),
            f.store_checksums,
        )?;
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
                post_policy,
                checksums,
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
                pending_wait: crate::completion::PENDING_WAIT,
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
