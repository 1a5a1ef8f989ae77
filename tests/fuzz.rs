//! A fuzz smoke of the scenario reader, the config parsers, the app's link decoder and the
//! simulation (issue 9): every scenario file, mutated at random — as text (characters
//! deleted, inserted, replaced; values replaced by huge, negative or fractional numbers and
//! odd strings; pieces repeated) and as JSON (a value anywhere replaced, a field removed, a
//! list item repeated, which mostly stays readable and reaches the simulation) — is read
//! and, when valid, simulated for a bounded number of events; random config maps go
//! through each parser; links of random workloads are altered and read back. Nothing may
//! panic or stall, and every rejection names its field. `FUZZ_CASES=N` per file and kind
//! (default 100 in the test command), `CONFIG_FUZZ_CASES`, `LINK_FUZZ_CASES`; each test
//! prints how many cases ran.

use kafka_lab::config::{
    broker_default, consumer_default, producer_default, topic_default, BrokerConfig, ConfigError,
    ConsumerConfig, ProducerConfig, TopicConfig,
};
use kafka_lab::link;
use kafka_lab::vec_map::VecMap;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::Gen;
use kafka_lab_web::app::SPEEDS;
use kafka_lab_web::i18n::Lang;
use kafka_lab_web::share::{decode, encode, View};
use kafka_lab_web::workload::{Fault, FaultKind, Setting, Workload};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

const PIECES: &[&str] = &[
    "-1",
    "0",
    "4294967296",
    "18446744073709551616",
    "1e400",
    "0.5",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\"all\"",
    "\"-1\"",
    "\"9999999999\"",
    "\"\\u0000\"",
    "\"판교\"",
    ",",
    ":",
];

fn mutate(text: &str, g: &mut Gen) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + g.index(3) {
        let at = g.index(chars.len());
        match g.index(5) {
            0 => {
                let n = 1 + g.index(8);
                chars.drain(at..(at + n).min(chars.len()));
            }
            1 => chars.insert(at, (b' ' + g.index(95) as u8) as char),
            2 => {
                // A number (or the value at `at`) replaced by a piece.
                let end = (at..chars.len())
                    .find(|&i| matches!(chars[i], ',' | '}' | ']'))
                    .unwrap_or(chars.len());
                let piece: Vec<char> = PIECES[g.index(PIECES.len())].chars().collect();
                chars.splice(at..end, piece);
            }
            3 => {
                let n = 1 + g.index(40);
                let piece: Vec<char> = chars[at..(at + n).min(chars.len())].to_vec();
                let to = g.index(chars.len());
                chars.splice(to..to, piece);
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = ['{', '}', '[', ']', '"', '0', 'x', ' '][g.index(8)];
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn odd_value(g: &mut Gen) -> Value {
    match g.index(14) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(1),
        3 => json!(4_294_967_296u64),
        4 => json!(u64::MAX),
        5 => json!(1_000_000_000),
        6 => json!(0.5),
        7 => json!(""),
        8 => json!("x"),
        9 => json!("-1"),
        10 => json!("1000000"),
        11 => Value::Null,
        12 => json!(true),
        _ => json!([]),
    }
}

/// Every value's place in `v`, as a path of object keys and list indices.
fn places(v: &Value, at: &mut Vec<Vec<Place>>, path: Vec<Place>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = path.clone();
                p.push(Place::Key(k.clone()));
                places(x, at, p);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = path.clone();
                p.push(Place::Index(i));
                places(x, at, p);
            }
        }
        _ => {}
    }
    at.push(path);
}

