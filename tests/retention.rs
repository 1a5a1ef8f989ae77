//! Log segments and retention, case by case from Kafka's `UnifiedLogTest` (segment rolls,
//! `deleteOldSegments` by size, time and log start offset, the high-watermark bound, the
//! epoch cache and the last stable offset after deletion), then in whole runs: the
//! `kafka-log-retention` task's schedule, a follower following its leader's log start,
//! a follower left behind it starting over, and a consumer reset by `auto.offset.reset`
//! (`shared/kafka/broker.md` §1, §8, error table).

use kafka_lab::broker::log::Retention;
use kafka_lab::broker::partition::{LeaderAppend, Partition};
use kafka_lab::config::{BrokerConfig, LogConfig, TopicConfig};
use kafka_lab::controller::PartitionRegistration;
use kafka_lab::errors::Errors;
use kafka_lab::ledger::Ledger;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::net::{WireBatch, WireRecord};
use kafka_lab::record::{RecordBlock, RecordData};
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::vec_map::VecMap;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};

const TP: TopicPartition = TopicPartition {
    topic: 0,
    partition: 0,
};

/// Every batch below is one record of this many bytes on the wire.
const R: u64 = 100;

/// Broker 0 leading a partition replicated on `replicas`, with this log config.
fn leader(replicas: &[u32], log: LogConfig) -> Partition {
    let config = TopicConfig {
        log,
        ..TopicConfig::default()
    };
    let registration = PartitionRegistration {
        replicas: replicas.to_vec(),
        isr: replicas.to_vec(),
        leader: Some(0),
        leader_epoch: 0,
        partition_epoch: 0,
    };
    Partition::new(TP, 0, &registration, &config, 0)
}

fn log_config(segment_bytes: u64, retention_ms: i64, retention_bytes: i64) -> LogConfig {
    LogConfig {
        segment_bytes,
        retention_ms,
        retention_bytes,
        ..LogConfig::default()
    }
}

/// One batch of one record with timestamp `timestamp`, appended at `now`.
fn append_at(p: &mut Partition, timestamp: u64, now: u64) -> LeaderAppend {
    append_batch(p, 1, R as u32, timestamp, -1, false, now)
}

fn append_batch(
    p: &mut Partition,
    records: usize,
    bytes: u32,
    timestamp: u64,
    producer_id: i64,
    transactional: bool,
    now: u64,
) -> LeaderAppend {
    let data = RecordBlock::default().make(RecordData {
        key: None,
        value: Serializer::String.serialize(Some("test")).unwrap(),
        timestamp,
    });
    let base_sequence = if producer_id < 0 {
        -1
    } else {
        p.producer_state
            .entry(producer_id)
            .and_then(|e| e.batches.back().map(|b| b.last_seq))
            .map_or(0, |s| s + 1)
    };
    let batch = WireBatch {
        tp: TP,
        batch: 0,
        producer_id,
        producer_epoch: if producer_id < 0 { -1 } else { 0 },
        base_sequence,
        records: (0..records as u32)
            .map(|i| WireRecord {
                data: data.clone(),
                send_index: i,
            })
            .collect(),
        size_in_bytes: bytes,
        transactional,
    };
    p.append_records_to_leader(0, &batch, now)
}

/// The high watermark of a single-replica leader: its log end.
fn commit_all(p: &mut Partition, now: u64) {
    p.maybe_increment_high_watermark(now, 30_000, KafkaVersion::latest(), &[]);
    assert_eq!(p.high_watermark(), p.log.log_end_offset());
}

fn bases(p: &Partition) -> Vec<u64> {
    p.log.segments().iter().map(|s| s.base_offset).collect()
}

#[test]
fn a_segment_rolls_before_a_batch_would_take_it_past_segment_bytes() {
    // testSizeBasedLogRoll: segment.bytes = 10 × (set size − 1).
    let mut p = leader(&[0], log_config(10 * (R - 1), -1, -1));
    assert_eq!(
        p.log.segments().len(),
        1,
        "a log begins with one empty segment"
    );
    for _ in 0..11 {
        append_at(&mut p, 0, 0);
    }
    // Nine batches (900 bytes) fit; the tenth would make 1,000 > 990.
    assert_eq!(bases(&p), [0, 9]);
    assert_eq!(p.log.segments()[0].bytes, 9 * R);
    assert_eq!(p.log.size_in_bytes(), 11 * R);
}

