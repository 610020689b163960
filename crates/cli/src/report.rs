//! What the user sees: progress bars on a terminal (stderr), one line per
//! finished file on stdout (JSON with `--json`, for scripts), and the
//! counts the exit code is made of. Never a presigned URL or a token.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use s3lift_engine::{FileId, Outcome, UploadError};
use serde_json::json;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One JSON object per line on stdout, no bars.
    Json,
    /// Human lines on stdout; bars on stderr when it is a terminal.
    Human,
}

/// Progress and results of one run.
pub struct Report {
    mode: Mode,
    bars: Option<MultiProgress>,
    total: Option<ProgressBar>,
    files: HashMap<FileId, ProgressBar>,
    /// Bytes each live file has sent (for the total bar).
    sent: HashMap<FileId, u64>,
    done_bytes: u64,
    pub uploaded: usize,
    pub failed: usize,
}

/// What a finished file reports besides the engine's verdict.
pub struct Finished<'a> {
    pub path: &'a str,
    pub size: u64,
    /// Store requests this run sent for the file (parts or the single request).
    pub store_requests: u64,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Report {
    pub fn new(mode: Mode, files: usize, bytes: u64) -> Report {
        let show = mode == Mode::Human && std::io::stderr().is_terminal();
        let bars = show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let total = bars.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(bytes));
            bar.set_style(style(
                "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ));
            bar.set_prefix(format!("{files} files"));
            bar
        });
        Report {
            mode,
            bars,
            total,
            files: HashMap::new(),
            sent: HashMap::new(),
            done_bytes: 0,
            uploaded: 0,
            failed: 0,
        }
    }

    /// Byte progress of one file.
    pub fn progress(&mut self, file: FileId, name: &str, sent: u64, total: u64) {
        let Some(m) = &self.bars else { return };
        let bar = self.files.entry(file).or_insert_with(|| {
            let bar = m.add(ProgressBar::new(total));
            bar.set_style(style("{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {msg}"));
            bar.set_prefix("uploading");
            bar.set_message(name.to_owned());
            bar
        });
        bar.set_position(sent);
        self.sent.insert(file, sent);
        if let Some(t) = &self.total {
            t.set_position(self.done_bytes + self.sent.values().sum::<u64>());
        }
    }

    /// A file is done: its line, and its bar goes.
    pub fn finished(
        &mut self,
        file: FileId,
        f: Finished<'_>,
        result: &Result<Outcome, UploadError>,
    ) {
        if let Some(bar) = self.files.remove(&file) {
            bar.finish_and_clear();
            if let Some(m) = &self.bars {
                m.remove(&bar);
            }
        }
        self.sent.remove(&file);
        self.done_bytes += f.size;
        if let Some(t) = &self.total {
            t.set_position(self.done_bytes + self.sent.values().sum::<u64>());
        }
        match result {
            Ok(_) => self.uploaded += 1,
            Err(_) => self.failed += 1,
        }
        let line = match self.mode {
            Mode::Json => json_line(&f, result),
            Mode::Human => match result {
                Ok(o) => format!("uploaded {} -> {}", f.path, o.key),
                Err(e) => format!("failed   {}: {} ({})", f.path, e.message, e.code),
            },
        };
        self.println(&line);
    }

    /// A line on stdout that does not tear the bars.
    pub fn println(&self, line: &str) {
        match &self.bars {
            Some(m) => m.suspend(|| println!("{line}")),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }

    /// A message on stderr that does not tear the bars.
    pub fn eprintln(&self, line: &str) {
        match &self.bars {
            Some(m) => m.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Clears the bars before the process ends.
    pub fn close(&mut self) {
        for (_, bar) in self.files.drain() {
            bar.finish_and_clear();
        }
        if let Some(t) = self.total.take() {
            t.finish_and_clear();
        }
    }
}

/// `{"path","key","size","etag","location",...}` or `{"path","error":{"code","message"}}`.
pub fn json_line(f: &Finished<'_>, result: &Result<Outcome, UploadError>) -> String {
    match result {
        Ok(o) => json!({
            "path": f.path,
            "key": o.key,
            "size": f.size,
            "etag": o.etag,
            "location": o.location,
            "resumed": o.resumed,
            "restarted": o.restarted.map(|r| r.as_str()),
            "storeRequests": f.store_requests,
            "checksum": o.checksum.as_ref().map(|c| json!({ "crc64nvme": c })),
        }),
        Err(e) => json!({
            "path": f.path,
            "error": { "code": e.code.to_string(), "message": e.message },
        }),
    }
    .to_string()
}
