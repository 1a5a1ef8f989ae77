//! `RecordAccumulator` conformance cases from Kafka's `RecordAccumulatorTest` and
//! `BuiltInPartitionerTest` (`shared/kafka/producer.md` §9), driven through the accumulator
//! alone: no network, no clock but the `now` passed in.

use kafka_lab::config::TopicConfig;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta};
use kafka_lab::producer::accumulator::RecordAccumulator;
use kafka_lab::record::RecordData;
use kafka_lab::rng::Rng;
use kafka_lab::version::KafkaVersion;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Partitions 0 and 1 led by node 0, partition 2 by node 1 (the tests' fixture).
fn cluster() -> Cluster {
    let part = |leader| PartitionMeta {
        replicas: vec![leader],
        leader: Some(leader),
        leader_epoch: 0,
    };
    Cluster {
        brokers: 2,
        topics: vec![TopicMeta {
            name: "test".into(),
            partitions: vec![part(0), part(0), part(1)],
            config: TopicConfig {
                min_insync_replicas: 1,
            },
        }],
    }
}

fn record(key: &str, value: &str) -> Rc<RecordData> {
    Rc::new(RecordData {
        key: Some(Rc::from(key)),
        value: Rc::from(value),
        timestamp: 0,
    })
}

fn accumulator(batch_size: u32, linger_ms: u64) -> RecordAccumulator {
    RecordAccumulator::new(
        KafkaVersion::latest(),
        batch_size,
        batch_size,
        linger_ms,
        false,
        1,
    )
}

#[test]
fn test_full() {
    // 1025+61 bytes, linger 10: 68 "key"/"value" records fill one batch, nothing is ready;
    // the 69th opens a second batch and node 0 becomes ready; the drained batch has 68.
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1025 + 61, 10);
    let r = record("key", "value");
    for i in 0..68 {
        acc.append(0, Some(0), i, &r, false, 0, &mut rng, &c);
        assert!(
            acc.ready(&c, 0).ready_nodes.is_empty(),
            "record {i}: not yet ready"
        );
    }
    let res = acc.append(0, Some(0), 68, &r, false, 0, &mut rng, &c);
    assert!(res.new_batch_created && res.batch_is_full);
    let ready = acc.ready(&c, 0).ready_nodes;
    assert_eq!(ready, BTreeSet::from([0]));
    let drained = acc.drain(&c, &ready, i32::MAX as u32);
    assert_eq!(drained[&0][0].records.len(), 68);
}

#[test]
fn test_linger() {
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1024 + 61, 10);
    acc.append(
        0,
        Some(0),
        0,
        &record("key", "value"),
        false,
        0,
        &mut rng,
        &c,
    );
    let at0 = acc.ready(&c, 0);
    assert!(at0.ready_nodes.is_empty());
    assert_eq!(at0.next_ready_check_delay_ms, Some(10));
    let at10 = acc.ready(&c, 10);
    assert_eq!(at10.ready_nodes, BTreeSet::from([0]));
    let drained = acc.drain(&c, &at10.ready_nodes, i32::MAX as u32);
    assert_eq!(drained[&0].len(), 1);
    assert_eq!(drained[&0][0].records.len(), 1);
}

#[test]
fn test_next_ready_check_delay() {
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1025 + 61, 10);
    let r = record("key", "value");
    for i in 0..68 {
        acc.append(0, Some(0), i, &r, false, 0, &mut rng, &c);
    }
    let res = acc.ready(&c, 0);
    assert!(res.ready_nodes.is_empty());
    assert_eq!(res.next_ready_check_delay_ms, Some(10));
    for i in 0..68 {
        acc.append(0, Some(2), i, &r, false, 5, &mut rng, &c);
    }
    let res = acc.ready(&c, 5);
    assert!(res.ready_nodes.is_empty());
    assert_eq!(res.next_ready_check_delay_ms, Some(5));
    for i in 0..69 {
        acc.append(0, Some(1), i, &r, false, 5, &mut rng, &c);
    }
    let res = acc.ready(&c, 5);
    assert_eq!(res.ready_nodes, BTreeSet::from([0]));
    assert!(res.next_ready_check_delay_ms.unwrap() <= 10);
}

#[test]
fn test_partial_drain() {
    // Two full partitions on node 0, a drain limit of one batch: one batch per request.
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1024 + 61, 0);
    let r = record("key", "value");
    for p in [0, 1] {
        for i in 0..69 {
            acc.append(0, Some(p), i, &r, false, 0, &mut rng, &c);
        }
    }
    let ready = acc.ready(&c, 0).ready_nodes;
    let drained = acc.drain(&c, &ready, 1024);
    assert_eq!(drained[&0].len(), 1);
}

#[test]
fn test_uniform_built_in_partitioner() {
    // RecordAccumulatorTest.testUniformBuiltInPartitioner, with batch.size 1024: a small
    // null-key record sticks to the first pick; a large record starting a new batch that is
    // not full postpones the switch; the next large record goes elsewhere.
    let (c, mut rng) = (cluster(), Rng::new(42));
    let mut acc = accumulator(1024, 0);
    let small = Rc::new(RecordData {
        key: None,
        value: Rc::from("v"),
        timestamp: 0,
    });
    let large = Rc::new(RecordData {
        key: None,
        value: Rc::from("x".repeat(1024)),
        timestamp: 0,
    });
    let p0 = acc
        .append(0, None, 0, &small, false, 0, &mut rng, &c)
        .partition;
    let p1 = acc
        .append(0, None, 1, &large, false, 0, &mut rng, &c)
        .partition;
    assert_eq!(
        p1, p0,
        "the 1024-byte record joins the sticky partition (switch postponed)"
    );
    // After > batch.size bytes went to p0 with its batches full, the next record moves on
    // (or stays if the random pick repeats, which Kafka allows).
    let mut partitions = BTreeSet::new();
    for i in 2..40 {
        partitions.insert(
            acc.append(0, None, i, &large, false, 0, &mut rng, &c)
                .partition,
        );
    }
    assert!(
        partitions.len() > 1,
        "sticky partition switches after batch.size bytes"
    );
}

#[test]
fn test_drain_rotates_start_partition() {
    // RecordAccumulatorTest.testDrainBatches (reduced): one record per batch, a drain limit
    // of one batch per request; node 0's two partitions alternate.
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(66, 0);
    let r = record("key", "value");
    let mut first = Vec::new();
    for round in 0..2 {
        for p in [0, 1, 2] {
            acc.append(0, Some(p), round, &r, false, 0, &mut rng, &c);
        }
        let ready = acc.ready(&c, 0).ready_nodes;
        let drained = acc.drain(&c, &ready, 66);
        first.push(drained[&0][0].tp.partition);
        assert_eq!(drained[&1][0].tp.partition, 2);
    }
    assert_ne!(
        first[0], first[1],
        "drain starts after the last partition visited"
    );
}
