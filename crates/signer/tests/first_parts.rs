//! `signParts` on `POST /s3/multipart` (issue 13): the create answers the
//! first window of part URLs, so a client's first byte leaves one signer
//! round trip sooner. The URLs are real: Garage takes parts through them.

mod common;

use common::*;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

async fn create(app: &TestApp, body: Value) -> Answer {
    let a = app.post("/s3/multipart", Some(ALICE), body).await;
    assert_eq!(a.status, 200, "{}", a.json);
    a
}

#[tokio::test]
async fn create_answers_the_first_parts_and_they_upload() {
    let app = spawn_app(&[]).await;
    let data = body(12 * MIB, 7);
    let a = create(
        &app,
        json!({"filename": "w.bin", "type": "application/octet-stream",
               "size": data.len(), "partSize": 5 * MIB, "signParts": 2}),
    )
    .await;
    let (key, id) = (
        a.json["key"].as_str().unwrap().to_owned(),
        a.json["uploadId"].as_str().unwrap().to_owned(),
    );
    let urls = a.json["parts"]["presignedUrls"].as_object().expect("parts");
    let mut numbers: Vec<&String> = urls.keys().collect();
    numbers.sort();
    assert_eq!(numbers, ["1", "2"], "exactly the first window");
    assert!(a.json["parts"]["expires"].as_u64().is_some());

    // Parts 1 and 2 through the create's URLs, part 3 through a batch.
    let mut parts = Vec::new();
    for n in 1..=2usize {
        let url = urls[&n.to_string()].as_str().unwrap();
        let chunk = data[(n - 1) * 5 * MIB..n * 5 * MIB].to_vec();
        let res = app.http.put(url).body(chunk).send().await.unwrap();
        assert_eq!(res.status(), 200, "part {n}");
        parts.push(json!({"PartNumber": n, "ETag": res.headers()["etag"].to_str().unwrap()}));
    }
    let b = app
        .get(
            &format!("/s3/multipart/{id}/batch?key={}&partNumbers=3", enc(&key)),
            Some(ALICE),
        )
        .await;
    let url = b.json["presignedUrls"]["3"].as_str().unwrap();
    let res = app
        .http
        .put(url)
        .body(data[10 * MIB..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    parts.push(json!({"PartNumber": 3, "ETag": res.headers()["etag"].to_str().unwrap()}));
    let done = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
            Some(ALICE),
            json!({ "parts": parts }),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(app.object(&key).await.as_deref(), Some(&data[..]));
}

#[tokio::test]
async fn sign_parts_is_bounded_by_the_plan_and_skipped_when_it_cannot_apply() {
    let app = spawn_app(&[]).await;
    let count = |a: &Answer| {
        a.json["parts"]["presignedUrls"]
            .as_object()
            .map(|m| m.len())
    };
    // More than the plan has: the plan's 3 parts.
    let a = create(
        &app,
        json!({"filename": "a.bin", "size": 12 * MIB, "partSize": 5 * MIB, "signParts": 500}),
    )
    .await;
    assert_eq!(count(&a), Some(3));
    // Parts bound to checksums need the client's digests first.
    let a = create(
        &app,
        json!({"filename": "b.bin", "size": 12 * MIB, "signParts": 2,
               "checksumAlgorithm": "sha256"}),
    )
    .await;
    assert_eq!(count(&a), None, "{}", a.json);
    // A Companion-shaped request (no signParts), and 0: no `parts` at all.
    for extra in [json!({}), json!({"signParts": 0})] {
        let mut body = json!({"filename": "c.bin", "size": 12 * MIB});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let a = create(&app, body).await;
        assert!(a.json.get("parts").is_none(), "{}", a.json);
    }
    // A bad value is refused with a clear error, not ignored.
    app.post(
        "/s3/multipart",
        Some(ALICE),
        json!({"filename": "d.bin", "size": 12 * MIB, "signParts": -1}),
    )
    .await
    .assert_error(400, "bad_request");
}
