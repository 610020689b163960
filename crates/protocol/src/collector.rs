//! Gathering `(part number, ETag)` pairs in any order, and refusing to
//! complete while one is missing.

use alloc::{string::String, vec::Vec};

use crate::wire::{CompletedPart, ListedPart};
use crate::Must;

/// The ETags of one upload's parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartCollector {
    count: u32,
    /// Sorted by part number, each once (a vector: in the browser bundle a
    /// `BTreeMap` instance costs more than this whole module).
    etags: Vec<(u32, String)>,
}

/// Parts still missing at complete time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} of {count} parts are missing (first: part {})", missing.len(), missing.first().copied().unwrap_or(0))]
pub struct MissingParts {
    /// Parts in the plan.
    pub count: u32,
    /// The missing part numbers, ascending.
    pub missing: Vec<u32>,
}

impl PartCollector {
    /// Expects parts `1 ..= count`.
    pub fn new(count: u32) -> Self {
        Self {
            count,
            etags: Vec::new(),
        }
    }

    fn find(&self, n: u32) -> Result<usize, usize> {
        self.etags.binary_search_by_key(&n, |e| e.0)
    }

    /// Starts from what `ListParts` reported (a resume). Parts outside the
    /// plan are ignored; `sizes_ok` decides whether a listed part is usable.
    pub fn from_listed(
        count: u32,
        listed: &[ListedPart],
        sizes_ok: impl Fn(u32, u64) -> bool,
    ) -> Self {
        let mut c = Self::new(count);
        for p in listed {
            if (1..=count).contains(&p.part_number) && sizes_ok(p.part_number, p.size) {
                c.insert(p.part_number, p.etag.clone());
            }
        }
        c
    }

    /// Records part `n`'s ETag; a later upload of the same part replaces it.
    pub fn insert(&mut self, n: u32, etag: String) {
        if (1..=self.count).contains(&n) {
            match self.find(n) {
                // `get_mut(i).must()`, not `[i]`: no bounds check and its panic
                // location (and no path that drops `etag`).
                Ok(i) => self.etags.get_mut(i).must().1 = etag,
                Err(i) => crate::insert_at(&mut self.etags, i, (n, etag)),
            }
        }
    }

    /// Adds the parts `other` has and this one lacks.
    pub fn merge(&mut self, other: &PartCollector) {
        for (n, e) in &other.etags {
            if !self.has(*n) {
                self.insert(*n, e.clone());
            }
        }
    }

    /// Whether part `n` is stored.
    pub fn has(&self, n: u32) -> bool {
        self.find(n).is_ok()
    }

    /// Parts stored.
    pub fn len(&self) -> usize {
        self.etags.len()
    }

    /// True when no part is stored.
    pub fn is_empty(&self) -> bool {
        self.etags.is_empty()
    }

    /// Part numbers not stored yet, ascending.
    pub fn missing(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for n in 1..=self.count {
            if !self.has(n) {
                out.push(n);
            }
        }
        out
    }

    /// The sorted list for `complete`, or the missing parts.
    pub fn completed(&self) -> Result<Vec<CompletedPart>, MissingParts> {
        // Every stored part is in `1..=count`, once: all are there when
        // there are `count` of them.
        if self.etags.len() == self.count as usize {
            return Ok(self.known());
        }
        Err(MissingParts {
            count: self.count,
            missing: self.missing(),
        })
    }

    /// The parts stored so far, sorted (a complete ahead of the others).
    pub fn known(&self) -> Vec<CompletedPart> {
        // Loops, not iterator chains: their adapters cost the browser bundle.
        let mut parts = Vec::with_capacity(self.etags.len());
        for (n, e) in &self.etags {
            parts.push(CompletedPart {
                part_number: *n,
                etag: e.clone(),
            });
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn completes_only_when_every_part_is_there() {
        let mut c = PartCollector::new(3);
        c.insert(3, "c".into());
        c.insert(1, "a".into());
        let err = c.completed().unwrap_err();
        assert_eq!(err.missing, vec![2]);
        c.insert(2, "b".into());
        c.insert(2, "b2".into());
        c.insert(9, "ignored".into());
        let parts = c.completed().unwrap();
        assert_eq!(
            parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(parts[1].etag, "b2");
    }

    #[test]
    fn from_listed_keeps_parts_of_the_right_size() {
        let listed = vec![
            ListedPart {
                part_number: 1,
                size: 10,
                etag: "a".into(),
            },
            ListedPart {
                part_number: 2,
                size: 3,
                etag: "b".into(),
            },
            ListedPart {
                part_number: 7,
                size: 10,
                etag: "z".into(),
            },
        ];
        let c = PartCollector::from_listed(3, &listed, |_, size| size == 10);
        assert_eq!(c.missing(), vec![2, 3]);
    }

    proptest! {
        #[test]
        fn any_order_gives_a_sorted_complete(order in Just((1u32..=40).collect::<Vec<_>>()).prop_shuffle()) {
            let mut c = PartCollector::new(40);
            for n in &order {
                c.insert(*n, format!("e{n}"));
            }
            let parts = c.completed().unwrap();
            prop_assert!(parts.windows(2).all(|w| w[0].part_number < w[1].part_number));
            prop_assert_eq!(parts.len(), 40);
        }
    }
}
