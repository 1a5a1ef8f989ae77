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

// ---- Partitioner conformance (`producer.md` §2, §9) ----

use kafka_lab::config::TopicConfig;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta};
use kafka_lab::producer::partitioner::{
    BuiltInPartitioner, RoundRobinPartitioner, StickyPartitionCache,
};
use kafka_lab::rng::{Counter, Rng};
use kafka_lab::version::KafkaVersion;
use std::collections::BTreeSet;

/// One topic per entry; `Some(leader)` or `None` for a leaderless partition.
fn cluster(topics: &[&[Option<u32>]]) -> Cluster {
    Cluster {
        brokers: 2,
        topics: topics
            .iter()
            .enumerate()
            .map(|(i, parts)| {
                TopicMeta::new(
                    format!("t{i}"),
                    parts
                        .iter()
                        .map(|&leader| PartitionMeta {
                            replicas: vec![leader.unwrap_or(0)],
                            leader,
                            leader_epoch: 0,
                        })
                        .collect(),
                    TopicConfig::default(),
                )
            })
            .collect(),
    }
}

#[test]
fn adaptive_partitions_test() {
    // BuiltInPartitionerTest.adaptivePartitionsTest: queue lengths {5,0,3,0,1}, sticky
    // limit 1, random 0,1,2,…: CFT {1,7,10,16,21}; two cycles of picks follow the weights.
    let mut p = BuiltInPartitioner::new(1);
    let ids = [0, 1, 2, 3, 4];
    let (sizes, slots) = p.queue_slots(5);
    sizes.copy_from_slice(&[5, 0, 3, 0, 1]);
    slots.copy_from_slice(&ids);
    p.update_partition_load_stats(5);
    assert_eq!(
        p.load_stats().unwrap().cumulative_frequency,
        vec![1, 7, 10, 16, 21]
    );
    let mut random = Counter::default();
    let mut counts = [0; 5];
    for _ in 0..42 {
        let partition = p.peek(&mut random, &ids, 5);
        p.update_partition_info(1, true, &mut random, &ids, 5);
        counts[partition as usize] += 1;
    }
    assert_eq!(counts, [2, 12, 6, 12, 10]);
}

#[test]
fn sticky_partitioning() {
    // BuiltInPartitionerTest.testStickyPartitioning: sticky limit 3, 1-byte appends.
    let mut random = Counter::default();
    let mut p = BuiltInPartitioner::new(3);
    let all = [0, 1, 2];
    let first = p.peek(&mut random, &all, 3);
    for _ in 0..2 {
        assert!(!p.update_partition_info(1, true, &mut random, &all, 3));
        assert_eq!(p.peek(&mut random, &all, 3), first);
    }
    assert!(p.update_partition_info(1, true, &mut random, &all, 3));
    assert_ne!(p.peek(&mut random, &all, 3), first);
    // A single-partition topic always gets 0.
    let mut single = BuiltInPartitioner::new(3);
    for _ in 0..10 {
        assert_eq!(single.peek(&mut random, &[0], 1), 0);
        single.update_partition_info(1, true, &mut random, &[0], 1);
    }
}

#[test]
fn unavailable_partitions_test() {
    // BuiltInPartitionerTest / StickyPartitionCacheTest.unavailablePartitionsTest.
    let c = cluster(&[&[Some(0), None, Some(1)], &[None, Some(1)], &[None]]);
    let mut rng = Rng::new(5);
    let available = |t| c.available_partitions(t).to_vec();
    let mut built_in = BuiltInPartitioner::new(1);
    let mut cache = StickyPartitionCache::default();
    for _ in 0..100 {
        assert_ne!(built_in.peek(&mut rng, &available(0), 3), 1);
        built_in.update_partition_info(1, true, &mut rng, &available(0), 3);
        let prev = cache.partition(&mut rng, &available(0), 3);
        assert_ne!(prev, 1);
        cache.on_new_batch(prev, &mut rng, &available(0), 3);
    }
    let mut built_in = BuiltInPartitioner::new(1);
    let mut cache = StickyPartitionCache::default();
    for _ in 0..10 {
        assert_eq!(built_in.peek(&mut rng, &available(1), 2), 1);
        built_in.update_partition_info(1, true, &mut rng, &available(1), 2);
        assert_eq!(cache.partition(&mut rng, &available(1), 2), 1);
        cache.on_new_batch(1, &mut rng, &available(1), 2);
    }
    assert_eq!(
        BuiltInPartitioner::new(1).peek(&mut rng, &available(2), 1),
        0
    );
    assert_eq!(
        StickyPartitionCache::default().partition(&mut rng, &available(2), 1),
        0
    );
}

