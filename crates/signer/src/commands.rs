//! The subcommands of the `s3lift-signer` binary, so that `main.rs` only
//! parses the command line (after zero2prod's thin `main`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::app::Application;
use crate::config::{ProcessEnv, Settings};
use crate::store::Store;

/// Logs to stderr: JSON or text, colours only on a terminal.
pub fn init_tracing(json: bool) {
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

/// `s3lift-signer serve`: the signer, configured by `config` and `S3LIFT_*`.
pub async fn serve(config: Option<&Path>) -> anyhow::Result<()> {
    let settings = Settings::load(config, &ProcessEnv)?;
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
    Ok(())
}

/// What `s3lift-signer dev` runs with.
pub struct DevOptions {
    /// Where the embedded store keeps its files.
    pub data: PathBuf,
    /// Address of the embedded store (port 0 picks one).
    pub store_bind: SocketAddr,
    /// The demo page folder.
    pub www: PathBuf,
    /// The built npm package folder, served at /pkg.
    pub pkg: PathBuf,
}

/// `s3lift-signer dev`: the signer on an embedded store, with the demo page.
pub async fn dev(config: Option<&Path>, options: DevOptions) -> anyhow::Result<()> {
    let DevOptions {
        data,
        store_bind,
        www,
        pkg,
    } = options;
    // Environment > --config file > dev defaults; only the store is fixed.
    let mut settings = crate::dev::dev_settings(config, &ProcessEnv)?;
    let store = crate::dev::start(&data, store_bind, &settings.store.bucket).await?;
    settings.store.endpoint = Some(store.endpoint.clone());
    settings.store.public_endpoint = None;
    settings.store.path_style = true;
    init_tracing(settings.server.log_json);
    // Keys need a secret; dev makes one per run, printed so a restart can reuse it.
    if settings.uploads.key_secret.is_none() {
        let secret = crate::keys::generate_secret();
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
    Ok(())
}

/// `s3lift-signer doctor`: prints the findings (text or `--json`) and
/// answers the exit code.
pub async fn doctor(config: Option<&Path>, json: bool) -> anyhow::Result<i32> {
    let settings = Settings::load(config, &ProcessEnv)?;
    let findings = crate::doctor::run(&settings, None).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        print!("{}", crate::doctor::render(&findings));
    }
    Ok(crate::doctor::exit_code(&findings))
}

/// What `s3lift-signer bucket setup` applies.
pub struct BucketSetup {
    /// Days after which incomplete multipart uploads are aborted.
    pub abort_after_days: i32,
    /// Leave `ExposeHeaders: ETag` out (only to test the client's error).
    pub no_expose_etag: bool,
    /// Create the bucket when it does not exist.
    pub create: bool,
}

/// `s3lift-signer bucket setup`: the CORS rule and the abort-incomplete lifecycle rule.
pub async fn bucket_setup(config: Option<&Path>, setup: BucketSetup) -> anyhow::Result<()> {
    let BucketSetup {
        abort_after_days,
        no_expose_etag,
        create,
    } = setup;
    let settings = Settings::load(config, &ProcessEnv)?;
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
    Ok(())
}
