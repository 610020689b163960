//! Garage on loopback: one node ([`Garage`]) or several ([`GarageCluster`]).

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{free_port, random_hex, tool, HttpResponse, StoreInfo, BOOTSTRAP};

/// The Garage release the harness is written for.
pub const GARAGE_VERSION: &str = "2.5.0";
/// The bucket every store starts with.
pub const BUCKET: &str = "s3lift-test";
const REGION: &str = "garage";
const KEY_NAME: &str = "s3lift-test-key";
const START_TIMEOUT: Duration = Duration::from_secs(30);
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

fn garage_bin() -> PathBuf {
    static CHECKED: OnceLock<PathBuf> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let bin = tool("garage");
            let version = Command::new(&bin)
                .arg("--version")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_else(|e| panic!("{} does not run ({e}): run `{BOOTSTRAP}`", bin.display()));
            if !version.contains(GARAGE_VERSION) {
                eprintln!(
                    "s3lift-testkit: {} is `{}`, the harness expects Garage {GARAGE_VERSION} (`{BOOTSTRAP}`)",
                    bin.display(),
                    version.trim()
                );
            }
            bin
        })
        .clone()
}

/// Runs the garage CLI with `-c config`, killed after `timeout`. `Ok(stdout)`
/// on success, `Err(stdout + stderr)` otherwise.
fn run_cli(config: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut child = Command::new(garage_bin())
        .arg("-c")
        .arg(config)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run garage: {e}"))?;
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let until = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    match status {
        Some(s) if s.success() => Ok(out),
        Some(s) => Err(format!("{out}{err}(exit {s})")),
        None => Err(format!("{out}{err}(killed after {timeout:?})")),
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ ... final byte in @..~
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One Garage process: its directory, config, ports and log.
pub struct GarageNode {
    index: usize,
    dir: PathBuf,
    config: PathBuf,
    log: PathBuf,
    rpc_port: u16,
    s3_port: u16,
    admin_port: u16,
    admin_token: String,
    rpc_secret: String,
    replication: usize,
    id: String,
    child: Option<Child>,
}

impl GarageNode {
    fn new(root: &Path, index: usize, rpc_secret: &str, replication: usize) -> GarageNode {
        let dir = root.join(format!("node{index}"));
        std::fs::create_dir_all(&dir).expect("node dir");
        let mut node = GarageNode {
            index,
            config: dir.join("garage.toml"),
            log: dir.join("garage.log"),
            dir,
            rpc_port: 0,
            s3_port: 0,
            admin_port: 0,
            admin_token: random_hex(16),
            rpc_secret: rpc_secret.to_owned(),
            replication,
            id: String::new(),
            child: None,
        };
        node.pick_ports();
        node
    }

    fn pick_ports(&mut self) {
        (self.rpc_port, self.s3_port, self.admin_port) = (free_port(), free_port(), free_port());
        let config = format!(
            r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
metadata_fsync = false
data_fsync = false
replication_factor = {replication}
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{token}"
"#,
            d = self.dir.display(),
            replication = self.replication,
            rpc = self.rpc_port,
            s3 = self.s3_port,
            admin = self.admin_port,
            secret = self.rpc_secret,
            token = self.admin_token,
        );
        std::fs::write(&self.config, config).expect("garage.toml");
    }

    /// First start: when a port was taken in the meantime, picks new ones.
    fn start_fresh(&mut self) {
        for attempt in 0..3 {
            match self.try_start() {
                Ok(()) => return,
                Err(e) if attempt < 2 && e.contains("in use") => {
                    eprintln!("s3lift-testkit: garage node {}: {e}; new ports", self.index);
                    self.pick_ports();
                }
                Err(e) => panic!("{e}"),
            }
        }
    }

    fn start(&mut self) {
        if let Err(e) = self.try_start() {
            panic!("{e}");
        }
    }

    /// Spawns the server and waits until its RPC and S3 ports accept connections.
    fn try_start(&mut self) -> Result<(), String> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("garage log");
        let level = std::env::var("S3LIFT_GARAGE_LOG").unwrap_or_else(|_| "garage=info".into());
        let child = Command::new(garage_bin())
            .arg("-c")
            .arg(&self.config)
            .arg("server")
            .env("RUST_LOG", level)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("garage log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start garage ({e}): run `{BOOTSTRAP}`"));
        self.child = Some(child);
        let until = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                self.child = None;
                let tail = self.log_tail();
                let why = if tail.contains("Address already in use") {
                    "a port is in use"
                } else {
                    "it exited"
                };
                return Err(format!(
                    "garage node {} did not start ({why}, {status}); log {}:\n{tail}",
                    self.index,
                    self.log.display()
                ));
            }
            let up = |p| TcpStream::connect(("127.0.0.1", p)).is_ok();
            if up(self.rpc_port) && up(self.s3_port) {
                return Ok(());
            }
            if Instant::now() > until {
                self.kill();
                return Err(format!(
                    "garage node {} did not open its ports within {START_TIMEOUT:?}; log {}:\n{}",
                    self.index,
                    self.log.display(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGKILL: a crash, not a clean shutdown.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The full node id (64 hex digits), known once the node has started.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its index in the cluster (0 for a single node).
    pub fn index(&self) -> usize {
        self.index
    }

    /// `http://127.0.0.1:<s3 port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The S3 API port.
    pub fn s3_port(&self) -> u16 {
        self.s3_port
    }

    /// `127.0.0.1:<rpc port>`.
    pub fn rpc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.rpc_port)
    }

    /// `http://127.0.0.1:<admin port>` (admin API v2; bearer [`Self::admin_token`]).
    pub fn admin_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.admin_port)
    }

    /// The admin API token.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The node's own directory (config, log, `meta/`, `data/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its `garage.toml`.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Its `data_dir` (object blocks).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Its `metadata_dir` (the sqlite database).
    pub fn meta_dir(&self) -> PathBuf {
        self.dir.join("meta")
    }

    /// Its log file (everything the server printed, across restarts).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last 40 lines of the log, colours stripped.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let text = strip_ansi(&text);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Whether the process runs (it has not been killed, and has not exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Runs `garage -c <config> <args>` against this node; panics with the
    /// output when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args).unwrap_or_else(|e| {
            panic!(
                "garage {} failed on node {}: {e}\nnode log:\n{}",
                args.join(" "),
                self.index,
                self.log_tail()
            )
        })
    }

    /// Runs the CLI: `Ok(stdout)`, or `Err(stdout + stderr)`.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        run_cli(&self.config, args, CLI_TIMEOUT)
    }

    /// Retries a CLI command while the cluster settles; an error containing
    /// one of `ok_errors` counts as done (a retried create that had worked).
    fn cli_retry(&self, args: &[&str], ok_errors: &[&str]) -> String {
        let until = Instant::now() + START_TIMEOUT;
        loop {
            match run_cli(&self.config, args, Duration::from_secs(15)) {
                Ok(out) => return out,
                Err(e) if ok_errors.iter().any(|s| e.contains(s)) => return e,
                Err(e) if Instant::now() > until => panic!(
                    "garage {} kept failing for {START_TIMEOUT:?}: {e}\nnode {} log:\n{}",
                    args.join(" "),
                    self.index,
                    self.log_tail()
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    fn read_id(&mut self) {
        let out = self.cli_retry(&["node", "id", "-q"], &[]);
        self.id = out.trim().split('@').next().unwrap_or("").to_owned();
        assert_eq!(self.id.len(), 64, "unexpected `garage node id -q`: {out}");
    }

    /// Waits until a signed `ListObjectsV2` on `bucket` answers 200 here.
    fn wait_s3_ready(&self, store: &StoreInfo, timeout: Duration) {
        let until = Instant::now() + timeout;
        loop {
            let last = store.request("GET", &format!("/{}", store.bucket), &[("list-type", "2")], b"");
            match &last {
                Ok(r) if r.status == 200 => return,
                _ if Instant::now() > until => panic!(
                    "garage node {} S3 API not ready after {timeout:?} (last answer: {}); log {}:\n{}",
                    self.index,
                    match &last {
                        Ok(r) => format!("{} {}", r.status, r.text()),
                        Err(e) => e.to_string(),
                    },
                    self.log.display(),
                    self.log_tail()
                ),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for GarageNode {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Key and bucket of a running set of nodes.
struct Credentials {
    access_key: String,
    secret_key: String,
}

/// Starts `n` nodes in `root`, connects them, applies a layout (one zone
/// each), imports a key and creates [`BUCKET`] with read, write and owner
/// rights for it. Returns once every node serves a signed list of the bucket.
fn bring_up(root: &Path, n: usize, replication: usize) -> (Vec<GarageNode>, Credentials) {
    let secret = random_hex(32);
    let mut nodes: Vec<GarageNode> = (0..n)
        .map(|i| GarageNode::new(root, i, &secret, replication))
        .collect();
    for node in &mut nodes {
        node.start_fresh();
    }
    for node in &mut nodes {
        node.read_id();
    }
    let first = &nodes[0];
    for other in &nodes[1..] {
        first.cli_retry(
            &["node", "connect", &format!("{}@{}", other.id, other.rpc_addr())],
            &[],
        );
    }
    for node in &nodes {
        let zone = format!("dc{}", node.index + 1);
        first.cli_retry(&["layout", "assign", "-z", &zone, "-c", "1G", &node.id], &[]);
    }
    first.cli_retry(&["layout", "apply", "--version", "1"], &[]);
    // Garage key ids are `GK` + 24 hex digits, secrets 64 hex digits.
    let creds = Credentials {
        access_key: format!("GK{}", random_hex(12)),
        secret_key: random_hex(32),
    };
    first.cli_retry(
        &[
            "key",
            "import",
            "--yes",
            "-n",
            KEY_NAME,
            &creds.access_key,
            &creds.secret_key,
        ],
        &["KeyAlreadyExists"],
    );
    create_bucket_on(first, &creds.access_key, BUCKET);
    for node in &nodes {
        node.wait_s3_ready(&store_info(node, &creds, BUCKET), START_TIMEOUT);
    }
    (nodes, creds)
}

fn create_bucket_on(node: &GarageNode, access_key: &str, name: &str) {
    node.cli_retry(&["bucket", "create", name], &["BucketAlreadyExists"]);
    // By key id: Garage lets two keys share a name, and a name then fails.
    node.cli_retry(
        &[
            "bucket", "allow", "--read", "--write", "--owner", name, "--key", access_key,
        ],
        &[],
    );
}

fn store_info(node: &GarageNode, creds: &Credentials, bucket: &str) -> StoreInfo {
    StoreInfo {
        endpoint: node.endpoint(),
        region: REGION.into(),
        bucket: bucket.into(),
        access_key: creds.access_key.clone(),
        secret_key: creds.secret_key.clone(),
    }
}

fn temp_root(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("temp dir")
}

/// One Garage node on loopback in a temp dir: replication factor 1, sqlite,
/// a key with read, write and owner rights on the bucket `s3lift-test`.
/// Dropping it kills the process and deletes the directory.
pub struct Garage {
    // Declared before `root`: the process dies before its directory goes.
    node: GarageNode,
    creds: Credentials,
    root: tempfile::TempDir,
}

impl Garage {
    /// Starts the node and waits until its S3 API serves the bucket
    /// (bounded; panics with the log tail).
    pub fn start() -> Garage {
        let root = temp_root("s3lift-garage-");
        let (mut nodes, creds) = bring_up(root.path(), 1, 1);
        Garage {
            node: nodes.remove(0),
            creds,
            root,
        }
    }

    /// The node itself.
    pub fn node(&self) -> &GarageNode {
        &self.node
    }

    /// `http://127.0.0.1:<port>` (path-style).
    pub fn endpoint(&self) -> String {
        self.node.endpoint()
    }

    /// The S3 region Garage answers for: `garage`.
    pub fn region(&self) -> &str {
        REGION
    }

    /// The test bucket, `s3lift-test`.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// Access key id with read, write and owner rights on the bucket.
    pub fn access_key(&self) -> &str {
        &self.creds.access_key
    }

    /// Its secret.
    pub fn secret_key(&self) -> &str {
        &self.creds.secret_key
    }

    /// All of the above in one value (with [`StoreInfo::signer_env`] and
    /// [`StoreInfo::request`]).
    pub fn store(&self) -> StoreInfo {
        store_info(&self.node, &self.creds, BUCKET)
    }

    /// A signed S3 request with the bucket owner's key (see [`StoreInfo::request`]).
    pub fn s3(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        self.store().request(method, path, query, body)
    }

    /// The temp dir holding everything.
    pub fn dir(&self) -> &Path {
        self.root.path()
    }

    /// Garage's `data_dir` (object blocks).
    pub fn data_dir(&self) -> PathBuf {
        self.node.data_dir()
    }

    /// The `garage.toml` the CLI needs (`garage -c <it> …`).
    pub fn config_path(&self) -> &Path {
        self.node.config_path()
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        self.node.log_path()
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        self.node.log_tail()
    }

    /// Runs the garage CLI (`&["bucket", "list"]`); panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        self.node.cli(args)
    }

    /// Runs the garage CLI: `Ok(stdout)` or `Err(stdout + stderr)`.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        self.node.try_cli(args)
    }

    /// Creates another bucket with the same key's rights (idempotent).
    pub fn create_bucket(&self, name: &str) {
        create_bucket_on(&self.node, &self.creds.access_key, name);
    }

    /// Whether the server runs.
    pub fn is_running(&mut self) -> bool {
        self.node.is_running()
    }

    /// Kills the server (SIGKILL: a store outage). Data and ports stay.
    pub fn stop(&mut self) {
        self.node.kill();
    }

    /// Starts it again on the same ports with the same data, and waits until
    /// the bucket is served. Does nothing to a running server but wait.
    pub fn restart(&mut self) {
        self.node.start();
        self.node.wait_s3_ready(&self.store(), START_TIMEOUT);
    }
}

/// N Garage nodes on loopback (3 by default): replication factor `min(N, 3)`,
/// one zone per node (`dc1`, `dc2`…), all connected, layout applied, a key
/// with read, write and owner rights on `s3lift-test`.
pub struct GarageCluster {
    nodes: Vec<GarageNode>,
    creds: Credentials,
    root: tempfile::TempDir,
}

impl GarageCluster {
    /// Three nodes.
    pub fn start() -> GarageCluster {
        Self::with_nodes(3)
    }

    /// `n` nodes (`n >= 1`). Returns once every node serves the bucket and
    /// the cluster reports itself healthy.
    pub fn with_nodes(n: usize) -> GarageCluster {
        assert!(n >= 1, "a cluster needs at least one node");
        let root = temp_root("s3lift-garage-cluster-");
        let (nodes, creds) = bring_up(root.path(), n, n.min(3));
        let cluster = GarageCluster { nodes, creds, root };
        cluster.wait_healthy(START_TIMEOUT);
        cluster
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never true: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i`.
    pub fn node(&self, i: usize) -> &GarageNode {
        &self.nodes[i]
    }

    /// All nodes.
    pub fn nodes(&self) -> &[GarageNode] {
        &self.nodes
    }

    /// S3 endpoint of node `i`.
    pub fn endpoint(&self, i: usize) -> String {
        self.nodes[i].endpoint()
    }

    /// The S3 region: `garage`.
    pub fn region(&self) -> &str {
        REGION
    }

    /// The test bucket, `s3lift-test`.
    pub fn bucket(&self) -> &str {
        BUCKET
    }

    /// Access key id with read, write and owner rights on the bucket.
    pub fn access_key(&self) -> &str {
        &self.creds.access_key
    }

    /// Its secret.
    pub fn secret_key(&self) -> &str {
        &self.creds.secret_key
    }

    /// Endpoint of node `i` and the credentials.
    pub fn store(&self, i: usize) -> StoreInfo {
        store_info(&self.nodes[i], &self.creds, BUCKET)
    }

    /// The temp dir holding every node's directory.
    pub fn dir(&self) -> &Path {
        self.root.path()
    }

    /// The last lines of node `i`'s log.
    pub fn log_tail(&self, i: usize) -> String {
        self.nodes[i].log_tail()
    }

    fn live_node(&self) -> &GarageNode {
        self.nodes
            .iter()
            .find(|n| n.child.is_some())
            .unwrap_or(&self.nodes[0])
    }

    /// Runs the garage CLI on the first live node; panics when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        self.live_node().cli(args)
    }

    /// Runs the garage CLI on the first live node: `Ok(stdout)` or `Err(output)`.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        self.live_node().try_cli(args)
    }

    /// `garage status` as seen by the first live node.
    pub fn status(&self) -> String {
        self.cli(&["status"])
    }

    /// Whether `garage health` says HEALTHY (every partition fully replicated
    /// on live nodes).
    pub fn is_healthy(&self) -> bool {
        self.try_cli(&["health"])
            .is_ok_and(|out| out.contains("HEALTHY") && !out.contains("UNAVAILABLE"))
    }

    /// Waits for [`Self::is_healthy`]; panics with `garage status` after `timeout`.
    pub fn wait_healthy(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        while !self.is_healthy() {
            if Instant::now() > until {
                panic!(
                    "cluster not healthy after {timeout:?}:\n{}\n{}",
                    self.try_cli(&["status"]).unwrap_or_else(|e| e),
                    self.try_cli(&["health"]).unwrap_or_else(|e| e),
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Creates another bucket with the same key's rights (idempotent).
    pub fn create_bucket(&self, name: &str) {
        create_bucket_on(self.live_node(), &self.creds.access_key, name);
    }

    /// Kills node `i` (SIGKILL). Its data and ports stay.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Starts node `i` again (same ports and data), then waits until it
    /// serves the bucket and the cluster is healthy.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].start();
        self.nodes[i].wait_s3_ready(&self.store(i), START_TIMEOUT);
        self.wait_healthy(Duration::from_secs(60));
    }

    /// Kills every node (a whole-store outage).
    pub fn stop_all(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
    }

    /// Starts every killed node and waits for a healthy cluster.
    pub fn restart_all(&mut self) {
        for n in &mut self.nodes {
            n.start();
        }
        for i in 0..self.nodes.len() {
            self.nodes[i].wait_s3_ready(&self.store(i), START_TIMEOUT);
        }
        self.wait_healthy(Duration::from_secs(60));
    }
}
