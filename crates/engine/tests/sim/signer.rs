//! The simulated signer's answers (s3lift- or Companion-shaped) and the
//! driver side of every action: what `World::apply` does with each.

use std::collections::BTreeMap;

use s3lift_protocol::map::Map;

use s3lift_engine::api::ParamsRequest;
use s3lift_engine::{Action, Event, Failure, SignerAnswer};
use s3lift_protocol::plan::PartPlan;
use s3lift_protocol::wire::{
    BatchSignResponse, CreateMultipartResponse, ErrorBody, ListedPart, SignedPart,
    SingleCompleteResponse, UploadMethod, UploadParams,
};

use crate::store::{self, OpenUpload};
use crate::world::{Arrival, World};

impl World {
    fn params(&mut self, r: &ParamsRequest) -> UploadParams {
        let n = self.store.new_name();
        let key = format!("u/{n}/{}", r.query.filename);
        let exp = self.now + self.shape.ttl_s * 1000;
        let mut p = UploadParams {
            method: UploadMethod::Put,
            url: store::single_url(&key, exp),
            fields: Map::new(),
            headers: Map::new(),
            key: Some(key.clone()),
            bucket: Some("b".into()),
            expires: Some(self.shape.ttl_s),
            checksum: None,
        };
        if self.shape.companion || !self.shape.put {
            p.method = UploadMethod::Post;
            p.fields.insert("key".into(), key);
            p.fields.insert("x-exp".into(), exp.to_string());
            p.url = "s://bucket/".into();
        }
        if self.shape.companion {
            p.key = None;
            p.bucket = None;
            p.expires = None;
        }
        p
    }

    pub(crate) fn not_found(code: &str) -> Failure {
        let body = ErrorBody {
            error: "no".into(),
            code: code.into(),
        };
        Failure::from_signer(404, Some(&body), None)
    }

