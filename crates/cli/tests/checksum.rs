//! `--checksum crc64nvme` (issue 15): each part is read from disk and bound
//! to its CRC64NVME, the engine combines them into the whole file's value,
//! the store checks it at complete, and the JSON line carries it.

mod common;

use common::{body, run, s3lift, start, TOKEN};
use s3lift_protocol::crc64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_file_crc64nvme_is_checked_and_reported() {
    let env = start(0, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = body(23 * 1024 * 1024 + 17, 41);
    std::fs::write(dir.path().join("sum.bin"), &bytes).unwrap();
    let signer = env.signer.as_str();
    let args = [
        "upload",
        "sum.bin",
        "--signer",
        signer,
        "--json",
        "--checksum",
        "crc64nvme",
    ];
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    out.assert_no_secrets();
    let line = &out.lines()[0];
    let want = crc64::to_base64(crc64::checksum(&bytes));
    assert_eq!(line["checksum"]["crc64nvme"], want.as_str(), "{line}");
    let key = line["key"].as_str().unwrap();
    assert!(env.object(key).await == bytes, "stored bytes differ");

    // Without the option: no checksum in the line.
    std::fs::write(dir.path().join("plain.bin"), &bytes[..6 << 20]).unwrap();
    let args = ["upload", "plain.bin", "--signer", signer, "--json"];
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.lines()[0]["checksum"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_file_goes_as_one_put_with_its_crc64nvme_signed() {
    let env = start(0, 1 << 30).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = body(70 * 1024 + 5, 42);
    std::fs::write(dir.path().join("small.bin"), &bytes).unwrap();
    let signer = env.signer.as_str();
    let args = [
        "upload",
        "small.bin",
        "--signer",
        signer,
        "--json",
        "--checksum",
        "crc64nvme",
    ];
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    let line = &out.lines()[0];
    let want = crc64::to_base64(crc64::checksum(&bytes));
    assert_eq!(line["checksum"]["crc64nvme"], want.as_str(), "{line}");
    let key = line["key"].as_str().unwrap();
    assert!(env.object(key).await == bytes, "stored bytes differ");

    // Without the option the small file carries none.
    let args = ["upload", "small.bin", "--signer", signer, "--json"];
    let out = run(s3lift(dir.path(), Some(TOKEN), &args)).await;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.lines()[0]["checksum"].is_null(), "{out}");
}
