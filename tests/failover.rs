//! Broker failures (`shared/kafka/broker.md` §6–§8, issue 4's checks): the controller
//! fences a silent broker and elects new leaders from the ISR, producers find them through
//! metadata, `min.insync.replicas` refuses writes once too few replicas are left, and a
//! deposed `acks=1` leader truncates the records it acknowledged alone.

use kafka_lab::config::Acks;
use kafka_lab::controller::{
    BrokerChange, Controller, Election, PartitionChange, PartitionRegistration,
    BROKER_HEARTBEAT_INTERVAL_MS, BROKER_SESSION_TIMEOUT_MS,
};
use kafka_lab::effects::Effects;
use kafka_lab::errors::Errors;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta, TopicPartition};
use kafka_lab::net::{ProduceRequest, WireBatch, WireRecord};
use kafka_lab::record::{RecordBlock, RecordData};
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::{produce_responses, run_json};
use serde_json::Value;

fn scenario(acks: &str, extra: &str, actions: &str, until_ms: u64) -> String {
    format!(
        r#"{{"seed":7,"kafka_version":"4.0","brokers":3,"network":{{"latency_ms":5}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,"replica_assignment":[[0,1,2]],
                        "config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{{"name":"p","config":{{"acks":"{acks}","linger.ms":"0"{extra}}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":300,"interval_ms":100}}{actions}],
            "until_ms":{until_ms}}}"#
    )
}

fn sends(r: &Value) -> &Vec<Value> {
    r["sends"].as_array().unwrap()
}

