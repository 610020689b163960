//! Garage nodes on loopback: one node or a cluster, with a bucket and its key.

use super::*;

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
        if let Err(e) = self.try_start() {
            panic!("{e}");
        }
    }

    /// Starts the server and waits for its RPC and S3 ports. A server that
    /// exits first (a port taken in between, say) is an error with its log.
    fn try_start(&mut self) -> Result<(), String> {
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
        let until = Instant::now() + Duration::from_secs(20);
        for port in [self.rpc_port, self.s3_port] {
            while !wait_for_port(port, Duration::from_millis(200)) {
                if self.exited() || Instant::now() > until {
                    return Err(format!("garage did not start:\n{}", self.log_tail()));
                }
            }
        }
        if self.exited() {
            return Err(format!("garage exited at start:\n{}", self.log_tail()));
        }
        Ok(())
    }

    /// True when the server was started and has exited since.
    fn exited(&mut self) -> bool {
        match &mut self.child {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => false,
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
    ///
    /// A command that has not finished in 20 s is killed and counts as a
    /// failure: one that reached a socket which is not a Garage node's would
    /// otherwise wait for an answer forever.
    fn run(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        let mut child = Command::new(tool("garage"))
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let until = Instant::now() + Duration::from_secs(20);
        while child.try_wait()?.is_none() {
            if Instant::now() > until {
                let _ = child.kill();
                let mut out = child.wait_with_output()?;
                out.stderr
                    .extend_from_slice(b"\n(killed: no answer within 20 s)");
                return Ok(out);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output()
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

    /// Retries a CLI command while the cluster is still settling. Fails at
    /// once, with the server's log, when the server has exited.
    fn cli_retry(&mut self, args: &[&str]) -> Result<String, String> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            if self.exited() {
                return Err(format!(
                    "garage {}: the server exited\nserver log:\n{}",
                    args.join(" "),
                    self.log_tail()
                ));
            }
            let out = self.run(args).expect("garage cli runs");
            if out.status.success() {
                return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
            }
            let exited = self.exited();
            if exited || Instant::now() > until {
                return Err(format!(
                    "garage {} kept failing{}: {}\nserver log:\n{}",
                    args.join(" "),
                    if exited { " (the server exited)" } else { "" },
                    String::from_utf8_lossy(&out.stderr),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn id(&mut self) -> Result<String, String> {
        Ok(self.cli_retry(&["node", "id", "-q"])?.trim().to_owned())
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
    ///
    /// Ports are picked free and then released, so another process can take
    /// one before Garage binds it. A set-up that fails is torn down and made
    /// again, with fresh ports, up to three times.
    pub fn cluster(n: usize) -> Garage {
        let mut attempt = 1;
        loop {
            match Self::set_up(n, &mut |_| {}) {
                Ok(garage) => return garage,
                Err(e) if attempt < 3 => {
                    eprintln!("garage set-up failed (attempt {attempt} of 3), again with fresh ports: {e}");
                    attempt += 1;
                }
                Err(e) => panic!("garage set-up failed 3 times; the last: {e}"),
            }
        }
    }

    /// One attempt at [`Garage::cluster`]; `before_start` sees the nodes
    /// (their ports chosen) before any server starts.
    fn set_up(n: usize, before_start: &mut dyn FnMut(&[Node])) -> Result<Garage, String> {
        let root = tempfile::Builder::new()
            .prefix("s3lift-garage-")
            .tempdir()
            .expect("temp dir");
        let secret = random_hex(32);
        let mut nodes: Vec<Node> = (0..n)
            .map(|i| Node::new(root.path(), i, &secret, n))
            .collect();
        before_start(&nodes);
        for node in &mut nodes {
            node.try_start()?;
        }
        let ids = nodes
            .iter_mut()
            .map(Node::id)
            .collect::<Result<Vec<_>, _>>()?;
        let first = &mut nodes[0];
        for id in &ids[1..] {
            first.cli_retry(&["node", "connect", id])?;
        }
        for (i, id) in ids.iter().enumerate() {
            let short = id.split('@').next().unwrap();
            let zone = format!("dc{}", i + 1);
            first.cli_retry(&["layout", "assign", "-z", &zone, "-c", "1G", short])?;
        }
        first.cli_retry(&["layout", "apply", "--version", "1"])?;
        let access_key = format!("GK{}", random_hex(12));
        let secret_key = random_hex(32);
        let bucket = "s3lift-test".to_owned();
        first.cli_retry(&[
            "key",
            "import",
            "--yes",
            "-n",
            "s3lift",
            &access_key,
            &secret_key,
        ])?;
        first.cli_retry(&["bucket", "create", &bucket])?;
        first.cli_retry(&[
            "bucket", "allow", "--read", "--write", "--owner", &bucket, "--key", "s3lift",
        ])?;
        let garage = Garage {
            _root: root,
            nodes,
            access_key,
            secret_key,
            bucket,
        };
        garage.try_wait_ready(0)?;
        Ok(garage)
    }

    /// Waits until node `i`'s S3 API answers a bucket request (not 5xx).
    fn wait_ready(&self, i: usize) {
        if let Err(e) = self.try_wait_ready(i) {
            panic!("{e}");
        }
    }

    fn try_wait_ready(&self, i: usize) -> Result<(), String> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            match http_status(self.nodes[i].s3_port, &format!("/{}", self.bucket)) {
                Some(s) if s < 500 => return Ok(()),
                _ if Instant::now() > until => {
                    return Err(format!(
                        "garage S3 API not ready:\n{}",
                        self.nodes[i].log_tail()
                    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What failed CI once: another socket held a node's RPC port, Garage
    /// aborted at start, the port check passed on the other socket, and
    /// `layout assign` then met "connection refused" for 30 s.
    #[test]
    fn a_node_whose_rpc_port_is_taken_is_an_error_at_once() {
        let mut held = Vec::new();
        let started = Instant::now();
        let err = Garage::set_up(1, &mut |nodes| {
            held.push(TcpListener::bind(("127.0.0.1", nodes[0].rpc_port)).unwrap());
        })
        .err()
        .expect("the set-up fails");
        assert!(err.contains("exited"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(25), "{err}");
    }

    #[test]
    fn cluster_makes_a_working_store() {
        let garage = Garage::cluster(1);
        assert!(http_status(garage.nodes[0].s3_port, "/s3lift-test").is_some_and(|s| s < 500));
    }
}
