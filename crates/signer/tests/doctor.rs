//! `s3lift-signer doctor` (issue 15) on a real Garage bucket set up by the
//! signer, on buckets made wrong on purpose, and on the embedded dev store.

mod common;

use std::collections::HashMap;

use aws_credential_types::Credentials;
use common::*;
use s3lift_signer::config::Settings;
use s3lift_signer::doctor::{self, Finding, Status};
use s3lift_signer::store::Store;
use s3lift_testkit::Garage;

const ORIGIN: &str = "http://app.test:8080";

fn env(garage: &Garage, bucket: &str) -> HashMap<String, String> {
    env_for(
        garage,
        &[
            ("S3LIFT_S3_BUCKET", bucket),
            ("S3LIFT_ALLOWED_ORIGINS", ORIGIN),
        ],
    )
}

fn creds(garage: &Garage) -> Credentials {
    Credentials::new(garage.access_key(), garage.secret_key(), None, None, "test")
}

async fn garage() -> Garage {
    tokio::task::spawn_blocking(Garage::start).await.unwrap()
}

/// `bucket setup` through the library: CORS (with or without ETag exposed)
/// and the lifecycle rule.
async fn set_up(garage: &Garage, bucket: &str, expose_etag: bool) {
    let settings = Settings::load(None, &env(garage, bucket)).unwrap();
    let store = Store::connect(&settings, Some(creds(garage)))
        .await
        .unwrap();
    store
        .put_cors(&[ORIGIN.to_owned()], expose_etag)
        .await
        .unwrap();
    let _ = store.put_abort_lifecycle(1).await;
}

async fn doctor_on(garage: &Garage, bucket: &str) -> Vec<Finding> {
    let settings = Settings::load(None, &env(garage, bucket)).unwrap();
    let findings = doctor::run(&settings, Some(creds(garage))).await;
    println!("{bucket}:\n{}", doctor::render(&findings));
    findings
}

fn status(findings: &[Finding], check: &str) -> Status {
    findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no {check} in {findings:#?}"))
        .status
}

#[tokio::test]
async fn a_bucket_the_signer_set_up_passes_every_required_check() {
    let garage = garage().await;
    set_up(&garage, garage.bucket(), true).await;
    let findings = doctor_on(&garage, garage.bucket()).await;
    for f in findings.iter().filter(|f| f.required) {
        assert_eq!(f.status, Status::Pass, "{f:#?}");
    }
    assert_eq!(doctor::exit_code(&findings), 0);
    // What Garage 2.5.0 enforces, as the store is meant to.
    for check in ["content_length", "post_policy_range", "cors_etag", "clock"] {
        assert_eq!(status(&findings, check), Status::Pass, "{check}");
    }
    let listed = s3_client(&garage)
        .list_objects_v2()
        .bucket(garage.bucket())
        .send()
        .await
        .unwrap();
    let left: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert!(left.is_empty(), "probe objects are deleted: {left:?}");
}

#[tokio::test]
async fn a_bucket_without_cors_fails_with_the_fix_and_exit_code_1() {
    let garage = garage().await;
    garage.create_bucket("doctor-no-cors");
    let findings = doctor_on(&garage, "doctor-no-cors").await;
    for check in ["cors", "cors_etag"] {
        let f = findings.iter().find(|f| f.check == check).unwrap();
        assert_eq!(f.status, Status::Fail, "{f:#?}");
        assert!(f.fix.as_deref().unwrap().contains("bucket setup"), "{f:#?}");
    }
    assert_eq!(doctor::exit_code(&findings), 1);
}

#[tokio::test]
async fn etag_not_exposed_is_caught() {
    let garage = garage().await;
    garage.create_bucket("doctor-no-etag");
    set_up(&garage, "doctor-no-etag", false).await;
    let findings = doctor_on(&garage, "doctor-no-etag").await;
    assert_eq!(status(&findings, "cors"), Status::Pass);
    assert_eq!(status(&findings, "cors_etag"), Status::Fail);
    assert_eq!(doctor::exit_code(&findings), 1);
}

#[tokio::test]
async fn a_missing_bucket_fails_and_the_rest_is_skipped() {
    let garage = garage().await;
    let findings = doctor_on(&garage, "no-such-bucket").await;
    assert_eq!(status(&findings, "credentials"), Status::Pass);
    assert_eq!(status(&findings, "bucket"), Status::Fail);
    assert_eq!(status(&findings, "cors"), Status::Skipped);
    assert_eq!(doctor::exit_code(&findings), 1);
}

#[tokio::test]
async fn the_binary_prints_json_and_exits_1_without_leaking_secrets() {
    let garage = garage().await;
    garage.create_bucket("doctor-cli");
    let out = tokio::task::spawn_blocking({
        let mut env = env(&garage, "doctor-cli");
        env.insert("AWS_ACCESS_KEY_ID".into(), garage.access_key().into());
        env.insert("AWS_SECRET_ACCESS_KEY".into(), garage.secret_key().into());
        move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_s3lift-signer"))
                .args(["doctor", "--json"])
                .env_clear()
                .envs(env)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let cors = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "cors")
        .unwrap();
    assert_eq!(cors["status"], "fail");
    assert_eq!(cors["required"], true);
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for secret in [garage.secret_key(), "X-Amz-Signature", KEY_SECRET] {
        assert!(!all.contains(secret), "output leaks {secret}");
    }
}

#[tokio::test]
async fn the_dev_store_is_diagnosed_too() {
    let dir = std::env::temp_dir().join(format!("s3lift-doctor-{}", uuid::Uuid::new_v4().simple()));
    let store = s3lift_signer::dev::start(&dir, "127.0.0.1:0".parse().unwrap(), "dev")
        .await
        .unwrap();
    let env: HashMap<String, String> = [
        ("S3LIFT_S3_ENDPOINT", store.endpoint.as_str()),
        ("S3LIFT_S3_REGION", "us-east-1"),
        ("S3LIFT_S3_BUCKET", "dev"),
        ("S3LIFT_S3_PATH_STYLE", "true"),
        ("S3LIFT_ALLOW_ANONYMOUS", "true"),
        ("S3LIFT_KEY_SECRET", KEY_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::load(None, &env).unwrap();
    let findings = doctor::run(&settings, Some(store.credentials.clone())).await;
    println!("dev store:\n{}", doctor::render(&findings));
    assert_eq!(status(&findings, "credentials"), Status::Pass);
    assert_eq!(status(&findings, "bucket"), Status::Pass);
    assert_eq!(
        status(&findings, "cors"),
        Status::Pass,
        "the dev store answers CORS itself"
    );
    assert_eq!(findings.len(), 14, "every check reported");
    // `dev` mode turns both on without probing (`dev::dev_settings`).
    for check in ["post_policy", "post_policy_range", "checksum_crc64nvme"] {
        assert_eq!(
            status(&findings, check),
            Status::Pass,
            "{check} on the dev store"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
