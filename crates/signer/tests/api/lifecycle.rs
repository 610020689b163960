//! A multipart upload from create to complete, ListParts, abort, and the
//! batch route for many small files.

use super::*;

#[tokio::test]
async fn six_part_upload_completes_byte_exact() {
    let app = spawn_app(&[]).await;
    let data = body(5 * 5 * MIB + 123_457, 6);
    let a = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "six.bin", "type": "application/octet-stream", "metadata": {"note": "hi"}, "size": data.len(), "partSize": 5 * MIB}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["partSize"], 5 * MIB);
    assert_eq!(a.json["partCount"], 6);
    assert_eq!(a.json["bucket"], app.garage.bucket());
    assert_eq!(a.headers["cache-control"], "no-store");
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with("uploads/alice/") && key.ends_with("/six.bin"),
        "{key}"
    );

    // A single-part URL also works, and the listing shows what was sent.
    let one = app
        .get(
            &format!("/s3/multipart/{id}/1?key={}", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.json);
    assert!(one.json["url"].as_str().unwrap().contains("partNumber=1"));

    let done = app.upload_multipart(ALICE, &key, &id, 5 * MIB, &data).await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["key"], key.as_str());
    assert!(done.json["location"]
        .as_str()
        .unwrap()
        .starts_with(&app.garage.endpoint()));
    let stored = app.object(&key).await.expect("object exists");
    assert_eq!(sha256(&stored), sha256(&data));
    assert_eq!(app.incomplete_uploads().await, 0);

    // The download link is for the caller's own object only.
    let link = app
        .get(&format!("/s3/download?key={}", enc(&key)), Some(ALICE))
        .await;
    assert_eq!(link.status, 200, "{}", link.json);
    let got = app
        .http
        .get(link.json["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha256(&got), sha256(&data));
    app.get(&format!("/s3/download?key={}", enc(&key)), Some(BOB))
        .await
        .assert_error(403, "forbidden_key");
}

#[tokio::test]
async fn the_in_body_complete_route_completes_the_upload_it_names() {
    let app = spawn_app(&[]).await;
    let data = body(2 * 5 * MIB + 77, 9);
    let (key, id, _) = app.create(ALICE, "body.bin", data.len() as u64).await;
    let parts = app.put_parts(ALICE, &key, &id, 5 * MIB, &data).await;

    // Every field is needed: a body without the upload is a clear 400.
    app.post(
        "/s3/multipart/complete",
        Some(ALICE),
        json!({"key": key, "parts": parts}),
    )
    .await
    .assert_error(400, "bad_request");
    // Another caller's key is refused as on the path route.
    app.post(
        "/s3/multipart/complete",
        Some(BOB),
        json!({"uploadId": id, "key": key, "parts": parts}),
    )
    .await
    .assert_error(403, "forbidden_key");

    let done = app
        .post(
            "/s3/multipart/complete",
            Some(ALICE),
            json!({"uploadId": id, "key": key, "parts": parts}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["key"], key.as_str());
    let stored = app.object(&key).await.expect("object exists");
    assert_eq!(sha256(&stored), sha256(&data));
    assert_eq!(app.incomplete_uploads().await, 0);
    // Once completed, the upload is gone, as on the path route.
    app.post(
        "/s3/multipart/complete",
        Some(ALICE),
        json!({"uploadId": id, "key": key, "parts": parts}),
    )
    .await
    .assert_error(404, "no_such_upload");
}

#[tokio::test]
async fn list_parts_follows_every_page() {
    let app = spawn_app(&[]).await;
    let data = body(2 * 5 * MIB + 10, 3);
    let (key, id, _) = app.create(ALICE, "l.bin", data.len() as u64).await;
    let batch = app
        .get(
            &format!("/s3/multipart/{id}/batch?key={}&partNumbers=3,1", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(batch.status, 200);
    for (n, range) in [(3usize, 10 * MIB..data.len()), (1, 0..5 * MIB)] {
        let url = batch.json["presignedUrls"][n.to_string()].as_str().unwrap();
        let res = app
            .http
            .put(url)
            .body(data[range].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let listed = app
        .get(
            &format!("/s3/multipart/{id}?key={}", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.json);
    let parts = listed.json.as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["PartNumber"], 1);
    assert_eq!(parts[0]["Size"], 5 * MIB);
    assert_eq!(parts[1]["PartNumber"], 3);
    assert!(parts[1]["ETag"].as_str().unwrap().starts_with('"'));

    // Garage answers ListParts 1,000 parts a page at most
    // (`max_parts.unwrap_or(1000).clamp(1, 1000)` in its s3 api_server.rs),
    // as S3 does. 999 more one-byte parts (any size is stored until complete)
    // make 1,001, so the listing must fetch a second page to see them all.
    use futures_util::StreamExt;
    futures_util::stream::iter(4..=1002)
        .map(|n| owner_puts_part(&app, &key, &id, n, vec![n as u8]))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let first = app
        .s3
        .list_parts()
        .bucket(app.garage.bucket())
        .key(&key)
        .upload_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(first.parts().len(), 1000, "the store's first page");
    assert_eq!(first.is_truncated(), Some(true));
    let all = app
        .get(
            &format!("/s3/multipart/{id}?key={}", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert_eq!(all.status, 200);
    let all = all.json.as_array().unwrap();
    assert_eq!(all.len(), 1001, "parts past the first page are listed");
    assert_eq!(all[1000]["PartNumber"], 1002);
    assert_eq!(all[1000]["Size"], 1);
    assert!(all
        .windows(2)
        .all(|w| w[0]["PartNumber"].as_u64() < w[1]["PartNumber"].as_u64()));

    // Completing with a part missing from the store is refused, not silently done.
    let bogus = json!({"parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}, {"PartNumber": 2, "ETag": "\"abc\""}]});
    app.post(
        &format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
        Some(ALICE),
        bogus,
    )
    .await
    .assert_error(400, "invalid_parts");
}

#[tokio::test]
async fn abort_leaves_no_incomplete_upload_and_is_idempotent() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "a.bin", 12 * MIB as u64).await;
    assert_eq!(app.incomplete_uploads().await, 1);
    for _ in 0..2 {
        let a = app
            .call(
                Method::DELETE,
                &format!("/s3/multipart/{id}?key={}", enc(&key)),
                Some(ALICE),
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.json);
        assert_eq!(a.json, json!({}));
    }
    assert_eq!(app.incomplete_uploads().await, 0);
}

#[tokio::test]
async fn many_small_files_are_signed_in_one_call() {
    let app = spawn_app(&[]).await;
    let a = app
        .post(
            "/s3/params",
            Some(ALICE),
            json!({"files": [
                {"filename": "a.txt", "type": "text/plain", "size": 5, "method": "POST"},
                {"filename": "b.txt", "type": "text/plain", "size": 7},
                {"filename": "huge.bin", "type": "application/octet-stream", "size": 300 * MIB},
            ]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let p = a.json["params"].as_array().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p[0]["method"], "POST");
    assert_eq!(p[1]["method"], "PUT");
    assert_eq!(
        p[2]["code"], "too_large",
        "one refused file does not refuse the batch"
    );
    for item in &p[..2] {
        assert!(item["key"].as_str().unwrap().starts_with("uploads/alice/"));
    }
    // The POST form carries the exact size: the store refuses any other.
    let form = |len: usize| policy_form(&p[0]["fields"], len, 3);
    let url = p[0]["url"].as_str().unwrap();
    store_refuses(app.http.post(url).multipart(form(6)))
        .await
        .expect("a longer body is refused");
    let ok = app.http.post(url).multipart(form(5)).send().await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        app.object(p[0]["key"].as_str().unwrap()).await.unwrap(),
        body(5, 3)
    );

    app.post("/s3/params", Some(ALICE), json!({"files": []}))
        .await
        .assert_error(400, "bad_request");
    app.post("/s3/params", None, json!({"files": []}))
        .await
        .assert_error(401, "missing_token");
}
