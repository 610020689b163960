//! `s3lift-signer`: see `lib.rs` for the map. This file only parses the
//! command line and starts things.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use s3lift_signer::commands;

#[derive(Parser)]
#[command(
    version,
    about = "Stateless presigning service for direct-to-S3 browser uploads"
)]
struct Cli {
    /// A TOML config file; S3LIFT_* environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the signer (the default).
    Serve,
    /// Run the signer with an embedded S3-compatible store and the demo page.
    Dev {
        /// Where the embedded store keeps its files.
        #[arg(long, default_value = ".data/dev-store")]
        data: PathBuf,
        /// Address of the embedded store (port 0 picks one).
        #[arg(long, default_value = "127.0.0.1:0")]
        store_bind: SocketAddr,
        /// The demo page folder.
        #[arg(long, default_value = "www")]
        www: PathBuf,
        /// The built npm package folder, served at /pkg.
        #[arg(long, default_value = "dist/pkg")]
        pkg: PathBuf,
    },
    /// Probe the configured store and bucket with the signer's credentials:
    /// one line per check with its fix. Exit code 1 when a required check
    /// fails, 2 when the settings do not load.
    Doctor {
        /// Print the results as JSON, for machines.
        #[arg(long)]
        json: bool,
    },
    /// Bucket administration.
    Bucket {
        #[command(subcommand)]
        action: BucketAction,
    },
}

#[derive(Subcommand)]
enum BucketAction {
    /// Apply the CORS rule (S3LIFT_ALLOWED_ORIGINS may PUT, POST and GET; ETag
    /// exposed) and a lifecycle rule aborting incomplete multipart uploads.
    Setup {
        /// Days after which incomplete multipart uploads are aborted.
        #[arg(long, default_value_t = 7)]
        abort_after_days: i32,
        /// Leave `ExposeHeaders: ETag` out (only to test the client's error).
        #[arg(long, hide = true)]
        no_expose_etag: bool,
        /// Create the bucket when it does not exist.
        #[arg(long)]
        create: bool,
    },
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("s3lift-signer: {e:#}");
        std::process::exit(2);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => commands::serve(config).await,
        Command::Dev {
            data,
            store_bind,
            www,
            pkg,
        } => {
            let options = commands::DevOptions {
                data,
                store_bind,
                www,
                pkg,
            };
            commands::dev(config, options).await
        }
        Command::Doctor { json } => {
            let code = commands::doctor(config, json).await?;
            std::process::exit(code);
        }
        Command::Bucket {
            action:
                BucketAction::Setup {
                    abort_after_days,
                    no_expose_etag,
                    create,
                },
        } => {
            let setup = commands::BucketSetup {
                abort_after_days,
                no_expose_etag,
                create,
            };
            commands::bucket_setup(config, setup).await
        }
    }
}
