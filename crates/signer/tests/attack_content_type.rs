//! Issue 12, item 1: stored XSS through the type allowlist, tried as an
//! attacker would against a real Garage node. A type that smuggles a second
//! type past `image/*` is refused on every signing route; `image/*` does not
//! admit SVG; the store keeps the signer's canonical type, never the caller's
//! string; and active content that a rule names exactly is stored as an
//! attachment, which the store itself holds the client to.

mod common;

use common::*;
use serde_json::{json, Value};

/// The three smuggling forms of the report: browsers read a comma-separated
/// list and render the last type, here HTML.
const SMUGGLED: [&str; 3] = [
    "image/png;,text/html",
    "image/png,text/html",
    "image/png; x=\",text/html\"",
];

fn params_path(name: &str, content_type: &str, size: usize, method: &str) -> String {
    format!(
        "/s3/params?filename={}&type={}&size={size}&method={method}",
        enc(name),
        enc(content_type)
    )
}

async fn head(app: &TestApp, key: &str) -> aws_sdk_s3::operation::head_object::HeadObjectOutput {
    app.s3
        .head_object()
        .bucket(app.garage.bucket())
        .key(key)
        .send()
        .await
        .expect("the object is stored")
}

/// `POST /s3/multipart` with a given type; the raw answer.
async fn create_typed(app: &TestApp, content_type: &str, size: usize) -> Answer {
    app.post(
        "/s3/multipart",
        Some(ALICE),
        json!({"filename": "m.bin", "type": content_type, "metadata": {}, "size": size}),
    )
    .await
}

/// Creates, uploads one small part and completes a multipart upload; the key.
async fn multipart_upload(app: &TestApp, content_type: &str, data: &[u8]) -> String {
    let a = create_typed(app, content_type, data.len()).await;
    assert_eq!(a.status, 200, "{}", a.json);
    let key = a.json["key"].as_str().unwrap().to_owned();
    let id = a.json["uploadId"].as_str().unwrap();
    let done = app
        .upload_multipart(ALICE, &key, id, data.len(), data)
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    key
}

