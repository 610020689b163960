//! Test harness for s3lift: real Garage nodes on loopback, and the signer as a
//! process. Nothing here skips a test: a missing tool panics with the command
//! that installs it.

pub mod faultproxy;

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
pub fn free_port() -> u16 {
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
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
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

struct Node {
    dir: PathBuf,
    config: PathBuf,
    rpc_port: u16,
    s3_port: u16,
    child: Option<Child>,
}

impl Node {
    fn new(root: &Path, index: usize, secret: &str, replication: usize) -> Node {
        let dir = root.join(format!("node{index}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (rpc_port, s3_port, admin_port) = (free_port(), free_port(), free_port());
        let config = dir.join("garage.toml");
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
metadata_fsync = false
data_fsync = false
replication_factor = {replication}
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin_port}"
admin_token = "{admin}"
"#,
                d = dir.display(),
                admin = random_hex(16),
            ),
        )
        .unwrap();
        Node {
            dir,
            config,
            rpc_port,
            s3_port,
            child: None,
        }
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("garage.log"))
            .unwrap();
        let child = Command::new(tool("garage"))
            .arg("-c")
            .arg(&self.config)
            .arg("server")
            .env("RUST_LOG", "garage=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start garage ({e}): run `{BOOTSTRAP}`"));
        self.child = Some(child);
        if !wait_for_port(self.rpc_port, Duration::from_secs(20))
            || !wait_for_port(self.s3_port, Duration::from_secs(20))
        {
            panic!("garage did not start:\n{}", self.log_tail());
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("garage.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Runs the garage CLI against this node's config.
    fn run(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        Command::new(tool("garage"))
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .output()
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = self.run(args).expect("garage cli runs");
        if !out.status.success() {
            panic!(
                "garage {} failed: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Retries a CLI command while the cluster is still settling.
    fn cli_retry(&self, args: &[&str]) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.run(args).expect("garage cli runs");
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            if Instant::now() > until {
                panic!(
                    "garage {} kept failing: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn id(&self) -> String {
        self.cli_retry(&["node", "id", "-q"]).trim().to_owned()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Garage nodes on loopback (one, or a cluster) with one key and one bucket.
pub struct Garage {
    _root: tempfile::TempDir,
    nodes: Vec<Node>,
    access_key: String,
    secret_key: String,
    bucket: String,
}

impl Garage {
    /// One node, replication factor 1, bucket `s3lift-test`.
    pub fn start() -> Garage {
        Self::cluster(1)
    }

    /// `n` nodes, replication factor `n`, one zone per node, all connected.
    pub fn cluster(n: usize) -> Garage {
        let root = tempfile::Builder::new()
            .prefix("s3lift-garage-")
            .tempdir()
            .expect("temp dir");
        let secret = random_hex(32);
        let mut nodes: Vec<Node> = (0..n)
            .map(|i| Node::new(root.path(), i, &secret, n))
            .collect();
        for node in &mut nodes {
            node.start();
        }
        let ids: Vec<String> = nodes.iter().map(Node::id).collect();
        for id in &ids[1..] {
            nodes[0].cli_retry(&["node", "connect", id]);
        }
        for (i, id) in ids.iter().enumerate() {
            let short = id.split('@').next().unwrap();
            nodes[0].cli_retry(&[
                "layout",
                "assign",
                "-z",
                &format!("dc{}", i + 1),
                "-c",
                "1G",
                short,
            ]);
        }
        nodes[0].cli_retry(&["layout", "apply", "--version", "1"]);
        let access_key = format!("GK{}", random_hex(12));
        let secret_key = random_hex(32);
        let bucket = "s3lift-test".to_owned();
        nodes[0].cli_retry(&[
            "key",
            "import",
            "--yes",
            "-n",
            "s3lift",
            &access_key,
            &secret_key,
        ]);
        nodes[0].cli_retry(&["bucket", "create", &bucket]);
        nodes[0].cli_retry(&[
            "bucket", "allow", "--read", "--write", "--owner", &bucket, "--key", "s3lift",
        ]);
        let garage = Garage {
            _root: root,
            nodes,
            access_key,
            secret_key,
            bucket,
        };
        garage.wait_ready(0);
        garage
    }

    /// Waits until node `i`'s S3 API answers a bucket request (not 5xx).
    fn wait_ready(&self, i: usize) {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            match http_status(self.nodes[i].s3_port, &format!("/{}", self.bucket)) {
                Some(s) if s < 500 => return,
                _ if Instant::now() > until => {
                    panic!("garage S3 API not ready:\n{}", self.nodes[i].log_tail())
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// S3 endpoint of the first node.
    pub fn endpoint(&self) -> String {
        self.endpoint_of(0)
    }

    /// S3 endpoint of node `i`.
    pub fn endpoint_of(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].s3_port)
    }

    /// The S3 region Garage answers for.
    pub fn region(&self) -> &str {
        "garage"
    }

    /// The test bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Access key id with read, write and owner rights on the bucket.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Its secret.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Config file of node `i`, for the CLI.
    pub fn config_path(&self, i: usize) -> &Path {
        &self.nodes[i].config
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Runs the garage CLI against the first live node.
    pub fn cli(&self, args: &[&str]) -> String {
        self.live_node().cli(args)
    }

    /// The first running node (the first node when none runs).
    fn live_node(&self) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.child.is_some())
            .unwrap_or(&self.nodes[0])
    }

    /// Runs the garage CLI and returns stdout and stderr, whatever the exit status.
    pub fn cli_lenient(&self, args: &[&str]) -> String {
        match self.live_node().run(args) {
            Ok(o) => format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => e.to_string(),
        }
    }

    /// Creates another bucket with the same key's rights.
    pub fn create_bucket(&self, name: &str) {
        self.cli(&["bucket", "create", name]);
        self.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", name, "--key", "s3lift",
        ]);
    }

    /// Stops every node (a store outage).
    pub fn stop(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
    }

    /// Starts every stopped node again, same ports and data.
    pub fn restart(&mut self) {
        for n in &mut self.nodes {
            if n.child.is_none() {
                n.start();
            }
        }
        self.wait_ready(0);
    }

    /// Kills node `i` only.
    pub fn kill_node(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Restarts node `i` only.
    pub fn restart_node(&mut self, i: usize) {
        self.nodes[i].start();
        self.wait_ready(i);
    }

    /// The last lines of node `i`'s log.
    pub fn log_tail(&self, i: usize) -> String {
        self.nodes[i].log_tail()
    }
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

/// The signer binary as a child process on a free port.
pub struct Signer {
    bin: PathBuf,
    env: Vec<(String, String)>,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl Signer {
    /// Spawns `bin` with `env` (plus `S3LIFT_BIND`) and waits for `/healthz`.
    pub fn spawn(bin: &Path, env: &[(String, String)], log: &Path) -> Signer {
        let mut s = Signer {
            bin: bin.to_owned(),
            env: env.to_vec(),
            port: free_port(),
            log: log.to_owned(),
            child: None,
        };
        s.start();
        s
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("signer log");
        let child = Command::new(&self.bin)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("S3LIFT_BIND", format!("127.0.0.1:{}", self.port))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): run `./scripts/just build`",
                    self.bin.display()
                )
            });
        self.child = Some(child);
        let until = Instant::now() + Duration::from_secs(20);
        while http_status(self.port, "/healthz") != Some(200) {
            if Instant::now() > until {
                panic!("signer did not become healthy:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything the signer printed.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        self.kill();
    }
}
