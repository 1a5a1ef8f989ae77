//! The record batches the wire-format tests encode: every codec, with one record and
//! many, null keys, tombstones, empty keys and values, idempotent and transactional
//! header fields, timestamp deltas of every varint width and negative ones, a control
//! batch, and values larger than an lz4 (64 KiB) or snappy (32 KiB) block, some
//! incompressible. `tests/record_batch.rs` decodes them in Rust; `tests/wire/` hands
//! them to kafka-python.

use kafka_lab::compression::CompressionType;
use kafka_lab::record_batch::{BatchHeader, Record};
use kafka_lab::rng::Rng;

/// One record as owned bytes.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub timestamp: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
}

impl CaseRecord {
    pub fn as_record(&self) -> Record<'_> {
        Record {
            timestamp: self.timestamp,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct WireCase {
    pub name: String,
    pub header: BatchHeader,
    pub records: Vec<CaseRecord>,
}

const T0: i64 = 1_700_000_000_000;

/// Bytes that do not compress (xorshift from the seeded rng).
pub fn noise(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

/// Text that compresses well but not trivially.
pub fn prose(rng: &mut Rng, n: usize) -> Vec<u8> {
    const WORDS: [&str; 8] = [
        "Pangyo ",
        "Seoul ",
        "판교 ",
        "offset ",
        "batch ",
        "linger ",
        "acks=all ",
        "lz4 ",
    ];
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        out.extend_from_slice(WORDS[rng.below(WORDS.len() as u32) as usize].as_bytes());
    }
    out.truncate(n);
    out
}

fn rec(timestamp: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> CaseRecord {
    CaseRecord {
        timestamp,
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
    }
}

/// Many records with every shape: null and empty keys, tombstones, deltas that need
/// 1–5 varint bytes, going backwards as well as forwards.
fn assorted(rng: &mut Rng, n: usize) -> Vec<CaseRecord> {
    const DELTAS: [i64; 8] = [0, 1, 63, 64, -1, -65, 8192, 1 << 28];
    (0..n)
        .map(|i| {
            let key = match rng.below(5) {
                0 => None,
                1 => Some(Vec::new()),
                _ => Some(format!("key-{}", rng.below(50)).into_bytes()),
            };
            let value = match rng.below(6) {
                0 => None,
                1 => Some(Vec::new()),
                _ => {
                    let len = rng.below(300) as usize;
                    Some(prose(rng, len))
                }
            };
            let delta = DELTAS[rng.below(DELTAS.len() as u32) as usize];
            CaseRecord {
                timestamp: T0 + delta + i as i64,
                key,
                value,
            }
        })
        .collect()
}

/// The fixed set of cases; the same on every run.
pub fn cases() -> Vec<WireCase> {
    let mut rng = Rng::new(0x5EED_0B47C4);
    let mut out = Vec::new();
    for codec in CompressionType::ALL {
        let plain = BatchHeader {
            compression: codec,
            ..BatchHeader::default()
        };
        let idempotent = BatchHeader {
            producer_id: 4242,
            producer_epoch: 7,
            base_sequence: 1000,
            ..plain
        };
        out.push(WireCase {
            name: format!("{codec}-one-record"),
            header: plain,
            records: vec![rec(T0, Some(b"key"), Some(b"value"))],
        });
        out.push(WireCase {
            name: format!("{codec}-assorted-idempotent"),
            header: idempotent,
            records: assorted(&mut rng, 300),
        });
        let big_prose = prose(&mut rng, 150 * 1024);
        let big_noise = noise(&mut rng, 100 * 1024);
        out.push(WireCase {
            name: format!("{codec}-values-over-64KiB"),
            header: plain,
            records: vec![
                rec(T0, Some(b"a"), Some(&big_prose)),
                rec(T0 + 1, None, Some(&big_noise)),
                rec(T0 + 2, Some(b"c"), None),
                rec(T0 + 3, Some(b"d"), Some(&big_prose[..70_000])),
            ],
        });
        out.push(WireCase {
            name: format!("{codec}-transactional"),
            header: BatchHeader {
                base_offset: 1_000_000,
                partition_leader_epoch: 5,
                producer_id: i64::MAX - 1,
                producer_epoch: i16::MAX,
                base_sequence: i32::MAX - 10,
                is_transactional: true,
                ..plain
            },
            records: (0..10)
                .map(|i| rec(T0 - i * 1000, Some(b"tx"), Some(b"in a transaction")))
                .collect(),
        });
    }
    // A commit marker (`EndTransactionMarker`): key version 0, type 1 (commit); value
    // version 0, coordinator epoch 3.
    out.push(WireCase {
        name: "none-control-commit-marker".into(),
        header: BatchHeader {
            producer_id: 77,
            producer_epoch: 1,
            is_transactional: true,
            is_control: true,
            ..BatchHeader::default()
        },
        records: vec![rec(T0, Some(&[0, 0, 0, 1]), Some(&[0, 0, 0, 0, 0, 3]))],
    });
    // What kafka-python's own builder can write (leader epoch 0, no compression): the
    // cross-check rebuilds these with it and compares bytes.
    out.push(WireCase {
        name: "none-as-kafka-python-writes".into(),
        header: BatchHeader {
            partition_leader_epoch: 0,
            producer_id: 123,
            producer_epoch: 4,
            base_sequence: 56,
            ..BatchHeader::default()
        },
        records: assorted(&mut rng, 100),
    });
    out.push(WireCase {
        name: "none-korean-key-and-no-timestamp".into(),
        header: BatchHeader {
            partition_leader_epoch: 0,
            ..BatchHeader::default()
        },
        records: vec![rec(
            -1,
            Some("판교".as_bytes()),
            Some(b"-1 is NO_TIMESTAMP"),
        )],
    });
    out
}
