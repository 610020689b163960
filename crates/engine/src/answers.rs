//! What each answer changes: signer answers, stored data, and failures,
//! all retried by the one policy.
//!
//! This module applies signer answers; `failed` routes failed requests.

use crate::Cat;
use alloc::{string::String, vec::Vec};

use s3lift_protocol::collector::PartCollector;
use s3lift_protocol::decimal;
use s3lift_protocol::plan::PartPlan;
use s3lift_protocol::wire::{BatchSignResponse, ChecksumDecision, UploadParams};

use crate::api::{Action, Failure, FileId, SignerAnswer};
use crate::engine::{Engine, Req};
use crate::error::{codes, known_code, status_of_batch_item, UploadError};
use crate::file::{part_of, Body, Phase, Upload};
use crate::url::{ttl_ms, SignedUrl};

mod failed;

use crate::confirm::checked;

pub(crate) use self::failed::{is_gone, no_route};

impl Engine {
    pub(crate) fn on_signer(&mut self, req: Req, answer: &mut SignerAnswer) {
        // The call is no longer in flight, whatever it answered (a wrong
        // answer is a failure that nothing applied, as in `on_failed`).
        self.release(&req, false);
        // The request and the answer borrowed (what an arm keeps is taken
        // out of it), so that both are dropped here once, not on each
        // arm's every way out.
        match (&req, answer) {
            (Req::ParamsBatch(files), SignerAnswer::ParamsBatch(items)) => {
                for (i, &f) in files.iter().enumerate() {
                    match items.get(i) {
                        Some(Ok(p)) => self.set_params(f, p),
                        Some(Err(body)) => {
                            let code = known_code(&body.code);
                            // The signer's message says what to fix (a path too deep…);
                            // it never holds a URL or a secret.
                            // `trim_ascii`: `trim`'s Unicode tables cost the bundle.
                            let why = body.error.trim_ascii();
                            let sep = if why.is_empty() { "" } else { ": " };
                            let e = UploadError::new(
                                code,
                                [
                                    "The signer refused the file (",
                                    code.as_str(),
                                    ")",
                                    sep,
                                    why,
                                ]
                                .cat(),
                            )
                            .with_status(Some(status_of_batch_item(code)));
                            self.fatal(f, e);
                        }
                        None => self.fatal(
                            f,
                            bad_answer(
                                "Unexpected signer answer: the batch answer is missing a file",
                            ),
                        ),
                    }
                }
            }
            (&Req::Params(f), SignerAnswer::Params(p)) => self.set_params(f, p),
            (&Req::Create(f), SignerAnswer::Created(c)) => {
                if c.part_size.is_some() {
                    self.complete_in_body.get_or_insert(true);
                }
                let (now, default) = (self.now, self.cfg.default_url_ttl_ms);
                let Some(size) = self.files.get(&f).map(|x| x.spec.size) else {
                    return;
                };
                let plan = match c.part_size {
                    Some(ps) => PartPlan::from_parts(size, ps),
                    None => PartPlan::new(size, Some(self.part_size_for(size))),
                };
                let agreed = plan
                    .as_ref()
                    .ok()
                    .filter(|p| c.part_count.is_none_or(|n| n == p.part_count()));
                // One look-up for the rest (the file's error and its body).
                let Some(file) = self.files.get_mut(&f) else {
                    return;
                };
                let fatal = file.fatal.is_some();
                let Body::Multi(m) = &mut file.body else {
                    return;
                };
                m.sums_dropped = c.checksum == Some(ChecksumDecision::Dropped);
                m.upload = Some(Upload {
                    key: core::mem::take(&mut c.key),
                    upload_id: core::mem::take(&mut c.upload_id),
                    bucket: c.bucket.take(),
                });
                if fatal {
                    m.enter(Phase::Abort);
                    return;
                }
                let Some(plan) = agreed.copied() else {
                    return self.fatal(
                        f,
                        UploadError::new(
                            codes::BAD_PLAN,
                            "the signer's part plan breaks S3's rules",
                        ),
                    );
                };
                m.start_plan(plan);
                m.enter(Phase::Upload);
                if let Some(b) = &c.parts {
                    // The first window, signed with the create (`signParts`).
                    let ttl = ttl_ms(b.expires, default);
                    for n in 1..plan.part_count().min(b.presigned_urls.len() as u32) + 1 {
                        if let Some(u) = batch_url(b, n, now, ttl) {
                            m.part(n).url = Some(u);
                        }
                    }
                }
                m.record_at = Some(now as f64);
                self.save_record(f, false);
            }
            (&Req::List(f), SignerAnswer::Listed(listed)) => {
                let Some(file) = self.files.get_mut(&f) else {
                    return;
                };
                let Body::Multi(m) = &mut file.body else {
                    return;
                };
                let Some(plan) = m.plan else { return };
                let from_record = m.from_record;
                let mut fresh = PartCollector::from_listed(plan.part_count(), listed, |n, size| {
                    plan.expected_len(n) == Some(size)
                });
                // Keep ETags we hold for parts the listing has not caught up with.
                fresh.merge(&m.collector);
                m.collector = fresh;
                let mut done = 0;
                // The first and the last part stored, for `verify_stored`.
                let mut ends: Option<(u32, u32)> = None;
                for n in 1..plan.part_count() + 1 {
                    if !m.collector.has(n) {
                        continue;
                    }
                    ends = Some((ends.map_or(n, |e| e.0), n));
                    let size = plan.expected_len(n).unwrap_or(0);
                    if !m.from_record && !m.part(n).done {
                        // A part this page sent whose answer a pause cut off,
                        // found stored by the listing: reported like any
                        // stored part (an earlier page's parts, on a resume
                        // from a record, are not). Its ETag is the listing's:
                        // those merged in from this page are of parts it
                        // stored already (marked done).
                        let etag = crate::verify::listed_part(listed, n, &plan)
                            .map(|p| p.etag.clone())
                            .unwrap_or_default();
                        self.out.push_back(Action::PartStored {
                            file: f,
                            part: n,
                            etag,
                            size,
                        });
                    }
                    m.part(n).done = true;
                    done += size;
                }
                let parts = &m.parts;
                m.queue.retain(|n| !part_of(parts, *n).done);
                // By `remove_at`, whose instance the scheduler has for
                // `waiting`: no `retain` instance for it.
                let mut i = 0;
                while let Some(&(_, n)) = m.waiting.get(i) {
                    if part_of(parts, n).done {
                        s3lift_protocol::remove_at(&mut m.waiting, i);
                    } else {
                        i += 1;
                    }
                }
                file.tracker
                    .restart_from(done, crate::file::stored_in(parts));
                m.resumed |= m.from_record;
                m.from_record = false;
                let all = m.collector.len() == plan.part_count() as usize;
                let next = if all { Phase::Complete } else { Phase::Upload };
                if from_record {
                    // Parts an earlier page stored: are they this file's?
                    self.verify_stored(f, listed, next, ends);
                } else {
                    m.enter(next);
                }
                self.progress(f, true);
            }
            (Req::SignParts(f, parts), SignerAnswer::Parts(b)) => {
                let f = *f;
                let (now, default) = (self.now, self.cfg.default_url_ttl_ms);
                let Some(m) = self.multi_mut(f) else { return };
                m.sign.failures = 0;
                let ttl = ttl_ms(b.expires, default);
                let mut missing = false;
                for &n in parts {
                    match batch_url(b, n, now, ttl) {
                        Some(u) => m.part(n).url = Some(u),
                        None => missing = true,
                    }
                }
                if missing {
                    self.fatal(
                        f,
                        bad_answer("Unexpected signer answer: the signer did not sign every part asked for"),
                    );
                }
            }
            (&Req::SignPart(f, n), SignerAnswer::Part(p)) => {
                let (now, default) = (self.now, self.cfg.default_url_ttl_ms);
                let Some(m) = self.multi_mut(f) else { return };
                m.sign.failures = 0;
                let ttl = ttl_ms(p.expires, default);
                let headers = core::mem::take(&mut p.headers).into_vec();
                m.part(n).url = Some(SignedUrl::new(
                    core::mem::take(&mut p.url),
                    headers,
                    now,
                    ttl,
                ));
            }
            (&Req::Complete(f), SignerAnswer::Completed(c)) => {
                let Some(m) = self.multi_mut(f) else { return };
                let Some(mut outcome) = m.outcome() else {
                    return;
                };
                if let Some(key) = c.key.take() {
                    outcome.key = key;
                }
                // The signer's complete fires its webhook. The file ends now,
                // or, if it went ahead, once its parts in flight have answered.
                m.ahead_done = Some(checked(
                    outcome,
                    c.bucket.take(),
                    core::mem::take(&mut c.location),
                    c.etag.take(),
                    c.checksum.take(),
                ));
                self.finish_ahead(f);
            }
            (&Req::Abort(f), SignerAnswer::Aborted) => self.after_abort(f),
            (Req::Discard, _) => {}
            (Req::Confirm(files), SignerAnswer::Confirmed(items)) => self.confirmed(files, items),
            _ => self.failed_released(&req, &Failure::coded(200, codes::BAD_ANSWER)),
        }
    }

