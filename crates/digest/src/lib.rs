//! The byte digests of the browser client, `s3lift-digest.wasm` in the npm
//! package: CRC-32 (`checksum: 'crc32'`), CRC64NVME (`checksum:
//! 'crc64nvme'`) and the MD5 that checks a resumed file's parts against the
//! ETags the store lists. Only uploads that need one pay for them: the I/O
//! snippet (crates/client/src/io.js, `digest()`) fetches this module on
//! first use and keeps one instance.
//!
//! No wasm-bindgen and no `std`: four plain exports and the module's memory.
//! A part is digested a piece at a time, so the module's memory stays the
//! size of one piece whatever the part's size: `buf(n)` gives the input
//! buffer for `n` bytes, the snippet copies a piece there and calls
//! `step(tag, n, flags)`. The digest under way ([`Running`]) lives at
//! `state()`, `state_len()` bytes, which the snippet copies out after each
//! piece and back before the next, so that digests of several parts can
//! interleave. The last piece's step writes the digest over the start of
//! the buffer and returns where it is (`2 << tag` bytes).
//! The algorithms themselves are `s3lift_protocol`'s.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

use s3lift_protocol::{crc32, crc64::Crc64, md5::Md5};

/// The tag of CRC-32 (4 bytes of digest).
pub const CRC32: u32 = 1;
/// The tag of CRC64NVME (8 bytes).
pub const CRC64NVME: u32 = 2;
/// The tag of MD5 (16 bytes); also what any other tag gets.
pub const MD5: u32 = 3;

/// A digest under way, for any of the three tags (only the tag's own field
/// moves). Plain data: the snippet may keep a copy of its bytes and write
/// them back.
#[derive(Debug, Clone, Default)]
pub struct Running {
    crc32: u32,
    crc64: Crc64,
    md5: Md5,
}

impl Running {
    /// A digest of nothing yet.
    pub fn new() -> Self {
        Self {
            crc32: !0,
            ..Self::default()
        }
    }

    /// Feeds the next `bytes` to the digest of algorithm `tag`.
    pub fn update(&mut self, tag: u32, bytes: &[u8]) {
        match tag {
            CRC32 => self.crc32 = crc32::update(self.crc32, bytes),
            CRC64NVME => self.crc64.update(bytes),
            _ => self.md5.update(bytes),
        }
    }

    /// The digest of everything fed, its bytes as S3 and an ETag write them
    /// (the CRCs big-endian), in the first `2 << tag` bytes.
    pub fn finish(&self, tag: u32) -> [u8; 16] {
        let mut out = [0; 16];
        match tag {
            CRC32 => out[..4].copy_from_slice(&(!self.crc32).to_be_bytes()),
            CRC64NVME => out[..8].copy_from_slice(&self.crc64.value().to_be_bytes()),
            _ => out = self.md5.clone().finish(),
        }
        out
    }
}

