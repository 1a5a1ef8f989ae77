//! The v2 record batch encoder (`kafka_lab::record_batch`) read back by a decoder
//! written here from the format's description (`DefaultRecordBatch`, `DefaultRecord`),
//! with the codecs' own decoders: flate2, snap, lz4_flex's frame reader (which checks
//! the frame header checksum) and libzstd through the zstd crate, all dev-dependencies.

use kafka_lab::compression::CompressionType;
use kafka_lab::record::{record_size, RECORD_BATCH_OVERHEAD};
use kafka_lab::record_batch::{encode, BatchHeader, EncodedBatch};
use kafka_lab::rng::Rng;
use kafka_lab::utils::crc32c;
use kafka_lab_tests::wire_cases::{cases, noise, prose, CaseRecord, WireCase};
use std::io::Read;

/// A batch's header as read from the bytes.
#[derive(Debug, PartialEq, Eq)]
struct Header {
    base_offset: i64,
    batch_length: i32,
    leader_epoch: i32,
    magic: i8,
    crc: u32,
    attributes: i16,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    count: i32,
}

/// A big-endian reader over a byte slice.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn be<const N: usize>(&mut self) -> [u8; N] {
        self.take(N).try_into().unwrap()
    }
    fn varlong(&mut self) -> i64 {
        let mut z: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.take(1)[0];
            z |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return (z >> 1) as i64 ^ -((z & 1) as i64);
            }
        }
        panic!("varint longer than 10 bytes");
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let len = self.varlong();
        (len >= 0).then(|| self.take(len as usize).to_vec())
    }
}

fn header(bytes: &[u8]) -> Header {
    let mut c = Cursor(bytes);
    Header {
        base_offset: i64::from_be_bytes(c.be()),
        batch_length: i32::from_be_bytes(c.be()),
        leader_epoch: i32::from_be_bytes(c.be()),
        magic: i8::from_be_bytes(c.be()),
        crc: u32::from_be_bytes(c.be()),
        attributes: i16::from_be_bytes(c.be()),
        last_offset_delta: i32::from_be_bytes(c.be()),
        base_timestamp: i64::from_be_bytes(c.be()),
        max_timestamp: i64::from_be_bytes(c.be()),
        producer_id: i64::from_be_bytes(c.be()),
        producer_epoch: i16::from_be_bytes(c.be()),
        base_sequence: i32::from_be_bytes(c.be()),
        count: i32::from_be_bytes(c.be()),
    }
}

fn decompress(codec: u8, section: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match codec {
        0 => out.extend_from_slice(section),
        1 => {
            flate2::read::GzDecoder::new(section)
                .read_to_end(&mut out)
                .unwrap();
        }
        2 => {
            // xerial: 16-byte header, then (big-endian length, raw snappy block)*.
            assert_eq!(section[..8], *b"\x82SNAPPY\0");
            assert_eq!(section[8..16], [0, 0, 0, 1, 0, 0, 0, 1]);
            let mut c = Cursor(&section[16..]);
            while !c.0.is_empty() {
                let n = u32::from_be_bytes(c.be()) as usize;
                let block = snap::raw::Decoder::new().decompress_vec(c.take(n)).unwrap();
                assert!(block.len() <= 32 * 1024);
                out.extend(block);
            }
        }
        3 => {
            lz4_flex::frame::FrameDecoder::new(section)
                .read_to_end(&mut out)
                .unwrap();
        }
        4 => out = zstd::stream::decode_all(section).unwrap(),
        other => panic!("codec id {other}"),
    }
    out
}

