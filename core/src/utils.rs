//! Kafka's `Utils.murmur2`/`toPositive` and `ByteUtils` varint sizes.

/// Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): 32-bit wrapping
/// arithmetic, little-endian 4-byte blocks, seed `0x9747b28c`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h = SEED ^ len as u32;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = blocks.remainder();
    // Falls through like the Java switch: 3 → 2 → 1.
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: masks the sign bit (not `abs`, which would overflow on `i32::MIN`).
pub fn to_positive(x: i32) -> u32 {
    (x & 0x7fff_ffff) as u32
}

/// Bytes of a zig-zag varint (`ByteUtils.sizeOfVarint`).
pub fn size_of_varint(v: i32) -> usize {
    let mut z = ((v << 1) ^ (v >> 31)) as u32;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

/// Bytes of a zig-zag varlong (`ByteUtils.sizeOfVarlong`).
pub fn size_of_varlong(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_boundaries() {
        assert_eq!(size_of_varint(0), 1);
        assert_eq!(size_of_varint(63), 1);
        assert_eq!(size_of_varint(64), 2);
        assert_eq!(size_of_varint(-64), 1);
        assert_eq!(size_of_varint(-65), 2);
        assert_eq!(size_of_varint(8191), 2);
        assert_eq!(size_of_varint(8192), 3);
        assert_eq!(size_of_varint(i32::MAX), 5);
        assert_eq!(size_of_varlong(0), 1);
        assert_eq!(size_of_varlong(1 << 40), 6);
    }

    #[test]
    fn to_positive_masks_instead_of_abs() {
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(i32::MIN), 0);
    }
}
