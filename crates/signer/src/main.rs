//! `s3lift-signer`: see `lib.rs` for the map. This file only parses the
//! command line and starts things.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use s3lift_signer::app::Application;
use s3lift_signer::config::{ProcessEnv, Settings};
use s3lift_signer::store::Store;

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

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    // The AWS crates log requests at debug/trace level; keep them quiet so a
    // signature or credential can never reach the log by a verbose setting.
    let filter = EnvFilter::try_from_env("S3LIFT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("aws_sigv4=warn".parse().expect("valid directive"))
        .add_directive("aws_smithy_runtime=warn".parse().expect("valid directive"))
        .add_directive(
            "aws_smithy_runtime_api=warn"
                .parse()
                .expect("valid directive"),
        )
        .add_directive("aws_config=warn".parse().expect("valid directive"))
        .add_directive("hyper=warn".parse().expect("valid directive"))
        .add_directive("s3s=warn".parse().expect("valid directive"));
    // Colours only on a terminal: escape codes in a file or a pipe (a log
    // collector, `2> log.txt`) are noise at best.
    use std::io::IsTerminal;
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
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
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = Settings::load(cli.config.as_deref(), &ProcessEnv)?;
            init_tracing(settings.server.log_json);
            let mounts = settings
                .server
                .static_dir
                .as_ref()
                .map(|d| vec![("/".to_owned(), PathBuf::from(d))])
                .unwrap_or_default();
            let app = Application::build_with(settings, None, mounts).await?;
            tracing::info!(port = app.port(), metrics_port = ?app.metrics_port(), "s3lift-signer listening");
            app.run_until_stopped().await?;
        }
        Command::Dev {
            data,
            store_bind,
            www,
            pkg,
        } => {
            // Environment > --config file > dev defaults; only the store is fixed.
            let mut settings =
                s3lift_signer::dev::dev_settings(cli.config.as_deref(), &ProcessEnv)?;
            let store =
                s3lift_signer::dev::start(&data, store_bind, &settings.store.bucket).await?;
            settings.store.endpoint = Some(store.endpoint.clone());
            settings.store.public_endpoint = None;
            settings.store.path_style = true;
            init_tracing(settings.server.log_json);
            // Keys need a secret; dev makes one per run, printed so a restart can reuse it.
            if settings.uploads.key_secret.is_none() {
                let secret = s3lift_signer::keys::generate_secret();
                println!("s3lift dev: S3LIFT_KEY_SECRET={} generated for this run (set it to keep keys valid across restarts)", secret.expose());
                settings.uploads.key_secret = Some(secret);
            }
            let mut mounts = Vec::new();
            if pkg.is_dir() {
                mounts.push(("/pkg".to_owned(), pkg));
            } else {
                tracing::warn!(
                    "{} not found: run `just build` for the demo's upload client",
                    pkg.display()
                );
            }
            mounts.push(("/".to_owned(), www));
            let app = Application::build_dev(settings, Some(store.credentials), mounts).await?;
            println!(
                "s3lift dev: open http://127.0.0.1:{}/ (embedded store at {}, data in {})",
                app.port(),
                store.endpoint,
                data.display()
            );
            app.run_until_stopped().await?;
        }
        Command::Bucket {
            action:
                BucketAction::Setup {
                    abort_after_days,
                    no_expose_etag,
                    create,
                },
        } => {
            let settings = Settings::load(cli.config.as_deref(), &ProcessEnv)?;
            init_tracing(settings.server.log_json);
            let store = Store::connect(&settings, None).await?;
            if create {
                store.ensure_bucket().await?;
            }
            let origins = if settings.server.allowed_origins.is_empty() {
                vec!["*".to_owned()]
            } else {
                settings.server.allowed_origins.clone()
            };
            store.put_cors(&origins, !no_expose_etag).await?;
            println!(
                "CORS set on {}: origins {}, methods PUT POST GET HEAD, ExposeHeaders {}",
                settings.store.bucket,
                origins.join(" "),
                if no_expose_etag { "none" } else { "ETag" }
            );
            match store.put_abort_lifecycle(abort_after_days).await {
                Ok(()) => println!("lifecycle set: incomplete multipart uploads aborted after {abort_after_days} days"),
                // Some stores (Garage among them) support only part of the lifecycle API.
                Err(e) => eprintln!("warning: the store refused the lifecycle rule ({e}); abort incomplete uploads another way"),
            }
        }
    }
    Ok(())
}
