//! Every docs/protocol.md route against a real Garage node: what the signer
//! answers, and what the store itself refuses.

mod common;

use base64::Engine;
use common::*;
use reqwest::Method;
use serde_json::json;
use sha2::Digest;

const MIB: usize = 1024 * 1024;

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

/// Puts one part straight into the store with the bucket owner's own client,
/// the way a caller who bypassed the signer's checks would have it there.
async fn owner_puts_part(app: &TestApp, key: &str, id: &str, n: i32, data: Vec<u8>) -> String {
    let out = app
        .s3
        .upload_part()
        .bucket(app.garage.bucket())
        .key(key)
        .upload_id(id)
        .part_number(n)
        .body(data.into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("part {n}: {e:?}"));
    out.e_tag().unwrap().to_owned()
}

/// Whether the store still holds the upload: ListParts answers NoSuchUpload
/// once it is aborted.
async fn upload_is_gone(app: &TestApp, key: &str, id: &str) -> bool {
    match app
        .s3
        .list_parts()
        .bucket(app.garage.bucket())
        .key(key)
        .upload_id(id)
        .send()
        .await
    {
        Ok(_) => false,
        Err(e) => {
            use aws_sdk_s3::error::ProvideErrorMetadata;
            let code = e
                .as_service_error()
                .and_then(|s| s.code())
                .map(str::to_owned);
            assert_eq!(code.as_deref(), Some("NoSuchUpload"), "{e:?}");
            true
        }
    }
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
async fn authorization_is_required_and_checked() {
    let app = spawn_app(&[]).await;
    let create = json!({"filename": "x.bin", "type": "application/octet-stream", "metadata": {}, "size": 10});
    app.post("/s3/multipart", None, create.clone())
        .await
        .assert_error(401, "missing_token");
    app.post("/s3/multipart", Some("not-a-token"), create.clone())
        .await
        .assert_error(401, "invalid_token");
    app.post("/s3/multipart", Some(&jwt("carol", -120)), create.clone())
        .await
        .assert_error(401, "invalid_token");
    app.get("/s3/params?filename=a.txt&type=text/plain&size=3", None)
        .await
        .assert_error(401, "missing_token");

    // A valid JWT names the caller, and the key lands in its namespace.
    let ok = app
        .post("/s3/multipart", Some(&jwt("carol", 600)), create)
        .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert!(ok.json["key"]
        .as_str()
        .unwrap()
        .starts_with("uploads/carol/"));
}

#[tokio::test]
async fn another_callers_key_or_upload_is_refused() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "mine.bin", 6 * MIB as u64).await;
    let (bob_key, bob_id, _) = app.create(BOB, "his.bin", 6 * MIB as u64).await;

    for path in [
        format!("/s3/multipart/{id}/batch?key={}&partNumbers=1", enc(&key)),
        format!("/s3/multipart/{id}/1?key={}", enc(&key)),
        format!("/s3/multipart/{id}?key={}", enc(&key)),
    ] {
        app.get(&path, Some(BOB))
            .await
            .assert_error(403, "forbidden_key");
    }
    app.call(
        Method::DELETE,
        &format!("/s3/multipart/{id}?key={}", enc(&key)),
        Some(BOB),
        None,
    )
    .await
    .assert_error(403, "forbidden_key");
    let parts = json!({"parts": [{"PartNumber": 1, "ETag": "\"x\""}]});
    app.post(
        &format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
        Some(BOB),
        parts,
    )
    .await
    .assert_error(403, "forbidden_key");

    // Bob's own key with Alice's upload id: the store says that upload is not his key's.
    let a = app
        .get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers=1",
                enc(&bob_key)
            ),
            Some(BOB),
        )
        .await;
    assert!(
        a.status == 403 || a.status == 404,
        "{} {}",
        a.status,
        a.json
    );
    assert!(
        a.code() == "forbidden_key" || a.code() == "no_such_upload",
        "{}",
        a.json
    );

    // A forged key in Alice's namespace but never made by the signer.
    let forged = format!("uploads/alice/{}/evil.bin", "0".repeat(32));
    let a = app
        .get(
            &format!("/s3/multipart/{bob_id}?key={}", enc(&forged)),
            Some(ALICE),
        )
        .await;
    assert!(
        a.status == 400 || a.status == 403 || a.status == 404,
        "{} {}",
        a.status,
        a.json
    );
    assert_eq!(app.incomplete_uploads().await, 2);
}

