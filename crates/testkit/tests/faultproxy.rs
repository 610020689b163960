//! The fault proxy's bursts, lost answers and in-flight counters, against
//! a small upstream on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use s3lift_testkit::faultproxy::{Fault, FaultProxy, FaultSpec};

/// An upstream that reports each request body it reads, waits for a go
/// on `gate` (when given), then answers `200 ok`.
fn upstream(gate: Option<mpsc::Receiver<()>>) -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    let gate = gate.map(std::sync::Mutex::new);
    std::thread::spawn(move || {
        let gate = std::sync::Arc::new(gate);
        for conn in listener.incoming().flatten() {
            let (tx, gate) = (tx.clone(), gate.clone());
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    r.read_line(&mut line).unwrap();
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).unwrap();
                tx.send(body).unwrap();
                if let Some(g) = gate.as_ref() {
                    g.lock().unwrap().recv().unwrap();
                }
                let mut conn = conn;
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            });
        }
    });
    (addr, rx)
}

/// Sends one request through the proxy; returns everything it answered.
fn send(proxy: &FaultProxy, method: &str, body: &str) -> String {
    let addr = proxy.url().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} /b/k HTTP/1.1\r\nHost: x\r\nOrigin: http://page\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn parses_bursts_and_refuses_bad_ones() {
    let f = FaultSpec::parse("methods=PUT+POST,first=12,kind=503,retry-after=1").unwrap();
    assert_eq!(
        (f.first, f.kind, f.retry_after),
        (12, Some(Fault::Status503), Some(1))
    );
    assert_eq!(
        FaultSpec::parse("first=1,kind=lost").unwrap().kind,
        Some(Fault::Lost)
    );
    assert!(FaultSpec::parse("first=3").unwrap_err().contains("kind"));
    assert!(FaultSpec::parse("first=1,kind=teapot")
        .unwrap_err()
        .contains("teapot"));
}

#[test]
fn a_burst_faults_the_first_n_eligible_requests_then_passes() {
    let (up, bodies) = upstream(None);
    let spec = FaultSpec::parse("methods=PUT,first=2,kind=503,retry-after=1").unwrap();
    let proxy = FaultProxy::start(&up, spec);
    // Preflights and other methods are not eligible: they pass and use no burst.
    assert!(send(&proxy, "OPTIONS", "").starts_with("HTTP/1.1 200"));
    assert!(send(&proxy, "POST", "p").starts_with("HTTP/1.1 200"));
    for _ in 0..2 {
        let a = send(&proxy, "PUT", "x");
        assert!(a.starts_with("HTTP/1.1 503"), "{a}");
        assert!(
            a.contains("Retry-After: 1\r\n") && a.contains("SlowDown"),
            "{a}"
        );
        assert!(
            a.contains("Access-Control-Allow-Origin: http://page"),
            "{a}"
        );
    }
    assert!(send(&proxy, "PUT", "y").starts_with("HTTP/1.1 200"));
    assert_eq!(proxy.stats.faults.load(Ordering::SeqCst), 2);
    assert_eq!(proxy.stats.requests.load(Ordering::SeqCst), 5);
    let seen: Vec<Vec<u8>> = bodies.try_iter().collect();
    assert_eq!(seen, [b"".to_vec(), b"p".to_vec(), b"y".to_vec()]);
}

#[test]
fn a_lost_answer_reaches_the_store_but_not_the_client() {
    let (up, bodies) = upstream(None);
    let proxy = FaultProxy::start(&up, FaultSpec::default());
    proxy.burst(1, Fault::Lost);
    assert_eq!(send(&proxy, "PUT", "hello"), "", "no answer at all");
    assert_eq!(bodies.recv().unwrap(), b"hello", "the store got the bytes");
    assert_eq!(proxy.stats.faults.load(Ordering::SeqCst), 1);
    assert!(
        send(&proxy, "PUT", "again").ends_with("ok"),
        "the next one passes"
    );
    assert_eq!(proxy.stats.faults.load(Ordering::SeqCst), 1);
}

#[test]
fn counts_requests_in_flight_and_their_peak() {
    let (go, gate) = mpsc::channel();
    let (up, bodies) = upstream(Some(gate));
    let proxy = std::sync::Arc::new(FaultProxy::start(&up, FaultSpec::default()));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let p = proxy.clone();
            std::thread::spawn(move || send(&p, "PUT", "z"))
        })
        .collect();
    for _ in 0..3 {
        bodies.recv().unwrap(); // all three are upstream, held by the gate
    }
    assert_eq!(proxy.stats.in_flight.load(Ordering::SeqCst), 3);
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 3);
    for _ in 0..3 {
        go.send(()).unwrap();
    }
    for c in clients {
        assert!(c.join().unwrap().ends_with("ok"));
    }
    wait_idle(&proxy);
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 3);
    // A burst starts a new peak, and again when it ends: what ran during the
    // burst does not count. Faulted requests never count as in flight;
    // forwarded ones (preflights too) do.
    proxy.burst(1, Fault::Status503);
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 0);
    let held: Vec<_> = (0..2)
        .map(|_| {
            let p = proxy.clone();
            std::thread::spawn(move || send(&p, "OPTIONS", ""))
        })
        .collect();
    bodies.recv().unwrap();
    bodies.recv().unwrap();
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 2);
    go.send(()).unwrap();
    go.send(()).unwrap();
    held.into_iter()
        .for_each(|h| assert!(h.join().unwrap().ends_with("ok")));
    wait_idle(&proxy);
    assert!(send(&proxy, "PUT", "w").starts_with("HTTP/1.1 503"));
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 0);
    go.send(()).unwrap();
    assert!(send(&proxy, "OPTIONS", "").ends_with("ok"));
    assert_eq!(proxy.stats.peak_in_flight.load(Ordering::SeqCst), 1);
}

/// Waits until the proxy has written back every answer (it counts a
/// request out just after its last byte).
fn wait_idle(proxy: &FaultProxy) {
    let until = Instant::now() + Duration::from_secs(10);
    while proxy.stats.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(proxy.stats.in_flight.load(Ordering::SeqCst), 0);
}
