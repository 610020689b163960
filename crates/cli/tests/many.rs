//! Many small files (more than one signing batch of 100), and the
//! progress bars on a terminal.

mod common;

use std::collections::BTreeMap;

use common::{body, run, s3lift, start, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_files_are_signed_in_batches_and_sent_once_each() {
    let env = start(0, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("many/a")).unwrap();
    std::fs::create_dir_all(dir.path().join("many/b")).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..150u64 {
        let name = format!("many/{}/f{i:03}.bin", if i % 2 == 0 { "a" } else { "b" });
        let bytes = body(2048 + i as usize, i + 1);
        std::fs::write(dir.path().join(&name), &bytes).unwrap();
        files.insert(name, bytes);
    }
    let signer = env.signer.as_str();
    let out = run(s3lift(
        dir.path(),
        Some(TOKEN),
        &["upload", "many", "--signer", signer, "--json"],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    out.assert_no_secrets();
    let lines = out.lines();
    assert_eq!(lines.len(), files.len());
    for line in &lines {
        let path = line["path"].as_str().unwrap();
        let key = line["key"].as_str().unwrap();
        assert!(env.object(key).await == files[path], "{path} differs");
        assert_eq!(line["storeRequests"], 1, "{line}");
    }
    // One store request per file, none repeated.
    assert_eq!(env.store_requests(), files.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_bars_draw_on_a_terminal() {
    let env = start(0, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.bin"), body(9 << 20, 5)).unwrap();
    std::fs::write(dir.path().join("two.txt"), b"two").unwrap();
    // `script` gives the CLI a terminal (stdout and stderr both).
    let cmd = format!(
        "{} upload one.bin two.txt --signer {}",
        env!("CARGO_BIN_EXE_s3lift"),
        env.signer
    );
    let mut script = std::process::Command::new("script");
    script
        .current_dir(dir.path())
        .args(["-qec", &cmd, "/dev/null"])
        .env("S3LIFT_TOKEN", TOKEN)
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || script.output().unwrap())
        .await
        .unwrap();
    let run = common::Run::from(out);
    assert_eq!(run.code, Some(0), "{run}");
    run.assert_no_secrets();
    assert!(run.stdout.contains("uploaded one.bin -> "), "{run}");
    assert!(run.stdout.contains("uploaded two.txt -> "), "{run}");
    // The bars were drawn (indicatif moves the cursor to redraw them).
    assert!(run.stdout.contains("files ["), "{run}");
}
