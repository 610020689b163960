//! The wasm heap: power-of-two size classes, each with a free list, over
//! `memory.grow`. In place of std's dlmalloc (7 KB of the module's code)
//! for a module that holds little: the engine's tables, strings on their way
//! to or from JS.
//!
//! A freed block goes back to its class and is reused by the next request
//! of that class, so memory is bounded by the peak of each class, however
//! many files an uploader sees (`tests/web.rs` checks it). At most half a
//! block is slack. wasm32 here has no threads: nothing runs concurrently.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 64 * 1024;
/// Blocks of 2^3 ..= 2^31 bytes, by exponent; one slot more than there are
/// exponents, so that any `trailing_zeros` (at most `usize::BITS`) is
/// provably an index: no bounds checks in `alloc` and `dealloc`.
const CLASSES: usize = usize::BITS as usize + 1;

struct State {
    /// The first free block of each class (0: none); each free block holds
    /// the address of the next.
    free: [usize; CLASSES],
    /// Never-used memory: `next .. end`.
    next: usize,
    end: usize,
}

/// The allocator (`#[global_allocator]` in `lib.rs`).
pub struct SizeClasses(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown without the atomics feature has one thread.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        Self(UnsafeCell::new(State {
            free: [0; CLASSES],
            next: 0,
            end: 0,
        }))
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::new()
    }
}

/// The class exponent of a request: its block is `1 << class` bytes, which
/// covers the size and, blocks being aligned to their size up to a page,
/// the alignment (`None` beyond 2^31 bytes or a page of alignment).
fn class(l: &Layout) -> Option<usize> {
    if l.align() > PAGE {
        return None;
    }
    let size = l.size().max(l.align()).max(8).checked_next_power_of_two()?;
    Some(size.trailing_zeros() as usize)
}

/// `x` rounded up to a multiple of `align`, a power of two: a mask, where
/// `next_multiple_of` divides and brings its divide-by-zero panic along.
fn up(x: usize, align: usize) -> usize {
    (x + align - 1) & !(align - 1)
}

/// `memory.grow` by `bytes` (rounded up to pages); the new memory's start.
#[cfg(target_arch = "wasm32")]
fn grow(bytes: usize) -> Option<usize> {
    let old = core::arch::wasm32::memory_grow(0, bytes.div_ceil(PAGE));
    (old != usize::MAX).then(|| old * PAGE)
}

#[cfg(not(target_arch = "wasm32"))]
fn grow(_: usize) -> Option<usize> {
    None
}

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: one thread, and no allocation happens while this borrow lives.
        let s = unsafe { &mut *self.0.get() };
        let Some(c) = class(&l) else {
            return null_mut();
        };
        let head = s.free[c];
        if head != 0 {
            // SAFETY: a free block of this class holds the next one's address.
            s.free[c] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let size = 1usize << c;
        let align = size.min(PAGE);
        let mut start = up(s.next, align);
        if start.checked_add(size).is_none_or(|e| e > s.end) {
            let need = size + align;
            let Some(base) = grow(need) else {
                return null_mut();
            };
            if base != s.end {
                // The first call (or memory grown by someone else): start
                // past everything the module placed in memory.
                s.next = base;
            }
            s.end = base + up(need, PAGE);
            start = up(s.next, align);
        }
        s.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, l: Layout) {
        // SAFETY: as in `alloc`; `ptr` came from `alloc` with this layout,
        // so its class is the same and its block holds a `usize`.
        let s = unsafe { &mut *self.0.get() };
        if let Some(c) = class(&l) {
            unsafe { *(ptr as *mut usize) = s.free[c] };
            s.free[c] = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract (`new_size` fits a layout of `l.align()`).
        let new = unsafe { Layout::from_size_align_unchecked(new_size, l.align()) };
        if class(&l) == class(&new) {
            return ptr;
        }
        let p = unsafe { self.alloc(new) };
        if !p.is_null() {
            // SAFETY: both blocks hold at least the smaller size; they are distinct.
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, p, l.size().min(new_size));
                self.dealloc(ptr, l);
            }
        }
        p
    }
}
