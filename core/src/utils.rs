//! Kafka's `Utils.murmur2`/`toPositive`, `ByteUtils` varints, `Crc32C`, and CRC-32.

use std::sync::OnceLock;

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

/// Appends a zig-zag varint (`ByteUtils.writeVarint`): 7 bits a byte, low first.
pub fn write_varint(out: &mut Vec<u8>, v: i32) {
    write_unsigned_varint(out, ((v << 1) ^ (v >> 31)) as u32 as u64);
}

/// Appends a zig-zag varlong (`ByteUtils.writeVarlong`).
pub fn write_varlong(out: &mut Vec<u8>, v: i64) {
    write_unsigned_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn write_unsigned_varint(out: &mut Vec<u8>, mut z: u64) {
    while z >= 0x80 {
        out.push(z as u8 | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Slice-by-8 tables for a reflected polynomial: `[0]` is the classic byte table, `[k]`
/// advances a byte that is `k` bytes further from the end, so eight bytes take eight
/// lookups and no serial dependency between them. The checksums make them on first use,
/// not at compile time: as constants they were 16 KB of the web bundle that gzip cannot
/// shrink (issue 8). Made once, the same every time: a cache of a constant, not state a
/// run could see.
const fn crc_tables(polynomial: u32) -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ polynomial
            } else {
                c >> 1
            };
            k += 1;
        }
        tables[0][i] = c;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
}

fn reflected_crc(tables: &[[u32; 256]; 8], data: &[u8]) -> u32 {
    let mut c = !0u32;
    let mut chunks = data.chunks_exact(8);
    for w in &mut chunks {
        let lo = c ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        c = tables[7][(lo & 0xff) as usize]
            ^ tables[6][((lo >> 8) & 0xff) as usize]
            ^ tables[5][((lo >> 16) & 0xff) as usize]
            ^ tables[4][(lo >> 24) as usize]
            ^ tables[3][w[4] as usize]
            ^ tables[2][w[5] as usize]
            ^ tables[1][w[6] as usize]
            ^ tables[0][w[7] as usize];
    }
    !chunks.remainder().iter().fold(c, |c, &b| {
        tables[0][((c ^ b as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

/// CRC-32C (Castagnoli, polynomial 0x82F63B78 reflected): `Crc32C.compute`, the checksum
/// of v2 record batches.
pub fn crc32c(data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU has SSE4.2, checked just above.
        return unsafe { crc32c_sse42(data) };
    }
    static TABLES: OnceLock<[[u32; 256]; 8]> = OnceLock::new();
    reflected_crc(TABLES.get_or_init(|| crc_tables(0x82F6_3B78)), data)
}

/// The same checksum by the CPU's CRC32 instruction (as Java's `Crc32C` intrinsic does):
/// a fifth of the native run's time went to the tables. Wasm has no such instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn crc32c_sse42(data: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let mut c = !0u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        c = _mm_crc32_u64(c, u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let mut c = c as u32;
    for &b in words.remainder() {
        c = _mm_crc32_u8(c, b);
    }
    !c
}

/// CRC-32 (IEEE, `java.util.zip.CRC32`): the gzip trailer's checksum.
pub fn crc32(data: &[u8]) -> u32 {
    static TABLES: OnceLock<[[u32; 256]; 8]> = OnceLock::new();
    reflected_crc(TABLES.get_or_init(|| crc_tables(0xEDB8_8320)), data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crcs_match_the_standard_check_values_and_a_byte_at_a_time() {
        // The catalogue's check value: the CRC of the ASCII digits 1 to 9.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let data: Vec<u8> = (0u32..100).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            let bytewise = |poly: u32| {
                !data[..len].iter().fold(!0u32, |mut c, &b| {
                    c ^= b as u32;
                    for _ in 0..8 {
                        c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
                    }
                    c
                })
            };
            assert_eq!(crc32c(&data[..len]), bytewise(0x82F6_3B78), "{len}");
            const TABLES: [[u32; 256]; 8] = crc_tables(0x82F6_3B78);
            assert_eq!(
                reflected_crc(&TABLES, &data[..len]),
                bytewise(0x82F6_3B78),
                "{len}"
            );
            assert_eq!(crc32(&data[..len]), bytewise(0xEDB8_8320), "{len}");
        }
    }

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

    #[test]
    fn varints_as_bytes() {
        let enc = |v: i32| {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            out
        };
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(-1), [0x01]);
        assert_eq!(enc(1), [0x02]);
        assert_eq!(enc(63), [0x7e]);
        assert_eq!(enc(-64), [0x7f]);
        assert_eq!(enc(64), [0x80, 0x01]);
        assert_eq!(enc(300), [0xd8, 0x04]);
        assert_eq!(enc(i32::MIN), [0xff, 0xff, 0xff, 0xff, 0x0f]);
        let mut out = Vec::new();
        write_varlong(&mut out, i64::MIN);
        assert_eq!(
            out,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        for v in [0, 1, -1, 63, 64, -65, 8191, 8192, i32::MAX, i32::MIN] {
            assert_eq!(enc(v).len(), size_of_varint(v), "{v}");
            let mut out = Vec::new();
            write_varlong(&mut out, v as i64 * 1_000_000);
            assert_eq!(out.len(), size_of_varlong(v as i64 * 1_000_000), "{v}");
        }
    }

    #[test]
    fn crc32c_vectors() {
        // The CRC catalogue's check value, and Kafka's Crc32CTest.testValue.
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b"Some String"), 608_512_271);
        assert_eq!(crc32c(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
