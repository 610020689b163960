//! `s3lift-load`: a small closed-loop HTTP/1.1 load generator for the signer.
//!
//! ```text
//! s3lift-load --signer target/release/s3lift-signer [--seconds 20] [--connections 8] [--rss-seconds 60]
//! s3lift-load --base http://127.0.0.1:3020 --companion [--seconds 20] [--connections 8]
//! ```
//!
//! With `--signer`, it starts a Garage node and the signer in front of it;
//! with `--base`, it loads a signer already running (Companion's S3 routes
//! included, with `--companion`: no auth header, no size extension). Each
//! scenario keeps `connections` keep-alive connections busy for `seconds`
//! and prints one JSON line: requests/s, p50, p99, max, errors. With
//! `--rss-seconds`, the signer's resident memory is read before and after a
//! sustained run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use s3lift_testkit::{random_key_secret, store_env, Garage, Signer};

struct Target {
    host: String,
    auth: Option<String>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut signer_bin, mut base, mut seconds, mut connections, mut rss_seconds, mut companion) =
        (None::<PathBuf>, None::<String>, 20u64, 8usize, 0u64, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--signer" => signer_bin = args.next().map(PathBuf::from),
            "--base" => base = args.next(),
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds N")
            }
            "--connections" => {
                connections = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--connections N")
            }
            "--rss-seconds" => {
                rss_seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--rss-seconds N")
            }
            "--companion" => companion = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let mut _garage = None;
    let mut signer = None;
    let base = match (base, signer_bin) {
        (Some(b), _) => b,
        (None, Some(bin)) => {
            let g = Garage::start();
            let dir = tempfile::tempdir().unwrap();
            let mut env = store_env(&g);
            env.push((
                "S3LIFT_STATIC_TOKENS".into(),
                "load-token-0123456789=loader".into(),
            ));
            env.push(("S3LIFT_MAX_SIZE".into(), (100u64 << 30).to_string()));
            env.push(("S3LIFT_KEY_SECRET".into(), random_key_secret()));
            let s = Signer::spawn(&bin, &env, &dir.path().join("signer.log"));
            let url = s.url();
            signer = Some((s, dir));
            _garage = Some(g);
            url
        }
        _ => panic!("give --signer <bin> or --base <url>"),
    };
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let target = Target {
        host,
        auth: (!companion).then(|| "Bearer load-token-0123456789".to_owned()),
    };

    // One upload whose parts every signing request asks for.
    let size = if companion {
        String::new()
    } else {
        format!(",\"size\":{}", 100u64 * 8 * 1024 * 1024)
    };
    let create_body = format!("{{\"filename\":\"load.bin\",\"type\":\"application/octet-stream\",\"metadata\":{{}}{size}}}");
    let (status, body) = request(&target, "POST", "/s3/multipart", Some(&create_body));
    assert_eq!(status, 200, "create: {body}");
    let key = json_field(&body, "key");
    let id = json_field(&body, "uploadId");
    let key_q = encode(&key);
    let parts: Vec<String> = (1..=100).map(|n| n.to_string()).collect();
    let batch = format!(
        "/s3/multipart/{id}/batch?key={key_q}&partNumbers={}",
        parts.join(",")
    );
    let one = format!("/s3/multipart/{id}/1?key={key_q}");

    let pid = signer.as_ref().map(|(s, _)| s.pid());
    let scenarios: Vec<(&str, &str, String, Option<String>)> = vec![
        ("sign one part", "GET", one.clone(), None),
        ("sign a batch of 100 parts", "GET", batch.clone(), None),
        (
            "create multipart upload",
            "POST",
            "/s3/multipart".to_owned(),
            Some(create_body.clone()),
        ),
    ];
    for (name, method, path, body) in &scenarios {
        let r = run(
            &target,
            method,
            path,
            body.as_deref(),
            connections,
            Duration::from_secs(seconds),
        );
        println!(
            "{{\"scenario\":\"{name}\",\"connections\":{connections},\"seconds\":{seconds},\"requests\":{},\"rps\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2},\"errors\":{}}}",
            r.requests, r.rps, r.p50, r.p99, r.max, r.errors
        );
    }
    if let (Some(pid), true) = (pid, rss_seconds > 0) {
        let before = rss_kib(pid);
        let r = run(
            &target,
            "GET",
            &batch,
            None,
            connections,
            Duration::from_secs(rss_seconds),
        );
        let after = rss_kib(pid);
        println!(
            "{{\"scenario\":\"rss over a sustained batch run\",\"seconds\":{rss_seconds},\"requests\":{},\"errors\":{},\"rss_before_kib\":{before},\"rss_after_kib\":{after}}}",
            r.requests, r.errors
        );
    }
    drop(signer);
}

struct Outcome {
    requests: usize,
    errors: usize,
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn run(
    t: &Target,
    method: &str,
    path: &str,
    body: Option<&str>,
    connections: usize,
    dur: Duration,
) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|_| {
            let stop = stop.clone();
            let raw = raw_request(t, method, path, body);
            let host = t.host.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut errors = 0;
                let mut conn = Conn::open(&host);
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    match conn.roundtrip(&raw) {
                        Some(200) => lat.push(t0.elapsed().as_secs_f64() * 1000.0),
                        Some(_) => errors += 1,
                        None => {
                            errors += 1;
                            conn = Conn::open(&host);
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (l, e) = h.join().unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    Outcome {
        requests: all.len(),
        errors,
        rps: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        max: all.last().copied().unwrap_or(0.0),
    }
}

fn raw_request(t: &Target, method: &str, path: &str, body: Option<&str>) -> Vec<u8> {
    let mut r = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
        t.host
    );
    if let Some(a) = &t.auth {
        r.push_str(&format!("Authorization: {a}\r\n"));
    }
    if let Some(b) = body {
        r.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        ));
    } else {
        r.push_str("\r\n");
    }
    r.into_bytes()
}

struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(host: &str) -> Conn {
        let s = TcpStream::connect(host).expect("connect");
        s.set_nodelay(true).ok();
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Conn {
            reader: BufReader::new(s),
        }
    }

    /// Sends one request and reads one response; `None` on a broken connection.
    fn roundtrip(&mut self, raw: &[u8]) -> Option<u16> {
        self.reader.get_mut().write_all(raw).ok()?;
        let mut line = String::new();
        self.reader.read_line(&mut line).ok()?;
        let status: u16 = line.get(9..12)?.parse().ok()?;
        let mut len = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).ok()?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().ok()?;
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).ok()?;
                let n = usize::from_str_radix(line.trim(), 16).ok()?;
                let mut buf = vec![0; n + 2];
                self.reader.read_exact(&mut buf).ok()?;
                if n == 0 {
                    break;
                }
            }
        } else {
            let mut buf = vec![0; len];
            self.reader.read_exact(&mut buf).ok()?;
        }
        Some(status)
    }
}

fn request(t: &Target, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(&t.host).expect("connect");
    let mut raw = raw_request(t, method, path, body);
    // Ask for the connection to close, so the whole body is simply "read to end".
    let pos = raw.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    raw.splice(pos..pos, b"Connection: close\r\n".iter().copied());
    s.write_all(&raw).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.get(9..12).and_then(|v| v.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The string value of `"name":"…"` in a flat JSON object.
fn json_field(body: &str, name: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body.trim()).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .to_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
