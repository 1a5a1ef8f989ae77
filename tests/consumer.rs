//! Consumers (`shared/kafka/exactly-once.md` §8, `broker.md` §2): a consumer reads only
//! below the high watermark, follows leaders through failures, and after an unclean
//! election finds its position gone and resets it.

use kafka_lab::trace::TraceEvent;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::run_json;
use serde_json::Value;

fn scenario(acks: &str, actions: &str, consumer_config: &str, until_ms: u64) -> String {
    format!(
        r#"{{"seed":5,"kafka_version":"4.0","brokers":3,"network":{{"latency_ms":5}},
            "topics":[{{"name":"t","partitions":2,"replication_factor":2,"replica_assignment":[[0,1],[1,0]]}}],
            "producers":[{{"name":"p","config":{{"acks":"{acks}","linger.ms":"0","enable.idempotence":"false"}}}}],
            "consumers":[{{"name":"c","topics":["t"],"config":{{{consumer_config}}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b"],"value":"v","count":10,"interval_ms":0}}{actions}],
            "until_ms":{until_ms}}}"#
    )
}

fn consumed(r: &Value) -> Vec<(u64, u64)> {
    r["consumers"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["partition"].as_u64().unwrap(),
                x["offset"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_consumer_reads_only_below_the_high_watermark() {
    // The followers' fetches take 2 s to reach their leaders: acks=1 acknowledges at once,
    // but the high watermark waits for the follower, and so does the consumer.
    let slow = r#",{"at_ms":0,"action":"slow_follower","broker":0,"extra_latency_ms":2000},
                  {"at_ms":0,"action":"slow_follower","broker":1,"extra_latency_ms":2000}"#;
    let s = scenario("1", slow, "", 10_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run_until(1500);
    assert!(
        sim.producers()[0].sends.iter().all(|s| s.offset >= 0),
        "all acknowledged"
    );
    assert_eq!(sim.consumers()[0].records.len(), 0, "none committed yet");
    sim.run();
    assert_eq!(sim.consumers()[0].records.len(), 10);
    let r = run_json(&s);
    let got = consumed(&r);
    assert_eq!(got.len(), 10);
    for p in 0..2 {
        let offsets: Vec<u64> = got
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, o)| *o)
            .collect();
        let n = offsets.len() as u64;
        assert_eq!(
            offsets,
            (0..n).collect::<Vec<u64>>(),
            "partition {p} in order, once"
        );
    }
}

#[test]
fn a_consumer_follows_the_leader_through_a_crash() {
    // Broker 0 leads partition 0 and crashes: the consumer's connection closes, it asks for
    // metadata, and once broker 1 leads it reads on from where it was — every committed
    // record exactly once.
    let actions = r#",{"at_ms":2000,"action":"crash_broker","broker":0},
                     {"at_ms":2000,"action":"send","producer":"p","topic":"t","keys":["a","b"],"value":"w","count":10,"interval_ms":1000}"#;
    let r = run_json(&scenario(
        "all",
        actions,
        r#""isolation.level":"read_committed""#,
        40_000,
    ));
    let got = consumed(&r);
    for p in 0..2usize {
        let hw = r["partitions"][p]["high_watermark"].as_u64().unwrap();
        let offsets: Vec<u64> = got
            .iter()
            .filter(|(q, _)| *q == p as u64)
            .map(|(_, o)| *o)
            .collect();
        assert_eq!(offsets, (0..hw).collect::<Vec<u64>>(), "partition {p}");
    }
    assert_eq!(r["partitions"][0]["leader"], 1);
    assert_eq!(got.len(), 20);
}

#[test]
fn an_unclean_election_resets_the_consumer() {
    // Both followers are cut out of the ISR (slow fetches); the leader crashes; broker 1 is
    // elected uncleanly with almost nothing. The consumer's position is past its log end:
    // OFFSET_OUT_OF_RANGE, and auto.offset.reset (latest by default) moves it there.
    let json = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/unclean-election.json"),
    )
    .unwrap();
    let mut sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    let reset = sim.trace().iter().find_map(|(_, e)| match e {
        TraceEvent::ConsumerOffsetReset { from, to, .. } => Some((*from, *to)),
        _ => None,
    });
    let (from, to) = reset.expect("the consumer's offset is gone");
    assert!(from > to, "{from} → {to}");
}

#[test]
fn consumer_configs_are_checked() {
    let bad = scenario(
        "1",
        "",
        r#""isolation.level":"read_most","group.id":"g""#,
        100,
    );
    let errors = Simulation::new(&Scenario::from_json(&bad).unwrap()).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&"consumers[0].config.isolation.level"),
        "{paths:?}"
    );
    assert!(paths.contains(&"consumers[0].config.group.id"), "{paths:?}");
    let unknown = scenario("1", "", "", 100).replace(r#""topics":["t"]"#, r#""topics":["nope"]"#);
    let errors = Simulation::new(&Scenario::from_json(&unknown).unwrap()).unwrap_err();
    assert_eq!(errors[0].path, "consumers[0].topics[0]");
}

#[test]
fn fetch_min_bytes_zero_is_answered_at_once() {
    // `ReplicaManager.fetchMessages` answers when `bytesReadable >= minBytes`: with
    // fetch.min.bytes 0 an empty read is enough, so the consumer polls again at once
    // instead of waiting fetch.max.wait.ms at the log end. The same records either way.
    let run = |min_bytes: &str| {
        let config = format!(r#""fetch.min.bytes":"{min_bytes}","fetch.max.wait.ms":"500""#);
        let s = scenario("all", "", &config, 3_000);
        let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
        sim.run();
        (sim.steps(), consumed(&run_json(&s)))
    };
    let (waiting, read_waiting) = run("1");
    let (polling, read_polling) = run("0");
    assert_eq!(read_waiting.len(), 10);
    assert_eq!(read_polling, read_waiting);
    // Two leaders, a 10 ms round trip: ~600 empty fetches in 3 s against ~12 held ones.
    assert!(polling > 3 * waiting, "{polling} events against {waiting}");
}
