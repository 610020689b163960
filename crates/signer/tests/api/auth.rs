//! Who may do what: the token, another caller's keys and uploads, and file
//! names that try to leave the caller's namespace.

use super::*;

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
