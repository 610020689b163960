//! Wire types and pure upload logic shared by the s3lift client and signer.
//!
//! Nothing here does I/O, so all of it is tested natively with plain
//! `cargo test` and compiles unchanged to `wasm32-unknown-unknown`.
//!
//! - [`wire`]: the JSON bodies of `docs/protocol.md` (Companion's S3 routes
//!   plus our extensions).
//! - [`map`]: the wire types' string-keyed maps (a sorted vector).
//! - [`error_code`]: the one [`ErrorCode`](error_code::ErrorCode) enum of signer and client.
//! - [`plan`]: S3 multipart part planning (5 MiB ≤ part ≤ 5 GiB, ≤ 10,000 parts).
//! - [`sanitize`]: turning a user's file name into a safe key segment.
//! - [`retry`]: which answers are retried, the backoff schedule, the
//!   adaptive concurrency limit.
//! - [`progress`]: byte progress, speed and ETA.
//! - [`collector`]: gathering `(part number, ETag)` in any order.
//! - [`resume`]: the record that lets an upload resume after a page reload.
//! - [`md5`]: MD5, to compare a file's parts with the ETags the store lists.
//! - [`crc64`]: CRC64NVME, per part and combined into the whole file's.
//! - [`crc32`]: CRC-32, for `checksum: 'crc32'`.
#![deny(missing_docs)]
// No `std` outside tests: the browser bundle then carries no `std` panic
// machinery (its hook and `core::fmt`); native users link `std` themselves.
// `utoipa::ToSchema`'s derive (the signer's `openapi`) needs std's prelude.
#![cfg_attr(not(any(test, feature = "openapi")), no_std)]

extern crate alloc;

use alloc::string::String;
use core::num::NonZeroU64;

pub mod collector;
pub mod crc32;
pub mod crc64;
pub mod error_code;
pub mod map;
pub mod md5;
pub mod plan;
pub mod progress;
pub mod resume;
pub mod retry;
pub mod sanitize;
pub mod wire;

/// `n` in decimal: `to_string` without `core::fmt`, which the browser
/// bundle would otherwise carry for a handful of messages.
pub fn decimal(n: u64) -> String {
    // From the highest power of ten in `n` down: no digit buffer to index
    // (whose bounds checks the browser bundle would carry).
    // A `NonZeroU64` divisor: no divide-by-zero panic (its location and
    // message) in the bundle.
    let mut div = NonZeroU64::MIN;
    while n / div >= 10 {
        // `div * 10 <= n`: no overflow.
        div = NonZeroU64::new(div.get() * 10).must();
    }
    let mut out = String::new();
    loop {
        out.push(char::from(b'0' + (n / div % 10) as u8));
        match NonZeroU64::new(div.get() / 10) {
            Some(d) => div = d,
            None => return out,
        }
    }
}

/// A broken invariant (an index or value that cannot be missing). In the
/// browser bundle a panic traps anyway (`s3lift-client`'s panic handler):
/// there this is the trap itself, so the call site passes no location
/// record and keeps no panic message in the module. Natively it panics.
#[cold]
#[track_caller]
#[cfg_attr(target_arch = "wasm32", inline(always))]
pub fn broken() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("s3lift: broken invariant")
}

/// `Option::unwrap` by [`broken`]: for what cannot be `None`
/// (`slice.get(i).must()` where `i` is known to be in range).
pub trait Must<T> {
    /// The value, or [`broken`].
    fn must(self) -> T;
}

impl<T> Must<T> for Option<T> {
    #[inline(always)]
    #[track_caller]
    fn must(self) -> T {
        match self {
            Some(v) => v,
            None => broken(),
        }
    }
}

/// `v.drain(..n)` for an `n` known to be at most `v.len()` (more is
/// [`broken`]): one `memmove` of the rest to the front, where `drain`
/// brought core's range check with its panic messages and the drain's own
/// code.
pub fn drop_front<T: Copy>(v: &mut alloc::vec::Vec<T>, n: usize) {
    let len = v.len();
    if n > len {
        broken()
    }
    let p = v.as_mut_ptr();
    // SAFETY: `n <= len`: the `len - n` elements from `n` are in the vector
    // and move to its start (`ptr::copy` allows the overlap); `T: Copy`, so
    // the first `n` need no drop.
    unsafe { core::ptr::copy(p.add(n), p, len - n) };
    v.truncate(len - n);
}

/// `v.insert(i, x)` for an `i` known to be at most `v.len()` (more is
/// [`broken`]): one `memmove` of the elements from `i` up by one, where
/// `Vec::insert` brought its assertion, its message and a location record
/// per caller, and a swap loop (its first replacement) a larger body per
/// element type. The check and the move are [`open_gap`]'s, one body for
/// every element type.
pub fn insert_at<T>(v: &mut alloc::vec::Vec<T>, i: usize, x: T) {
    v.reserve(1);
    let len = v.len();
    // SAFETY: `len < capacity` after the reserve; `open_gap` checks `i <= len`
    // and moves the `len - i` elements from `i` up by one within the
    // allocation, so the slot it answers is free: `x` fills it, and then
    // `len + 1` elements are initialised.
    unsafe {
        let p = open_gap(v.as_mut_ptr().cast(), len, i, core::mem::size_of::<T>());
        p.cast::<T>().write(x);
        v.set_len(len + 1);
    }
}

