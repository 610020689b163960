//! Calls to the signer (docs/protocol.md), one attempt each: this module
//! builds the request an [`Action`] names and decodes the answer into a
//! [`SignerAnswer`], or describes the failure as a [`Failure`]. Retries,
//! timeouts and fallbacks are the engine's.

use s3lift_engine::{Action, Failure, SignerAnswer};
use s3lift_protocol::wire::{
    BatchSignResponse, CompleteRequest, CompleteResponse, CompleteUploadRequest, ConfirmBatchEntry,
    ConfirmBatchRequest, ConfirmBatchResponse, CreateMultipartBody, CreateMultipartResponse,
    ErrorBody, ListedPart, ParamsBatchEntry, ParamsBatchFile, ParamsBatchRequest,
    ParamsBatchResponse, SignedPart, UploadParams,
};
use serde::de::DeserializeOwned;

/// Where the signer is and how to authenticate to it.
#[derive(Clone)]
pub struct Signer {
    /// The base URL of the `/s3` routes, without a trailing slash.
    pub endpoint: String,
    /// The bearer token (a credential: never printed).
    pub token: String,
    pub http: reqwest::Client,
    /// Sent as `checksumAlgorithm` when a multipart upload is created.
    pub checksum: Option<s3lift_protocol::wire::ChecksumAlgorithm>,
}

/// What the answer must decode into.
#[derive(Clone, Copy)]
enum Kind {
    ParamsBatch,
    Params,
    Created,
    Parts,
    Part,
    Listed,
    Completed,
    Aborted,
    Confirmed,
}

