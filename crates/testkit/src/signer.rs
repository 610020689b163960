//! The signer binary as a child process.

use super::*;

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
