//! Browser POST forms: a SigV4-signed policy bounding the object's key, type and size.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use base64::Engine as _;

use super::dates::iso8601;
use super::{hmac, stamp, BucketUrl};

/// A POST policy form for one object whose size must fall in `size_range`.
pub struct PostPolicy {
    /// Where the form goes.
    pub url: String,
    /// The fields to send before the file, in order.
    pub fields: Vec<(String, String)>,
}

/// Signs a browser POST policy (S3 "POST Object" with SigV4).
#[allow(clippy::too_many_arguments)] // each is one field of the policy
pub fn presign_post(
    url: &BucketUrl,
    creds: &Credentials,
    now: SystemTime,
    key: &str,
    content_type: &str,
    size_range: (u64, u64),
    extra_fields: &[(&str, &str)],
    expires: Duration,
) -> PostPolicy {
    let st = stamp(url, creds, now);
    let credential = format!("{}/{}", creds.access_key_id(), st.scope);
    let mut fields: Vec<(String, String)> = vec![
        ("key".into(), key.into()),
        ("Content-Type".into(), content_type.into()),
        ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
        ("x-amz-credential".into(), credential),
        ("x-amz-date".into(), st.amz_date.clone()),
    ];
    if let Some(token) = creds.session_token() {
        fields.push(("x-amz-security-token".into(), token.into()));
    }
    for (k, v) in extra_fields {
        fields.push(((*k).into(), (*v).into()));
    }
    let mut conditions = vec![
        serde_json::json!({ "bucket": url.bucket }),
        serde_json::json!(["content-length-range", size_range.0, size_range.1]),
    ];
    conditions.extend(fields.iter().map(|(k, v)| serde_json::json!({ k: v })));
    let policy = serde_json::json!({
        "expiration": iso8601(now + expires),
        "conditions": conditions,
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let signature = hex::encode(hmac(&st.key, policy.as_bytes()));
    fields.push(("Policy".into(), policy));
    fields.push(("X-Amz-Signature".into(), signature));
    PostPolicy {
        url: url.bucket_url(),
        fields,
    }
}
