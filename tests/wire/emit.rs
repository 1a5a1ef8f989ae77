//! Prints every `wire_cases` batch as one JSON line for `crosscheck.py`:
//! `{"name", "hex", "expect": {header fields, "records": [...]}}`. The expected values
//! come from the case's inputs, never from the encoded bytes.

use kafka_lab::record_batch::encode;
use kafka_lab_tests::wire_cases::{cases, CaseRecord};
use serde_json::json;
use std::io::Write;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for case in cases() {
        let records: Vec<_> = case.records.iter().map(CaseRecord::as_record).collect();
        let batch = encode(&case.header, &records).expect("every case is a valid batch");
        let h = &case.header;
        let expected_records: Vec<_> = case
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "offset": h.base_offset + i as i64,
                    "timestamp": r.timestamp,
                    "key": r.key.as_deref().map(hex),
                    "value": r.value.as_deref().map(hex),
                })
            })
            .collect();
        let line = json!({
            "name": case.name,
            "hex": hex(&batch.bytes),
            "expect": {
                "base_offset": h.base_offset,
                "leader_epoch": h.partition_leader_epoch,
                "magic": 2,
                "compression_type": h.compression.id(),
                "timestamp_type": 0,
                "is_transactional": h.is_transactional,
                "is_control_batch": h.is_control,
                "last_offset_delta": case.records.len() - 1,
                "first_timestamp": case.records[0].timestamp,
                "max_timestamp": case.records.iter().map(|r| r.timestamp).max(),
                "producer_id": h.producer_id,
                "producer_epoch": h.producer_epoch,
                "base_sequence": h.base_sequence,
                "records_count": case.records.len(),
                "size_in_bytes": batch.size_in_bytes(),
                "records": expected_records,
            },
        });
        writeln!(out, "{line}").expect("stdout is writable");
    }
}
