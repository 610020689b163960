//! One Garage server of a [`super::Garage`]: its config, its process, and
//! its command-line client.

use super::super::*;

pub(super) struct Node {
    pub(super) dir: PathBuf,
    pub(super) config: PathBuf,
    pub(super) rpc_port: u16,
    pub(super) s3_port: u16,
    pub(super) child: Option<Child>,
}

impl Node {
    pub(super) fn new(root: &Path, index: usize, secret: &str, replication: usize) -> Node {
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

    pub(super) fn start(&mut self) {
        if let Err(e) = self.try_start() {
            panic!("{e}");
        }
    }

    /// Starts the server and waits for its RPC and S3 ports. A server that
    /// exits first (a port taken in between, say) is an error with its log.
    pub(super) fn try_start(&mut self) -> Result<(), String> {
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
    pub(super) fn exited(&mut self) -> bool {
        match &mut self.child {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub(super) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub(super) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("garage.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Runs the garage CLI against this node's config.
    ///
    /// A command that has not finished in 20 s is killed and counts as a
    /// failure: one that reached a socket which is not a Garage node's would
    /// otherwise wait for an answer forever.
    pub(super) fn run(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
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

    pub(super) fn cli(&self, args: &[&str]) -> String {
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
    pub(super) fn cli_retry(&mut self, args: &[&str]) -> Result<String, String> {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
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

    pub(super) fn id(&mut self) -> Result<String, String> {
        Ok(self.cli_retry(&["node", "id", "-q"])?.trim().to_owned())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
