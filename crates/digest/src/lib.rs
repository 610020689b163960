//! The byte digests of the browser client, `s3lift-digest.wasm` in the npm
//! package: CRC-32 (`checksum: 'crc32'`), CRC64NVME (`checksum:
//! 'crc64nvme'`) and the MD5 that checks a resumed file's parts against the
//! ETags the store lists. Only uploads that need one pay for them: the I/O
//! snippet (crates/client/src/io.js, `digest()`) fetches this module on
//! first use and keeps one instance.
//!
//! No wasm-bindgen and no `std`: two plain exports and the module's memory.
//! `buf(n)` gives the input buffer for `n` bytes; the snippet copies the
//! part's bytes there and calls `digest(tag, n)`, which writes the digest
//! over the start of the buffer and returns where it is (`2 << tag` bytes).
//! The algorithms themselves are `s3lift_protocol`'s.
#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

use s3lift_protocol::{crc32, crc64, md5::Md5};

/// The tag of CRC-32 (4 bytes of digest).
pub const CRC32: u32 = 1;
/// The tag of CRC64NVME (8 bytes).
pub const CRC64NVME: u32 = 2;
/// The tag of MD5 (16 bytes); also what any other tag gets.
pub const MD5: u32 = 3;

/// The digest of `bytes` with the algorithm `tag` names, its bytes as S3
/// and an ETag write them (the CRCs big-endian), in the first `2 << tag`
/// bytes.
pub fn digest(tag: u32, bytes: &[u8]) -> [u8; 16] {
    let mut out = [0; 16];
    match tag {
        CRC32 => out[..4].copy_from_slice(&crc32::checksum(bytes).to_be_bytes()),
        CRC64NVME => out[..8].copy_from_slice(&crc64::checksum(bytes).to_be_bytes()),
        _ => {
            let mut m = Md5::default();
            m.update(bytes);
            out = m.finish();
        }
    }
    out
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    //! The module's memory: the input buffer, and the CRC64NVME tables
    //! (`alloc`), each in whole pages of its own. Nothing is freed: the
    //! tables live as long as the module, and the buffer only grows.
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32::{memory_grow, memory_size};
    use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

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

    /// The digest (`tag`: [`super::CRC32`], [`super::CRC64NVME`] or
    /// [`super::MD5`]) of the buffer's first `n` bytes, written over its
    /// start; returns the buffer's address.
    #[no_mangle]
    pub extern "C" fn digest(tag: u32, n: usize) -> usize {
        let (at, cap) = (BUF.load(Relaxed), CAP.load(Relaxed));
        // SAFETY: `buf` handed out these `cap` bytes (at least 16), which
        // nothing else uses.
        let bytes = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, cap) };
        let d = super::digest(tag, &bytes[..n.min(cap)]);
        for (b, d) in bytes.iter_mut().zip(d) {
            *b = d;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
}
