//! CRC-64/NVME, the checksum S3 calls `CRC64NVME` (`x-amz-checksum-crc64nvme`):
//! reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all
//! ones. It combines: the checksum of a whole object follows from the
//! checksums and lengths of its parts ([`combine`]), which is what lets S3
//! check a `FULL_OBJECT` checksum of a multipart upload without a second
//! pass over the data.

use alloc::{boxed::Box, string::String};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};

const POLY: u64 = 0x9a6c_9329_ac4b_c9b5;

/// The slicing-by-8 tables: `t[k][b]` is the CRC of byte `b` followed by
/// `k` zero bytes. Built once at first use (16 KB that need not sit in the
/// wasm module's data).
fn tables() -> &'static [[u64; 256]; 8] {
    // A `OnceLock` without `std` (the browser bundle has none): whoever
    // loses the race frees its copy.
    static TABLES: AtomicPtr<[[u64; 256]; 8]> = AtomicPtr::new(null_mut());
    let mut p = TABLES.load(Ordering::Acquire);
    if p.is_null() {
        let built = Box::into_raw(build());
        p = match TABLES.compare_exchange(null_mut(), built, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => built,
            Err(first) => {
                // SAFETY: `built` came from `Box::into_raw` and was never shared.
                drop(unsafe { Box::from_raw(built) });
                first
            }
        };
    }
    // SAFETY: once stored, the tables are never freed nor written.
    unsafe { &*p }
}

fn build() -> Box<[[u64; 256]; 8]> {
    let mut t = Box::new([[0u64; 256]; 8]);
    for (i, slot) in t[0].iter_mut().enumerate() {
        let mut c = i as u64;
        for _ in 0..8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
        }
        *slot = c;
    }
    for k in 1..8 {
        for b in 0..256 {
            let prev = t[k - 1][b];
            t[k][b] = t[0][(prev & 0xff) as usize] ^ (prev >> 8);
        }
    }
    t
}

/// A running CRC-64/NVME.
#[derive(Debug, Clone, Copy)]
pub struct Crc64 {
    state: u64,
}

impl Default for Crc64 {
    fn default() -> Self {
        Self { state: !0 }
    }
}

