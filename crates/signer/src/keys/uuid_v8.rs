//! The RFC 9562 version 8 UUID of a key: the layout of its 122 custom bits.

pub(super) const SIZE_BITS: u32 = 44; // size + 1; 0 = not declared. 5 TiB < 2^43.
pub(super) const PART_BITS: u32 = 13; // part size in MiB; 5 GiB = 5120 MiB < 2^13. 0 = none.
pub(super) const RANDOM_BITS: u32 = 122 - SIZE_BITS - PART_BITS; // 65

/// Spreads 122 custom bits around the version (bits 76-79 = 8) and variant
/// (bits 62-63 = 0b10) fields of an RFC 9562 UUID.
pub(super) fn pack_v8(custom: u128) -> u128 {
    let hi48 = (custom >> 74) & ((1 << 48) - 1);
    let mid12 = (custom >> 62) & 0xfff;
    let lo62 = custom & ((1 << 62) - 1);
    (hi48 << 80) | (0x8 << 76) | (mid12 << 64) | (0b10 << 62) | lo62
}

pub(super) fn unpack_v8(u: u128) -> Option<u128> {
    if (u >> 76) & 0xf != 0x8 || (u >> 62) & 0b11 != 0b10 {
        return None;
    }
    let hi48 = (u >> 80) & ((1 << 48) - 1);
    let mid12 = (u >> 64) & 0xfff;
    let lo62 = u & ((1 << 62) - 1);
    Some((hi48 << 74) | (mid12 << 62) | lo62)
}
