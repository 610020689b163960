//! Memory stays flat in file size: the peak RSS (`VmHWM`) of `s3lift
//! upload` of a 1 GiB sparse file stays under 64 MiB (the file is 1 GiB).
//! `S3LIFT_CLI_MEM_GIB=4` measures a larger file with the same limit.

mod common;

use std::time::{Duration, Instant};

use common::{s3lift, start, TOKEN};

const GIB: u64 = 1024 * 1024 * 1024;
/// About 3× what it takes (23 MiB); buffering whole parts (6 in flight) takes 90+.
const LIMIT_KIB: u64 = 64 * 1024;

/// `VmHWM` of `pid` in KiB, while it lives.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_upload_peaks_under_64_mib_of_memory() {
    let gib: u64 = std::env::var("S3LIFT_CLI_MEM_GIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let env = start(0, (gib + 1) * GIB).await;
    let dir = tempfile::tempdir().unwrap();
    // Sparse: no disk used, and Garage stores its zero blocks once.
    std::fs::File::create(dir.path().join("huge.bin"))
        .unwrap()
        .set_len(gib * GIB)
        .unwrap();
    let args = ["upload", "huge.bin", "--signer", &env.signer, "--json"];
    let mut child = s3lift(dir.path(), Some(TOKEN), &args).spawn().unwrap();
    let pid = child.id();
    let began = Instant::now();
    let mut peak = 0;
    // The last reading before the exit is the peak of the whole run
    // (VmHWM only grows), give or take the final 20 ms.
    let status = loop {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(began.elapsed() < Duration::from_secs(600), "too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let out = common::Run::from(child.wait_with_output().unwrap());
    assert_eq!(status.code(), Some(0), "{out}");
    let line = &out.lines()[0];
    assert_eq!(line["size"], gib * GIB, "{out}");
    let head = env
        .s3
        .head_object()
        .bucket(env.garage.bucket())
        .key(line["key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some((gib * GIB) as i64));
    eprintln!(
        "{gib} GiB in {:.1} s, peak RSS {} KiB",
        began.elapsed().as_secs_f64(),
        peak
    );
    assert!(peak > 0, "VmHWM never read");
    assert!(peak < LIMIT_KIB, "peak RSS {peak} KiB");
}