#[tokio::test]
async fn hostile_filenames_stay_in_the_callers_namespace() {
    let app = spawn_app(&[]).await;
    for name in [
        "../../etc/passwd",
        "/etc/shadow",
        "C:\\Windows\\system.ini",
        "a\u{0}b.txt",
        "evil\u{202E}gpj.exe",
        "..",
        "",
    ] {
        let a = app
            .get(
                &format!("/s3/params?filename={}&type=text/plain&size=5", enc(name)),
                Some(ALICE),
            )
            .await;
        if name.is_empty() {
            a.assert_error(400, "bad_request");
            continue;
        }
        assert_eq!(a.status, 200, "{name:?}: {}", a.json);
        let key = a.json["key"].as_str().unwrap();
        let segs: Vec<&str> = key.split('/').collect();
        assert_eq!(segs.len(), 4, "{key:?}");
        assert_eq!(&segs[..2], &["uploads", "alice"]);
        let last = segs[3];
        assert!(!last.is_empty() && last != ".." && last != ".", "{key:?}");
        assert!(
            !last
                .chars()
                .any(|c| c.is_control() || c == '\u{202E}' || c == '\\'),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn single_put_is_size_bound_by_the_store() {
    let app = spawn_app(&[]).await;
    let data = body(1000, 9);
    let a = app
        .get(
            "/s3/params?filename=small.txt&type=text/plain&size=1000",
            Some(ALICE),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["method"], "PUT");
    assert_eq!(a.json["headers"]["content-type"], "text/plain");
    let url = a.json["url"].as_str().unwrap();
    assert!(url.contains("content-length"), "the length is signed");
    let key = a.json["key"].as_str().unwrap();

    // A larger body than approved: Garage itself refuses it.
    store_refuses(
        app.http
            .put(url)
            .header("content-type", "text/plain")
            .body(body(2000, 9)),
    )
    .await
    .expect("a body larger than signed is refused by the store");
    assert!(app.object(key).await.is_none());

    let ok = app
        .http
        .put(url)
        .header("content-type", "text/plain")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(app.object(key).await.unwrap(), data);
}

#[tokio::test]
async fn post_policy_is_bound_by_content_length_range() {
    let app = spawn_app(&[("S3LIFT_SINGLE_UPLOAD", "post")]).await;
    let a = app
        .get(
            "/s3/params?filename=form.txt&type=text/plain&size=100",
            Some(ALICE),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["method"], "POST");
    let url = a.json["url"].as_str().unwrap().to_owned();
    let key = a.json["key"].as_str().unwrap().to_owned();
    let form = |len: usize| policy_form(&a.json["fields"], len, 4);
    store_refuses(app.http.post(&url).multipart(form(101)))
        .await
        .expect("a form over the policy range is refused");
    assert!(app.object(&key).await.is_none());
    let ok = app
        .http
        .post(&url)
        .multipart(form(100))
        .send()
        .await
        .unwrap();
    assert!(
        ok.status().is_success(),
        "{} {}",
        ok.status(),
        ok.text().await.unwrap()
    );
    assert_eq!(app.object(&key).await.unwrap(), body(100, 4));
}

#[tokio::test]
async fn size_and_type_limits_are_refused_at_signing() {
    let app = spawn_app(&[
        ("S3LIFT_MAX_SIZE", "10485760"),
        ("S3LIFT_ALLOWED_TYPES", "image/*,application/pdf"),
    ])
    .await;
    let too_big =
        json!({"filename": "x.png", "type": "image/png", "metadata": {}, "size": 10 * MIB + 1});
    app.post("/s3/multipart", Some(ALICE), too_big)
        .await
        .assert_error(413, "too_large");
    app.get(
        "/s3/params?filename=x.png&type=image/png&size=10485761",
        Some(ALICE),
    )
    .await
    .assert_error(413, "too_large");
    let wrong = json!({"filename": "x.exe", "type": "application/x-msdownload", "metadata": {}, "size": 10});
    app.post("/s3/multipart", Some(ALICE), wrong)
        .await
        .assert_error(415, "unsupported_type");
    app.get(
        "/s3/params?filename=x.txt&type=text/plain&size=3",
        Some(ALICE),
    )
    .await
    .assert_error(415, "unsupported_type");
    let ok = app
        .get(
            "/s3/params?filename=x.png&type=image/png&size=3",
            Some(ALICE),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
}

#[tokio::test]
async fn parts_over_the_plan_are_refused_and_aborted() {
    let app = spawn_app(&[]).await;
    // Plan 2 parts of 5 MiB (size 6 MiB), then try to sign a part beyond the plan.
    let (key, id, created) = app.create(ALICE, "p.bin", 6 * MIB as u64).await;
    assert_eq!(created["partCount"], 2);
    app.get(
        &format!("/s3/multipart/{id}/batch?key={}&partNumbers=3", enc(&key)),
        Some(ALICE),
    )
    .await
    .assert_error(400, "bad_request");
    // The last part's URL is bound to its planned length: a longer body is refused by Garage.
    let batch = app
        .get(
            &format!("/s3/multipart/{id}/batch?key={}&partNumbers=2", enc(&key)),
            Some(ALICE),
        )
        .await;
    let url = batch.json["presignedUrls"]["2"].as_str().unwrap();
    store_refuses(app.http.put(url).body(body(5 * MIB, 1)))
        .await
        .expect("a part longer than planned is refused by the store");

    // The planned parts, then a third the signer would not sign, put in the
    // store by the bucket owner's own client: at complete the parts add up
    // to more than the plan, so the signer refuses and aborts the upload.
    let batch = app
        .get(
            &format!("/s3/multipart/{id}/batch?key={}&partNumbers=1,2", enc(&key)),
            Some(ALICE),
        )
        .await;
    let mut parts = Vec::new();
    for (n, len) in [(1, 5 * MIB), (2, MIB)] {
        let url = batch.json["presignedUrls"][n.to_string()].as_str().unwrap();
        let res = app.http.put(url).body(body(len, n)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        parts.push(json!({"PartNumber": n, "ETag": res.headers()["etag"].to_str().unwrap()}));
    }
    let etag = owner_puts_part(&app, &key, &id, 3, vec![0; 10]).await;
    parts.push(json!({"PartNumber": 3, "ETag": etag}));
    app.post(
        &format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
        Some(ALICE),
        json!({ "parts": parts }),
    )
    .await
    .assert_error(413, "too_large");
    assert!(
        upload_is_gone(&app, &key, &id).await,
        "the upload was aborted"
    );
    assert_eq!(app.incomplete_uploads().await, 0);
    assert!(app.object(&key).await.is_none());
}

#[tokio::test]
async fn complete_over_the_approved_size_is_413_and_aborted() {
    // A size-less upload (the Companion form) signs parts without a length:
    // each part passes the signer's checks, and only complete sees that
    // together they are over S3LIFT_MAX_SIZE. Issue 12 makes size-less
    // uploads a compatibility mode, turned on here.
    let app = spawn_app(&[
        ("S3LIFT_MAX_SIZE", &(10 * MIB).to_string()),
        ("S3LIFT_ALLOW_UNSIZED_MULTIPART", "true"),
    ])
    .await;
    let a = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "big.bin", "type": "application/octet-stream", "metadata": {}}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap().to_owned();
    let data = body(12 * MIB, 8);
    let done = app.upload_multipart(ALICE, &key, &id, 6 * MIB, &data).await;
    done.assert_error(413, "too_large");
    assert!(done.json["error"].as_str().unwrap().contains("aborted"));
    assert!(
        upload_is_gone(&app, &key, &id).await,
        "the upload was aborted"
    );
    assert_eq!(app.incomplete_uploads().await, 0);
    assert!(app.object(&key).await.is_none());
}

#[tokio::test]
async fn a_corrupted_part_with_a_signed_checksum_is_refused_by_garage() {
    let app = spawn_app(&[]).await;
    let data = body(5 * MIB + 100, 5);
    let a = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "c.bin", "type": "application/octet-stream", "metadata": {}, "size": data.len(), "partSize": 5 * MIB, "checksumAlgorithm": "sha256"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap().to_owned();
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(d));
    let (p1, p2) = data.split_at(5 * MIB);
    let batch = app
        .get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers=1,2&checksums={}",
                enc(&key),
                enc(&format!("sha256:{},{}", b64(p1), b64(p2)))
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.json);
    let headers = &batch.json["headers"]["1"];
    assert_eq!(headers["x-amz-checksum-sha256"], b64(p1));
    let url1 = batch.json["presignedUrls"]["1"].as_str().unwrap();

    // Same length, one flipped byte: the store refuses the part.
    let mut bad = p1.to_vec();
    bad[12345] ^= 0xff;
    let put = |bytes: Vec<u8>| {
        let mut r = app.http.put(url1).body(bytes);
        for (k, v) in headers.as_object().unwrap() {
            r = r.header(k, v.as_str().unwrap());
        }
        r
    };
    store_refuses(put(bad))
        .await
        .expect("a corrupted part is refused");
    // The signed checksum header cannot be swapped for the corrupted body's own.
    let mut forged = p1.to_vec();
    forged[0] ^= 1;
    store_refuses(
        app.http
            .put(url1)
            .header("x-amz-checksum-sha256", b64(&forged))
            .body(forged),
    )
    .await
    .expect("a re-checksummed forgery is refused");
    let good = put(p1.to_vec()).send().await.unwrap();
    assert_eq!(
        good.status().as_u16(),
        200,
        "{}",
        good.text().await.unwrap()
    );

    // Bad checksum lists are a 400, not a 500.
    for bad in ["sha256:", "md4:AAAA", "sha256:%%%", "sha256:AAAA"] {
        app.get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers=1&checksums={}",
                enc(&key),
                enc(bad)
            ),
            Some(ALICE),
        )
        .await
        .assert_error(400, "bad_request");
    }
}

