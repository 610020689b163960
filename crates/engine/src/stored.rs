//! A store took a single upload or a part: the shared limit grows, the
//! part joins the collector, and the last one starts the complete.

use alloc::{borrow::ToOwned, string::String};

use crate::api::{Action, Failure, Outcome};
use crate::engine::{Engine, Req};
use crate::error::{codes, UploadError};
use crate::file::{Body, Phase};
use crate::url::location;

impl Engine {
    pub(crate) fn on_stored(&mut self, req: Req, etag: &mut Option<String>) {
        match req {
            Req::Single(f) => {
                self.limit.on_success();
                let Some(file) = self.files.get_mut(&f) else {
                    return;
                };
                let size = file.spec.size;
                file.tracker.complete_part(1, size);
                let Body::Single(s) = &mut file.body else {
                    return;
                };
                s.sending = None;
                let key = s.key().unwrap_or_default().to_owned();
                let Some((p, _)) = &s.params else { return };
                let outcome = Outcome {
                    location: Some(location(p.method, &p.url, &key)),
                    key,
                    bucket: p.bucket.clone(),
                    etag: etag.take(),
                    resumed: false,
                    restarted: None,
                    confirmed: false,
                    checksum: None,
                };
                if self.confirm_route {
                    // Reported to the signer first (its webhook), see `confirm`.
                    s.stored = Some(outcome);
                } else {
                    self.finish(f, Ok(outcome));
                }
            }
            Req::Part(f, n) => {
                self.limit.on_success();
                let Some(file) = self.files.get_mut(&f) else {
                    return;
                };
                let Body::Multi(m) = &mut file.body else {
                    return;
                };
                m.sending -= 1;
                m.part(n).sending = None;
                let Some(etag) = etag.take().filter(|e| !e.is_empty()) else {
                    let e = UploadError::new(
                        codes::ETAG_UNREADABLE,
                        "The part was stored but its ETag header is unreadable: the bucket's CORS rule must expose it \
                         (ExposeHeaders: [\"ETag\"]). Run `s3lift-signer bucket setup`.",
                    );
                    return self.fatal(f, e);
                };
                let len = m.plan.and_then(|p| p.expected_len(n)).unwrap_or(0);
                let part = m.part(n);
                part.done = true;
                part.url = None;
                m.collector.insert(n, etag.clone());
                file.tracker.complete_part(n, len);
                // Not again while a complete sent ahead of this answer is out.
                if m.phase != Phase::Complete
                    && m.plan
                        .is_some_and(|p| m.collector.len() == p.part_count() as usize)
                {
                    // Its step is fresh since the create or the listing,
                    // or keeps the backoff a complete sent ahead met.
                    m.phase = Phase::Complete;
                }
                self.out.push_back(Action::PartStored {
                    file: f,
                    part: n,
                    etag,
                    size: len,
                });
                self.progress(f, false);
            }
            // A store answer to a signer call: the driver mixed them up.
            other => self.on_failed(&other, &Failure::coded(200, codes::BAD_ANSWER)),
        }
    }
}
