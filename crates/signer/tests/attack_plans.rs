//! Issue 12, item 3, as an attacker runs it against a real Garage node: a
//! key whose plan was forged, on every route; and the key secret replicas
//! share.

mod common;

use std::collections::HashMap;

use aws_credential_types::Credentials;
use common::*;
use reqwest::Method;
use s3lift_signer::app::Application;
use s3lift_signer::config::Settings;
use serde_json::{json, Value};
use uuid::Uuid;

const MIB: usize = 1024 * 1024;

/// The custom bits of a key's UUID as the old keys.rs laid them out: what
/// an attacker reads from the source. Size+1 in 44 bits, part size in MiB in
/// 13 bits, 65 random bits; version 8 and variant 0b10 around them.
fn repack(key: &str, f: impl Fn(u128) -> u128) -> String {
    let segs: Vec<&str> = key.splitn(4, '/').collect();
    let (id, tag) = segs[2].split_once('.').unwrap_or((segs[2], ""));
    let u = Uuid::parse_str(id).unwrap().as_u128();
    let custom =
        (((u >> 80) & ((1 << 48) - 1)) << 74) | (((u >> 64) & 0xfff) << 62) | (u & ((1 << 62) - 1));
    let c = f(custom) & ((1 << 122) - 1);
    let u = ((c >> 74) << 80)
        | (0x8 << 76)
        | (((c >> 62) & 0xfff) << 64)
        | (0b10 << 62)
        | (c & ((1 << 62) - 1));
    let id = Uuid::from_u128(u).hyphenated().to_string();
    let id = if tag.is_empty() {
        id
    } else {
        format!("{id}.{tag}")
    };
    format!("{}/{}/{id}/{}", segs[0], segs[1], segs[3])
}

const RANDOM_BITS: u32 = 65;
const PART_SHIFT: u32 = RANDOM_BITS;
const SIZE_SHIFT: u32 = RANDOM_BITS + 13;

/// Forgeries of `key` and the caller who sends each one.
fn forgeries(key: &str) -> Vec<(&'static str, &'static str, String)> {
    let random = |c: u128| c & ((1 << RANDOM_BITS) - 1);
    vec![
        (
            "5 TiB in 5 GiB parts",
            ALICE,
            repack(key, |c| {
                (((5u128 << 40) + 1) << SIZE_SHIFT) | (5120 << PART_SHIFT) | random(c)
            }),
        ),
        (
            "a size bit",
            ALICE,
            repack(key, |c| c ^ (1 << (SIZE_SHIFT + 30))),
        ),
        (
            "a part size bit",
            ALICE,
            repack(key, |c| c ^ (1 << (PART_SHIFT + 2))),
        ),
        ("another name", ALICE, {
            let (head, _) = key.rsplit_once('/').unwrap();
            format!("{head}/other.bin")
        }),
        ("another caller", BOB, key.replacen("/alice/", "/bob/", 1)),
    ]
}