fn run_sim(json: &str) -> Simulation {
    let mut sim = Simulation::new(&Scenario::from_json(json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    sim
}

#[test]
fn acks_all_survives_one_crash_and_refuses_writes_after_two() {
    // RF 3, min.insync.replicas 2, acks=all. Leader 0 crashes at 5 s: fenced 9 s after its
    // last heartbeat, broker 1 (first of [0,1,2] in the ISR) leads, the producer finds it
    // through metadata and every record is written. Broker 1 crashing at 20 s leaves the
    // ISR [2]: NOT_ENOUGH_REPLICAS, retried until delivery.timeout.ms. Nothing acknowledged
    // is ever lost.
    let one = r#",{"at_ms":5000,"action":"crash_broker","broker":0}"#;
    let r = run_json(&scenario("all", "", one, 60_000));
    assert!(
        sends(&r).iter().all(|s| s["outcome"] == "acked"),
        "one crash: all written"
    );
    assert_eq!(r["partitions"][0]["leader"], 1);
    assert_eq!(r["partitions"][0]["isr"], serde_json::json!([1, 2]));
    assert_eq!(r["ledger"]["lost"], 0);
    assert_eq!(
        r["ledger"]["duplicated"], 0,
        "idempotence (the default) dedups retries"
    );
    assert_eq!(r["metrics"]["controller"]["LeaderElectionRateAndTimeMs"], 1);
    assert_eq!(r["metrics"]["controller"]["FencedBrokerCount"], 1);

    let two = r#",{"at_ms":5000,"action":"crash_broker","broker":0},{"at_ms":20000,"action":"crash_broker","broker":1}"#;
    let json = scenario("all", r#","delivery.timeout.ms":"30000""#, two, 90_000);
    let r = run_json(&json);
    assert_eq!(r["partitions"][0]["leader"], 2);
    assert_eq!(r["partitions"][0]["isr"], serde_json::json!([2]));
    assert_eq!(r["ledger"]["lost"], 0);
    let failed: Vec<&Value> = sends(&r)
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .collect();
    assert!(
        !failed.is_empty(),
        "writes stop once the ISR is under min.insync.replicas"
    );
    let sim = run_sim(&json);
    let refused = sim.trace().iter().any(|(_, e)| {
        matches!(
            e,
            TraceEvent::BatchRejected {
                error: "NOT_ENOUGH_REPLICAS",
                broker: 2,
                ..
            }
        )
    });
    assert!(
        refused,
        "broker 2 refuses acks=all with NOT_ENOUGH_REPLICAS"
    );

    // Without retries the producer sees the broker's exception itself.
    let no_retries = r#","retries":"0","enable.idempotence":"false""#;
    let r = run_json(&scenario("all", no_retries, two, 90_000));
    assert!(sends(&r)
        .iter()
        .any(|s| s["error"] == "NotEnoughReplicasException"));
    assert_eq!(r["ledger"]["lost"], 0);
}

#[test]
fn acks_one_loses_what_only_the_crashed_leader_had() {
    // broker.md §8's worked example. Both followers' fetches are slowed to 1 s from the
    // start, so leader 0 acknowledges records (acks=1) that no follower has yet when it
    // crashes at 2.95 s. Broker 1 is elected; broker 0 restarts as a follower, fetches with
    // its last epoch, is told where the logs diverge, and truncates: the acknowledged
    // records are gone, and the ledger says so.
    let actions = r#",{"at_ms":0,"action":"slow_follower","broker":1,"extra_latency_ms":1000},
                     {"at_ms":0,"action":"slow_follower","broker":2,"extra_latency_ms":1000},
                     {"at_ms":2950,"action":"crash_broker","broker":0},
                     {"at_ms":20000,"action":"restart_broker","broker":0}"#;
    let json = scenario("1", r#","enable.idempotence":"false""#, actions, 40_000);
    let r = run_json(&json);
    let lost = r["ledger"]["lost"].as_u64().unwrap();
    assert!(lost > 0, "acknowledged records are gone: {}", r["ledger"]);
    assert_eq!(r["partitions"][0]["leader"], 1);
    let sim = run_sim(&json);
    let truncated = sim.trace().iter().find_map(|(_, e)| match e {
        TraceEvent::Truncated {
            broker: 0,
            from,
            to,
            ..
        } => Some((*from, *to)),
        _ => None,
    });
    let (from, to) = truncated.expect("broker 0 truncates its diverging tail");
    assert!(from > to);
    // Everything acknowledged at offsets ≥ `to` by the old leader before the crash is lost.
    let acked_on_0: u64 = sim.producers()[0]
        .sends
        .iter()
        .filter(|s| s.offset >= to as i64 && s.completed_ms().is_some_and(|t| t <= 2950))
        .count() as u64;
    assert_eq!(lost, acked_on_0);
    // Broker 0 came back, caught up and rejoined the ISR.
    assert_eq!(r["partitions"][0]["isr"], serde_json::json!([0, 1, 2]));
    let leo: Vec<u64> = r["partitions"][0]["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["log_end_offset"].as_u64().unwrap())
        .collect();
    assert!(
        leo.windows(2).all(|w| w[0] == w[1]),
        "replicas agree: {leo:?}"
    );

    // The same with acks=all: nothing acknowledged is lost.
    let json = scenario("all", "", actions, 40_000);
    assert_eq!(run_json(&json)["ledger"]["lost"], 0);
}

#[test]
fn an_isolated_leader_is_replaced_and_truncates_on_heal() {
    // Isolation: the broker keeps running, unaware. The controller hears nothing and
    // fences it; the producer's requests to it time out (request.timeout.ms) rather than
    // fail fast, then go to the new leader. Healed, the old leader learns it was deposed.
    let actions = r#",{"at_ms":3000,"action":"isolate_broker","broker":0},
                     {"at_ms":30000,"action":"heal_broker","broker":0}"#;
    let json = scenario("all", r#","request.timeout.ms":"5000""#, actions, 60_000);
    let sim = run_sim(&json);
    let events: Vec<&TraceEvent> = sim.trace().iter().map(|(_, e)| e).collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, TraceEvent::BrokerFenced { broker: 0 })));
    assert!(events
        .iter()
        .any(|e| matches!(e, TraceEvent::Disconnected { broker: 0, .. })));
    assert!(events.iter().any(|e| matches!(
        e,
        TraceEvent::BecameLeaderOrFollower {
            broker: 0,
            leader: false,
            ..
        }
    )));
    let r = run_json(&json);
    assert!(sends(&r).iter().all(|s| s["outcome"] == "acked"));
    assert_eq!(r["ledger"]["lost"], 0);
    assert_eq!(r["ledger"]["duplicated"], 0);
    assert_eq!(r["partitions"][0]["isr"], serde_json::json!([0, 1, 2]));
}

#[test]
fn a_restart_before_the_session_expires_still_moves_leadership() {
    // A restarted broker's new registration is refused while its old session is valid
    // (DuplicateBrokerRegistrationException): it is fenced first, leaders move, and only
    // then is it unfenced — as a follower.
    let actions = r#",{"at_ms":4100,"action":"crash_broker","broker":0},
                     {"at_ms":5000,"action":"restart_broker","broker":0}"#;
    let sim = run_sim(&scenario("all", "", actions, 30_000));
    let at =
        |f: &dyn Fn(&TraceEvent) -> bool| sim.trace().iter().find(|(_, e)| f(e)).map(|(t, _)| *t);
    let fenced = at(&|e| matches!(e, TraceEvent::BrokerFenced { broker: 0 })).unwrap();
    let unfenced = at(&|e| matches!(e, TraceEvent::BrokerUnfenced { broker: 0 })).unwrap();
    // Last heartbeat at 4000 (every 2 s from 0): session ends after 4000 + 9000.
    assert_eq!(fenced, 4000 + BROKER_SESSION_TIMEOUT_MS + 1);
    assert_eq!(unfenced, fenced);
    assert_eq!(sim.cluster().topics[0].partitions[0].leader, Some(1));
    assert_eq!(4000 % BROKER_HEARTBEAT_INTERVAL_MS, 0);
}

fn cluster(brokers: u32, assignment: &[&[u32]]) -> Cluster {
    Cluster {
        brokers,
        topics: vec![TopicMeta::new(
            "t".into(),
            assignment
                .iter()
                .map(|r| PartitionMeta {
                    replicas: r.to_vec(),
                    leader: Some(r[0]),
                    leader_epoch: 0,
                })
                .collect(),
            Default::default(),
        )],
    }
}

fn tp(p: u32) -> TopicPartition {
    TopicPartition {
        topic: 0,
        partition: p,
    }
}

/// Fences `broker` through its session timing out.
fn fence(c: &mut Controller, broker: u32, out: &mut Vec<PartitionChange>) {
    c.lose_contact(broker, 0);
    let at = c.fence_at(broker).unwrap();
    c.on_timer(at, out);
}

#[test]
fn fence_multiple_brokers() {
    // RCMT.testFenceMultipleBrokers: p0 [1,2,3], p1 [2,3,4], p2 [0,2,1]; fence 2 and 3.
    let mut c = Controller::new(
        KafkaVersion::latest(),
        &cluster(5, &[&[1, 2, 3], &[2, 3, 4], &[0, 2, 1]]),
    );
    let mut out = Vec::new();
    fence(&mut c, 2, &mut out);
    fence(&mut c, 3, &mut out);
    let p = |i: u32| {
        (
            c.partitions[&tp(i)].leader,
            c.partitions[&tp(i)].isr.clone(),
        )
    };
    assert_eq!(p(0), (Some(1), vec![1]));
    assert_eq!(p(1), (Some(4), vec![4]));
    assert_eq!(p(2), (Some(0), vec![0, 1]));
    assert_eq!(c.partitions[&tp(1)].leader_epoch, 2, "leader 2 → 3 → 4");
}

#[test]
fn elect_unclean_leaders_without_elr() {
    // RCMT.testElectUncleanLeaders_WithoutElr, with the automatic unclean election of 3.9+
    // (KAFKA-12670) standing in for the explicit request: fence 2, 3, then 1 → p0 offline
    // with ISR [1] (never emptied); unfencing 2 elects it only where unclean election is on.
    let assignment: &[&[u32]] = &[&[1, 2, 3], &[2, 3, 4], &[0, 2, 1]];
    let mut c = Controller::new(KafkaVersion::latest(), &cluster(5, assignment));
    let mut out = Vec::new();
    for b in [2, 3, 1] {
        fence(&mut c, b, &mut out);
    }
    let p = |c: &Controller, i: u32| {
        (
            c.partitions[&tp(i)].leader,
            c.partitions[&tp(i)].isr.clone(),
        )
    };
    assert_eq!(p(&c, 0), (None, vec![1]));
    assert_eq!(p(&c, 1), (Some(4), vec![4]));
    assert_eq!(p(&c, 2), (Some(0), vec![0]));
    assert_eq!(c.offline_partitions(), 1);
    out.clear();
    c.regain_contact(2, false, 20_000, &mut out);
    assert_eq!(p(&c, 0), (None, vec![1]), "clean only: 2 is not in the ISR");

    let mut unclean = cluster(5, assignment);
    unclean.topics[0].config.unclean_leader_election = true;
    for (version, elects) in [("3.9", true), ("3.8", false), ("3.2", true)] {
        let mut c = Controller::new(KafkaVersion::parse(version).unwrap(), &unclean);
        let mut out = Vec::new();
        for b in [2, 3, 1] {
            fence(&mut c, b, &mut out);
        }
        out.clear();
        c.regain_contact(2, false, 20_000, &mut out);
        if elects {
            assert_eq!(p(&c, 0), (Some(2), vec![2]), "{version}");
            assert_eq!(out[0].election, Some(Election::Unclean));
            assert_eq!(c.unclean_leader_elections, 1);
        } else {
            assert_eq!(
                p(&c, 0).0,
                None,
                "{version}: KRaft ignores the config before 3.9"
            );
        }
    }
}

#[test]
fn leader_epochs_bump_on_leader_changes_and_old_kraft_shrinks() {
    // broker.md §7: leader 1/epoch 0 → fenced sole ISR member → −1/epoch 1 → back 1/epoch 2.
    let mut c = Controller::new(KafkaVersion::latest(), &cluster(2, &[&[1]]));
    let mut out = Vec::new();
    fence(&mut c, 1, &mut out);
    assert_eq!(
        (
            c.partitions[&tp(0)].leader,
            c.partitions[&tp(0)].leader_epoch
        ),
        (None, 1)
    );
    c.regain_contact(1, false, 20_000, &mut out);
    assert_eq!(
        (
            c.partitions[&tp(0)].leader,
            c.partitions[&tp(0)].leader_epoch
        ),
        (Some(1), 2)
    );

    // PCBT.testNoLeaderEpochBumpOnIsrShrink / testLeaderEpochBumpOnIsrShrink: an
    // AlterPartition shrink [2,1,3] → [2,1] bumps the epoch in KRaft before 3.6 only, and an
    // expansion never does.
    for (version, bump) in [("3.5", true), ("3.6", false), ("4.0", false)] {
        let mut c = Controller::new(
            KafkaVersion::parse(version).unwrap(),
            &cluster(4, &[&[2, 1, 3]]),
        );
        let mut out = Vec::new();
        let r = c
            .alter_partition(2, tp(0), 0, 0, vec![2, 1], &mut out)
            .unwrap();
        assert_eq!(
            (r.leader_epoch, r.partition_epoch),
            (bump as u32, 1),
            "{version}"
        );
        let r = c
            .alter_partition(2, tp(0), r.leader_epoch, 1, vec![2, 1, 3], &mut out)
            .unwrap();
        assert_eq!(
            r.leader_epoch, bump as u32,
            "{version}: expansion keeps the epoch"
        );
    }
}

#[test]
fn alter_partition_is_refused_from_stale_or_fenced_views() {
    let mut c = Controller::new(KafkaVersion::latest(), &cluster(3, &[&[0, 1, 2]]));
    let mut out = Vec::new();
    use kafka_lab::errors::Errors;
    assert_eq!(
        c.alter_partition(1, tp(0), 0, 0, vec![1, 2], &mut out),
        Err(Errors::FencedLeaderEpoch),
        "only the leader may change the ISR"
    );
    assert_eq!(
        c.alter_partition(0, tp(0), 0, 5, vec![0, 1], &mut out),
        Err(Errors::InvalidUpdateVersion)
    );
    c.alter_partition(0, tp(0), 0, 0, vec![0, 1], &mut out)
        .unwrap();
    fence(&mut c, 2, &mut out);
    assert_eq!(
        c.alter_partition(0, tp(0), 0, 1, vec![0, 1, 2], &mut out),
        Err(Errors::IneligibleReplica),
        "a fenced broker may not rejoin"
    );
}

#[test]
fn a_restarted_follower_catches_up_a_fetch_size_at_a_time() {
    // replica.fetch.max.bytes (1 MiB): broker 2, down while ~3 MB were written, copies them
    // back in several fetches of whole batches, then rejoins the ISR.
    let json = r#"{"seed":3,"kafka_version":"4.0","brokers":3,"network":{"latency_ms":5},
        "topics":[{"name":"t","partitions":1,"replication_factor":3,"replica_assignment":[[0,1,2]]}],
        "producers":[{"name":"p","config":{"acks":"1","linger.ms":"0"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","value_bytes":10000,"count":300,"interval_ms":10},
                   {"at_ms":100,"action":"crash_broker","broker":2},
                   {"at_ms":20000,"action":"restart_broker","broker":2}],
        "until_ms":40000}"#;
    let sim = run_sim(json);
    let steps: Vec<u64> = sim
        .trace()
        .iter()
        .filter_map(|(t, e)| match e {
            TraceEvent::Replicated {
                broker: 2,
                log_end_offset,
                ..
            } if *t > 20_000 => Some(*log_end_offset),
            _ => None,
        })
        .collect();
    assert!(steps.len() >= 3, "several fetches: {steps:?}");
    // About 10 KB a batch of one record: at most 1 MiB, about 104 of them, per fetch (it
    // had about 10 records when it crashed).
    assert!(steps[0] <= 10 + 105, "{steps:?}");
    assert!(steps.windows(2).all(|w| w[1] - w[0] <= 105), "{steps:?}");
    assert_eq!(*steps.last().unwrap(), 300);
    let leader = &sim.brokers()[0].partitions.values().next().unwrap();
    assert_eq!(leader.isr, vec![0, 1, 2]);
}

#[test]
fn before_kraft_the_zookeeper_session_decides() {
    // 2.8: the ZooKeeper session (18 s since 2.5, KIP-537; pings every 6 s) expires before
    // the controller moves leaders, and every controller-made ISR change bumps the epoch.
    let json = scenario(
        "all",
        "",
        r#",{"at_ms":7000,"action":"crash_broker","broker":0}"#,
        40_000,
    )
    .replace(r#""kafka_version":"4.0""#, r#""kafka_version":"2.8""#);
    let sim = run_sim(&json);
    let fenced = sim
        .trace()
        .iter()
        .find(|(_, e)| matches!(e, TraceEvent::BrokerFenced { broker: 0 }))
        .map(|(t, _)| *t);
    assert_eq!(fenced, Some(6000 + 18_000 + 1));
    assert_eq!(sim.cluster().topics[0].partitions[0].leader, Some(1));
}

#[test]
fn an_idempotent_producer_bumps_its_epoch_after_an_unclean_election() {
    // KIP-360: the uncleanly elected leader has no state past its short log, so the
    // producer's next sequence is OUT_OF_ORDER, and it is the next one after the last
    // acknowledged: no retry can close that gap. The idempotent producer retries every
    // OUT_OF_ORDER_SEQUENCE_NUMBER, and for this batch (no unresolved sequence, the next
    // one) it bumps its epoch first (`TransactionManager.canRetry`): the partition's
    // sequences start again at 0 and the batch is written — no OutOfOrderSequenceException
    // reaches the application. (exactly-once.md §4 says the batch fails; Kafka's source,
    // 2.5 to 4.0, retries it.)
    let json = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/unclean-election.json"),
    )
    .unwrap()
    .replace(
        r#""enable.idempotence": "false""#,
        r#""enable.idempotence": "true""#,
    );
    let sim = run_sim(&json);
    let bump = sim.trace().iter().find_map(|(t, e)| match e {
        TraceEvent::EpochBumped { producer_epoch, .. } => Some((*t, *producer_epoch)),
        _ => None,
    });
    let (at, epoch) = bump.expect("the epoch moves on");
    assert_eq!(epoch, 1);
    let rejected = sim.trace().iter().any(|(t, e)| {
        *t <= at
            && matches!(e, TraceEvent::BatchRejected { error, .. }
                if *error == "OUT_OF_ORDER_SEQUENCE_NUMBER")
    });
    assert!(rejected, "the gap is seen before the bump");
    let sends = &sim.producers()[0].sends;
    assert!(
        sends.iter().all(|s| s.error.is_none()),
        "nothing fails: {:?}",
        sends.iter().find_map(|s| s.error.as_ref())
    );
    let after: Vec<_> = sends.iter().filter(|s| s.created_ms > at).collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|s| s.offset >= 0),
        "records sent after the bump are written"
    );
    let ledger = kafka_lab::ledger::Ledger::of(&sim);
    assert_eq!((ledger.duplicated, ledger.pending), (0, 0));
}

#[test]
fn batches_after_expired_ones_bump_the_epoch_instead_of_retrying_to_their_own_expiry() {
    // Kafka's SenderTest.testExpiryOfFirstBatchShouldCauseEpochBumpIfFutureBatchesFail:
    // batches in flight to a leader cut off from the network are retried, then expire
    // (delivery.timeout.ms) with their sequences used. Those sequences are unresolved;
    // new batches wait (`shouldStopDrainBatchesForPartition`), and the first retried batch
    // right after the gap to get OUT_OF_ORDER_SEQUENCE_NUMBER from the new leader bumps
    // the epoch (`canRetry`, `isNextSequenceForUnresolvedPartition`): sequences start
    // again at 0 and sending goes on. Only the batches stuck since the cut fail.
    let json = r#"{"seed":1,"kafka_version":"4.0","brokers":3,
        "topics":[{"name":"orders","partitions":3,"replication_factor":3,
                   "replica_assignment":[[0,1,2],[1,2,0],[2,0,1]]}],
        "producers":[{"name":"p1","config":{"request.timeout.ms":"5000",
                      "delivery.timeout.ms":"10000","linger.ms":"5"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p1","topic":"orders","partition":0,
                    "value_bytes":100,"count":300,"interval_ms":100},
                   {"at_ms":2000,"action":"isolate_broker","broker":0}],
        "until_ms":40000}"#;
    let sim = run_sim(json);
    let sends = &sim.producers()[0].sends;
    let failed: Vec<_> = sends.iter().filter(|s| s.error.is_some()).collect();
    assert!(
        failed.iter().all(
            |s| s.error.as_ref().unwrap().exception_name() == "TimeoutException"
                && s.created_ms < 2000 + 5000
        ),
        "only records sent to the cut-off leader before its requests timed out fail"
    );
    assert!(failed.len() < 10, "{} failed", failed.len());
    let written = sends.iter().filter(|s| s.offset >= 0).count();
    assert_eq!(written + failed.len(), sends.len());
    let bumps = sim
        .trace()
        .iter()
        .filter(|(_, e)| matches!(e, TraceEvent::EpochBumped { .. }))
        .count();
    assert!(bumps >= 1);
    let ledger = kafka_lab::ledger::Ledger::of(&sim);
    assert_eq!(
        (ledger.duplicated, ledger.reordered, ledger.pending),
        (0, 0, 0)
    );
}

#[test]
fn followers_keep_copying_when_the_leader_epoch_moves_under_a_fetch() {
    // 2.8 (ZooKeeper): fencing broker 0 bumps the leader epoch of every partition it was in,
    // led by someone else or not. A follower's fetch sent under the old epoch comes back
    // FENCED_LEADER_EPOCH after the new metadata has arrived; it must fetch again, not wait
    // for metadata it already has.
    let json = r#"{"seed":1,"kafka_version":"2.8","brokers":3,"network":{"latency_ms":10},
        "topics":[{"name":"orders","partitions":3,"replication_factor":3}],
        "producers":[{"name":"p","config":{"batch.size":"1024","linger.ms":"20"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"orders","keys":["Seoul","Busan","Pangyo","Jeju","Daejeon","Gwangju"],"value_bytes":100,"count":4000,"interval_ms":10},
                   {"at_ms":20000,"action":"crash_broker","broker":0}],
        "until_ms":60000}"#;
    let sim = run_sim(json);
    for (tp, registration) in &sim.controller().partitions {
        let leader = registration.leader.expect("a leader");
        let leo = sim.brokers()[leader as usize].partitions[tp]
            .log
            .log_end_offset();
        for &b in registration.isr.iter().filter(|&&b| b != leader) {
            let f = sim.brokers()[b as usize].partitions[tp]
                .log
                .log_end_offset();
            assert_eq!(f, leo, "{tp:?}: in-sync follower {b} caught up");
        }
    }
}

#[test]
fn a_restarted_broker_that_dies_before_registering_stays_fenced() {
    // Found by the transactions property (seed 520): broker 1 crashes, restarts while its
    // old session is still valid (its registration waits for that session to be fenced),
    // and crashes again. The new incarnation died unregistered, yet the controller unfenced
    // it when the old session ran out, and, with no session left to expire, never fenced
    // it again: a dead broker counted as alive for good, and on its next restart it never
    // registered (no metadata, never online), a transaction coordinator stuck on it.
    let mut c = Controller::new(KafkaVersion::latest(), &cluster(3, &[&[1, 2, 0]]));
    let mut out = Vec::new();
    c.lose_contact(1, 1000);
    c.crashed(1);
    assert_eq!(
        c.regain_contact(1, true, 2000, &mut out),
        None,
        "waits for its old session"
    );
    c.lose_contact(1, 3000);
    c.crashed(1);
    let at = c.fence_at(1).expect("the old session still runs out");
    assert_eq!(c.on_timer(at, &mut out), vec![BrokerChange::Fenced(1)]);
    assert!(c.is_fenced(1), "nothing registered: fenced");
    assert_eq!(c.partitions[&tp(0)].leader, Some(2));
    assert_eq!(
        c.regain_contact(1, true, at, &mut out),
        Some(BrokerChange::Unfenced(1)),
        "the next incarnation registers at once"
    );

    // Cut off instead of crashing: it registers when it is heard again — after the old
    // session ran out if it was still cut off then, or at that moment if healed before.
    for heal_before in [true, false] {
        let mut c = Controller::new(KafkaVersion::latest(), &cluster(3, &[&[1, 2, 0]]));
        c.lose_contact(1, 1000);
        c.crashed(1);
        c.regain_contact(1, true, 2000, &mut out);
        c.lose_contact(1, 3000);
        let at = c.fence_at(1).unwrap();
        if heal_before {
            assert_eq!(c.regain_contact(1, false, 5000, &mut out), None);
            let changes = c.on_timer(at, &mut out);
            assert_eq!(
                changes,
                vec![BrokerChange::Fenced(1), BrokerChange::Unfenced(1)]
            );
        } else {
            assert_eq!(c.on_timer(at, &mut out), vec![BrokerChange::Fenced(1)]);
            assert_eq!(
                c.regain_contact(1, false, at, &mut out),
                Some(BrokerChange::Unfenced(1))
            );
        }
        assert!(!c.is_fenced(1));
    }
}

#[test]
fn a_broker_crashing_twice_comes_back_for_good() {
    // The same at scenario level: leader 0 crashes at 1 s, restarts at 3 s (its old session
    // runs to 9 s), crashes again at 5 s and restarts at 20 s: it is fenced once, comes back
    // as a follower, catches up and rejoins the ISR; nothing acknowledged is lost.
    let actions = r#",{"at_ms":1000,"action":"crash_broker","broker":0},
        {"at_ms":3000,"action":"restart_broker","broker":0},
        {"at_ms":5000,"action":"crash_broker","broker":0},
        {"at_ms":20000,"action":"restart_broker","broker":0}"#;
    let sim = run_sim(&scenario("all", "", actions, 40_000));
    let b0 = &sim.brokers()[0];
    assert!(b0.online);
    assert!(!sim.controller().is_fenced(0));
    let tp0 = tp(0);
    assert!(sim.controller().partitions[&tp0].isr.contains(&0));
    let leader = sim.controller().partitions[&tp0].leader.unwrap();
    assert_eq!(
        b0.partitions[&tp0].log.log_end_offset(),
        sim.brokers()[leader as usize].partitions[&tp0]
            .log
            .log_end_offset()
    );
    assert_eq!(kafka_lab::ledger::Ledger::of(&sim).lost, 0);
}

#[test]
fn clear_purgatory_on_becoming_follower() {
    // ReplicaManagerTest.testClearPurgatoryOnBecomingFollower (broker.md §13 case 12):
    // broker 0 leads [0,1] with ISR [0,1]; an acks=-1 produce waits for follower 1. When
    // broker 0 becomes a follower (leader 1, epoch 1) the write can no longer complete
    // here: it is answered NOT_LEADER_OR_FOLLOWER at once, not at its timeout.
    let json = r#"{"seed":1,"kafka_version":"4.0","brokers":2,
        "topics":[{"name":"t","partitions":1,"replication_factor":2,"replica_assignment":[[0,1]]}],
        "producers":[],"actions":[],"until_ms":1}"#;
    let sim = Simulation::new(&Scenario::from_json(json).unwrap()).unwrap();
    let mut b0 = sim.brokers()[0].clone();
    let tp0 = tp(0);
    let record = WireRecord {
        data: RecordBlock::default().make(RecordData {
            key: None,
            value: Serializer::String.serialize(Some("v")).unwrap(),
            timestamp: 0,
        }),
        send_index: 0,
    };
    let request = ProduceRequest {
        id: 3,
        transactional_id: None,
        acks: Acks::All,
        timeout_ms: 30_000,
        batches: vec![WireBatch {
            tp: tp0,
            batch: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records: vec![record],
            size_in_bytes: 100,
            transactional: false,
        }],
    };
    let mut out = Effects::default();
    b0.handle_produce(0, 0, request, &mut out);
    assert_eq!(b0.partitions[&tp0].log.log_end_offset(), 1, "appended");
    assert!(produce_responses(&out).is_empty(), "waiting for follower 1");

    let follower = PartitionChange {
        tp: tp0,
        registration: PartitionRegistration {
            replicas: vec![0, 1],
            isr: vec![0, 1],
            leader: Some(1),
            leader_epoch: 1,
            partition_epoch: 1,
        },
        election: Some(Election::Clean),
    };
    let mut out = Effects::default();
    b0.apply_metadata(10, &[follower], Vec::new(), &mut out);
    assert!(!b0.partitions[&tp0].is_leader());
    let responses = produce_responses(&out);
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].id, 3);
    assert_eq!(
        responses[0].partitions[0].error,
        Errors::NotLeaderOrFollower
    );
}

