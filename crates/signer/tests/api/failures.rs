//! Bad input and failures: 400 never 500, a store that is down, the rate
//! limit.

use super::*;

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
