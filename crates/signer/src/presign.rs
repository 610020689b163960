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
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

mod dates;
mod post;

pub use self::dates::amz_date;
pub use self::post::{presign_post, PostPolicy};

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

#[cfg(test)]
mod tests;