#[test]
fn balance_partition_leaders() {
    // RCMT.testBalancePartitionLeaders (broker.md case 22): p0 [1,2,3], p1 [2,3,4],
    // p2 [0,2,1], all led by 2 while 0 and 1 are fenced. Unfenced, 1 rejoins p0's ISR: the
    // balance moves p0 to 1 and leaves p2, whose 0 is still fenced. Then 0 rejoins p2's
    // ISR: the next balance moves p2 to 0, and nothing is left to balance.
    let assignment: &[&[u32]] = &[&[1, 2, 3], &[2, 3, 4], &[0, 2, 1]];
    let mut c = Controller::new(KafkaVersion::latest(), &cluster(5, assignment));
    let mut out = Vec::new();
    fence(&mut c, 0, &mut out);
    fence(&mut c, 1, &mut out);
    assert!((0..3).all(|p| c.partitions[&tp(p)].leader == Some(2)));
    assert_eq!(c.imbalanced().collect::<Vec<_>>(), [tp(0), tp(2)]);
    let mut rejoin = |c: &mut Controller, broker: u32, p: u32, isr: Vec<u32>, now: u64| {
        c.regain_contact(broker, false, now, &mut out);
        let r = c.partitions[&tp(p)].clone();
        c.alter_partition(2, tp(p), r.leader_epoch, r.partition_epoch, isr, &mut out)
            .unwrap();
    };
    rejoin(&mut c, 1, 0, vec![1, 2, 3], 10_000);
    let balance = |c: &mut Controller| {
        let mut out = Vec::new();
        c.on_timer(c.next_timeout().unwrap(), &mut out);
        out.iter()
            .map(|ch| (ch.tp, ch.registration.leader, ch.election))
            .collect::<Vec<_>>()
    };
    let preferred = Some(Election::Preferred);
    assert_eq!(balance(&mut c), [(tp(0), Some(1), preferred)]);
    assert_eq!(c.imbalanced().collect::<Vec<_>>(), [tp(2)]);
    rejoin(&mut c, 0, 2, vec![0, 2, 1], 400_000);
    assert_eq!(balance(&mut c), [(tp(2), Some(0), preferred)]);
    assert_eq!(c.imbalanced().count(), 0);
    assert_eq!(c.next_timeout(), None);
}