#[tokio::test]
async fn a_forged_plan_is_refused_on_every_route() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "a.bin", 6 * MIB as u64).await;
    let single = app
        .get(
            "/s3/params?filename=s.txt&type=text/plain&size=5",
            Some(ALICE),
        )
        .await;
    let single_key = single.json["key"].as_str().unwrap().to_owned();
    let put = app
        .http
        .put(single.json["url"].as_str().unwrap())
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);

    for (what, who, forged) in forgeries(&key) {
        assert_ne!(forged, key);
        let q = enc(&forged);
        let calls = [
            (
                Method::GET,
                format!("/s3/multipart/{id}/batch?key={q}&partNumbers=1,2"),
                None,
            ),
            (Method::GET, format!("/s3/multipart/{id}/1?key={q}"), None),
            (Method::GET, format!("/s3/multipart/{id}?key={q}"), None),
            (
                Method::POST,
                format!("/s3/multipart/{id}/complete?key={q}"),
                Some(json!({"parts": [{"PartNumber": 1, "ETag": "\"x\""}]})),
            ),
            (Method::DELETE, format!("/s3/multipart/{id}?key={q}"), None),
        ];
        for (method, path, json) in calls {
            let r = app.call(method.clone(), &path, Some(who), json).await;
            assert_eq!(
                (r.status, r.code()),
                (403, "forbidden_key"),
                "{what}: {method} {path}: {}",
                r.json
            );
            r.assert_error(403, "forbidden_key");
        }
    }
    for (what, who, forged) in forgeries(&single_key) {
        let r = app
            .get(&format!("/s3/download?key={}", enc(&forged)), Some(who))
            .await;
        assert_eq!(r.status, 403, "{what}: download: {}", r.json);
        r.assert_error(403, "forbidden_key");
    }

    // The genuine keys still work: nothing above reached the store.
    assert_eq!(
        app.incomplete_uploads().await,
        1,
        "no forged abort went through"
    );
    let list = app
        .get(
            &format!("/s3/multipart/{id}?key={}", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.json);
    let link = app
        .get(
            &format!("/s3/download?key={}", enc(&single_key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(link.status, 200, "{}", link.json);
}

#[tokio::test]
async fn replicas_with_the_same_secret_accept_each_others_keys() {
    let app = spawn_app(&[]).await;
    // A second replica with the same settings, and a third with another secret.
    let same = spawn_signer(&app.garage, &env_for(&app.garage, &[])).await;
    let other = spawn_signer(
        &app.garage,
        &env_for(
            &app.garage,
            &[(
                "S3LIFT_KEY_SECRET",
                "another-key-secret-0123456789abcdef0123",
            )],
        ),
    )
    .await;
    let (key, id, _) = app.create(ALICE, "r.bin", (5 * MIB + 11) as u64).await;
    let replica = Replica {
        base: same,
        http: app.http.clone(),
    };
    let stranger = Replica {
        base: other,
        http: app.http.clone(),
    };

    let path = format!("/s3/multipart/{id}?key={}", enc(&key));
    let r = stranger.call(Method::GET, &path, None).await;
    assert_eq!(
        (r.0, r.1["code"].as_str()),
        (403, Some("forbidden_key")),
        "{}",
        r.1
    );

    // Parts signed and the upload completed on the replica that did not create it.
    let data = body(5 * MIB + 11, 12);
    let batch = replica
        .call(
            Method::GET,
            &format!("/s3/multipart/{id}/batch?key={}&partNumbers=1,2", enc(&key)),
            None,
        )
        .await;
    assert_eq!(batch.0, 200, "{}", batch.1);
    let mut parts = Vec::new();
    for n in 1..=2usize {
        let url = batch.1["presignedUrls"][n.to_string()].as_str().unwrap();
        let chunk = data[(n - 1) * 5 * MIB..(n * 5 * MIB).min(data.len())].to_vec();
        parts.push(json!({"PartNumber": n, "ETag": app.put_part( url, chunk).await}));
    }
    let done = replica
        .call(
            Method::POST,
            &format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
            Some(json!({ "parts": parts })),
        )
        .await;
    assert_eq!(done.0, 200, "{}", done.1);
    assert_eq!(app.object(&key).await.unwrap(), data);
}

/// Another signer on the same store, called as alice.
struct Replica {
    base: String,
    http: reqwest::Client,
}

impl Replica {
    async fn call(&self, method: Method, path: &str, json: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ALICE);
        if let Some(j) = json {
            req = req.json(&j);
        }
        let res = req.send().await.unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }
}

#[tokio::test]
async fn serving_without_a_key_secret_is_a_configuration_error() {
    let env: HashMap<String, String> = [
        ("S3LIFT_BIND", "127.0.0.1:0"),
        ("S3LIFT_S3_ENDPOINT", "http://127.0.0.1:9"),
        ("S3LIFT_S3_BUCKET", "b-1"),
        ("S3LIFT_STATIC_TOKENS", "alice-static-token=alice"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::load(None, &env).unwrap();
    let creds = Credentials::new("k", "s", None, None, "test");
    let e = Application::build_with(settings, Some(creds), Vec::new())
        .await
        .err()
        .expect("no signer without a key secret")
        .to_string();
    assert!(e.contains("S3LIFT_KEY_SECRET"), "{e}");
}
