//! [`VecDeque`]: the engine's two queues (actions out, parts to send) as a
//! vector with a moving head, for the browser bundle: std's `VecDeque`
//! costs about 0.7 KB gzipped per element type, for queues that are drained
//! from the front and refilled (the action queue empties at each drain).
//! Only what the engine uses, with `std`'s meaning.

use alloc::vec::Vec;

/// A double-ended queue: `items[head..]`, each `Some`.
#[derive(Debug, Clone)]
pub(crate) struct VecDeque<T> {
    items: Vec<Option<T>>,
    head: usize,
}

impl<T> Default for VecDeque<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> VecDeque<T> {
    pub fn new() -> Self {
        Self {
            items: Vec::new(),
            head: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.head == self.items.len()
    }

    pub fn push_back(&mut self, v: T) {
        self.items.push(Some(v));
    }

    pub fn push_front(&mut self, v: T) {
        if self.head == 0 {
            // No free slot at the front: the queue moves up by one. The
            // engine puts back a part it took (so `head` is past it) except
            // after a `retain`: a rare O(n).
            s3lift_protocol::insert_at(&mut self.items, 0, Some(v));
            return;
        }
        self.head -= 1;
        // `get_mut`, not `[head]` (always there): no bounds check and its
        // panic location in the browser bundle.
        if let Some(slot) = self.items.get_mut(self.head) {
            *slot = Some(v);
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        let v = self.items.get_mut(self.head)?.take();
        self.head += 1;
        if self.is_empty() {
            self.forget_all();
        }
        v
    }

    /// Empties the queue once every slot is `None` (drained): the length
    /// goes to 0 with no drop loop, whose code for `T` (the whole `Action`
    /// drop, inlined into `poll_action`) `clear()` would bring.
    fn forget_all(&mut self) {
        debug_assert!(self.items.iter().all(Option::is_none));
        // SAFETY: 0 is at most the capacity, and no element is left past
        // the new length to initialise. The slots forgotten are all `None`
        // (`head` reached the end and every slot before it was taken), so
        // nothing is leaked; even a `Some` would only be leaked, never
        // read or freed twice.
        unsafe { self.items.set_len(0) };
        self.head = 0;
    }

    /// Takes out the element at `i` from the front, moving the `i` before
    /// it (the engine takes parts near the front: O(i), as std's).
    pub fn remove(&mut self, i: usize) -> Option<T> {
        let at = self.head.checked_add(i)?;
        let run = self.items.get_mut(self.head..=at)?;
        // Each slot of the run takes the one before it: the element at `at`
        // comes out at the end and the head's slot is left empty (a loop, where
        // `rotate_right` brought core's rotation code and its assertion).
        let mut out = None;
        for slot in run {
            out = core::mem::replace(slot, out);
        }
        self.head += 1;
        if self.is_empty() {
            self.forget_all();
        }
        out
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        // The slots before `head` are all `None` (`pop_front` and `remove` take them): no slicing.
        self.items.iter().flatten()
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        // Moved to a new queue by `pop_front` and `push_back`, whose
        // instances the engine has anyway: `Vec::retain` was its own code
        // (0.2 KB) for this one caller.
        let mut kept = Self::new();
        while let Some(v) = self.pop_front() {
            if keep(&v) {
                kept.push_back(v);
            }
        }
        *self = kept;
    }
}

impl<T> Extend<T> for VecDeque<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.items.extend(iter.into_iter().map(Some));
    }
}

impl<T> FromIterator<T> for VecDeque<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut q = Self::new();
        q.extend(iter);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::VecDeque;

    #[test]
    fn behaves_like_std() {
        let mut ours: VecDeque<u32> = (1..=5).collect();
        let mut std: std::collections::VecDeque<u32> = (1..=5).collect();
        let same = |a: &VecDeque<u32>, b: &std::collections::VecDeque<u32>| {
            a.iter().eq(b.iter()) && a.is_empty() == b.is_empty()
        };
        assert_eq!(ours.pop_front(), std.pop_front());
        assert_eq!(ours.pop_front(), std.pop_front());
        ours.push_front(9);
        std.push_front(9);
        ours.push_front(8);
        std.push_front(8);
        ours.push_front(7);
        std.push_front(7);
        assert!(same(&ours, &std));
        assert_eq!(ours.remove(2), std.remove(2));
        assert_eq!(ours.remove(99), std.remove(99));
        ours.push_back(6);
        std.push_back(6);
        ours.retain(|n| n % 2 == 0);
        std.retain(|n| n % 2 == 0);
        assert!(same(&ours, &std));
        ours.extend([10, 11]);
        std.extend([10, 11]);
        while !std.is_empty() {
            assert_eq!(ours.pop_front(), std.pop_front());
        }
        assert!(same(&ours, &std));
        assert_eq!(ours.pop_front(), None);
        ours.push_front(1);
        assert_eq!(ours.pop_front(), Some(1));
    }

    /// Draining empties the queue without a drop loop (`forget_all`'s
    /// `set_len`): each element is dropped exactly once, by its taker, and
    /// the queue fills and drains again after it.
    #[test]
    fn drained_queue_drops_each_element_once() {
        let rc = std::rc::Rc::new(());
        let mut q = VecDeque::new();
        for round in 0..3 {
            for _ in 0..4 {
                q.push_back(rc.clone());
            }
            q.push_front(rc.clone());
            assert_eq!(std::rc::Rc::strong_count(&rc), 6);
            assert!(q.remove(1).is_some());
            if round == 1 {
                // A `remove` of the last one empties it too.
                while q.iter().count() > 1 {
                    q.pop_front();
                }
                assert!(q.remove(0).is_some());
            }
            while q.pop_front().is_some() {}
            assert!(q.is_empty());
            assert_eq!(std::rc::Rc::strong_count(&rc), 1);
        }
        q.push_back(rc.clone());
        drop(q);
        assert_eq!(std::rc::Rc::strong_count(&rc), 1);
    }
}
