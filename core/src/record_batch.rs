//! One v2 record batch as bytes (`DefaultRecordBatch`, `DefaultRecord`), built as
//! `MemoryRecordsBuilder` builds it for the producer: records written one after another,
//! the whole records section compressed at close, then the 61-byte header with a CRC-32C
//! over everything from the attributes on.
//!
//! Headers of records are not written (count 0), like [`crate::record::record_size`]
//! assumes; the timestamp type is always `CreateTime` (bit 3 clear), as a producer
//! writes it; only a broker with `LogAppendTime` sets that bit.

use std::fmt;

use crate::compression::CompressionType;
use crate::record::RECORD_BATCH_OVERHEAD;
use crate::utils::{crc32c, write_varint, write_varlong};

/// `RecordBatch.CURRENT_MAGIC_VALUE`.
pub const MAGIC: i8 = 2;
/// `RecordBatch.NO_PRODUCER_ID`: the batch is not idempotent.
pub const NO_PRODUCER_ID: i64 = -1;
/// `RecordBatch.NO_PRODUCER_EPOCH`.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// `RecordBatch.NO_SEQUENCE`.
pub const NO_SEQUENCE: i32 = -1;
/// `RecordBatch.NO_PARTITION_LEADER_EPOCH`: what a producer writes; the leader stamps
/// its epoch on append.
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;
/// `RecordBatch.NO_TIMESTAMP`: the one negative timestamp a record may have.
pub const NO_TIMESTAMP: i64 = -1;

/// Offset of the attributes: the CRC covers `bytes[ATTRIBUTES_OFFSET..]`
/// (`DefaultRecordBatch.ATTRIBUTES_OFFSET`).
const ATTRIBUTES_OFFSET: usize = 21;
const CRC_OFFSET: usize = 17;
/// `Records.LOG_OVERHEAD`: base offset and length, which the length does not count.
const LOG_OVERHEAD: usize = 12;
const TRANSACTIONAL_FLAG: i16 = 0x10;
const CONTROL_FLAG: i16 = 0x20;

/// The header fields a batch is given rather than derived from its records.
/// `Default` is a plain (non-idempotent) producer batch: offset 0, no producer id,
/// epoch or sequence, no leader epoch, uncompressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub is_transactional: bool,
    /// Transaction markers (`EndTransactionMarker`), written by the coordinator's side.
    pub is_control: bool,
    pub compression: CompressionType,
}

impl Default for BatchHeader {
    fn default() -> Self {
        BatchHeader {
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            is_transactional: false,
            is_control: false,
            compression: CompressionType::None,
        }
    }
}

/// One record to append; `None` is a null key or value (a tombstone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

/// A batch as it goes on the wire, with the sizes `MemoryRecordsBuilder` keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedBatch {
    pub bytes: Vec<u8>,
    /// `uncompressedRecordsSizeInBytes`: Σ `DefaultRecord.sizeInBytes` of the records,
    /// before compression, header excluded.
    pub uncompressed_records_size: usize,
}

impl EncodedBatch {
    /// `sizeInBytes()`: header and records section, what counts against
    /// `max.request.size` and `batch.size`.
    pub fn size_in_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// `writtenCompressed`: the records section as written, i.e. size − 61.
    pub fn records_section_size(&self) -> usize {
        self.bytes.len() - RECORD_BATCH_OVERHEAD
    }

    /// `MemoryRecordsBuilder.compressionRatio()`, what `compression-rate-avg` averages:
    /// the written records section over the uncompressed records, both without the
    /// header, as a Java `float`. 1.0 for `none`.
    pub fn compression_ratio(&self) -> f32 {
        self.records_section_size() as f32 / self.uncompressed_records_size as f32
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordBatchError {
    /// `MemoryRecordsBuilder.close()` writes no batch at all for zero records.
    NoRecords,
    /// `IllegalArgumentException` from `MemoryRecordsBuilder.appendWithOffset`.
    InvalidNegativeTimestamp(i64),
}

impl fmt::Display for RecordBatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordBatchError::NoRecords => f.write_str("a record batch needs at least one record"),
            RecordBatchError::InvalidNegativeTimestamp(t) => {
                write!(f, "Invalid negative timestamp {t}")
            }
        }
    }
}

