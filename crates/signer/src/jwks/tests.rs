//! Unit tests of `jwks`: which keys are loaded, and how often the set is fetched.

use super::*;
use crate::test_keys as keys;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

fn parse(v: serde_json::Value) -> Result<KeySet, JwksError> {
    KeySet::parse(v.to_string().as_bytes())
}

#[test]
fn each_key_is_bound_to_one_algorithm() {
    let (r, e, d) = (keys::rsa("r"), keys::es256("e"), keys::ed25519("d"));
    let set = KeySet::parse(keys::jwks(&[&r, &e, &d]).as_bytes()).unwrap();
    assert_eq!(set.len(), 3);
    assert!(matches!(
        set.find(Some("r"), Algorithm::RS256),
        Lookup::Found(_)
    ));
    assert!(matches!(
        set.find(Some("e"), Algorithm::ES256),
        Lookup::Found(_)
    ));
    assert!(matches!(
        set.find(Some("d"), Algorithm::EdDSA),
        Lookup::Found(_)
    ));
    assert!(matches!(
        set.find(Some("r"), Algorithm::HS256),
        Lookup::WrongAlg
    ));
    assert!(matches!(
        set.find(Some("r"), Algorithm::RS384),
        Lookup::WrongAlg
    ));
    assert!(matches!(
        set.find(Some("e"), Algorithm::RS256),
        Lookup::WrongAlg
    ));
    assert!(matches!(
        set.find(Some("zz"), Algorithm::RS256),
        Lookup::Unknown
    ));
    assert!(matches!(set.find(None, Algorithm::ES256), Lookup::Found(_)));
}

#[test]
fn unusable_keys_are_skipped() {
    let r = keys::rsa("r");
    let mut enc = r.jwk.clone();
    enc["use"] = json!("enc");
    enc["kid"] = json!("enc");
    let mut rs512 = r.jwk.clone();
    rs512["alg"] = json!("RS512");
    rs512["kid"] = json!("rs512");
    let mut lying = r.jwk.clone();
    lying["alg"] = json!("ES256");
    lying["kid"] = json!("lying");
    let oct = json!({"kty": "oct", "kid": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"});
    let weird = json!({"kty": "XYZ", "kid": "weird"});
    let set = parse(json!({"keys": [enc, rs512, lying, oct, weird, r.jwk]})).unwrap();
    assert_eq!(set.len(), 1);
    for kid in ["enc", "rs512", "lying", "oct", "weird"] {
        assert!(
            matches!(set.find(Some(kid), Algorithm::HS256), Lookup::Unknown),
            "{kid}"
        );
        assert!(
            matches!(set.find(Some(kid), Algorithm::RS256), Lookup::Unknown),
            "{kid}"
        );
    }
    assert_eq!(
        parse(json!({"keys": [oct_only()]})).unwrap_err(),
        JwksError::NoUsableKey
    );
    assert_eq!(
        parse(json!({"nokeys": []})).unwrap_err(),
        JwksError::NotJwks
    );
    assert_eq!(KeySet::parse(b"<html>").unwrap_err(), JwksError::NotJwks);
}

fn oct_only() -> serde_json::Value {
    json!({"kty": "oct", "k": "c2VjcmV0"})
}

#[test]
fn two_keys_of_one_alg_need_a_kid() {
    let (a, b) = (keys::es256("a"), keys::es256("b"));
    let set = KeySet::parse(keys::jwks(&[&a, &b]).as_bytes()).unwrap();
    assert!(matches!(set.find(None, Algorithm::ES256), Lookup::Unknown));
}

/// A JWKS endpoint on loopback that counts the requests it answers.
async fn serve(body: Arc<RwLock<String>>, hits: Arc<AtomicU64>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let (body, hits) = (body.clone(), hits.clone());
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                hits.fetch_add(1, Ordering::SeqCst);
                let body = body.read().unwrap().clone();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_interval() {
    let a = keys::es256("a");
    let body = Arc::new(RwLock::new(keys::jwks(&[&a])));
    let hits = Arc::new(AtomicU64::new(0));
    let url = serve(body.clone(), hits.clone()).await;
    let jwks = Jwks::new(&JwksSource::Url(url), Duration::from_secs(3600));
    assert!(matches!(
        jwks.find(Some("a"), Algorithm::ES256).await,
        Lookup::Found(_)
    ));
    assert!(matches!(
        jwks.find(Some("a"), Algorithm::ES256).await,
        Lookup::Found(_)
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "one load, then the cache");

    // Rotation: the new kid is fetched at once.
    let b = keys::ed25519("b");
    *body.write().unwrap() = keys::jwks(&[&a, &b]);
    assert!(matches!(
        jwks.find(Some("b"), Algorithm::EdDSA).await,
        Lookup::Found(_)
    ));
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // A stampede of made-up kids: no more fetches within the interval.
    let kids: Vec<String> = (0..100).map(|i| format!("made-up-{i}")).collect();
    let lookups =
        futures_util::future::join_all(kids.iter().map(|k| jwks.find(Some(k), Algorithm::EdDSA)))
            .await;
    assert!(lookups.iter().all(|l| matches!(l, Lookup::Unknown)));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(jwks.fetch_count(), 2);

    // With a zero interval, the next unknown kid refetches again.
    let eager = Jwks::new(
        &JwksSource::Url(serve(body.clone(), hits.clone()).await),
        Duration::ZERO,
    );
    assert!(matches!(
        eager.find(Some("a"), Algorithm::ES256).await,
        Lookup::Found(_)
    ));
    assert!(matches!(
        eager.find(Some("zz"), Algorithm::ES256).await,
        Lookup::Unknown
    ));
    assert!(matches!(
        eager.find(Some("zz"), Algorithm::ES256).await,
        Lookup::Unknown
    ));
    assert_eq!(eager.fetch_count(), 3);
}
