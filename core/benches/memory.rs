//! Memory over a long run (issue 8's budget: ≤ 100 MB after an hour of virtual time at
//! 10,000 records/s, bounded). Not a criterion bench: it plays one scenario and prints the
//! process's resident memory (Linux `/proc/self/status`) every `EVERY_S` virtual seconds.
//!
//!   cargo bench -p kafka-lab-core --bench memory                 (an hour: ~15 min)
//!   SECONDS=300 EVERY_S=30 cargo bench -p kafka-lab-core --bench memory
//!
//! The scenario: the throughput bench's (3 brokers, RF 3, 12 partitions, acks=all,
//! linger.ms=5, 100-byte values), 10 senders of a record a millisecond each, one consumer,
//! with Kafka's retention keeping about a minute of log (`segment.ms` 10 s, `retention.ms`
//! 60 s, `log.retention.check.interval.ms` 10 s); the trace kept as the app keeps it.

use kafka_lab::{Scenario, Simulation};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (resident now, peak) in MB.
fn resident_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let seconds = env("SECONDS", 3_600);
    let every = env("EVERY_S", 300).max(1);
    let ms = seconds * 1_000;
    let sends: Vec<String> = (0..10)
        .map(|_| {
            format!(
                r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","key":null,"value_bytes":100,"count":{ms},"interval_ms":1}}"#
            )
        })
        .collect();
    let json = format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":3,
            "topics":[{{"name":"t","partitions":12,"replication_factor":3,
                        "config":{{"segment.ms":"10000","retention.ms":"60000"}}}}],
            "broker_config":{{"log.retention.check.interval.ms":"10000"}},
            "producers":[{{"name":"p","config":{{"acks":"all","linger.ms":"5"}}}}],
            "consumers":[{{"name":"c","topics":["t"]}}],
            "actions":[{}],"until_ms":{ms}}}"#,
        sends.join(",")
    );
    let scenario = Scenario::from_json(&json).expect("a valid scenario");
    let mut sim = Simulation::new(&scenario).expect("a valid scenario");
    sim.record_recent_trace(1 << 18);
    let start = std::time::Instant::now();
    println!("virtual s | records sent | resident MB | peak MB | wall s");
    for t in (every..=seconds).step_by(every as usize) {
        sim.run_until(t * 1_000);
        let sent: usize = sim.producers().iter().map(|p| p.sends.len()).sum();
        let (now, peak) = resident_mb();
        println!(
            "{t} | {sent} | {now:.0} | {peak:.0} | {:.0}",
            start.elapsed().as_secs_f64()
        );
    }
}
