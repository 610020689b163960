//! Every docs/protocol.md route against a real Garage node: what the signer
//! answers, and what the store itself refuses. One test binary, by subject:
//! the multipart lifecycle, who may do what, the limits, bad input and
//! failures, and the operational routes.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod failures;
mod lifecycle;
mod limits;
mod pending;
mod routes;

use base64::Engine;
use common::*;
use reqwest::Method;
use serde_json::json;
use sha2::Digest;

const MIB: usize = 1024 * 1024;

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
