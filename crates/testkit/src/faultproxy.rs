//! A fault-injecting HTTP/1.1 proxy on loopback, for reliability tests.
//!
//! It sits between the browser and the store (or the signer) and, with
//! seeded randomness, answers some requests itself: 500, 503, 429 with
//! `Retry-After`, a connection reset in the middle of the body, a stall
//! (bytes accepted, then nothing), or an expired-URL answer (Garage's 400
//! "Date is too old"), or a lost answer (the request reaches the store,
//! its answer does not reach the client). A burst (`first=N,kind=503`, or
//! [`FaultProxy::burst`] at run time) gives the next N requests one fault
//! kind before the random ones resume. It counts store requests in flight
//! and their peak. It can also add latency and cap bandwidth. Preflight
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
    /// The first this many eligible requests all get `kind`.
    pub first: u64,
    /// The fault of the `first` requests.
    pub kind: Option<Fault>,
    /// `Retry-After` seconds on injected 503 and 429 answers (default:
    /// none on a 503, 1 on a 429).
    pub retry_after: Option<u32>,
}

impl FaultSpec {
    /// Parses `seed=7,rate=0.1,methods=PUT+POST,latency=40,bandwidth=10485760`,
    /// plus `first=12,kind=503,retry-after=1` for a burst.
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
                "first" => f.first = num(v)? as u64,
                "kind" => f.kind = Some(Fault::parse(v)?),
                "retry-after" => f.retry_after = Some(num(v)? as u32),
                other => return Err(format!("unknown fault setting `{other}`")),
            }
        }
        if f.first > 0 && f.kind.is_none() {
            return Err("`first` needs a `kind`".into());
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
    /// Requests forwarded upstream (preflights too) whose answer is not
    /// yet written back: with one request per connection, a lower bound
    /// of what the client has in flight.
    pub in_flight: AtomicU64,
    /// The most `in_flight` reached since the last burst ended (or since
    /// start, or since [`FaultProxy::burst`] armed one).
    pub peak_in_flight: AtomicU64,
}

impl FaultStats {
    fn restart_peak(&self) {
        let now = self.in_flight.load(Ordering::SeqCst);
        self.peak_in_flight.store(now, Ordering::SeqCst);
    }
}

/// Counts one forwarded request in flight while it lives.
struct InFlight<'a>(&'a FaultStats);

