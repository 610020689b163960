//! Test harness for s3lift: real Garage nodes on loopback, and the signer as a
//! process.
//!
//! Nothing here skips a test: a missing tool panics with the command that
//! installs it (`scripts/bootstrap.sh test`).
//!
//! * [`Garage`]: one node, replication factor 1, a key and the bucket `s3lift-test`.
//! * [`GarageCluster`]: N nodes (3 by default), one zone each, same key and bucket.
//! * [`Signer`]: the signer binary on a free port, its output in a log file.
//! * [`tool`], [`free_port`], [`sha256_hex`], [`http`] and [`StoreInfo::request`]
//!   (a SigV4-signed S3 request) as small blocking helpers.

pub mod faultproxy;
mod garage;
mod signer;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

pub use garage::{Garage, GarageCluster, GarageNode, BUCKET, GARAGE_VERSION};
pub use signer::Signer;

/// The bootstrap command named in every "tool missing" message.
pub const BOOTSTRAP: &str = "scripts/bootstrap.sh test` (or `just bootstrap";

/// The tool cache: `$S3LIFT_CACHE`, by default `~/.cache/s3lift`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("S3LIFT_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache")
            .join("s3lift"),
    }
}

/// Where cached tools live: `$S3LIFT_CACHE/bin`.
pub fn cache_bin() -> PathBuf {
    cache_dir().join("bin")
}

/// Finds a tool (`garage`, `chromium`, `wasm-bindgen`…): the `S3LIFT_<NAME>`
/// override (`S3LIFT_GARAGE`, `S3LIFT_WASM_BINDGEN`), then `$S3LIFT_CACHE/bin`,
/// then `PATH`. Panics with the bootstrap command when it is nowhere.
pub fn tool(name: &str) -> PathBuf {
    let var = format!("S3LIFT_{}", name.to_ascii_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            panic!("${var} is {}, which is not a file", p.display());
        }
        return p;
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
    let what = if name == "garage" {
        format!("garage {GARAGE_VERSION}")
    } else {
        name.to_owned()
    };
    panic!(
        "{what} not found (looked at ${var}, {}, PATH): run `{BOOTSTRAP}`",
        cached.display()
    );
}

/// A free TCP port on loopback. The port is bound then released, so another
/// process could take it in between; within this process a port is never
/// handed out twice.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port on 127.0.0.1");
        if given.insert(port) {
            return port;
        }
    }
    panic!("no fresh free port after 100 tries");
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

/// `bytes` random bytes, hex encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("randomness");
    hex::encode(buf)
}

/// An HTTP answer read by [`http`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A blocking HTTP/1.1 request to `url` (`http://host:port/path?query`, no
/// TLS), `Connection: close`, 10 s read timeout. `Host` and `Content-Length`
/// are added.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_owned());
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs"))?;
    let (host, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head_only: bool) -> std::io::Result<HttpResponse> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if head_only {
        body.clear();
    } else if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The status of a blocking `GET http://127.0.0.1:<port><path>`, or `None`
/// when nothing answers.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    http("GET", &format!("http://127.0.0.1:{port}{path}"), &[], &[])
        .ok()
        .map(|r| r.status)
}

/// Where a store is and the key that owns its bucket: what a signer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// SigV4 region (`garage`).
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// Access key id (`GK…`).
    pub access_key: String,
    /// Its secret.
    pub secret_key: String,
}

impl StoreInfo {
    /// The signer's environment for this store: `S3LIFT_S3_ENDPOINT`,
    /// `S3LIFT_S3_REGION`, `S3LIFT_S3_BUCKET`, `S3LIFT_S3_PATH_STYLE=true`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`.
    pub fn signer_env(&self) -> Vec<(String, String)> {
        vec![
            ("S3LIFT_S3_ENDPOINT".into(), self.endpoint.clone()),
            ("S3LIFT_S3_REGION".into(), self.region.clone()),
            ("S3LIFT_S3_BUCKET".into(), self.bucket.clone()),
            ("S3LIFT_S3_PATH_STYLE".into(), "true".into()),
            ("AWS_ACCESS_KEY_ID".into(), self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret_key.clone()),
        ]
    }

    /// A SigV4-signed path-style request: `path` is raw (`/bucket/some key`,
    /// encoded here), `query` raw pairs. Example: `request("GET",
    /// "/s3lift-test", &[("list-type", "2")], b"")`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        let host = self.endpoint.trim_start_matches("http://");
        let host = host.trim_end_matches('/');
        let uri: String = path
            .split('/')
            .map(|seg| uri_encode(seg, false))
            .collect::<Vec<_>>()
            .join("/");
        let uri = if uri.starts_with('/') {
            uri
        } else {
            format!("/{uri}")
        };
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        pairs.sort();
        let query_string = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let (date, day) = amz_date(SystemTime::now());
        let payload = sha256_hex(body);
        let canonical = format!(
            "{method}\n{uri}\n{query_string}\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
        );
        let scope = format!("{day}/{}/s3/aws4_request", self.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            sha256_hex(canonical)
        );
        let mut key = hmac_sha256(format!("AWS4{}", self.secret_key).as_bytes(), day.as_bytes());
        for part in [self.region.as_str(), "s3", "aws4_request"] {
            key = hmac_sha256(&key, part.as_bytes());
        }
        let signature = hex::encode(hmac_sha256(&key, to_sign.as_bytes()));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.access_key
        );
        let url = if query_string.is_empty() {
            format!("http://{host}{uri}")
        } else {
            format!("http://{host}{uri}?{query_string}")
        };
        http(
            method,
            &url,
            &[
                ("x-amz-date", &date),
                ("x-amz-content-sha256", &payload),
                ("Authorization", &auth),
            ],
            body,
        )
    }
}

fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(k.map(|b| b ^ 0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(k.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// `(20250102T030405Z, 20250102)` for SigV4.
fn amz_date(t: SystemTime) -> (String, String) {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let day = format!("{y:04}{m:02}{d:02}");
    let time = format!(
        "{day}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    (time, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let t = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(amz_date(t(0)).0, "19700101T000000Z");
        assert_eq!(amz_date(t(951_782_400)).1, "20000229");
        assert_eq!(amz_date(t(1_735_787_045)).0, "20250102T030405Z");
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn sha_and_chunks() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert_eq!(uri_encode("/a b/ü", false), "/a%20b/%C3%BC");
    }

    #[test]
    fn ports_are_not_handed_out_twice() {
        let ports: HashSet<u16> = (0..50).map(|_| free_port()).collect();
        assert_eq!(ports.len(), 50);
    }
}