#[derive(Clone)]
enum Place {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(v: &'a mut Value, path: &[Place]) -> &'a mut Value {
    path.iter().fold(v, |v, p| match p {
        Place::Key(k) => &mut v[k.as_str()],
        Place::Index(i) => &mut v[*i],
    })
}

fn mutate_json(text: &str, g: &mut Gen) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    for _ in 0..1 + g.index(2) {
        let mut all = Vec::new();
        places(&v, &mut all, Vec::new());
        let path = all[g.index(all.len())].clone();
        match (g.index(4), path.split_last()) {
            (0, Some((Place::Key(k), parent))) => {
                if let Value::Object(m) = at_mut(&mut v, parent) {
                    m.remove(k);
                }
            }
            (1, Some((Place::Index(i), parent))) => {
                if let Value::Array(a) = at_mut(&mut v, parent) {
                    let x = a[*i].clone();
                    a.insert(*i, x);
                }
            }
            _ => *at_mut(&mut v, &path) = odd_value(g),
        }
    }
    v.to_string()
}

/// Reads `text` and, if valid, runs it for at most `events` events.
fn exercise(text: &str, events: u32) -> Result<bool, String> {
    let scenario = match Scenario::from_json(text) {
        Ok(s) => s,
        Err(e) if e.path.is_empty() || e.message.is_empty() => {
            return Err(format!("a rejection without its field: {e:?}"))
        }
        Err(_) => return Ok(false),
    };
    match Simulation::new(&scenario) {
        Ok(mut sim) => {
            for _ in 0..events {
                if !sim.step() {
                    break;
                }
            }
            // A loop the simulation caught (wake-ups that change nothing) is a bug.
            match sim.stalled_at() {
                Some(t) => Err(format!("the run stalled at {t} ms")),
                None => Ok(true),
            }
        }
        Err(errors) => match errors
            .iter()
            .find(|e| e.path.is_empty() || e.message.is_empty())
        {
            Some(e) => Err(format!("a rejection without its field: {e:?}")),
            None => Ok(false),
        },
    }
}

/// The scenario files, (name, text), in name order: what the mutations start from.
fn scenario_files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// How many cases to run: `var` from the environment, or `default`.
fn cases(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_scenarios_never_panic_and_every_rejection_names_its_field() {
    let per_file = cases("FUZZ_CASES", 100);
    let (mut total, mut ran) = (0, 0);
    let mut g = Gen(2026);
    for (file, text) in &scenario_files() {
        for k in 0..per_file * 2 {
            let input = if k % 2 == 0 {
                mutate(text, &mut g)
            } else {
                mutate_json(text, &mut g)
            };
            let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&input, 10_000)));
            match outcome {
                Ok(Ok(valid)) => ran += valid as u32,
                Ok(Err(e)) => panic!("{file}: {e}\n{input}"),
                Err(_) => panic!("{file}: panicked on\n{input}"),
            }
            total += 1;
        }
    }
    assert!(ran > 0, "some mutations stay valid and run");
    println!(
        "fuzz cases: {total} mutated scenarios ({ran} valid and simulated for up to 10,000 events)"
    );
}

#[test]
fn times_past_the_longest_run_are_refused_by_name() {
    // Found by the fuzzing above: an interval of u64::MAX overflowed the clock.
    let cases = [
        (
            r#"{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":2,"interval_ms":18446744073709551615}"#,
            "actions[0].interval_ms",
        ),
        (
            r#"{"at_ms":18446744073709551615,"action":"flush","producer":"p"}"#,
            "actions[0].at_ms",
        ),
        (
            r#"{"at_ms":0,"action":"slow_broker","broker":0,"extra_latency_ms":18446744073709551615}"#,
            "actions[0].extra_latency_ms",
        ),
    ];
    for (action, path) in cases {
        let json = format!(
            r#"{{"brokers":1,"topics":[{{"name":"t","partitions":1}}],"producers":[{{"name":"p"}}],"actions":[{action}],"until_ms":1000}}"#
        );
        let scenario = Scenario::from_json(&json).expect("readable");
        let Err(errors) = Simulation::new(&scenario) else {
            panic!("{path} accepted");
        };
        assert!(
            errors
                .iter()
                .any(|e| e.path == path && e.message.contains("at most 86400000 ms")),
            "{errors:?}"
        );
    }
}

