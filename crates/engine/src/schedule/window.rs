//! The windows of part URLs signed ahead of the sends that need them: which
//! parts of a multipart upload to sign next, by one batch call or one call
//! per part, and the digests a checksummed URL waits for.

use alloc::vec::Vec;

use s3lift_protocol::wire::ChecksumList;

use crate::api::{Action, FileId};
use crate::engine::{Engine, Req};
use crate::error::{codes, UploadError};
use crate::file::part_of;

impl Engine {
    /// Signs the next window of parts, ahead of the sends that need them.
    pub(super) fn sign_parts(&mut self, id: FileId) {
        let (now, window, ahead) = (
            self.now,
            self.cfg.sign_window(),
            self.cfg.concurrency as usize,
        );
        let batch = self.batch_parts;
        let sums = self.part_sums(id);
        let Some(m) = self.multi_mut(id) else { return };
        if now < m.sign.wait_until || (batch && m.signing > 0) {
            return;
        }
        let mut fresh = 0;
        let mut todo: Vec<u32> = Vec::new();
        let mut digest: Vec<u32> = Vec::new();
        for n in m.queue.iter().take(window) {
            let p = part_of(&m.parts, *n);
            if p.url.as_ref().is_some_and(|u| u.fresh(now)) {
                fresh += 1;
            } else if sums.is_some() && p.digest.is_none() {
                // A URL bound to a checksum needs the digest first.
                if !p.digesting {
                    digest.push(*n);
                }
            } else if !p.signing {
                todo.push(*n);
            }
        }
        if let Some(algorithm) = sums {
            if !batch {
                let e = UploadError::new(
                    codes::BAD_ANSWER,
                    "The signer has no part batch route, which checksums need",
                );
                return self.fatal(id, e);
            }
            self.ask_digests(id, &digest, algorithm);
        }
        let Some(m) = self.multi_mut(id) else { return };
        if todo.is_empty() || (batch && fresh >= ahead) {
            return;
        }
        let Some((upload_id, key)) = m.named() else {
            return;
        };
        sort_small(&mut todo);
        let checksums = sums.map(|algorithm| {
            let mut values = Vec::with_capacity(todo.len());
            for n in &todo {
                values.push(part_of(&m.parts, *n).digest.clone().unwrap_or_default());
            }
            ChecksumList { algorithm, values }
        });
        if batch {
            if !self.signer_slot() {
                return;
            }
            // Copied by a loop: the only `Vec<u32>` clone (its `to_vec`
            // instance) was this one.
            let mut parts = Vec::with_capacity(todo.len());
            for n in &todo {
                parts.push(*n);
            }
            let rid = self.issue(Req::SignParts(id, parts));
            self.out.push_back(Action::SignParts {
                id: rid,
                file: id,
                upload_id,
                key,
                parts: todo,
                checksums,
            });
            return;
        }
        for &n in &todo {
            let busy = self
                .multi_mut(id)
                .is_none_or(|m| m.signing as usize >= ahead);
            if busy || !self.signer_slot() {
                return;
            }
            let rid = self.issue(Req::SignPart(id, n));
            self.out.push_back(Action::SignPart {
                id: rid,
                file: id,
                upload_id: upload_id.clone(),
                key: key.clone(),
                part: n,
            });
        }
    }
}

/// Insertion sort: these lists hold a signing window at most (tens of
/// items), and each `sort_unstable` instance costs the browser bundle kilobytes.
fn sort_small<T: Ord>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sort_small_sorts() {
        let mut v = vec![(5u64, 2u32), (1, 9), (5, 1), (0, 0), (3, 3)];
        let mut w = v.clone();
        super::sort_small(&mut v);
        w.sort_unstable();
        assert_eq!(v, w);
    }
}
