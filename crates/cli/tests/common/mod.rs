//! A real Garage node and the real signer in-process (as the signer's own
//! tests start them), the store reached through the testkit's fault proxy
//! (which counts the store requests), and the `s3lift` binary run as a
//! subprocess.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region, RequestChecksumCalculation};
use s3lift_signer::app::Application;
use s3lift_signer::config::Settings;
use s3lift_testkit::faultproxy::{FaultProxy, FaultSpec};
use s3lift_testkit::Garage;

pub const TOKEN: &str = "alice-static-token-for-the-cli";
const KEY_SECRET: &str = "test-key-secret-that-is-long-enough-0123456789";
const JWT_SECRET: &str = "test-jwt-secret-that-is-long-enough-0123456789";

pub struct Env {
    pub garage: Garage,
    /// The signer's `/s3` routes.
    pub signer: String,
    /// Between the CLI and the store: its `requests` counter is the number
    /// of store requests the CLI sent.
    pub proxy: FaultProxy,
    pub s3: aws_sdk_s3::Client,
}

/// Garage, a fault proxy in front of it (bandwidth capped per connection
/// when `bytes_per_second` > 0), and a signer whose URLs point at the proxy.
pub async fn start(bytes_per_second: u64, max_size: u64) -> Env {
    let spec = FaultSpec {
        bytes_per_second,
        ..FaultSpec::default()
    };
    start_with(spec, max_size).await
}

/// As [`start`], with the proxy injecting what `spec` says.
pub async fn start_with(spec: FaultSpec, max_size: u64) -> Env {
    let garage = tokio::task::spawn_blocking(Garage::start)
        .await
        .expect("garage start");
    let proxy = FaultProxy::start(garage.endpoint().trim_start_matches("http://"), spec);
    let env: HashMap<String, String> = [
        ("S3LIFT_BIND", "127.0.0.1:0".to_owned()),
        ("S3LIFT_S3_ENDPOINT", garage.endpoint()),
        ("S3LIFT_S3_PUBLIC_ENDPOINT", proxy.url()),
        ("S3LIFT_S3_REGION", garage.region().to_owned()),
        ("S3LIFT_S3_BUCKET", garage.bucket().to_owned()),
        ("S3LIFT_S3_PATH_STYLE", "true".to_owned()),
        ("S3LIFT_JWT_SECRET", JWT_SECRET.to_owned()),
        ("S3LIFT_STATIC_TOKENS", format!("{TOKEN}=alice")),
        ("S3LIFT_MAX_SIZE", max_size.to_string()),
        ("S3LIFT_STORAGE_TIMEOUT_MS", "5000".to_owned()),
        ("S3LIFT_KEY_SECRET", KEY_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::load(None, &env).expect("test settings");
    let creds = Credentials::new(garage.access_key(), garage.secret_key(), None, None, "test");
    let app = Application::build_with(settings, Some(creds.clone()), Vec::new())
        .await
        .expect("signer builds");
    let signer = format!("http://127.0.0.1:{}/s3", app.port());
    tokio::spawn(app.run_until_stopped());
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(garage.endpoint())
        .region(Region::new(garage.region().to_owned()))
        .credentials_provider(creds)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .build();
    Env {
        garage,
        signer,
        proxy,
        s3: aws_sdk_s3::Client::from_conf(conf),
    }
}

/// `s3lift <args>` in `dir`, with `S3LIFT_TOKEN` set when `token` is.
pub fn s3lift(dir: &Path, token: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3lift"));
    cmd.current_dir(dir).args(args).env_remove("S3LIFT_TOKEN");
    if let Some(t) = token {
        cmd.env("S3LIFT_TOKEN", t);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs it to the end, off the runtime (the signer keeps serving).
pub async fn run(mut cmd: Command) -> Run {
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("s3lift runs"))
        .await
        .unwrap();
    Run::from(out)
}

/// Waits for a child started with [`s3lift`].
pub async fn wait(child: Child) -> Run {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("s3lift ends"))
        .await
        .unwrap();
    Run::from(out)
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The `--json` lines.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect()
    }

    /// Nothing printed carries a credential: the token, or a presigned URL's signature.
    #[track_caller]
    pub fn assert_no_secrets(&self) {
        for text in [&self.stdout, &self.stderr] {
            for secret in [TOKEN, "X-Amz-Signature", "X-Amz-Credential", "Signature="] {
                assert!(!text.contains(secret), "{secret} printed:\n{text}");
            }
        }
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Env {
    pub fn faults(&self) -> u64 {
        self.proxy
            .stats
            .faults
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn store_requests(&self) -> u64 {
        self.proxy
            .stats
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn object(&self, key: &str) -> Vec<u8> {
        let out = self
            .s3
            .get_object()
            .bucket(self.garage.bucket())
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("object {key}: {e:?}"));
        out.body.collect().await.unwrap().into_bytes().to_vec()
    }

    /// Multipart uploads in progress: `(key, upload id)`.
    pub async fn uploads(&self) -> Vec<(String, String)> {
        let out = self
            .s3
            .list_multipart_uploads()
            .bucket(self.garage.bucket())
            .send()
            .await
            .expect("list uploads");
        out.uploads()
            .iter()
            .map(|u| {
                (
                    u.key().unwrap_or("").to_owned(),
                    u.upload_id().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// What the store holds, for failure messages: each upload in
    /// progress with its parts `(number, size, etag)`.
    pub async fn describe(&self) -> String {
        let mut out = String::new();
        for (key, id) in self.uploads().await {
            let parts = self
                .s3
                .list_parts()
                .bucket(self.garage.bucket())
                .key(&key)
                .upload_id(&id)
                .send()
                .await;
            let parts: Vec<String> = parts
                .map(|o| {
                    o.parts()
                        .iter()
                        .map(|p| {
                            format!(
                                "{}:{}:{}",
                                p.part_number().unwrap_or(0),
                                p.size().unwrap_or(0),
                                p.e_tag().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push_str(&format!("upload {id}: {parts:?}\n"));
        }
        out
    }

    /// Parts the store holds for an upload.
    pub async fn parts(&self, key: &str, upload_id: &str) -> usize {
        match self
            .s3
            .list_parts()
            .bucket(self.garage.bucket())
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(out) => out.parts().len(),
            Err(_) => 0,
        }
    }
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
