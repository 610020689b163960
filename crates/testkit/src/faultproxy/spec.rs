//! What to inject: [`FaultSpec`] and its text form, and the kinds of [`Fault`].

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

pub(super) const FAULTS: [Fault; 6] = [
    Fault::Status500,
    Fault::Status503,
    Fault::TooMany,
    Fault::Reset,
    Fault::Stall,
    Fault::Expired,
];