/// Names a config map may hold: Kafka's, some Kafka has elsewhere or not at all, and near
/// misses.
const PRODUCER_KEYS: &[&str] = &[
    "acks",
    "enable.idempotence",
    "linger.ms",
    "batch.size",
    "buffer.memory",
    "max.block.ms",
    "retries",
    "max.in.flight.requests.per.connection",
    "request.timeout.ms",
    "delivery.timeout.ms",
    "max.request.size",
    "retry.backoff.ms",
    "retry.backoff.max.ms",
    "compression.type",
    "partitioner.ignore.keys",
    "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
    "partitioner.class",
    "key.serializer",
    "value.serializer",
    "transactional.id",
    "transaction.timeout.ms",
    "client.id",
    "compression.zstd.level",
    "Acks",
    "linger.ms ",
    "",
];
const TOPIC_KEYS: &[&str] = &[
    "min.insync.replicas",
    "max.message.bytes",
    "unclean.leader.election.enable",
    "retention.ms",
    "retention.bytes",
    "segment.bytes",
    "segment.ms",
    "cleanup.policy",
    "acks",
];
const BROKER_KEYS: &[&str] = &[
    "log.retention.check.interval.ms",
    "log.initial.task.delay.ms",
    "auto.leader.rebalance.enable",
    "leader.imbalance.check.interval.seconds",
    "leader.imbalance.per.broker.percentage",
    "replica.lag.time.max.ms",
    "num.io.threads",
    "retention.ms",
];
const CONSUMER_KEYS: &[&str] = &[
    "isolation.level",
    "fetch.min.bytes",
    "fetch.max.wait.ms",
    "max.partition.fetch.bytes",
    "auto.offset.reset",
    "retry.backoff.ms",
    "group.id",
    "enable.auto.commit",
    "max.poll.records",
    "linger.ms",
];
const CONFIG_VALUES: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "5",
    "100",
    " 100 ",
    "1.5",
    "1e3",
    "0x10",
    "16384",
    "1048576",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "all",
    "ALL",
    "none",
    "gzip",
    "snappy",
    "lz4",
    "zstd",
    "true",
    "false",
    "TRUE",
    "read_committed",
    "read_uncommitted",
    "earliest",
    "latest",
    "org.apache.kafka.common.serialization.ByteArraySerializer",
    "org.apache.kafka.common.serialization.LongSerializer",
    "org.apache.kafka.clients.producer.RoundRobinPartitioner",
    "CustomPartitioner",
    "tx",
    "\u{0}",
    "판교",
];

/// Up to 4 properties; half of the values are the property's default (where Kafka has
/// the property), so that many maps are valid and reach the simulation.
fn config_map(
    g: &mut Gen,
    keys: &[&str],
    default: impl Fn(&str) -> Option<&'static str>,
) -> VecMap<String, String> {
    (0..g.index(5))
        .map(|_| {
            let key = keys[g.index(keys.len())];
            let value = match (g.index(8), default(key)) {
                (0..=3, Some(d)) => d.to_string(),
                (4, _) => g.below(100_000).to_string(),
                (5, _) => "9".repeat(1 + g.index(400)),
                _ => CONFIG_VALUES[g.index(CONFIG_VALUES.len())].to_string(),
            };
            (key.to_string(), value)
        })
        .collect()
}

/// Every rejection names a property of the map it was given.
fn named(
    errors: Result<(), Vec<ConfigError>>,
    props: &VecMap<String, String>,
) -> Result<bool, String> {
    match errors {
        Ok(()) => Ok(true),
        Err(errors) => match errors.iter().find(|e| {
            e.message.is_empty() || !e.key.as_ref().is_some_and(|k| props.contains_key(k))
        }) {
            Some(e) => Err(format!("{e:?} does not name a property of {props:?}")),
            None => Ok(false),
        },
    }
}

