//! The metrics windows behind the charts: Kafka's `Rate`/`Avg`/`Max` over samples checked
//! against hand-computed values, the gauges (ISR size, the delivery ledger) at the window
//! where a fault shows, and the series as a pure function of the run however it is driven.

use kafka_lab::ledger::Ledger;
use kafka_lab::metrics::{LedgerCounts, METRIC_CONFIG};
use kafka_lab::trace::TraceEvent;
use kafka_lab::{Scenario, Simulation};

const W: u64 = METRIC_CONFIG.sample_window_ms;

fn sim(json: &str) -> Simulation {
    Simulation::new(&Scenario::from_json(json).expect("parses")).expect("valid")
}

fn scenario_file(name: &str) -> String {
    let path = format!("{}/../scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The window whose reading first shows an event at `t`.
fn window_of(t: u64) -> u64 {
    t / W
}

#[test]
fn rates_and_averages_match_hand_computed_values() {
    // One record every 50 ms for a second, each in its own request (linger.ms=0), one
    // broker 5 ms away: two single-record requests per 100-ms window, 10 ms each.
    let mut s = sim(r#"{
      "seed": 1, "kafka_version": "4.0", "brokers": 1, "network": { "latency_ms": 5 },
      "topics": [{ "name": "t", "partitions": 1 }],
      "producers": [{ "name": "p", "config": { "linger.ms": "0", "enable.idempotence": "false" } }],
      "actions": [{ "at_ms": 0, "action": "send", "producer": "p", "topic": "t", "value": "v", "count": 20, "interval_ms": 50 }],
      "until_ms": 3000 }"#);
    s.run();
    let sensors = &s.producers()[0].metrics.sensors;
    let send_rate = |k| sensors.records_per_request.rate(k);
    // Window 0: 2 records; the first windows' rate spans num.samples − 1 = 9 windows.
    assert!((send_rate(0) - 2.0 / 0.9).abs() < 1e-9, "{}", send_rate(0));
    assert!((send_rate(4) - 10.0 / 0.9).abs() < 1e-9);
    // From window 9 on, the last 10 windows (1 s): 20 records, then fewer as they leave.
    assert!((send_rate(9) - 20.0).abs() < 1e-9);
    assert!(
        (send_rate(14) - 10.0).abs() < 1e-9,
        "windows 5–14 hold 10 records"
    );
    assert_eq!(send_rate(19), 0.0);
    assert_eq!(sensors.records_per_request.avg(9), Some(1.0));
    assert_eq!(
        sensors.request_latency.avg(9),
        Some(10.0),
        "5 ms there, 5 ms back"
    );
    assert_eq!(sensors.request_latency.max(9), Some(10.0));
    assert_eq!(
        sensors.request_latency.avg(30),
        None,
        "no response in windows 21–30"
    );
    // A 61-byte v2 batch header and one 8-byte record (1-byte value, null key).
    assert_eq!(sensors.batch_size.avg(9), Some(69.0));
    assert!(
        (sensors.batch_size.rate(9) - 20.0 * 69.0).abs() < 1e-9,
        "byte-rate"
    );
    assert_eq!(sensors.record_retries.rate(29), 0.0);
    assert_eq!(s.sampler().closed(), 30, "windows up to 3 s");
}

#[test]
fn a_lost_response_shows_duplicates_in_their_window_without_idempotence_only() {
    // Broker 0 loses the plain producer's response at 1 s, the idempotent one's at 4 s.
    let mut s = sim(&scenario_file("lost-response.json"));
    s.record_trace();
    s.run();
    // A second append of a batch the log already has: the retried copy, written twice.
    let second_append = |producer: u16| {
        let mut seen = std::collections::BTreeSet::new();
        s.trace().iter().find_map(|(t, e)| match e {
            TraceEvent::Appended {
                producer: p, batch, ..
            } if *p == producer => (!seen.insert(*batch)).then_some(*t),
            _ => None,
        })
    };
    let ledger = |k| *s.sampler().ledger.at(k).expect("kept");
    let k = window_of(second_append(0).expect("the plain producer writes a batch twice"));
    assert!(k > 10, "after the drop at 1 s");
    assert_eq!(ledger(k - 1), LedgerCounts::default());
    assert!(
        ledger(k).duplicated > 0,
        "the retried copies land in window {k}"
    );
    assert!(ledger(k).reordered > 0);
    assert_eq!(ledger(k).lost, 0);
    // Every request in flight on the silenced connection went again: 4 copies too many.
    assert_eq!(ledger(k + 1).duplicated, 4);
    // The idempotent producer's retry is answered as a duplicate: nothing more is written.
    assert_eq!(second_append(1), None);
    let last = s.sampler().closed() - 1;
    assert_eq!(ledger(last), ledger(k + 1));
}

#[test]
fn the_isr_shrinks_in_the_window_the_leader_drops_a_slow_follower() {
    let mut s = sim(&scenario_file("slow-follower.json"));
    s.record_trace();
    s.run();
    let shrunk_at = s
        .trace()
        .iter()
        .find(|(_, e)| {
            matches!(
                e,
                TraceEvent::IsrChanged {
                    expanded: false,
                    ..
                }
            )
        })
        .expect("the slow follower leaves the ISR")
        .0;
    let sampler = s.sampler();
    let p = sampler
        .partitions()
        .iter()
        .position(|tp| tp.topic == 0 && tp.partition == 0)
        .expect("orders-0 is sampled");
    let isr = |k| sampler.in_sync_replicas.at(k).expect("kept")[p];
    let urp = |k| *sampler.under_replicated.at(k).expect("kept");
    let k = window_of(shrunk_at);
    assert!(shrunk_at > 30_000, "after replica.lag.time.max.ms");
    assert_eq!((isr(0), urp(0)), (3, 0));
    assert_eq!((isr(k - 1), urp(k - 1)), (3, 0));
    assert_eq!((isr(k), urp(k)), (2, 1), "window {k}");
    assert_eq!(isr(sampler.closed() - 1), 2);
}

/// Every window's ledger reading equals `Ledger::of` over the state the window's end
/// saw, and every series is the same whether the run plays, steps or jumps.
#[test]
fn the_series_are_a_pure_function_of_the_run() {
    for name in [
        "quickstart.json",
        "lost-response.json",
        "slow-follower.json",
        "leader-failover.json",
        "unclean-election.json",
        "acks1-loss.json",
        "transactions.json",
        "hanging-transaction.json",
    ] {
        let json = scenario_file(name);
        let mut played = sim(&json);
        played.run();
        let sampler = played.sampler();
        let mut jumped = sim(&json);
        let mut stepped = sim(&json);
        for k in sampler.first_kept()..sampler.closed() {
            // The reading at the end of window k: every event before (k + 1) × W.
            jumped.run_until((k + 1) * W - 1);
            let full = Ledger::of(&jumped);
            let expected = LedgerCounts {
                lost: full.lost,
                duplicated: full.duplicated,
                reordered: full.reordered,
            };
            assert_eq!(sampler.ledger.at(k), Some(&expected), "{name}: window {k}");
            while stepped.next_event_at().is_some_and(|t| t < (k + 1) * W) {
                stepped.step();
            }
        }
        // A run replayed to a number of steps and paused later reads what a run paused
        // there read (the app's step back).
        let mut paused = sim(&json);
        paused.run_until(1234);
        let mut replayed = sim(&json);
        while replayed.steps() < paused.steps() && replayed.step() {}
        replayed.sample_until(1234);
        assert_eq!(
            replayed.sampler().closed(),
            paused.sampler().closed(),
            "{name}"
        );
        let k = paused.sampler().closed() - 1;
        assert_eq!(
            replayed.sampler().ledger.at(k),
            paused.sampler().ledger.at(k)
        );
        stepped.run();
        jumped.run();
        for other in [&stepped, &jumped] {
            assert_eq!(other.sampler().closed(), sampler.closed(), "{name}");
            for k in sampler.first_kept()..sampler.closed() {
                assert_eq!(other.sampler().ledger.at(k), sampler.ledger.at(k));
                assert_eq!(
                    other.sampler().in_sync_replicas.at(k),
                    sampler.in_sync_replicas.at(k)
                );
                assert_eq!(
                    other.sampler().under_replicated.at(k),
                    sampler.under_replicated.at(k)
                );
            }
            for (a, b) in other.producers().iter().zip(played.producers()) {
                assert_eq!(a.metrics.sensors, b.metrics.sensors, "{name}");
            }
        }
    }
}
