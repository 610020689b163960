//! Unit tests of `auth`: each rule of the module doc, one test.

use super::*;
use crate::config::Secret;
use crate::jwks::{JwksSource, KeySet};
use crate::test_keys::{self as keys, claims, now, token, token_with_kid, TestKey};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;
use std::collections::HashMap;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn settings(anonymous: bool, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("S3LIFT_S3_BUCKET".into(), "b-1".into());
    env.insert(
        "S3LIFT_STATIC_TOKENS".into(),
        "tok-alice-0123456=alice,tok-bob-0123456789=bob".into(),
    );
    env.insert("S3LIFT_ALLOW_ANONYMOUS".into(), anonymous.to_string());
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let mut s = Settings::load(None, &env).unwrap();
    s.auth.jwt_secret = Some(Secret::new(SECRET));
    s
}

fn auth(anonymous: bool) -> Authenticator {
    Authenticator::new(&settings(anonymous, &[]))
}

/// An authenticator with only these JWKS keys (no HS256 secret).
fn with_keys(keys: &[&TestKey], extra: &[(&str, &str)]) -> Authenticator {
    let mut s = settings(false, extra);
    s.auth.jwt_secret = None;
    s.auth.jwks = Some(JwksSource::File {
        path: "test".into(),
        keys: KeySet::parse(keys::jwks(keys).as_bytes()).unwrap(),
    });
    Authenticator::new(&s)
}