/// Random config maps read by each config parser, directly and inside a scenario that
/// is then simulated: no panic, and every rejection names its property (or, in a
/// scenario, its path). `CONFIG_FUZZ_CASES=N` (default 5,000).
#[test]
fn random_configs_never_panic_and_every_rejection_names_its_property() {
    let cases = cases("CONFIG_FUZZ_CASES", 5_000);
    let versions: Vec<String> = KafkaVersion::supported_lines().collect();
    let mut g = Gen(9);
    let mut ran = 0;
    for case in 0..cases {
        let version = &versions[g.index(versions.len())];
        let v = KafkaVersion::parse(version).unwrap();
        let (producer, topic, broker, consumer) = (
            config_map(&mut g, PRODUCER_KEYS, |k| producer_default(k, v)),
            config_map(&mut g, TOPIC_KEYS, topic_default),
            config_map(&mut g, BROKER_KEYS, broker_default),
            config_map(&mut g, CONSUMER_KEYS, consumer_default),
        );
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
            let all = [
                named(ProducerConfig::parse(&producer, v).map(drop), &producer)?,
                named(TopicConfig::parse(&topic, v).map(drop), &topic)?,
                named(BrokerConfig::parse(&broker, v).map(drop), &broker)?,
                named(ConsumerConfig::parse(&consumer).map(drop), &consumer)?,
            ];
            if case % 4 != 0 {
                return Ok(false);
            }
            // In a scenario: the maps their parser took, and one other (refused or not),
            // whose refusal must then name its path.
            let with = g.index(4);
            let pick = |i: usize, map: &VecMap<String, String>| {
                if all[i] || i == with {
                    json!(map.iter().collect::<std::collections::BTreeMap<_, _>>())
                } else {
                    json!({})
                }
            };
            let scenario = json!({
                "kafka_version": version, "brokers": 3, "broker_config": pick(2, &broker),
                "topics": [{"name": "t", "partitions": 2, "replication_factor": 3, "config": pick(1, &topic)}],
                "producers": [{"name": "p", "config": pick(0, &producer)}],
                "consumers": [{"name": "c", "topics": ["t"], "config": pick(3, &consumer)}],
                "actions": [{"at_ms": 0, "action": "send", "producer": "p", "topic": "t",
                             "keys": ["a", "b"], "value_bytes": 50, "count": 200, "interval_ms": 2}],
                "until_ms": 2000
            });
            let valid = exercise(&scenario.to_string(), 3_000)?;
            if valid && !all[with] {
                return Err("a scenario ran with a config its parser refuses".into());
            }
            Ok(valid)
        }));
        match outcome {
            Ok(Ok(valid)) => ran += valid as u32,
            Ok(Err(e)) => panic!("{e}\n{version} {producer:?} {topic:?} {broker:?} {consumer:?}"),
            Err(_) => {
                panic!("panicked on {version} {producer:?} {topic:?} {broker:?} {consumer:?}")
            }
        }
    }
    assert!(ran > 0, "some configs are valid and run");
    println!(
        "fuzz cases: {cases} random config maps × 4 parsers ({ran} valid in a scenario and simulated for up to 3,000 events)"
    );
}

/// A workload as the panels make one: settings applied one by one through their checks
/// (a refused one is skipped, as the app keeps its state), faults and transactional
/// calls; sometimes on a scenario file.
fn random_workload(g: &mut Gen, files: &[(String, String)]) -> Workload {
    let mut w = match g.index(4) {
        0 => {
            let (name, text) = &files[g.index(files.len())];
            Workload::from_file(name, text).unwrap_or_default()
        }
        _ => Workload::default(),
    };
    let versions: Vec<String> = KafkaVersion::supported_lines().collect();
    for _ in 0..g.index(8) {
        let value = |g: &mut Gen| match g.index(3) {
            0 => g.below(20_000).to_string(),
            _ => CONFIG_VALUES[g.index(CONFIG_VALUES.len())].to_string(),
        };
        let setting = match g.index(13) {
            0 => Setting::KafkaVersion(versions[g.index(versions.len())].clone()),
            1 => Setting::Producer(PRODUCER_KEYS[g.index(PRODUCER_KEYS.len())].into(), value(g)),
            2 => Setting::Topic(TOPIC_KEYS[g.index(TOPIC_KEYS.len())].into(), value(g)),
            3 => Setting::Consumer(CONSUMER_KEYS[g.index(CONSUMER_KEYS.len())].into(), value(g)),
            4 => Setting::Partitions(g.below(14).to_string()),
            5 => Setting::ReplicationFactor(g.below(5).to_string()),
            6 => Setting::Keys(g.pick(&["null", "single", "cities", "users", "all"]).into()),
            7 => Setting::Rate(value(g)),
            8 => Setting::ValueBytes(value(g)),
            9 => Setting::LatencyMs(value(g)),
            10 => Setting::Mode(g.pick(&["async", "sync", "fire_and_forget", "x"]).into()),
            11 => Setting::Broker(BROKER_KEYS[g.index(BROKER_KEYS.len())].into(), value(g)),
            _ => Setting::Transactions(g.below(2) == 0),
        };
        // The app takes an edit its checks pass and whose run builds.
        match w.with(&setting) {
            Ok(next) if Simulation::new(&next.scenario()).is_ok() => w = next,
            _ => {}
        }
    }
    let kinds = [
        FaultKind::SlowFollower,
        FaultKind::DropRequest,
        FaultKind::DropResponse,
        FaultKind::Crash,
        FaultKind::Restart,
        FaultKind::Isolate,
        FaultKind::Heal,
        FaultKind::RestartProducer,
    ];
    for _ in 0..g.index(4) {
        w.faults.push(Fault {
            at_ms: g.below(w.until_ms()),
            kind: kinds[g.index(kinds.len())],
            broker: g.below(w.brokers() as u64) as u32,
        });
    }
    w.faults.sort_by_key(|f| f.at_ms);
    w
}

