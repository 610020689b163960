//! The engine's retry policy through the native driver: the fault proxy
//! answers a quarter of the store requests with 500, 503, 429, an expired
//! URL, a reset mid-body or a stall, and every file still lands byte-exact.

mod common;

use std::collections::BTreeMap;

use common::{body, run, s3lift, start_with, TOKEN};
use s3lift_testkit::faultproxy::FaultSpec;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_faults_are_retried_and_every_file_lands() {
    let spec = FaultSpec {
        seed: 7,
        rate: 0.25,
        methods: vec!["PUT".into(), "POST".into()],
        ..FaultSpec::default()
    };
    let env = start_with(spec, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("up")).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..20u64 {
        files.insert(format!("up/s{i:02}.bin"), body(3000 + i as usize, i + 100));
    }
    files.insert("up/large.bin".to_owned(), body(23 << 20, 99));
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let out = run(s3lift(
        dir.path(),
        Some(TOKEN),
        &[
            "upload",
            "up",
            "--signer",
            &env.signer,
            "--json",
            "--part-size-mib",
            "5",
            "--attempts",
            "10",
            "--stall-timeout-secs",
            "2",
        ],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    out.assert_no_secrets();
    // The faults fired: more store requests than files and parts.
    let faults = env.faults();
    assert!(faults >= 3, "only {faults} faults");
    let lines = out.lines();
    assert_eq!(lines.len(), files.len());
    let sent: u64 = lines
        .iter()
        .map(|l| l["storeRequests"].as_u64().unwrap())
        .sum();
    assert_eq!(sent, env.store_requests(), "{out}");
    assert!(sent >= 20 + 5 + faults, "{sent} requests, {faults} faults");
    for line in &lines {
        let path = line["path"].as_str().unwrap();
        let key = line["key"].as_str().unwrap();
        assert!(env.object(key).await == files[path], "{path} differs");
    }
    eprintln!("{faults} faults, {sent} store requests for 20 files + 5 parts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_cut_short_during_the_upload_fails_with_read_failed() {
    let env = common::start(6 << 20, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, body(40 << 20, 5)).unwrap();
    std::fs::write(dir.path().join("small.txt"), b"fine").unwrap();
    let args = [
        "upload",
        "big.bin",
        "small.txt",
        "--signer",
        &env.signer,
        "--json",
        "--part-size-mib",
        "5",
        "--concurrency",
        "2",
    ];
    let child = s3lift(dir.path(), Some(TOKEN), &args).spawn().unwrap();
    // Once a part is stored, the file loses its tail.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(std::time::Instant::now() < until, "no part stored in time");
        if let Some((key, id)) = env.uploads().await.into_iter().next() {
            if env.parts(&key, &id).await >= 1 {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(7 << 20)
        .unwrap();
    let out = common::wait(child).await;
    assert_eq!(out.code, Some(1), "{out}");
    out.assert_no_secrets();
    let lines = out.lines();
    let big = lines
        .iter()
        .find(|l| l["path"] == "big.bin")
        .expect("big.bin");
    assert_eq!(big["error"]["code"], "read_failed", "{out}");
    assert_eq!(
        big["error"]["message"], "The file could not be read (it changed during the upload)",
        "{out}"
    );
    let small = lines
        .iter()
        .find(|l| l["path"] == "small.txt")
        .expect("small");
    assert!(small["key"].is_string(), "{out}");
    // Its multipart upload was aborted, and nothing is left to resume.
    assert!(env.uploads().await.is_empty());
    assert!(!dir.path().join(".s3lift-state.json").exists());
}
