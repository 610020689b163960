//! MD5 (RFC 1321), only to compare a file's bytes with the ETags the store
//! lists: an S3 part's ETag is the MD5 of its bytes (on Garage, and on AWS
//! without SSE-KMS/SSE-C). Not for security; a resume uses it to notice that
//! the file under a record changed since its parts were stored.

use alloc::string::String;

/// Per-round shift amounts.
const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/// `floor(abs(sin(i + 1)) * 2^32)`.
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

fn block(state: &mut [u32; 4], chunk: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (i, w) in m.iter_mut().enumerate() {
        *w = u32::from_le_bytes([
            chunk[i * 4],
            chunk[i * 4 + 1],
            chunk[i * 4 + 2],
            chunk[i * 4 + 3],
        ]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    for i in 0..64 {
        let (f, g) = match i / 16 {
            // `i % 16` is `i` here, but then provably an index of `m`: no
            // bounds check (and its panic location) in the browser bundle.
            0 => ((b & c) | (!b & d), i % 16),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let rotated = a
            .wrapping_add(f)
            .wrapping_add(K[i])
            .wrapping_add(m[g])
            .rotate_left(S[(i / 16) * 4 + i % 4]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(rotated);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d]) {
        *s = s.wrapping_add(v);
    }
}

/// A running MD5, fed in pieces (the CLI reads a part from disk in chunks).
#[derive(Debug, Clone)]
pub struct Md5 {
    state: [u32; 4],
    /// A partial block.
    buf: [u8; 64],
    /// Bytes fed so far.
    len: u64,
}

impl Default for Md5 {
    fn default() -> Self {
        Self {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            buf: [0; 64],
            len: 0,
        }
    }
}

impl Md5 {
    /// Feeds `bytes`.
    pub fn update(&mut self, mut bytes: &[u8]) {
        let have = (self.len % 64) as usize;
        self.len = self.len.wrapping_add(bytes.len() as u64);
        // Copied by zipped iterators, not `copy_from_slice` on ranges: no
        // range or length panics (and their messages) in the browser bundle.
        if have > 0 {
            let mut take = 0;
            for (d, s) in self.buf.iter_mut().skip(have).zip(bytes) {
                *d = *s;
                take += 1;
            }
            bytes = bytes.get(take..).unwrap_or_default();
            if have + take < 64 {
                return;
            }
            let buf = self.buf;
            block(&mut self.state, &buf);
        }
        let mut chunks = bytes.chunks_exact(64);
        for chunk in &mut chunks {
            if let Ok(chunk) = <&[u8; 64]>::try_from(chunk) {
                block(&mut self.state, chunk);
            }
        }
        for (d, s) in self.buf.iter_mut().zip(chunks.remainder()) {
            *d = *s;
        }
    }

    /// The digest of everything fed: its 16 bytes.
    pub fn finish(mut self) -> [u8; 16] {
        let bits = self.len.wrapping_mul(8);
        let pad = (55u64.wrapping_sub(self.len) % 64) as usize + 1;
        let mut tail = [0u8; 72];
        tail[0] = 0x80;
        for (d, s) in tail.iter_mut().skip(pad).zip(bits.to_le_bytes()) {
            *d = s;
        }
        self.update(&tail[..pad + 8]);
        let mut out = [0u8; 16];
        for (d, s) in out
            .iter_mut()
            .zip(self.state.iter().flat_map(|s| s.to_le_bytes()))
        {
            *d = s;
        }
        out
    }

    /// The digest of everything fed, in lowercase hex, as an ETag holds it.
    pub fn hex(self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // Loops, not `flat_map` chains: their adapters cost the bundle.
        let mut out = String::with_capacity(32);
        for b in self.finish() {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        out
    }
}

/// The MD5 of `bytes` in lowercase hex, as an ETag holds it (unquoted).
pub fn hex(bytes: &[u8]) -> String {
    let mut m = Md5::default();
    m.update(bytes);
    m.hex()
}

/// The MD5 an ETag names, lowercase and unquoted, when it is one: a
/// multipart object's ETag (`"…-3"`) or an SSE-KMS one is something else.
pub fn from_etag(etag: &str) -> Option<String> {
    // Byte trims: `trim`'s Unicode tables and the char searcher cost the
    // bundle, and a header value is ASCII.
    let mut bare = etag.trim_ascii().as_bytes();
    while let [b'"', rest @ ..] = bare {
        bare = rest;
    }
    while let [rest @ .., b'"'] = bare {
        bare = rest;
    }
    if bare.len() != 32 {
        return None;
    }
    // A byte copy, not a `char` collect (each pushed as UTF-8), checked and
    // lowercased in one loop (`| 0x20` lowercases `A`-`F`, and leaves the
    // digits and `a`-`f` as they are).
    let mut out = bare.to_vec();
    for b in &mut out {
        if !b.is_ascii_hexdigit() {
            return None;
        }
        *b |= 0x20;
    }
    // SAFETY: 32 ASCII hex digits are UTF-8.
    Some(unsafe { String::from_utf8_unchecked(out) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_1321_test_suite() {
        for (input, want) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn padding_edges() {
        // 55, 56 and 64 bytes: the length goes in the first or a second block.
        assert_eq!(hex(&[b'a'; 55]), "ef1772b6dff9a122358552954ad0df65");
        assert_eq!(hex(&[b'a'; 56]), "3b0c8ac703f828b04c6c197006d17218");
        assert_eq!(hex(&[b'a'; 64]), "014842d480b571495a4a0363793f7367");
    }

    #[test]
    fn fed_in_pieces_is_the_same() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = hex(&data);
        for step in [1, 3, 63, 64, 65, 200] {
            let mut m = Md5::default();
            for chunk in data.chunks(step) {
                m.update(chunk);
            }
            assert_eq!(m.hex(), whole, "{step}");
        }
    }

    #[test]
    fn etags_that_are_md5s() {
        assert_eq!(
            from_etag("\"D41D8CD98F00B204E9800998ECF8427E\"").as_deref(),
            Some("d41d8cd98f00b204e9800998ecf8427e")
        );
        assert_eq!(from_etag("\"d41d8cd98f00b204e9800998ecf8427e-3\""), None);
        assert_eq!(from_etag("\"1-2-3\""), None);
        // 32 bytes, not all hex (`| 0x20` would make `0x10` a `0`), and a
        // padded, mixed-case one.
        assert_eq!(from_etag("d41d8cd98f00b204e9800998ecf8427\u{10}"), None);
        assert_eq!(from_etag("d41d8cd98f00b204e9800998ecf8427g"), None);
        assert_eq!(
            from_etag(" \"\"aBcDeF0123456789abcdef0123456789\"\t").as_deref(),
            Some("abcdef0123456789abcdef0123456789")
        );
    }
}
