//! `s3lift-testenv --signer <bin> [--cluster N] [--no-signer] [--env K=V]...`
//!
//! Starts Garage (one node, or a cluster) and the signer in front of it, prints
//! one JSON line describing them, and runs until its stdin closes, so a Node
//! test runner that exits takes everything down with it.

use std::path::PathBuf;

use std::sync::atomic::Ordering;

use s3lift_testkit::faultproxy::{Fault, FaultProxy, FaultSpec};
use s3lift_testkit::{random_key_secret, store_env, Garage, Signer};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut signer_bin: Option<PathBuf> = None;
    let mut cluster = 1;
    let mut with_signer = true;
    let mut extra: Vec<(String, String)> = Vec::new();
    let mut fault_store: Option<FaultSpec> = None;
    let mut fault_signer: Option<FaultSpec> = None;
    let mut replicas = 1usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--signer" => signer_bin = args.next().map(PathBuf::from),
            "--cluster" => {
                cluster = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage("--cluster needs a number"))
            }
            "--no-signer" => with_signer = false,
            "--replicas" => {
                replicas = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| usage("--replicas needs a number"))
            }
            "--fault-store" => {
                fault_store = Some(
                    FaultSpec::parse(&args.next().unwrap_or_default())
                        .unwrap_or_else(|e| usage(&e)),
                )
            }
            "--fault-signer" => {
                fault_signer = Some(
                    FaultSpec::parse(&args.next().unwrap_or_default())
                        .unwrap_or_else(|e| usage(&e)),
                )
            }
            "--env" => {
                let kv = args.next().unwrap_or_else(|| usage("--env needs K=V"));
                let (k, v) = kv
                    .split_once('=')
                    .unwrap_or_else(|| usage("--env needs K=V"));
                extra.push((k.to_owned(), v.to_owned()));
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let garage = Garage::cluster(cluster);
    let dir = tempfile::Builder::new()
        .prefix("s3lift-testenv-")
        .tempdir()
        .expect("temp dir");
    let log = dir.path().join("signer0.log");
    let mut env = store_env(&garage);
    env.push((
        "S3LIFT_STATIC_TOKENS".into(),
        "test-token-alice-0001=alice,test-token-bob-00001=bob".into(),
    ));
    env.push(("S3LIFT_ALLOWED_ORIGINS".into(), "*".into()));
    // One key secret for every replica, so each accepts the others' keys.
    env.push(("S3LIFT_KEY_SECRET".into(), random_key_secret()));
    // Browsers reach the store through the fault proxy; the signer's own
    // store calls go direct.
    let store_proxy = fault_store
        .map(|spec| FaultProxy::start(garage.endpoint().trim_start_matches("http://"), spec));
    if let Some(p) = &store_proxy {
        env.push(("S3LIFT_S3_PUBLIC_ENDPOINT".into(), p.url()));
    }
    for (k, v) in extra {
        env.retain(|(e, _)| *e != k);
        env.push((k, v));
    }
    let mut signers: Vec<Signer> = match (with_signer, &signer_bin) {
        (true, Some(bin)) => (0..replicas.max(1))
            .map(|i| Signer::spawn(bin, &env, &dir.path().join(format!("signer{i}.log"))))
            .collect(),
        (true, None) => usage("--signer <path> is required (or --no-signer)"),
        (false, _) => Vec::new(),
    };
    // Replicas sit behind a round-robin proxy (faulty, when asked).
    let signer_proxy = match (signers.len(), fault_signer) {
        (0, _) => None,
        (1, None) => None,
        (_, spec) => Some(FaultProxy::round_robin(
            &signers
                .iter()
                .map(|s| s.url().trim_start_matches("http://").to_owned())
                .collect::<Vec<_>>(),
            spec.unwrap_or_default(),
        )),
    };
    let signer = signers.first();
    let info = serde_json::json!({
        "signer": signer_proxy.as_ref().map(FaultProxy::url).or_else(|| signer.map(Signer::url)),
        "signerDirect": signer.map(Signer::url),
        "replicas": signers.iter().map(Signer::url).collect::<Vec<_>>(),
        "signerLogs": (0..signers.len()).map(|i| dir.path().join(format!("signer{i}.log"))).collect::<Vec<_>>(),
        "s3Public": store_proxy.as_ref().map(FaultProxy::url),
        "s3": garage.endpoint(),
        "s3Nodes": (0..garage.len()).map(|i| garage.endpoint_of(i)).collect::<Vec<_>>(),
        "region": garage.region(),
        "bucket": garage.bucket(),
        "accessKey": garage.access_key(),
        "secretKey": garage.secret_key(),
        "garageConfig": garage.config_path(0),
        "signerLog": log,
        "env": env.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
    });
    println!("{info}");
    // Commands on stdin, one per line, each answered `ok`; EOF (the parent
    // closed the pipe, or died) ends everything.
    let mut garage = garage;
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        let (cmd, arg) = (
            words.next().unwrap_or(""),
            words.next().and_then(|n| n.parse::<usize>().ok()),
        );
        match cmd {
            "stop-garage" => garage.stop(),
            "start-garage" => garage.restart(),
            // `kill-signer [i]`, `restart-signer [i]`: every replica, or replica i.
            "restart-signer" | "kill-signer" if arg.is_some_and(|i| i >= signers.len()) => {
                println!("no signer replica {}", arg.unwrap_or_default());
                continue;
            }
            "restart-signer" => replicas_at(&mut signers, arg).for_each(Signer::restart),
            "kill-signer" => replicas_at(&mut signers, arg).for_each(Signer::kill),
            "kill-node" => garage.kill_node(arg.unwrap_or(0)),
            "restart-node" => garage.restart_node(arg.unwrap_or(0)),
            "garage" => {
                // `garage <words>`: runs the CLI, answers its output as one JSON string.
                let rest: Vec<&str> = line.split_whitespace().skip(1).collect();
                println!("{}", serde_json::Value::String(garage.cli_lenient(&rest)));
                continue;
            }
            "burst-store" => {
                // `burst-store <n> <kind>`: the next n store requests get that fault.
                let kind = words.next().map(Fault::parse);
                match (&store_proxy, arg, kind) {
                    (Some(p), Some(n), Some(Ok(kind))) => p.burst(n as u64, kind),
                    (None, _, _) => {
                        println!("burst-store: no store proxy (start with --fault-store)");
                        continue;
                    }
                    _ => {
                        println!("usage: burst-store <n> <500|503|429|reset|stall|expired|lost>");
                        continue;
                    }
                }
            }
            "stats" => {
                let st = |p: &Option<FaultProxy>| {
                    p.as_ref().map(|p| {
                        serde_json::json!({
                            "requests": p.stats.requests.load(Ordering::Relaxed),
                            "faults": p.stats.faults.load(Ordering::Relaxed),
                            "forwardedBytes": p.stats.forwarded_bytes.load(Ordering::Relaxed),
                            "inFlight": p.stats.in_flight.load(Ordering::SeqCst),
                            "peakInFlight": p.stats.peak_in_flight.load(Ordering::SeqCst),
                        })
                    })
                };
                println!(
                    "{}",
                    serde_json::json!({ "store": st(&store_proxy), "signer": st(&signer_proxy) })
                );
                continue;
            }
            other => {
                println!("unknown command {other}");
                continue;
            }
        }
        println!("ok");
    }
    drop(signer_proxy);
    drop(signers);
    drop(garage);
}

/// Replica `i`, or every replica when `i` is `None`.
fn replicas_at(signers: &mut [Signer], i: Option<usize>) -> impl Iterator<Item = &mut Signer> {
    let range = match i {
        Some(i) => i..i + 1,
        None => 0..signers.len(),
    };
    signers[range].iter_mut()
}

fn usage(msg: &str) -> ! {
    eprintln!("s3lift-testenv: {msg}\nusage: s3lift-testenv --signer <bin> [--cluster N] [--no-signer] [--env K=V]...");
    std::process::exit(2)
}
