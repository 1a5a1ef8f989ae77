//! The delivery ledger kept as the run goes (`LedgerTracker`, what the app and the charts
//! read) against the ledger counted afresh from every log and send (`Ledger::of`, what
//! the CLI prints): the same at every moment of every scenario in `scenarios/`, which
//! between them lose, duplicate, reorder, abort and fail records; and with retention,
//! records let go once settled without changing a count.

use kafka_lab::ledger::Ledger;
use kafka_lab::trace::TraceEvent;
use kafka_lab::{Scenario, Simulation};
use std::path::PathBuf;

fn scenarios() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, Scenario::from_json(&text).expect("valid"))
        })
        .collect()
}

#[test]
fn the_tracked_ledger_is_the_ledger_counted_afresh_at_every_moment() {
    let all = scenarios();
    assert!(all.len() >= 8, "{}", all.len());
    let mut seen = Ledger::default();
    for (name, scenario) in all {
        let mut sim = Simulation::new(&scenario).expect("valid");
        let end = scenario.until_ms;
        for k in 1..=40 {
            let t = end * k / 40;
            sim.run_until(t);
            let fresh = Ledger::of(&sim);
            assert_eq!(Ledger::tracked(&sim), fresh, "{name} at {t} ms");
            // Which counts the scenarios exercise, so that the comparison means something.
            seen.lost += fresh.lost;
            seen.duplicated += fresh.duplicated;
            seen.reordered += fresh.reordered;
            seen.aborted += fresh.aborted;
            seen.failed += fresh.failed;
            seen.failed_but_written += fresh.failed_but_written;
        }
    }
    assert!(
        seen.lost > 0 && seen.duplicated > 0 && seen.reordered > 0,
        "{seen:?}"
    );
    assert!(seen.aborted > 0 && seen.failed > 0, "{seen:?}");
}

#[test]
fn a_bounded_run_lets_settled_records_go_and_keeps_every_count() {
    // 40 s at 1,000 records/s whose logs keep about 10 s (segment.ms 2 s, retention
    // checked every 5 s), with a leader crash halfway.
    let json = r#"{"seed":11,"kafka_version":"4.0","brokers":3,
        "topics":[{"name":"t","partitions":3,"replication_factor":3,
                   "config":{"segment.ms":"2000","retention.ms":"8000"}}],
        "broker_config":{"log.retention.check.interval.ms":"5000"},
        "producers":[{"name":"p","config":{"acks":"all","linger.ms":"5"}}],
        "consumers":[{"name":"c","topics":["t"]}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b",null],"value_bytes":50,"count":40000,"interval_ms":1},
                   {"at_ms":20000,"action":"crash_leader","topic":"t","partition":0}],
        "until_ms":40000}"#;
    let scenario = Scenario::from_json(json).expect("valid");
    let mut whole = Simulation::new(&scenario).expect("valid");
    let mut bounded = Simulation::new(&scenario).expect("valid");
    bounded.bound_history(1_000);
    for t in (10_000..=40_000).step_by(10_000) {
        whole.run_until(t);
        bounded.run_until(t);
        assert_eq!(bounded.trace_hash(), whole.trace_hash(), "{t}");
        assert_eq!(Ledger::tracked(&bounded), Ledger::tracked(&whole), "{t}");
        assert_eq!(Ledger::of(&whole), Ledger::tracked(&whole), "{t}");
    }
    let ledger = Ledger::tracked(&bounded);
    assert!(ledger.expired > 20_000, "{ledger:?}");
    assert_eq!(ledger.lost, 0, "{ledger:?}");
    // What is still kept: about the logs' span of records, and the latest consumed.
    let sends = &bounded.producers()[0].sends;
    assert!(sends.start() > 20_000, "{}", sends.start());
    assert!(
        sends.len() - sends.start() < 20_000,
        "{}",
        sends.len() - sends.start()
    );
    let consumed = &bounded.consumers()[0].records;
    assert!(consumed.len() - consumed.start() <= 1_125);
    assert_eq!(consumed.len(), whole.consumers()[0].records.len());
}

#[test]
fn acks_0_records_on_the_wire_are_not_lost_only_those_whose_request_is() {
    // acks=0 completes a send once its request is written: for the network's 20 ms the
    // record is acknowledged and in no log. Lost only once its request is: here one, of a
    // batch of two, at 1.5 s.
    let json = r#"{"seed":3,"kafka_version":"4.0","brokers":3,
        "topics":[{"name":"t","partitions":3,"replication_factor":3}],
        "producers":[{"name":"p","config":{"acks":"0","linger.ms":"20"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b","c"],"value_bytes":50,"count":300,"interval_ms":10},
                   {"at_ms":1500,"action":"drop_requests","broker":0,"count":1}],
        "until_ms":4000,"network":{"latency_ms":20}}"#;
    let scenario = Scenario::from_json(json).expect("valid");
    let mut sim = Simulation::new(&scenario).expect("valid");
    sim.record_trace();
    let (mut dropped, mut seen) = (0, 0);
    while sim.step() {
        let fresh = Ledger::of(&sim);
        assert_eq!(Ledger::tracked(&sim), fresh, "{}", sim.now());
        dropped += sim
            .trace()
            .iter_from(seen)
            .filter(|(_, e)| matches!(e, TraceEvent::RequestDropped { .. }))
            .count();
        seen = sim.trace().len();
        if dropped == 0 {
            assert_eq!(
                fresh.lost,
                0,
                "nothing lost before the drop, at {}",
                sim.now()
            );
        }
    }
    let ledger = Ledger::of(&sim);
    assert_eq!(dropped, 1);
    assert!(ledger.lost > 0 && ledger.lost <= 2, "{ledger:?}");
    assert_eq!(ledger.acked + ledger.pending, 300);
}
