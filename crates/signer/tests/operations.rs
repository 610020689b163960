//! Operations (issue 12, items 4 and 7, and dev mode): bounded metrics, the
//! metrics listener, logs without colour codes in a pipe, signed webhooks for
//! every completed upload (`POST /s3/params/complete` for single requests),
//! and dev mode's settings order and `Host` guard.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use common::*;
use hmac::{Hmac, Mac};
use reqwest::Method;
use s3lift_signer::app::Application;
use s3lift_signer::config::Settings;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const MIB: usize = 1024 * 1024;
const WEBHOOK_SECRET: &str = "whsec-test-0123456789abcdef0123456789";

// ---- a signer without a store, for what needs none ------------------------

/// A signer whose store is unreachable (nothing listens on port 9): enough
/// for routes that never call it.
async fn storeless(extra: &[(&str, &str)]) -> (String, Application) {
    let mut env: HashMap<String, String> = [
        ("S3LIFT_BIND", "127.0.0.1:0"),
        ("S3LIFT_S3_ENDPOINT", "http://127.0.0.1:9"),
        ("S3LIFT_S3_BUCKET", "b-1"),
        ("S3LIFT_STATIC_TOKENS", "alice-static-token=alice"),
        ("S3LIFT_KEY_SECRET", KEY_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::load(None, &env).expect("settings");
    let creds = Credentials::new("AK", "SK", None, None, "test");
    let app = Application::build_with(settings, Some(creds), Vec::new())
        .await
        .expect("signer builds");
    (format!("http://127.0.0.1:{}", app.port()), app)
}

async fn text(http: &reqwest::Client, url: &str) -> (u16, String) {
    let r = http.get(url).send().await.expect("answers");
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A method name of 3 to 10 upper-case letters from a xorshift seed.
fn random_method(seed: &mut u64) -> Method {
    let mut name = String::new();
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let len = 3 + next() % 8;
    for _ in 0..len {
        name.push((b'A' + (next() % 26) as u8) as char);
    }
    Method::from_bytes(name.as_bytes()).unwrap()
}

#[tokio::test]
async fn random_methods_to_an_unknown_path_add_no_metric_series() {
    let (base, app) = storeless(&[]).await;
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let mut seed = 0x5eed_u64;
    // One request of each kind first, so every series this test can reach exists.
    for m in [random_method(&mut seed), Method::GET] {
        let r = http
            .request(m, format!("{base}/nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // Read once so the series of `/metrics` itself exist too.
    text(&http, &format!("{base}/metrics")).await;
    let (_, before) = text(&http, &format!("{base}/metrics")).await;
    for _ in 0..300 {
        let r = http
            .request(random_method(&mut seed), format!("{base}/nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let (_, after) = text(&http, &format!("{base}/metrics")).await;
    let series = |t: &str| t.lines().filter(|l| !l.starts_with('#')).count();
    // Issue 12 item 4 measured +33.8 KB here: one series per method.
    assert_eq!(series(&after), series(&before), "{after}");
    assert!(
        after.len() < before.len() + 256,
        "/metrics grew from {} to {} bytes",
        before.len(),
        after.len()
    );
    for line in after.lines().filter(|l| l.contains("method=\"")) {
        let method = line.split("method=\"").nth(1).unwrap().split('"').next();
        assert!(
            matches!(
                method,
                Some("GET" | "POST" | "PUT" | "DELETE" | "HEAD" | "OPTIONS" | "other")
            ),
            "{line}"
        );
        if line.contains("status=\"404\"") {
            assert!(line.contains("route=\"unmatched\""), "{line}");
        }
    }
    assert!(
        after.contains(
            r#"s3lift_http_requests_total{method="other",route="unmatched",status="404"} 301"#
        ),
        "{after}"
    );
}

#[tokio::test]
async fn metrics_bind_serves_metrics_apart_from_the_api() {
    let (base, app) = storeless(&[("S3LIFT_METRICS_BIND", "127.0.0.1:0")]).await;
    let port = app.metrics_port().expect("a metrics listener");
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    assert_eq!(text(&http, &format!("{base}/healthz")).await.0, 200);
    // Kept off the main (public) listener: a JSON 404 like any unknown path.
    let (status, body) = text(&http, &format!("{base}/metrics")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("not_found"), "{body}");
    let (status, body) = text(&http, &format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(
            r#"s3lift_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{body}"
    );
    // The metrics listener serves nothing else.
    let (status, _) = text(&http, &format!("http://127.0.0.1:{port}/healthz")).await;
    assert_eq!(status, 404);
}

#[test]
fn log_written_to_a_pipe_has_no_colour_codes() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_s3lift-signer"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("S3LIFT_BIND", "127.0.0.1:0")
        .env("S3LIFT_S3_ENDPOINT", "http://127.0.0.1:9")
        .env("S3LIFT_S3_BUCKET", "b-1")
        .env("S3LIFT_KEY_SECRET", KEY_SECRET)
        .env("S3LIFT_LOG", "info")
        .env("AWS_ACCESS_KEY_ID", "AK")
        .env("AWS_SECRET_ACCESS_KEY", "SK")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the signer binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut log = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            log.push_str(&line);
            log.push('\n');
            if line.contains("listening") {
                break;
            }
        }
        let _ = tx.send(log);
    });
    let log = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let log = log.expect("a log line within 30 s");
    assert!(log.contains("s3lift-signer listening"), "{log}");
    assert!(!log.contains('\x1b'), "colour codes in a pipe: {log:?}");
}

// ---- webhooks, against Garage ----------------------------------------------

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
    let m = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    m.lines()
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

// ---- dev mode ---------------------------------------------------------------

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "s3lift-ops-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dev_settings_are_env_then_file_then_dev_defaults() {
    use s3lift_signer::dev::dev_settings;
    let none = dev_settings(None, &map(&[])).unwrap();
    assert!(none.auth.allow_anonymous, "dev default");
    assert_eq!(none.store.bucket, "s3lift-dev");
    assert!(none
        .server
        .allowed_origins
        .contains(&"http://localhost:8080".to_owned()));

    let path = temp_dir("cfg").join("dev.toml");
    std::fs::write(
        &path,
        "allow_anonymous = false\ns3_bucket = \"from-file\"\nallowed_origins = [\"https://app.example\"]\nbind = \"127.0.0.1:9999\"\n",
    )
    .unwrap();
    let file = dev_settings(Some(&path), &map(&[])).unwrap();
    assert!(!file.auth.allow_anonymous, "the file beats the dev default");
    assert_eq!(file.store.bucket, "from-file");
    assert_eq!(
        file.server.allowed_origins,
        vec!["https://app.example".to_owned()]
    );
    assert_eq!(file.server.bind.port(), 9999);

    let env = dev_settings(
        Some(&path),
        &map(&[
            ("S3LIFT_ALLOW_ANONYMOUS", "true"),
            ("S3LIFT_S3_BUCKET", "from-env"),
        ]),
    )
    .unwrap();
    assert!(env.auth.allow_anonymous, "the environment beats the file");
    assert_eq!(env.store.bucket, "from-env");

    // Without origins in the file, the dev default follows the file's port.
    std::fs::write(&path, "bind = \"127.0.0.1:9999\"\n").unwrap();
    let port = dev_settings(Some(&path), &map(&[])).unwrap();
    assert!(port
        .server
        .allowed_origins
        .contains(&"http://127.0.0.1:9999".to_owned()));
}

#[tokio::test]
async fn dev_mode_answers_only_to_a_loopback_host() {
    let mut settings =
        s3lift_signer::dev::dev_settings(None, &map(&[("S3LIFT_BIND", "127.0.0.1:0")])).unwrap();
    let store = s3lift_signer::dev::start(
        &temp_dir("store"),
        "127.0.0.1:0".parse().unwrap(),
        &settings.store.bucket,
    )
    .await
    .unwrap();
    settings.store.endpoint = Some(store.endpoint.clone());
    settings.store.path_style = true;
    settings.uploads.key_secret = Some(s3lift_signer::keys::generate_secret());
    let app = Application::build_dev(settings, Some(store.credentials), Vec::new())
        .await
        .unwrap();
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/s3/params?filename=a.txt&type=text/plain&size=3");
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let r = http.get(&url).header("host", &host).send().await.unwrap();
        assert_eq!(r.status(), 403, "{host}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["code"], "forbidden_host", "{host}");
        assert!(e["error"].as_str().unwrap().contains("localhost"), "{e}");
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "localhost".to_owned(),
    ] {
        let r = http.get(&url).header("host", &host).send().await.unwrap();
        assert_eq!(r.status(), 200, "{host}: {}", r.text().await.unwrap());
    }
}
