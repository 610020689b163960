//! One client connection: read its request, then inject a fault or forward it upstream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use super::spec::FAULTS;
use super::{Fault, FaultSpec, FaultStats};

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
pub(super) fn serve(
    client: TcpStream,
    upstream: &dyn Fn() -> String,
    faults: &Faults,
) -> std::io::Result<()> {
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
pub(super) struct Faults<'a> {
    pub(super) spec: &'a FaultSpec,
    pub(super) stats: &'a FaultStats,
    pub(super) rng: &'a Mutex<u64>,
    pub(super) burst: &'a Mutex<(u64, Fault)>,
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
