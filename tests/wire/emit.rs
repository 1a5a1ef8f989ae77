//! Prints every `wire_cases` batch as one JSON line for `crosscheck.py`:
//! `{"name", "hex", "expect": {header fields, "records": [...]}}`, then the batches an
//! idempotent producer actually wrote in a simulation, one run per codec. The expected
//! values come from the inputs (the case, or the producer's batch and records), never
//! from the encoded bytes.

use kafka_lab::compression::CompressionType;
use kafka_lab::producer::accumulator::ProducerBatch;
use kafka_lab::record_batch::encode;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::wire_cases::{cases, CaseRecord};
use serde_json::{json, Value};
use std::collections::BTreeSet;
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
    for codec in CompressionType::ALL {
        for line in simulated(codec) {
            writeln!(out, "{line}").expect("stdout is writable");
        }
    }
}

/// Every batch an idempotent producer drains in a short keyed run with `codec`, caught
/// in flight, as a cross-check line.
fn simulated(codec: CompressionType) -> Vec<Value> {
    let scenario = format!(
        r#"{{"seed":5,"kafka_version":"4.0","brokers":2,"topics":[{{"name":"t","partitions":2}}],
            "producers":[{{"name":"p","config":{{"compression.type":"{codec}","linger.ms":"20","batch.size":"4096"}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["서울","Busan",null],"value_bytes":150,"count":120,"interval_ms":1}}],
            "until_ms":1000}}"#
    );
    let mut sim = Simulation::new(&Scenario::from_json(&scenario).expect("valid JSON"))
        .expect("a valid scenario");
    let mut seen = BTreeSet::new();
    let mut lines = Vec::new();
    while sim.step() {
        let p = &sim.producers()[0];
        let batches = p
            .sender
            .in_flight
            .values()
            .flat_map(|q| q.iter())
            .flat_map(|r| r.batches.iter());
        for b in batches {
            if seen.insert(b.id) {
                lines.push(batch_line(codec, b));
            }
        }
    }
    assert!(lines.len() > 3, "{codec}: the run drained batches");
    lines
}

fn batch_line(codec: CompressionType, b: &ProducerBatch) -> Value {
    let encoded = b.encoded().expect("a drained batch is written");
    let records: Vec<_> = b
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "offset": i,
                "timestamp": r.data.timestamp,
                "key": r.data.key_bytes().map(|b| hex(&b)),
                "value": r.data.value_bytes().map(|b| hex(&b)),
            })
        })
        .collect();
    json!({
        "name": format!("simulated {codec} batch {} of t-{}", b.id, b.tp.partition),
        "hex": hex(&encoded.bytes),
        "expect": {
            "base_offset": 0,
            "leader_epoch": -1,
            "magic": 2,
            "compression_type": codec.id(),
            "timestamp_type": 0,
            "is_transactional": false,
            "is_control_batch": false,
            "last_offset_delta": b.records.len() - 1,
            "first_timestamp": b.records[0].data.timestamp,
            "max_timestamp": b.records.iter().map(|r| r.data.timestamp).max(),
            "producer_id": b.producer_id,
            "producer_epoch": b.producer_epoch,
            "base_sequence": b.base_sequence,
            "records_count": b.records.len(),
            "size_in_bytes": b.size_in_bytes,
            "records": records,
        },
    })
}