/// `scenario` with `server.properties` entries on every broker.
fn with_broker_config(json: String, config: &str) -> String {
    let with = format!(r#""brokers":3,"broker_config":{{{config}}},"#);
    json.replacen(r#""brokers":3,"#, &with, 1)
}

/// Every leader change: when, to whom, at which epoch, and how.
fn elections(sim: &Simulation) -> Vec<(u64, Option<u32>, u32, Election)> {
    let trace = sim.trace();
    let elected = trace.iter().filter_map(|(t, e)| match e {
        TraceEvent::LeaderElected {
            leader,
            leader_epoch,
            election,
            ..
        } => Some((*t, *leader, *leader_epoch, *election)),
        _ => None,
    });
    elected.collect()
}

#[test]
fn leadership_returns_to_the_preferred_replica_after_the_imbalance_interval() {
    // Leader 0 crashes at 5 s; fenced at 13 s, broker 1 leads. Restarted at 20 s, 0 rejoins
    // the ISR; the controller's balance, leader.imbalance.check.interval.seconds (10 here)
    // after the imbalance appeared, elects it again. Broker 1, a follower now, answers its
    // waiting acks=all requests NOT_LEADER_OR_FOLLOWER and the producer retries on 0:
    // nothing lost, nothing duplicated.
    let actions = r#",{"at_ms":5000,"action":"crash_broker","broker":0},
                     {"at_ms":20000,"action":"restart_broker","broker":0}"#;
    let interval = r#""leader.imbalance.check.interval.seconds":"10""#;
    let json = with_broker_config(scenario("all", "", actions, 60_000), interval);
    let sim = run_sim(&json);
    let fenced = 4000 + BROKER_SESSION_TIMEOUT_MS + 1;
    let back = fenced + 10_000;
    assert_eq!(
        elections(&sim),
        [
            (fenced, Some(1), 1, Election::Clean),
            (back, Some(0), 2, Election::Preferred)
        ]
    );
    let after =
        |f: &dyn Fn(&TraceEvent) -> bool| sim.trace().iter().any(|(t, e)| *t >= back && f(e));
    assert!(after(&|e| matches!(
        e,
        TraceEvent::BecameLeaderOrFollower {
            broker: 1,
            leader: false,
            leader_epoch: 2,
            ..
        }
    )));
    assert!(after(&|e| matches!(
        e,
        TraceEvent::BatchRetried {
            error: "NOT_LEADER_OR_FOLLOWER",
            ..
        }
    )));
    let r = run_json(&json);
    assert!(sends(&r).iter().all(|s| s["outcome"] == "acked"));
    assert_eq!(
        (
            r["ledger"]["lost"].as_u64(),
            r["ledger"]["duplicated"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(r["partitions"][0]["leader"], 0);

    assert_eq!(
        r["metrics"]["controller"]["PreferredReplicaImbalanceCount"],
        0
    );

    // auto.leader.rebalance.enable=false: broker 1 keeps leading.
    let off = format!(r#"{interval},"auto.leader.rebalance.enable":"false""#);
    let json = with_broker_config(scenario("all", "", actions, 120_000), &off);
    assert_eq!(
        elections(&run_sim(&json)),
        [(fenced, Some(1), 1, Election::Clean)]
    );
    let r = run_json(&json);
    assert_eq!(
        r["metrics"]["controller"]["PreferredReplicaImbalanceCount"],
        1
    );

    // ZooKeeper (2.8): checks at 5 s and every 10 s after. The session (18 s) of broker 0,
    // crashed at 7 s, ends at 24 s; restarted at 30 s, it is back in the ISR at the 35 s
    // check, where it prefers 1 partition of 1 led elsewhere: 100 % > 10 %.
    let actions = r#",{"at_ms":7000,"action":"crash_broker","broker":0},
                     {"at_ms":30000,"action":"restart_broker","broker":0}"#;
    let json = with_broker_config(scenario("all", "", actions, 60_000), interval)
        .replace(r#""kafka_version":"4.0""#, r#""kafka_version":"2.8""#);
    let sim = run_sim(&json);
    assert_eq!(
        elections(&sim),
        [
            (6000 + 18_000 + 1, Some(1), 1, Election::Clean),
            (35_000, Some(0), 2, Election::Preferred)
        ]
    );
}
