//! Seeded random runs of the producer against lost requests and responses and slow
//! followers: no panic, every record accounted for, HW ≤ LEO everywhere, and the idempotent
//! producer never duplicates, nor reorders while no batch expires (issue 3's check, over
//! many configurations).

use kafka_lab::config::Acks;
use kafka_lab::ledger::Ledger;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::rng::Rng;
use kafka_lab::{Scenario, Simulation};

/// The run's ledger, once every record is checked to be acked, failed or pending.
fn accounted(sim: &Simulation, seed: u64) -> Ledger {
    let ledger = Ledger::of(sim);
    assert_eq!(
        ledger.records,
        ledger.acked + ledger.failed + ledger.pending,
        "seed {seed}: every record is acked, failed or pending"
    );
    ledger
}

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len() as u32) as usize]
}

/// A random single-producer scenario with a few lost messages.
fn random_scenario(seed: u64, idempotent: bool) -> String {
    let mut rng = Rng::new(seed);
    let brokers = 1 + rng.below(3);
    let partitions = 1 + rng.below(4);
    let rf = 1 + rng.below(brokers);
    let min_isr = 1 + rng.below(rf);
    let in_flight = pick(&mut rng, &["1", "2", "5"]);
    let config = format!(
        r#"{{"enable.idempotence":"{idempotent}","acks":"{}","linger.ms":"{}","batch.size":"{}","max.in.flight.requests.per.connection":"{in_flight}","request.timeout.ms":"{}","delivery.timeout.ms":"{}","retries":"{}","compression.type":"{}","buffer.memory":"{}","max.block.ms":"{}","retry.backoff.ms":"{}"}}"#,
        if idempotent {
            "all"
        } else {
            pick(&mut rng, &["all", "1", "0"])
        },
        pick(&mut rng, &["0", "5", "50"]),
        pick(&mut rng, &["200", "1024", "16384"]),
        pick(&mut rng, &["100", "300", "1000"]),
        pick(&mut rng, &["3000", "20000"]),
        if idempotent {
            pick(&mut rng, &["3", "2147483647"])
        } else {
            pick(&mut rng, &["0", "3", "2147483647"])
        },
        pick(&mut rng, &["none", "gzip", "lz4"]),
        pick(&mut rng, &["4096", "33554432"]),
        pick(&mut rng, &["0", "50", "60000"]),
        pick(&mut rng, &["10", "100"]),
    );
    let mut actions = vec![format!(
        r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b","c",null],"value_bytes":{},"count":{},"interval_ms":{}}}"#,
        1 + rng.below(300),
        50 + rng.below(300),
        rng.below(20)
    )];
    for _ in 0..rng.below(5) {
        actions.push(format!(
            r#"{{"at_ms":{},"action":"{}","broker":{},"count":{}}}"#,
            rng.below(3000),
            pick(&mut rng, &["drop_requests", "drop_responses"]),
            rng.below(brokers),
            1 + rng.below(3)
        ));
    }
    if rng.below(4) == 0 {
        actions.push(format!(
            r#"{{"at_ms":{},"action":"flush","producer":"p"}}"#,
            rng.below(3000)
        ));
    }
    format!(
        r#"{{"seed":{seed},"kafka_version":"{}","brokers":{brokers},"network":{{"latency_ms":{}}},
            "topics":[{{"name":"t","partitions":{partitions},"replication_factor":{rf},"config":{{"min.insync.replicas":"{min_isr}"}}}}],
            "producers":[{{"name":"p","config":{config}}}],
            "actions":[{}],"until_ms":40000}}"#,
        pick(&mut rng, &["2.8", "3.2", "3.6", "3.9", "4.0"]),
        1 + rng.below(20),
        actions.join(",")
    )
}

