//! `RecordAccumulator` conformance cases from Kafka's `RecordAccumulatorTest` and
//! `BuiltInPartitionerTest` (`shared/kafka/producer.md` §9), driven through the accumulator
//! alone: no network, no clock but the `now` passed in.

use kafka_lab::backoff::ExponentialBackoff;
use kafka_lab::compression::CompressionType;
use kafka_lab::config::TopicConfig;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta, TopicPartition};
use kafka_lab::producer::accumulator::{AccumulatorConfig, RecordAccumulator};
use kafka_lab::record::{RecordBlock, RecordData, RecordRef};
use kafka_lab::rng::{Counter, Rng};
use kafka_lab::serializer::Serializer;
use kafka_lab::vec_map::VecSet;
use kafka_lab::version::KafkaVersion;
use kafka_lab_tests::append;

/// Partitions 0 and 1 led by node 0, partition 2 by node 1 (the tests' fixture).
fn cluster() -> Cluster {
    led_by(&[0, 0, 1])
}

/// One topic whose partition `p` has the one replica `leaders[p]`, its leader.
fn led_by(leaders: &[u32]) -> Cluster {
    let part = |&leader: &u32| PartitionMeta {
        replicas: vec![leader],
        leader: Some(leader),
        leader_epoch: 0,
    };
    Cluster {
        brokers: 2,
        topics: vec![TopicMeta::new(
            "test".into(),
            leaders.iter().map(part).collect(),
            TopicConfig::default(),
        )],
    }
}

fn record(key: &str, value: &str) -> RecordRef {
    RecordBlock::default().make(RecordData {
        key: Serializer::String.serialize(Some(key)).unwrap(),
        value: Serializer::String.serialize(Some(value)).unwrap(),
        timestamp: 0,
    })
}

/// A null-key record whose value is `n` zero bytes (the tests' `new byte[n]`).
fn unkeyed(n: usize) -> RecordRef {
    RecordBlock::default().make(RecordData {
        key: None,
        value: Serializer::ByteArray
            .serialize(Some(&"00".repeat(n)))
            .unwrap(),
        timestamp: 0,
    })
}

/// The tests' accumulator settings: no adaptive partitioning, backoff 100/1000 ms,
/// delivery timeout 3200 ms.
fn config(batch_size: u32, linger_ms: u64) -> AccumulatorConfig {
    let version = KafkaVersion::latest();
    AccumulatorConfig {
        version,
        batch_size,
        sticky_batch_size: batch_size,
        linger_ms,
        adaptive: false,
        availability_timeout_ms: 0,
        retry_backoff: ExponentialBackoff::new(version, 100, 1000),
        delivery_timeout_ms: 3200,
        compression: CompressionType::None,
    }
}

fn accumulator(batch_size: u32, linger_ms: u64) -> RecordAccumulator {
    RecordAccumulator::new(config(batch_size, linger_ms), 1)
}

#[test]
fn test_full() {
    // 1025+61 bytes, linger 10: 68 "key"/"value" records fill one batch, nothing is ready;
    // the 69th opens a second batch and node 0 becomes ready; the drained batch has 68.
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1025 + 61, 10);
    let r = record("key", "value");
    for i in 0..68 {
        append(&mut acc, 0, Some(0), i, &r, false, 0, &mut rng, &c);
        assert!(
            acc.ready(&c, 0, false, &mut Rng::new(0))
                .ready_nodes
                .is_empty(),
            "record {i}: not yet ready"
        );
    }
    let res = append(&mut acc, 0, Some(0), 68, &r, false, 0, &mut rng, &c);
    assert!(res.new_batch_created && res.batch_is_full);
    let ready = acc.ready(&c, 0, false, &mut Rng::new(0)).ready_nodes;
    assert_eq!(ready, VecSet::from([0]));
    let drained = acc.drain(&c, &ready, i32::MAX as u32, 0, &mut Rng::new(0), None);
    assert_eq!(drained[&0][0].records.len(), 68);
}

#[test]
fn test_linger() {
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1024 + 61, 10);
    append(
        &mut acc,
        0,
        Some(0),
        0,
        &record("key", "value"),
        false,
        0,
        &mut rng,
        &c,
    );
    let at0 = acc.ready(&c, 0, false, &mut Rng::new(0));
    assert!(at0.ready_nodes.is_empty());
    assert_eq!(at0.next_ready_check_delay_ms, Some(10));
    let at10 = acc.ready(&c, 10, false, &mut Rng::new(0));
    assert_eq!(at10.ready_nodes, VecSet::from([0]));
    let drained = acc.drain(
        &c,
        &at10.ready_nodes,
        i32::MAX as u32,
        0,
        &mut Rng::new(0),
        None,
    );
    assert_eq!(drained[&0].len(), 1);
    assert_eq!(drained[&0][0].records.len(), 1);
}

