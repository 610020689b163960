//! Our signer's complete, as the simulation runs it: at once, or with
//! pending parts (a complete ahead of their answers), waiting for the store
//! to hold them.

use s3lift_engine::{Event, Failure, FileId, RequestId, SignerAnswer};
use s3lift_protocol::wire::{CompleteResponse, CompletedPart, ErrorBody};

use crate::world::{Arrival, World};

/// How long the simulated signer waits for a complete's pending parts.
pub const AHEAD_WAIT_MS: u64 = 10_000;

/// A complete with pending parts at the signer, which lists the parts every
/// 10 ms until the store holds them, for [`AHEAD_WAIT_MS`] at most.
#[derive(Debug)]
pub struct Ahead {
    pub id: RequestId,
    pub file: FileId,
    pub upload: String,
    pub parts: Vec<CompletedPart>,
    pub pending: Vec<u32>,
    pub waited: u64,
}

impl World {
    /// The signer lists the parts of `a`'s upload (again).
    pub(crate) fn ahead_arrived(&mut self, mut a: Ahead) {
        // A page gone (reloaded) or a request cancelled does not stop the
        // signer: it completes all the same, unheard.
        let heard = self.signer_out.contains(&a.id);
        match self
            .store
            .with_pending(&a.upload, a.parts.clone(), &a.pending)
        {
            Ok(parts) if heard => self.complete_now(a.id, a.file, a.upload, parts),
            Ok(parts) => {
                let _ = self.store.complete(&a.upload, &parts);
            }
            Err(()) if a.waited < AHEAD_WAIT_MS => {
                a.waited += 10;
                self.later(10, Arrival::Ahead(a));
            }
            Err(()) if !heard => {}
            Err(()) => self.signer(a.id, |_| {
                let body = ErrorBody {
                    error: "a part did not reach the store".into(),
                    code: "invalid_parts".into(),
                };
                Err(Failure::from_signer(400, Some(&body), None))
            }),
        }
    }

    /// Our signer's complete of `parts` (all of them), as it reaches the
    /// signer: the store's complete, and the answer on its way back.
    pub(crate) fn complete_now(
        &mut self,
        id: RequestId,
        file: FileId,
        upload_id: String,
        parts: Vec<CompletedPart>,
    ) {
        // Another tab that held this resumed upload (closing as it
        // completed it) got there first: ours finds it gone. Our
        // signer's confirm route tells the engine so. Against
        // Companion only the record's `completing` mark can, and the
        // other tab marks it before its complete: so there, only a
        // record that was marked when this page read it.
        let mark = self.from_record.get(&file).copied();
        if mark.is_some_and(|marked| marked || !self.shape.companion)
            && self.faulty(0.25)
            && self.store.complete(&upload_id, &parts).is_ok()
        {
            self.taken_over += 1;
        }
        let lose = self.faulty(self.faults.p_signer);
        if lose {
            // Completed, and the answer lost on the way back.
            let _ = self.store.complete(&upload_id, &parts);
            self.signer_out.insert(id);
            let lat = self.latency();
            return self.later(
                lat,
                Arrival::Deliver(Event::Failed {
                    id,
                    failure: Failure::network(),
                }),
            );
        }
        self.signer(id, |w| match w.store.complete(&upload_id, &parts) {
            Ok(key) => Ok(SignerAnswer::Completed(CompleteResponse {
                location: format!("s://b/{key}"),
                key: Some(key),
                bucket: Some("b".into()),
                etag: None,
                checksum: None,
            })),
            Err(e) if e == "no_such_upload" => Err(Self::not_found("no_such_upload")),
            Err(e) => panic!("invalid complete: {e}"),
        })
    }
}