#[test]
fn random_runs_under_lost_messages() {
    let (mut cases, mut idempotent_retried, mut plain_duplicated) = (0, 0, 0);
    for seed in 0..300u64 {
        let idempotent = seed % 2 == 0;
        let json = random_scenario(seed, idempotent);
        let scenario = Scenario::from_json(&json).unwrap();
        let mut sim = match Simulation::new(&scenario) {
            Ok(sim) => sim,
            // Kafka's own rules refuse some combinations; those are checked elsewhere.
            Err(_) => continue,
        };
        sim.run();
        cases += 1;
        assert_eq!(
            sim.stalled_at(),
            None,
            "seed {seed}: caught in a loop: {json}"
        );
        let ledger = accounted(&sim, seed);
        let p = &sim.producers()[0];
        // acks=0 "acknowledges" what was written to the socket: a lost request is lost.
        if p.config.acks != Acks::None {
            assert_eq!(
                ledger.lost, 0,
                "seed {seed}: one replica loses nothing acked"
            );
        }
        if p.config.idempotence {
            idempotent_retried += (p.metrics.record_retry_total > 0) as u32;
            assert_eq!(ledger.duplicated, 0, "seed {seed}: {json}");
            // Order holds while no batch expires. Once one does, Kafka's own rules allow a
            // reorder: a leader with no state for the producer takes any first sequence,
            // so when the first requests are lost the later ones are written first, and
            // the lost ones, retried until they expire, resolve by an epoch bump that
            // writes what is left of them after (seed 88).
            if ledger.failed == 0 {
                assert_eq!(ledger.reordered, 0, "seed {seed}: {json}");
            }
        }
        if !p.config.idempotence && ledger.duplicated > 0 {
            plain_duplicated += 1;
        }
        // HW ≤ LEO on every replica; a follower never has more than its leader.
        for broker in sim.brokers() {
            for r in broker.partitions.values() {
                assert!(r.high_watermark() <= r.log.log_end_offset(), "seed {seed}");
                let leader = r.leader.expect("no elections yet");
                let leader_leo = sim.brokers()[leader as usize].partitions[&r.tp]
                    .log
                    .log_end_offset();
                assert!(r.log.log_end_offset() <= leader_leo, "seed {seed}");
            }
        }
        // The pool gets every byte back once nothing is pending.
        if ledger.pending == 0 {
            assert_eq!(
                p.pool.available_memory(),
                p.pool.total_memory(),
                "seed {seed}"
            );
        }
    }
    println!(
        "{cases} random runs checked: {idempotent_retried} idempotent ones retried without a duplicate, {plain_duplicated} plain ones duplicated"
    );
    assert!(cases > 200);
    // The faults did bite: otherwise the idempotence check above proves nothing.
    assert!(idempotent_retried > 20 && plain_duplicated > 5);
}

