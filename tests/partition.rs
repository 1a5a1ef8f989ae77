//! The leader's replica bookkeeping, case by case from Kafka's `PartitionTest`
//! (`shared/kafka/broker.md` §13, cases 1–5, 8, 11): follower fetch state, ISR shrink and
//! expansion, and the high watermark. ISR changes apply at once here (the AlterPartition
//! round trip to the controller is not modelled yet), so Kafka's "pending" steps collapse
//! into their committed outcome.

use kafka_lab::broker::partition::Partition;
use kafka_lab::broker::REPLICA_LAG_TIME_MAX_MS as LAG;
use kafka_lab::config::TopicConfig;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::net::WireBatch;
use kafka_lab::record::RecordData;
use kafka_lab::serializer::Serializer;
use kafka_lab::version::KafkaVersion;
use std::rc::Rc;

const TP: TopicPartition = TopicPartition {
    topic: 0,
    partition: 0,
};

/// Broker 0 leading `replicas` (leader first), with `min.insync.replicas`.
fn leader(replicas: &[u32], min_isr: u32) -> Partition {
    let config = TopicConfig {
        min_insync_replicas: min_isr,
        ..TopicConfig::default()
    };
    Partition::new(TP, 0, replicas.to_vec(), 0, &config)
}

/// Appends `n` records to the leader's log.
fn append(p: &mut Partition, n: usize, now: u64) {
    let data = Rc::new(RecordData {
        key: None,
        value: Serializer::String.serialize(Some("v")).unwrap(),
        timestamp: now,
    });
    let batch = WireBatch {
        tp: TP,
        batch: 0,
        producer_id: -1,
        producer_epoch: -1,
        base_sequence: -1,
        records: vec![data; n],
        send_indices: (0..n as u32).collect(),
        size_in_bytes: 100,
    };
    p.append_records_to_leader(0, &batch, now);
}

/// Kafka's tests make the leader at a mock time far from 0, where followers outside the
/// ISR have their last caught-up time (0, unknown): long past the lag.
const T0: u64 = 1_000_000;

fn hw(p: &mut Partition, now: u64) -> u64 {
    p.maybe_increment_high_watermark(now, LAG, KafkaVersion::latest());
    p.high_watermark()
}

#[test]
fn maybe_shrink_isr() {
    // PT.testMaybeShrinkIsr: follower 1 fetches to the end, follower 2 never fetches.
    let mut p = leader(&[0, 1, 2], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 10, 0);
    assert!(p.maybe_shrink_isr(0, LAG).is_empty());
    assert_eq!(hw(&mut p, 0), 0, "follower 2 is in the ISR at offset 0");
    assert_eq!(p.maybe_shrink_isr(LAG + 1, LAG), vec![2]);
    assert_eq!(p.isr, vec![0, 1]);
    assert_eq!(hw(&mut p, LAG + 1), 10);
}

#[test]
fn should_not_shrink_isr_if_follower_caught_up_to_log_end() {
    // PT.testShouldNotShrinkIsrIfFollowerCaughtUpToLogEnd: equal to the leader's LEO means
    // in sync, however long ago the fetch was.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 10, 0);
    assert_eq!(hw(&mut p, 0), 10);
    assert!(p.maybe_shrink_isr(LAG + 1, LAG).is_empty());
}

#[test]
fn should_not_shrink_isr_if_previous_fetch_is_caught_up() {
    // PT.testShouldNotShrinkIsrIfPreviousFetchIsCaughtUp: a fetch reaching the LEO the
    // leader had at the previous fetch counts as caught up at that previous time.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 5, 5000);
    assert_eq!(hw(&mut p, 5000), 5);
    assert_eq!(p.followers[&1].last_caught_up_ms, 0);
    append(&mut p, 5, 10_000);
    p.update_follower_fetch_state(1, 10, 10_001);
    assert_eq!(p.followers[&1].last_caught_up_ms, 5000);
    assert_eq!(hw(&mut p, 10_001), 10);
    assert!(p.maybe_shrink_isr(10_001, LAG).is_empty());
}

#[test]
fn update_follower_fetch_state() {
    // PT.testUpdateFollowerFetchState.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 6, 0);
    p.update_follower_fetch_state(1, 3, 500);
    assert_eq!(p.followers[&1].log_end_offset, 3);
    assert_eq!(p.followers[&1].last_caught_up_ms, 0);
    p.update_follower_fetch_state(1, 6, 1000);
    assert_eq!(p.followers[&1].last_caught_up_ms, 1000);
}

#[test]
fn isr_expansion() {
    // PT.testIsrExpansion: a follower rejoins once its fetch reaches the high watermark.
    let mut p = leader(&[0, 1], 1);
    p.isr = vec![0];
    append(&mut p, 10, T0);
    assert_eq!(hw(&mut p, T0), 10, "the ISR is the leader alone");
    assert!(!p.update_follower_fetch_state(1, 3, T0 + 100));
    assert_eq!(p.isr, vec![0]);
    assert!(p.update_follower_fetch_state(1, 10, T0 + 200));
    assert_eq!(p.isr, vec![0, 1]);
}

#[test]
fn high_watermark_does_not_advance_under_min_isr() {
    // PT.testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR (3.7+, KAFKA-15583):
    // min ISR 3, ISR [0,1]. Follower 1 at the end changes nothing; follower 2 joining
    // brings the ISR to 3 and the HW to 10.
    let mut p = leader(&[0, 1, 2], 3);
    p.isr = vec![0, 1];
    append(&mut p, 10, T0);
    p.update_follower_fetch_state(1, 10, T0 + 100);
    assert_eq!(hw(&mut p, T0 + 100), 0);
    p.update_follower_fetch_state(2, 10, T0 + 200);
    assert_eq!(p.isr, vec![0, 1, 2]);
    assert_eq!(hw(&mut p, T0 + 200), 10);

    // Before 3.7 the HW is not frozen: the ISR [0, 1] alone decides.
    let mut old = leader(&[0, 1, 2], 3);
    old.isr = vec![0, 1];
    append(&mut old, 10, T0);
    old.update_follower_fetch_state(1, 10, T0 + 100);
    old.maybe_increment_high_watermark(T0 + 100, LAG, KafkaVersion::parse("3.6").unwrap());
    assert_eq!(old.high_watermark(), 10);
}

#[test]
fn under_min_isr() {
    // PT.testIsUnderMinIsr; and min ISR above RF, capped from 3.7 (KAFKA-15583).
    let mut p = leader(&[0, 1], 2);
    assert!(!p.not_enough_replicas(KafkaVersion::latest()));
    p.isr = vec![0];
    assert!(p.not_enough_replicas(KafkaVersion::latest()));
    let big = leader(&[0, 1], 3);
    assert!(
        !big.not_enough_replicas(KafkaVersion::latest()),
        "3.7+: min(3, RF 2)"
    );
    assert!(big.not_enough_replicas(KafkaVersion::parse("3.6").unwrap()));
}

#[test]
fn a_caught_up_follower_outside_the_isr_still_holds_the_high_watermark() {
    // broker.md §4 (KAFKA-4485): HW counts followers that are caught up within
    // replica.lag.time.max.ms, in the ISR or not.
    let mut p = leader(&[0, 1], 1);
    p.isr = vec![0];
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 10, 0);
    p.isr = vec![0];
    append(&mut p, 10, 1000);
    assert_eq!(
        hw(&mut p, 1000),
        10,
        "follower 1 caught up at 0, within the lag"
    );
    assert_eq!(
        hw(&mut p, LAG + 1),
        20,
        "no longer caught up: the leader alone decides"
    );
}
