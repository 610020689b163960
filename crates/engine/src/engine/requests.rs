//! The request table: what each request in flight is for, its deadline,
//! issuing and retiring request ids (with the in-flight counts the limits
//! read), deadlines that expire, and byte progress that resets a store
//! request's stall clock.

use alloc::{boxed::Box, vec::Vec};

use crate::api::{Action, Failure, FileId, RequestId};
use crate::engine::Engine;
use crate::vecmap::VecMap;

/// What a request in flight was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Req {
    ParamsBatch(Vec<FileId>),
    Params(FileId),
    Create(FileId),
    List(FileId),
    Complete(FileId),
    Abort(FileId),
    SignParts(FileId, Vec<u32>),
    SignPart(FileId, u32),
    Single(FileId),
    Part(FileId, u32),
    Confirm(Vec<FileId>),
    /// Aborting the upload a changed file's record named; its answer, or
    /// failure, changes nothing.
    Discard,
}

impl Req {
    /// Store requests count against the shared AIMD limit.
    pub fn is_data(&self) -> bool {
        matches!(self, Req::Single(_) | Req::Part(..))
    }
}

/// A request in flight and when to give up waiting for it.
#[derive(Debug)]
pub(crate) struct InFlight {
    pub req: Req,
    /// 0: no deadline.
    pub deadline: u64,
    /// Its deadline was moved past a suspended interval, and no progress
    /// came since (see `skip_suspended`).
    pub excused: bool,
}

impl Engine {
    /// A new request id, recorded with its deadline, and its file's marks
    /// of it set (`mark`).
    pub(crate) fn issue(&mut self, req: Req) -> RequestId {
        self.next_id += 1;
        let id = RequestId(self.next_id);
        self.mark(&req, Some(id), false);
        let timeout = if req.is_data() {
            self.data_in_flight += 1;
            self.cfg.stall_timeout_ms
        } else {
            self.signer_in_flight += 1;
            self.cfg.signer_timeout_ms
        };
        let deadline = if timeout == 0 { 0 } else { self.now + timeout };
        // Ids only grow: the new one goes last.
        self.requests.push_last(
            id,
            Box::new(InFlight {
                req,
                deadline,
                excused: false,
            }),
        );
        id
    }

    /// Removes request `id` from the table (its answer arrived, or it was cancelled).
    pub(crate) fn take(&mut self, id: RequestId) -> Option<Req> {
        let r = self.requests.remove(&id)?;
        if r.req.is_data() {
            self.data_in_flight -= 1;
        } else {
            self.signer_in_flight -= 1;
        }
        Some(r.req)
    }

    /// Cancels request `id` (its answer, if it comes, is ignored),
    /// answering what it was for.
    pub(crate) fn stop_request(&mut self, id: RequestId) -> Option<Req> {
        let req = self.take(id)?;
        self.out.push_back(Action::CancelRequest { id });
        Some(req)
    }

    /// Requests past their deadline fail as if the network had dropped them.
    pub(super) fn expire_requests(&mut self) {
        let now = self.now;
        let due = ids_where(&self.requests, |r| r.deadline > 0 && r.deadline <= now);
        for &id in &due {
            if let Some(req) = self.stop_request(id) {
                self.failed(req, &Failure::network());
            }
        }
    }

    pub(super) fn on_sent(&mut self, id: RequestId, bytes: u64) {
        let stall = self.cfg.stall_timeout_ms;
        let now = self.now;
        let Some(r) = self.requests.get_mut(&id) else {
            return;
        };
        if stall > 0 {
            // Progress resets the stall clock.
            r.deadline = now + stall;
            r.excused = false;
        }
        let (file, slot) = match r.req {
            Req::Single(f) => (f, 1),
            Req::Part(f, n) => (f, n),
            _ => return,
        };
        if let Some(f) = self.files.get_mut(&file) {
            f.tracker.set_part(slot, bytes);
            self.progress(file, false);
        }
    }
}

/// The file a request belongs to (a params batch belongs to several).
pub(crate) fn req_file(r: &Req) -> Option<FileId> {
    match r {
        Req::ParamsBatch(_) | Req::Confirm(_) | Req::Discard => None,
        Req::Params(f)
        | Req::Create(f)
        | Req::List(f)
        | Req::Complete(f)
        | Req::Abort(f)
        | Req::SignParts(f, _)
        | Req::SignPart(f, _)
        | Req::Single(f)
        | Req::Part(f, _) => Some(*f),
    }
}

/// The requests in `table` that `pick` selects, oldest first (a plain loop:
/// the four `filter`/`map`/`collect` chains it replaced cost the bundle 0.7 KB).
pub(crate) fn ids_where(
    table: &VecMap<RequestId, Box<InFlight>>,
    pick: impl Fn(&InFlight) -> bool,
) -> Vec<RequestId> {
    let mut ids = Vec::new();
    for (id, r) in table.iter() {
        if pick(r) {
            ids.push(*id);
        }
    }
    ids
}
