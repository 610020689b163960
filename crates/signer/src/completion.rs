//! The rules a multipart upload must meet before the signer completes it, as
//! a pure function of what the client lists, what the store holds and what
//! was approved: no I/O, so every rule has a unit test.
//!
//! The store is the witness, not the client: sizes come from ListParts, and an
//! ETag the store contradicts is refused. An upload whose parts add up to more
//! than its approved size (or `S3LIFT_MAX_SIZE`) is to be aborted, not
//! completed, so nothing over the limit ever becomes an object.
//!
//! `completion/pending.rs` holds the `pending` extension: parts a complete names before
//! their answers came, waited for and merged in before `judge`.

use std::collections::HashMap;

use s3lift_protocol::plan::{PartNumber, PlanViolation, MAX_PARTS};
use s3lift_protocol::wire::{CompletedPart, ListedPart};

use crate::keys::Approved;

mod pending;

pub use self::pending::{
    check_pending, listing_gap, merge_pending, not_arrived, Arrival, PENDING_WAIT,
};

/// What to do with an upload at complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Complete it with these parts (sorted); `total` bytes.
    Complete {
        /// The client's parts, sorted by number.
        parts: Vec<CompletedPart>,
        /// The object's size.
        total: u64,
    },
    /// Abort it and answer 413: its parts add up to more than `limit`.
    AbortTooLarge {
        /// What the parts add up to.
        total: u64,
        /// The approved size, or `S3LIFT_MAX_SIZE`.
        limit: u64,
    },
}

/// Why a complete request is refused without touching the upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400 `bad_request`: no parts, or more than S3 allows (`pending` parts
    /// included).
    #[error("parts and pending must list 1 to {MAX_PARTS} parts together")]
    Count,
    /// 400 `invalid_parts`: a gap, a duplicate, an unknown part or a contradicted ETag.
    #[error("{0}")]
    Parts(String),
}

fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// Judges a complete request. `stored` is the store's ListParts answer.
pub fn judge(
    mut parts: Vec<CompletedPart>,
    stored: &[ListedPart],
    approved: Approved,
    max_size: u64,
) -> Result<Verdict, Refusal> {
    if parts.is_empty() || parts.len() > MAX_PARTS as usize {
        return Err(Refusal::Count);
    }
    parts.sort();
    if parts
        .windows(2)
        .any(|w| w[0].part_number == w[1].part_number)
    {
        return Err(Refusal::Parts("a part number is listed twice".into()));
    }
    let by_number: HashMap<u32, &ListedPart> = stored.iter().map(|p| (p.part_number, p)).collect();
    let mut sized = Vec::with_capacity(parts.len());
    for p in &parts {
        PartNumber::new(p.part_number).map_err(|e| Refusal::Parts(e.to_string()))?;
        match by_number.get(&p.part_number) {
            // A store that lists no ETag (s3s-fs) cannot contradict the client.
            Some(s) if s.etag.is_empty() || etag_eq(&s.etag, &p.etag) => {
                sized.push((p.part_number, s.size))
            }
            Some(_) => {
                return Err(Refusal::Parts(format!(
                    "part {} has another ETag in the store",
                    p.part_number
                )))
            }
            None => {
                return Err(Refusal::Parts(format!(
                    "part {} was never uploaded",
                    p.part_number
                )))
            }
        }
    }
    let total: u64 = sized.iter().map(|(_, s)| s).sum();
    let limit = approved.limit(max_size);
    let plan = approved.plan();
    let over = total > limit
        || plan.as_ref().is_some_and(|plan| {
            matches!(
                plan.check_uploaded(&sized),
                Err(PlanViolation::TooLarge { .. })
            )
        });
    if over {
        return Ok(Verdict::AbortTooLarge { total, limit });
    }
    if let Some(plan) = plan {
        plan.check_uploaded(&sized)
            .map_err(|e| Refusal::Parts(e.to_string()))?;
        // Every planned part, or the object would be the file with a hole in
        // it: S3 itself completes any ascending subset of parts.
        if let Some(missing) = (1..=plan.part_count()).find(|n| !sized.iter().any(|(m, _)| m == n))
        {
            return Err(Refusal::Parts(format!(
                "part {missing} is missing: the plan has {} parts",
                plan.part_count()
            )));
        }
    }
    Ok(Verdict::Complete { parts, total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3lift_protocol::plan::MIB;

    pub(super) fn part(n: u32, etag: &str) -> CompletedPart {
        CompletedPart {
            part_number: n,
            etag: etag.into(),
        }
    }

    pub(super) fn listed(n: u32, size: u64, etag: &str) -> ListedPart {
        ListedPart {
            part_number: n,
            size,
            etag: etag.into(),
        }
    }

    const MAX: u64 = 100 * MIB;

    fn planned(size: u64) -> Approved {
        Approved {
            size: Some(size),
            part_size: Some(5 * MIB),
        }
    }

    #[test]
    fn a_planned_upload_completes_sorted_with_its_total() {
        let stored = [listed(1, 5 * MIB, "\"a\""), listed(2, MIB, "\"b\"")];
        let v = judge(
            vec![part(2, "b"), part(1, "\"a\"")],
            &stored,
            planned(6 * MIB),
            MAX,
        );
        assert_eq!(
            v,
            Ok(Verdict::Complete {
                parts: vec![part(1, "\"a\""), part(2, "b")],
                total: 6 * MIB
            })
        );
    }

    #[test]
    fn no_parts_or_too_many_is_a_count_refusal() {
        assert_eq!(judge(vec![], &[], planned(1), MAX), Err(Refusal::Count));
        let many = (1..=10_001).map(|n| part(n, "x")).collect();
        assert_eq!(judge(many, &[], planned(1), MAX), Err(Refusal::Count));
    }

    #[test]
    fn duplicates_unknown_parts_and_contradicted_etags_are_refused() {
        let stored = [listed(1, 5 * MIB, "a"), listed(2, MIB, "b")];
        let dup = judge(
            vec![part(1, "a"), part(1, "a")],
            &stored,
            planned(6 * MIB),
            MAX,
        );
        assert!(matches!(dup, Err(Refusal::Parts(m)) if m.contains("twice")));
        let unknown = judge(
            vec![part(1, "a"), part(3, "c")],
            &stored,
            planned(6 * MIB),
            MAX,
        );
        assert!(matches!(unknown, Err(Refusal::Parts(m)) if m.contains("never uploaded")));
        let other = judge(
            vec![part(1, "a"), part(2, "zz")],
            &stored,
            planned(6 * MIB),
            MAX,
        );
        assert!(matches!(other, Err(Refusal::Parts(m)) if m.contains("another ETag")));
        let zero = judge(vec![part(0, "a")], &stored, planned(6 * MIB), MAX);
        assert!(matches!(zero, Err(Refusal::Parts(_))));
    }

    #[test]
    fn a_gap_in_a_planned_upload_is_refused() {
        let stored = [listed(1, 5 * MIB, "a"), listed(3, MIB, "c")];
        let gap = judge(
            vec![part(1, "a"), part(3, "c")],
            &stored,
            planned(11 * MIB),
            MAX,
        );
        assert!(
            matches!(&gap, Err(Refusal::Parts(m)) if m.contains("part 2 is missing")),
            "{gap:?}"
        );
    }

    #[test]
    fn over_the_approved_size_or_the_maximum_is_aborted() {
        // Size-less (the compatibility mode): only the maximum bounds it.
        let stored = [listed(1, 6 * MIB, "a"), listed(2, 6 * MIB, "b")];
        let unsized_ = Approved {
            size: None,
            part_size: None,
        };
        assert_eq!(
            judge(
                vec![part(1, "a"), part(2, "b")],
                &stored,
                unsized_,
                10 * MIB
            ),
            Ok(Verdict::AbortTooLarge {
                total: 12 * MIB,
                limit: 10 * MIB
            })
        );
        // A planned upload with a part beyond its plan.
        let stored = [
            listed(1, 5 * MIB, "a"),
            listed(2, MIB, "b"),
            listed(3, MIB, "c"),
        ];
        let v = judge(
            vec![part(1, "a"), part(2, "b"), part(3, "c")],
            &stored,
            planned(6 * MIB),
            MAX,
        );
        assert!(matches!(v, Ok(Verdict::AbortTooLarge { .. })), "{v:?}");
    }

    #[test]
    fn a_store_without_etags_cannot_contradict() {
        let stored = [listed(1, 3, "")];
        let v = judge(
            vec![part(1, "anything")],
            &stored,
            Approved {
                size: None,
                part_size: None,
            },
            MAX,
        );
        assert_eq!(
            v,
            Ok(Verdict::Complete {
                parts: vec![part(1, "anything")],
                total: 3
            })
        );
    }
}
