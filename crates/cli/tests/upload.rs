//! `s3lift upload` against real Garage and the real signer: a directory
//! tree byte-exact, and bad input with clear errors and exit codes.

mod common;

use std::collections::BTreeMap;

use common::{body, run, s3lift, start, TOKEN};

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_tree_uploads_byte_exact_with_json_lines() {
    let env = start(0, 200 * MIB as u64).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(root.join("big")).unwrap();
    let files: BTreeMap<&str, Vec<u8>> = [
        ("tree/a.txt", b"hello from the cli\n".to_vec()),
        ("tree/sub/b.json", br#"{"b":1}"#.to_vec()),
        ("tree/sub/deeper/c.bin", body(100 * 1024 + 7, 3)),
        ("tree/big/large.bin", body(12 * MIB, 4)),
    ]
    .into_iter()
    .collect();
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let out = run(s3lift(
        dir.path(),
        Some(TOKEN),
        &[
            "upload",
            "tree",
            "--signer",
            &env.signer,
            "--json",
            "--concurrency",
            "4",
        ],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out}");
    out.assert_no_secrets();
    let lines = out.lines();
    assert_eq!(lines.len(), files.len(), "{out}");
    for line in &lines {
        let path = line["path"].as_str().expect("path");
        let bytes = files
            .get(path)
            .unwrap_or_else(|| panic!("unknown path {path}"));
        assert_eq!(line["size"], bytes.len() as u64, "{line}");
        assert!(
            line["etag"].as_str().is_some_and(|e| !e.is_empty()),
            "{line}"
        );
        assert!(line["location"].as_str().is_some(), "{line}");
        // `<prefix>/<caller>/<uuid>.<tag>/<relative path>`: the key keeps the folders.
        let key = line["key"].as_str().expect("key");
        let (head, tail) = key.split_at(key.len() - path.len());
        assert_eq!(tail, path, "{key} for {path}");
        assert!(head.starts_with("uploads/alice/"), "{key}");
        assert_eq!(head.matches('/').count(), 3, "{key}");
        assert!(
            env.object(key).await == *bytes,
            "{path}: stored bytes differ"
        );
    }
    // The multipart upload keeps the whole relative path in its metadata.
    let large = lines
        .iter()
        .find(|l| l["path"] == "tree/big/large.bin")
        .unwrap();
    let head = env
        .s3
        .head_object()
        .bucket(env.garage.bucket())
        .key(large["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let meta = head.metadata().cloned().unwrap_or_default();
    assert_eq!(
        meta.get("relativepath").map(String::as_str),
        Some("tree/big/large.bin"),
        "{meta:?}"
    );
    // 12 MiB in the signer's parts, plus one request per small file.
    assert!(large["storeRequests"].as_u64().unwrap() >= 2, "{large}");
    assert_eq!(large["resumed"], false);
    // Nothing left to resume, nothing left incomplete.
    assert!(!dir.path().join(".s3lift-state.json").exists());
    assert!(env.uploads().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_its_exit_code() {
    let env = start(0, 200 * MIB as u64).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), b"x").unwrap();
    let signer = env.signer.as_str();
    // Usage and configuration errors: 2, one line that says what to do.
    let cases: [(Option<&str>, Vec<&str>, &str); 6] = [
        (
            None,
            vec!["upload", "f.txt", "--signer", signer],
            "S3LIFT_TOKEN",
        ),
        (
            Some(""),
            vec!["upload", "f.txt", "--signer", signer],
            "S3LIFT_TOKEN",
        ),
        (
            Some(TOKEN),
            vec!["upload", "missing.txt", "--signer", signer],
            "missing.txt",
        ),
        (
            Some(TOKEN),
            vec!["upload", "f.txt", "--signer", "not a url"],
            "--signer",
        ),
        (
            Some(TOKEN),
            vec!["upload", "f.txt", "--signer", signer, "--concurrency", "0"],
            "concurrency",
        ),
        (Some(TOKEN), vec!["upload", "--signer", signer], "PATH"),
    ];
    for (token, args, says) in cases {
        let out = run(s3lift(dir.path(), token, &args)).await;
        assert_eq!(out.code, Some(2), "{args:?}: {out}");
        assert!(
            out.stderr.contains(says),
            "{args:?} should say {says}: {out}"
        );
        out.assert_no_secrets();
    }
    // A state file that is not ours: 2, and it is left alone.
    std::fs::write(dir.path().join("bad-state.json"), b"{oops").unwrap();
    let out = run(s3lift(
        dir.path(),
        Some(TOKEN),
        &[
            "upload",
            "f.txt",
            "--signer",
            signer,
            "--state",
            "bad-state.json",
        ],
    ))
    .await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("bad-state.json"), "{out}");
    assert_eq!(
        std::fs::read(dir.path().join("bad-state.json")).unwrap(),
        b"{oops"
    );

    // A wrong token: the file fails with the signer's code; exit 1.
    let out = run(s3lift(
        dir.path(),
        Some("not-the-token"),
        &["upload", "f.txt", "--signer", signer, "--json"],
    ))
    .await;
    assert_eq!(out.code, Some(1), "{out}");
    let line = &out.lines()[0];
    assert_eq!(line["path"], "f.txt");
    assert_eq!(line["error"]["code"], "invalid_token", "{out}");
    assert!(line["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(!out.stdout.contains("not-the-token") && !out.stderr.contains("not-the-token"));

    // An unreachable signer: the file fails with a code and a message after
    // the engine's retries; exit 1.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("http://127.0.0.1:{port}/s3");
    let out = run(s3lift(
        dir.path(),
        Some(TOKEN),
        &["upload", "f.txt", "--signer", &nowhere, "--attempts", "2"],
    ))
    .await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(out.stdout.contains("failed   f.txt:"), "{out}");
    assert!(out.stdout.contains("(retries_exhausted)"), "{out}");
    assert!(out.stderr.contains("0 uploaded, 1 failed"), "{out}");
    out.assert_no_secrets();
}
