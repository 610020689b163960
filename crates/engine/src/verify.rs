//! Never resume onto a changed file. A record names an upload whose parts
//! an earlier page stored; before they are skipped, the file must still be
//! the one uploaded:
//!
//! 1. the record's fingerprint covers the file's name, size,
//!    `lastModified` and type: a record handed over for a file with
//!    another fingerprint (the user picked the edited file again) is of
//!    other bytes;
//! 2. the first and the last part the store lists are read again, and
//!    their MD5 compared with the ETags ListParts gave (a part's ETag is
//!    the MD5 of its bytes on S3 without SSE-KMS/SSE-C, and on Garage). An
//!    edit that kept the size and the time (a tool that restores mtime, or
//!    an edit within the timestamp's resolution) shows there. ETags of
//!    another form cannot be compared, and then only the fingerprint vouches.
//!
//! Either way the file starts over, [`Action::Restarted`] says so, and the
//! old upload is aborted when a signer slot is free (its answer is not
//! waited for).

use alloc::{string::String, vec::Vec};

use s3lift_protocol::md5;
use s3lift_protocol::plan::PartPlan;
use s3lift_protocol::wire::{ChecksumAlgorithm, ListedPart};

use crate::api::{Action, FileId, Restart};
use crate::engine::{Engine, Req};
use crate::error::{codes, UploadError};
use crate::file::multi_in;
use crate::file::{Body, Multi, Phase};

/// Part `n` as the store listed it, at its planned size (a part of
/// another size is not this plan's).
pub(crate) fn listed_part<'a>(
    listed: &'a [ListedPart],
    n: u32,
    plan: &PartPlan,
) -> Option<&'a ListedPart> {
    let size = plan.expected_len(n);
    listed
        .iter()
        .find(|p| p.part_number == n && Some(p.size) == size)
}

impl Engine {
    /// After a continued upload's first listing: reads the first and the
    /// last stored part again before going on to `next`.
    /// `ends`: the first and the last part stored (the same one when only
    /// one is), as the listing's answer found them.
    pub(crate) fn verify_stored(
        &mut self,
        id: FileId,
        listed: &[ListedPart],
        next: Phase,
        ends: Option<(u32, u32)>,
    ) {
        let Some(m) = multi_in(&mut self.files, id) else {
            return;
        };
        let Some(plan) = m.plan else { return };
        m.verify = Vec::new();
        if let Some((first, last)) = ends {
            // The first, then the last if it is another (no slice of a
            // pair, and its bounds check).
            let mut n = first;
            loop {
                let md5 = listed_part(listed, n, &plan).and_then(|p| md5::from_etag(&p.etag));
                if let Some(md5) = md5 {
                    m.verify.push((n, md5));
                }
                if n == last {
                    break;
                }
                n = last;
            }
        }
        if m.verify.is_empty() {
            return m.enter(next);
        }
        m.after_verify = next;
        m.enter(Phase::Verify);
        for (n, _) in &m.verify {
            if let Some(range) = plan.part(*n) {
                self.out.push_back(Action::Digest {
                    file: id,
                    part: *n,
                    start: range.start,
                    end: range.end,
                    algorithm: ChecksumAlgorithm::Md5,
                });
            }
        }
    }

    /// A digest asked for by [`Engine::verify_stored`]: answers whether it was one.
    pub(crate) fn on_verify_digest(&mut self, id: FileId, n: u32, value: Option<&str>) -> bool {
        let Some(m) = self.multi_mut(id) else {
            return false;
        };
        if m.phase != Phase::Verify {
            return false;
        }
        let Some(i) = m.verify.iter().position(|(p, _)| *p == n) else {
            return false;
        };
        let (_, want) = s3lift_protocol::remove_at(&mut m.verify, i);
        match value {
            None => self.fatal(
                id,
                UploadError::new(codes::READ_FAILED, "The file could not be read"),
            ),
            Some(v) if v.eq_ignore_ascii_case(&want) => {
                if m.verify.is_empty() {
                    let next = m.after_verify;
                    m.enter(next);
                }
            }
            Some(_) => self.restart_changed(id, &mut None),
        }
        true
    }

    /// Starts `id` over because the file changed: forgets the record (saved
    /// under `old_fingerprint`, or the file's own), aborts the old upload
    /// without waiting, and says so.
    pub(crate) fn restart_changed(&mut self, id: FileId, old_fingerprint: &mut Option<String>) {
        let Some(file) = self.files.get_mut(&id) else {
            return;
        };
        let Body::Multi(m) = &mut file.body else {
            return;
        };
        let old = m.upload.take();
        **m = Multi::new();
        m.restarted = true;
        m.discard = old;
        // A new upload of other bytes: nothing of the old one counts.
        // No parts now: every attempt in flight is dropped.
        file.tracker
            .restart_from(0, crate::file::stored_in(&m.parts));
        if let Some(fingerprint) = old_fingerprint
            .take()
            .or_else(|| file.spec.fingerprint.clone())
        {
            self.out.push_back(Action::ForgetResume {
                file: id,
                fingerprint,
            });
        }
        self.out.push_back(Action::Restarted {
            file: id,
            reason: Restart::FileChanged,
        });
        self.progress(id, true);
    }

    /// Aborts the upload a changed file left (`Multi::discard`), once: if
    /// it fails, the bucket's lifecycle rule for incomplete uploads removes
    /// the parts.
    pub(crate) fn issue_discard(&mut self, id: FileId) {
        let Some(up) = self.multi_mut(id).and_then(|m| m.discard.take()) else {
            return;
        };
        let rid = self.issue(Req::Discard);
        self.out.push_back(Action::Abort {
            id: rid,
            file: id,
            upload_id: up.upload_id,
            key: up.key,
        });
    }
}
