//! Test-only signing keys and tokens, shared by the unit tests and
//! `tests/identity.rs` (which includes this file by path). EC and Ed25519
//! keys are generated per run; the RSA key is a committed test-only fixture,
//! because ring cannot generate RSA keys.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair};
use serde_json::{json, Value};

/// A private key, and its public JWK.
pub struct TestKey {
    /// The JWT algorithm.
    pub alg: Algorithm,
    /// Signs tokens.
    pub enc: EncodingKey,
    /// The public key as a JWK, with `kid`.
    pub jwk: Value,
}

const RSA_PEM: &str = include_str!("../tests/fixtures/rsa-test-key.pem");

/// The fixture RSA key as an RS256 key.
pub fn rsa(kid: &str) -> TestKey {
    let b64: String = RSA_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("fixture PEM");
    let pair = signature::RsaKeyPair::from_der(&der).expect("PKCS#1 RSA key");
    let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
    TestKey {
        alg: Algorithm::RS256,
        enc: EncodingKey::from_rsa_der(&der),
        jwk: json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                    "n": B64.encode(&public.n), "e": B64.encode(&public.e)}),
    }
}

/// A fresh P-256 key as an ES256 key.
pub fn es256(kid: &str) -> TestKey {
    let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let rng = SystemRandom::new();
    let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let pair = signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
    // An uncompressed point: 0x04 || x || y.
    let point = pair.public_key().as_ref();
    TestKey {
        alg: Algorithm::ES256,
        enc: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({"kty": "EC", "kid": kid, "crv": "P-256",
                    "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])}),
    }
}

/// A fresh Ed25519 key as an EdDSA key.
pub fn ed25519(kid: &str) -> TestKey {
    let pkcs8 = signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let pair = signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    TestKey {
        alg: Algorithm::EdDSA,
        enc: EncodingKey::from_ed_der(pkcs8.as_ref()),
        jwk: json!({"kty": "OKP", "kid": kid, "crv": "Ed25519",
                    "x": B64.encode(pair.public_key().as_ref())}),
    }
}

/// A JWKS document of these keys.
pub fn jwks(keys: &[&TestKey]) -> String {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()}).to_string()
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token signed by `key`, with its `kid` (or another one) in the header.
pub fn token_with_kid(key: &TestKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key.enc).unwrap()
}

/// A token signed by `key` under its own `kid`.
pub fn token(key: &TestKey, claims: &Value) -> String {
    token_with_kid(key, key.jwk["kid"].as_str(), claims)
}

/// `{sub, exp: now + 600}` plus `extra`.
pub fn claims(sub: &str, extra: Value) -> Value {
    let mut c = json!({"sub": sub, "exp": now() + 600, "iat": now()});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}