#[test]
fn a_segment_rolls_once_a_batch_is_more_than_segment_ms_past_its_first_batch() {
    // testTimeBasedLogRollDuringAppend, with timestamps: rolls follow the records'
    // timestamps, not the clock.
    let log = LogConfig {
        segment_ms: 3_600,
        ..LogConfig::default()
    };
    let mut p = leader(&[0], log);
    append_at(&mut p, 10_000, 10_000);
    append_at(&mut p, 13_600, 20_000);
    assert_eq!(bases(&p), [0], "exactly segment.ms later: no roll");
    append_at(&mut p, 13_601, 20_000);
    assert_eq!(
        bases(&p),
        [0, 2],
        "more than segment.ms past the first batch"
    );
    append_at(&mut p, 13_601, 90_000);
    assert_eq!(
        bases(&p),
        [0, 2],
        "the wall clock does not roll a segment with timestamps"
    );
}

#[test]
fn a_batch_larger_than_segment_bytes_is_refused_with_record_list_too_large() {
    let mut p = leader(&[0], log_config(1_000, -1, -1));
    match append_batch(&mut p, 3, 1_001, 0, -1, false, 0) {
        LeaderAppend::Rejected { error, reason } => {
            assert_eq!(error, Errors::RecordListTooLarge);
            assert_eq!(error.name(), "RECORD_LIST_TOO_LARGE");
            assert!(reason.contains("exceeds the maximum configured segment size of 1000"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(p.log.log_end_offset(), 0);
    assert_eq!(
        append_batch(&mut p, 3, 1_000, 0, -1, false, 0),
        LeaderAppend::Appended { base_offset: 0 }
    );
}

#[test]
fn retention_bytes_deletes_the_oldest_segments_while_the_log_is_over_by_a_whole_one() {
    // shouldDeleteSizeBasedSegments: 15 batches in segments of 5, retention.bytes = 10.
    let mut p = leader(&[0], log_config(5 * R, -1, 10 * R as i64));
    for _ in 0..15 {
        append_at(&mut p, 0, 0);
    }
    assert_eq!(bases(&p), [0, 5, 10]);
    commit_all(&mut p, 0);
    assert_eq!(p.delete_old_segments(0), [(Retention::Size, 1)]);
    assert_eq!(bases(&p), [5, 10]);
    assert_eq!(p.log.log_start_offset(), 5);
    assert_eq!(p.log.records().first().map(|r| r.offset), Some(5));
    assert_eq!(
        p.log.records().get(4),
        None,
        "below the log start: forgotten"
    );

    // shouldNotDeleteSizeBasedSegmentsWhenUnderRetentionSize.
    let mut p = leader(&[0], log_config(5 * R, -1, 15 * R as i64));
    for _ in 0..15 {
        append_at(&mut p, 0, 0);
    }
    commit_all(&mut p, 0);
    assert_eq!(p.delete_old_segments(0), []);
    assert_eq!(bases(&p), [0, 5, 10]);
}

#[test]
fn retention_ms_deletes_segments_whose_newest_record_is_older_even_the_active_one() {
    // shouldDeleteTimeBasedSegmentsReadyToBeDeleted: every record at timestamp 10,
    // retention.ms 10000: all three segments go, the active one after a roll.
    let now = 1_000_000;
    let mut p = leader(&[0], log_config(5 * R, 10_000, -1));
    for _ in 0..15 {
        append_at(&mut p, 10, now);
    }
    commit_all(&mut p, now);
    assert_eq!(p.delete_old_segments(now), [(Retention::Time, 3)]);
    assert_eq!(bases(&p), [15]);
    assert_eq!(p.log.segments()[0].bytes, 0);
    assert_eq!((p.log.log_start_offset(), p.log.log_end_offset()), (15, 15));
    assert!(p.log.records().iter().next().is_none());

    // shouldNotDeleteTimeBasedSegmentsWhenNoneReadyToBeDeleted.
    let mut p = leader(&[0], log_config(5 * R, 10_000_000, -1));
    for _ in 0..15 {
        append_at(&mut p, now, now);
    }
    commit_all(&mut p, now);
    assert_eq!(p.delete_old_segments(now), []);
    assert_eq!(bases(&p), [0, 5, 10]);
}

#[test]
fn segments_at_or_above_the_high_watermark_are_never_deleted() {
    // testCannotDeleteSegmentsAtOrAboveHighWatermark, with a follower holding the high
    // watermark where the test sets it.
    let now = 1_000_000;
    let mut p = leader(&[0, 1], log_config(5 * R, 999, -1));
    for _ in 0..100 {
        append_at(&mut p, now - 1_000, now);
    }
    assert!(p.log.segments().len() > 5);
    for hw in 0..=100 {
        p.update_follower_fetch_state(1, hw, now);
        p.maybe_increment_high_watermark(now, 30_000, KafkaVersion::latest(), &[]);
        assert_eq!(p.high_watermark(), hw);
        p.delete_old_segments(now);
        assert!(p.log.log_start_offset() <= hw);
        let segments = p.log.segments();
        assert!(segments[0].base_offset <= hw, "{hw}");
        assert!(segments[0].base_offset >= p.log.log_start_offset());
        assert!(segments[1..].iter().all(|s| s.base_offset > hw), "{hw}");
    }
    assert_eq!(p.log.log_start_offset(), 100);
    assert_eq!(p.log.segments().len(), 1);
    assert_eq!(p.log.segments()[0].bytes, 0);
}

#[test]
fn the_epoch_cache_starts_at_the_new_log_start() {
    // testDeleteOldSegments: epochs 0 from 40 and 1 from 90; all expired.
    let now = 1_000_000;
    let mut p = leader(&[0], log_config(5 * R, 999, -1));
    for _ in 0..100 {
        append_at(&mut p, now - 1_000, now);
    }
    p.epoch_cache.assign(0, 40);
    p.epoch_cache.assign(1, 90);
    // No high watermark yet: nothing is eligible.
    let segments = p.log.segments().len();
    assert_eq!(p.delete_old_segments(now), []);
    assert_eq!(
        (p.log.segments().len(), p.log.log_start_offset()),
        (segments, 0)
    );
    commit_all(&mut p, now);
    p.delete_old_segments(now);
    assert_eq!(p.log.segments().len(), 1);
    let entries: Vec<(u32, u64)> = p
        .epoch_cache
        .entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect();
    assert_eq!(entries, [(1, 100)], "the latest epoch, from the log end");
}

#[test]
fn segments_wholly_below_the_log_start_offset_are_deleted_whatever_the_policy() {
    // testLogDeletionAfterDeleteRecords (the log start moved by a leader, for a follower).
    let mut p = leader(&[0], log_config(5 * R, -1, -1));
    for _ in 0..15 {
        append_at(&mut p, 0, 0);
    }
    commit_all(&mut p, 0);
    for (start, segments) in [(1, 3), (6, 2), (15, 1)] {
        p.increment_log_start_offset(start);
        p.delete_old_segments(0);
        assert_eq!(p.log.segments().len(), segments, "{start}");
        assert_eq!(p.log.log_start_offset(), start);
    }
}

#[test]
fn the_last_stable_offset_never_falls_below_the_log_start() {
    // testLastStableOffsetDoesNotExceedLogStartOffsetMidSegment: an open transaction
    // from offset 0, the log start moved to 5.
    let mut p = leader(&[0], LogConfig::default());
    append_batch(&mut p, 5, 500, 0, 1, true, 0);
    append_batch(&mut p, 3, 300, 0, -1, false, 0);
    commit_all(&mut p, 0);
    assert_eq!(p.last_stable_offset(), 0);
    p.increment_log_start_offset(5);
    assert_eq!(p.last_stable_offset(), 5);
}

#[test]
fn a_truncation_keeps_the_producer_state_of_records_already_deleted() {
    // The idempotent producer's entry comes only from records below the log start; a
    // truncation reloads producer state from there (Kafka: from the snapshot at the log
    // start), so a retry is still recognised as a duplicate.
    let mut p = leader(&[0], log_config(5 * R, -1, -1));
    for _ in 0..5 {
        append_batch(&mut p, 1, R as u32, 0, 7, false, 0);
    }
    for _ in 0..5 {
        append_at(&mut p, 0, 0);
    }
    commit_all(&mut p, 0);
    p.increment_log_start_offset(5);
    p.truncate_to(8, 0);
    let entry = p.producer_state.entry(7).expect("kept");
    assert_eq!(entry.batches.back().map(|b| b.last_seq), Some(4));
}

#[test]
fn segment_bytes_is_checked_against_the_version_s_minimum() {
    let props = |v: &str| VecMap::from([("segment.bytes".to_string(), v.to_string())]);
    let v39 = KafkaVersion::parse("3.9").unwrap();
    let v40 = KafkaVersion::parse("4.0").unwrap();
    assert!(TopicConfig::parse(&props("14"), v39).is_ok());
    let e = TopicConfig::parse(&props("13"), v39).unwrap_err();
    assert!(e[0].message.contains("Value must be at least 14"), "{e:?}");
    // KIP-1030: 1 MiB from 4.0.
    let e = TopicConfig::parse(&props("1048575"), v40).unwrap_err();
    assert!(
        e[0].message.contains("Value must be at least 1048576"),
        "{e:?}"
    );
    assert!(TopicConfig::parse(&props("1048576"), v40).is_ok());
    let e = TopicConfig::parse(&props("x"), v40).unwrap_err();
    assert_eq!(e[0].key.as_deref(), Some("segment.bytes"));
}

#[test]
fn broker_configs_are_checked_per_version() {
    let props = |k: &str, v: &str| VecMap::from([(k.to_string(), v.to_string())]);
    let v37 = KafkaVersion::parse("3.7").unwrap();
    let v38 = KafkaVersion::parse("3.8").unwrap();
    let c = BrokerConfig::parse(&props("log.retention.check.interval.ms", "1000"), v37).unwrap();
    assert_eq!(c.retention_check_interval_ms, 1000);
    let e = BrokerConfig::parse(&props("log.retention.check.interval.ms", "0"), v37).unwrap_err();
    assert!(e[0].message.contains("Value must be at least 1"), "{e:?}");
    // An internal config from 3.8 on.
    let c = BrokerConfig::parse(&props("log.initial.task.delay.ms", "0"), v38).unwrap();
    assert_eq!(c.initial_task_delay_ms, 0);
    let e = BrokerConfig::parse(&props("log.initial.task.delay.ms", "0"), v37).unwrap_err();
    assert!(e[0].message.contains("only from Kafka 3.8"), "{e:?}");
    // The leader balance's, with Kafka's defaults; the interval at least 1 (Kafka's own
    // rule from 3.2 on, KAFKA-13682).
    let v31 = KafkaVersion::parse("3.1").unwrap();
    let c = BrokerConfig::parse(&VecMap::new(), v37).unwrap();
    assert_eq!(
        (
            c.auto_leader_rebalance,
            c.leader_imbalance_check_interval_s,
            c.leader_imbalance_per_broker_percentage
        ),
        (true, 300, 10)
    );
    let c = BrokerConfig::parse(&props("auto.leader.rebalance.enable", "FALSE"), v31).unwrap();
    assert!(!c.auto_leader_rebalance);
    let c = BrokerConfig::parse(&props("leader.imbalance.per.broker.percentage", "-5"), v31);
    assert_eq!(c.unwrap().leader_imbalance_per_broker_percentage, -5);
    let key = "leader.imbalance.check.interval.seconds";
    let e = BrokerConfig::parse(&props(key, "0"), v37).unwrap_err();
    assert_eq!(
        e[0].message,
        format!("Invalid value 0 for configuration {key}: Value must be at least 1")
    );
    let e = BrokerConfig::parse(&props(key, "0"), v31).unwrap_err();
    assert!(
        e[0].message
            .contains("from 3.2; before, it checks without pause"),
        "{e:?}"
    );
    let e = BrokerConfig::parse(&props(key, "soon"), v31).unwrap_err();
    assert!(!e[0].message.contains("from 3.2"), "{e:?}");
    // In a scenario: the field's path.
    let json = r#"{"brokers":1,"topics":[],"until_ms":1,"broker_config":{"log.retention.check.interval.ms":"soon"}}"#;
    let Err(errors) = Simulation::new(&Scenario::from_json(json).unwrap()) else {
        panic!("a broker config that is not a number is refused");
    };
    assert_eq!(
        errors[0].path,
        "broker_config.log.retention.check.interval.ms"
    );
}

/// A 3.9 cluster of 3 brokers, one partition on all three, a 100-byte record a
/// millisecond all run long (`acks=all`, `linger.ms=0`), with `topic` and `broker` configs
/// and extra actions, and a consumer with `consumer` configs.
fn scenario(topic: &str, broker: &str, consumer: &str, actions: &str, until_ms: u64) -> Scenario {
    let json = format!(
        r#"{{"seed":3,"kafka_version":"3.9","brokers":3,
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,"config":{{{topic}}}}}],
            "producers":[{{"name":"p","config":{{"acks":"all","linger.ms":"0"}}}}],
            "consumers":[{{"name":"c","topics":["t"],"config":{{{consumer}}}}}],
            "broker_config":{{{broker}}},
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","key":null,"value_bytes":100,"count":{until_ms},"interval_ms":1}}{actions}],
            "until_ms":{until_ms}}}"#
    );
    Scenario::from_json(&json).expect("valid")
}

