//! Replication (`shared/kafka/broker.md` §2–§5): followers fetch, the leader's high
//! watermark follows the ISR, `acks=all` waits for it, `min.insync.replicas` refuses
//! writes when the ISR is too small, and a lagging follower leaves the ISR after
//! `replica.lag.time.max.ms`; and replicas placed at topic creation as Kafka places them
//! (§12).

use kafka_lab::metadata::place_replicas;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::run_json;
use serde_json::Value;
use std::collections::BTreeMap;

fn scenario(rf: u32, min_isr: u32, acks: &str, extra_actions: &str, until_ms: u64) -> String {
    format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":3,"network":{{"latency_ms":5}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":{rf},"replica_assignment":[{}],
                        "config":{{"min.insync.replicas":"{min_isr}"}}}}],
            "producers":[{{"name":"p","config":{{"acks":"{acks}","linger.ms":"0","enable.idempotence":"false"}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":50,"interval_ms":100}}{extra_actions}],
            "until_ms":{until_ms}}}"#,
        serde_json::to_string(&(0..rf).collect::<Vec<_>>()).unwrap()
    )
}

fn metric(r: &Value, name: &str) -> f64 {
    r["metrics"]["producers"]["p"][name].as_f64().unwrap()
}

fn partition(r: &Value) -> &Value {
    &r["partitions"][0]
}

#[test]
fn followers_copy_the_log_and_acks_all_waits_for_them() {
    // Leader 0, followers 1 and 2. acks=all is answered once the high watermark passes the
    // batch: a follower fetch carries the records, and its next fetch tells the leader it
    // has them — two more round trips than acks=1 (10 ms each here).
    let all = run_json(&scenario(3, 1, "all", "", 10_000));
    let one = run_json(&scenario(3, 1, "1", "", 10_000));
    for r in [&all, &one] {
        let p = partition(r);
        assert_eq!(p["isr"], serde_json::json!([0, 1, 2]));
        assert_eq!(p["high_watermark"], 50);
        for replica in p["replicas"].as_array().unwrap() {
            assert_eq!(
                replica["log_end_offset"], 50,
                "every replica has every record"
            );
        }
    }
    assert_eq!(metric(&one, "request-latency-avg"), 10.0);
    assert_eq!(metric(&all, "request-latency-avg"), 20.0);
}

