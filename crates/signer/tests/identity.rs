//! Real identity providers and cookie auth (issue 12, items 5 and 6), against
//! the real signer in front of a Garage node and a JWKS server started here.

mod common;

#[path = "../src/test_keys.rs"]
mod test_keys;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use reqwest::header::{COOKIE, ORIGIN};
use s3lift_signer::config::Settings;
use serde_json::{json, Value};
use test_keys::{claims, now, token, token_with_kid, TestKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AUDIENCE: &str = "https://uploads.example.com";
const ISSUER: &str = "https://idp.example.com/";
const PARAMS: &str = "/s3/params?filename=a.txt&type=text/plain&size=3";

/// An identity provider's `/.well-known/jwks.json`: serves `body`, counts
/// the requests it gets.
struct JwksServer {
    url: String,
    body: Arc<Mutex<String>>,
    hits: Arc<AtomicU64>,
}

impl JwksServer {
    async fn start(jwks: String) -> JwksServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let body = Arc::new(Mutex::new(jwks));
        let hits = Arc::new(AtomicU64::new(0));
        let (b, h) = (body.clone(), hits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let (b, h) = (b.clone(), h.clone());
                tokio::spawn(async move {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    let body = b.lock().unwrap().clone();
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(answer.as_bytes()).await;
                });
            }
        });
        JwksServer { url, body, hits }
    }

    fn serve(&self, jwks: String) {
        *self.body.lock().unwrap() = jwks;
    }

    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

fn idp_claims(sub: &str) -> Value {
    claims(sub, json!({"aud": AUDIENCE, "iss": ISSUER}))
}

async fn idp_app(idp: &JwksServer) -> TestApp {
    spawn_app(&[
        ("S3LIFT_JWKS_URL", &idp.url),
        ("S3LIFT_JWT_AUDIENCE", AUDIENCE),
        ("S3LIFT_JWT_ISSUER", ISSUER),
    ])
    .await
}

