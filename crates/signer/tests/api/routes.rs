//! The operational routes, CORS, and the webhook.

use super::*;

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
    let metrics = app.metrics().await;
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