#[test]
fn sticky_partition_cache_switches_only_away_from_prev() {
    // StickyPartitionCacheTest.testStickyPartitionCache: onNewBatch(prev) changes the cached
    // partition only if it equals prev, and always to a different available partition.
    let mut rng = Rng::new(9);
    let all = [0, 1, 2];
    let mut cache = StickyPartitionCache::default();
    let mut seen = BTreeSet::new();
    for _ in 0..50 {
        let before = cache.partition(&mut rng, &all, 3);
        cache.on_new_batch((before + 1) % 3, &mut rng, &all, 3);
        assert_eq!(cache.partition(&mut rng, &all, 3), before);
        cache.on_new_batch(before, &mut rng, &all, 3);
        let after = cache.partition(&mut rng, &all, 3);
        assert_ne!(after, before);
        seen.insert(after);
    }
    assert_eq!(seen.len(), 3);
}

#[test]
fn round_robin_partitioner_test() {
    // RoundRobinPartitionerTest.testRoundRobinWithUnavailablePartitions: one of three
    // partitions leaderless → the other two get 50 each of 100 calls.
    let c = cluster(&[&[Some(0), None, Some(1)], &[Some(0), Some(1), Some(0)]]);
    let available = |t| c.available_partitions(t).to_vec();
    let mut rr = RoundRobinPartitioner::new(KafkaVersion::parse("3.9.1").unwrap());
    let mut counts = [0; 3];
    for _ in 0..100 {
        counts[rr.partition(0, &available(0), 3) as usize] += 1;
    }
    assert_eq!(counts, [50, 0, 50]);
    // testRoundRobinWithKeyBytes: 30 calls on three partitions, interleaved with calls for
    // another topic, which has its own counter → 10/10/10.
    let mut rr = RoundRobinPartitioner::new(KafkaVersion::latest());
    let mut counts = [0; 3];
    for _ in 0..30 {
        counts[rr.partition(1, &available(1), 3) as usize] += 1;
        rr.partition(0, &available(0), 3);
    }
    assert_eq!(counts, [10, 10, 10]);
}

// ---- Through the whole producer: partitioner.class, KAFKA-9965, custom rules ----

use kafka_lab_tests::run_json;
use serde_json::Value;

fn scenario(version: &str, partitions: u32, producer: &str, send: &str) -> String {
    format!(
        r#"{{"seed":3,"kafka_version":"{version}","brokers":2,
            "topics":[{{"name":"t","partitions":{partitions}}}],
            "producers":[{producer}],
            "actions":[{send}],
            "until_ms":20000}}"#
    )
}

fn partition_counts(result: &Value, n: usize) -> Vec<u32> {
    let mut counts = vec![0; n];
    for s in result["sends"].as_array().unwrap() {
        if let Some(p) = s["partition"].as_i64().filter(|&p| p >= 0) {
            counts[p as usize] += 1;
        }
    }
    counts
}

fn partitions_used(result: &Value) -> BTreeSet<i64> {
    result["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["partition"].as_i64().unwrap())
        .collect()
}

/// Records far enough apart that each one starts a new batch (`linger.ms=0`, idle sender).
const SPACED: &str = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"t","key":"k","value":"v","count":100,"interval_ms":50}"#;