#[test]
fn test_next_ready_check_delay() {
    let (c, mut rng) = (cluster(), Rng::new(0));
    let mut acc = accumulator(1025 + 61, 10);
    let r = record("key", "value");
    for i in 0..68 {
        append(&mut acc, 0, Some(0), i, &r, false, 0, &mut rng, &c);
    }
    let res = acc.ready(&c, 0, false, &mut Rng::new(0));
    assert!(res.ready_nodes.is_empty());
    assert_eq!(res.next_ready_check_delay_ms, Some(10));
    for i in 0..68 {
        append(&mut acc, 0, Some(2), i, &r, false, 5, &mut rng, &c);
    }
    let res = acc.ready(&c, 5, false, &mut Rng::new(0));
    assert!(res.ready_nodes.is_empty());
    assert_eq!(res.next_ready_check_delay_ms, Some(5));
    for i in 0..69 {
        append(&mut acc, 0, Some(1), i, &r, false, 5, &mut rng, &c);
    }
    let res = acc.ready(&c, 5, false, &mut Rng::new(0));
    assert_eq!(res.ready_nodes, VecSet::from([0]));
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
            append(&mut acc, 0, Some(p), i, &r, false, 0, &mut rng, &c);
        }
    }
    let ready = acc.ready(&c, 0, false, &mut Rng::new(0)).ready_nodes;
    let drained = acc.drain(&c, &ready, 1024, 0, &mut Rng::new(0), None);
    assert_eq!(drained[&0].len(), 1);
}

#[test]
fn test_uniform_built_in_partitioner() {
    // RecordAccumulatorTest.testUniformBuiltInPartitioner: batch.size 1024, random 0,1,2,…
    // A small null-key record goes to the first pick (p0). A 1024-byte one needs a new
    // batch there that is not full, so the switch is postponed: p0 again. Each further
    // 1024-byte record closes the open batch, completes the switch, and moves on.
    let c = cluster();
    let mut random = Counter::default();
    let mut acc = accumulator(1024, 0);
    let (small, large) = (unkeyed(5), unkeyed(1024));
    let mut append = |i, r: &RecordRef, random: &mut Counter| {
        append(&mut acc, 0, None, i, r, false, 0, random, &c).partition
    };
    assert_eq!(append(0, &small, &mut random), 0);
    assert_eq!(random.0, 1);
    assert_eq!(append(1, &large, &mut random), 0);
    assert_eq!(random.0, 1, "switch postponed: the new batch is not full");
    for (i, expected, draws) in [(2, 1, 2), (3, 2, 3), (4, 0, 4)] {
        assert_eq!(append(i, &large, &mut random), expected);
        assert_eq!(random.0, draws);
    }
}

/// RecordAccumulatorTest.testDrainBatches: one record per batch (batch.size 66), each
/// drain limited to one batch per node, `append` adding a record to each partition named
/// before the drain; returns the partitions each drain took, by node then position.
fn drains(version: KafkaVersion, rounds: &[(&[u32], Option<u32>, u32)]) -> Vec<Vec<u32>> {
    // Partitions 0 and 1 led by node 0, 2 and 3 by node 1.
    let (c, mut rng) = (led_by(&[0, 0, 1, 1]), Rng::new(0));
    let mut acc = RecordAccumulator::new(
        AccumulatorConfig {
            version,
            ..config(66, 0)
        },
        1,
    );
    let r = record("key", "value");
    let tp = |partition| TopicPartition {
        topic: 0,
        partition,
    };
    let mut index = 0;
    let mut taken = Vec::new();
    for &(append_to, muted, limit) in rounds {
        for &p in append_to {
            append(&mut acc, 0, Some(p), index, &r, false, 0, &mut rng, &c);
            index += 1;
        }
        if let Some(p) = muted {
            acc.mute(tp(p));
        }
        let ready = acc.ready(&c, 0, false, &mut Rng::new(0)).ready_nodes;
        let drained = acc.drain(&c, &ready, limit, 0, &mut Rng::new(0), None);
        taken.push(
            drained
                .iter()
                .flat_map(|(_, batches)| batches.iter().map(|b| b.tp.partition))
                .collect(),
        );
        if let Some(p) = muted {
            acc.unmute(tp(p));
        }
    }
    taken
}

