//! Producer state expiry (`exactly-once.md` §3): a partition forgets a producer id's
//! sequences `producer.id.expiration.ms` after its last write, at a run of the
//! `PeriodicProducerExpirationCheck`, unless it has a transaction open there; its next
//! batch is then taken at any sequence, so a retry that comes later is written again.

use kafka_lab::config::{broker_config_available, BrokerConfig};
use kafka_lab::trace::TraceEvent;
use kafka_lab::vec_map::VecMap;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::{run_json, TP0};

fn props(kv: &[(&str, &str)]) -> VecMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const EXPIRY: &str = "producer.id.expiration.ms";
const CHECK: &str = "producer.id.expiration.check.interval.ms";

#[test]
fn the_expiry_is_a_broker_config_from_3_4() {
    let (v33, v34) = (KafkaVersion::new(3, 3, 2), KafkaVersion::new(3, 4, 0));
    let c = BrokerConfig::parse(&props(&[]), v34).unwrap();
    assert_eq!(
        (
            c.producer_id_expiration_ms,
            c.producer_id_expiration_check_interval_ms
        ),
        (86_400_000, 600_000)
    );
    // Before KIP-854 the brokers used transactional.id.expiration.ms's week.
    let c = BrokerConfig::parse(&props(&[]), v33).unwrap();
    assert_eq!(c.producer_id_expiration_ms, 604_800_000);
    let c = BrokerConfig::parse(&props(&[(EXPIRY, "10000"), (CHECK, "1000")]), v34).unwrap();
    assert_eq!(
        (
            c.producer_id_expiration_ms,
            c.producer_id_expiration_check_interval_ms
        ),
        (10_000, 1_000)
    );
    for key in [EXPIRY, CHECK] {
        let e = BrokerConfig::parse(&props(&[(key, "0")]), v34).unwrap_err();
        assert_eq!(e[0].key.as_deref(), Some(key));
        assert_eq!(
            e[0].message,
            format!("Invalid value 0 for configuration {key}: Value must be at least 1")
        );
        // An INT: a day in ms fits, 2^31 does not.
        assert!(BrokerConfig::parse(&props(&[(key, "2147483648")]), v34).is_err());
        let e = BrokerConfig::parse(&props(&[(key, "10000")]), v33).unwrap_err();
        assert_eq!(e[0].key.as_deref(), Some(key));
        assert!(e[0].message.contains("3.4 (KIP-854)"), "{}", e[0].message);
        assert!(e[0].message.contains("transactional.id.expiration.ms"));
        // The app drops it from a run moved to an older version.
        assert!(broker_config_available(key, v34) && !broker_config_available(key, v33));
    }
}

/// One broker, `orders` with one partition, a 10 s expiry checked every second, and
/// `actions` of producer `idle` (idempotent) and `tx` (transactional).
fn scenario(broker_config: &str, idle_config: &str, actions: &str, until_ms: u64) -> String {
    format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":1,"network":{{"latency_ms":1}},
            "broker_config":{{{broker_config}}},
            "topics":[{{"name":"orders","partitions":1}}],
            "producers":[{{"name":"idle","config":{{"linger.ms":"0"{idle_config}}}}},
                         {{"name":"tx","config":{{"linger.ms":"0","transactional.id":"t"}}}}],
            "actions":[{actions}],
            "until_ms":{until_ms}}}"#
    )
}

const SHORT: &str =
    r#""producer.id.expiration.ms":"10000","producer.id.expiration.check.interval.ms":"1000""#;

/// The producer ids broker 0 keeps state for on `orders-0`.
fn known(sim: &Simulation) -> Vec<i64> {
    let p = sim.brokers()[0].partitions.get(&TP0).unwrap();
    p.producer_state.producers().map(|(&id, _)| id).collect()
}

#[test]
fn an_idle_producer_is_forgotten_on_time_and_an_open_transaction_is_kept() {
    let actions = r#"{"at_ms":0,"action":"send","producer":"idle","topic":"orders","value":"a"},
        {"at_ms":0,"action":"init_transactions","producer":"tx"},
        {"at_ms":50,"action":"begin_transaction","producer":"tx"},
        {"at_ms":60,"action":"send","producer":"tx","topic":"orders","value":"b"}"#;
    let s = scenario(SHORT, "", actions, 30_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.record_trace();
    sim.run_until(1_000);
    let both = known(&sim);
    assert_eq!(both.len(), 2, "both producers wrote");
    let open = |sim: &Simulation, id: i64| {
        let p = sim.brokers()[0].partitions.get(&TP0).unwrap();
        p.producer_state
            .entry(id)
            .unwrap()
            .current_txn_first_offset
            .is_some()
    };
    let (idle, tx) = match open(&sim, both[0]) {
        true => (both[1], both[0]),
        false => (both[0], both[1]),
    };
    assert!(open(&sim, tx));
    // "a" was sent at 0: its state is due at 10000, the first check at or after it.
    sim.run_until(9_999);
    assert_eq!(known(&sim).len(), 2, "not a millisecond early");
    sim.run_until(10_000);
    assert_eq!(known(&sim), [tx]);
    let expired: Vec<_> = sim
        .trace()
        .iter()
        .filter_map(|(at, e)| match e {
            TraceEvent::ProducerStateExpired {
                broker,
                tp,
                producer_id,
                last_timestamp,
                expiration_ms,
            } => Some((
                *at,
                *broker,
                *tp,
                *producer_id,
                *last_timestamp,
                *expiration_ms,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(expired, [(10_000, 0, TP0, idle, 0, 10_000)]);
    // The transaction stays open (its timeout is a minute): its producer is kept.
    sim.run();
    assert_eq!(known(&sim), [tx]);
    assert!(open(&sim, tx));
}

/// The values in `orders-0`'s log and whether the one send was acknowledged, for a run
/// whose first produce response is lost and retried 15 s later.
fn lost_response_retried_late(broker_config: &str) -> (Vec<String>, bool) {
    let actions = r#"{"at_ms":0,"action":"drop_responses","broker":0,"count":1},
        {"at_ms":0,"action":"send","producer":"idle","topic":"orders","value":"a"}"#;
    let idle = r#","request.timeout.ms":"15000","delivery.timeout.ms":"60000""#;
    let r = run_json(&scenario(broker_config, idle, actions, 30_000));
    let log = r["partitions"][0]["log"].as_array().unwrap();
    let values = log
        .iter()
        .map(|e| e["value"].as_str().unwrap().to_string())
        .collect();
    let sends = r["sends"].as_array().unwrap();
    (values, sends.iter().all(|s| s["outcome"] == "acked"))
}

#[test]
fn a_retry_after_the_expiry_is_written_again_despite_idempotence() {
    // Kept (the default day), the retry is found among the last five batches and
    // answered with the first offset: one copy.
    assert_eq!(
        lost_response_retried_late(""),
        (vec!["a".to_string()], true)
    );
    // Forgotten at 10 s, the retry at 15 s is a new producer's first batch to the leader,
    // taken at any sequence (KIP-360): a duplicate, acknowledged as a success.
    assert_eq!(
        lost_response_retried_late(SHORT),
        (vec!["a".to_string(), "a".to_string()], true)
    );
}
