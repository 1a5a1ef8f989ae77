//! The leader's replica bookkeeping, case by case from Kafka's `PartitionTest`
//! (`shared/kafka/broker.md` §13, cases 1–5, 7–11): follower fetch state, ISR shrink and
//! expansion proposed to the controller (pending until AlterPartition answers), and the
//! high watermark.

use kafka_lab::broker::partition::Partition;
use kafka_lab::config::TopicConfig;
use kafka_lab::controller::PartitionRegistration;
use kafka_lab::errors::Errors;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::net::{WireBatch, WireRecord};
use kafka_lab::record::{RecordBlock, RecordData};
use kafka_lab::serializer::Serializer;
use kafka_lab::version::KafkaVersion;

/// `replica.lag.time.max.ms`, Kafka's default.
const LAG: u64 = 30_000;

const TP: TopicPartition = TopicPartition {
    topic: 0,
    partition: 0,
};

/// Broker 0 leading `replicas` (leader first) with that ISR, and `min.insync.replicas`.
fn leader_with_isr(replicas: &[u32], isr: &[u32], min_isr: u32) -> Partition {
    let config = TopicConfig {
        min_insync_replicas: min_isr,
        ..TopicConfig::default()
    };
    let registration = PartitionRegistration {
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        leader: Some(0),
        leader_epoch: 0,
        partition_epoch: 0,
    };
    Partition::new(TP, 0, &registration, &config, 0)
}

fn leader(replicas: &[u32], min_isr: u32) -> Partition {
    leader_with_isr(replicas, replicas, min_isr)
}

/// Proposes `isr` as the broker does.
fn propose(p: &mut Partition, isr: Vec<u32>) {
    p.pending_isr = Some(isr);
}

/// The controller commits the pending ISR (partition epoch + 1).
fn commit(p: &mut Partition) -> Option<Vec<u32>> {
    let registration = PartitionRegistration {
        replicas: p.replicas.clone(),
        isr: p.pending_isr.clone().expect("a change in flight"),
        leader: p.leader,
        leader_epoch: p.leader_epoch,
        partition_epoch: p.partition_epoch + 1,
    };
    p.alter_partition_response(Ok(registration))
}

