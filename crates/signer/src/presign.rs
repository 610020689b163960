//! SigV4 query-string presigning of S3 requests, and POST policies.
//!
//! Store calls go through `aws-sdk-s3`; URLs for the browser are signed here.
//! The SDK's presigner runs its whole request pipeline per URL, adds
//! request checksums of an *empty* body unless told otherwise, and cannot
//! plainly bind a chosen checksum or an exact `Content-Length` into the URL
//! (aws-sdk-rust#1103). Signing the canonical request ourselves makes every
//! signed header explicit, and costs a few microseconds per URL; the signing
//! key itself comes from `aws-sigv4`, and a test checks our signature against
//! the SDK signer's for the same request.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Where the bucket lives and how its URLs look.
#[derive(Debug, Clone)]
pub struct BucketUrl {
    scheme: String,
    /// `host[:port]` of the service (path style) or of the bucket (virtual host style).
    host: String,
    /// `/<bucket>` in path style, empty otherwise.
    path_prefix: String,
    region: String,
    bucket: String,
}

impl BucketUrl {
    /// From an endpoint URL (or AWS's own when `None`), a region, a bucket and the style.
    pub fn new(endpoint: Option<&str>, region: &str, bucket: &str, path_style: bool) -> BucketUrl {
        let default = format!("https://s3.{region}.amazonaws.com");
        let endpoint = endpoint.unwrap_or(&default).trim_end_matches('/');
        let (scheme, host) = endpoint.split_once("://").unwrap_or(("https", endpoint));
        let host = host.split('/').next().unwrap_or(host);
        let (host, path_prefix) = if path_style {
            (host.to_owned(), format!("/{bucket}"))
        } else {
            (format!("{bucket}.{host}"), String::new())
        };
        BucketUrl {
            scheme: scheme.to_owned(),
            host,
            path_prefix,
            region: region.to_owned(),
            bucket: bucket.to_owned(),
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The region signatures are scoped to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The encoded path of an object.
    fn object_path(&self, key: &str) -> String {
        format!("{}/{}", self.path_prefix, uri_encode(key, false))
    }

    /// The public URL of an object (not signed).
    pub fn object_url(&self, key: &str) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.object_path(key))
    }

    /// The URL a POST form is sent to.
    pub fn bucket_url(&self) -> String {
        format!("{}://{}{}/", self.scheme, self.host, self.path_prefix)
    }
}

/// One request to presign.
#[derive(Debug)]
pub struct PresignRequest<'a> {
    /// `PUT`, `GET`…
    pub method: &'a str,
    /// The object key, unencoded.
    pub key: &'a str,
    /// Query parameters of the operation (`partNumber`, `uploadId`), unencoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers the client must send, lower-case names; all are signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// How long the URL stays valid.
    pub expires: Duration,
}

/// The date parts of a signature.
struct Stamp {
    amz_date: String,
    scope: String,
    key: [u8; 32],
}

fn stamp(url: &BucketUrl, creds: &Credentials, now: SystemTime) -> Stamp {
    let amz_date = amz_date(now);
    let scope = format!("{}/{}/s3/aws4_request", &amz_date[..8], url.region);
    let key = aws_sigv4::sign::v4::generate_signing_key(
        creds.secret_access_key(),
        now,
        &url.region,
        "s3",
    );
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(key.as_ref());
    Stamp {
        amz_date,
        scope,
        key: bytes,
    }
}

