//! Whole-run properties of the simulation: determinism, batching, acks, send modes,
//! and the version differences of the null-key partitioner.

use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::run_json;
use serde_json::Value;

fn scenario(version: &str, config: &str, send: &str, until: u64) -> String {
    format!(
        r#"{{"seed":11,"kafka_version":"{version}","brokers":3,
            "topics":[{{"name":"orders","partitions":6}}],
            "producers":[{{"name":"p1","config":{config}}}],
            "actions":[{send}],
            "until_ms":{until}}}"#
    )
}

const THOUSAND_PER_SECOND: &str = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"orders","keys":["a","b","c","d","e","f","g","h"],"value_bytes":100,"count":1000,"interval_ms":1}"#;

fn records_per_request(result: &Value) -> f64 {
    result["metrics"]["producers"]["p1"]["records-per-request-avg"]
        .as_f64()
        .unwrap()
}

#[test]
fn same_seed_same_trace_hash() {
    let s = scenario("3.9", "{}", THOUSAND_PER_SECOND, 2000);
    let a = run_json(&s);
    let b = run_json(&s);
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_eq!(a, b, "the whole result is reproducible");
    let other = run_json(&s.replace("\"seed\":11", "\"seed\":12"));
    assert_ne!(
        a["trace_hash"], other["trace_hash"],
        "value bytes come from the seed"
    );
}

#[test]
fn linger_batches_more_records_per_request() {
    // Issue 2's check: at 1,000 records/s, linger.ms=0 sends more requests per record
    // than linger.ms=50 with batch.size=16384.
    let eager = run_json(&scenario(
        "3.9",
        r#"{"linger.ms":"0"}"#,
        THOUSAND_PER_SECOND,
        2000,
    ));
    let lazy = run_json(&scenario(
        "3.9",
        r#"{"linger.ms":"50","batch.size":"16384"}"#,
        THOUSAND_PER_SECOND,
        2000,
    ));
    let (e, l) = (records_per_request(&eager), records_per_request(&lazy));
    assert!(
        e < 1.5,
        "linger.ms=0 and an idle sender: about one record per request, got {e}"
    );
    assert!(
        l > 10.0 * e,
        "linger.ms=50 batches many records per request: {l} vs {e}"
    );
    for r in [&eager, &lazy] {
        let sends = r["sends"].as_array().unwrap();
        assert_eq!(sends.len(), 1000);
        assert!(sends.iter().all(|s| s["outcome"] == "acked"));
    }
}

