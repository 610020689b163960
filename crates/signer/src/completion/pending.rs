//! The `pending` extension of complete: parts the client has sent and has no
//! answer for yet. Chromium reports an upload fully sent only when its answer
//! arrives, so a client that waited for every part's answer before completing
//! would pay one more round trip; instead it names those parts, and the
//! signer lists the store's parts until each is there.
//!
//! Pure: which numbers may be pending, the listing schedule, and merging the
//! store's ETags in. The route does the listing and the sleeping.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use s3lift_protocol::plan::{PartNumber, MAX_PARTS};
use s3lift_protocol::wire::{CompletedPart, ListedPart};

use super::Refusal;

/// The longest a complete waits for its pending parts to reach the store
/// (`docs/protocol.md`). A part whose last bytes are still travelling when
/// the complete arrives lands within a round trip or two; ten seconds covers
/// a slow link's last few hundred KiB without holding a request forever.
pub const PENDING_WAIT: Duration = Duration::from_secs(10);

/// The wait between listings that miss a part, for the first
/// [`STEADY_LISTINGS`]: a client sends the complete a few hundred ms ahead
/// of its parts' last bytes (the s3lift engine: 250 ms at the measured
/// rate), and a part is seen within 10 ms of landing, which is what the
/// complete ahead saves. (Doubling from the first listing instead saw the
/// parts up to 80 ms late: later than a complete after the answers.)
pub const FIRST_LISTING_GAP: Duration = Duration::from_millis(10);

/// Listings 10 ms apart before the gaps double: about 300 ms.
pub const STEADY_LISTINGS: u32 = 30;

/// The longest wait between two listings, so a part that lands late is
/// seen within 100 ms while a slow one costs at most ten listings a second.
pub const MAX_LISTING_GAP: Duration = Duration::from_millis(100);

/// The wait before listing again after `attempt` listings (0-based) missed
/// a pending part: [`FIRST_LISTING_GAP`] for [`STEADY_LISTINGS`], then
/// doubling to [`MAX_LISTING_GAP`].
pub fn listing_gap(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(STEADY_LISTINGS - 1).min(16);
    FIRST_LISTING_GAP
        .saturating_mul(1u32 << doublings)
        .min(MAX_LISTING_GAP)
}

/// Checks a complete request's part numbers before anything is listed.
/// `parts` may be empty when every part is pending; together they list 1 to
/// [`MAX_PARTS`] parts (a [`Refusal::Count`], as `judge` refuses), and a
/// pending number is valid, listed once, and not also in `parts`
/// ([`Refusal::Parts`], as `judge` refuses a bad or repeated number).
pub fn check_pending(parts: &[CompletedPart], pending: &[u32]) -> Result<(), Refusal> {
    let count = parts.len().saturating_add(pending.len());
    if count == 0 || count > MAX_PARTS as usize {
        return Err(Refusal::Count);
    }
    let given: HashSet<u32> = parts.iter().map(|p| p.part_number).collect();
    let mut seen = HashSet::with_capacity(pending.len());
    for &n in pending {
        PartNumber::new(n).map_err(|e| Refusal::Parts(format!("pending: {e}")))?;
        if given.contains(&n) {
            return Err(Refusal::Parts(format!(
                "part {n} is both in parts and pending"
            )));
        }
        if !seen.insert(n) {
            return Err(Refusal::Parts(format!("part {n} is pending twice")));
        }
    }
    Ok(())
}

/// What one listing says about the pending parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Every pending part is stored: `parts` plus each pending part with
    /// the ETag the store listed for it (unsorted; `judge` sorts).
    Arrived(Vec<CompletedPart>),
    /// These pending parts (ascending) are not in the store yet.
    Waiting(Vec<u32>),
}

/// Merges the pending parts into `parts` once `stored` (the store's
/// ListParts) holds every one of them. `pending` is assumed checked by
/// [`check_pending`]. A listed part is a finished one: S3 lists a part once
/// its upload succeeded, and Garage leaves out parts still being written
/// (no ETag or size yet), so the ETag taken here is the part's last one.
pub fn merge_pending(parts: &[CompletedPart], pending: &[u32], stored: &[ListedPart]) -> Arrival {
    let by_number: HashMap<u32, &ListedPart> = stored.iter().map(|p| (p.part_number, p)).collect();
    let mut missing: Vec<u32> = pending
        .iter()
        .copied()
        .filter(|n| !by_number.contains_key(n))
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        return Arrival::Waiting(missing);
    }
    let mut merged = parts.to_vec();
    merged.extend(pending.iter().map(|n| CompletedPart {
        part_number: *n,
        etag: by_number[n].etag.clone(),
    }));
    Arrival::Arrived(merged)
}