/// A random RF-3 scenario with broker failures, at most one broker down (crashed or cut
/// off) at a time, each back before the next fails.
fn failure_scenario(seed: u64, acks: &str, idempotent: bool) -> String {
    let mut rng = Rng::new(seed);
    let brokers = 3 + rng.below(3);
    let partitions = 1 + rng.below(4);
    let version = pick(&mut rng, &["2.8", "3.4", "3.6", "3.9", "4.0"]);
    let mut actions = vec![format!(
        r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b","c",null],"value_bytes":{},"count":{},"interval_ms":{}}}"#,
        1 + rng.below(100),
        100 + rng.below(400),
        20 + rng.below(100)
    )];
    let mut t = rng.below(5000);
    for _ in 0..1 + rng.below(3) {
        let broker = rng.below(brokers);
        let (down, up) = pick2(&mut rng);
        let back = t + 1000 + rng.below(25_000);
        actions.push(format!(
            r#"{{"at_ms":{t},"action":"{down}","broker":{broker}}}"#
        ));
        actions.push(format!(
            r#"{{"at_ms":{back},"action":"{up}","broker":{broker}}}"#
        ));
        // Leave time to be fenced, to come back and to rejoin the ISR before the next.
        t = back + 20_000 + rng.below(20_000);
    }
    if rng.below(3) == 0 {
        actions.push(format!(
            r#"{{"at_ms":{},"action":"drop_responses","broker":{},"count":2}}"#,
            rng.below(t),
            rng.below(brokers)
        ));
    }
    // The application restarts its producer: a new producer id, re-sends.
    if rng.below(4) == 0 {
        actions.push(format!(
            r#"{{"at_ms":{},"action":"restart_producer","producer":"p"}}"#,
            rng.below(t)
        ));
    }
    // A slow broker hears of leadership changes later than the others.
    if rng.below(3) == 0 {
        let at = rng.below(t);
        let broker = rng.below(brokers);
        actions.push(format!(
            r#"{{"at_ms":{at},"action":"slow_broker","broker":{broker},"extra_latency_ms":{}}}"#,
            20 + rng.below(500)
        ));
        actions.push(format!(
            r#"{{"at_ms":{},"action":"slow_broker","broker":{broker},"extra_latency_ms":0}}"#,
            at + rng.below(20_000)
        ));
    }
    format!(
        r#"{{"seed":{seed},"kafka_version":"{version}","brokers":{brokers},"network":{{"latency_ms":{}}},
            "topics":[{{"name":"t","partitions":{partitions},"replication_factor":3,"config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{{"name":"p","config":{{"acks":"{acks}","enable.idempotence":"{idempotent}","linger.ms":"{}","request.timeout.ms":"{}","delivery.timeout.ms":"{}"}}}}],
            "consumers":[{{"name":"c","topics":["t"]}}],
            "actions":[{}],"until_ms":{}}}"#,
        1 + rng.below(10),
        pick(&mut rng, &["0", "5", "20"]),
        pick(&mut rng, &["3000", "30000"]),
        pick(&mut rng, &["40000", "120000"]),
        actions.join(","),
        t + 30_000
    )
}

fn pick2(rng: &mut Rng) -> (&'static str, &'static str) {
    if rng.below(2) == 0 {
        ("crash_broker", "restart_broker")
    } else {
        ("isolate_broker", "heal_broker")
    }
}

#[test]
fn random_runs_under_broker_failures() {
    // Issue 4's property: HW ≤ LEO on every replica at every step, a leader's HW never
    // moves back within its epoch, and with acks=all, min.insync.replicas=2, RF 3 and one
    // broker down at a time, nothing acknowledged is lost. acks=1 runs must only account
    // for every record (they may lose some: that is the lesson).
    let (mut cases, mut elections, mut acks1_lost) = (0u32, 0u64, 0u32);
    // KAFKA_LAB_FAULT_SEEDS=N runs N seeds instead (the documented long run).
    let seeds: u64 = std::env::var("KAFKA_LAB_FAULT_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(120);
    for seed in 0..seeds {
        let (acks, idempotent) = match seed % 3 {
            0 => ("all", true),
            1 => ("all", false),
            _ => ("1", false),
        };
        let json = failure_scenario(seed, acks, idempotent);
        let scenario = Scenario::from_json(&json).unwrap();
        let mut sim = Simulation::new(&scenario).unwrap_or_else(|e| panic!("{e:?}: {json}"));
        let mut leader_hw: kafka_lab::vec_map::VecMap<(u32, TopicPartition, u32), u64> =
            Default::default();
        while sim.step() {
            for broker in sim.brokers() {
                for r in broker.partitions.values() {
                    let hw = r.high_watermark();
                    assert!(hw <= r.log.log_end_offset(), "seed {seed}: HW > LEO");
                    if r.is_leader() {
                        let last = leader_hw
                            .entry((broker.id, r.tp, r.leader_epoch))
                            .or_default();
                        assert!(hw >= *last, "seed {seed}: leader HW moved back: {json}");
                        *last = hw;
                    }
                }
            }
        }
        cases += 1;
        assert_eq!(
            sim.stalled_at(),
            None,
            "seed {seed}: caught in a loop: {json}"
        );
        elections += sim.controller().leader_elections;
        let ledger = accounted(&sim, seed);
        // Liveness: one broker down at a time never stops the cluster for long — whatever
        // was sent a minute before the end has an answer. Each lost response costs a
        // request.timeout.ms on top (its connection is dead until then), so with those only
        // delivery.timeout.ms bounds it.
        let p = &sim.producers()[0];
        let patience = if json.contains("drop_responses") {
            p.accumulator.delivery_timeout_ms()
        } else {
            60_000
        };
        let stuck = p.sends.iter().find(|s| {
            s.outcome == kafka_lab::producer::Outcome::Pending
                && s.created_ms + patience < sim.now()
        });
        assert!(stuck.is_none(), "seed {seed}: {stuck:?} {json}");
        // What a consumer read was committed: it is still in the log at that offset (clean
        // elections keep everything below the high watermark), and read once.
        let mut seen = std::collections::BTreeSet::new();
        for r in &sim.consumers()[0].records {
            assert!(
                seen.insert((r.tp, r.offset)),
                "seed {seed}: read twice {:?} {json}",
                (r.tp, r.offset, r.at_ms)
            );
            let log = sim.committed_replica(r.tp).expect("a log").log.records();
            let kept = log.get(r.offset as usize).map(|l| l.origin());
            assert_eq!(
                kept,
                Some(r.origin),
                "seed {seed}: consumed then lost: {json}"
            );
        }
        if acks == "all" {
            assert_eq!(ledger.lost, 0, "seed {seed}: {json}");
        } else if ledger.lost > 0 {
            acks1_lost += 1;
        }
        // A restarted producer is a new producer id: idempotence cannot span it.
        if idempotent && !json.contains("restart_producer") {
            assert_eq!(ledger.duplicated, 0, "seed {seed}: {json}");
            assert_eq!(ledger.reordered, 0, "seed {seed}: {json}");
        }
    }
    println!("{cases} runs with broker failures: {elections} leader elections, {acks1_lost} acks=1 runs lost records");
    assert!(elections > seeds, "the failures moved leaders");
}