#[test]
fn acks_zero_completes_with_offset_minus_one() {
    let r = run_json(&scenario(
        "3.9",
        r#"{"acks":"0"}"#,
        THOUSAND_PER_SECOND,
        2000,
    ));
    let sends = r["sends"].as_array().unwrap();
    assert!(sends
        .iter()
        .all(|s| s["outcome"] == "acked" && s["offset"] == -1));
    // The broker still stored them: acks=0 only means nobody waits for it.
    let stored: u64 = r["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["high_watermark"].as_u64().unwrap())
        .sum();
    assert_eq!(stored, 1000);
    // And with acks=0 idempotence (3.0+ default) is silently off: no producer id.
    assert!(r["partitions"][0]["log"]
        .as_array()
        .unwrap()
        .iter()
        .all(|rec| rec["producer_id"] == -1));
}

#[test]
fn acked_offsets_match_the_log() {
    let r = run_json(&scenario("4.0", "{}", THOUSAND_PER_SECOND, 2000));
    for send in r["sends"].as_array().unwrap() {
        let p = send["partition"].as_u64().unwrap() as usize;
        let offset = send["offset"].as_u64().unwrap() as usize;
        let entry = &r["partitions"][p]["log"][offset];
        assert_eq!(entry["key"], send["key"]);
        assert_eq!(entry["offset"].as_u64().unwrap() as usize, offset);
    }
    // Idempotent by default since 3.0: sequences count up per partition.
    for partition in r["partitions"].as_array().unwrap() {
        for (i, rec) in partition["log"].as_array().unwrap().iter().enumerate() {
            assert_eq!(rec["sequence"].as_i64().unwrap(), i as i64);
            assert!(rec["producer_id"].as_i64().unwrap() >= 0);
        }
    }
}

#[test]
fn sync_sends_wait_for_each_result() {
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"orders","key":"k","value":"v","count":10,"mode":"sync"}"#;
    let r = run_json(&scenario("3.9", r#"{"linger.ms":"0"}"#, send, 10_000));
    assert_eq!(r["metrics"]["producers"]["p1"]["request-total"], 10);
    assert_eq!(records_per_request(&r), 1.0);
    // Async, records that arrive while requests are in flight share batches.
    let r = run_json(&scenario(
        "3.9",
        r#"{"linger.ms":"0"}"#,
        &send.replace("sync", "async"),
        10_000,
    ));
    assert!(
        r["metrics"]["producers"]["p1"]["request-total"]
            .as_u64()
            .unwrap()
            < 10
    );
}

fn null_key_partitions(version: &str) -> Vec<u64> {
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"orders","key":null,"value_bytes":200,"count":400,"interval_ms":1}"#;
    let r = run_json(&scenario(
        version,
        r#"{"linger.ms":"0","batch.size":"1000"}"#,
        send,
        5000,
    ));
    r["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["partition"].as_u64().unwrap())
        .collect()
}

#[test]
fn null_keys_are_sticky_then_spread() {
    for version in ["2.8", "3.9"] {
        let used: std::collections::BTreeSet<_> =
            null_key_partitions(version).into_iter().collect();
        assert_eq!(used.len(), 6, "{version}: all partitions get data");
    }
    // 2.4–3.2 switch on every new batch: with linger 0 and an idle sender each record
    // starts a batch, so consecutive records never share a partition.
    let parts = null_key_partitions("2.8");
    assert!(
        parts.windows(2).all(|w| w[0] != w[1]),
        "KIP-480: switch on new batch"
    );
    // 3.3+ switch after batch.size bytes: runs of about 1000 / 270 ≈ 4 records.
    let parts = null_key_partitions("3.9");
    assert!(parts.windows(2).filter(|w| w[0] == w[1]).count() > 100);
}

#[test]
fn validation_names_every_problem() {
    let bad = r#"{"kafka_version":"9.9","brokers":12,
        "topics":[{"name":"bad topic","partitions":0}],
        "producers":[{"name":"p1","config":{"acks":"2","enable.idempotence":"true"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"nobody","topic":"orders","value":"v"},
                   {"at_ms":5,"action":"begin_transaction","producer":"ghost"}],
        "until_ms":10}"#;
    let scenario = Scenario::from_json(bad).unwrap();
    let errors = Simulation::new(&scenario).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for expected in [
        "kafka_version",
        "brokers",
        "topics[0].name",
        "topics[0].partitions",
        "producers[0].config.acks",
        "actions[0].producer",
        "actions[0].topic",
        "actions[1].producer",
    ] {
        assert!(paths.contains(&expected), "missing {expected} in {paths:?}");
    }
    let acks = errors
        .iter()
        .find(|e| e.path == "producers[0].config.acks")
        .unwrap();
    assert_eq!(
        acks.message,
        "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"
    );
}

#[test]
fn an_unknown_broker_is_named_with_the_ids_there_are() {
    let bad = r#"{"brokers":3,"topics":[{"name":"t","partitions":1}],
        "actions":[{"at_ms":0,"action":"crash_broker","broker":3}],"until_ms":10}"#;
    let errors = Simulation::new(&Scenario::from_json(bad).unwrap()).unwrap_err();
    assert_eq!(errors[0].path, "actions[0].broker");
    assert_eq!(
        errors[0].message,
        "unknown broker 3 (broker ids are 0 to 2)"
    );
}

#[test]
fn explicit_idempotence_with_acks_one_is_kafkas_config_exception() {
    let s = scenario(
        "3.9",
        r#"{"enable.idempotence":"true","acks":"1"}"#,
        THOUSAND_PER_SECOND,
        10,
    );
    let errors = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap_err();
    assert_eq!(errors[0].path, "producers[0].config.acks");
    assert_eq!(
        errors[0].message,
        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."
    );
}

#[test]
fn every_scenario_file_s_trace_hash_is_pinned() {
    // The same pins are checked in the browser (web/tests/determinism.rs): native and
    // wasm runs must agree. A deliberate behaviour change updates the file.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let pins = std::fs::read_to_string(dir.join("trace_hashes")).expect("pins");
    let mut pinned = Vec::new();
    for line in pins.lines() {
        let (file, hash) = line.split_once(' ').expect("<file> <hash>");
        let text = std::fs::read_to_string(dir.join(file)).expect("the scenario");
        let result = run_json(&text);
        assert_eq!(result["trace_hash"].as_str().unwrap(), hash, "{file}");
        pinned.push(file.to_string());
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(pinned, files, "every scenario file is pinned, in order");
}

#[test]
fn nothing_order_or_platform_dependent_can_reach_the_trace() {
    // What would make native and wasm runs (or two runs) differ: a hash-ordered
    // collection's iteration (seeded per process), floating point in a traced value.
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut files = Vec::new();
    sources(&core, &mut files);
    assert!(files.len() > 20);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for unordered in [
            "HashMap",
            "HashSet",
            "RandomState",
            "SystemTime",
            "Instant::now",
        ] {
            assert!(!text.contains(unordered), "{}: {unordered}", file.display());
        }
    }
    let trace = std::fs::read_to_string(core.join("trace.rs")).unwrap();
    assert!(!trace.contains("f64") && !trace.contains("f32"));
}

#[test]
fn sync_sends_wait_for_each_ack_and_so_never_batch() {
    // send().get() with linger.ms=20: each record waits for its own batch to linger and
    // come back before the next is sent, so every request carries one record.
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"orders","key":"a","value":"v","count":20,"mode":"sync"}"#;
    let r = run_json(&scenario("3.9", r#"{"linger.ms":"20"}"#, send, 5000));
    assert_eq!(records_per_request(&r), 1.0);
    let sends = r["sends"].as_array().unwrap();
    assert!(sends.iter().all(|s| s["outcome"] == "acked"));
    let same = send.replace(r#""mode":"sync""#, r#""mode":"async""#);
    let r = run_json(&scenario("3.9", r#"{"linger.ms":"20"}"#, &same, 5000));
    assert_eq!(
        records_per_request(&r),
        20.0,
        "async: all in one lingering batch"
    );
}

#[test]
fn every_example_scenario_runs() {
    // The files in scenarios/ are what course authors copy: each must validate and run.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut ran = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let result = kafka_lab::run_scenario(&text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            assert!(result.events > 0, "{}", path.display());
            ran += 1;
        }
    }
    assert!(ran >= 3);
}