/// `encodeURIComponent`.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn json<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// The request an action names: method, path below the endpoint, JSON body.
fn request(
    a: &Action,
    checksum: Option<s3lift_protocol::wire::ChecksumAlgorithm>,
) -> Option<(reqwest::Method, String, Option<String>, Kind)> {
    use reqwest::Method;
    let up = |id: &str, key: &str| format!("/multipart/{}?key={}", enc(id), enc(key));
    Some(match a {
        Action::SignParamsBatch { files, .. } => {
            let body = ParamsBatchRequest {
                files: files
                    .iter()
                    .map(|f| ParamsBatchFile {
                        filename: f.query.filename.clone(),
                        content_type: f.query.content_type.clone(),
                        size: f.query.size.unwrap_or(0),
                        method: Some(f.method),
                        relative_path: f.query.relative_path.clone(),
                        checksum_crc64nvme: f.query.checksum_crc64nvme.clone(),
                    })
                    .collect(),
            };
            (
                Method::POST,
                "/params".into(),
                json(&body),
                Kind::ParamsBatch,
            )
        }
        Action::SignParams { query, .. } => {
            let mut path = format!(
                "/params?filename={}&type={}",
                enc(&query.filename),
                enc(query.content_type.as_deref().unwrap_or(""))
            );
            if let Some(size) = query.size {
                path.push_str(&format!("&size={size}"));
            }
            if let Some(p) = &query.relative_path {
                path.push_str(&format!("&relativePath={}", enc(p)));
            }
            if let Some(c) = &query.checksum_crc64nvme {
                path.push_str(&format!("&checksumCrc64nvme={}", enc(c)));
            }
            (Method::GET, path, None, Kind::Params)
        }
        Action::CreateMultipart {
            request,
            part_size,
            sign_parts,
            ..
        } => {
            let body = CreateMultipartBody {
                base: request.clone(),
                part_size: *part_size,
                checksum_algorithm: checksum,
                sign_parts: *sign_parts,
            };
            (
                Method::POST,
                "/multipart".into(),
                json(&body),
                Kind::Created,
            )
        }
        Action::SignParts {
            upload_id,
            key,
            parts,
            checksums,
            ..
        } => {
            let list: Vec<String> = parts.iter().map(u32::to_string).collect();
            let mut path = format!(
                "/multipart/{}/batch?key={}&partNumbers={}",
                enc(upload_id),
                enc(key),
                list.join(",")
            );
            if let Some(c) = checksums {
                let value = format!("{}:{}", c.algorithm.as_str(), c.values.join(","));
                path.push_str(&format!("&checksums={}", enc(&value)));
            }
            (Method::GET, path, None, Kind::Parts)
        }
        Action::SignPart {
            upload_id,
            key,
            part,
            ..
        } => {
            let path = format!("/multipart/{}/{part}?key={}", enc(upload_id), enc(key));
            (Method::GET, path, None, Kind::Part)
        }
        Action::ListParts { upload_id, key, .. } => {
            (Method::GET, up(upload_id, key), None, Kind::Listed)
        }
        Action::Complete {
            upload_id,
            key,
            parts,
            pending,
            checksum,
            in_body,
            ..
        } => {
            let complete = CompleteRequest {
                parts: parts.clone(),
                checksum_crc64nvme: checksum.clone(),
                pending: pending.clone(),
            };
            let (path, body) = if *in_body {
                let body = CompleteUploadRequest {
                    upload_id: upload_id.clone(),
                    key: key.clone(),
                    complete,
                };
                ("/multipart/complete".into(), json(&body))
            } else {
                let path = format!("/multipart/{}/complete?key={}", enc(upload_id), enc(key));
                (path, json(&complete))
            };
            (Method::POST, path, body, Kind::Completed)
        }
        Action::Abort { upload_id, key, .. } => {
            (Method::DELETE, up(upload_id, key), None, Kind::Aborted)
        }
        Action::Confirm { keys, .. } => {
            let body = ConfirmBatchRequest { keys: keys.clone() };
            let path = "/params/complete".into();
            (Method::POST, path, json(&body), Kind::Confirmed)
        }
        _ => return None,
    })
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ()> {
    serde_json::from_str(text).map_err(drop)
}

fn decode(kind: Kind, text: &str) -> Result<SignerAnswer, ()> {
    Ok(match kind {
        Kind::ParamsBatch => {
            let r: ParamsBatchResponse = parse(text)?;
            SignerAnswer::ParamsBatch(
                r.params
                    .into_iter()
                    .map(|e| match e {
                        ParamsBatchEntry::Signed(p) => Ok(p),
                        ParamsBatchEntry::Refused(b) => Err(b),
                    })
                    .collect(),
            )
        }
        Kind::Params => SignerAnswer::Params(parse::<UploadParams>(text)?),
        Kind::Created => SignerAnswer::Created(parse::<CreateMultipartResponse>(text)?),
        Kind::Parts => SignerAnswer::Parts(parse::<BatchSignResponse>(text)?),
        Kind::Part => SignerAnswer::Part(parse::<SignedPart>(text)?),
        Kind::Listed => SignerAnswer::Listed(parse::<Vec<ListedPart>>(text)?),
        Kind::Completed => SignerAnswer::Completed(parse::<CompleteResponse>(text)?),
        Kind::Aborted => SignerAnswer::Aborted,
        Kind::Confirmed => {
            let r: ConfirmBatchResponse = parse(text)?;
            SignerAnswer::Confirmed(
                r.objects
                    .into_iter()
                    .map(|e| match e {
                        ConfirmBatchEntry::Confirmed(o) => Ok(o),
                        ConfirmBatchEntry::Refused(b) => Err(b),
                    })
                    .collect(),
            )
        }
    })
}

/// A 2xx whose body is not the answer expected: the engine fails the file
/// with `bad_answer` (a 2xx is never retried).
fn bad_answer(status: u16) -> Failure {
    Failure {
        status: Some(status),
        code: Some("bad_answer".into()),
        ..Failure::default()
    }
}

impl Signer {
    /// Performs the signer call `action` names, once; `None` when the
    /// action is not a signer call.
    pub async fn call(&self, action: &Action) -> Option<Result<SignerAnswer, Failure>> {
        let (method, path, body, kind) = request(action, self.checksum)?;
        let mut req = self
            .http
            .request(method, format!("{}{}", self.endpoint, path))
            .bearer_auth(&self.token)
            .header("accept", "application/json");
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let res = match req.send().await {
            Ok(r) => r,
            Err(_) => return Some(Err(Failure::network())),
        };
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Ok(text) = res.text().await else {
            // The body was cut off.
            return Some(Err(Failure::network()));
        };
        if (200..300).contains(&status) {
            let text = if text.is_empty() { "{}" } else { &text };
            return Some(decode(kind, text).map_err(|_| bad_answer(status)));
        }
        let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
        Some(Err(Failure::from_signer(
            status,
            body.as_ref(),
            retry_after.as_deref(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(enc("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
        assert_eq!(enc("x-_.!~*'()"), "x-_.!~*'()");
    }

    #[test]
    fn decodes_batch_items_and_errors() {
        let text = r#"{"params":[{"method":"PUT","url":"http://s/x","key":"k"},{"error":"no","code":"too_large"}]}"#;
        let SignerAnswer::ParamsBatch(items) = decode(Kind::ParamsBatch, text).unwrap() else {
            panic!("not a batch");
        };
        assert_eq!(items[0].as_ref().unwrap().key.as_deref(), Some("k"));
        assert_eq!(items[1].as_ref().unwrap_err().code, "too_large");
        assert!(decode(Kind::Created, "{}").is_err());
    }
}