fn hs256(claims: &serde_json::Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn jwt(sub: &str, exp_from_now: i64, secret: &str) -> String {
    hs256(&json!({ "sub": sub, "exp": now() + exp_from_now }), secret)
}

async fn caller(a: &Authenticator, token: &str) -> Result<String, AuthError> {
    a.authenticate(Some(&format!("Bearer {token}")))
        .await
        .map(|c| c.as_str().to_owned())
}

#[tokio::test]
async fn static_tokens_and_jwts() {
    let a = auth(false);
    assert_eq!(caller(&a, "tok-alice-0123456").await.unwrap(), "alice");
    assert_eq!(caller(&a, "tok-bob-0123456789").await.unwrap(), "bob");
    assert!(caller(&a, "tok-alice-012345").await.is_err());
    assert_eq!(
        caller(&a, &jwt("carol", 60, SECRET)).await.unwrap(),
        "carol"
    );
}

#[tokio::test]
async fn refusals() {
    let a = auth(false);
    assert_eq!(a.authenticate(None).await, Err(AuthError::Missing));
    assert!(matches!(
        caller(&a, "nope").await,
        Err(AuthError::InvalidToken(_))
    ));
    assert!(matches!(
        a.authenticate(Some("Basic abc")).await,
        Err(AuthError::InvalidToken(_))
    ));
    assert_eq!(
        caller(&a, &jwt("carol", -3600, SECRET)).await,
        Err(AuthError::InvalidToken("the token has expired"))
    );
    let forged = jwt("carol", 60, "another-secret-another-secret-xx");
    assert!(caller(&a, &forged).await.is_err());
    assert!(caller(&a, &jwt("../bob", 60, SECRET)).await.is_err());
}

#[tokio::test]
async fn anonymous_only_when_configured() {
    assert_eq!(
        auth(true).authenticate(None).await.unwrap().as_str(),
        "anonymous"
    );
    assert!(auth(true).authenticate(Some("Bearer nope")).await.is_err());
}

/// Auth0, Cognito, Keycloak, Entra and Google all put `aud` in their tokens.
#[tokio::test]
async fn aud_is_accepted_when_no_audience_is_set() {
    let t = hs256(
        &claims("carol", json!({"aud": "https://api.example.com"})),
        SECRET,
    );
    assert_eq!(caller(&auth(false), &t).await.unwrap(), "carol");
}

#[tokio::test]
async fn audience_and_issuer_are_checked_when_set() {
    let mut s = settings(
        false,
        &[
            ("S3LIFT_JWT_AUDIENCE", "s3lift-api"),
            ("S3LIFT_JWT_ISSUER", "https://idp.example.com/"),
        ],
    );
    s.auth.jwt_secret = Some(Secret::new(SECRET));
    let a = Authenticator::new(&s);
    let good = json!({"aud": "s3lift-api", "iss": "https://idp.example.com/"});
    let t = hs256(&claims("carol", good), SECRET);
    assert_eq!(caller(&a, &t).await.unwrap(), "carol");
    let t = hs256(
        &claims(
            "carol",
            json!({"aud": ["other", "s3lift-api"], "iss": "https://idp.example.com/"}),
        ),
        SECRET,
    );
    assert_eq!(caller(&a, &t).await.unwrap(), "carol");
    let cases = [
        (
            json!({"aud": "other", "iss": "https://idp.example.com/"}),
            "the token's audience (aud) is not S3LIFT_JWT_AUDIENCE",
        ),
        (
            json!({"aud": "s3lift-api", "iss": "https://evil.example.com/"}),
            "the token's issuer (iss) is not S3LIFT_JWT_ISSUER",
        ),
        (
            json!({"iss": "https://idp.example.com/"}),
            "the token needs an `aud` claim (S3LIFT_JWT_AUDIENCE is set)",
        ),
        (
            json!({"aud": "s3lift-api"}),
            "the token needs an `iss` claim (S3LIFT_JWT_ISSUER is set)",
        ),
    ];
    for (extra, message) in cases {
        let t = hs256(&claims("carol", extra), SECRET);
        assert_eq!(caller(&a, &t).await, Err(AuthError::InvalidToken(message)));
    }
}

#[tokio::test]
async fn nbf_and_exp_have_30_seconds_of_leeway() {
    let a = auth(false);
    let at = |nbf: i64, exp: i64| {
        hs256(
            &json!({"sub": "carol", "nbf": now() + nbf, "exp": now() + exp}),
            SECRET,
        )
    };
    assert!(
        caller(&a, &at(20, 600)).await.is_ok(),
        "nbf 20 s ahead: clock skew"
    );
    assert!(
        caller(&a, &at(-600, -20)).await.is_ok(),
        "exp 20 s ago: clock skew"
    );
    assert_eq!(
        caller(&a, &at(90, 600)).await,
        Err(AuthError::InvalidToken(
            "the token is not valid yet (nbf is in the future)"
        ))
    );
    assert_eq!(
        caller(&a, &at(-600, -90)).await,
        Err(AuthError::InvalidToken("the token has expired"))
    );
}

#[tokio::test]
async fn rs256_es256_and_eddsa_keys() {
    let (r, e, d) = (keys::rsa("r1"), keys::es256("e1"), keys::ed25519("d1"));
    let a = with_keys(&[&r, &e, &d], &[]);
    for (k, who) in [(&r, "rsa-user"), (&e, "ec-user"), (&d, "ed-user")] {
        assert_eq!(
            caller(&a, &token(k, &claims(who, json!({}))))
                .await
                .unwrap(),
            who
        );
    }
    // A key the set does not hold, under a known kid: bad signature.
    let other = keys::es256("e1");
    assert_eq!(
        caller(&a, &token(&other, &claims("x", json!({})))).await,
        Err(AuthError::InvalidToken(
            "the token's signature does not match"
        ))
    );
    // Without a kid, only when one key of the alg exists.
    let t = token_with_kid(&e, None, &claims("ec-user", json!({})));
    assert_eq!(caller(&a, &t).await.unwrap(), "ec-user");
}

/// An RS256 key never verifies an HS256 token, whatever its `kid`, and a
/// token never borrows the key of another algorithm.
#[tokio::test]
async fn no_algorithm_confusion() {
    let (r, e) = (keys::rsa("r1"), keys::es256("e1"));
    let a = with_keys(&[&r, &e], &[]);
    // The classic attack: HMAC keyed with the RSA public key's bytes.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("r1".into());
    let n = r.jwk["n"].as_str().unwrap();
    let forged = encode(
        &header,
        &claims("mallory", json!({})),
        &EncodingKey::from_secret(n.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        caller(&a, &forged).await,
        Err(AuthError::InvalidToken(
            "HS256 tokens are not accepted here (no S3LIFT_JWT_SECRET)"
        ))
    );
    // An ES256 token that names the RSA key's kid.
    let t = token_with_kid(&e, Some("r1"), &claims("mallory", json!({})));
    assert_eq!(
        caller(&a, &t).await,
        Err(AuthError::InvalidToken(
            "the token's alg is not the algorithm of its key (kid)"
        ))
    );
    // RS256 tokens are refused where only the HS256 secret is configured.
    let t = token(&r, &claims("mallory", json!({})));
    assert!(caller(&auth(false), &t).await.is_err());
}
