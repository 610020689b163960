//! A fault-injecting HTTP/1.1 proxy on loopback, for reliability tests.
//!
//! It sits between the browser and the store (or the signer) and, with
//! seeded randomness, answers some requests itself: 500, 503, 429 with
//! `Retry-After`, a connection reset in the middle of the body, a stall
//! (bytes accepted, then nothing), or an expired-URL answer (Garage's 400
//! "Date is too old"). It can also add latency and cap bandwidth. Preflight
//! `OPTIONS` requests always pass, so CORS keeps working, and injected
//! answers carry CORS headers, so the browser can read them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to inject, and how often (each a probability in `0.0..=1.0`).
#[derive(Debug, Clone, Default)]
pub struct FaultSpec {
    /// Seed of the random stream.
    pub seed: u64,
    /// Only requests whose method is one of these can be faulted (empty: all but OPTIONS).
    pub methods: Vec<String>,
    /// Probability of a fault for an eligible request.
    pub rate: f64,
    /// Added latency per request, ms.
    pub latency_ms: u64,
    /// Bandwidth cap for request bodies, bytes per second (0: none).
    pub bytes_per_second: u64,
}

impl FaultSpec {
    /// Parses `seed=7,rate=0.1,methods=PUT+POST,latency=40,bandwidth=10485760`.
    pub fn parse(s: &str) -> Result<FaultSpec, String> {
        let mut f = FaultSpec::default();
        for kv in s.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("`{kv}` is not key=value"))?;
            let num = |v: &str| {
                v.parse::<f64>()
                    .map_err(|_| format!("`{v}` is not a number"))
            };
            match k {
                "seed" => f.seed = num(v)? as u64,
                "rate" => f.rate = num(v)?,
                "methods" => f.methods = v.split('+').map(str::to_ascii_uppercase).collect(),
                "latency" => f.latency_ms = num(v)? as u64,
                "bandwidth" => f.bytes_per_second = num(v)? as u64,
                other => return Err(format!("unknown fault setting `{other}`")),
            }
        }
        Ok(f)
    }
}

/// Counters of what the proxy did.
#[derive(Debug, Default)]
pub struct FaultStats {
    /// Requests seen (OPTIONS included).
    pub requests: AtomicU64,
    /// Requests answered with an injected fault.
    pub faults: AtomicU64,
    /// Request body bytes forwarded upstream.
    pub forwarded_bytes: AtomicU64,
}

/// The kinds of fault, picked uniformly.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Status500,
    Status503,
    TooMany,
    Reset,
    Stall,
    Expired,
}

const FAULTS: [Fault; 6] = [
    Fault::Status500,
    Fault::Status503,
    Fault::TooMany,
    Fault::Reset,
    Fault::Stall,
    Fault::Expired,
];

