//! Issue 12, item 2, as an attacker runs it against a real Garage node: a
//! multipart upload without a size, and the bounds the compatibility mode
//! keeps on it.

mod common;

use base64::Engine;
use common::*;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;
const TEN_MIB: &str = "10485760";

/// `POST /s3/multipart` the way Uppy sends it to Companion: no `size`.
async fn create_unsized(app: &TestApp, token: &str, name: &str) -> Answer {
    app.post(
        "/s3/multipart",
        Some(token),
        json!({"filename": name, "type": "application/octet-stream", "metadata": {}}),
    )
    .await
}

#[tokio::test]
async fn a_multipart_create_without_size_is_refused() {
    // The reproduction: MAX_SIZE 10 MiB, a create without size, then three
    // 6 MiB parts. It now stops at create.
    let app = spawn_app(&[("S3LIFT_MAX_SIZE", TEN_MIB)]).await;
    let a = create_unsized(&app, ALICE, "big.bin").await;
    a.assert_error(400, "size_required");
    let msg = a.json["error"].as_str().unwrap();
    assert!(msg.contains("\"size\": <bytes>"), "says how: {msg}");
    assert_eq!(app.incomplete_uploads().await, 0, "nothing was created");
}

#[tokio::test]
async fn the_compatibility_mode_bounds_uploads_without_a_size() {
    let app = spawn_app(&[
        ("S3LIFT_MAX_SIZE", TEN_MIB),
        ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "true"),
    ])
    .await;
    let a = create_unsized(&app, ALICE, "big.bin").await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert!(a.json.get("partSize").is_none(), "no plan: {}", a.json);
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap().to_owned();
    let q = enc(&key);

    // 10 MiB fits in ceil(10 MiB / 5 MiB) = 2 parts: part 3 and 9999 are refused.
    for path in [
        format!("/s3/multipart/{id}/9999?key={q}"),
        format!("/s3/multipart/{id}/3?key={q}"),
        format!("/s3/multipart/{id}/batch?key={q}&partNumbers=1,2,3"),
    ] {
        let r = app.get(&path, Some(ALICE)).await;
        r.assert_error(400, "bad_request");
        assert!(
            r.json["error"]
                .as_str()
                .unwrap()
                .contains("beyond the 2 parts"),
            "{}",
            r.json
        );
    }

    // Two 6 MiB parts: the URLs sign no length, so the store takes 12 MiB...
    let batch = app
        .get(
            &format!("/s3/multipart/{id}/batch?key={q}&partNumbers=1,2"),
            Some(ALICE),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.json);
    let mut parts = Vec::new();
    for n in 1..=2 {
        let url = batch.json["presignedUrls"][n.to_string()].as_str().unwrap();
        let etag = app.put_part(url, body(6 * MIB, n)).await;
        parts.push(json!({"PartNumber": n, "ETag": etag}));
    }
    // ...and complete adds them up, refuses, and aborts the upload in the store.
    let done = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={q}"),
            Some(ALICE),
            json!({ "parts": parts }),
        )
        .await;
    done.assert_error(413, "too_large");
    assert_eq!(app.incomplete_uploads().await, 0, "the upload was aborted");
    assert!(app.object(&key).await.is_none());

    // Within the maximum, an upload without a size completes.
    let a = create_unsized(&app, ALICE, "fits.bin").await;
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap().to_owned();
    let data = body(5 * MIB + 3, 7);
    let done = app.upload_multipart(ALICE, &key, &id, 5 * MIB, &data).await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(app.object(&key).await.unwrap(), data);
}

#[tokio::test]
async fn part_urls_of_uploads_without_a_size_are_rate_limited_per_caller() {
    let app = spawn_app(&[
        ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "true"),
        ("S3LIFT_UNSIZED_PART_RATE", "3"),
    ])
    .await;
    let a = create_unsized(&app, ALICE, "a.bin").await;
    let (key, id) = (
        a.json["key"].as_str().unwrap(),
        a.json["uploadId"].as_str().unwrap(),
    );
    let batch = format!("/s3/multipart/{id}/batch?key={}&partNumbers=1,2", enc(key));
    let one = format!("/s3/multipart/{id}/3?key={}", enc(key));
    assert_eq!(app.get(&batch, Some(ALICE)).await.status, 200);
    assert_eq!(app.get(&one, Some(ALICE)).await.status, 200);
    let r = app.get(&one, Some(ALICE)).await;
    r.assert_error(429, "rate_limited");
    assert!(r.headers.get("retry-after").is_some());

    // Another caller has its own budget, and uploads with a size are not limited.
    let b = create_unsized(&app, BOB, "b.bin").await;
    let path = format!(
        "/s3/multipart/{}/1?key={}",
        b.json["uploadId"].as_str().unwrap(),
        enc(b.json["key"].as_str().unwrap())
    );
    assert_eq!(app.get(&path, Some(BOB)).await.status, 200);
    let (key, id, _) = app.create(ALICE, "sized.bin", 20 * MIB as u64).await;
    let sized = format!(
        "/s3/multipart/{id}/batch?key={}&partNumbers=1,2,3,4",
        enc(&key)
    );
    assert_eq!(app.get(&sized, Some(ALICE)).await.status, 200);
}

#[tokio::test]
async fn params_without_size_is_a_post_policy_up_to_the_maximum() {
    let app = spawn_app(&[("S3LIFT_MAX_SIZE", "1000")]).await;
    let a = app
        .get("/s3/params?filename=form.txt&type=text/plain", Some(ALICE))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["method"], "POST");
    let policy = a.json["fields"]["Policy"].as_str().expect("a Policy field");
    let policy: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(policy)
            .unwrap(),
    )
    .unwrap();
    let range = policy["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "content-length-range")
        .expect("a content-length-range condition");
    assert_eq!(range, &json!(["content-length-range", 0, 1000]));

    let url = a.json["url"].as_str().unwrap().to_owned();
    let key = a.json["key"].as_str().unwrap().to_owned();
    let form = |len: usize| policy_form(&a.json["fields"], len, 5);
    store_refuses(app.http.post(&url).multipart(form(1001)))
        .await
        .expect("the store refuses a byte over the maximum");
    assert!(app.object(&key).await.is_none());
    let ok = app
        .http
        .post(&url)
        .multipart(form(1000))
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(app.object(&key).await.unwrap(), body(1000, 5));
}