#[tokio::test]
async fn malformed_input_is_400_never_500() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "m.bin", 6 * MIB as u64).await;
    let raw = |method: Method, path: String, body: &'static str| {
        app.http
            .request(method, format!("{}{}", app.base, path))
            .bearer_auth(ALICE)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (method, path, body) in [
        (Method::POST, "/s3/multipart".to_owned(), "{not json"),
        (
            Method::POST,
            "/s3/multipart".to_owned(),
            "{\"filename\": 5}",
        ),
        (
            Method::POST,
            "/s3/multipart".to_owned(),
            "{\"filename\": \"a\", \"size\": -1}",
        ),
        (
            Method::POST,
            format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
            "{\"parts\": \"x\"}",
        ),
        (
            Method::POST,
            format!("/s3/multipart/{id}/complete?key={}", enc(&key)),
            "{\"parts\": []}",
        ),
        (
            Method::GET,
            format!("/s3/multipart/{id}/batch?key={}&partNumbers=a,b", enc(&key)),
            "",
        ),
        (
            Method::GET,
            format!("/s3/multipart/{id}/batch?key={}&partNumbers=0", enc(&key)),
            "",
        ),
        (
            Method::GET,
            format!("/s3/multipart/{id}/batch?key={}", enc(&key)),
            "",
        ),
        (
            Method::GET,
            format!("/s3/multipart/{id}/99999?key={}", enc(&key)),
            "",
        ),
        (Method::GET, format!("/s3/multipart/{id}?nokey=1"), ""),
        (Method::GET, "/s3/params?type=text/plain".to_owned(), ""),
        (Method::GET, "/s3/params?filename=a&size=-4".to_owned(), ""),
        (Method::GET, "/s3/download?key=".to_owned(), ""),
    ] {
        let res = raw(method.clone(), path.clone(), body).await.unwrap();
        let status = res.status().as_u16();
        let json: serde_json::Value = res.json().await.unwrap_or_default();
        assert_eq!(status, 400, "{method} {path} {body}: {json}");
        assert_eq!(json["code"], "bad_request", "{method} {path}: {json}");
    }
    let unknown = app.get("/s3/nope", Some(ALICE)).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.code(), "not_found");
}

