//! The `kafka-lab` command line, as `shared/SCENARIO.md` specifies it.

use std::io::Write;
use std::process::{Command, Output};

fn kafka_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-lab"))
        .args(args)
        .output()
        .expect("kafka-lab runs")
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kafka-lab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    path
}

const GOOD: &str = r#"{"seed":7,"brokers":1,"topics":[{"name":"orders","partitions":3}],
  "producers":[{"name":"p1","config":{"acks":"all","linger.ms":"5"}}],
  "actions":[{"at_ms":0,"action":"send","producer":"p1","topic":"orders","key":"Pangyo","value":"hello"}],
  "until_ms":100}"#;

#[test]
fn partition_prints_key_tab_partition() {
    let out = kafka_lab(&["partition", "--partitions", "7", "foobar", "21", "abc"]);
    assert!(out.status.success());
    // toPositive(murmur2) % 7 of UtilsTest's vectors -790332482, -973932308, 479470107.
    let expected: String = [
        ("foobar", -790332482i32),
        ("21", -973932308),
        ("abc", 479470107),
    ]
    .iter()
    .map(|(k, h)| format!("{k}\t{}\n", (*h & 0x7fffffff) % 7))
    .collect();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    let hex = kafka_lab(&["partition", "--partitions", "7", "--hex", "666f6f626172"]);
    assert_eq!(
        String::from_utf8(hex.stdout).unwrap(),
        format!("666f6f626172\t{}\n", (-790332482i32 & 0x7fffffff) % 7)
    );
}

#[test]
fn run_prints_the_result_and_is_reproducible() {
    let file = temp_file("good.json", GOOD);
    let a = kafka_lab(&["run", file.to_str().unwrap()]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let result: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(result["ended_at_ms"], 100);
    assert_eq!(result["sends"][0]["outcome"], "acked");
    assert_eq!(result["sends"][0]["offset"], 0);
    assert!(result["trace_hash"].as_str().unwrap().len() == 16);
    let b = kafka_lab(&["run", file.to_str().unwrap()]);
    assert_eq!(a.stdout, b.stdout);
    let shorter = kafka_lab(&[
        "run",
        file.to_str().unwrap(),
        "--until-ms",
        "50",
        "--seed",
        "9",
    ]);
    let shorter: serde_json::Value = serde_json::from_slice(&shorter.stdout).unwrap();
    assert_eq!(shorter["ended_at_ms"], 50);
    assert!(kafka_lab(&["validate", file.to_str().unwrap()])
        .status
        .success());
}

#[test]
fn bad_input_exits_2_with_paths_and_nothing_on_stdout() {
    let cases = [
        ("broken.json", "{\"brokers\": ", "error: brokers: EOF while parsing"),
        (
            "type.json",
            r#"{"brokers":"one","topics":[],"until_ms":1}"#,
            "error: brokers: invalid type",
        ),
        (
            "acks.json",
            &GOOD.replace("\"all\"", "\"2\""),
            "error: producers[0].config.acks: Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1",
        ),
        (
            "idem.json",
            &GOOD.replace("\"acks\":\"all\"", "\"acks\":\"1\",\"enable.idempotence\":\"true\""),
            "error: producers[0].config.acks: Must set acks to all in order to use the idempotent producer.",
        ),
        (
            "topic.json",
            &GOOD.replace("\"topic\":\"orders\"", "\"topic\":\"nope\""),
            "error: actions[0].topic: unknown topic 'nope'",
        ),
    ];
    for (name, content, expected) in cases {
        let file = temp_file(name, content);
        for cmd in ["run", "validate"] {
            let out = kafka_lab(&[cmd, file.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2), "{name}");
            assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert!(stderr.starts_with(expected), "{name}: {stderr}");
        }
    }
    let missing = kafka_lab(&["run", "/nonexistent/scenario.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        kafka_lab(&["partition", "--partitions", "0", "k"])
            .status
            .code()
            == Some(2)
    );
    assert!(kafka_lab(&["frobnicate"]).status.code() == Some(2));
}

#[test]
fn trace_prints_every_event_trace_hash_hashes() {
    let file = temp_file("trace.json", GOOD);
    let trace = kafka_lab(&["trace", file.to_str().unwrap()]);
    assert!(trace.status.success());
    let lines = String::from_utf8(trace.stdout).unwrap();
    let run = kafka_lab(&["run", file.to_str().unwrap()]);
    let result: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(result["events"].as_u64().unwrap() > 0);
    assert_eq!(
        result["events"].as_u64(),
        Some(lines.lines().count() as u64)
    );
}
