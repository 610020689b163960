//! Operations (issue 12, item 4, and dev mode): bounded metrics, the metrics
//! listener, logs without colour codes in a pipe, and dev mode's settings
//! order and `Host` guard. Webhooks are in `webhook.rs`.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::Duration;

use aws_credential_types::Credentials;
use common::*;
use reqwest::Method;
use s3lift_signer::app::Application;
use s3lift_signer::config::Settings;
use serde_json::Value;

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
    // The embedded store's features are known (no probe at start).
    use s3lift_signer::config::StoreFeature;
    assert_eq!(none.store.post_policy, StoreFeature::On);
    assert_eq!(none.store.checksums, StoreFeature::On);
    let off = dev_settings(None, &map(&[("S3LIFT_STORE_CHECKSUMS", "off")])).unwrap();
    assert_eq!(
        off.store.checksums,
        StoreFeature::Off,
        "the environment beats the dev default"
    );
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
