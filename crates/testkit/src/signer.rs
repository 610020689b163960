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
    ///
    /// The port is picked free and released, so another process can take it
    /// before the signer binds it: a signer that exits before it is healthy
    /// is started again on a fresh port, up to three times.
    pub fn spawn(bin: &Path, env: &[(String, String)], log: &Path) -> Signer {
        let mut s = Signer {
            bin: bin.to_owned(),
            env: env.to_vec(),
            port: free_port(),
            log: log.to_owned(),
            child: None,
        };
        let mut attempt = 1;
        loop {
            match s.try_start() {
                Ok(()) => return s,
                Err(e) if attempt < 3 => {
                    eprintln!(
                        "signer start failed (attempt {attempt} of 3), again on a fresh port: {e}"
                    );
                    s.port = free_port();
                    attempt += 1;
                }
                Err(e) => panic!("signer start failed 3 times; the last: {e}"),
            }
        }
    }

    fn start(&mut self) {
        if let Err(e) = self.try_start() {
            panic!("{e}");
        }
    }

    /// Starts the process and waits until `/healthz` answers 200. An exit
    /// before then is an error at once, with the signer's log.
    fn try_start(&mut self) -> Result<(), String> {
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
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.child = None;
                return Err(format!(
                    "the signer exited ({status}) before it was healthy on port {}:\n{}",
                    self.port,
                    self.log_text()
                ));
            }
            if Instant::now() > until {
                self.kill();
                return Err(format!(
                    "the signer did not become healthy in 20 s:\n{}",
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A signer that exits at start (its port taken, say) is an error at
    /// once, not a 20 s wait; `spawn` tries fresh ports, then gives up.
    #[test]
    fn a_signer_that_exits_at_start_is_an_error_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Signer {
            bin: PathBuf::from("false"),
            env: Vec::new(),
            port: free_port(),
            log: dir.path().join("signer.log"),
            child: None,
        };
        let started = Instant::now();
        let err = s.try_start().expect_err("`false` never gets healthy");
        assert!(err.contains("exited"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
        let log = dir.path().join("spawned.log");
        let spawned = std::panic::catch_unwind(|| Signer::spawn(Path::new("false"), &[], &log));
        let panic = spawned.err().expect("three failed starts panic");
        let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("3 times"), "{msg}");
    }
}