/// Encodes `records` as one batch. Offsets are `base_offset + index`; timestamp deltas
/// are taken from the first record (so they may be negative); `maxTimestamp` is the
/// largest timestamp.
pub fn encode(
    header: &BatchHeader,
    records: &[Record<'_>],
) -> Result<EncodedBatch, RecordBatchError> {
    let first = records.first().ok_or(RecordBatchError::NoRecords)?;
    if let Some(r) = records
        .iter()
        .find(|r| r.timestamp < 0 && r.timestamp != NO_TIMESTAMP)
    {
        return Err(RecordBatchError::InvalidNegativeTimestamp(r.timestamp));
    }
    let base_timestamp = first.timestamp;
    let max_timestamp = records
        .iter()
        .map(|r| r.timestamp)
        .fold(NO_TIMESTAMP, i64::max);
    // A slice of 2^31 records cannot fit in memory, so offset deltas fit in an i32.
    let count = i32::try_from(records.len()).expect("fewer than 2^31 records");

    // Sized first, then written once: uncompressed, straight after the header.
    let body_size = |offset_delta: i32, r: &Record<'_>| {
        crate::record::record_body_size(
            offset_delta,
            r.timestamp - base_timestamp,
            r.key.map(<[u8]>::len),
            r.value.map(<[u8]>::len),
        )
    };
    let uncompressed_records_size: usize = (0..count)
        .zip(records)
        .map(|(d, r)| {
            let body = body_size(d, r);
            body + crate::utils::size_of_varint(body as i32)
        })
        .sum();
    let mut section = Vec::with_capacity(RECORD_BATCH_OVERHEAD + uncompressed_records_size);
    if header.compression == CompressionType::None {
        section.resize(RECORD_BATCH_OVERHEAD, 0);
    }
    for (offset_delta, r) in (0..count).zip(records) {
        let body = body_size(offset_delta, r);
        write_varint(&mut section, body as i32);
        let start = section.len();
        write_record_body(&mut section, offset_delta, r.timestamp - base_timestamp, r);
        debug_assert_eq!(
            section.len() - start,
            body,
            "record.rs and the encoder disagree on a record's size"
        );
    }

    let mut attributes = header.compression.id() as i16;
    if header.is_transactional {
        attributes |= TRANSACTIONAL_FLAG;
    }
    if header.is_control {
        attributes |= CONTROL_FLAG;
    }
    let mut bytes = match header.compression {
        CompressionType::None => section,
        codec => {
            let compressed = codec.compress(&section);
            let mut bytes = Vec::with_capacity(RECORD_BATCH_OVERHEAD + compressed.len());
            bytes.resize(RECORD_BATCH_OVERHEAD, 0);
            bytes.extend_from_slice(&compressed);
            bytes
        }
    };
    let size = bytes.len();
    let mut at = 0;
    let mut put = |field: &[u8]| {
        bytes[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    };
    put(&header.base_offset.to_be_bytes());
    put(&((size - LOG_OVERHEAD) as i32).to_be_bytes());
    put(&header.partition_leader_epoch.to_be_bytes());
    put(&MAGIC.to_be_bytes());
    put(&[0; 4]); // the CRC, once the rest is written
    put(&attributes.to_be_bytes());
    put(&(count - 1).to_be_bytes()); // lastOffsetDelta
    put(&base_timestamp.to_be_bytes());
    put(&max_timestamp.to_be_bytes());
    put(&header.producer_id.to_be_bytes());
    put(&header.producer_epoch.to_be_bytes());
    put(&header.base_sequence.to_be_bytes());
    put(&count.to_be_bytes());
    debug_assert_eq!(at, RECORD_BATCH_OVERHEAD);
    let crc = crc32c(&bytes[ATTRIBUTES_OFFSET..]);
    bytes[CRC_OFFSET..ATTRIBUTES_OFFSET].copy_from_slice(&crc.to_be_bytes());
    Ok(EncodedBatch {
        bytes,
        uncompressed_records_size,
    })
}

/// `DefaultRecord.writeTo` after the length: attributes (unused, 0), timestamp delta,
/// offset delta, key and value (length −1 for null), header count 0.
fn write_record_body(out: &mut Vec<u8>, offset_delta: i32, timestamp_delta: i64, r: &Record<'_>) {
    out.push(0);
    write_varlong(out, timestamp_delta);
    write_varint(out, offset_delta);
    for field in [r.key, r.value] {
        match field {
            None => write_varint(out, -1),
            Some(b) => {
                write_varint(out, b.len() as i32);
                out.extend_from_slice(b);
            }
        }
    }
    write_varint(out, 0);
}

/// A labelled byte range of an encoded batch, for a hex view to colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRange {
    /// The field's name in Kafka's protocol documentation ("Record Batch").
    pub name: &'static str,
    pub start: usize,
    pub len: usize,
}