#[test]
fn test_drain_batches() {
    // producer.md §9 case 12. Each node's drain starts after the partition it looked at
    // last, so no partition starves; a muted partition is skipped; an unlimited drain
    // takes every partition's batch.
    let one = 66;
    let rounds: [(&[u32], Option<u32>, u32); 5] = [
        (&[0, 1, 2, 3], None, one),
        (&[0, 2], None, one),
        (&[], None, one),
        (&[1, 2, 3], Some(3), one),
        (&[0, 1, 2], None, u32::MAX),
    ];
    assert_eq!(
        drains(KafkaVersion::latest(), &rounds),
        [
            vec![0, 2],
            vec![1, 3],
            vec![0, 2],
            vec![1, 2],
            vec![0, 1, 2, 3]
        ]
    );
    // Before 3.3 one drain index served every node (KAFKA-13834): set past the partition
    // that did not fit, it wraps back to each node's first, so while partitions 0 and 2
    // have batches, 1 and 3 are never drained.
    let kafka_13834 = drains(KafkaVersion::new(3, 2, 3), &rounds[..2]);
    assert_eq!(kafka_13834, [vec![0, 2], vec![0, 2]]);
}

#[test]
fn test_adaptive_built_in_partitioner() {
    // RecordAccumulatorTest.testAdaptiveBuiltInPartitioner: batch.size 128, availability
    // timeout 100, queue lengths {1,7,2} → weights {7,1,6}; two cycles of 14 null-key
    // appends follow them exactly. Then node 0 (leader of p0, p1) waits 200 ms to drain and
    // its partitions leave the table: everything goes to p2.
    let c = cluster();
    let mut random = Counter::default();
    let mut acc = RecordAccumulator::new(
        AccumulatorConfig {
            adaptive: true,
            availability_timeout_ms: 100,
            ..config(128, 0)
        },
        1,
    );
    let large = unkeyed(128);
    let mut index = 0;
    for (p, len) in [(0, 1), (1, 7), (2, 2)] {
        for _ in 0..len {
            append(
                &mut acc,
                0,
                Some(p),
                index,
                &large,
                false,
                0,
                &mut random,
                &c,
            );
            index += 1;
        }
    }
    acc.ready(&c, 1000, false, &mut Rng::new(0));
    let stats = acc.built_in_partitioner(0).load_stats().unwrap();
    assert_eq!(stats.cumulative_frequency, vec![7, 8, 14]);
    // Prime: partitions switch after an append.
    append(&mut acc, 0, None, index, &large, false, 0, &mut random, &c);
    let mut counts = [0; 3];
    for _ in 0..28 {
        index += 1;
        let p = append(&mut acc, 0, None, index, &large, false, 0, &mut random, &c).partition;
        counts[p as usize] += 1;
    }
    assert_eq!(counts, [14, 2, 12]);

    acc.update_node_latency_stats(0, 800, true);
    acc.update_node_latency_stats(0, 1000, false);
    acc.ready(&c, 1000, false, &mut Rng::new(0));
    index += 1;
    append(&mut acc, 0, None, index, &large, false, 0, &mut random, &c);
    for _ in 0..10 {
        index += 1;
        let p = append(&mut acc, 0, None, index, &large, false, 0, &mut random, &c).partition;
        assert_eq!(p, 2);
    }
}

#[test]
fn test_built_in_partitioner_fractional_batches() {
    // RecordAccumulatorTest.testBuiltInPartitionerFractionalBatches: batch.size 512 (also
    // the sticky limit), linger 10. Each round appends about 2/3 of a batch (ten 32-byte
    // null-key records) and waits 10 ms: exactly one batch is ready, more than half and
    // less than batch.size — the partitioner did not switch mid-batch and leave fractions.
    let (c, mut rng) = (cluster(), Rng::new(5));
    let mut acc = accumulator(512, 10);
    let value = unkeyed(32);
    let mut index = 0;
    for round in 0..10u64 {
        let now = round * 10;
        for _ in 0..10 {
            append(&mut acc, 0, None, index, &value, false, now, &mut rng, &c);
            index += 1;
        }
        let nodes = acc.ready(&c, now + 10, false, &mut rng).ready_nodes;
        assert_eq!(nodes.len(), 1, "round {round}: one leader ready");
        let drained = acc.drain(&c, &nodes, i32::MAX as u32, now + 10, &mut rng, None);
        let batches: Vec<_> = drained.into_values().flatten().collect();
        assert_eq!(batches.len(), 1, "round {round}: one batch ready");
        let size = batches[0].size_in_bytes;
        assert!(size > 256 && size < 512, "round {round}: {size} bytes");
        assert_eq!(size, 61 + 10 * 39);
    }
}