    /// Performs `a` (answers come later through `next`).
    pub fn apply(&mut self, a: Action) {
        let ttl = self.shape.ttl_s;
        let exp = self.now + ttl * 1000;
        match a {
            Action::SignParamsBatch { id, files } => self.signer(id, |w| {
                if w.shape.companion {
                    return Err(Self::not_found("not_found"));
                }
                let mut items = Vec::with_capacity(files.len());
                for r in &files {
                    // Now and then the signer refuses one file of the batch.
                    items.push(if w.faulty(w.faults.p_signer / 4.0) {
                        Err(ErrorBody {
                            error: "too large".into(),
                            code: "too_large".into(),
                        })
                    } else {
                        Ok(w.params(r))
                    });
                }
                Ok(SignerAnswer::ParamsBatch(items))
            }),
            Action::SignParams { id, file, query } => self.signer(id, |w| {
                let r = ParamsRequest {
                    file,
                    query,
                    method: UploadMethod::Post,
                };
                Ok(SignerAnswer::Params(w.params(&r)))
            }),
            Action::CreateMultipart {
                id,
                file,
                request,
                part_size,
                sign_parts,
            } => self.signer(id, |w| {
                let size = w.sizes[&file];
                let plan =
                    PartPlan::new(size, part_size).map_err(|_| Self::not_found("too_large"))?;
                let n = w.store.new_name();
                let (key, upload_id) = (format!("m/{n}/{}", request.filename), format!("up{n}"));
                let stated = (!w.shape.companion).then_some(plan.part_size());
                let open = OpenUpload {
                    key: key.clone(),
                    file,
                    size,
                    part_size: stated,
                    parts: BTreeMap::new(),
                };
                w.store.uploads.insert(upload_id.clone(), open);
                let parts = sign_parts.filter(|_| !w.shape.companion).map(|n| {
                    let urls = (1..=n.min(plan.part_count()))
                        .map(|k| (k.to_string(), store::part_url(&upload_id, k, exp)))
                        .collect();
                    BatchSignResponse {
                        presigned_urls: urls,
                        headers: Default::default(),
                        expires: Some(ttl),
                    }
                });
                Ok(SignerAnswer::Created(CreateMultipartResponse {
                    key,
                    upload_id,
                    bucket: (!w.shape.companion).then(|| "b".into()),
                    part_size: stated,
                    part_count: stated.map(|_| plan.part_count()),
                    expires: (!w.shape.companion).then_some(ttl),
                    parts,
                    checksum: None,
                }))
            }),
            Action::SignParts {
                id,
                upload_id,
                parts,
                checksums,
                ..
            } => self.signer(id, |w| {
                if w.shape.no_part_batch {
                    return Err(Self::not_found("not_found"));
                }
                let mut urls = Map::new();
                let mut headers = Map::new();
                for (i, n) in parts.iter().enumerate() {
                    let mut url = store::part_url(&upload_id, *n, exp);
                    if let Some(c) = &checksums {
                        // The URL is bound to the digest; the request must carry it.
                        url = format!("{url}/{}", c.values[i]);
                        let h = [(c.algorithm.header_name().to_owned(), c.values[i].clone())];
                        headers.insert(n.to_string(), h.into());
                    }
                    urls.insert(n.to_string(), url);
                }
                let expires = (!w.shape.companion).then_some(ttl);
                Ok(SignerAnswer::Parts(BatchSignResponse {
                    presigned_urls: urls,
                    headers,
                    expires,
                }))
            }),
            Action::SignPart {
                id,
                upload_id,
                part,
                ..
            } => self.signer(id, |w| {
                let expires = (!w.shape.companion).then_some(ttl);
                Ok(SignerAnswer::Part(SignedPart {
                    url: store::part_url(&upload_id, part, exp),
                    headers: Map::new(),
                    expires,
                }))
            }),
            Action::ListParts { id, upload_id, .. } => self.signer(id, |w| {
                let u = w
                    .store
                    .uploads
                    .get(&upload_id)
                    .ok_or_else(|| Self::not_found("no_such_upload"))?;
                let parts = u.parts.iter().map(|(n, (r, e))| ListedPart {
                    part_number: *n,
                    size: r.2 - r.1,
                    etag: e.clone(),
                });
                Ok(SignerAnswer::Listed(parts.collect()))
            }),
            Action::Complete {
                id,
                file,
                upload_id,
                parts,
                pending,
                in_body,
                ..
            } => {
                if in_body {
                    // Only a create answer with our signer's extensions
                    // (`partSize`) leads the engine to this route.
                    assert!(
                        !self.shape.companion,
                        "an in-body complete to a Companion-shaped signer"
                    );
                    self.in_body_completes += 1;
                    if self.faulty(0.05) {
                        // An older replica behind the same balancer: no such
                        // route, and nothing completed.
                        self.old_replica += 1;
                        return self.signer(id, |_| Err(Self::not_found("not_found")));
                    }
                }
                self.complete_calls.insert(id);
                if pending.is_empty() {
                    return self.complete_now(id, file, upload_id, parts);
                }
                // Ahead of the parts' answers: the signer waits for them.
                self.ahead_completes += 1;
                self.signer_out.insert(id);
                let lat = self.latency();
                let ahead = crate::ahead::Ahead {
                    id,
                    file,
                    upload: upload_id,
                    parts,
                    pending,
                    waited: 0,
                };
                self.later(lat, Arrival::Ahead(ahead));
            }
            Action::Confirm { id, keys, .. } => self.signer(id, |w| {
                if w.shape.companion {
                    return Err(Self::not_found("not_found"));
                }
                let items = keys
                    .into_iter()
                    .map(|key| match w.store.objects.get(&key) {
                        Some(ranges) => Ok(SingleCompleteResponse {
                            location: format!("s://b/{key}"),
                            size: ranges.iter().map(|r| r.2 - r.1).sum(),
                            key,
                            bucket: "b".into(),
                            etag: "\"e\"".into(),
                            checksum: None,
                        }),
                        None => Err(ErrorBody {
                            error: "no such object".into(),
                            code: "no_such_key".into(),
                        }),
                    })
                    .collect();
                Ok(SignerAnswer::Confirmed(items))
            }),
            Action::Abort { id, upload_id, .. } => self.signer(id, |w| {
                w.store.uploads.remove(&upload_id);
                Ok(SignerAnswer::Aborted)
            }),
            Action::SendSingle { id, file, params } => {
                let size = self.sizes[&file];
                let (key, url_exp) = match params.method {
                    UploadMethod::Put => store::parse_single_url(&params.url).expect("single url"),
                    UploadMethod::Post => {
                        let exp = params.fields["x-exp"].parse().expect("exp");
                        (params.fields["key"].clone(), exp)
                    }
                };
                self.data(
                    id,
                    file,
                    size,
                    url_exp,
                    Arrival::Single {
                        id,
                        key,
                        file,
                        size,
                        lose: false,
                    },
                );
            }
            Action::SendPart {
                id,
                file,
                part,
                url,
                start,
                end,
                headers,
            } => {
                let (upload, n, url_exp, bound) = store::parse_part_url(&url).expect("part url");
                assert_eq!(n, part, "a part sent to another part's URL");
                if let Some(bound) = bound {
                    let want = store::digest(file, start, end);
                    assert_eq!(
                        bound, want,
                        "part {part} sent with another part's checksum URL"
                    );
                    assert!(
                        headers.iter().any(|(_, v)| *v == want),
                        "checksum header missing"
                    );
                }
                let arrival = Arrival::Part {
                    id,
                    upload,
                    part,
                    range: (file, start, end),
                    lose: false,
                };
                self.data(id, file, end - start, url_exp, arrival);
            }
            Action::Digest {
                file,
                part,
                start,
                end,
                ..
            } => {
                let value = Some(store::digest(file, start, end));
                let lat = 1 + self.rng.below(10);
                self.later(lat, Arrival::Deliver(Event::Digested { file, part, value }));
            }
            Action::CancelRequest { id } => {
                if let Some((f, len)) = self.data_out.remove(&id) {
                    *self.stats.allowance.entry(f).or_default() += len;
                }
                self.signer_out.remove(&id);
            }
            Action::SaveResume { file, record } => {
                self.records.insert(file, record);
            }
            Action::ForgetResume { file, .. } => {
                self.records.remove(&file);
            }
            Action::Progress { .. }
            | Action::PartStored { .. }
            | Action::Restarted { .. }
            | Action::Finished { .. } => {
                unreachable!("handled by the runner")
            }
        }
    }
}
