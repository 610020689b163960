//! 10,000 generated requests (proptest strategies) against the signer in
//! front of a real Garage node: no answer is a 5xx, every error is JSON with a
//! code, and nothing signed ever points outside the caller's namespace.

mod common;

use common::*;
use futures_util::StreamExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

const REQUESTS: usize = 10_000;

#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    path: String,
    body: Option<String>,
    token: Option<String>,
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("../../etc/passwd".to_owned()),
        Just("/absolute/path".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("evil\u{202E}gpj.exe".to_owned()),
        Just("%2e%2e%2f".to_owned()),
        Just("x".repeat(5000)),
        "\\PC{0,40}",
        "[a-z0-9./_-]{0,30}",
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..20).prop_map(|n| n.to_string()),
        (9_990u64..10_010).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("1e9".to_owned()),
        Just("18446744073709551616".to_owned()),
        "[0-9,a-z-]{0,12}",
    ]
}

fn strategy(id: String, key: String, bob_key: String) -> impl Strategy<Value = Req> {
    let ids = prop_oneof![Just(id), hostile(), "[a-f0-9]{1,64}"];
    let keys = prop_oneof![
        Just(key.clone()),
        Just(bob_key),
        Just(key.replace("alice", "bob")),
        Just(format!("{key}/../../x")),
        Just("uploads/alice/00000000-0000-8000-8000-000000000000/f".to_owned()),
        hostile(),
    ];
    let path = (0..9usize, ids, number(), hostile()).prop_map(|(t, id, n, junk)| {
        let id = enc(&id);
        match t {
            0 => "/s3/params".to_owned(),
            1 => "/s3/multipart".to_owned(),
            2 => format!("/s3/multipart/{id}"),
            3 => format!("/s3/multipart/{id}/batch"),
            4 => format!("/s3/multipart/{id}/complete"),
            5 => format!("/s3/multipart/{id}/{}", enc(&n)),
            6 => "/s3/download".to_owned(),
            7 => format!("/s3/{}", enc(&junk)),
            _ => "/openapi.json".to_owned(),
        }
    });
    let query = proptest::collection::vec(
        (
            prop_oneof![
                Just("key"),
                Just("filename"),
                Just("type"),
                Just("size"),
                Just("partNumbers"),
                Just("checksums"),
                Just("x")
            ],
            prop_oneof![
                keys,
                hostile(),
                number(),
                Just("sha256:AAAA".to_owned()),
                Just("image/*".to_owned())
            ],
        ),
        0..5,
    );
    let body = prop_oneof![
        Just(None),
        hostile().prop_map(Some),
        (hostile(), number(), hostile()).prop_map(|(f, s, t)| Some(format!(
            "{{\"filename\":{},\"type\":{},\"size\":{s},\"metadata\":{{\"a\":1,\"b\":[1]}}}}",
            Value::String(f),
            Value::String(t)
        ))),
        number().prop_map(|n| Some(format!(
            "{{\"parts\":[{{\"PartNumber\":{n},\"ETag\":\"x\"}}]}}"
        ))),
        Just(Some("{\"parts\":\"nope\"}".to_owned())),
    ];
    let token = prop_oneof![
        Just(Some(ALICE.to_owned())),
        Just(Some(BOB.to_owned())),
        Just(None),
        Just(Some(jwt("alice", -60))),
        Just(Some(jwt("carol", 600))),
        hostile().prop_map(Some),
    ];
    let method = prop_oneof![6 => Just("GET"), 3 => Just("POST"), 1 => Just("DELETE"), 1 => Just("PUT"), 1 => Just("PATCH")];
    (method, path, query, body, token).prop_map(|(method, path, query, body, token)| {
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        let path = if q.is_empty() {
            path
        } else {
            format!("{path}?{}", q.join("&"))
        };
        Req {
            method,
            path,
            body,
            token,
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_generated_requests_never_5xx_nor_escape_the_namespace() {
    let app = spawn_app(&[]).await;
    let (key, id, _) = app.create(ALICE, "fuzz.bin", 20 * 1024 * 1024).await;
    let (bob_key, _, _) = app.create(BOB, "bob.bin", 20 * 1024 * 1024).await;
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strat = strategy(id, key, bob_key);
    let reqs: Vec<Req> = (0..REQUESTS)
        .map(|_| strat.new_tree(&mut runner).unwrap().current())
        .collect();

    let results: Vec<(Req, u16, String)> = futures_util::stream::iter(reqs)
        .map(|r| {
            let http = app.http.clone();
            let base = app.base.clone();
            async move {
                let mut b = http.request(r.method.parse().unwrap(), format!("{base}{}", r.path));
                if let Some(t) = &r.token {
                    if reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).is_ok() {
                        b = b.bearer_auth(t);
                    }
                }
                if let Some(body) = &r.body {
                    b = b
                        .header("content-type", "application/json")
                        .body(body.clone());
                }
                let res = b.send().await.expect("the signer answers");
                let status = res.status().as_u16();
                (r, status, res.text().await.unwrap_or_default())
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    let mut by_status = std::collections::BTreeMap::new();
    for (req, status, text) in &results {
        *by_status.entry(*status).or_insert(0) += 1;
        assert!(*status < 500, "{status} for {req:?}: {text}");
        if *status >= 400 && req.path.starts_with("/s3/") {
            let v: Value = serde_json::from_str(text)
                .unwrap_or_else(|_| panic!("{status} not JSON for {req:?}: {text}"));
            assert!(
                v["code"].as_str().is_some_and(|c| !c.is_empty()) && v["error"].is_string(),
                "{req:?}: {text}"
            );
        }
        if *status == 200 {
            let caller = match req.token.as_deref() {
                Some(ALICE) => "alice",
                Some(BOB) => "bob",
                _ => "carol",
            };
            for k in keys_in(text) {
                assert!(
                    k.starts_with(&format!("uploads/{caller}/")),
                    "{req:?} answered a key outside the namespace: {k}"
                );
            }
        }
    }
    eprintln!("fuzz: {REQUESTS} requests, statuses {by_status:?}");
    assert_eq!(results.len(), REQUESTS);
}

/// Object keys in an answer: `"key"` fields, and the paths of presigned URLs.
fn keys_in(text: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (&*k, &v) {
                        ("key", Value::String(s)) => out.push(s.clone()),
                        (_, Value::String(s))
                            if s.starts_with("http") && s.contains("X-Amz-Signature") =>
                        {
                            let path = s.split('?').next().unwrap_or("");
                            // http://host/bucket/<key>
                            let key = path.splitn(5, '/').nth(4).unwrap_or("");
                            out.push(
                                percent_encoding::percent_decode_str(key)
                                    .decode_utf8_lossy()
                                    .into_owned(),
                            );
                        }
                        _ => stack.push(v),
                    }
                }
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}