/// Decodes `bytes` and checks it is exactly `case`, CRC and sizes included.
fn check(case: &WireCase, batch: &EncodedBatch) {
    let name = &case.name;
    let bytes = &batch.bytes;
    let h = header(bytes);
    let n = case.records.len();
    let base_ts = case.records[0].timestamp;
    let max_ts = case.records.iter().map(|r| r.timestamp).max().unwrap();
    let mut attributes = case.header.compression.id() as i16;
    attributes |= if case.header.is_transactional {
        0x10
    } else {
        0
    };
    attributes |= if case.header.is_control { 0x20 } else { 0 };
    let expected = Header {
        base_offset: case.header.base_offset,
        batch_length: bytes.len() as i32 - 12,
        leader_epoch: case.header.partition_leader_epoch,
        magic: 2,
        crc: crc32c(&bytes[21..]),
        attributes,
        last_offset_delta: n as i32 - 1,
        base_timestamp: base_ts,
        max_timestamp: max_ts,
        producer_id: case.header.producer_id,
        producer_epoch: case.header.producer_epoch,
        base_sequence: case.header.base_sequence,
        count: n as i32,
    };
    assert_eq!(h, expected, "{name}: header");

    let section = decompress(h.attributes as u8 & 0x07, &bytes[RECORD_BATCH_OVERHEAD..]);
    assert_eq!(section.len(), batch.uncompressed_records_size, "{name}");
    let mut c = Cursor(&section);
    let mut sizes = 0;
    for (i, want) in case.records.iter().enumerate() {
        let before = c.0.len();
        let len = c.varlong() as usize;
        let body_start = c.0.len();
        assert_eq!(c.take(1), [0], "{name}: record attributes");
        let ts_delta = c.varlong();
        let offset_delta = c.varlong();
        let key = c.bytes();
        let value = c.bytes();
        assert_eq!(c.varlong(), 0, "{name}: header count");
        assert_eq!(body_start - c.0.len(), len, "{name}: record {i} length");
        assert_eq!(offset_delta, i as i64, "{name}");
        assert_eq!(base_ts + ts_delta, want.timestamp, "{name}: record {i}");
        assert_eq!(key, want.key, "{name}: record {i} key");
        assert_eq!(value, want.value, "{name}: record {i} value");
        let size = before - c.0.len();
        assert_eq!(
            size,
            record_size(
                i as i32,
                ts_delta,
                want.key.as_ref().map(Vec::len),
                want.value.as_ref().map(Vec::len)
            ),
            "{name}: record {i} size against record.rs"
        );
        sizes += size;
    }
    assert!(c.0.is_empty(), "{name}: bytes after the last record");
    assert_eq!(sizes, batch.uncompressed_records_size);
    if case.header.compression == CompressionType::None {
        assert_eq!(bytes.len(), RECORD_BATCH_OVERHEAD + sizes, "{name}");
    }
    assert_eq!(
        batch.compression_ratio(),
        (bytes.len() - RECORD_BATCH_OVERHEAD) as f32 / sizes as f32
    );
}

fn encode_case(case: &WireCase) -> EncodedBatch {
    let records: Vec<_> = case.records.iter().map(CaseRecord::as_record).collect();
    encode(&case.header, &records).unwrap()
}

#[test]
fn every_case_reads_back() {
    for case in cases() {
        check(&case, &encode_case(&case));
    }
}

#[test]
fn random_shapes_agree_with_record_rs_and_read_back() {
    let mut rng = Rng::new(20_240_917);
    for round in 0..400 {
        let codec = CompressionType::ALL[round % 5];
        // Every 50th batch is long (offset deltas past 8191 take 3 varint bytes) with
        // small fields; the others are short with fields up to 20 KB.
        let long = round % 50 == 0;
        let n = if long {
            8_000 + rng.below(2_000)
        } else {
            1 + rng.below(40)
        } as usize;
        let (max_noise, max_prose) = if long { (50, 20) } else { (20_000, 200) };
        let t0 = rng.below(1 << 30) as i64 * 1000;
        let field = |rng: &mut Rng| match rng.below(8) {
            0 => None,
            1 => Some(Vec::new()),
            2 => {
                let len = rng.below(max_noise) as usize;
                Some(noise(rng, len))
            }
            _ => {
                let len = rng.below(max_prose) as usize;
                Some(prose(rng, len))
            }
        };
        let records = (0..n)
            .map(|_| CaseRecord {
                timestamp: t0 + rng.below(1 << 20) as i64 - (1 << 19),
                key: field(&mut rng),
                value: field(&mut rng),
            })
            .collect();
        let case = WireCase {
            name: format!("random round {round}"),
            header: BatchHeader {
                base_offset: rng.below(1 << 30) as i64,
                producer_id: rng.below(1000) as i64 - 1,
                compression: codec,
                ..BatchHeader::default()
            },
            records,
        };
        check(&case, &encode_case(&case));
    }
}

#[test]
fn compression_shrinks_what_repeats() {
    let case = &cases()[..5 * 4];
    for c in case
        .iter()
        .filter(|c| c.name.ends_with("values-over-64KiB"))
    {
        let batch = encode_case(c);
        let ratio = batch.compression_ratio();
        match c.header.compression {
            CompressionType::None => assert_eq!(ratio, 1.0),
            // ~220 KiB of prose and 100 KiB of noise: the prose shrinks, the noise cannot.
            codec => assert!((0.25..0.6).contains(&ratio), "{codec}: {ratio}"),
        }
    }
}
