//! A file's own signer calls, built and issued once `schedule` finds them
//! due and a signer slot free: params for single uploads (batched up to
//! the signer's limit), and create, ListParts, Complete and Abort for
//! multipart ones.

use alloc::vec::Vec;

use s3lift_protocol::resume::ResumeRecord;
use s3lift_protocol::wire::{CreateMultipartRequest, ParamsQuery, UploadMethod};

use crate::api::{Action, FileId, ParamsRequest};
use crate::engine::{Engine, Req};
use crate::file::{Body, Phase};

/// Files per `POST /s3/params` call (the signer's limit).
const MAX_PARAMS_BATCH: usize = 100;

impl Engine {
    pub(super) fn issue_create(&mut self, id: FileId) {
        if !self.signer_slot() {
            return;
        }
        let rid = self.issue(Req::Create(id));
        // The first window of part URLs rides on the create's answer,
        // unless parts are bound to digests the engine does not have yet.
        let sign_parts = (self.batch_parts && self.cfg.checksum.is_none())
            .then(|| self.cfg.sign_window().min(u32::MAX as usize) as u32);
        // Read only: one search of the table.
        let Some(file) = self.files.get(&id) else {
            return;
        };
        let part_size = Some(self.part_size_for(file.spec.size));
        // Inserted one by one (the keys come sorted).
        let mut metadata = s3lift_protocol::map::Map::new();
        for (k, v) in &file.spec.metadata {
            metadata.insert(k.clone(), v.as_str().into());
        }
        let request = CreateMultipartRequest {
            filename: file.spec.name.clone(),
            content_type: Some(file.spec.content_type.clone()),
            metadata,
            size: Some(file.spec.size),
            relative_path: file.spec.relative_path.clone(),
        };
        self.out.push_back(Action::CreateMultipart {
            id: rid,
            file: id,
            request,
            part_size,
            sign_parts,
        });
    }

    /// The part size asked for a file of `size` bytes (the create's, and
    /// the plan's when the signer names none).
    pub(crate) fn part_size_for(&self, size: u64) -> u64 {
        self.cfg.part_size.unwrap_or_else(|| {
            s3lift_protocol::plan::preferred_part_size(size, self.cfg.concurrency)
        })
    }

    /// ListParts, Complete or Abort, by the phase.
    pub(crate) fn issue_upload_call(&mut self, id: FileId) {
        if !self.signer_slot() {
            return;
        }
        let Some(m) = self.multi_mut(id) else { return };
        let Some((upload_id, key)) = m.named() else {
            return;
        };
        let phase = m.phase;
        // The part lists and the checksum only for a complete: no lists
        // built for a ListParts or an Abort only to be dropped.
        let action = if phase == Phase::Complete {
            // Every part, or (ahead of the last answers) the parts stored and
            // the parts in flight as pending: a complete goes out only then.
            let (parts, pending) = (m.collector.known(), m.collector.missing());
            let checksum = self.whole_checksum(id);
            self.save_record(id, true);
            let in_body = self.complete_in_body == Some(true);
            let rid = self.issue(Req::Complete(id));
            if let Some(m) = self.multi_mut(id) {
                m.complete_in_body = in_body;
            }
            Action::Complete {
                id: rid,
                file: id,
                upload_id,
                key,
                parts,
                pending,
                checksum,
                in_body,
            }
        } else {
            let list = phase == Phase::List;
            let rid = self.issue(if list { Req::List(id) } else { Req::Abort(id) });
            if let Some(m) = self.multi_mut(id) {
                m.complete_in_body = false;
            }
            if list {
                Action::ListParts {
                    id: rid,
                    file: id,
                    upload_id,
                    key,
                }
            } else {
                Action::Abort {
                    id: rid,
                    file: id,
                    upload_id,
                    key,
                }
            }
        };
        self.out.push_back(action);
    }

    /// Saves `id`'s resume record (the app resumes with it after a reload),
    /// marked `completing` once a complete goes out: a page that reloads
    /// before the answer then knows that the upload, found gone, was most
    /// likely completed (see `failures`).
    pub(crate) fn save_record(&mut self, id: FileId, completing: bool) {
        let Some(file) = self.files.get_mut(&id) else {
            return;
        };
        // Everything checked before anything is cloned.
        let Body::Multi(m) = &mut file.body else {
            return;
        };
        let (Some(fingerprint), Some(created_at), Some(plan), Some(up)) =
            (&file.spec.fingerprint, m.record_at, &m.plan, &m.upload)
        else {
            return;
        };
        if completing && core::mem::replace(&mut m.record_completing, true) {
            return;
        }
        let record = ResumeRecord {
            upload_id: up.upload_id.clone(),
            key: up.key.clone(),
            part_size: plan.part_size(),
            fingerprint: fingerprint.clone(),
            created_at,
            completing,
        };
        self.out.push_back(Action::SaveResume { file: id, record });
    }

    /// Files per params request: a batch, or one without the batch route.
    fn params_batch(&self) -> usize {
        if self.batch_params {
            MAX_PARAMS_BATCH
        } else {
            1
        }
    }

    /// How many more single files may be signed now. Forms are signed a
    /// window ahead of their sends (three batches, or two per request slot
    /// without the batch route), and refilled a whole batch at a time: ten
    /// thousand queued files hold a few hundred signed forms, not ten
    /// thousand, none of which would have expired unused.
    pub(super) fn params_budget(&self) -> usize {
        let batch = self.params_batch();
        let window = (3 * batch).max(2 * self.cfg.concurrency as usize);
        let now = self.now;
        // Queued files have nothing ahead.
        // A plain loop: no `Filter`/`count` instances for one caller.
        let mut ahead = 0;
        // The started files (`order`), by plain loops: no `FilterMap` instance.
        for id in &self.order {
            let Some(f) = self.files.get(id) else {
                continue;
            };
            if let (false, Body::Single(s)) = (f.paused, &f.body) {
                if s.stored.is_none()
                    && s.sending.is_none()
                    && (s.sign.in_flight.is_some()
                        || s.params.as_ref().is_some_and(|(_, u)| u.fresh(now)))
                {
                    ahead += 1;
                }
            }
        }
        if ahead + batch > window {
            0
        } else {
            window - ahead
        }
    }

    pub(super) fn sign_params(&mut self, need: &[FileId]) {
        for files in need.chunks(self.params_batch()) {
            if !self.signer_slot() {
                break;
            }
            let mut items: Vec<ParamsRequest> = Vec::new();
            for f in files {
                let Some(file) = self.files.get(f) else {
                    continue;
                };
                let spec = &file.spec;
                let digest = match &file.body {
                    Body::Single(s) => s.digest.clone(),
                    Body::Multi(_) => None,
                };
                items.push(ParamsRequest {
                    file: *f,
                    query: ParamsQuery {
                        filename: spec.name.clone(),
                        content_type: Some(spec.content_type.clone()),
                        size: Some(spec.size),
                        relative_path: spec.relative_path.clone(),
                        checksum_crc64nvme: digest,
                    },
                    method: UploadMethod::Post,
                });
            }
            let action = if self.batch_params {
                let rid = self.issue(Req::ParamsBatch(files.to_vec()));
                Action::SignParamsBatch {
                    id: rid,
                    files: items,
                }
            } else {
                // One file at a time: `items` holds one at most.
                let Some(item) = items.pop() else {
                    continue;
                };
                let rid = self.issue(Req::Params(item.file));
                Action::SignParams {
                    id: rid,
                    file: item.file,
                    query: item.query,
                }
            };
            self.out.push_back(action);
        }
    }
}
