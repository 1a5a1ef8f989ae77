//! Keyed partitioning against Kafka's own vectors (`UtilsTest.testMurmur2`) and against
//! the key → partition table of an independent client (`shared/oracle/`).

use kafka_lab::producer::partitioner::partition_for_key;
use kafka_lab::utils::murmur2;
use kafka_lab_tests::shared_dir;

#[test]
fn murmur2_matches_utils_test() {
    let cases: &[(&str, i32)] = &[
        ("21", -973932308),
        ("foobar", -790332482),
        ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829),
        (
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58897971,
        ),
        ("abc", 479470107),
    ];
    for &(key, expected) in cases {
        assert_eq!(murmur2(key.as_bytes()), expected, "murmur2({key:?})");
    }
    // Values computed with the same algorithm in producer.md §2.1.
    assert_eq!(murmur2(b""), 275646681);
    assert_eq!(murmur2(b"key1"), 28543940);
}

#[test]
fn keys_to_partitions_oracle() {
    let path = shared_dir().join("oracle/keys_to_partitions.tsv");
    let table = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut checked = 0;
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [key, n, expected] = cols[..] else {
            panic!("bad oracle line {line:?}");
        };
        let n: u32 = n.parse().unwrap();
        let expected: u32 = expected.parse().unwrap();
        assert_eq!(
            partition_for_key(key.as_bytes(), n),
            expected,
            "key {key:?}, {n} partitions"
        );
        checked += 1;
    }
    assert_eq!(
        checked, 3000,
        "the oracle has 500 keys × 6 partition counts"
    );
}

#[test]
fn keyed_sends_land_where_the_oracle_says() {
    let keys = ["key-0", "key-1", "key-2", "key-3"];
    let scenario = format!(
        r#"{{"brokers":3,"topics":[{{"name":"t","partitions":7}}],
            "producers":[{{"name":"p","config":{{}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":{},"value":"v","count":4}}],
            "until_ms":100}}"#,
        serde_json::to_string(&keys).unwrap()
    );
    let result = kafka_lab_tests::run_json(&scenario);
    for (i, key) in keys.iter().enumerate() {
        let send = &result["sends"][i];
        assert_eq!(send["key"], *key);
        assert_eq!(
            send["partition"].as_u64().unwrap() as u32,
            partition_for_key(key.as_bytes(), 7)
        );
        assert_eq!(send["outcome"], "acked");
    }
}
