//! Presigned URLs: our SigV4 signature against the SDK signer's, and both URL styles.

use std::time::{Duration, UNIX_EPOCH};

use super::*;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
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
        assert!(ours.contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256"));
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
