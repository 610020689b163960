//! Per-part checksums: the driver reads and digests a part when the
//! engine asks, and the part URL is then signed for that digest, so the
//! store refuses any other bytes (`checksums=` in docs/protocol.md). A
//! single-request file is digested whole (as part 1) when checksums are
//! CRC64NVME, and its params request carries the value.

use alloc::{string::String, vec::Vec};

use s3lift_protocol::crc64;
use s3lift_protocol::wire::ChecksumAlgorithm;

use crate::api::{Action, FileId};
use crate::engine::Engine;
use crate::error::{codes, UploadError};
use crate::file::multi_in;

impl Engine {
    /// The checksum `id`'s parts carry: the configured one, unless the
    /// signer said it dropped it.
    pub(crate) fn part_sums(&mut self, id: FileId) -> Option<ChecksumAlgorithm> {
        let sums = self.cfg.checksum;
        sums.filter(|_| !self.multi_mut(id).is_some_and(|m| m.sums_dropped))
    }

    /// Asks the driver for the digests of `parts`, at most `concurrency`
    /// at a time per file (each one reads a part into memory).
    pub(crate) fn ask_digests(&mut self, id: FileId, parts: &[u32], algorithm: ChecksumAlgorithm) {
        let ahead = self.cfg.concurrency;
        let Some(m) = multi_in(&mut self.files, id) else {
            return;
        };
        let Some(plan) = m.plan else { return };
        for &n in parts {
            let Some(range) = plan.part(n).filter(|_| m.digesting < ahead) else {
                break;
            };
            m.digesting += 1;
            m.part(n).digesting = true;
            self.out.push_back(Action::Digest {
                file: id,
                part: n,
                start: range.start,
                end: range.end,
                algorithm,
            });
        }
    }

    /// The whole file's CRC64NVME, combined from every part's digest in
    /// order, when parts carry CRC64NVME checksums (and all are known).
    pub(crate) fn whole_checksum(&mut self, id: FileId) -> Option<String> {
        if self.part_sums(id) != Some(ChecksumAlgorithm::Crc64nvme) {
            return None;
        }
        let m = self.multi_mut(id)?;
        let plan = m.plan?;
        let mut whole = 0u64;
        for n in 1..plan.part_count() + 1 {
            let digest = m.parts.get(n as usize - 1)?.digest.as_deref()?;
            let crc = crc64::from_base64(digest)?;
            whole = crc64::combine(whole, crc, plan.expected_len(n)?);
        }
        Some(crc64::to_base64(whole))
    }

    /// Before a CRC64NVME upload completes, every part needs its digest: the
    /// parts a resumed upload found stored were sent by an earlier page, so
    /// they are read again. Answers whether some are still pending.
    pub(crate) fn whole_checksum_pending(&mut self, id: FileId) -> bool {
        if self.part_sums(id) != Some(ChecksumAlgorithm::Crc64nvme) {
            return false;
        }
        let Some(m) = self.multi_mut(id) else {
            return false;
        };
        let mut missing = false;
        let mut idle = Vec::new();
        for (i, p) in m.parts.iter().enumerate() {
            if p.digest.is_none() {
                missing = true;
                if !p.digesting {
                    idle.push(i as u32 + 1);
                }
            }
        }
        if !missing {
            return false;
        }
        self.ask_digests(id, &idle, ChecksumAlgorithm::Crc64nvme);
        true
    }

    pub(crate) fn on_digested(&mut self, id: FileId, n: u32, value: &mut Option<String>) {
        if self.on_verify_digest(id, n, value.as_deref()) {
            return;
        }
        if let Some(s) = self.single_mut(id) {
            // The whole file, for its params request.
            if !core::mem::take(&mut s.digesting) {
                return;
            }
            match value.take() {
                Some(v) => s.digest = Some(v),
                None => self.fatal(
                    id,
                    UploadError::new(codes::READ_FAILED, "The file could not be read"),
                ),
            }
            return;
        }
        let Some(m) = self.multi_mut(id) else { return };
        let Some(part) = m.parts.get_mut((n as usize).wrapping_sub(1)) else {
            return;
        };
        if !core::mem::take(&mut part.digesting) {
            return;
        }
        m.digesting -= 1;
        match value.take() {
            Some(v) => part.digest = Some(v),
            None => self.fatal(
                id,
                UploadError::new(codes::READ_FAILED, "The file could not be read"),
            ),
        }
    }
}
