//! A single PUT carries a signed `x-amz-checksum-crc64nvme` (issue 15), and
//! the signer acts on what the store supports (`S3LIFT_STORE_POST_POLICY`,
//! `S3LIFT_STORE_CHECKSUMS`): forced off, and probed (`auto`) on Garage.

mod common;

use common::*;
use s3lift_protocol::crc64;
use serde_json::{json, Value};

fn b64(data: &[u8]) -> String {
    crc64::to_base64(crc64::checksum(data))
}

/// `GET /s3/params` for `len` bytes of text, with `extra` query.
async fn params(app: &TestApp, len: usize, extra: &str) -> Value {
    let a = app
        .get(
            &format!("/s3/params?filename=a.txt&type=text/plain&size={len}{extra}"),
            Some(ALICE),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    a.json
}

/// The PUT as the params say (their headers), of `data`; `drop` leaves out
/// a header, `set` replaces one.
fn put(
    app: &TestApp,
    p: &Value,
    data: &[u8],
    drop: Option<&str>,
    set: Option<(&str, &str)>,
) -> reqwest::RequestBuilder {
    let mut req = app.http.put(p["url"].as_str().unwrap());
    for (k, v) in p["headers"].as_object().unwrap() {
        if Some(k.as_str()) == drop || set.is_some_and(|(s, _)| s == k) {
            continue;
        }
        req = req.header(k, v.as_str().unwrap());
    }
    if let Some((k, v)) = set {
        req = req.header(k, v);
    }
    req.body(data.to_vec())
}

async fn confirm(app: &TestApp, key: &str) -> Value {
    let c = app
        .post(
            &format!("/s3/params/complete?key={}", enc(key)),
            Some(ALICE),
            json!(null),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    c.json
}

fn signed_headers(url: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    let v = q
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .unwrap();
    v.replace("%3B", ";")
}

#[tokio::test]
async fn the_signed_checksum_makes_the_store_refuse_other_bytes_and_is_confirmed() {
    let app = spawn_app(&[]).await;
    let data = body(1000, 1);
    let mut other = data.clone();
    other[500] ^= 1;
    let sum = b64(&data);
    // `method=post` is what the browser asks for; a checksum needs a PUT.
    let p = params(
        &app,
        data.len(),
        &format!("&method=post&checksumCrc64nvme={}", enc(&sum)),
    )
    .await;
    assert_eq!(p["method"], "PUT", "{p}");
    assert_eq!(p["checksum"], "signed", "{p}");
    assert_eq!(p["headers"]["x-amz-checksum-crc64nvme"], sum.as_str());
    let url = p["url"].as_str().unwrap();
    assert!(
        signed_headers(url).contains("x-amz-checksum-crc64nvme"),
        "signed: {}",
        signed_headers(url)
    );

    // Other bytes of the same length: with the signed value, with their
    // own value, and without the header. The store refuses each.
    let own = b64(&other);
    for (what, req) in [
        ("the signed checksum", put(&app, &p, &other, None, None)),
        (
            "their own checksum",
            put(
                &app,
                &p,
                &other,
                None,
                Some(("x-amz-checksum-crc64nvme", &own)),
            ),
        ),
        (
            "no checksum header",
            put(&app, &p, &other, Some("x-amz-checksum-crc64nvme"), None),
        ),
    ] {
        let refused = store_refuses(req).await;
        assert!(refused.is_ok(), "other bytes with {what}: {refused:?}");
    }
    let key = p["key"].as_str().unwrap();
    assert!(app.object(key).await.is_none(), "nothing was stored");

    let res = put(&app, &p, &data, None, None).send().await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let c = confirm(&app, key).await;
    assert_eq!(c["checksum"]["crc64nvme"], sum.as_str(), "{c}");
    assert_eq!(app.object(key).await.as_deref(), Some(&data[..]));
}

#[tokio::test]
async fn the_batch_route_signs_the_checksum_too() {
    let app = spawn_app(&[]).await;
    let data = body(300, 2);
    let sum = b64(&data);
    let a = app
        .post(
            "/s3/params",
            Some(ALICE),
            json!({"files": [
                {"filename": "a.txt", "type": "text/plain", "size": 300, "method": "POST",
                 "checksumCrc64nvme": sum},
                {"filename": "b.txt", "type": "text/plain", "size": 300, "method": "POST"},
            ]}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let (with, without) = (&a.json["params"][0], &a.json["params"][1]);
    assert_eq!(with["method"], "PUT");
    assert_eq!(with["checksum"], "signed");
    assert_eq!(with["headers"]["x-amz-checksum-crc64nvme"], sum.as_str());
    assert_eq!(without["method"], "POST", "no checksum: the form as asked");
    assert!(without.get("checksum").is_none());
    let res = put(&app, with, &data, None, None).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let c = confirm(&app, with["key"].as_str().unwrap()).await;
    assert_eq!(c["checksum"]["crc64nvme"], sum.as_str());
    // The form without one: the store holds no checksum to answer.
    let res = app
        .http
        .post(without["url"].as_str().unwrap())
        .multipart(policy_form(&without["fields"], 300, 2))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let c = confirm(&app, without["key"].as_str().unwrap()).await;
    assert!(c.get("checksum").is_none(), "{c}");
}

#[tokio::test]
async fn a_bad_checksum_request_is_refused_with_a_reason() {
    let app = spawn_app(&[]).await;
    app.get(
        "/s3/params?filename=a.txt&type=text/plain&size=3&checksumCrc64nvme=abc",
        Some(ALICE),
    )
    .await
    .assert_error(400, "bad_request");
    let sum = enc(&b64(b"abc"));
    app.get(
        &format!("/s3/params?filename=a.txt&type=text/plain&checksumCrc64nvme={sum}"),
        Some(ALICE),
    )
    .await
    .assert_error(400, "bad_request");
}

#[tokio::test]
async fn checksums_off_drop_the_checksum_and_say_so() {
    let app = spawn_app(&[("S3LIFT_STORE_CHECKSUMS", "off")]).await;
    let data = body(200, 3);
    let p = params(
        &app,
        data.len(),
        &format!("&checksumCrc64nvme={}", enc(&b64(&data))),
    )
    .await;
    assert_eq!(p["checksum"], "dropped", "{p}");
    assert!(
        p["headers"].get("x-amz-checksum-crc64nvme").is_none(),
        "{p}"
    );
    let url = p["url"].as_str().unwrap();
    assert!(!signed_headers(url).contains("checksum"));
    let res = put(&app, &p, &data, None, None).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let c = confirm(&app, p["key"].as_str().unwrap()).await;
    assert!(c.get("checksum").is_none(), "{c}");
}

#[tokio::test]
async fn post_policy_off_answers_presigned_puts_for_every_request() {
    let app = spawn_app(&[
        ("S3LIFT_STORE_POST_POLICY", "off"),
        ("S3LIFT_SINGLE_UPLOAD", "post"),
    ])
    .await;
    // Asked for a form, by query and by the batch route: a PUT with the
    // exact length signed.
    let data = body(100, 4);
    let p = params(&app, data.len(), "&method=post").await;
    assert_eq!(p["method"], "PUT", "{p}");
    assert!(signed_headers(p["url"].as_str().unwrap()).contains("content-length"));
    let longer = body(101, 4);
    assert!(store_refuses(put(&app, &p, &longer, None, None))
        .await
        .is_ok());
    let res = put(&app, &p, &data, None, None).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let b = app
        .post(
            "/s3/params",
            Some(ALICE),
            json!({"files": [{"filename": "b.txt", "type": "text/plain", "size": 5, "method": "POST"}]}),
        )
        .await;
    assert_eq!(b.json["params"][0]["method"], "PUT", "{}", b.json);
    // A Companion client declares no size: a PUT still, judged at confirm.
    let c = app
        .get("/s3/params?filename=c.txt&type=text/plain", Some(ALICE))
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    assert_eq!(c.json["method"], "PUT", "{}", c.json);
    assert!(c.json["fields"].as_object().is_none_or(|f| f.is_empty()));
    let res = put(&app, &c.json, b"hello", None, None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let confirmed = confirm(&app, c.json["key"].as_str().unwrap()).await;
    assert_eq!(confirmed["size"], 5);
}

#[tokio::test]
async fn auto_on_garage_finds_post_forms_and_checksums() {
    let app = spawn_app(&[
        ("S3LIFT_STORE_POST_POLICY", "auto"),
        ("S3LIFT_STORE_CHECKSUMS", "auto"),
    ])
    .await;
    let p = params(&app, 10, "&method=post").await;
    assert_eq!(p["method"], "POST", "Garage takes POST forms: {p}");
    let p = params(
        &app,
        10,
        &format!("&checksumCrc64nvme={}", enc(&b64(&[0; 10]))),
    )
    .await;
    assert_eq!(p["checksum"], "signed", "Garage checks checksums: {p}");
    let listed = app
        .s3
        .list_objects_v2()
        .bucket(app.garage.bucket())
        .send()
        .await
        .unwrap();
    assert!(
        listed.contents().is_empty(),
        "the probe objects are deleted"
    );
}

/// `auto` on the embedded dev store (`s3lift-signer dev`): the signer's
/// answers follow what `doctor` finds there.
#[tokio::test]
async fn auto_on_the_dev_store_follows_what_doctor_finds() {
    use s3lift_signer::app::Application;
    use s3lift_signer::config::Settings;
    use s3lift_signer::doctor::{self, Status};
    let dir = std::env::temp_dir().join(format!("s3lift-feat-{}", uuid::Uuid::new_v4().simple()));
    let store = s3lift_signer::dev::start(&dir, "127.0.0.1:0".parse().unwrap(), "dev")
        .await
        .unwrap();
    let tokens = format!("{ALICE}=alice");
    let env: std::collections::HashMap<String, String> = [
        ("S3LIFT_BIND", "127.0.0.1:0"),
        ("S3LIFT_S3_ENDPOINT", store.endpoint.as_str()),
        ("S3LIFT_S3_REGION", "us-east-1"),
        ("S3LIFT_S3_BUCKET", "dev"),
        ("S3LIFT_S3_PATH_STYLE", "true"),
        ("S3LIFT_STATIC_TOKENS", tokens.as_str()),
        ("S3LIFT_KEY_SECRET", KEY_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::load(None, &env).unwrap();
    let findings = doctor::run(&settings, Some(store.credentials.clone())).await;
    println!("dev store:\n{}", doctor::render(&findings));
    let pass = |c: &str| {
        findings
            .iter()
            .any(|f| f.check == c && f.status == Status::Pass)
    };
    let post = pass("post_policy") && pass("post_policy_range");
    let sums = pass("checksum_crc64nvme");
    let app = Application::build_with(settings, Some(store.credentials.clone()), Vec::new())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = test_client();
    let get = |q: String| {
        let http = http.clone();
        let url = format!("{base}/s3/params?filename=a.txt&type=text/plain&size=64{q}");
        async move {
            let r = http.get(url).bearer_auth(ALICE).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let form = get("&method=post".into()).await;
    assert_eq!(
        form["method"],
        if post { "POST" } else { "PUT" },
        "post {post}: {form}"
    );
    let data = body(64, 5);
    let p = get(format!("&checksumCrc64nvme={}", enc(&b64(&data)))).await;
    assert_eq!(p["method"], "PUT");
    assert_eq!(
        p["checksum"],
        if sums { "signed" } else { "dropped" },
        "checksums {sums}: {p}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