/// The refusal for pending parts still missing after `waited`:
/// 400 `invalid_parts`, naming them.
pub fn not_arrived(missing: &[u32], waited: Duration) -> Refusal {
    let within = if waited.subsec_millis() == 0 {
        format!("{} s", waited.as_secs())
    } else {
        format!("{} ms", waited.as_millis())
    };
    let numbers: Vec<String> = missing.iter().map(u32::to_string).collect();
    match numbers.as_slice() {
        [one] => Refusal::Parts(format!(
            "part {one} did not reach the store within {within}"
        )),
        _ => Refusal::Parts(format!(
            "parts {} did not reach the store within {within}",
            numbers.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::completion::tests::part;

    /// A part the store lists (5 bytes).
    fn listed(n: u32, etag: &str) -> ListedPart {
        crate::completion::tests::listed(n, 5, etag)
    }

    #[test]
    fn pending_parts_take_the_stores_etags() {
        let stored = [listed(1, "\"a\""), listed(2, "\"b\""), listed(3, "\"c\"")];
        let merged = merge_pending(&[part(1, "a")], &[3, 2], &stored);
        assert_eq!(
            merged,
            Arrival::Arrived(vec![part(1, "a"), part(3, "\"c\""), part(2, "\"b\"")])
        );
    }

    #[test]
    fn every_part_may_be_pending() {
        let parts: &[CompletedPart] = &[];
        assert_eq!(check_pending(parts, &[1, 2]), Ok(()));
        let merged = merge_pending(parts, &[1, 2], &[listed(1, "a"), listed(2, "b")]);
        assert_eq!(merged, Arrival::Arrived(vec![part(1, "a"), part(2, "b")]));
    }

    #[test]
    fn parts_not_yet_stored_are_waited_for() {
        let stored = [listed(1, "a"), listed(3, "c")];
        let w = merge_pending(&[part(1, "a")], &[4, 3, 2], &stored);
        assert_eq!(w, Arrival::Waiting(vec![2, 4]));
    }

    #[test]
    fn repeated_or_doubly_listed_pending_parts_are_refused() {
        let twice = check_pending(&[part(1, "a")], &[2, 2]);
        assert!(
            matches!(&twice, Err(Refusal::Parts(m)) if m.contains("pending twice")),
            "{twice:?}"
        );
        let both = check_pending(&[part(1, "a"), part(2, "b")], &[2]);
        assert!(
            matches!(&both, Err(Refusal::Parts(m)) if m.contains("both in parts and pending")),
            "{both:?}"
        );
    }

    #[test]
    fn pending_numbers_outside_s3s_range_are_refused() {
        for n in [0, MAX_PARTS + 1] {
            let bad = check_pending(&[part(1, "a")], &[n]);
            assert!(
                matches!(&bad, Err(Refusal::Parts(m)) if m.contains("1 to 10000")),
                "{bad:?}"
            );
        }
        assert_eq!(check_pending(&[], &[MAX_PARTS]), Ok(()));
    }

    #[test]
    fn the_count_covers_parts_and_pending_together() {
        assert_eq!(check_pending(&[], &[]), Err(Refusal::Count));
        let parts: Vec<CompletedPart> = (1..=MAX_PARTS).map(|n| part(n, "x")).collect();
        assert_eq!(check_pending(&parts, &[]), Ok(()));
        assert_eq!(check_pending(&parts[1..], &[1]), Ok(()));
        assert_eq!(check_pending(&parts, &[1]), Err(Refusal::Count));
    }

    #[test]
    fn listings_come_every_10_ms_for_300_ms_then_back_off_to_100_ms() {
        let gaps: Vec<u64> = (0..36).map(|a| listing_gap(a).as_millis() as u64).collect();
        assert!(gaps[..30].iter().all(|g| *g == 10), "{gaps:?}");
        assert_eq!(gaps[30..], [20, 40, 80, 100, 100, 100]);
        assert_eq!(listing_gap(u32::MAX), MAX_LISTING_GAP);
    }

    #[test]
    fn a_part_that_never_arrives_is_named_with_the_wait() {
        assert_eq!(
            not_arrived(&[3], PENDING_WAIT),
            Refusal::Parts("part 3 did not reach the store within 10 s".into())
        );
        assert_eq!(
            not_arrived(&[2, 3], Duration::from_millis(300)),
            Refusal::Parts("parts 2, 3 did not reach the store within 300 ms".into())
        );
    }
}