/// `insert_at`'s element-type-free part: the elements (of `size` bytes) from
/// `i` of the `len` at `base` moved up by one; answers the slot at `i`.
///
/// # Safety
/// `base` holds `len` elements of `size` bytes and room for one more.
#[inline(never)]
unsafe fn open_gap(base: *mut u8, len: usize, i: usize, size: usize) -> *mut u8 {
    if i > len {
        broken()
    }
    // SAFETY: `i <= len`, and the allocation has room for `len + 1`
    // elements: the move stays inside it (`ptr::copy` allows the overlap).
    unsafe {
        let p = base.add(i * size);
        core::ptr::copy(p, p.add(size), (len - i) * size);
        p
    }
}

/// `v.remove(i)` for an `i` known to be in range (else [`broken`]), as
/// [`insert_at`]: the element is read out and the rest moved down by one,
/// by [`close_gap`].
pub fn remove_at<T>(v: &mut alloc::vec::Vec<T>, i: usize) -> T {
    let len = v.len();
    let mut out = core::mem::MaybeUninit::<T>::uninit();
    // SAFETY: `close_gap` checks `i < len`, copies the element at `i` into
    // `out` (moved, not copied: its slot is then overwritten by the
    // `len - i - 1` after it, moved down by one) and the vector is one
    // shorter; `out` then holds the element.
    unsafe {
        close_gap(
            v.as_mut_ptr().cast(),
            len,
            i,
            core::mem::size_of::<T>(),
            out.as_mut_ptr().cast(),
        );
        v.set_len(len - 1);
        out.assume_init()
    }
}

/// `remove_at`'s element-type-free part: the element (of `size` bytes) at
/// `i` of the `len` at `base` copied to `out`, the ones after it moved down.
///
/// # Safety
/// `base` holds `len` elements of `size` bytes; `out` has room for one.
#[inline(never)]
unsafe fn close_gap(base: *mut u8, len: usize, i: usize, size: usize, out: *mut u8) {
    if i >= len {
        broken()
    }
    // SAFETY: `i < len`: the element at `i` and the `len - i - 1` after it
    // are inside the allocation (`ptr::copy` allows the overlap); `out` is
    // apart from it.
    unsafe {
        let p = base.add(i * size);
        core::ptr::copy_nonoverlapping(p, out, size);
        core::ptr::copy(p.add(size), p, (len - i - 1) * size);
    }
}

/// `v.swap_remove(i)` for an `i` known to be in range (else [`broken`]):
/// the last element popped into `i`'s slot, where `swap_remove` brought
/// its assertion and a location record per caller.
pub fn swap_remove_at<T>(v: &mut alloc::vec::Vec<T>, i: usize) -> T {
    if i >= v.len() {
        broken()
    }
    let last = v.pop().must();
    match v.get_mut(i) {
        Some(slot) => core::mem::replace(slot, last),
        None => last,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn drop_front_is_drain() {
        for n in 0..=5 {
            let mut a: Vec<u32> = (0..5).collect();
            let mut b = a.clone();
            super::drop_front(&mut a, n);
            b.drain(..n);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn insert_at_and_remove_at_are_vec_s() {
        for i in 0..=4 {
            let mut a: Vec<u32> = (0..4).collect();
            let mut b = a.clone();
            super::insert_at(&mut a, i, 9);
            b.insert(i, 9);
            assert_eq!(a, b);
            assert_eq!(super::remove_at(&mut a, i), b.remove(i));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn insert_at_and_remove_at_move_owned_values() {
        // Elements that own memory: each moved once, none dropped twice.
        for i in 0..=3 {
            let mut a: Vec<String> = (0..3).map(|n| n.to_string()).collect();
            let mut b = a.clone();
            super::insert_at(&mut a, i, "x".into());
            b.insert(i, "x".into());
            assert_eq!(a, b);
            assert_eq!(super::remove_at(&mut a, i), b.remove(i));
            assert_eq!(a, b);
            if i < a.len() {
                assert_eq!(super::swap_remove_at(&mut a, i), b.swap_remove(i));
                assert_eq!(a, b);
            }
        }
        let mut e = Vec::new();
        super::insert_at(&mut e, 0, String::from("only"));
        assert_eq!(super::remove_at(&mut e, 0), "only");
        assert!(e.is_empty());
    }

    #[test]
    fn decimal_is_to_string() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            assert_eq!(super::decimal(n), n.to_string());
        }
    }
}
