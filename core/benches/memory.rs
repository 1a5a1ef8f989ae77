//! Memory over a long run (issue 8's budget: ≤ 100 MB after an hour of virtual time at
//! 10,000 records/s, bounded). Not a criterion bench: it plays one scenario and prints the
//! process's resident memory (Linux `/proc/self/status`) every `EVERY_S` virtual seconds.
//!
//!   cargo bench -p kafka-lab-core --bench memory                 (an hour of virtual time)
//!   RUN_S=300 EVERY_S=30 cargo bench -p kafka-lab-core --bench memory
//!
//! The scenario: the throughput bench's (3 brokers, RF 3, 12 partitions, acks=all,
//! linger.ms=5, 100-byte values), 10 senders of a record a millisecond each, one consumer,
//! with Kafka's retention keeping about RETENTION_S seconds of log (`retention.ms`, default
//! 10 s; `segment.ms` a fifth of it; `log.retention.check.interval.ms` and, so that the
//! first check is not 30 s in, `log.initial.task.delay.ms` half of it); the trace and the
//! run's own history kept as the app keeps them.

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
    let seconds = env("RUN_S", 3_600);
    let retention_ms = env("RETENTION_S", 10) * 1_000;
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
                        "config":{{"segment.ms":"{segment_ms}","retention.ms":"{retention_ms}"}}}}],
            "broker_config":{{"log.retention.check.interval.ms":"{check_ms}",
                              "log.initial.task.delay.ms":"{check_ms}"}},
            "producers":[{{"name":"p","config":{{"acks":"all","linger.ms":"5"}}}}],
            "consumers":[{{"name":"c","topics":["t"]}}],
            "actions":[{}],"until_ms":{ms}}}"#,
        sends.join(","),
        segment_ms = retention_ms / 5,
        check_ms = retention_ms / 2,
    );
    let scenario = Scenario::from_json(&json).expect("a valid scenario");
    let mut sim = Simulation::new(&scenario).expect("a valid scenario");
    // As the app's `build` does.
    sim.record_recent_trace(1 << 18);
    sim.bound_history(1 << 16);
    let start = std::time::Instant::now();
    println!(
        "virtual s | records sent | sends kept | log records kept | resident MB | peak MB | wall s"
    );
    for t in (every..=seconds).step_by(every as usize) {
        sim.run_until(t * 1_000);
        let sent: usize = sim.producers().iter().map(|p| p.sends.len()).sum();
        let kept: usize = sim
            .producers()
            .iter()
            .map(|p| p.sends.len() - p.sends.start())
            .sum();
        let logs: usize = sim
            .brokers()
            .iter()
            .flat_map(|b| b.partitions.values())
            .map(|p| p.log.records().len() - p.log.records().start())
            .sum();
        let (now, peak) = resident_mb();
        println!(
            "{t} | {sent} | {kept} | {logs} | {now:.0} | {peak:.0} | {:.0}",
            start.elapsed().as_secs_f64()
        );
    }
}