#[test]
fn a_lagging_follower_holds_acks_all_until_it_leaves_the_isr() {
    // broker.md §2, §5 and seed-corrections §2.3.5: acks=all waits for every ISR member,
    // not min.insync.replicas of them. Follower 2's fetches take 60 s from t=1000: every
    // acks=all write waits (HW stalls) until the leader drops it from the ISR — not caught
    // up for more than replica.lag.time.max.ms (30 s), seen by the isr-expiration task that
    // runs every 15 s, so at t=45000 — and, once the controller has committed the
    // AlterPartition (one round trip, 10 ms), completes at once with ISR [0, 1].
    let slow = r#",{"at_ms":1000,"action":"slow_follower","broker":2,"extra_latency_ms":60000}"#;
    let s = scenario(3, 2, "all", slow, 50_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run_until(44_999);
    let leader = &sim.brokers()[0].partitions.values().next().unwrap();
    assert_eq!(leader.isr, vec![0, 1, 2]);
    let stalled_hw = leader.high_watermark();
    assert!(
        stalled_hw < leader.log.log_end_offset(),
        "HW waits for broker 2"
    );
    sim.run_until(45_009);
    let leader = &sim.brokers()[0].partitions.values().next().unwrap();
    assert_eq!(leader.pending_isr, Some(vec![0, 1]), "proposed at 45000");
    assert_eq!(
        leader.high_watermark(),
        stalled_hw,
        "no benefit until committed"
    );
    sim.run_until(45_010);
    let leader = &sim.brokers()[0].partitions.values().next().unwrap();
    assert_eq!(leader.isr, vec![0, 1]);
    assert_eq!(sim.brokers()[0].isr_shrinks, 1);
    assert!(
        leader.high_watermark() > stalled_hw,
        "HW moves on without broker 2"
    );
}

/// The scenario with `replica.lag.time.max.ms` set to `lag` on every broker.
fn with_lag(json: &str, lag: &str) -> Scenario {
    let config = format!(r#""brokers":3,"broker_config":{{"replica.lag.time.max.ms":"{lag}"}},"#);
    Scenario::from_json(&json.replacen(r#""brokers":3,"#, &config, 1)).unwrap()
}

#[test]
fn a_lagging_follower_leaves_the_isr_after_the_configured_lag() {
    // The same slow follower with replica.lag.time.max.ms = 5000: the isr-expiration task
    // runs every 2.5 s, and broker 2, last caught up at about 1 s, is out at the check of
    // 7.5 s, not 45 s; the AlterPartition commits one round trip later.
    let slow = r#",{"at_ms":1000,"action":"slow_follower","broker":2,"extra_latency_ms":60000}"#;
    let mut sim = Simulation::new(&with_lag(&scenario(3, 2, "all", slow, 20_000), "5000")).unwrap();
    let isr = |sim: &Simulation| {
        sim.brokers()[0]
            .partitions
            .values()
            .next()
            .unwrap()
            .isr
            .clone()
    };
    sim.run_until(7_499);
    assert_eq!(isr(&sim), vec![0, 1, 2]);
    sim.run_until(7_510);
    assert_eq!(isr(&sim), vec![0, 1]);
    assert_eq!(sim.brokers()[0].isr_shrinks, 1);
}

#[test]
fn a_lag_below_the_follower_fetch_wait_is_refused_with_kafkas_rule() {
    // `KafkaConfig` requires replica.fetch.wait.max.ms (500) ≤ replica.lag.time.max.ms.
    for (lag, rule) in [
        ("499", "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms"),
        ("-1", "to prevent frequent changes in ISR"),
        ("soon", "Not a number of type LONG"),
    ] {
        let errors = Simulation::new(&with_lag(&scenario(3, 1, "all", "", 1_000), lag)).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "broker_config.replica.lag.time.max.ms");
        assert!(errors[0].message.contains(rule), "{lag}: {errors:?}");
    }
    assert!(Simulation::new(&with_lag(&scenario(3, 1, "all", "", 1_000), "500")).is_ok());
}

#[test]
fn min_insync_replicas_refuses_acks_all_but_not_acks_1() {
    // RF 2, min.insync.replicas 2: once follower 1 has left the ISR, acks=all gets
    // NOT_ENOUGH_REPLICAS (retriable: retried until delivery.timeout.ms), acks=1 goes on.
    let slow = r#",{"at_ms":1000,"action":"slow_follower","broker":1,"extra_latency_ms":600000}"#;
    let all = run_json(&scenario(2, 2, "all", slow, 200_000));
    let failed: Vec<&Value> = all["sends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().all(|s| s["error"] == "TimeoutException"));
    assert_eq!(partition(&all)["isr"], serde_json::json!([0]));
    let b0 = &all["metrics"]["brokers"]["0"];
    assert_eq!(b0["UnderReplicatedPartitions"], 1);
    assert_eq!(b0["UnderMinIsrPartitionCount"], 1);
    assert_eq!(b0["IsrShrinksPerSec"], 1);
    assert_eq!(b0["LeaderCount"], 1);
    assert!(
        metric(&all, "record-retry-total") > 10.0,
        "NOT_ENOUGH_REPLICAS is retried"
    );

    let one = run_json(&scenario(2, 2, "1", slow, 200_000));
    assert!(one["sends"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["outcome"] == "acked"));
}

#[test]
fn a_follower_that_catches_up_rejoins_the_isr() {
    // broker.md §5: expansion on a fetch that reaches the leader's HW.
    let slow = r#",{"at_ms":1000,"action":"slow_follower","broker":2,"extra_latency_ms":60000},{"at_ms":50000,"action":"slow_follower","broker":2,"extra_latency_ms":0}"#;
    let s = scenario(3, 1, "1", slow, 120_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run();
    let b0 = &sim.brokers()[0];
    assert_eq!(b0.isr_shrinks, 1);
    assert_eq!(b0.isr_expands, 1);
    assert_eq!(b0.partitions.values().next().unwrap().isr, vec![0, 1, 2]);
}

#[test]
fn a_slow_broker_slows_every_message_to_and_from_it() {
    // slow_broker: +100 ms each way on every message to or from broker 0, the leader.
    let slow = r#",{"at_ms":0,"action":"slow_broker","broker":0,"extra_latency_ms":100}"#;
    let r = run_json(&scenario(1, 1, "1", slow, 10_000));
    assert_eq!(metric(&r, "request-latency-avg"), 210.0);
    // Restored with 0: back to 10 ms for requests sent after it.
    let restore = r#",{"at_ms":0,"action":"slow_broker","broker":0,"extra_latency_ms":100},{"at_ms":2450,"action":"slow_broker","broker":0,"extra_latency_ms":0}"#;
    let r = run_json(&scenario(1, 1, "1", restore, 10_000));
    assert_eq!(metric(&r, "request-latency-max"), 210.0);
    assert!(metric(&r, "request-latency-avg") < 210.0);
}

#[test]
fn a_connection_is_served_one_request_at_a_time() {
    // The broker reads a connection's next request only after answering the previous one
    // (SocketServer mutes the channel): with acks=all waiting ~200 ms for a slowed follower,
    // five requests in flight do not mean five appends — each batch is appended only once
    // the previous response is out (5 ms before the producer sees it here).
    let slow = r#",{"at_ms":0,"action":"slow_follower","broker":1,"extra_latency_ms":200}"#;
    let s =
        scenario(2, 1, "all", slow, 10_000).replace(r#""interval_ms":100"#, r#""interval_ms":10"#);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    use kafka_lab::trace::TraceEvent;
    let mut appended = kafka_lab::vec_map::VecMap::new();
    let mut acked = kafka_lab::vec_map::VecMap::new();
    for (t, e) in sim.trace() {
        match e {
            TraceEvent::Appended { batch, .. } => {
                appended.insert(*batch, *t);
            }
            TraceEvent::BatchCompleted { batch, .. } => {
                acked.insert(*batch, *t);
            }
            _ => {}
        }
    }
    let batches: Vec<u32> = appended.keys().copied().collect();
    assert!(batches.len() > 3, "{batches:?}");
    for w in batches.windows(2) {
        assert!(
            appended[&w[1]] >= acked[&w[0]] - 5,
            "batch {} appended at {} before batch {}'s response left at {}",
            w[1],
            appended[&w[1]],
            w[0],
            acked[&w[0]] - 5
        );
    }
}

#[test]
fn a_follower_fetch_sees_the_append_its_own_progress_let_through() {
    // acks=all, pipelined requests: the broker reads one request per connection at a time,
    // so the follower fetch that moves the high watermark completes the produce request
    // and the connection's next request is appended at once. That fetch must not then be
    // held 500 ms (replica.fetch.wait.max.ms) for data that is already there: each batch
    // takes a few round trips, and the producer keeps up with 1,000 records/s.
    let json = r#"{"seed":1,"kafka_version":"4.0","brokers":3,"network":{"latency_ms":10},
        "topics":[{"name":"t","partitions":3,"replication_factor":3}],
        "producers":[{"name":"p","config":{"acks":"all"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b","c","d"],"value_bytes":100,"count":2000,"interval_ms":1}],
        "until_ms":2000}"#;
    let r = run_json(json);
    let pending = r["sends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "pending")
        .count();
    // About 100 ms of records in flight; held fetches made it ~1,500 (the backlog grew).
    assert!(pending < 200, "{pending} records still pending after 2 s");
}

/// Kafka's test `MockRandom` (`server-common/…/util/MockRandom.java`) behind `Random`'s
/// `nextInt(bound)`: the draws Kafka's placement tests are written against.
struct MockRandom(u64);

impl MockRandom {
    fn new() -> Self {
        MockRandom(17)
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.0 = self
            .0
            .wrapping_mul(2862933555777941757)
            .wrapping_add(3037000493);
        (self.0 >> (64 - bits)) as i32
    }

    /// `java.util.Random.nextInt(int bound)`.
    fn next_int(&mut self, bound: u32) -> u32 {
        let bound = bound as i32;
        let m = bound - 1;
        let mut r = self.next(31);
        if bound & m == 0 {
            return ((bound as i64 * r as i64) >> 31) as u32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r as u32;
            }
            u = self.next(31);
        }
    }
}

fn placed(version: &str, brokers: u32, partitions: u32, rf: u32) -> Vec<Vec<u32>> {
    let mut random = MockRandom::new();
    place_replicas(
        KafkaVersion::parse(version).unwrap(),
        brokers,
        partitions,
        rf,
        &mut |n| random.next_int(n),
    )
}

/// broker.md case 25: `StripedReplicaPlacerTest` (KRaft) with Kafka's `MockRandom`.
#[test]
fn striped_replica_placement_matches_kafkas_tests() {
    // testSuccessfulPlacement: a stripe from the drawn offset 2, then a reshuffled list
    // whose offset has gone on counting.
    assert_eq!(
        placed("4.0", 4, 5, 3),
        [[2, 3, 0], [3, 0, 1], [0, 1, 2], [1, 2, 3], [1, 0, 2]]
    );
    // testPlaceShiftsInitialOffsetsRackUnaware, a new topic on 12 brokers.
    assert_eq!(placed("4.0", 12, 2, 3), [[7, 8, 9], [8, 9, 10]]);
    // testEvenDistribution: 200 partitions of RF 2 on 4 brokers, 50 reshuffles.
    let mut counts: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
    for replicas in placed("4.0", 4, 200, 2) {
        *counts.entry(replicas).or_insert(0) += 1;
    }
    let expected = [
        ([0, 1], 14),
        ([0, 2], 22),
        ([0, 3], 14),
        ([1, 0], 17),
        ([1, 2], 17),
        ([1, 3], 16),
        ([2, 0], 13),
        ([2, 1], 17),
        ([2, 3], 20),
        ([3, 0], 20),
        ([3, 1], 19),
        ([3, 2], 11),
    ];
    let counts: Vec<(Vec<u32>, u32)> = counts.into_iter().collect();
    let expected: Vec<(Vec<u32>, u32)> = expected.iter().map(|(r, c)| (r.to_vec(), *c)).collect();
    assert_eq!(counts, expected);
}

/// broker.md case 25: `AdminRackAwareTest.testReplicaAssignment` (ZooKeeper, before 3.3),
/// start index and shift 0.
#[test]
fn zookeeper_replica_assignment_matches_kafkas_test() {
    let a = place_replicas(KafkaVersion::parse("3.2").unwrap(), 5, 10, 3, &mut |_| 0);
    assert_eq!(
        a,
        [
            [0, 1, 2],
            [1, 2, 3],
            [2, 3, 4],
            [3, 4, 0],
            [4, 0, 1],
            [0, 2, 3],
            [1, 3, 4],
            [2, 4, 0],
            [3, 0, 1],
            [4, 1, 2]
        ]
    );
}
