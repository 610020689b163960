//! Whole-file integrity (issue 15): a multipart upload created with
//! `checksumAlgorithm: "crc64nvme"` is a `FULL_OBJECT` upload; the client's
//! whole-file CRC64NVME, combined from its parts, is checked by Garage at
//! complete and read back by the signer.

mod common;

use common::*;
use s3lift_protocol::crc64;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

fn b64(c: u64) -> String {
    crc64::to_base64(c)
}

/// Creates an 11 MiB upload in 5 MiB parts and stores `parts` (the bytes
/// sent for each, with their own CRC64NVME bound to the URL); returns the
/// create answer and the part list for complete.
async fn upload(app: &TestApp, parts: &[Vec<u8>]) -> (Value, Vec<Value>) {
    let size: usize = parts.iter().map(Vec::len).sum();
    let c = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "whole.bin", "size": size, "partSize": 5 * MIB,
                   "checksumAlgorithm": "crc64nvme"}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    let (key, id) = (
        c.json["key"].as_str().unwrap(),
        c.json["uploadId"].as_str().unwrap(),
    );
    let sums: Vec<String> = parts.iter().map(|p| b64(crc64::checksum(p))).collect();
    let numbers: Vec<String> = (1..=parts.len()).map(|n| n.to_string()).collect();
    let b = app
        .get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers={}&checksums={}",
                enc(key),
                numbers.join(","),
                enc(&format!("crc64nvme:{}", sums.join(",")))
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(b.status, 200, "{}", b.json);
    let mut done = Vec::new();
    for (i, bytes) in parts.iter().enumerate() {
        let n = (i + 1).to_string();
        let url = b.json["presignedUrls"][&n].as_str().unwrap();
        let header = &b.json["headers"][&n]["x-amz-checksum-crc64nvme"];
        assert_eq!(
            header.as_str(),
            Some(sums[i].as_str()),
            "the URL is bound to the part's CRC"
        );
        let res = app
            .http
            .put(url)
            .header("x-amz-checksum-crc64nvme", &sums[i])
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "part {n}: {}",
            res.text().await.unwrap_or_default()
        );
        done.push(json!({"PartNumber": i + 1, "ETag": res.headers()["etag"].to_str().unwrap()}));
    }
    (c.json, done)
}

fn split(data: &[u8]) -> Vec<Vec<u8>> {
    data.chunks(5 * MIB).map(<[u8]>::to_vec).collect()
}

/// The whole file's value, combined from the parts' as the client does.
fn combined(parts: &[Vec<u8>]) -> u64 {
    parts.iter().fold(0, |acc, p| {
        crc64::combine(acc, crc64::checksum(p), p.len() as u64)
    })
}

#[tokio::test]
async fn a_full_object_crc64nvme_round_trips_and_is_answered() {
    let app = spawn_app(&[]).await;
    let data = body(11 * MIB, 3);
    let parts = split(&data);
    assert_eq!(
        combined(&parts),
        crc64::checksum(&data),
        "parts combine into the whole"
    );
    let (created, done) = upload(&app, &parts).await;
    let (key, id) = (
        created["key"].as_str().unwrap(),
        created["uploadId"].as_str().unwrap(),
    );
    let whole = b64(crc64::checksum(&data));
    let c = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
            Some(ALICE),
            json!({"parts": done, "checksumCrc64nvme": whole}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    assert_eq!(c.json["checksum"]["crc64nvme"], whole.as_str());
    assert_eq!(app.object(key).await.as_deref(), Some(&data[..]));
}

#[tokio::test]
async fn a_part_corrupted_on_the_wire_with_a_recomputed_checksum_fails_complete() {
    let app = spawn_app(&[]).await;
    let data = body(11 * MIB, 4);
    let mut parts = split(&data);
    // One bit of part 2 flips on the way; its own checksum is recomputed, so
    // the store takes the part. Only the whole-file value can tell.
    parts[1][12345] ^= 0x10;
    let (created, done) = upload(&app, &parts).await;
    let (key, id) = (
        created["key"].as_str().unwrap(),
        created["uploadId"].as_str().unwrap(),
    );
    let c = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
            Some(ALICE),
            json!({"parts": done, "checksumCrc64nvme": b64(crc64::checksum(&data))}),
        )
        .await;
    c.assert_error(400, "checksum_mismatch");
    assert!(app.object(key).await.is_none(), "no object is kept");
    assert_eq!(app.incomplete_uploads().await, 0, "the upload is aborted");
}

#[tokio::test]
async fn a_malformed_whole_checksum_is_a_bad_request() {
    let app = spawn_app(&[]).await;
    let parts = split(&body(6 * MIB, 5));
    let (created, done) = upload(&app, &parts).await;
    let (key, id) = (
        created["key"].as_str().unwrap(),
        created["uploadId"].as_str().unwrap(),
    );
    app.post(
        &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
        Some(ALICE),
        json!({"parts": done, "checksumCrc64nvme": "not base64"}),
    )
    .await
    .assert_error(400, "bad_request");
}

/// With `S3LIFT_STORE_CHECKSUMS=off` (a store that does not check them, as
/// doctor finds on B2), multipart checksums are dropped the way a single
/// PUT's are: the create says so, no part URL is bound to a digest, and a
/// whole-file value at complete is not passed on.
#[tokio::test]
async fn checksums_off_drop_part_and_whole_checksums_and_say_so() {
    let app = spawn_app(&[("S3LIFT_STORE_CHECKSUMS", "off")]).await;
    let data = body(6 * MIB, 6);
    let parts = split(&data);
    let c = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "off.bin", "size": data.len(), "partSize": 5 * MIB,
                   "checksumAlgorithm": "crc64nvme", "signParts": 2}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    assert_eq!(c.json["checksum"], "dropped", "{}", c.json);
    assert_eq!(
        c.json["parts"]["presignedUrls"]
            .as_object()
            .map(|m| m.len()),
        Some(2),
        "with nothing to bind, the first window is signed with the create: {}",
        c.json
    );
    let (key, id) = (
        c.json["key"].as_str().unwrap(),
        c.json["uploadId"].as_str().unwrap(),
    );
    let sums: Vec<String> = parts.iter().map(|p| b64(crc64::checksum(p))).collect();
    let b = app
        .get(
            &format!(
                "/s3/multipart/{id}/batch?key={}&partNumbers=1,2&checksums={}",
                enc(key),
                enc(&format!("crc64nvme:{}", sums.join(",")))
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(b.status, 200, "{}", b.json);
    let mut done = Vec::new();
    for (i, bytes) in parts.iter().enumerate() {
        let n = (i + 1).to_string();
        assert!(
            b.json["headers"][&n]
                .get("x-amz-checksum-crc64nvme")
                .is_none(),
            "no part is bound to a digest: {}",
            b.json
        );
        let url = b.json["presignedUrls"][&n].as_str().unwrap();
        let res = app.http.put(url).body(bytes.clone()).send().await.unwrap();
        assert_eq!(res.status(), 200, "part {n} goes without a checksum");
        done.push(json!({"PartNumber": i + 1, "ETag": res.headers()["etag"].to_str().unwrap()}));
    }
    // A wrong whole-file value: with checksums off it is not the store's to
    // check, so complete neither fails nor answers one.
    let done = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
            Some(ALICE),
            json!({"parts": done, "checksumCrc64nvme": b64(12345)}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert!(
        done.json.get("checksum").is_none_or(Value::is_null),
        "{}",
        done.json
    );
    assert_eq!(app.object(key).await.as_deref(), Some(&data[..]));
}