/// The digest of `bytes` with the algorithm `tag` names (see
/// [`Running::finish`]).
pub fn digest(tag: u32, bytes: &[u8]) -> [u8; 16] {
    let mut r = Running::new();
    r.update(tag, bytes);
    r.finish(tag)
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    //! The module's memory: the input buffer, and the CRC64NVME tables
    //! (`alloc`), each in whole pages of its own. Nothing is freed: the
    //! tables live as long as the module, and the buffer only grows, to the
    //! largest piece the snippet sends.
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32::{memory_grow, memory_size};
    use core::mem::MaybeUninit;
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    use super::Running;

    const PAGE: usize = 65536;

    /// `pages` more pages at the end of memory: their address, or 0.
    fn grow(pages: usize) -> usize {
        match memory_grow(0, pages) {
            usize::MAX => 0,
            old => old * PAGE,
        }
    }

    struct Pages;

    // SAFETY: every block is fresh memory, page-aligned (any `Layout` the
    // protocol's code asks for), and never handed out twice.
    unsafe impl GlobalAlloc for Pages {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            grow(layout.size().div_ceil(PAGE)) as *mut u8
        }

        unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
    }

    #[global_allocator]
    static ALLOC: Pages = Pages;

    #[cfg(not(test))]
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }

    /// The input buffer: its address and its size.
    static BUF: AtomicUsize = AtomicUsize::new(0);
    static CAP: AtomicUsize = AtomicUsize::new(0);

    /// The digest under way. The module runs on one thread, and each export
    /// reaches it through a raw pointer only for the length of its call.
    static mut STATE: MaybeUninit<Running> = MaybeUninit::uninit();

    /// The input buffer, for at least `n` bytes (and the 16 of a digest):
    /// the same one while it is large enough, grown in place while it is
    /// the end of memory. Traps when memory cannot grow (the snippet's
    /// `digest` then answers no value).
    #[no_mangle]
    pub extern "C" fn buf(n: usize) -> usize {
        let (at, cap) = (BUF.load(Relaxed), CAP.load(Relaxed));
        let n = n.max(16);
        if n <= cap {
            return at;
        }
        let end = memory_size(0) * PAGE;
        let (at, more) = if at != 0 && at + cap == end {
            (at, n - cap)
        } else {
            (0, n)
        };
        let pages = more.div_ceil(PAGE);
        let fresh = grow(pages);
        if fresh == 0 {
            core::arch::wasm32::unreachable()
        }
        let at = if at == 0 { fresh } else { at };
        BUF.store(at, Relaxed);
        CAP.store(fresh + pages * PAGE - at, Relaxed);
        at
    }

    /// Where the digest under way is (its bytes are the snippet's to save
    /// and restore between pieces).
    #[no_mangle]
    pub extern "C" fn state() -> usize {
        core::ptr::addr_of!(STATE) as usize
    }

    /// How many bytes it has.
    #[no_mangle]
    pub extern "C" fn state_len() -> usize {
        core::mem::size_of::<Running>()
    }

    /// Feeds the buffer's first `n` bytes to the digest under way (`tag`:
    /// [`super::CRC32`], [`super::CRC64NVME`] or [`super::MD5`]); with
    /// `flags & 1` it starts a new digest first, and with `flags & 2` this
    /// was the last piece: the digest is written over the buffer's start.
    /// Returns the buffer's address.
    #[no_mangle]
    pub extern "C" fn step(tag: u32, n: usize, flags: u32) -> usize {
        let (at, cap) = (BUF.load(Relaxed), CAP.load(Relaxed));
        // SAFETY: `buf` handed out these `cap` bytes (at least 16), which
        // nothing else uses.
        let bytes = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, cap) };
        let state = core::ptr::addr_of_mut!(STATE);
        // SAFETY: one thread, and no other reference to `STATE` lives past
        // its call. Before a first piece it is written whole; after one,
        // it holds a `Running` (written by a step, or the snippet's copy of
        // one: plain data, valid in any copy).
        let r = unsafe {
            if flags & 1 != 0 {
                (*state).write(Running::new());
            }
            (*state).assume_init_mut()
        };
        r.update(tag, &bytes[..n.min(cap)]);
        if flags & 2 != 0 {
            for (b, d) in bytes.iter_mut().zip(r.finish(tag)) {
                *b = d;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3lift_protocol::crc64;

    #[test]
    fn known_values() {
        assert_eq!(
            digest(CRC32, b"123456789")[..4],
            0xCBF4_3926u32.to_be_bytes()
        );
        assert_eq!(
            digest(CRC64NVME, b"123456789")[..8],
            0xae8b_1486_0a79_9888u64.to_be_bytes()
        );
        assert_eq!(hex(digest(MD5, b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(digest(MD5, b"")), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn the_digest_is_the_protocol_s() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        assert_eq!(
            digest(CRC32, &data)[..4],
            crc32::checksum(&data).to_be_bytes()
        );
        assert_eq!(
            digest(CRC64NVME, &data)[..8],
            crc64::checksum(&data).to_be_bytes()
        );
        assert_eq!(hex(digest(MD5, &data)), s3lift_protocol::md5::hex(&data));
    }

    #[test]
    fn pieces_give_the_whole_s_digest() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 253) as u8).collect();
        for tag in [CRC32, CRC64NVME, MD5] {
            for piece in [1, 63, 64, 4096, 99_999, 100_000] {
                let mut r = Running::new();
                for p in data.chunks(piece) {
                    r.update(tag, p);
                    // The snippet keeps a copy of the state between pieces.
                    r = r.clone();
                }
                assert_eq!(
                    r.finish(tag),
                    digest(tag, &data),
                    "tag {tag}, pieces of {piece}"
                );
            }
            assert_eq!(Running::new().finish(tag), digest(tag, b""), "tag {tag}");
        }
    }

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
}
