//! Test harness for s3lift: real Garage nodes on loopback, and the signer as a
//! process. Nothing here skips a test: a missing tool panics with the command
//! that installs it.

pub mod faultproxy;
mod garage;
mod signer;

pub use garage::Garage;
pub use signer::Signer;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bootstrap command named in every "tool missing" message.
pub const BOOTSTRAP: &str = "scripts/bootstrap.sh test (or ./scripts/just bootstrap)";

/// Where cached tools live: `$S3LIFT_CACHE/bin`, by default `~/.cache/s3lift/bin`.
pub fn cache_bin() -> PathBuf {
    let base = std::env::var_os("S3LIFT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache")
                .join("s3lift")
        });
    base.join("bin")
}

/// Finds a tool: `S3LIFT_<NAME>` override, the cache, then `PATH`. Panics
/// with the bootstrap command when it is nowhere.
pub fn tool(name: &str) -> PathBuf {
    let var = format!("S3LIFT_{}", name.to_ascii_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    let cached = cache_bin().join(name);
    if cached.is_file() {
        return cached;
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{name} not found (looked at ${var}, {}, PATH): run `{BOOTSTRAP}`",
        cached.display()
    );
}

/// A free TCP port on loopback (bound, then released).
///
/// It comes from below the kernel's ephemeral range (32768 and up here), so an
/// outgoing connection cannot take it as its source port before the server that
/// is meant to listen on it binds, and a wait for it cannot connect to itself.
/// The same process never hands out a port twice.
pub fn free_port() -> u16 {
    use std::sync::Mutex;
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..200 {
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).expect("randomness");
        let port = 20_000 + u16::from_le_bytes(b) % 12_000;
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("randomness");
    hex::encode(buf)
}

fn wait_for_port(port: u16, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        // A connection whose source port is the port itself is the kernel's
        // TCP self-connect, not a listener.
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            if s.local_addr().map(|a| a.port()).ok() != Some(port) {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A blocking `GET` on loopback; returns the status, or `None` when nothing answers.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The environment that points a signer at `garage`: endpoint, region,
/// bucket, path style and the bucket owner's credentials.
pub fn store_env(garage: &Garage) -> Vec<(String, String)> {
    vec![
        ("S3LIFT_S3_ENDPOINT".into(), garage.endpoint()),
        ("S3LIFT_S3_REGION".into(), garage.region().into()),
        ("S3LIFT_S3_BUCKET".into(), garage.bucket().into()),
        ("S3LIFT_S3_PATH_STYLE".into(), "true".into()),
        ("AWS_ACCESS_KEY_ID".into(), garage.access_key().into()),
        ("AWS_SECRET_ACCESS_KEY".into(), garage.secret_key().into()),
    ]
}

/// A fresh `S3LIFT_KEY_SECRET` (32 random bytes as hex). Give the same one to
/// every replica of a test: each accepts only keys made under its secret.
pub fn random_key_secret() -> String {
    random_hex(32)
}
