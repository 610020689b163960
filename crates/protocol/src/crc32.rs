//! CRC-32 (IEEE), the checksum S3 calls `CRC32` (`x-amz-checksum-crc32`):
//! reflected polynomial 0xedb88320, initial value and final xor all ones.

/// The CRC-32 of `bytes`.
pub fn checksum(bytes: &[u8]) -> u32 {
    !update(!0, bytes)
}

/// Feeds `bytes` to a running CRC-32 register `crc` (`!0` before the first
/// byte; the checksum is `!crc` after the last), so that a file can be
/// digested a piece at a time.
pub fn update(mut crc: u32, bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    for b in bytes {
        crc = table[((crc ^ u32::from(*b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_check_value() {
        // reveng's CRC catalogue: CRC-32/ISO-HDLC, check = 0xcbf43926.
        assert_eq!(super::checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::checksum(b""), 0);
    }

    #[test]
    fn pieces_give_the_whole_s_checksum() {
        let mut crc = !0;
        for piece in [&b"1234"[..], b"", b"56789"] {
            crc = super::update(crc, piece);
        }
        assert_eq!(!crc, 0xCBF4_3926);
    }
}