/// The v2 header layout, in order (`DefaultRecordBatch.*_OFFSET`/`*_LENGTH`).
const HEADER_FIELDS: [(&str, usize); 13] = [
    ("baseOffset", 8),
    ("batchLength", 4),
    ("partitionLeaderEpoch", 4),
    ("magic", 1),
    ("crc", 4),
    ("attributes", 2),
    ("lastOffsetDelta", 4),
    ("baseTimestamp", 8),
    ("maxTimestamp", 8),
    ("producerId", 8),
    ("producerEpoch", 2),
    ("baseSequence", 4),
    ("recordsCount", 4),
];

/// The header fields of a batch of `batch_len` bytes, then `records`: the records
/// section (compressed as a whole when the batch is).
pub fn field_ranges(batch_len: usize) -> Vec<FieldRange> {
    let mut start = 0;
    let mut ranges: Vec<FieldRange> = HEADER_FIELDS
        .iter()
        .map(|&(name, len)| {
            let range = FieldRange { name, start, len };
            start += len;
            range
        })
        .collect();
    ranges.push(FieldRange {
        name: "records",
        start,
        len: batch_len.saturating_sub(start),
    });
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec<'a>(timestamp: i64, key: Option<&'a [u8]>, value: Option<&'a [u8]>) -> Record<'a> {
        Record {
            timestamp,
            key,
            value,
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Built by kafka-python's `DefaultRecordBatchBuilder` (magic 2, no compression, not
    /// transactional, producer id 123, epoch 4, base sequence 56), records
    /// (offset 0, ts 1700000000000, b"key", b"value") and (1, ts +100, None, None), an
    /// independent encoder. It writes leader epoch 0 where Kafka's producer writes -1.
    const KAFKA_PYTHON_BATCH: &str = "0000000000000000000000480000000002cc797cec0000000000010000018bcfe568000000018bcfe56864000000000000007b000400000038000000021c000000066b65790a76616c7565000e00c80102010100";

    #[test]
    fn matches_an_independent_encoder_byte_for_byte() {
        let header = BatchHeader {
            partition_leader_epoch: 0,
            producer_id: 123,
            producer_epoch: 4,
            base_sequence: 56,
            ..BatchHeader::default()
        };
        let t = 1_700_000_000_000;
        let batch = encode(
            &header,
            &[
                rec(t, Some(b"key"), Some(b"value")),
                rec(t + 100, None, None),
            ],
        )
        .unwrap();
        assert_eq!(hex(&batch.bytes), KAFKA_PYTHON_BATCH);
        assert_eq!(batch.compression_ratio(), 1.0);
    }

    #[test]
    fn size_agrees_with_record_rs() {
        let big = vec![7u8; 70_000];
        let records = [
            rec(5, Some(b"key"), Some(b"value")),
            rec(4, None, Some(&big)),
            rec(500, Some(b""), None),
        ];
        let batch = encode(&BatchHeader::default(), &records).unwrap();
        let sizes: usize = [
            crate::record::record_size(0, 0, Some(3), Some(5)),
            crate::record::record_size(1, -1, None, Some(70_000)),
            crate::record::record_size(2, 495, Some(0), None),
        ]
        .iter()
        .sum();
        assert_eq!(batch.size_in_bytes(), RECORD_BATCH_OVERHEAD + sizes);
        assert_eq!(batch.uncompressed_records_size, sizes);
        // maxTimestamp is the largest, not the last; baseTimestamp the first.
        assert_eq!(batch.bytes[27..35], 5i64.to_be_bytes());
        assert_eq!(batch.bytes[35..43], 500i64.to_be_bytes());
    }

    #[test]
    fn header_fields_crc_and_attributes() {
        let header = BatchHeader {
            base_offset: 42,
            partition_leader_epoch: 3,
            producer_id: 1000,
            producer_epoch: 2,
            base_sequence: 17,
            is_transactional: true,
            is_control: false,
            compression: CompressionType::Lz4,
        };
        let batch = encode(&header, &[rec(1, Some(b"k"), Some(b"v")); 3]).unwrap();
        let b = &batch.bytes;
        let ranges = field_ranges(b.len());
        let field = |name: &str| {
            let r = ranges.iter().find(|r| r.name == name).unwrap();
            &b[r.start..r.start + r.len]
        };
        assert_eq!(field("baseOffset"), 42i64.to_be_bytes());
        assert_eq!(field("batchLength"), ((b.len() - 12) as i32).to_be_bytes());
        assert_eq!(field("partitionLeaderEpoch"), 3i32.to_be_bytes());
        assert_eq!(field("magic"), [2]);
        assert_eq!(field("crc"), crc32c(&b[21..]).to_be_bytes());
        assert_eq!(field("attributes"), [0x00, 0x13]); // lz4 (3) | transactional (0x10)
        assert_eq!(field("lastOffsetDelta"), 2i32.to_be_bytes());
        assert_eq!(field("producerId"), 1000i64.to_be_bytes());
        assert_eq!(field("producerEpoch"), 2i16.to_be_bytes());
        assert_eq!(field("baseSequence"), 17i32.to_be_bytes());
        assert_eq!(field("recordsCount"), 3i32.to_be_bytes());
        assert_eq!(field("records").len(), batch.records_section_size());
        assert_eq!(ranges.last().unwrap().start, RECORD_BATCH_OVERHEAD);

        let control = BatchHeader {
            is_control: true,
            ..BatchHeader::default()
        };
        let marker = encode(&control, &[rec(1, Some(&[0, 0, 0, 1]), Some(&[0; 6]))]).unwrap();
        assert_eq!(marker.bytes[21..23], [0x00, 0x20]);
    }

    #[test]
    fn ratio_divides_the_records_section_by_the_uncompressed_records() {
        let value = vec![b'x'; 1000];
        let batch = encode(
            &BatchHeader {
                compression: CompressionType::Gzip,
                ..BatchHeader::default()
            },
            &[rec(0, None, Some(&value)); 10],
        )
        .unwrap();
        let expected = (batch.size_in_bytes() - 61) as f32 / batch.uncompressed_records_size as f32;
        assert_eq!(batch.compression_ratio(), expected);
        assert!(batch.compression_ratio() < 0.05);
    }

    #[test]
    fn kafkas_argument_checks() {
        let header = BatchHeader::default();
        assert_eq!(encode(&header, &[]), Err(RecordBatchError::NoRecords));
        let e = encode(&header, &[rec(1, None, None), rec(-5, None, None)]).unwrap_err();
        assert_eq!(e, RecordBatchError::InvalidNegativeTimestamp(-5));
        assert_eq!(e.to_string(), "Invalid negative timestamp -5");
        // NO_TIMESTAMP is allowed and leaves maxTimestamp at -1.
        let batch = encode(&header, &[rec(NO_TIMESTAMP, None, None)]).unwrap();
        assert_eq!(batch.bytes[35..43], (-1i64).to_be_bytes());
    }
}
