//! The `pending` extension of complete: a complete sent while its last
//! parts are still travelling waits for the store to hold them.

use std::time::Duration;

use super::*;

/// Signs parts `1..=count` of an upload; their URLs, by number.
async fn part_urls(app: &TestApp, key: &str, id: &str, count: usize) -> Vec<String> {
    let numbers: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    let batch = app
        .get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers={}",
                enc(key),
                numbers.join(",")
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(batch.status, 200, "batch: {}", batch.json);
    (1..=count)
        .map(|n| {
            batch.json["presignedUrls"][n.to_string()]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Part `n` (1-based) of `data` in 5 MiB parts.
fn chunk(data: &[u8], n: usize) -> Vec<u8> {
    data[(n - 1) * 5 * MIB..(n * 5 * MIB).min(data.len())].to_vec()
}

/// PUTs a part 300 ms from now: after the complete naming it went out.
async fn put_late(app: &TestApp, url: &str, data: Vec<u8>) -> String {
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.put_part(url, data).await
}

#[tokio::test]
async fn a_complete_sent_before_its_last_part_landed_waits_for_it() {
    let app = spawn_app(&[]).await;

    // The path route: parts 1 and 2 answered, part 3 still travelling.
    let data = body(2 * 5 * MIB + 4_321, 31);
    let (key, id, _) = app.create(ALICE, "late.bin", data.len() as u64).await;
    let urls = part_urls(&app, &key, &id, 3).await;
    let mut parts = Vec::new();
    for n in 1..=2 {
        let etag = app.put_part(&urls[n - 1], chunk(&data, n)).await;
        parts.push(json!({"PartNumber": n, "ETag": etag}));
    }
    let complete = format!("/s3/multipart/{id}/complete?key={}", enc(&key));
    let (done, late_etag) = tokio::join!(
        app.post(
            &complete,
            Some(ALICE),
            json!({"parts": parts, "pending": [3]}),
        ),
        put_late(&app, &urls[2], chunk(&data, 3)),
    );
    assert_eq!(done.status, 200, "{}", done.json);
    assert!(!late_etag.is_empty());
    let stored = app.object(&key).await.expect("object exists");
    assert_eq!(stored.len(), data.len());
    assert_eq!(sha256(&stored), sha256(&data));

    // The in-body route, every part pending (`parts` empty): one lands at
    // once, the other late.
    let data = body(5 * MIB + 99, 32);
    let (key, id, _) = app
        .create(ALICE, "all-pending.bin", data.len() as u64)
        .await;
    let urls = part_urls(&app, &key, &id, 2).await;
    let (done, _, _) = tokio::join!(
        app.post(
            "/s3/multipart/complete",
            Some(ALICE),
            json!({"uploadId": id, "key": key, "parts": [], "pending": [2, 1]}),
        ),
        app.put_part(&urls[0], chunk(&data, 1)),
        put_late(&app, &urls[1], chunk(&data, 2)),
    );
    assert_eq!(done.status, 200, "{}", done.json);
    let stored = app.object(&key).await.expect("object exists");
    assert_eq!(sha256(&stored), sha256(&data));
    assert_eq!(app.incomplete_uploads().await, 0);
}

#[tokio::test]
async fn a_pending_part_that_never_lands_is_invalid_parts_and_the_upload_stays() {
    let garage = tokio::task::spawn_blocking(s3lift_testkit::Garage::start)
        .await
        .expect("garage start");
    // 300 ms instead of 10 s: the test waits for the signer's answer, and
    // the bound is what it answers after.
    let app = spawn_app_tuned(garage, &[], |s| {
        s.uploads.pending_wait = Duration::from_millis(300)
    })
    .await;
    let data = body(5 * MIB + 7, 33);
    let (key, id, _) = app.create(ALICE, "never.bin", data.len() as u64).await;
    let urls = part_urls(&app, &key, &id, 2).await;
    let first = app.put_part(&urls[0], chunk(&data, 1)).await;
    let complete = format!("/s3/multipart/{id}/complete?key={}", enc(&key));
    let parts = json!([{"PartNumber": 1, "ETag": first}]);

    // Refused before anything is listed: a part both given and pending,
    // a bad number, nothing at all.
    for (body, code) in [
        (json!({"parts": parts, "pending": [1]}), "invalid_parts"),
        (json!({"parts": parts, "pending": [2, 2]}), "invalid_parts"),
        (
            json!({"parts": parts, "pending": [10_001]}),
            "invalid_parts",
        ),
        (json!({"parts": [], "pending": []}), "bad_request"),
    ] {
        app.post(&complete, Some(ALICE), body)
            .await
            .assert_error(400, code);
    }

    let asked = std::time::Instant::now();
    let refused = app
        .post(
            &complete,
            Some(ALICE),
            json!({"parts": parts, "pending": [2]}),
        )
        .await;
    refused.assert_error(400, "invalid_parts");
    // It waited for the bound, and did not refuse at the first listing.
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!(
        refused.json["error"], "part 2 did not reach the store within 300 ms",
        "{}",
        refused.json
    );
    // Not aborted: the client completes again once part 2 is answered.
    assert!(!upload_is_gone(&app, &key, &id).await);
    let second = app.put_part(&urls[1], chunk(&data, 2)).await;
    let done = app
        .post(
            &complete,
            Some(ALICE),
            json!({"parts": [{"PartNumber": 2, "ETag": second}, {"PartNumber": 1, "ETag": first}]}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(sha256(&app.object(&key).await.unwrap()), sha256(&data));
}