/// The URL-state decoder (`#s=…`): links made from random workloads come back as they
/// were; the same links altered as text (characters replaced, removed, added; cut short)
/// and inside their JSON (as the scenario mutations above) never panic, every refusal
/// names its field, and what is accepted builds and runs as the app would run it.
/// `LINK_FUZZ_CASES=N` (default 3,000).
#[test]
fn mutated_links_never_panic_and_every_refusal_names_its_field() {
    let cases = cases("LINK_FUZZ_CASES", 3_000);
    let files = scenario_files();
    let mut g = Gen(31);
    let (mut accepted, mut ran) = (0, 0);
    for case in 0..cases {
        let w = random_workload(&mut g, &files);
        let view = View {
            t_ms: g.below(w.until_ms()) as f64 + 0.5,
            steps: g.below(100_000),
            speed: SPEEDS[g.index(SPEEDS.len())].0,
            lang: if g.below(2) == 0 { Lang::En } else { Lang::Ko },
            lesson: None,
        };
        let text = encode(&w, view.clone());
        assert_eq!(decode(&text), Ok((w, view)), "a link gives back its state");
        let input = match case % 4 {
            0 => mutate(&text, &mut g),
            1 => text[..g.index(text.len())].to_string(),
            _ => {
                let json = String::from_utf8(link::decode(&text).unwrap()).unwrap();
                link::encode(mutate_json(&json, &mut g).as_bytes())
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| match decode(&input) {
            Ok((w, _)) => {
                // As the app: build the run (refused by path if it does not), then play it.
                let mut sim = match Simulation::new(&w.scenario()) {
                    Ok(sim) => sim,
                    Err(errors) if errors.iter().all(|e| !e.path.is_empty()) => return Ok(false),
                    Err(errors) => return Err(format!("a refusal without its field: {errors:?}")),
                };
                for _ in 0..2_000 {
                    if !sim.step() {
                        break;
                    }
                }
                Ok(true)
            }
            Err(e) if e.field.is_empty() || e.reason.text(Lang::En).is_empty() => {
                Err(format!("a refusal without its field: {e:?}"))
            }
            Err(_) => Ok(false),
        }));
        match outcome {
            Ok(Ok(valid)) => {
                accepted += valid as u32;
                ran += 1;
            }
            Ok(Err(e)) => panic!("{e}\n{input}"),
            Err(_) => panic!("panicked on the link {input}"),
        }
    }
    assert!(accepted > 0, "some altered links stay valid");
    println!(
        "fuzz cases: {ran} links of random workloads, read back whole and then altered ({accepted} still valid, built and played for up to 2,000 events)"
    );
}

/// The path of a reading error names a place in the document: on the mutated scenario
/// files above, for every error in the data of well-formed JSON, the value (a wrong
/// type, an unknown field) or the object (a missing field) is at that path.
#[test]
fn error_paths_name_a_place_in_the_document() {
    let (mut compared, mut differ) = (0, Vec::new());
    let mut g = Gen(7);
    for (_, text) in &scenario_files() {
        for k in 0..200 {
            let input = if k % 2 == 0 {
                mutate(text, &mut g)
            } else {
                mutate_json(text, &mut g)
            };
            let Err(e) = Scenario::from_json(&input) else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<Value>(&input) else {
                continue;
            };
            compared += 1;
            let mut all = Vec::new();
            places(&value, &mut all, Vec::new());
            let rendered: Vec<String> = all.iter().map(|p| render(p)).collect();
            if !rendered.contains(&e.path) {
                differ.push(format!("{}: {}", e.path, e.message));
            }
        }
    }
    assert!(compared > 300, "{compared}");
    assert!(
        differ.is_empty(),
        "{} of {compared}:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// A place as the reader names it: `$` at the top, keys joined by dots, indices in
/// brackets.
fn render(path: &[Place]) -> String {
    let mut out = String::new();
    for p in path {
        match p {
            Place::Key(k) if out.is_empty() => out.push_str(k),
            Place::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Place::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "$".into()
    } else {
        out
    }
}
