//! Per-part checksums: the driver reads and digests a part when the
//! engine asks, and the part URL is then signed for that digest, so the
//! store refuses any other bytes (`checksums=` in docs/protocol.md).

use s3lift_protocol::wire::ChecksumAlgorithm;

use crate::api::{Action, FileId};
use crate::engine::Engine;
use crate::error::{codes, UploadError};

impl Engine {
    /// Asks the driver for the digests of `parts`, at most `concurrency`
    /// at a time per file (each one reads a part into memory).
    pub(crate) fn ask_digests(
        &mut self,
        id: FileId,
        parts: Vec<u32>,
        algorithm: ChecksumAlgorithm,
    ) {
        let ahead = self.cfg.concurrency;
        let Some(m) = self.multi_mut(id) else { return };
        let Some(plan) = m.plan else { return };
        let mut asks = Vec::new();
        for n in parts {
            let Some(range) = plan.part(n).filter(|_| m.digesting < ahead) else {
                break;
            };
            m.digesting += 1;
            m.part(n).digesting = true;
            asks.push(Action::Digest {
                file: id,
                part: n,
                start: range.start,
                end: range.end,
                algorithm,
            });
        }
        self.out.extend(asks);
    }

    pub(crate) fn on_digested(&mut self, id: FileId, n: u32, value: Option<String>) {
        let Some(m) = self.multi_mut(id) else { return };
        let Some(part) = m.parts.get_mut((n as usize).wrapping_sub(1)) else {
            return;
        };
        if !std::mem::take(&mut part.digesting) {
            return;
        }
        m.digesting -= 1;
        match value {
            Some(v) => part.digest = Some(v),
            None => self.fatal(
                id,
                UploadError::new(codes::READ_FAILED, "The file could not be read"),
            ),
        }
    }
}