    /// Keeps a copy of `p` (the answer is dropped once, by `handle`).
    fn set_params(&mut self, f: FileId, p: &UploadParams) {
        let (now, default) = (self.now, self.cfg.default_url_ttl_ms);
        let Some(s) = self.single_mut(f) else { return };
        let ttl = ttl_ms(p.expires, default);
        s.params = Some((
            p.clone(),
            SignedUrl::new(String::new(), Vec::new(), now, ttl),
        ));
        if s.key().is_none() {
            s.params = None;
            self.fatal(
                f,
                bad_answer("Unexpected signer answer: the params name no key (neither `key` nor `fields.key`)"),
            );
        }
    }

    pub(crate) fn single_mut(&mut self, f: FileId) -> Option<&mut crate::file::Single> {
        match &mut self.files.get_mut(&f)?.body {
            Body::Single(s) => Some(s),
            Body::Multi(_) => None,
        }
    }

    pub(crate) fn multi_mut(&mut self, f: FileId) -> Option<&mut crate::file::Multi> {
        crate::file::multi_in(&mut self.files, f)
    }

    /// The abort is done (or given up): the file ends with its error.
    pub(crate) fn after_abort(&mut self, f: FileId) {
        let err = self
            .files
            .get_mut(&f)
            .and_then(|x| x.fatal.take())
            .unwrap_or_else(UploadError::cancelled);
        self.finish(f, Err(err));
    }
}

/// Part `n`'s URL in a batch answer (the create's first window, a part
/// batch), `None` when the answer lacks it: one instance for both.
fn batch_url(b: &BatchSignResponse, n: u32, now: u64, ttl: u64) -> Option<SignedUrl> {
    let name = decimal(u64::from(n));
    let url = b.presigned_urls.get(&name)?;
    let headers = b
        .headers
        .get(&name)
        .map(|h| h.clone().into_vec())
        .unwrap_or_default();
    Some(SignedUrl::new(url.clone(), headers, now, ttl))
}

/// `bad_answer` with its whole message: each caller's literal starts with
/// "Unexpected signer answer: " (gzip takes the repeats; no `cat`).
pub(crate) fn bad_answer(message: &'static str) -> UploadError {
    UploadError::new(codes::BAD_ANSWER, message)
}