impl<'a> InFlight<'a> {
    fn enter(stats: &'a FaultStats) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(stats)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The kinds of fault. Random faults are picked uniformly among all but
/// [`Fault::Lost`]; a burst names its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `500 InternalError` (`500`).
    Status500,
    /// `503 SlowDown` (`503`).
    Status503,
    /// `429 SlowDown` with `Retry-After` (`429`).
    TooMany,
    /// The connection is closed halfway through the body (`reset`).
    Reset,
    /// The body is taken, then nothing is answered (`stall`).
    Stall,
    /// Garage's `400 ... Date is too old` (`expired`).
    Expired,
    /// The store gets the whole request and answers; the client gets no
    /// answer and a closed connection (`lost`).
    Lost,
}

impl Fault {
    /// Parses `500`, `503`, `429`, `reset`, `stall`, `expired` or `lost`.
    pub fn parse(s: &str) -> Result<Fault, String> {
        Ok(match s {
            "500" => Fault::Status500,
            "503" => Fault::Status503,
            "429" => Fault::TooMany,
            "reset" => Fault::Reset,
            "stall" => Fault::Stall,
            "expired" => Fault::Expired,
            "lost" => Fault::Lost,
            other => return Err(format!("unknown fault kind `{other}`")),
        })
    }
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
    burst: Arc<Mutex<(u64, Fault)>>,
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
        let burst = Arc::new(Mutex::new((
            spec.first,
            spec.kind.unwrap_or(Fault::Status503),
        )));
        let upstreams: Arc<Vec<String>> = Arc::new(upstreams.to_vec());
        let spec = Arc::new(spec);
        let st = stats.clone();
        let turn = Arc::new(AtomicU64::new(0));
        let b = burst.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (spec, stats, rng) = (spec.clone(), st.clone(), rng.clone());
                let burst = b.clone();
                let (upstreams, turn) = (upstreams.clone(), turn.clone());
                std::thread::spawn(move || {
                    let pick = move || {
                        upstreams[(turn.fetch_add(1, Ordering::Relaxed) as usize) % upstreams.len()]
                            .clone()
                    };
                    let faults = Faults {
                        spec: &spec,
                        stats: &stats,
                        rng: &rng,
                        burst: &burst,
                    };
                    let _ = serve(conn, &pick, &faults);
                });
            }
        });
        FaultProxy { port, stats, burst }
    }

    /// From now on, the next `n` eligible requests get `kind`. The peak of
    /// requests in flight starts again from the current count, now and
    /// when the burst ends.
    pub fn burst(&self, n: u64, kind: Fault) {
        *self.burst.lock().unwrap() = (n, kind);
        self.stats.restart_peak();
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
fn serve(client: TcpStream, upstream: &dyn Fn() -> String, faults: &Faults) -> std::io::Result<()> {
    let stats = faults.stats;
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
    let spec = faults.spec;
    let eligible =
        method != "OPTIONS" && (spec.methods.is_empty() || spec.methods.contains(&method));
    let fault = if eligible { faults.pick() } else { None };
    // Requests that reach the store (preflights too) count as in flight.
    let _in_flight = matches!(fault, None | Some(Fault::Lost)).then(|| InFlight::enter(stats));
    if spec.latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(spec.latency_ms));
    }
    // A lost answer counts once the store has answered.
    if fault.is_some_and(|f| f != Fault::Lost) {
        stats.faults.fetch_add(1, Ordering::Relaxed);
    }
    let cors = format!(
        "Access-Control-Allow-Origin: {}\r\nAccess-Control-Expose-Headers: ETag, Retry-After\r\n",
        origin.as_deref().unwrap_or("*")
    );
    match fault {
        None | Some(Fault::Lost) => {}
        Some(Fault::Reset) => {
            drain(&mut reader, content_length / 2)?;
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        Some(Fault::Stall) => {
            drain(&mut reader, content_length)?;
            // Hold the connection without answering until the client gives up.
            let mut buf = [0u8; 1];
            let _ = reader.read(&mut buf);
            return Ok(());
        }
        Some(other) => {
            drain(&mut reader, content_length)?;
            let retry_after = |default: Option<u32>| {
                spec.retry_after
                    .or(default)
                    .map(|s| format!("Retry-After: {s}\r\n"))
                    .unwrap_or_default()
            };
            let slow_down = "<Error><Code>SlowDown</Code><Message>injected</Message></Error>";
            let (status, extra, body) = match other {
                Fault::Status500 => ("500 Internal Server Error", String::new(), "<Error><Code>InternalError</Code><Message>injected</Message></Error>"),
                Fault::Status503 => ("503 Service Unavailable", retry_after(None), slow_down),
                Fault::TooMany => ("429 Too Many Requests", retry_after(Some(1)), slow_down),
                _ => ("400 Bad Request", String::new(), "<Error><Code>InvalidRequest</Code><Message>Bad request: Date is too old</Message></Error>"),
            };
            write!(client, "HTTP/1.1 {status}\r\n{cors}{extra}Content-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
            let _ = client.shutdown(Shutdown::Write);
            return Ok(());
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
    if fault == Some(Fault::Lost) {
        // The store has the request and answers; the client never hears it.
        std::io::copy(&mut up, &mut std::io::sink())?;
        stats.faults.fetch_add(1, Ordering::Relaxed);
        let _ = client.shutdown(Shutdown::Both);
        return Ok(());
    }
    std::io::copy(&mut up, &mut client)?;
    let _ = client.shutdown(Shutdown::Write);
    Ok(())
}

/// How a proxy picks faults: its spec, random stream and pending burst.
struct Faults<'a> {
    spec: &'a FaultSpec,
    stats: &'a FaultStats,
    rng: &'a Mutex<u64>,
    burst: &'a Mutex<(u64, Fault)>,
}

impl Faults<'_> {
    /// The fault for the next eligible request: the burst's while it
    /// lasts, then a random one at the spec's rate.
    fn pick(&self) -> Option<Fault> {
        {
            let mut b = self.burst.lock().unwrap();
            if b.0 > 0 {
                b.0 -= 1;
                if b.0 == 0 {
                    // The peak counts what follows the burst.
                    self.stats.restart_peak();
                }
                return Some(b.1);
            }
        }
        (next_random(self.rng) < self.spec.rate)
            .then(|| FAULTS[(next_random(self.rng) * FAULTS.len() as f64) as usize % FAULTS.len()])
    }
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