fn run(s: &Scenario) -> Simulation {
    let mut sim = Simulation::new(s).expect("valid");
    sim.record_trace();
    sim.run();
    sim
}

fn deletions(sim: &Simulation) -> Vec<(u64, u32, u64)> {
    sim.trace()
        .iter()
        .filter_map(|(at, e)| match e {
            TraceEvent::SegmentsDeleted {
                broker,
                log_start_offset,
                ..
            } => Some((*at, *broker, *log_start_offset)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_retention_task_runs_30_s_after_start_then_every_check_interval() {
    let s = scenario(
        r#""segment.ms":"2000","retention.ms":"5000""#,
        r#""log.retention.check.interval.ms":"10000""#,
        "",
        "",
        41_000,
    );
    let sim = run(&s);
    let d = deletions(&sim);
    // Every broker, leader or follower, at every run of the task and only then.
    let runs: std::collections::BTreeSet<(u64, u32)> =
        d.iter().map(|(at, b, _)| (*at, *b)).collect();
    let expected: std::collections::BTreeSet<(u64, u32)> = [30_000, 40_000]
        .iter()
        .flat_map(|&t| (0..3).map(move |b| (t, b)))
        .collect();
    assert_eq!(runs, expected, "{d:?}");
    for (at, broker, start) in &d {
        let p = &sim.brokers()[*broker as usize].partitions[&TP];
        // Kept: what is younger than retention.ms, in whole segments.
        let first = p.log.records().first().expect("records kept");
        assert!(
            first.data().timestamp + 5_000 + 2_000 + 100 >= *at,
            "{at}: {first:?}"
        );
        assert!(p.log.log_start_offset() >= *start);
    }
    // Followers' log starts follow the leader's through their fetches, and the three
    // logs agree from there.
    let starts: Vec<u64> = (0..3)
        .map(|b| sim.brokers()[b].partitions[&TP].log.log_start_offset())
        .collect();
    assert!(starts.iter().all(|&s| s > 0), "{starts:?}");
    let committed = sim.committed_replica(TP).expect("a leader");
    assert!(committed.log.log_start_offset() <= committed.high_watermark());
    // What retention deleted was acknowledged, and is not lost: it expired.
    let ledger = Ledger::of(&sim);
    assert_eq!(ledger.lost, 0, "{ledger:?}");
    assert!(
        ledger.expired >= committed.log.log_start_offset() - 10,
        "{ledger:?}"
    );
    let sampler = sim.sampler();
    let counts = sampler.ledger.at(sampler.closed() - 1).expect("a window");
    assert_eq!(counts.lost, 0, "{counts:?}");
}

#[test]
fn a_follower_behind_its_leader_s_log_start_empties_its_log_and_starts_there() {
    // Broker 2 is down from 1 s to 32 s; retention deletes on the leader at 30 s what
    // broker 2 would fetch next.
    let s = scenario(
        r#""segment.ms":"2000","retention.ms":"5000""#,
        r#""log.retention.check.interval.ms":"10000""#,
        "",
        r#",{"at_ms":1000,"action":"crash_broker","broker":2},{"at_ms":32000,"action":"restart_broker","broker":2}"#,
        40_000,
    );
    let sim = run(&s);
    let restarted: Vec<(u64, u64)> = sim
        .trace()
        .iter()
        .filter_map(|(_, e)| match e {
            TraceEvent::LogRestarted {
                broker: 2,
                from,
                log_start_offset,
                ..
            } => Some((*from, *log_start_offset)),
            _ => None,
        })
        .collect();
    assert_eq!(restarted.len(), 1, "{restarted:?}");
    let (from, start) = restarted[0];
    assert!(from < start, "{from} < {start}");
    let follower = &sim.brokers()[2].partitions[&TP];
    let leader = sim.committed_replica(TP).expect("a leader");
    assert!(follower.log.log_start_offset() >= start);
    assert!(follower.log.log_end_offset() + 10 >= leader.log.log_end_offset());
    assert!(
        follower.isr.contains(&2),
        "back in the ISR: {:?}",
        follower.isr
    );
    // Its records are the leader's (the leader's last deletion, at the end of the run,
    // has not reached it yet).
    let from = leader.log.log_start_offset() as usize;
    for r in follower.log.records().iter_from(from) {
        let l = leader.log.records().get(r.offset as usize);
        assert_eq!(
            l.map(|l| (l.origin(), l.leader_epoch)),
            Some((r.origin(), r.leader_epoch))
        );
    }
}

#[test]
fn a_consumer_whose_position_retention_deleted_is_reset_by_auto_offset_reset() {
    // The consumer takes one batch per fetch (max.partition.fetch.bytes 1; the first
    // batch always comes), and each fetch waits fetch.max.wait.ms for a fetch.min.bytes
    // it cannot get: it falls behind, and retention deletes past its position.
    for (reset, earliest) in [("earliest", true), ("latest", false)] {
        let s = scenario(
            r#""segment.ms":"2000","retention.ms":"5000""#,
            r#""log.retention.check.interval.ms":"10000""#,
            &format!(
                r#""max.partition.fetch.bytes":"1","fetch.min.bytes":"1048576","fetch.max.wait.ms":"500","auto.offset.reset":"{reset}""#
            ),
            "",
            31_000,
        );
        let sim = run(&s);
        let resets: Vec<(u64, u64, u64)> = sim
            .trace()
            .iter()
            .filter_map(|(at, e)| match e {
                TraceEvent::ConsumerOffsetReset { from, to, .. } => Some((*at, *from, *to)),
                _ => None,
            })
            .collect();
        assert_eq!(resets.len(), 1, "{reset}: {resets:?}");
        let (at, from, to) = resets[0];
        assert!(at >= 30_000);
        let leader = sim.committed_replica(TP).expect("a leader");
        let start = leader.log.log_start_offset();
        assert!(from < start, "{reset}: {from} < {start}");
        if earliest {
            assert_eq!(to, start, "earliest: the log start");
        } else {
            assert!(to > start + 1_000, "latest: the high watermark, {to}");
        }
    }
}