#[tokio::test]
async fn storage_down_is_503_not_a_hang() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "d.bin", 6 * MIB as u64).await;
    let mut garage = app.garage;
    garage.stop();
    let app = TestApp { garage, ..app };
    let started = std::time::Instant::now();
    let a = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "d.bin", "type": "a/b", "metadata": {}, "size": 10}),
        )
        .await;
    assert!(
        a.status == 502 || a.status == 503,
        "{} {}",
        a.status,
        a.json
    );
    assert!(a.code().starts_with("storage_"), "{}", a.json);
    let a = app
        .get(
            &format!("/s3/multipart/{id}?key={}", enc(&key)),
            Some(ALICE),
        )
        .await;
    assert!(
        a.status == 502 || a.status == 503,
        "{} {}",
        a.status,
        a.json
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    // Liveness does not depend on the store.
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let app = spawn_app(&[("S3LIFT_RATE_LIMIT", "5")]).await;
    let mut limited = None;
    for _ in 0..10 {
        let a = app
            .get(
                "/s3/params?filename=a.txt&type=text/plain&size=3",
                Some(ALICE),
            )
            .await;
        if a.status == 429 {
            limited = Some(a);
            break;
        }
    }
    let a = limited.expect("the 6th request in a minute is limited");
    a.assert_error(429, "rate_limited");
    assert!(
        a.headers
            .get("retry-after")
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // Another caller has its own budget.
    assert_eq!(
        app.get(
            "/s3/params?filename=a.txt&type=text/plain&size=3",
            Some(BOB)
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn operational_routes_and_cors() {
    let app = spawn_app(&[("S3LIFT_ALLOWED_ORIGINS", "http://app.example")]).await;
    assert_eq!(app.get("/healthz", None).await.status, 200);
    assert_eq!(app.get("/readyz", None).await.status, 200);
    app.get(
        "/s3/params?filename=a.txt&type=text/plain&size=3",
        Some(ALICE),
    )
    .await;
    let metrics = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("s3lift_http_requests_total"), "{metrics}");
    assert!(metrics.contains("/s3/params"), "per-route labels");

    let pre = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/s3/multipart", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let ok = pre("http://app.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    let no = pre("http://evil.example").await.unwrap();
    assert!(no.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn webhook_receives_each_completed_upload() {
    // A one-shot HTTP listener stands in for the application's webhook.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    // A webhook URL now needs its signing secret (issue 12, item 7).
    let app = spawn_app(&[
        ("S3LIFT_WEBHOOK_URL", &hook),
        (
            "S3LIFT_WEBHOOK_SECRET",
            "whsec-api-0123456789abcdef0123456789",
        ),
    ])
    .await;
    let received = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(i) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= i + 4 + len {
                    sock.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    return serde_json::from_slice::<serde_json::Value>(&buf[i + 4..i + 4 + len])
                        .unwrap();
                }
            }
            if n == 0 {
                panic!("webhook connection closed early");
            }
        }
    });
    let data = body(5 * MIB + 1, 2);
    let (key, id, _) = app.create(ALICE, "w.bin", data.len() as u64).await;
    let done = app.upload_multipart(ALICE, &key, &id, 5 * MIB, &data).await;
    assert_eq!(done.status, 200, "{}", done.json);
    let payload = tokio::time::timeout(std::time::Duration::from_secs(10), received)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payload["key"], key.as_str());
    assert_eq!(payload["caller"], "alice");
    assert_eq!(payload["size"], data.len());
    assert_eq!(payload["bucket"], app.garage.bucket());
    assert!(payload["etag"].as_str().is_some_and(|e| !e.is_empty()));
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
