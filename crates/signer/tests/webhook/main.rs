//! Signed webhooks for every completed upload (issue 12, item 7), and
//! `POST /s3/params/complete`, which reports single-request uploads one key
//! at a time or in batches (issue 13), against Garage.

#[path = "../common/mod.rs"]
mod common;

mod checksum;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const MIB: usize = 1024 * 1024;
const WEBHOOK_SECRET: &str = "whsec-test-0123456789abcdef0123456789";

/// One webhook delivery as the receiver saw it.
#[derive(Debug)]
struct Delivery {
    signature: String,
    body: Vec<u8>,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// What a receiver does (docs/deploy.md): recompute the HMAC over
    /// `"<t>.<raw body>"`, compare, and refuse a `t` older than 5 minutes.
    fn verify(&self, secret: &str) -> Result<u64, String> {
        let mut t = None;
        let mut v1 = None;
        for item in self.signature.split(',') {
            match item.split_once('=') {
                Some(("t", v)) => t = v.parse::<u64>().ok(),
                Some(("v1", v)) => v1 = hex::decode(v).ok(),
                _ => {}
            }
        }
        let (t, v1) = t.zip(v1).ok_or("malformed signature header")?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&self.body);
        mac.verify_slice(&v1).map_err(|_| "bad signature")?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if now.abs_diff(t) > 300 {
            return Err(format!("t={t} is too old"));
        }
        Ok(t)
    }
}

/// A webhook receiver on a local port: answers 500 to the first `fail_first`
/// deliveries and 204 to the rest, and hands each one over.
async fn receiver(fail_first: usize) -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hook?token=in-the-url",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let delivery = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
                };
                let len: usize = header("content-length:").map_or(0, |v| v.parse().unwrap());
                if buf.len() >= end + 4 + len {
                    break Some(Delivery {
                        signature: header("x-s3lift-signature:").unwrap_or_default(),
                        body: buf[end + 4..end + 4 + len].to_vec(),
                    });
                }
            };
            let Some(d) = delivery else { continue };
            seen += 1;
            let status = if seen <= fail_first {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
            let _ = tx.send(d);
        }
    });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("a webhook delivery within 15 s")
        .expect("receiver running")
}