#[tokio::test]
async fn rs256_es256_and_eddsa_tokens_from_a_jwks_url_are_accepted() {
    let (r, e, d) = (
        test_keys::rsa("rsa-1"),
        test_keys::es256("ec-1"),
        test_keys::ed25519("ed-1"),
    );
    let idp = JwksServer::start(test_keys::jwks(&[&r, &e, &d])).await;
    let app = idp_app(&idp).await;
    for (key, who) in [(&r, "rsa-user"), (&e, "ec-user"), (&d, "ed-user")] {
        let a = app.get(PARAMS, Some(&token(key, &idp_claims(who)))).await;
        assert_eq!(a.status, 200, "{who}: {}", a.json);
        let key = a.json["key"].as_str().unwrap_or_default();
        assert!(
            key.starts_with(&format!("uploads/{who}/")),
            "{who}: {}",
            a.json
        );
    }
    // All three keys came from one fetch.
    assert_eq!(idp.hits(), 1);

    // The presigned URL an RS256 caller gets works against the store.
    let a = app
        .get(PARAMS, Some(&token(&r, &idp_claims("rsa-user"))))
        .await;
    assert_eq!(a.json["method"], "PUT", "{}", a.json);
    let url = a.json["url"].as_str().unwrap();
    let mut put = app.http.put(url).body(b"abc".to_vec());
    for (k, v) in a.json["headers"].as_object().unwrap() {
        put = put.header(k, v.as_str().unwrap());
    }
    let res = put.send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn wrong_audience_issuer_or_early_nbf_get_401_invalid_token() {
    let e = test_keys::es256("ec-1");
    let idp = JwksServer::start(test_keys::jwks(&[&e])).await;
    let app = idp_app(&idp).await;
    let cases = [
        (
            json!({"aud": "https://other-api.example.com", "iss": ISSUER}),
            "aud",
        ),
        (
            json!({"aud": AUDIENCE, "iss": "https://evil.example.com/"}),
            "iss",
        ),
        (json!({"iss": ISSUER}), "aud"),
        (
            json!({"aud": AUDIENCE, "iss": ISSUER, "nbf": now() + 120}),
            "nbf",
        ),
        (
            json!({"aud": AUDIENCE, "iss": ISSUER, "exp": now() - 120}),
            "expired",
        ),
    ];
    for (extra, word) in cases {
        let a = app
            .get(PARAMS, Some(&token(&e, &claims("eve", extra.clone()))))
            .await;
        a.assert_error(401, "invalid_token");
        let msg = a.json["error"].as_str().unwrap();
        assert!(msg.contains(word), "{extra}: {msg}");
    }
    // Within the 30 s leeway, a skewed clock is forgiven.
    let skewed = json!({"aud": AUDIENCE, "iss": ISSUER, "nbf": now() + 20});
    let a = app
        .get(PARAMS, Some(&token(&e, &claims("eve", skewed))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
}

/// A rotated key is picked up at once, by one refetch; a stampede of
/// made-up `kid`s after that costs the identity provider nothing.
#[tokio::test]
async fn kid_rotation_refetches_once_and_unknown_kids_are_rate_limited() {
    let old = test_keys::rsa("2026-11");
    let idp = JwksServer::start(test_keys::jwks(&[&old])).await;
    let app = idp_app(&idp).await;
    let a = app
        .get(PARAMS, Some(&token(&old, &idp_claims("alice"))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(idp.hits(), 1);

    let new = test_keys::ed25519("2026-12");
    idp.serve(test_keys::jwks(&[&old, &new]));
    let a = app
        .get(PARAMS, Some(&token(&new, &idp_claims("alice"))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(idp.hits(), 2, "one refetch for the new kid");

    let attacker = test_keys::ed25519("x");
    let answers = futures_util::future::join_all((0..50).map(|i| {
        let t = token_with_kid(&attacker, Some(&format!("made-up-{i}")), &idp_claims("eve"));
        let app = &app;
        async move { app.get(PARAMS, Some(&t)).await }
    }))
    .await;
    for a in answers {
        a.assert_error(401, "invalid_token");
    }
    assert_eq!(idp.hits(), 2, "unknown kids refetch at most once a minute");

    // Known keys still work from the cache.
    let a = app
        .get(PARAMS, Some(&token(&new, &idp_claims("alice"))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(idp.hits(), 2);
}

/// HS256 keeps working beside a JWKS, and an HS256 token keyed with the RSA
/// public key (the alg-confusion forgery) is refused.
#[tokio::test]
async fn hs256_still_works_and_an_rs256_key_never_verifies_hs256() {
    let r = test_keys::rsa("rsa-1");
    let idp = JwksServer::start(test_keys::jwks(&[&r])).await;
    let app = spawn_app(&[("S3LIFT_JWKS_URL", &idp.url)]).await;
    // Tokens from real IdPs carry `aud`; with no audience set they are accepted.
    let hs = hs256(&claims("carol", json!({"aud": AUDIENCE})), JWT_SECRET);
    let a = app.get(PARAMS, Some(&hs)).await;
    assert_eq!(a.status, 200, "{}", a.json);

    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    for secret in [r.jwk["n"].as_str().unwrap(), &r.jwk.to_string()] {
        let forged = jsonwebtoken::encode(
            &header,
            &claims("mallory", json!({})),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap();
        app.get(PARAMS, Some(&forged))
            .await
            .assert_error(401, "invalid_token");
    }
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn jwks_file_keys_are_accepted() {
    let e = test_keys::es256("file-ec");
    let dir = std::env::temp_dir().join(format!("s3lift-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jwks.json");
    std::fs::write(&path, test_keys::jwks(&[&e])).unwrap();
    let app = spawn_app(&[("S3LIFT_JWKS_FILE", path.to_str().unwrap())]).await;
    let a = app
        .get(PARAMS, Some(&token(&e, &claims("dana", json!({})))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let stranger: TestKey = test_keys::es256("file-ec");
    app.get(PARAMS, Some(&token(&stranger, &claims("dana", json!({})))))
        .await
        .assert_error(401, "invalid_token");
}

#[test]
fn short_static_tokens_and_bad_identity_settings_are_config_errors() {
    let env = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        let mut m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        m.insert("S3LIFT_S3_BUCKET".into(), "b-1".into());
        m
    };
    let e = Settings::load(
        None,
        &env(&[("S3LIFT_STATIC_TOKENS", "fifteen-chars-x=alice")]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("S3LIFT_STATIC_TOKENS") && e.contains("16") && !e.contains("fifteen-chars-x"),
        "{e}"
    );
    assert!(Settings::load(
        None,
        &env(&[("S3LIFT_STATIC_TOKENS", "sixteen-chars-xx=alice")])
    )
    .is_ok());
    for (pairs, setting) in [
        (
            vec![("S3LIFT_JWKS_URL", "http://idp.example.com/jwks")],
            "S3LIFT_JWKS_URL",
        ),
        (
            vec![("S3LIFT_JWKS_FILE", "/nonexistent/jwks.json")],
            "S3LIFT_JWKS_FILE",
        ),
        (
            vec![("S3LIFT_AUTH_COOKIE", "bad;name")],
            "S3LIFT_AUTH_COOKIE",
        ),
    ] {
        let e = Settings::load(None, &env(&pairs)).unwrap_err().to_string();
        assert!(e.contains(setting), "{e}");
    }
}

const COOKIE_NAME: &str = "s3lift_token";
const APP_ORIGIN: &str = "https://app.example.com";

async fn cookie_get(
    app: &TestApp,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut req = app.http.get(format!("{}{PARAMS}", app.base));
    if let Some(c) = cookie {
        req = req.header(COOKIE, format!("other=1; {COOKIE_NAME}={c}"));
    }
    if let Some(o) = origin {
        req = req.header(ORIGIN, o);
    }
    req.send().await.unwrap()
}

async fn status_and_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let json: Value = res.json().await.unwrap_or(Value::Null);
    (status, json["code"].as_str().unwrap_or("").to_owned())
}

/// Uppy 6 sends no Authorization header to a Companion endpoint: with
/// `S3LIFT_AUTH_COOKIE` the token comes from a cookie, but only from the
/// signer's own origin or a listed one (CSRF).
#[tokio::test]
async fn cookie_auth_needs_an_allowed_origin() {
    let app = spawn_app(&[
        ("S3LIFT_AUTH_COOKIE", COOKIE_NAME),
        ("S3LIFT_ALLOWED_ORIGINS", APP_ORIGIN),
    ])
    .await;
    let own = app.base.clone();
    let hs = jwt("carol", 600);
    for (cookie, origin, want) in [
        (Some(ALICE), Some(APP_ORIGIN), (200, "")),
        (Some(hs.as_str()), Some(own.as_str()), (200, "")),
        (
            Some(ALICE),
            Some("https://evil.example.com"),
            (403, "forbidden_origin"),
        ),
        (Some(ALICE), Some("null"), (403, "forbidden_origin")),
        (Some(ALICE), None, (403, "forbidden_origin")),
        (None, Some(APP_ORIGIN), (401, "missing_token")),
        (
            Some("not-a-valid-token-at-all"),
            Some(APP_ORIGIN),
            (401, "invalid_token"),
        ),
    ] {
        let res = cookie_get(&app, cookie, origin).await;
        if want.0 == 200 && origin == Some(APP_ORIGIN) {
            assert_eq!(res.headers()["access-control-allow-origin"], APP_ORIGIN);
            assert_eq!(res.headers()["access-control-allow-credentials"], "true");
        }
        let got = status_and_code(res).await;
        assert_eq!(
            (got.0, got.1.as_str()),
            want,
            "cookie {cookie:?} origin {origin:?}"
        );
    }
    // A same-origin GET carries no Origin; Fetch Metadata vouches for it.
    let res = app
        .http
        .get(format!("{}{PARAMS}", app.base))
        .header(COOKIE, format!("{COOKIE_NAME}={ALICE}"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(res).await, (200, String::new()));
    // The header still wins, from anywhere.
    let a = app.get(PARAMS, Some(BOB)).await;
    assert_eq!(a.status, 200, "{}", a.json);
}

#[tokio::test]
async fn without_the_cookie_setting_a_cookie_is_not_a_credential() {
    let app = spawn_app(&[("S3LIFT_ALLOWED_ORIGINS", APP_ORIGIN)]).await;
    let res = cookie_get(&app, Some(ALICE), Some(APP_ORIGIN)).await;
    assert!(res
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    assert_eq!(
        status_and_code(res).await,
        (401, "missing_token".to_owned())
    );
}