#[test]
fn kafka_9965_round_robin_skips_every_other_partition() {
    let producer = r#"{"name":"p1","config":{"partitioner.class":"org.apache.kafka.clients.producer.RoundRobinPartitioner","linger.ms":"0"}}"#;
    // 3.9.1: the second partition() call of a record that starts a new batch takes the
    // next counter value, so with 2 partitions every record lands on the second one.
    let skewed = run_json(&scenario("3.9.1", 2, producer, SPACED));
    assert_eq!(partition_counts(&skewed, 2), vec![0, 100]);
    for v in ["2.8", "3.2", "3.5"] {
        let r = run_json(&scenario(v, 2, producer, SPACED));
        assert_eq!(partition_counts(&r, 2), vec![0, 100], "Kafka {v}");
    }
    // With 3 partitions the skipping still visits all, in the order 1, 0, 2, 1, …
    let three = run_json(&scenario("3.9.1", 3, producer, SPACED));
    let order: Vec<i64> = three["sends"].as_array().unwrap()[..4]
        .iter()
        .map(|s| s["partition"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![1, 0, 2, 1]);
    // KAFKA-17632 (4.0, 3.9.2): the repeated call returns the first call's partition.
    for v in ["4.0", "3.9.2"] {
        let fixed = run_json(&scenario(v, 2, producer, SPACED));
        assert_eq!(partition_counts(&fixed, 2), vec![50, 50], "Kafka {v}");
    }
}

#[test]
fn round_robin_ignores_keys() {
    // seed-corrections: RoundRobinPartitioner and UniformStickyPartitioner do not hash keys.
    let rr = r#"{"name":"p1","config":{"partitioner.class":"RoundRobinPartitioner"}}"#;
    let r = run_json(&scenario("4.0", 3, rr, SPACED));
    let partitions = partitions_used(&r);
    assert_eq!(partitions.len(), 3, "one key, every partition");
    let uniform = r#"{"name":"p1","config":{"partitioner.class":"UniformStickyPartitioner"}}"#;
    let r = run_json(&scenario("3.9", 3, uniform, SPACED));
    let partitions = partitions_used(&r);
    assert!(partitions.len() > 1, "sticky per batch, not per key");
}

#[test]
fn default_partitioner_switches_on_new_batch() {
    // 2.4–3.2 DefaultPartitioner (KIP-480): null keys stick to one partition until a record
    // needs a new batch there, then move to a different partition.
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"t","key":null,"value":"v","count":60,"interval_ms":50}"#;
    let producer = r#"{"name":"p1","config":{"linger.ms":"0"}}"#;
    let r = run_json(&scenario("3.2", 3, producer, send));
    let ps: Vec<i64> = r["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["partition"].as_i64().unwrap())
        .collect();
    // Each record starts a new batch (the last one was drained), so consecutive records
    // never share a partition.
    assert!(ps.windows(2).all(|w| w[0] != w[1]), "{ps:?}");
    // Kafka 4.0 removed the class.
    let explicit = r#"{"name":"p1","config":{"partitioner.class":"org.apache.kafka.clients.producer.internals.DefaultPartitioner"}}"#;
    let errors = kafka_lab::run_scenario(&scenario("4.0", 3, explicit, send)).unwrap_err();
    assert_eq!(errors[0].path, "producers[0].config.partitioner.class");
    assert!(errors[0].message.contains("could not be found"));
    assert!(kafka_lab::run_scenario(&scenario("3.9", 3, explicit, send)).is_ok());
}

#[test]
fn custom_rule_table_partitioner() {
    // The seed's CustomPartitioner: "Pangyo" → 0, other keys by murmur2, no key → fail.
    let producer = r#"{"name":"p1","config":{"partitioner.class":"CustomPartitioner"},
        "custom_partitioner":{"rules":[{"key":"Pangyo","partition":0},{"key_prefix":"Seoul-","partition":1}],
                              "otherwise":"hash","null_key":"fail"}}"#;
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"t","keys":["Pangyo","Seoul-1","Busan",null],"value":"v","count":8,"interval_ms":10}"#;
    let r = run_json(&scenario("4.0", 6, producer, send));
    let sends = r["sends"].as_array().unwrap();
    let busan = partition_for_key(b"Busan", 6) as i64;
    for (i, expected) in [0, 1, busan, -1].into_iter().enumerate() {
        for s in [&sends[i], &sends[i + 4]] {
            assert_eq!(s["partition"], expected, "{s}");
        }
    }
    assert_eq!(sends[3]["outcome"], "failed");
    assert_eq!(sends[3]["error"], "InvalidRecordException");
    assert_eq!(sends[3]["offset"], -1);
    assert_eq!(sends[0]["outcome"], "acked");
    assert_eq!(
        r["metrics"]["producers"]["p1"]["record-error-total"], 2,
        "both null-key sends failed in send()"
    );
    // A rule naming a partition the topic does not have, and a table without the class.
    let bad = producer.replace(r#""partition":1"#, r#""partition":6"#);
    let errors = kafka_lab::run_scenario(&scenario("4.0", 6, &bad, send)).unwrap_err();
    assert_eq!(
        errors[0].path,
        "producers[0].custom_partitioner.rules[1].partition"
    );
    let unused = producer.replace(r#""partitioner.class":"CustomPartitioner""#, "");
    let errors = kafka_lab::run_scenario(&scenario("4.0", 6, &unused, send)).unwrap_err();
    assert_eq!(errors[0].path, "producers[0].custom_partitioner");
}

#[test]
fn serialized_bytes_decide_the_partition() {
    // IntegerSerializer turns "42" into 00 00 00 2a; murmur2 hashes those bytes, not "42".
    let send = r#"{"at_ms":0,"action":"send","producer":"p1","topic":"t","keys":["42","7"],"value":"1.5","count":2}"#;
    let producer = r#"{"name":"p1","config":{"key.serializer":"org.apache.kafka.common.serialization.IntegerSerializer","value.serializer":"DoubleSerializer"}}"#;
    let r = run_json(&scenario("4.0", 12, producer, send));
    let sends = r["sends"].as_array().unwrap();
    assert_eq!(
        sends[0]["partition"],
        partition_for_key(&42i32.to_be_bytes(), 12)
    );
    assert_eq!(
        sends[1]["partition"],
        partition_for_key(&7i32.to_be_bytes(), 12)
    );
    assert_ne!(
        partition_for_key(&42i32.to_be_bytes(), 12),
        partition_for_key(b"42", 12)
    );
    // A key the serializer cannot take is named with the serializer's rule.
    let bad = send.replace(r#""7""#, r#""seven""#);
    let errors = kafka_lab::run_scenario(&scenario("4.0", 12, producer, &bad)).unwrap_err();
    assert_eq!(errors[0].path, "actions[0].keys[1]");
    assert!(errors[0].message.contains("IntegerSerializer"));
}
