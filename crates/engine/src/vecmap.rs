//! A map kept as a sorted vector: the engine's tables hold tens of
//! entries, and in the browser bundle every `BTreeMap<K, V>` instance
//! costs about 2 KB gzipped. Same iteration order as a `BTreeMap`.

use alloc::vec::Vec;

use core::ops::Index;

use s3lift_protocol::Must;

/// Entries sorted by key, each key once.
#[derive(Debug, Clone)]
pub(crate) struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord + Copy, V> VecMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.0.cmp(k))
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.entries.get(i).must().1)
    }

    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k)
            .ok()
            .map(|i| &mut self.entries.get_mut(i).must().1)
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }

    /// Inserts or replaces; answers the value replaced.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(core::mem::replace(&mut self.entries.get_mut(i).must().1, v)),
            Err(i) => {
                s3lift_protocol::insert_at(&mut self.entries, i, (k, v));
                None
            }
        }
    }

    /// Inserts `k`, greater than every key in the map (request ids only
    /// grow): a push, no search, and no replaced value to drop.
    pub fn push_last(&mut self, k: K, v: V) {
        debug_assert!(self.entries.last().is_none_or(|e| e.0 < k));
        self.entries.push((k, v));
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k)
            .ok()
            .map(|i| s3lift_protocol::remove_at(&mut self.entries, i).1)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Keys in order.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|e| &e.0)
    }

    /// Values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|e| &e.1)
    }

    /// Values in key order, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|e| &mut e.1)
    }
}

impl<K: Ord + Copy, V> Index<&K> for VecMap<K, V> {
    type Output = V;

    fn index(&self, k: &K) -> &V {
        self.get(k).must()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_btreemap() {
        use std::collections::BTreeMap;
        let mut a = VecMap::default();
        let mut b = BTreeMap::new();
        let mut x = 7u64;
        for _ in 0..2_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = (x >> 33) % 50;
            match x % 3 {
                0 => assert_eq!(a.insert(k, x), b.insert(k, x)),
                1 => assert_eq!(a.remove(&k), b.remove(&k)),
                _ => assert_eq!(a.get(&k), b.get(&k)),
            }
            assert!(a
                .iter()
                .map(|(k, v)| (*k, *v))
                .eq(b.iter().map(|(k, v)| (*k, *v))));
        }
    }
}