impl Crc64 {
    /// A checksum of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `data`, eight bytes at a time ("slicing-by-8": one table
    /// lookup per byte, but no dependency between the eight lookups), which
    /// is several times faster than a byte at a time on parts of megabytes.
    pub fn update(&mut self, data: &[u8]) {
        let t = tables();
        let mut c = self.state;
        let mut chunks = data.chunks_exact(8);
        for w in &mut chunks {
            // Always eight bytes; read without an index each (whose bounds
            // checks the browser bundle carries, with core's panic message).
            let Ok(w) = <[u8; 8]>::try_from(w) else {
                continue;
            };
            let x = c ^ u64::from_le_bytes(w);
            c = t[7][(x & 0xff) as usize]
                ^ t[6][((x >> 8) & 0xff) as usize]
                ^ t[5][((x >> 16) & 0xff) as usize]
                ^ t[4][((x >> 24) & 0xff) as usize]
                ^ t[3][((x >> 32) & 0xff) as usize]
                ^ t[2][((x >> 40) & 0xff) as usize]
                ^ t[1][((x >> 48) & 0xff) as usize]
                ^ t[0][(x >> 56) as usize];
        }
        for &b in chunks.remainder() {
            c = t[0][((c ^ u64::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
        self.state = c;
    }

    /// The checksum of everything fed so far.
    pub fn value(&self) -> u64 {
        !self.state
    }
}

/// The CRC-64/NVME of `data`.
pub fn checksum(data: &[u8]) -> u64 {
    let mut c = Crc64::new();
    c.update(data);
    c.value()
}

/// The checksum of `a` followed by `b`, from the checksum of each and the
/// length of `b` (zlib's `crc32_combine`, for 64 bits): multiplying by
/// x^(8·len_b) in GF(2) is done with a doubling table of 64×64 matrices.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    // The operator that advances a CRC state by one zero bit.
    let mut odd = [0u64; 64];
    odd[0] = POLY;
    let mut row = 1u64;
    for slot in odd.iter_mut().skip(1) {
        *slot = row;
        row <<= 1;
    }
    let mut even = [0u64; 64];
    square(&mut even, &odd); // two zero bits
    square(&mut odd, &even); // four zero bits
    let mut crc = crc_a;
    let mut len = len_b;
    loop {
        square(&mut even, &odd); // the first pass: one zero byte
        if len & 1 == 1 {
            crc = times(&even, crc);
        }
        len >>= 1;
        if len == 0 {
            break;
        }
        square(&mut odd, &even);
        if len & 1 == 1 {
            crc = times(&odd, crc);
        }
        len >>= 1;
        if len == 0 {
            break;
        }
    }
    crc ^ crc_b
}

fn times(mat: &[u64; 64], mut vec: u64) -> u64 {
    let mut sum = 0;
    // Row by row, not `mat[i]`: no bounds check (and its panic location).
    for row in mat {
        if vec == 0 {
            break;
        }
        if vec & 1 == 1 {
            sum ^= row;
        }
        vec >>= 1;
    }
    sum
}

fn square(out: &mut [u64; 64], mat: &[u64; 64]) {
    for (n, slot) in out.iter_mut().enumerate() {
        *slot = times(mat, mat[n]);
    }
}

/// The header value S3 expects: the 8 bytes, big-endian, in base64.
pub fn to_base64(crc: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Eight bytes are 11 base64 digits (the 64 bits and 2 zero bits, as
    // `from_base64` reads them) and one `=`: no chunks to index. Digit `k`
    // from the end holds bits 6k-2.. of `crc` (the last: its low 4 bits and
    // the 2 zero bits); no `u128` (its shift is a library call in wasm).
    let mut out = String::with_capacity(12);
    for k in (0..11).rev() {
        let d = if k == 0 { crc << 2 } else { crc >> (6 * k - 2) };
        out.push(ALPHABET[(d & 63) as usize] as char);
    }
    out.push('=');
    out
}

/// The value of an S3 header (base64 of 8 big-endian bytes); `None` when
/// it is not one.
pub fn from_base64(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 12 || &b[11..] != b"=" {
        return None;
    }
    // The 66 bits' low 64 in `n`, their top 2 in `top` (no `u128`, as above).
    let mut n: u64 = 0;
    let mut top = 0;
    for &c in &b[..11] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        top = n >> 58;
        n = (n << 6) | u64::from(v);
    }
    // 11 characters carry 66 bits: the 64 of the value and 2 zero bits.
    if n & 0b11 != 0 {
        return None;
    }
    Some((top << 62) | (n >> 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_catalogue_check_value() {
        // reveng's CRC catalogue: CRC-64/NVME, check = 0xae8b14860a799888.
        assert_eq!(checksum(b"123456789"), 0xae8b_1486_0a79_9888);
        assert_eq!(checksum(b""), 0);
    }

    #[test]
    fn the_header_is_big_endian_base64() {
        assert_eq!(to_base64(0xae8b_1486_0a79_9888), "rosUhgp5mIg=");
        assert_eq!(to_base64(0), "AAAAAAAAAAA=");
        assert_eq!(from_base64("rosUhgp5mIg="), Some(0xae8b_1486_0a79_9888));
        for bad in [
            "",
            "rosUhgp5mIg",
            "rosUhgp5mIh=",
            "rosUhgp5m!g=",
            "rosUhgp5mIg==",
        ] {
            assert_eq!(from_base64(bad), None, "{bad}");
        }
    }

    /// The bit-at-a-time definition, to check the fast path against.
    fn bytewise(data: &[u8]) -> u64 {
        let mut c = !0u64;
        for &b in data {
            c ^= u64::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            }
        }
        !c
    }

    proptest! {
        #[test]
        fn eight_at_a_time_matches_byte_at_a_time(data in proptest::collection::vec(any::<u8>(), 0..300), split in 0usize..300) {
            prop_assert_eq!(checksum(&data), bytewise(&data));
            let split = split.min(data.len());
            let mut c = Crc64::new();
            c.update(&data[..split]);
            c.update(&data[split..]);
            prop_assert_eq!(c.value(), bytewise(&data));
        }

        #[test]
        fn parts_combine_into_the_whole(data in proptest::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
            let cut = cut.min(data.len());
            let (a, b) = data.split_at(cut);
            prop_assert_eq!(combine(checksum(a), checksum(b), b.len() as u64), checksum(&data));
            let c = checksum(&data);
            prop_assert_eq!(from_base64(&to_base64(c)), Some(c));
        }
    }
}
