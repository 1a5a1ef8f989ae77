//! How many records the simulation gets through per second of wall time (issue 8's
//! budget: 5,000,000/s natively on one core for the scenario below), and how the cost
//! grows with the load, the partitions and the brokers; the cost of one event; and the
//! teaching file the app replays on a seek ahead.
//! `cargo bench -p kafka-lab-core --bench throughput`; figures and method in docs/perf.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kafka_lab::{Scenario, Simulation};
use std::hint::black_box;

/// `senders` application threads, each sending one 100-byte record a millisecond for
/// `ms` ms with null keys, to a topic of `partitions` partitions replicated on every one
/// of `brokers` brokers, with `acks=all` and `linger.ms=5`.
fn scenario(brokers: u32, partitions: u32, senders: u32, ms: u64) -> Scenario {
    let sends: Vec<String> = (0..senders)
        .map(|_| {
            format!(
                r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","key":null,"value_bytes":100,"count":{ms},"interval_ms":1}}"#
            )
        })
        .collect();
    let json = format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":{brokers},
            "topics":[{{"name":"t","partitions":{partitions},"replication_factor":{brokers}}}],
            "producers":[{{"name":"p","config":{{"acks":"all","linger.ms":"5"}}}}],
            "actions":[{}],"until_ms":{}}}"#,
        sends.join(","),
        ms + 2_000
    );
    Scenario::from_json(&json).expect("a valid scenario")
}

/// The first 20 s of the file `bench/load.mjs` opens in the app: one record a millisecond
/// with keys `a`, `b`, `c` and null, 12 partitions, RF 3, `acks=all`, `linger.ms=5`, a
/// consumer. Batches of one or two records: its cost is per request and per event, and
/// it is what the app replays when a seek goes past its snapshots.
fn teaching() -> Scenario {
    Scenario::from_json(
        r#"{"seed":7,"kafka_version":"4.0","brokers":3,
            "topics":[{"name":"orders","partitions":12,"replication_factor":3}],
            "producers":[{"name":"p1","config":{"acks":"all","linger.ms":"5"}}],
            "consumers":[{"name":"c1","topics":["orders"]}],
            "actions":[{"at_ms":0,"action":"send","producer":"p1","topic":"orders",
                "keys":["a","b","c",null],"value_bytes":100,"count":20000,"interval_ms":1}],
            "until_ms":20000}"#,
    )
    .expect("a valid scenario")
}

fn run(s: &Scenario) -> u64 {
    let mut sim = Simulation::new(s).expect("a valid scenario");
    sim.run();
    sim.steps()
}

fn bench(c: &mut Criterion) {
    // The budget's scenario: 3 brokers, RF 3, 12 partitions, 10,000 records/s for 2 s.
    let mut g = c.benchmark_group("throughput");
    g.sample_size(10);
    let s = scenario(3, 12, 10, 2_000);
    g.throughput(Throughput::Elements(20_000));
    g.bench_function("3 brokers, RF 3, 12 partitions, 20,000 records", |b| {
        b.iter(|| run(black_box(&s)))
    });
    g.finish();

    // The same run counted in events (deliveries, wake-ups, sends: the same number every
    // run): its time per element is the cost of an event.
    let mut g = c.benchmark_group("events");
    g.sample_size(10);
    g.throughput(Throughput::Elements(run(&s)));
    g.bench_function("budget scenario", |b| b.iter(|| run(black_box(&s))));
    g.finish();

    // The teaching file's first 20 s, in events (142,675).
    let mut g = c.benchmark_group("teaching");
    g.sample_size(10);
    let s = teaching();
    g.throughput(Throughput::Elements(run(&s)));
    g.bench_function("first 20 s of the 5-minute file", |b| {
        b.iter(|| run(black_box(&s)))
    });
    g.finish();

    // 1x, 10x, 100x: records per second (1,000 to 100,000, one second of sends).
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    for senders in [1u32, 10, 100] {
        let s = scenario(3, 12, senders, 1_000);
        g.throughput(Throughput::Elements(senders as u64 * 1_000));
        g.bench_with_input(BenchmarkId::from_parameter(senders * 1_000), &s, |b, s| {
            b.iter(|| run(black_box(s)))
        });
    }
    g.finish();

    // Partitions 1x, 10x, 100x at 10,000 records/s.
    let mut g = c.benchmark_group("partitions");
    g.sample_size(10);
    for partitions in [3u32, 30, 300] {
        let s = scenario(3, partitions, 10, 1_000);
        g.throughput(Throughput::Elements(10_000));
        g.bench_with_input(BenchmarkId::from_parameter(partitions), &s, |b, s| {
            b.iter(|| run(black_box(s)))
        });
    }
    g.finish();

    // Brokers (and replicas) 1, 3, 9 at 10,000 records/s over 12 partitions.
    let mut g = c.benchmark_group("brokers");
    g.sample_size(10);
    for brokers in [1u32, 3, 9] {
        let s = scenario(brokers, 12, 10, 1_000);
        g.throughput(Throughput::Elements(10_000));
        g.bench_with_input(BenchmarkId::from_parameter(brokers), &s, |b, s| {
            b.iter(|| run(black_box(s)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
