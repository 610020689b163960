//! A checksummed upload's event carries the checksum the store kept.

use super::*;

#[tokio::test]
async fn a_crc64nvme_upload_event_carries_the_stored_checksum() {
    use s3lift_protocol::crc64;
    let (url, mut rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    let data = body(6 * MIB, 8);
    let c = app
        .post(
            "/s3/multipart",
            Some(ALICE),
            json!({"filename": "sum.bin", "size": data.len(), "partSize": 5 * MIB,
                   "checksumAlgorithm": "crc64nvme"}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.json);
    let (key, id) = (
        c.json["key"].as_str().unwrap(),
        c.json["uploadId"].as_str().unwrap(),
    );
    let chunks: Vec<&[u8]> = data.chunks(5 * MIB).collect();
    let sums: Vec<String> = chunks
        .iter()
        .map(|p| crc64::to_base64(crc64::checksum(p)))
        .collect();
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
    let mut parts = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let n = (i + 1).to_string();
        let res = app
            .http
            .put(b.json["presignedUrls"][&n].as_str().unwrap())
            .header("x-amz-checksum-crc64nvme", &sums[i])
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        parts.push(json!({"PartNumber": i + 1, "ETag": res.headers()["etag"].to_str().unwrap()}));
    }
    let whole = crc64::to_base64(crc64::checksum(&data));
    let done = app
        .post(
            &format!("/s3/multipart/{id}/complete?key={}", enc(key)),
            Some(ALICE),
            json!({"parts": parts, "checksumCrc64nvme": whole}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.json);
    let event = next(&mut rx).await;
    event.verify(WEBHOOK_SECRET).unwrap();
    assert_eq!(event.json()["checksum"]["crc64nvme"], whole.as_str());
}

#[tokio::test]
async fn a_single_put_with_a_signed_crc64nvme_event_carries_it() {
    use s3lift_protocol::crc64;
    let (url, mut rx) = receiver(0).await;
    let app = hooked_app(&url).await;
    let data = body(500, 9);
    let sum = crc64::to_base64(crc64::checksum(&data));
    let a = app
        .get(
            &format!(
                "/s3/params?filename=s.txt&type=text/plain&size=500&checksumCrc64nvme={}",
                enc(&sum)
            ),
            Some(ALICE),
        )
        .await;
    assert_eq!(a.json["checksum"], "signed", "{}", a.json);
    let put = app
        .http
        .put(a.json["url"].as_str().unwrap())
        .header("content-type", "text/plain")
        .header("x-amz-checksum-crc64nvme", &sum)
        .body(data)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let key = a.json["key"].as_str().unwrap();
    let done = app.post(&complete_path(key), Some(ALICE), json!({})).await;
    assert_eq!(
        done.json["checksum"]["crc64nvme"],
        sum.as_str(),
        "{}",
        done.json
    );
    let event = next(&mut rx).await;
    event.verify(WEBHOOK_SECRET).unwrap();
    assert_eq!(event.json()["checksum"]["crc64nvme"], sum.as_str());
}