/// A running proxy. It lives until the process ends.
pub struct FaultProxy {
    port: u16,
    /// What it did so far.
    pub stats: Arc<FaultStats>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`127.0.0.1:port`).
    pub fn start(upstream: &str, spec: FaultSpec) -> FaultProxy {
        Self::round_robin(&[upstream.to_owned()], spec)
    }

    /// As [`FaultProxy::start`], spreading requests over `upstreams` in turn
    /// (a load balancer in front of signer replicas).
    pub fn round_robin(upstreams: &[String], spec: FaultSpec) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fault proxy");
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(FaultStats::default());
        let rng = Arc::new(Mutex::new(spec.seed ^ 0x9E37_79B9_7F4A_7C15));
        let upstreams: Arc<Vec<String>> = Arc::new(upstreams.to_vec());
        let spec = Arc::new(spec);
        let st = stats.clone();
        let turn = Arc::new(AtomicU64::new(0));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (spec, stats, rng) = (spec.clone(), st.clone(), rng.clone());
                let (upstreams, turn) = (upstreams.clone(), turn.clone());
                std::thread::spawn(move || {
                    let pick = move || {
                        upstreams[(turn.fetch_add(1, Ordering::Relaxed) as usize) % upstreams.len()]
                            .clone()
                    };
                    let _ = serve(conn, &pick, &spec, &stats, &rng);
                });
            }
        });
        FaultProxy { port, stats }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn next_random(rng: &Mutex<u64>) -> f64 {
    let mut x = rng.lock().unwrap();
    // splitmix64
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// One client connection: requests are served one at a time, each on a
/// fresh upstream connection.
fn serve(
    client: TcpStream,
    upstream: &dyn Fn() -> String,
    spec: &FaultSpec,
    stats: &FaultStats,
    rng: &Mutex<u64>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    // One request per client connection: the answer ends at EOF.
    let mut head = Vec::new();
    let mut content_length = 0u64;
    let mut method = String::new();
    let mut origin = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if method.is_empty() {
            method = line.split(' ').next().unwrap_or("").to_owned();
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("origin:") {
            origin = Some(line[7..].trim().to_owned());
        }
        if line == "\r\n" {
            break;
        }
        // One request per upstream connection: the answer ends at EOF.
        if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
            continue;
        }
        head.extend_from_slice(line.as_bytes());
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    stats.requests.fetch_add(1, Ordering::Relaxed);
    if spec.latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(spec.latency_ms));
    }
    let eligible =
        method != "OPTIONS" && (spec.methods.is_empty() || spec.methods.contains(&method));
    let fault = (eligible && next_random(rng) < spec.rate)
        .then(|| FAULTS[(next_random(rng) * FAULTS.len() as f64) as usize % FAULTS.len()]);
    if let Some(f) = fault {
        stats.faults.fetch_add(1, Ordering::Relaxed);
        let cors = format!(
            "Access-Control-Allow-Origin: {}\r\nAccess-Control-Expose-Headers: ETag, Retry-After\r\n",
            origin.as_deref().unwrap_or("*")
        );
        match f {
            Fault::Reset => {
                drain(&mut reader, content_length / 2)?;
                let _ = client.shutdown(Shutdown::Both);
                return Ok(());
            }
            Fault::Stall => {
                drain(&mut reader, content_length)?;
                // Hold the connection without answering until the client gives up.
                let mut buf = [0u8; 1];
                let _ = reader.read(&mut buf);
                return Ok(());
            }
            other => {
                drain(&mut reader, content_length)?;
                let (status, extra, body) = match other {
                    Fault::Status500 => ("500 Internal Server Error", "", "<Error><Code>InternalError</Code><Message>injected</Message></Error>"),
                    Fault::Status503 => ("503 Service Unavailable", "", "<Error><Code>SlowDown</Code><Message>injected</Message></Error>"),
                    Fault::TooMany => ("429 Too Many Requests", "Retry-After: 1\r\n", "<Error><Code>SlowDown</Code><Message>injected</Message></Error>"),
                    _ => ("400 Bad Request", "", "<Error><Code>InvalidRequest</Code><Message>Bad request: Date is too old</Message></Error>"),
                };
                write!(client, "HTTP/1.1 {status}\r\n{cors}{extra}Content-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
                let _ = client.shutdown(Shutdown::Write);
                return Ok(());
            }
        }
    }
    let mut up = TcpStream::connect(upstream())?;
    up.write_all(&head)?;
    copy_limited(
        &mut reader,
        &mut up,
        content_length,
        spec.bytes_per_second,
        stats,
    )?;
    std::io::copy(&mut up, &mut client)?;
    let _ = client.shutdown(Shutdown::Write);
    Ok(())
}

fn drain(r: &mut impl Read, n: u64) -> std::io::Result<()> {
    std::io::copy(&mut r.take(n), &mut std::io::sink())?;
    Ok(())
}

fn copy_limited(
    r: &mut impl Read,
    w: &mut impl Write,
    n: u64,
    bps: u64,
    stats: &FaultStats,
) -> std::io::Result<()> {
    let mut left = n;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = buf.len().min(left as usize);
        let got = r.read(&mut buf[..want])?;
        if got == 0 {
            break;
        }
        w.write_all(&buf[..got])?;
        left -= got as u64;
        stats
            .forwarded_bytes
            .fetch_add(got as u64, Ordering::Relaxed);
        if bps > 0 {
            std::thread::sleep(Duration::from_secs_f64(got as f64 / bps as f64));
        }
    }
    Ok(())
}