/// A presigned URL for `req`, valid from `now`.
pub fn presign_url(
    url: &BucketUrl,
    creds: &Credentials,
    now: SystemTime,
    req: &PresignRequest<'_>,
) -> String {
    let st = stamp(url, creds, now);
    let path = url.object_path(req.key);

    let mut headers: Vec<(String, String)> = Vec::with_capacity(req.headers.len() + 1);
    headers.push(("host".into(), url.host.clone()));
    for (k, v) in req.headers {
        headers.push((
            k.to_ascii_lowercase(),
            v.split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    headers.sort();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");

    let credential = format!("{}/{}", creds.access_key_id(), st.scope);
    let expires = req.expires.as_secs().clamp(1, 604_800).to_string();
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    let mut add = |k: &str, v: &str| query.push((k.to_owned(), uri_encode(v, true)));
    add("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    add("X-Amz-Credential", &credential);
    add("X-Amz-Date", &st.amz_date);
    add("X-Amz-Expires", &expires);
    add("X-Amz-SignedHeaders", &signed_headers);
    if let Some(token) = creds.session_token() {
        add("X-Amz-Security-Token", token);
    }
    query.sort();
    let mut canonical_query = String::with_capacity(512);
    for (i, (k, v)) in query.iter().enumerate() {
        if i > 0 {
            canonical_query.push('&');
        }
        let _ = write!(canonical_query, "{k}={v}");
    }

    let mut canonical = String::with_capacity(1024);
    let _ = write!(canonical, "{}\n{}\n{}\n", req.method, path, canonical_query);
    for (k, v) in &headers {
        let _ = writeln!(canonical, "{k}:{v}");
    }
    let _ = write!(canonical, "\n{signed_headers}\nUNSIGNED-PAYLOAD");

    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        st.amz_date,
        st.scope,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature = hex::encode(hmac(&st.key, string_to_sign.as_bytes()));
    format!(
        "{}://{}{}?{}&X-Amz-Signature={}",
        url.scheme, url.host, path, canonical_query, signature
    )
}

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

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SigV4 URI encoding: every byte but `A-Za-z0-9-_.~` is `%XX`; `/` is kept
/// in paths (S3 paths are encoded once, not twice like other services).
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's
/// `civil_from_days`: exact for the whole proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn split_time(t: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let rem = secs % 86_400;
    (y, mo, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `YYYYMMDDTHHMMSSZ`, SigV4's timestamp.
pub fn amz_date(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = split_time(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// `YYYY-MM-DDTHH:MM:SS.000Z`, a POST policy's expiration.
fn iso8601(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = split_time(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.000Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sigv4::http_request::{
        sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation,
        SigningSettings, UriPathNormalizationMode,
    };
    use aws_smithy_runtime_api::client::identity::Identity;

    fn creds(token: Option<&str>) -> Credentials {
        Credentials::new(
            "GKtestaccesskey",
            "testsecretkeytestsecretkeytestsecretkey",
            token.map(String::from),
            None,
            "test",
        )
    }

    /// The SDK's own signer, configured for S3 presigned URLs.
    fn sdk_signature(
        url: &BucketUrl,
        c: &Credentials,
        now: SystemTime,
        req: &PresignRequest<'_>,
    ) -> String {
        let identity: Identity = c.clone().into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(req.expires);
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(url.region())
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let q: Vec<String> = req
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
            .collect();
        let uri = format!(
            "{}://{}{}?{}",
            url.scheme,
            url.host,
            url.object_path(req.key),
            q.join("&")
        );
        let mut headers: Vec<(&str, &str)> = vec![("host", url.host.as_str())];
        headers.extend(req.headers.iter().copied());
        let signable = SignableRequest::new(
            req.method,
            uri,
            headers.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions
            .params()
            .iter()
            .find(|(k, _)| *k == "X-Amz-Signature")
            .unwrap()
            .1
            .to_string()
    }

    #[test]
    fn matches_the_sdk_signer() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        for (url, c) in [
            (
                BucketUrl::new(Some("http://127.0.0.1:3900"), "garage", "bkt", true),
                creds(None),
            ),
            (
                BucketUrl::new(None, "eu-west-1", "bkt", false),
                creds(Some("session/token+x=")),
            ),
        ] {
            let req = PresignRequest {
                method: "PUT",
                key: "uploads/alice/0192-x/ä b+c?.bin",
                query: &[("partNumber", "7"), ("uploadId", "a b/c+=")],
                headers: &[
                    ("content-length", "5242880"),
                    (
                        "x-amz-checksum-sha256",
                        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                    ),
                ],
                expires: Duration::from_secs(600),
            };
            let ours = presign_url(&url, &c, now, &req);
            let sig = ours.rsplit_once("X-Amz-Signature=").unwrap().1;
            assert_eq!(sig, sdk_signature(&url, &c, now, &req), "{ours}");
            assert!(
                ours.contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256")
            );
        }
    }

    #[test]
    fn urls_by_style() {
        let p = BucketUrl::new(Some("http://127.0.0.1:3900/"), "garage", "bkt", true);
        assert_eq!(p.object_url("a b/c"), "http://127.0.0.1:3900/bkt/a%20b/c");
        assert_eq!(p.bucket_url(), "http://127.0.0.1:3900/bkt/");
        let v = BucketUrl::new(None, "us-east-1", "bkt", false);
        assert_eq!(
            v.object_url("k"),
            "https://bkt.s3.us-east-1.amazonaws.com/k"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(
            amz_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "20000229T000000Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(1_764_000_000)),
            "2025-11-24T16:00:00.000Z"
        );
    }
}