async fn hooked_app(url: &str) -> TestApp {
    spawn_app(&[
        ("S3LIFT_WEBHOOK_URL", url),
        ("S3LIFT_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ])
    .await
}

/// `s3lift_webhook_events_total{outcome="queued"}`: counted before the
/// answer leaves, so reading it after an answer needs no waiting.
async fn events_queued(app: &TestApp) -> u64 {
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(r#"s3lift_webhook_events_total{outcome="queued"} "#))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// `GET /s3/params` then the PUT, as the s3lift client does; returns the key.
async fn put_small(app: &TestApp, name: &str, data: &[u8]) -> String {
    let a = app
        .get(
            &format!(
                "/s3/params?filename={name}&type=text/plain&size={}",
                data.len()
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let put = app
        .http
        .put(a.json["url"].as_str().unwrap())
        .header("content-type", "text/plain")
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    a.json["key"].as_str().unwrap().to_owned()
}

fn complete_path(key: &str) -> String {
    format!("/s3/params/complete?key={}", enc(key))
}

#[tokio::test]
async fn a_single_upload_fires_one_signed_event() {
    let (url, mut rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    let data = body(11, 4);
    let key = put_small(&app, "small.txt", &data).await;
    let done = app.post(&complete_path(&key), Some(ALICE), json!({})).await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["key"], key.as_str());
    assert_eq!(done.json["bucket"], app.garage.bucket());
    assert_eq!(done.json["size"], 11);
    let etag = done.json["etag"].as_str().unwrap();
    assert!(etag.starts_with('"'), "{etag}");
    assert!(done.json["location"]
        .as_str()
        .unwrap()
        .ends_with("/small.txt"));
    assert_eq!(events_queued(&app).await, 1, "exactly one event");

    let d = next(&mut rx).await;
    d.verify(WEBHOOK_SECRET).expect("the receiver accepts it");
    assert!(d.verify("another-secret-0123456789abcdef0123").is_err());
    let e = d.json();
    assert!(e["id"].as_str().unwrap().starts_with("evt_"), "{e}");
    assert_eq!(e["type"], "upload.completed");
    assert_eq!(e["key"], key.as_str());
    assert_eq!(e["bucket"], app.garage.bucket());
    assert_eq!(e["size"], 11);
    assert_eq!(e["etag"], etag);
    assert_eq!(e["contentType"], "text/plain");
    assert_eq!(e["caller"], "alice");
    let at = e["completedAt"].as_str().unwrap();
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );

    // The body a receiver verifies is the raw body: one changed byte fails.
    let mut forged = Delivery {
        signature: d.signature.clone(),
        body: d.body.clone(),
    };
    forged.body = String::from_utf8(forged.body)
        .unwrap()
        .replace("\"size\":11", "\"size\":12")
        .into_bytes();
    assert!(forged.verify(WEBHOOK_SECRET).is_err());
}

#[tokio::test]
async fn the_event_id_is_the_same_across_a_retry() {
    let (url, mut rx) = receiver(1).await;
    let app = hooked_app(&url).await;
    // A multipart upload: its event too carries every field.
    let data = body(5 * MIB + 1, 5);
    let (key, id, _) = app.create(ALICE, "w.bin", data.len() as u64).await;
    let done = app.upload_multipart(ALICE, &key, &id, 5 * MIB, &data).await;
    assert_eq!(done.status, 200, "{}", done.json);
    let first = next(&mut rx).await;
    let second = next(&mut rx).await;
    first.verify(WEBHOOK_SECRET).unwrap();
    second.verify(WEBHOOK_SECRET).unwrap();
    let (a, b) = (first.json(), second.json());
    assert_eq!(a["id"], b["id"], "one event, delivered twice");
    assert_eq!(a, b);
    assert_eq!(a["type"], "upload.completed");
    assert_eq!(a["key"], key.as_str());
    assert_eq!(a["size"], data.len());
    assert_eq!(a["contentType"], "application/octet-stream");
    assert_eq!(a["etag"], done.json["etag"]);
}

#[tokio::test]
async fn params_complete_refuses_a_missing_object_without_an_event() {
    let (url, _rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    let a = app
        .get(
            "/s3/params?filename=never.txt&type=text/plain&size=5",
            Some(ALICE),
        )
        .await;
    let key = a.json["key"].as_str().unwrap().to_owned();
    app.post(&complete_path(&key), Some(ALICE), json!({}))
        .await
        .assert_error(404, "no_such_key");
    // Someone else's key, no key, no token.
    app.post(&complete_path(&key), Some(BOB), json!({}))
        .await
        .assert_error(403, "forbidden_key");
    app.post("/s3/params/complete", Some(ALICE), json!({}))
        .await
        .assert_error(400, "bad_request");
    app.post(&complete_path(&key), None, json!({}))
        .await
        .assert_error(401, "missing_token");
    assert_eq!(events_queued(&app).await, 0);
}

#[tokio::test]
async fn an_object_over_its_approved_size_is_deleted_with_413() {
    let (url, _rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    // Approved for 10 bytes; 20 are written with the bucket owner's key,
    // as a store that enforces no signed length would let a client do.
    let a = app
        .get(
            "/s3/params?filename=big.txt&type=text/plain&size=10",
            Some(ALICE),
        )
        .await;
    let key = a.json["key"].as_str().unwrap().to_owned();
    app.s3
        .put_object()
        .bucket(app.garage.bucket())
        .key(&key)
        .body(body(20, 1).into())
        .send()
        .await
        .unwrap();
    app.post(&complete_path(&key), Some(ALICE), json!({}))
        .await
        .assert_error(413, "too_large");
    assert!(app.object(&key).await.is_none(), "the object is deleted");
    assert_eq!(events_queued(&app).await, 0);

    // Without a declared size the policy allows 0 to S3LIFT_MAX_SIZE, and an
    // upload within it is confirmed.
    let a = app
        .get("/s3/params?filename=form.txt&type=text/plain", Some(ALICE))
        .await;
    assert_eq!(a.json["method"], "POST", "{}", a.json);
    let key = a.json["key"].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(a.json["url"].as_str().unwrap())
        .multipart(policy_form(&a.json["fields"], 300, 2))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let done = app.post(&complete_path(&key), Some(ALICE), json!({})).await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["size"], 300);
    assert_eq!(events_queued(&app).await, 1);
}

#[tokio::test]
async fn params_complete_confirms_many_keys_in_one_call() {
    let (url, _rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    let one = put_small(&app, "one.txt", b"hello").await;
    let two = put_small(&app, "two.txt", b"world!").await;
    let key_of = |json: &Value| json["key"].as_str().unwrap().to_owned();
    let params = "/s3/params?filename=never.txt&type=text/plain&size=5";
    let never = key_of(&app.get(params, Some(ALICE)).await.json);
    let bobs = key_of(&app.get(params, Some(BOB)).await.json);
    let done = app
        .post(
            "/s3/params/complete",
            Some(ALICE),
            json!({ "keys": [one, never, bobs, two] }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    let objects = done.json["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 4, "one entry per key, in order");
    assert_eq!(objects[0]["key"], one.as_str());
    assert_eq!(objects[0]["size"], 5);
    assert_eq!(objects[1]["code"], "no_such_key", "{}", objects[1]);
    assert_eq!(objects[2]["code"], "forbidden_key", "{}", objects[2]);
    assert_eq!(objects[3]["key"], two.as_str());
    assert_eq!(objects[3]["size"], 6);
    // Only the two stored objects fire an event.
    assert_eq!(events_queued(&app).await, 2);

    let too_many: Vec<String> = (0..101).map(|_| one.clone()).collect();
    for body in [
        json!({ "keys": [] }),
        json!({ "keys": too_many }),
        json!({ "keys": "x" }),
    ] {
        app.post("/s3/params/complete", Some(ALICE), body)
            .await
            .assert_error(400, "bad_request");
    }
    assert_eq!(events_queued(&app).await, 2);
}
