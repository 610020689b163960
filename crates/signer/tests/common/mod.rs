//! A signer on port 0 in front of a real Garage node, as zero2prod's
//! `spawn_app`: each test gets its own store and its own signer.
#![allow(dead_code)]

use std::collections::HashMap;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region, RequestChecksumCalculation};
use s3lift_signer::app::Application;
use s3lift_signer::config::Settings;
use s3lift_testkit::Garage;
use serde_json::Value;

pub const JWT_SECRET: &str = "test-jwt-secret-that-is-long-enough-0123456789";
pub const ALICE: &str = "alice-static-token";
pub const BOB: &str = "bob-static-token";

pub struct TestApp {
    pub garage: Garage,
    pub base: String,
    pub http: reqwest::Client,
    pub s3: aws_sdk_s3::Client,
}

/// Settings every test shares; `extra` overrides or adds.
pub fn env_for(garage: &Garage, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("S3LIFT_BIND", "127.0.0.1:0".to_owned()),
        ("S3LIFT_S3_ENDPOINT", garage.endpoint()),
        ("S3LIFT_S3_REGION", garage.region().to_owned()),
        ("S3LIFT_S3_BUCKET", garage.bucket().to_owned()),
        ("S3LIFT_S3_PATH_STYLE", "true".to_owned()),
        ("S3LIFT_JWT_SECRET", JWT_SECRET.to_owned()),
        ("S3LIFT_STATIC_TOKENS", format!("{ALICE}=alice,{BOB}=bob")),
        ("S3LIFT_MAX_SIZE", (200 * 1024 * 1024).to_string()),
        ("S3LIFT_STORAGE_TIMEOUT_MS", "3000".to_owned()),
        ("S3LIFT_KEY_SECRET", KEY_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

pub async fn spawn_app(extra: &[(&str, &str)]) -> TestApp {
    let garage = tokio::task::spawn_blocking(Garage::start)
        .await
        .expect("garage start");
    spawn_app_on(garage, extra).await
}

pub async fn spawn_app_on(garage: Garage, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_tuned(garage, extra, |_| {}).await
}

/// As [`spawn_app_on`], with `tune` changing the settings after they are
/// loaded: for the few that no file or variable sets (a shorter wait).
pub async fn spawn_app_tuned(
    garage: Garage,
    extra: &[(&str, &str)],
    tune: impl FnOnce(&mut Settings),
) -> TestApp {
    let env = env_for(&garage, extra);
    let mut settings = Settings::load(None, &env).expect("test settings");
    tune(&mut settings);
    let base = spawn_settings(&garage, settings).await;
    let s3 = s3_client(&garage);
    TestApp {
        garage,
        base,
        http: test_client(),
        s3,
    }
}

/// A client that never reuses a connection. A pooled keep-alive connection
/// that the server (actix after its 5 s keep-alive, Garage after refusing a
/// body) closes just as the next request is written fails with
/// `IncompleteMessage`; under load that race turned into flaky failures.
/// Browsers retry such requests silently; these tests should not depend on it.
pub fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client")
}

pub async fn spawn_signer(garage: &Garage, env: &HashMap<String, String>) -> String {
    let settings = Settings::load(None, env).expect("test settings");
    spawn_settings(garage, settings).await
}

/// Starts a signer with `settings` in front of `garage`; its base URL.
pub async fn spawn_settings(garage: &Garage, settings: Settings) -> String {
    let creds = Credentials::new(garage.access_key(), garage.secret_key(), None, None, "test");
    let app = Application::build_with(settings, Some(creds), Vec::new())
        .await
        .expect("signer builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

/// A plain S3 client with the bucket owner's key, to look at the store directly.
pub fn s3_client(garage: &Garage) -> aws_sdk_s3::Client {
    let creds = Credentials::new(garage.access_key(), garage.secret_key(), None, None, "test");
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(garage.endpoint())
        .region(Region::new(garage.region().to_owned()))
        .credentials_provider(creds)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub fn jwt(sub: &str, exp_offset_secs: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = serde_json::json!({ "sub": sub, "exp": now + exp_offset_secs, "iat": now });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A deterministic pseudo-random body (xorshift), so failures reproduce.
pub fn body(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    /// Asserts an error answer: status, machine code, and a human message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.json);
        assert_eq!(self.code(), code, "body: {}", self.json);
        assert!(
            self.json["error"].as_str().is_some_and(|m| !m.is_empty()),
            "no message: {}",
            self.json
        );
        assert_eq!(self.headers.get("cache-control").unwrap(), "no-store");
    }
}

impl TestApp {
    /// PUTs `data` to a presigned part URL; the store must take it. Its ETag.
    pub async fn put_part(&self, url: &str, data: Vec<u8>) -> String {
        let res = self.http.put(url).body(data).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "the store took the part");
        res.headers()["etag"].to_str().unwrap().to_owned()
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        json: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(j) = json {
            req = req.json(&j);
        }
        let res = req.send().await.expect("signer answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, json: Value) -> Answer {
        self.call(reqwest::Method::POST, path, token, Some(json))
            .await
    }

    /// `POST /s3/multipart` for `size` bytes in 5 MiB parts; returns `(key, uploadId, answer)`.
    pub async fn create(&self, token: &str, name: &str, size: u64) -> (String, String, Value) {
        let a = self
            .post(
                "/s3/multipart",
                Some(token),
                serde_json::json!({"filename": name, "type": "application/octet-stream", "metadata": {}, "size": size, "partSize": 5 * 1024 * 1024}),
            )
            .await;
        assert_eq!(a.status, 200, "create: {}", a.json);
        (
            a.json["key"].as_str().unwrap().to_owned(),
            a.json["uploadId"].as_str().unwrap().to_owned(),
            a.json,
        )
    }

    /// Signs and PUTs every part of `data`, then completes; returns the complete answer.
    pub async fn upload_multipart(
        &self,
        token: &str,
        key: &str,
        id: &str,
        part_size: usize,
        data: &[u8],
    ) -> Answer {
        let parts = self.put_parts(token, key, id, part_size, data).await;
        self.post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
            Some(token),
            serde_json::json!({ "parts": parts }),
        )
        .await
    }

    /// Signs and PUTs every part of `data`; returns the complete body's
    /// `parts`, in reverse order (the signer sorts them).
    pub async fn put_parts(
        &self,
        token: &str,
        key: &str,
        id: &str,
        part_size: usize,
        data: &[u8],
    ) -> Vec<serde_json::Value> {
        let count = data.len().div_ceil(part_size).max(1);
        let numbers: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
        let batch = self
            .get(
                &format!(
                    "/s3/multipart/{id}/batch?key={}&partNumbers={}",
                    enc(key),
                    numbers.join(",")
                ),
                Some(token),
            )
            .await;
        assert_eq!(batch.status, 200, "batch: {}", batch.json);
        let mut parts = Vec::new();
        for n in 1..=count {
            let url = batch.json["presignedUrls"][n.to_string()].as_str().unwrap();
            let chunk = data[(n - 1) * part_size..(n * part_size).min(data.len())].to_vec();
            let res = self.http.put(url).body(chunk).send().await.unwrap();
            assert_eq!(
                res.status().as_u16(),
                200,
                "part {n}: {}",
                res.text().await.unwrap_or_default()
            );
            let etag = res.headers()["etag"].to_str().unwrap().to_owned();
            parts.push(serde_json::json!({"PartNumber": n, "ETag": etag}));
        }
        parts.reverse();
        parts
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn incomplete_uploads(&self) -> usize {
        let out = self
            .s3
            .list_multipart_uploads()
            .bucket(self.garage.bucket())
            .send()
            .await
            .expect("list uploads");
        out.uploads().len()
    }

    pub async fn object(&self, key: &str) -> Option<Vec<u8>> {
        let out = self
            .s3
            .get_object()
            .bucket(self.garage.bucket())
            .key(key)
            .send()
            .await
            .ok()?;
        Some(out.body.collect().await.unwrap().into_bytes().to_vec())
    }
}

pub fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Sends a request the store should refuse. A refusal is a 4xx answer, or the
/// store closing the connection while the body is still being sent (Garage
/// answers early and hangs up on a body it will not take). Returns what happened.
pub async fn store_refuses(req: reqwest::RequestBuilder) -> Result<String, String> {
    match req.send().await {
        Ok(res) if res.status().is_client_error() => Ok(format!("{}", res.status())),
        Ok(res) => Err(format!(
            "accepted with {}: {}",
            res.status(),
            res.text().await.unwrap_or_default()
        )),
        Err(e) if e.is_request() && !e.is_connect() => {
            Ok(format!("connection closed: {e:?}").replace('\n', " "))
        }
        Err(e) => Err(format!("could not reach the store: {e}")),
    }
}

/// A POST-policy form as a browser sends it: the signer's fields, then `len`
/// seeded bytes as the `file` field.
pub fn policy_form(fields: &Value, len: usize, seed: u64) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (k, v) in fields.as_object().unwrap() {
        f = f.text(k.clone(), v.as_str().unwrap().to_owned());
    }
    let file = reqwest::multipart::Part::bytes(body(len, seed))
        .mime_str("text/plain")
        .unwrap();
    f.part("file", file)
}

/// The `S3LIFT_KEY_SECRET` of every test signer ([`env_for`]).
pub const KEY_SECRET: &str = "test-key-secret-that-is-long-enough-0123456789";
