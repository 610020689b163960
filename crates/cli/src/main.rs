//! `s3lift`: uploads files through an s3lift signer, straight to the store,
//! on the same sans-IO engine as the browser client.

mod driver;
mod inputs;
mod report;
mod signer;
mod state;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use s3lift_engine::{Config, Engine};

use crate::driver::{Driver, End};
use crate::report::{Mode, Report};

const EXIT_CODES: &str = "\
Exit codes:
  0    every file was uploaded
  1    some file failed (each failure is printed with its code)
  2    usage or configuration error (bad option, no token, unreadable path or state file)
  130  interrupted (Ctrl-C): the state file keeps the uploads; run the same command to resume

Environment:
  S3LIFT_TOKEN   the bearer token sent to the signer (required)";

#[derive(Parser)]
#[command(name = "s3lift", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Upload files and directories (recursively) through a signer.
    #[command(after_help = EXIT_CODES)]
    Upload(UploadArgs),
}

#[derive(clap::Args)]
struct UploadArgs {
    /// Files or directories. A file found in directory `dir` is sent as
    /// `dir/sub/name`; the signer keeps the last segment in the key and the
    /// whole path in the `relativePath` metadata of multipart uploads.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The signer's `/s3` routes (`https://app.example.com/s3`); a URL
    /// without a path gets `/s3`.
    #[arg(long, value_name = "URL")]
    signer: String,
    /// Store requests in flight (parts in parallel, across files).
    #[arg(long, default_value_t = Config::default().concurrency,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: u32,
    /// Preferred part size in MiB (the signer's plan wins).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(5..=5120))]
    part_size_mib: Option<u64>,
    /// Attempts per request, the first included (the engine's retry policy).
    #[arg(long, default_value_t = Config::default().retry.max_attempts,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    attempts: u32,
    /// A store request that sends nothing for this long is stopped and
    /// retried (the engine's stall timeout).
    #[arg(long, value_name = "SECS", default_value_t = Config::default().stall_timeout_ms / 1000,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    stall_timeout_secs: u64,
    /// Print one JSON line per finished file on stdout, and no progress bars:
    /// {"path","key","size","etag","location","resumed","storeRequests"}, or
    /// {"path","error":{"code","message"}}.
    #[arg(long)]
    json: bool,
    /// `crc64nvme`: bind every part to its CRC64NVME and have the store check
    /// the whole file's (a `FULL_OBJECT` checksum), read back into the JSON
    /// line's `checksum`.
    #[arg(long, value_name = "ALGORITHM", value_parser = ["crc64nvme"])]
    checksum: Option<String>,
    /// Where resume records are kept between runs.
    #[arg(long, value_name = "PATH", default_value = ".s3lift-state.json")]
    state: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Upload(args) => upload(args),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("s3lift: {message}");
    ExitCode::from(2)
}

/// The signer's base URL, checked; never printed back (it may carry userinfo).
fn endpoint(raw: &str) -> Result<String, String> {
    let mut url = reqwest::Url::parse(raw)
        .map_err(|e| format!("--signer is not a URL ({e}); give e.g. https://host/s3"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("--signer must be an http or https URL with a host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("--signer must not have a query or a fragment".into());
    }
    if url.path() == "/" {
        url.set_path("/s3");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn upload(args: UploadArgs) -> ExitCode {
    let token = match std::env::var("S3LIFT_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => return usage("S3LIFT_TOKEN is not set: export the bearer token the signer accepts"),
    };
    let endpoint = match endpoint(&args.signer) {
        Ok(e) => e,
        Err(m) => return usage(&m),
    };
    let inputs = match inputs::collect(&args.paths) {
        Ok(i) if i.is_empty() => return usage("no files to upload (the directories are empty)"),
        Ok(i) => i,
        Err(m) => return usage(&m),
    };
    let state = match state::StateFile::load(&args.state) {
        Ok(s) => s,
        Err(m) => return usage(&m),
    };
    let http = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        // Under actix's 5 s keep-alive, so a pooled connection is not
        // closed by the server just as a request is written on it.
        .pool_idle_timeout(Duration::from_secs(4))
        .build()
    {
        Ok(c) => c,
        Err(e) => return usage(&format!("cannot start the HTTP client: {e}")),
    };
    let mut config = Config {
        concurrency: args.concurrency,
        part_size: args.part_size_mib.map(|m| m << 20),
        stall_timeout_ms: args.stall_timeout_secs * 1000,
        seed: std::process::id() as u64 ^ 0x5eed,
        ..Config::default()
    };
    config.retry.max_attempts = args.attempts;
    if args.checksum.is_some() {
        config.checksum = Some(s3lift_protocol::wire::ChecksumAlgorithm::Crc64nvme);
    }
    let mode = if args.json { Mode::Json } else { Mode::Human };
    let bytes = inputs.iter().map(|i| i.size).sum();
    let report = Report::new(mode, inputs.len(), bytes);
    let signer = signer::Signer {
        endpoint,
        token,
        http,
        checksum: config.checksum,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return usage(&format!("cannot start the runtime: {e}")),
    };
    let mut driver = Driver::new(Engine::new(config), signer, state, report);
    driver.add(inputs);
    let end = runtime.block_on(driver.run());
    driver.report.close();
    let code = match end {
        End::Interrupted => {
            driver.report.eprintln(&format!(
                "s3lift: interrupted; {} file(s) unfinished, run the same command again to resume",
                driver.unfinished()
            ));
            ExitCode::from(130)
        }
        End::Done if driver.report.failed > 0 => {
            if !args.json {
                eprintln!(
                    "s3lift: {} uploaded, {} failed",
                    driver.report.uploaded, driver.report.failed
                );
            }
            ExitCode::from(1)
        }
        End::Done => ExitCode::SUCCESS,
    };
    // In-flight requests are dropped, not awaited.
    runtime.shutdown_background();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_urls() {
        assert_eq!(endpoint("http://h:8080").unwrap(), "http://h:8080/s3");
        assert_eq!(endpoint("https://h/api/s3/").unwrap(), "https://h/api/s3");
        assert!(endpoint("ftp://h/s3").is_err());
        assert!(endpoint("not a url").is_err());
        assert!(endpoint("http://h/s3?x=1").is_err());
    }

    #[test]
    fn help_documents_exit_codes() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("130"), "{help}");
        Cli::command().debug_assert();
    }
}