/// PUTs `data` to a `GET /s3/params` answer with exactly the headers it lists.
async fn put_as_told(app: &TestApp, answer: &Value, data: Vec<u8>) {
    assert_eq!(answer["method"], "PUT", "{answer}");
    let mut req = app.http.put(answer["url"].as_str().unwrap()).body(data);
    for (k, v) in answer["headers"].as_object().unwrap() {
        req = req.header(k, v.as_str().unwrap());
    }
    let res = req.send().await.unwrap();
    assert_eq!(
        res.status().as_u16(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

/// Sends a POST-policy form with the signer's fields, `change` applied.
async fn post_form(
    app: &TestApp,
    answer: &Value,
    len: usize,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> reqwest::RequestBuilder {
    assert_eq!(answer["method"], "POST", "{answer}");
    let mut fields = answer["fields"].as_object().unwrap().clone();
    change(&mut fields);
    app.http
        .post(answer["url"].as_str().unwrap())
        .multipart(policy_form(&Value::Object(fields), len, 7))
}

#[tokio::test]
async fn a_second_type_smuggled_past_the_allowlist_is_refused_on_every_route() {
    let app = spawn_app(&[("S3LIFT_ALLOWED_TYPES", "image/*")]).await;
    for t in SMUGGLED {
        for method in ["put", "post"] {
            app.get(&params_path("x.png", t, 3, method), Some(ALICE))
                .await
                .assert_error(400, "bad_request");
        }
        let batch = app
            .post(
                "/s3/params",
                Some(ALICE),
                json!({"files": [
                    {"filename": "x.png", "type": t, "size": 3},
                    {"filename": "y.png", "type": t, "size": 3, "method": "POST"},
                    {"filename": "ok.png", "type": "image/png", "size": 3},
                ]}),
            )
            .await;
        assert_eq!(batch.status, 200, "{}", batch.json);
        let items = batch.json["params"].as_array().unwrap();
        for item in &items[..2] {
            assert_eq!(item["code"], "bad_request", "{t}: {item}");
            assert!(item.get("url").is_none(), "{t}: {item}");
            assert!(item["error"].as_str().unwrap().contains("comma"), "{item}");
        }
        assert_eq!(items[2]["method"], "PUT", "the good file is still signed");
        create_typed(&app, t, 3)
            .await
            .assert_error(400, "bad_request");
    }
    assert_eq!(app.incomplete_uploads().await, 0, "no upload was created");
}

#[tokio::test]
async fn a_wildcard_never_admits_active_content() {
    let app = spawn_app(&[("S3LIFT_ALLOWED_TYPES", "image/*,text/*")]).await;
    for t in ["image/svg+xml", "text/html", "text/xml", "text/javascript"] {
        for method in ["put", "post"] {
            let a = app
                .get(&params_path("x.svg", t, 3, method), Some(ALICE))
                .await;
            a.assert_error(415, "unsupported_type");
            let msg = a.json["error"].as_str().unwrap();
            assert!(
                msg.contains("S3LIFT_ALLOWED_TYPES") && msg.contains("exactly"),
                "the message says how to allow it: {msg}"
            );
        }
        let batch = app
            .post(
                "/s3/params",
                Some(ALICE),
                json!({"files": [{"filename": "x.svg", "type": t, "size": 3}]}),
            )
            .await;
        assert_eq!(batch.json["params"][0]["code"], "unsupported_type", "{t}");
        create_typed(&app, t, 3)
            .await
            .assert_error(415, "unsupported_type");
    }
    // A passive type under the same wildcard still passes.
    let ok = app
        .get(&params_path("x.png", "image/png", 3, "put"), Some(ALICE))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    assert!(ok.json["headers"].get("content-disposition").is_none());

    // No allowlist means any passive type, and still no active one.
    let open = spawn_app(&[]).await;
    open.get(&params_path("x.html", "text/html", 3, "put"), Some(ALICE))
        .await
        .assert_error(415, "unsupported_type");
    open.get(
        &params_path("x.svg", "image/svg+xml", 3, "post"),
        Some(ALICE),
    )
    .await
    .assert_error(415, "unsupported_type");
    assert_eq!(open.incomplete_uploads().await, 0);
}

#[tokio::test]
async fn the_store_keeps_the_canonical_type_not_the_callers_string() {
    let app = spawn_app(&[]).await;
    let sent = "Text/Plain ;Charset=UTF-8;  Format=\"flowed\"";
    let canonical = "text/plain; charset=utf-8; format=flowed";

    // PUT: the signed header is the canonical type, and the store holds the
    // client to it: the caller's own string no longer matches the signature.
    let a = app
        .get(&params_path("c.txt", sent, 5, "put"), Some(ALICE))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["headers"]["content-type"], canonical);
    let key = a.json["key"].as_str().unwrap();
    store_refuses(
        app.http
            .put(a.json["url"].as_str().unwrap())
            .header("content-type", sent)
            .body(body(5, 1)),
    )
    .await
    .expect("the caller's string is not what was signed");
    put_as_told(&app, &a.json, body(5, 1)).await;
    assert_eq!(head(&app, key).await.content_type(), Some(canonical));

    // POST: the policy's Content-Type field and condition.
    let a = app
        .get(&params_path("c.txt", sent, 5, "post"), Some(ALICE))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["fields"]["Content-Type"], canonical);
    let key = a.json["key"].as_str().unwrap();
    let raw = post_form(&app, &a.json, 5, |f| {
        f.insert("Content-Type".into(), sent.into());
    })
    .await;
    store_refuses(raw)
        .await
        .expect("a form with the caller's string breaks the policy");
    let res = post_form(&app, &a.json, 5, |_| {})
        .await
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(head(&app, key).await.content_type(), Some(canonical));

    // POST /s3/params (batch) signs the same canonical form.
    let b = app
        .post(
            "/s3/params",
            Some(ALICE),
            json!({"files": [{"filename": "c.txt", "type": sent, "size": 5}]}),
        )
        .await;
    let item = &b.json["params"][0];
    assert_eq!(item["headers"]["content-type"], canonical, "{item}");
    put_as_told(&app, item, body(5, 2)).await;
    assert_eq!(
        head(&app, item["key"].as_str().unwrap())
            .await
            .content_type(),
        Some(canonical)
    );

    // Multipart: CreateMultipartUpload carries the canonical type.
    let key = multipart_upload(&app, "IMAGE/PNG; Name=\"a b\"", &body(100, 3)).await;
    assert_eq!(
        head(&app, &key).await.content_type(),
        Some("image/png; name=\"a b\"")
    );
}

#[tokio::test]
async fn active_content_named_exactly_is_stored_as_an_attachment() {
    let app = spawn_app(&[("S3LIFT_ALLOWED_TYPES", "image/*,image/svg+xml,text/html")]).await;
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();

    // PUT: Content-Disposition is a signed header the client must send.
    let a = app
        .get(
            &params_path("x.svg", "image/svg+xml", svg.len(), "put"),
            Some(ALICE),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    assert_eq!(a.json["headers"]["content-disposition"], "attachment");
    let url = a.json["url"].as_str().unwrap();
    assert!(url.contains("content-disposition"), "the header is signed");
    let key = a.json["key"].as_str().unwrap();
    store_refuses(
        app.http
            .put(url)
            .header("content-type", "image/svg+xml")
            .body(svg.clone()),
    )
    .await
    .expect("without the disposition the signature fails");
    store_refuses(
        app.http
            .put(url)
            .header("content-type", "image/svg+xml")
            .header("content-disposition", "inline")
            .body(svg.clone()),
    )
    .await
    .expect("another disposition breaks the signature");
    put_as_told(&app, &a.json, svg.clone()).await;
    let h = head(&app, key).await;
    assert_eq!(h.content_disposition(), Some("attachment"));
    assert_eq!(h.content_type(), Some("image/svg+xml"));

    // POST: a policy field, and a condition the store checks.
    let a = app
        .get(&params_path("x.html", "text/html", 40, "post"), Some(ALICE))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    let fields = a.json["fields"].as_object().unwrap();
    let disposition = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-disposition"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("a Content-Disposition field");
    assert_eq!(disposition.1, "attachment");
    let key = a.json["key"].as_str().unwrap();
    let inline = post_form(&app, &a.json, 40, |f| {
        f.insert(disposition.0.clone(), "inline".into());
    })
    .await;
    store_refuses(inline)
        .await
        .expect("an inline disposition breaks the policy");
    let dropped = post_form(&app, &a.json, 40, |f| {
        f.remove(&disposition.0);
    })
    .await;
    store_refuses(dropped)
        .await
        .expect("a form without the disposition breaks the policy");
    let res = post_form(&app, &a.json, 40, |_| {})
        .await
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let h = head(&app, key).await;
    assert_eq!(h.content_disposition(), Some("attachment"));
    assert_eq!(h.content_type(), Some("text/html"));

    // Multipart: CreateMultipartUpload's ContentDisposition.
    let key = multipart_upload(&app, "Text/HTML; charset=UTF-8", &body(200, 4)).await;
    let h = head(&app, &key).await;
    assert_eq!(h.content_disposition(), Some("attachment"));
    assert_eq!(h.content_type(), Some("text/html; charset=utf-8"));

    // A passive type under the wildcard is stored without one.
    let a = app
        .get(&params_path("x.png", "image/png", 4, "put"), Some(ALICE))
        .await;
    put_as_told(&app, &a.json, body(4, 5)).await;
    let h = head(&app, a.json["key"].as_str().unwrap()).await;
    assert_eq!(h.content_disposition(), None);
}
