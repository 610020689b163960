//! A killed `s3lift upload` resumes from its state file: `kill -9` after N
//! parts were stored (seen with ListParts on Garage), then a rerun re-sends
//! at most `concurrency` parts (counted by the fault proxy in front of the
//! store); Ctrl-C stops with 130 and leaves the upload to resume.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{body, run, s3lift, start, wait, Env, TOKEN};

const MIB: usize = 1024 * 1024;
const SIZE: usize = 64 * MIB;
const PARTS: u64 = 13; // 64 MiB in 5 MiB parts
const CONCURRENCY: u64 = 2;

fn args(signer: &str) -> Vec<String> {
    [
        "upload",
        "big.bin",
        "--signer",
        signer,
        "--json",
        "--concurrency",
        &CONCURRENCY.to_string(),
        "--part-size-mib",
        "5",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Starts an upload of `big.bin` and returns once the store holds at least
/// `parts` of its parts: the child, the key, the upload id.
async fn started(env: &Env, dir: &Path, parts: usize) -> (std::process::Child, String, String) {
    let args = args(&env.signer);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = s3lift(dir, Some(TOKEN), &args).spawn().expect("spawn");
    let until = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(Instant::now() < until, "no {parts} parts stored in time");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("s3lift ended early: {status}");
        }
        if let Some((key, id)) = env.uploads().await.into_iter().next() {
            if env.parts(&key, &id).await >= parts {
                return (child, key, id);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn record_in_state(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(".s3lift-state.json")).expect("state file kept");
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let uploads = state["uploads"].as_object().unwrap();
    assert_eq!(uploads.len(), 1, "{state}");
    uploads.values().next().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_upload_resumes_and_resends_at_most_concurrency_parts() {
    // 6 MiB/s per connection: a part takes most of a second.
    let env = start(6 * MIB as u64, 200 * MIB as u64).await;
    let dir = tempfile::tempdir().unwrap();
    let data = body(SIZE, 9);
    std::fs::write(dir.path().join("big.bin"), &data).unwrap();

    // Run 1: kill -9 once the store holds 4 parts (> concurrency).
    let (mut child, key, upload_id) = started(&env, dir.path(), 4).await;
    child.kill().unwrap();
    let _ = child.wait();
    let sent1 = env.store_requests();
    let stored = env.parts(&key, &upload_id).await as u64;
    assert!(stored >= 4, "{stored}");
    let record = record_in_state(dir.path());
    assert_eq!(record["uploadId"], upload_id.as_str());
    assert_eq!(record["key"], key.as_str());

    // Run 2: the same command continues the same upload.
    let args = args(&env.signer);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let before = env.describe().await;
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(
        out.code,
        Some(0),
        "{out}\nstore before run 2: {before}\nstore after: {}",
        env.describe().await
    );
    out.assert_no_secrets();
    let sent2 = env.store_requests() - sent1;
    // Parts sent twice: the ones in flight at the kill.
    let resent = sent1 + sent2 - PARTS;
    assert!(
        resent <= CONCURRENCY,
        "{resent} parts re-sent (run 1 sent {sent1}, run 2 {sent2}, store had {stored})"
    );
    let line = &out.lines()[0];
    assert_eq!(line["resumed"], true, "{out}");
    assert_eq!(line["key"], key.as_str(), "{out}");
    assert_eq!(line["storeRequests"], sent2, "{out}");
    assert!(
        sent2 <= PARTS - stored,
        "run 2 sent {sent2}, store had {stored} of {PARTS}"
    );
    assert!(env.object(&key).await == data, "stored bytes differ");
    assert!(env.uploads().await.is_empty());
    assert!(!dir.path().join(".s3lift-state.json").exists());
    eprintln!(
        "kill -9 after {stored} parts: run 1 sent {sent1}, run 2 sent {sent2}, re-sent {resent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_with_130_and_keeps_the_upload_to_resume() {
    let env = start(6 * MIB as u64, 200 * MIB as u64).await;
    let dir = tempfile::tempdir().unwrap();
    let data = body(SIZE, 11);
    std::fs::write(dir.path().join("big.bin"), &data).unwrap();

    let (child, key, upload_id) = started(&env, dir.path(), 2).await;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = wait(child).await;
    assert_eq!(out.code, Some(130), "{out}");
    assert!(out.stderr.contains("interrupted"), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    out.assert_no_secrets();
    // Not aborted: the store still has the upload and its parts.
    assert_eq!(env.uploads().await, vec![(key.clone(), upload_id.clone())]);
    assert!(env.parts(&key, &upload_id).await >= 2);
    assert_eq!(record_in_state(dir.path())["uploadId"], upload_id.as_str());

    let args = args(&env.signer);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(out.lines()[0]["resumed"], true, "{out}");
    assert!(env.object(&key).await == data, "stored bytes differ");
}
