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

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod conn;
mod spec;

use self::conn::{serve, Faults};
pub use self::spec::{Fault, FaultSpec};

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
