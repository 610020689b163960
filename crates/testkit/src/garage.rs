//! Garage nodes on loopback: one node or a cluster, with a bucket and its key.

use super::*;

mod node;
#[cfg(test)]
mod tests;

use node::Node;

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
