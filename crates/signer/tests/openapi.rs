//! `GET /openapi.json` against the real signer and a real Garage node, with a
//! base path other than `/s3`: the document is OpenAPI 3 whose references all
//! resolve, and it matches the served routes both ways. Every documented
//! operation is served, and every protocol route (the table the signer
//! mounts from, `routes::PROTOCOL_ROUTES`) is documented, with no other
//! method served on a documented path.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use s3lift_signer::routes::PROTOCOL_ROUTES;
use serde_json::Value;

const BASE: &str = "/api/upload";

/// Methods tried on every documented path, documented or not.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// `(METHOD, path)` of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("a path item is an object") {
            if ["parameters", "summary", "description", "servers"].contains(&method.as_str()) {
                continue;
            }
            assert!(
                op["operationId"].is_string() && op["responses"].is_object(),
                "{method} {path}: an operation needs an operationId and responses: {op}"
            );
            out.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

/// Every `"$ref": "#/..."` in `v` points at something in `doc`.
fn check_refs(doc: &Value, v: &Value, unresolved: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref") {
                let r = r.as_str().unwrap_or_default();
                let resolves = r
                    .strip_prefix('#')
                    .and_then(|pointer| doc.pointer(pointer))
                    .is_some();
                if !resolves {
                    unresolved.push(r.to_owned());
                }
            }
            m.values().for_each(|v| check_refs(doc, v, unresolved));
        }
        Value::Array(a) => a.iter().for_each(|v| check_refs(doc, v, unresolved)),
        _ => {}
    }
}

/// Each `{name}` of each path has a path parameter of that name, in every
/// operation (OpenAPI 3.1, "Path Templating").
fn check_path_parameters(doc: &Value) {
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            for name in &names {
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == *name && p["in"] == "path" && p["required"] == true)
                });
                assert!(declared, "{method} {path}: no path parameter `{name}`");
            }
        }
    }
}

/// A concrete request path for a documented template.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| match s {
            "{partNumber}" => "1",
            s if s.starts_with('{') => "probe",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a concrete path fits a documented template: the same segments,
/// a `{param}` standing for any one.
fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Whether `method path` reaches a handler: a path no route matches gets the
/// JSON 404 `not_found`, a path matched with the wrong method a 405. Any
/// other answer (a 400 for the missing query, a 404 `no_such_upload` from
/// the store...) came from a handler.
async fn served(app: &TestApp, method: &str, path: &str) -> bool {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let body = (method == Method::POST).then(|| serde_json::json!({}));
    let a = app.call(method, path, Some(ALICE), body).await;
    !(a.status == 405 || (a.status == 404 && a.code() == "not_found"))
}

#[tokio::test]
async fn served_routes_and_document_match_under_the_base_path() {
    let app = spawn_app(&[("S3LIFT_BASE_PATH", BASE)]).await;
    let answer = app.get("/openapi.json", None).await;
    assert_eq!(answer.status, 200, "{}", answer.json);
    assert!(answer.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc = answer.json;

    // An OpenAPI 3 document, self-contained.
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "openapi version: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut unresolved = Vec::new();
    check_refs(&doc, &doc, &mut unresolved);
    assert!(unresolved.is_empty(), "unresolved $refs: {unresolved:?}");
    check_path_parameters(&doc);
    let codes = &doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"];
    for code in ["bad_request", "not_found", "forbidden_key", "storage_error"] {
        assert!(
            codes.as_array().is_some_and(|c| c.contains(&code.into())),
            "error code {code} not listed: {codes}"
        );
    }

    // The document names each protocol route under the base path, and no
    // protocol route anywhere else.
    let documented = operations(&doc);
    let protocol: BTreeSet<(String, String)> = PROTOCOL_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), format!("{BASE}{p}")))
        .collect();
    let documented_protocol: BTreeSet<(String, String)> = documented
        .iter()
        .filter(|(_, p)| p.starts_with(&format!("{BASE}/")))
        .cloned()
        .collect();
    assert_eq!(
        documented_protocol, protocol,
        "documented protocol routes (left) differ from the mounted ones (right)"
    );
    let ops: Vec<&String> = documented
        .iter()
        .map(|(_, p)| p)
        .filter(|p| !p.starts_with(&format!("{BASE}/")))
        .collect();
    assert!(
        ops.iter()
            .all(|p| ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(&p.as_str())),
        "documented outside {BASE}: {ops:?}"
    );

    // The probe tells a missing route from a served one.
    assert!(!served(&app, "GET", &format!("{BASE}/nope")).await);
    assert!(!served(&app, "GET", "/s3/params").await);

    // Each documented method is served on each documented path, and no
    // other method is. A concrete path may fit two templates
    // (`…/probe/complete` is also a `{partNumber}`): the document describes
    // it if any of them has the method.
    let paths: BTreeSet<String> = documented.iter().map(|(_, p)| concrete(p)).collect();
    for path in &paths {
        for method in METHODS {
            let is_documented = documented
                .iter()
                .any(|(m, template)| m == method && fits(template, path));
            assert_eq!(
                served(&app, method, path).await,
                is_documented,
                "{method} {path}: served and documented disagree"
            );
        }
    }
}