/// Appends `n` records to the leader's log.
fn append(p: &mut Partition, n: usize, now: u64) {
    let data = RecordBlock::default().make(RecordData {
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
        records: (0..n as u32)
            .map(|i| WireRecord {
                data: data.clone(),
                send_index: i,
            })
            .collect(),
        size_in_bytes: 100,
        transactional: false,
    };
    p.append_records_to_leader(0, &batch, now);
}

/// Kafka's tests make the leader at a mock time far from 0, where followers outside the
/// ISR have their last caught-up time (0, unknown): long past the lag.
const T0: u64 = 1_000_000;

fn hw(p: &mut Partition, now: u64) -> u64 {
    p.maybe_increment_high_watermark(now, LAG, KafkaVersion::latest(), &[]);
    p.high_watermark()
}

#[test]
fn maybe_shrink_isr() {
    // PT.testMaybeShrinkIsr: follower 1 fetches to the end, follower 2 never fetches.
    let mut p = leader(&[0, 1, 2], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 10, 0);
    assert_eq!(p.maybe_shrink_isr(0, LAG), None);
    assert_eq!(
        hw(&mut p, 0),
        0,
        "follower 2 is in the ISR at an unknown offset"
    );
    let shrunk = p.maybe_shrink_isr(LAG + 1, LAG).expect("2 is out of sync");
    assert_eq!(shrunk, vec![0, 1]);
    propose(&mut p, shrunk);
    // Pending: the ISR and the maximal ISR are still [0, 1, 2]; HW stays.
    assert_eq!(p.isr, vec![0, 1, 2]);
    assert_eq!(p.maximal_isr(), vec![0, 1, 2]);
    assert_eq!(hw(&mut p, LAG + 1), 0);
    assert_eq!(commit(&mut p), Some(vec![0, 1]));
    assert_eq!(p.partition_epoch, 1);
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
    assert_eq!(p.maybe_shrink_isr(LAG + 1, LAG), None);
}

#[test]
fn should_not_shrink_isr_if_previous_fetch_is_caught_up() {
    // PT.testShouldNotShrinkIsrIfPreviousFetchIsCaughtUp: a fetch reaching the LEO the
    // leader had at the previous fetch counts as caught up at that previous time.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 5, 5000);
    assert_eq!(hw(&mut p, 5000), 5);
    assert_eq!(p.followers[&1].last_caught_up_ms, Some(0));
    append(&mut p, 5, 10_000);
    p.update_follower_fetch_state(1, 10, 10_001);
    assert_eq!(p.followers[&1].last_caught_up_ms, Some(5000));
    assert_eq!(hw(&mut p, 10_001), 10);
    assert_eq!(p.maybe_shrink_isr(10_001, LAG), None);
}

#[test]
fn update_follower_fetch_state() {
    // PT.testUpdateFollowerFetchState.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 6, 0);
    assert_eq!(
        p.followers[&1].log_end_offset, None,
        "unknown to a new leader"
    );
    p.update_follower_fetch_state(1, 3, 500);
    assert_eq!(p.followers[&1].log_end_offset, Some(3));
    assert_eq!(p.followers[&1].last_caught_up_ms, Some(0));
    p.update_follower_fetch_state(1, 6, 1000);
    assert_eq!(p.followers[&1].last_caught_up_ms, Some(1000));
}

#[test]
fn isr_expansion() {
    // PT.testIsrExpansion: a follower rejoins once its fetch reaches the high watermark;
    // while pending it already counts (maximal ISR).
    let mut p = leader_with_isr(&[0, 1], &[0], 1);
    append(&mut p, 10, T0);
    assert_eq!(hw(&mut p, T0), 10, "the ISR is the leader alone");
    assert_eq!(p.update_follower_fetch_state(1, 3, T0 + 100), None);
    let expanded = p.update_follower_fetch_state(1, 10, T0 + 200);
    assert_eq!(expanded, Some(vec![0, 1]));
    propose(&mut p, expanded.unwrap());
    assert_eq!(p.isr, vec![0]);
    assert_eq!(p.maximal_isr(), vec![0, 1]);
    assert_eq!(commit(&mut p), Some(vec![0, 1]));
    assert_eq!(p.isr, vec![0, 1]);
}

#[test]
fn retry_shrink_isr() {
    // PT.testRetryShrinkIsr (broker.md case 9): follower 1 never fetches; the shrink to [0]
    // is answered NETWORK_EXCEPTION, stays pending (the AlterPartitionManager resends it),
    // and the maximal ISR holds the high watermark at 0 until the controller commits it.
    let mut p = leader(&[0, 1], 1);
    append(&mut p, 10, 0);
    let shrunk = p.maybe_shrink_isr(LAG + 1, LAG).expect("1 is out of sync");
    assert_eq!(shrunk, vec![0]);
    propose(&mut p, shrunk);
    assert_eq!(
        p.alter_partition_response(Err(Errors::NetworkException)),
        None
    );
    assert_eq!(p.pending_isr, Some(vec![0]), "still in flight");
    assert_eq!(p.maximal_isr(), vec![0, 1]);
    assert_eq!(hw(&mut p, LAG + 2), 0);
    assert_eq!(commit(&mut p), Some(vec![0]));
    assert_eq!(hw(&mut p, LAG + 3), 10);
}

#[test]
fn no_expansion_when_the_update_fails() {
    // PT.testIsrNotExpandedIfUpdateFails: INVALID_UPDATE_VERSION leaves the change pending
    // until new metadata; INELIGIBLE_REPLICA returns to the committed state.
    let mut p = leader_with_isr(&[0, 1], &[0], 1);
    append(&mut p, 10, T0);
    hw(&mut p, T0);
    let expanded = p.update_follower_fetch_state(1, 10, T0 + 1).unwrap();
    propose(&mut p, expanded);
    assert_eq!(
        p.alter_partition_response(Err(Errors::InvalidUpdateVersion)),
        None
    );
    assert_eq!((p.isr.clone(), p.maximal_isr()), (vec![0], vec![0, 1]));
    assert_eq!(
        p.update_follower_fetch_state(1, 10, T0 + 2),
        None,
        "one change in flight at a time"
    );
    assert_eq!(
        p.alter_partition_response(Err(Errors::IneligibleReplica)),
        None
    );
    assert_eq!((p.isr.clone(), p.pending_isr.clone()), (vec![0], None));
}

#[test]
fn high_watermark_does_not_advance_under_min_isr() {
    // PT.testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR (3.7+, KAFKA-15583):
    // min ISR 3, ISR [0,1]. Both followers at the end leave HW at 0 while follower 2's
    // expansion is pending (the committed ISR is under min ISR); the commit brings 10.
    let mut p = leader_with_isr(&[0, 1, 2], &[0, 1], 3);
    append(&mut p, 10, T0);
    p.update_follower_fetch_state(1, 10, T0 + 100);
    assert_eq!(hw(&mut p, T0 + 100), 0);
    let expanded = p.update_follower_fetch_state(2, 10, T0 + 200).unwrap();
    propose(&mut p, expanded);
    assert_eq!(hw(&mut p, T0 + 200), 0);
    commit(&mut p);
    assert_eq!(p.isr, vec![0, 1, 2]);
    assert_eq!(hw(&mut p, T0 + 200), 10);

    // Before 3.7 the HW is not frozen: the ISR [0, 1] alone decides.
    let mut old = leader_with_isr(&[0, 1, 2], &[0, 1], 3);
    append(&mut old, 10, T0);
    old.update_follower_fetch_state(1, 10, T0 + 100);
    old.maybe_increment_high_watermark(T0 + 100, LAG, KafkaVersion::parse("3.6").unwrap(), &[]);
    assert_eq!(old.high_watermark(), 10);
}

#[test]
fn high_watermark_increases_with_fenced_follower() {
    // PT.testHighWatermarkIncreasesWithFencedOrShutdownFollower (3.6+): the controller
    // takes a fenced follower out of the ISR (same leader epoch, new partition epoch) → HW
    // moves at once; an unfenced one, caught up within the lag, still holds it. Before 3.6
    // (KAFKA-15021 added the eligibility check) a fenced one holds it too. Past the lag,
    // neither does.
    let v35 = KafkaVersion::parse("3.5").unwrap();
    for (version, fenced, held) in [
        (KafkaVersion::latest(), true, false),
        (KafkaVersion::latest(), false, true),
        (v35, true, true),
    ] {
        let mut p = leader(&[0, 1], 1);
        append(&mut p, 10, T0);
        p.update_follower_fetch_state(1, 10, T0);
        assert_eq!(hw(&mut p, T0), 10);
        append(&mut p, 10, T0 + 1);
        let registration = PartitionRegistration {
            replicas: vec![0, 1],
            isr: vec![0],
            leader: Some(0),
            leader_epoch: 0,
            partition_epoch: 1,
        };
        assert!(!p.apply(&registration, T0 + 2), "same epoch: still leader");
        let ineligible: &[u32] = if fenced { &[1] } else { &[] };
        let case = format!("{version}, fenced: {fenced}");
        p.maybe_increment_high_watermark(T0 + 2, LAG, version, ineligible);
        assert_eq!(p.high_watermark(), if held { 10 } else { 20 }, "{case}");
        p.maybe_increment_high_watermark(T0 + LAG + 1, LAG, version, ineligible);
        assert_eq!(p.high_watermark(), 20, "{case}, past the lag");
    }
}

#[test]
fn under_min_isr() {
    // PT.testIsUnderMinIsr; and min ISR above RF, capped from 3.7 (KAFKA-15583).
    let p = leader(&[0, 1], 2);
    assert!(!p.not_enough_replicas(KafkaVersion::latest()));
    let p = leader_with_isr(&[0, 1], &[0], 2);
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
    let mut p = leader_with_isr(&[0, 1], &[0], 1);
    append(&mut p, 10, 0);
    p.update_follower_fetch_state(1, 10, 0);
    p.pending_isr = None;
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

#[test]
fn a_new_leader_waits_for_its_followers_and_the_epoch_start() {
    // PT.testFollowerDoesNotJoinISRUntilCaughtUpToOffsetWithinCurrentLeaderEpoch, reduced:
    // a follower at the HW but below the leader epoch start offset stays out of the ISR.
    let mut p = leader_with_isr(&[0, 1, 2], &[0, 2], 1);
    append(&mut p, 5, T0);
    let registration = PartitionRegistration {
        replicas: vec![0, 1, 2],
        isr: vec![0, 2],
        leader: Some(0),
        leader_epoch: 2,
        partition_epoch: 2,
    };
    assert!(p.apply(&registration, T0 + 1), "a new epoch: leader again");
    assert_eq!(p.leader_epoch_start_offset, 5);
    append(&mut p, 2, T0 + 2);
    assert_eq!(p.update_follower_fetch_state(1, 1, T0 + 3), None);
    assert_eq!(
        p.update_follower_fetch_state(1, 5, T0 + 4),
        Some(vec![0, 1, 2])
    );
}
