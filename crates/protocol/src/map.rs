//! [`Map`]: the string-keyed maps of the wire types (form fields, signed
//! headers, part URLs, metadata), as a sorted vector.
//!
//! They hold a handful of entries. In the browser bundle each `BTreeMap<K,
//! V>` instance costs 2–3 KB gzipped (its node code), where this costs a
//! binary search. Same API for what the workspace uses, same order when
//! iterated, same JSON (an object; a repeated key keeps the last value).

use alloc::{string::String, vec::Vec};

use crate::Must;

use core::fmt;
use core::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A map from `String` keys, sorted by key.
#[derive(Clone, PartialEq, Eq)]
pub struct Map<V>(Vec<(String, V)>);

impl<V> Default for Map<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> Map<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, k: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|e| e.0.as_str().cmp(k))
    }

    /// The value under `k`.
    pub fn get<Q: AsRef<str> + ?Sized>(&self, k: &Q) -> Option<&V> {
        let i = self.find(k.as_ref()).ok()?;
        self.0.get(i).map(|e| &e.1)
    }

    /// Whether `k` has a value.
    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, k: &Q) -> bool {
        self.find(k.as_ref()).is_ok()
    }

    /// Sets `k`; the value it replaced, if any.
    pub fn insert(&mut self, k: String, v: V) -> Option<V> {
        match self.find(&k) {
            // `must`: `find` gave an index in range (no path that drops `v`).
            Ok(i) => Some(core::mem::replace(&mut self.0.get_mut(i).must().1, v)),
            Err(i) => {
                crate::insert_at(&mut self.0, i, (k, v));
                None
            }
        }
    }

    /// Takes `k` out.
    pub fn remove<Q: AsRef<str> + ?Sized>(&mut self, k: &Q) -> Option<V> {
        let i = self.find(k.as_ref()).ok()?;
        Some(crate::remove_at(&mut self.0, i).1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries by key.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Keys, sorted.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|e| &e.0)
    }

    /// Values, by key.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|e| &e.1)
    }

    /// The entries by key, as a slice (one non-generic reader for every
    /// caller that walks pairs).
    pub fn as_slice(&self) -> &[(String, V)] {
        &self.0
    }

    /// The entries by key, as a vector (what `into_iter().collect()` gives,
    /// without the in-place collect's code in the browser bundle).
    pub fn into_vec(self) -> Vec<(String, V)> {
        self.0
    }
}

impl<V> FromIterator<(String, V)> for Map<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut m = Map::new();
        m.extend(iter);
        m
    }
}

impl<V> Extend<(String, V)> for Map<V> {
    fn extend<I: IntoIterator<Item = (String, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<V, const N: usize> From<[(String, V); N]> for Map<V> {
    fn from(entries: [(String, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<V> From<alloc::collections::BTreeMap<String, V>> for Map<V> {
    fn from(m: alloc::collections::BTreeMap<String, V>) -> Self {
        // Already sorted and unique.
        Self(m.into_iter().collect())
    }
}

impl<V> IntoIterator for Map<V> {
    type Item = (String, V);
    type IntoIter = alloc::vec::IntoIter<(String, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a Map<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = core::iter::Map<
        core::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<V, Q: AsRef<str> + ?Sized> core::ops::Index<&Q> for Map<V> {
    type Output = V;
    /// Panics when `k` is absent, as `BTreeMap`'s does.
    fn index(&self, k: &Q) -> &V {
        self.get(k).expect("no entry for this key")
    }
}

impl<V: fmt::Debug> fmt::Debug for Map<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for Map<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Map<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Map<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Map<V>, A::Error> {
                let mut m = Map::new();
                while let Some((k, v)) = a.next_entry()? {
                    m.insert(k, v);
                }
                Ok(m)
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btreemap() {
        let pairs = [("b", "2"), ("a", "1"), ("c", "3"), ("a", "4")];
        let mut m = Map::new();
        let mut b = BTreeMap::new();
        for (k, v) in pairs {
            assert_eq!(m.insert(k.into(), v), b.insert(k.to_string(), v));
        }
        assert!(m.iter().map(|(k, v)| (k.clone(), *v)).eq(b.clone()));
        assert_eq!(m.get("a"), Some(&"4"));
        assert_eq!(m["c"], "3");
        assert!(m.contains_key("b") && !m.contains_key("z"));
        assert_eq!(m.remove("b"), Some("2"));
        assert_eq!(m.len(), 2);
        assert_eq!(
            m.clone().into_vec(),
            m.clone().into_iter().collect::<Vec<_>>()
        );
        let json = r#"{"z":"1","a":"2","z":"3"}"#;
        let m: Map<String> = serde_json::from_str(json).unwrap();
        let b: BTreeMap<String, String> = serde_json::from_str(json).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert_eq!(Map::from(b.clone()), m);
        assert_eq!(format!("{m:?}"), format!("{b:?}"));
    }
}
