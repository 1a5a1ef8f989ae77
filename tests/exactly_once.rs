//! Transactions end to end (`shared/kafka/exactly-once.md` §5–§8, §11 cases 19–20, and
//! issue 5's checks): markers take offsets, aborted records never reach a read_committed
//! consumer, a second instance with the same `transactional.id` fences the first, and
//! `transaction.timeout.ms` aborts a transaction left open.

use kafka_lab_tests::run_json;
use serde_json::Value;

/// Three brokers, topic `t` with two partitions, a transactional producer `p` (id
/// `tx`), a read_committed consumer `rc` and a read_uncommitted one `ru`.
fn scenario(producers: &str, actions: &str, until_ms: u64) -> String {
    format!(
        r#"{{"seed":3,"kafka_version":"4.0","brokers":3,"network":{{"latency_ms":2}},
            "topics":[{{"name":"t","partitions":2,"replication_factor":3,
                        "config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{producers}],
            "consumers":[{{"name":"rc","topics":["t"],"config":{{"isolation.level":"read_committed"}}}},
                         {{"name":"ru","topics":["t"],"config":{{"isolation.level":"read_uncommitted"}}}}],
            "actions":[{actions}],
            "until_ms":{until_ms}}}"#
    )
}

const P: &str = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"0"}}"#;

fn act(at: u64, action: &str, producer: &str) -> String {
    format!(r#"{{"at_ms":{at},"action":"{action}","producer":"{producer}"}}"#)
}

fn send(at: u64, producer: &str, value: &str, partition: u32) -> String {
    format!(
        r#"{{"at_ms":{at},"action":"send","producer":"{producer}","topic":"t","value":"{value}","partition":{partition}}}"#
    )
}

/// (offset, value or control) of a partition's log.
fn log(r: &Value, partition: usize) -> Vec<(u64, String)> {
    r["partitions"][partition]["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let what = match e["control"].as_str() {
                Some(c) => c.to_uppercase(),
                None => e["value"].as_str().unwrap().to_string(),
            };
            (e["offset"].as_u64().unwrap(), what)
        })
        .collect()
}

/// (partition, offset, value) a consumer received.
fn consumed(r: &Value, consumer: &str) -> Vec<(u64, u64, String)> {
    let c = r["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == consumer)
        .unwrap();
    let mut v: Vec<_> = c["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["partition"].as_u64().unwrap(),
                x["offset"].as_u64().unwrap(),
                x["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn action_error(r: &Value, index: usize) -> Value {
    r["action_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["index"] == index)
        .unwrap()["error"]
        .clone()
}

#[test]
fn markers_take_offsets_and_read_committed_skips_the_aborted() {
    // Case 19: "a" to partitions 0 and 1, abort; "b" to partition 0, commit.
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "a", 0),
        send(110, "p", "a", 1),
        act(300, "abort_transaction", "p"),
        act(600, "begin_transaction", "p"),
        send(610, "p", "b", 0),
        act(800, "commit_transaction", "p"),
    ]
    .join(",");
    let r = run_json(&scenario(P, &actions, 3_000));
    assert_eq!(
        log(&r, 0),
        vec![
            (0, "a".into()),
            (1, "ABORT".into()),
            (2, "b".into()),
            (3, "COMMIT".into())
        ]
    );
    assert_eq!(log(&r, 1), vec![(0, "a".into()), (1, "ABORT".into())]);
    assert_eq!(consumed(&r, "rc"), vec![(0, 2, "b".into())]);
    assert_eq!(
        consumed(&r, "ru"),
        vec![(0, 0, "a".into()), (0, 2, "b".into()), (1, 0, "a".into())]
    );
    for p in r["partitions"].as_array().unwrap() {
        assert_eq!(p["last_stable_offset"], p["high_watermark"], "all decided");
    }
    let sends = r["sends"].as_array().unwrap();
    assert!(sends.iter().all(|s| s["outcome"] == "acked"));
    // The ledger: both "a" were acknowledged and written, but only inside the abort.
    assert_eq!(r["ledger"]["aborted"], 2);
    assert_eq!(r["ledger"]["duplicated"], 0);
    assert!(r["action_results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["error"].is_null() && a["pending"] == false));
}

#[test]
fn an_open_transaction_holds_read_committed_back() {
    // Until the commit, the LSO stays at the transaction's first offset: read_committed
    // sees nothing, read_uncommitted sees it at once.
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "x", 0),
    ]
    .join(",");
    let r = run_json(&scenario(P, &actions, 2_000));
    let p0 = &r["partitions"][0];
    assert_eq!(p0["high_watermark"], 1);
    assert_eq!(p0["last_stable_offset"], 0);
    assert!(consumed(&r, "rc").is_empty());
    assert_eq!(consumed(&r, "ru"), vec![(0, 0, "x".into())]);
}

#[test]
fn a_second_instance_fences_the_first() {
    // Case 20: instance A opens a transaction and writes "z"; instance B with the same
    // transactional.id calls initTransactions: A's transaction is aborted (a marker),
    // B gets a higher epoch, A's commit throws ProducerFencedException, and read_committed
    // never sees "z".
    let producers =
        format!(r#"{P},{{"name":"b","config":{{"transactional.id":"tx","linger.ms":"0"}}}}"#);
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "z", 0),
        act(300, "init_transactions", "b"),
        act(600, "commit_transaction", "p"),
        act(700, "begin_transaction", "b"),
        send(710, "b", "ok", 0),
        act(900, "commit_transaction", "b"),
    ]
    .join(",");
    let r = run_json(&scenario(&producers, &actions, 3_000));
    assert_eq!(action_error(&r, 3), Value::Null, "B's init succeeds");
    assert_eq!(action_error(&r, 4), "ProducerFencedException");
    assert_eq!(
        log(&r, 0),
        vec![
            (0, "z".into()),
            (1, "ABORT".into()),
            (2, "ok".into()),
            (3, "COMMIT".into())
        ]
    );
    let epochs: Vec<i64> = r["partitions"][0]["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["producer_epoch"].as_i64().unwrap())
        .collect();
    assert_eq!(epochs[0], 0);
    assert_eq!(epochs[1], 1, "the fencing abort carries the bumped epoch");
    assert!(epochs[2] >= 1, "B writes under a higher epoch");
    assert_eq!(consumed(&r, "rc"), vec![(0, 2, "ok".into())]);
}

#[test]
fn transaction_timeout_aborts_a_hanging_transaction() {
    // transaction.timeout.ms 5000: opened at ~110 ms, aborted at the first cleanup tick
    // after 5.1 s (10 s); the producer learns at its next call.
    let p = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"0","transaction.timeout.ms":"5000"}}"#;
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "late", 1),
        act(12_000, "commit_transaction", "p"),
    ]
    .join(",");
    let r = run_json(&scenario(p, &actions, 15_000));
    assert_eq!(log(&r, 1), vec![(0, "late".into()), (1, "ABORT".into())]);
    assert_eq!(action_error(&r, 3), "ProducerFencedException");
    assert!(consumed(&r, "rc").is_empty());
}

#[test]
fn transactional_calls_in_the_wrong_state_throw() {
    let actions = [
        act(0, "begin_transaction", "p"),
        send(10, "p", "early", 0),
        act(20, "init_transactions", "p"),
        send(200, "p", "outside", 0),
        act(210, "commit_transaction", "p"),
    ]
    .join(",");
    let r = run_json(&scenario(P, &actions, 1_000));
    assert_eq!(action_error(&r, 0), "IllegalStateException");
    assert_eq!(action_error(&r, 2), Value::Null);
    assert_eq!(action_error(&r, 4), "IllegalStateException");
    let sends = r["sends"].as_array().unwrap();
    assert!(sends
        .iter()
        .all(|s| s["outcome"] == "failed" && s["error"] == "IllegalStateException"));
    // A non-transactional producer has no transactions at all.
    let plain = r#"{"name":"p","config":{}}"#;
    let r = run_json(&scenario(plain, &act(0, "init_transactions", "p"), 100));
    assert_eq!(action_error(&r, 0), "IllegalStateException");
}

#[test]
fn abort_fails_unsent_records_with_transaction_aborted() {
    // linger.ms 1000 keeps the records in the accumulator: the abort fails them.
    let p = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"1000"}}"#;
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "never", 0),
        act(120, "abort_transaction", "p"),
    ]
    .join(",");
    let run = |version: &str| {
        let json = scenario(p, &actions, 2_000).replace(r#""4.0""#, &format!(r#""{version}""#));
        run_json(&json)
    };
    // Before transactions V2 the partition was added to the transaction at send() (an
    // AddPartitionsToTxn): its abort marker is written though no record of the transaction
    // ever was.
    let r = run("3.9");
    assert_eq!(r["sends"][0]["error"], "TransactionAbortedException");
    assert_eq!(action_error(&r, 3), Value::Null);
    assert_eq!(log(&r, 0), vec![(0, "ABORT".into())]);
    // Adapted for 4.0 (transactions V2, KIP-890 part 2): the client adds no partition, only
    // a leader does when a record reaches it; none did, so the coordinator aborts an empty
    // transaction (with its epoch bump) and writes no marker.
    let r = run("4.0");
    assert_eq!(r["sends"][0]["error"], "TransactionAbortedException");
    assert_eq!(action_error(&r, 3), Value::Null);
    assert_eq!(log(&r, 0), vec![]);
}

#[test]
fn a_failed_batch_gives_its_sequences_back_to_the_later_ones() {
    // TransactionManager.handleFailedBatch → adjustSequencesDueToFailedBatch: a
    // transactional producer's batch fails for good with retries left (a record over the
    // topic's max.message.bytes, RecordTooLargeException). The two batches after it,
    // already on their way, meet OUT_OF_ORDER_SEQUENCE_NUMBER (the leader still expects
    // sequence 1); they were renumbered down by one, so their retries are written. The
    // transaction, in an abortable error, then aborts them with the rest.
    let big = r#"{"at_ms":200,"action":"send","producer":"p","topic":"t","value_bytes":3000,"partition":0}"#;
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "a", 0),
        big.to_string(),
        send(201, "p", "c", 0),
        send(202, "p", "d", 0),
        act(1000, "abort_transaction", "p"),
    ]
    .join(",");
    for version in ["3.9", "4.0"] {
        let json = scenario(P, &actions, 3_000)
            .replace(r#""4.0""#, &format!(r#""{version}""#))
            .replace(
                r#""min.insync.replicas":"2""#,
                r#""min.insync.replicas":"2","max.message.bytes":"2048""#,
            );
        let r = run_json(&json);
        let sends = r["sends"].as_array().unwrap();
        assert_eq!(sends[1]["error"], "RecordTooLargeException", "{version}");
        for s in [&sends[2], &sends[3]] {
            assert_eq!(s["outcome"], "acked", "{version}");
            assert!(s["attempts"].as_u64().unwrap() >= 2, "{version}: retried");
        }
        let sequences: Vec<&Value> = r["partitions"][0]["log"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["control"].is_null())
            .map(|e| &e["sequence"])
            .collect();
        assert_eq!(sequences, [0, 1, 2], "{version}");
        let values: Vec<String> = log(&r, 0).into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, ["a", "c", "d", "ABORT"], "{version}");
        assert_eq!(
            action_error(&r, 6),
            Value::Null,
            "{version}: the abort completes"
        );
        assert!(consumed(&r, "rc").is_empty(), "{version}");
    }
}

fn offsets(at: u64, producer: &str, partition: u32, offset: u64) -> String {
    format!(
        r#"{{"at_ms":{at},"action":"send_offsets_to_transaction","producer":"{producer}","group_id":"g","offsets":[{{"topic":"t","partition":{partition},"offset":{offset}}}]}}"#
    )
}

#[test]
fn send_offsets_to_transaction_commits_with_the_transaction() {
    // Read-process-write: the consumed position goes into the transaction
    // (AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator) and becomes the
    // group's committed offset only with the COMMIT marker; an aborted transaction's
    // offsets are dropped. Outside a transaction the call throws.
    for version in ["3.9", "4.0"] {
        let actions = [
            act(0, "init_transactions", "p"),
            offsets(50, "p", 0, 1),
            act(100, "begin_transaction", "p"),
            send(110, "p", "out", 1),
            offsets(120, "p", 0, 5),
            // At the same moment: both calls block, each returns on its own.
            act(120, "commit_transaction", "p"),
            act(800, "begin_transaction", "p"),
            offsets(810, "p", 0, 9),
            act(1_200, "abort_transaction", "p"),
        ]
        .join(",");
        let json = scenario(P, &actions, 3_000).replace("\"4.0\"", &format!("\"{version}\""));
        let r = run_json(&json);
        assert_eq!(action_error(&r, 1), "IllegalStateException", "{version}");
        for i in [4, 5, 7, 8] {
            assert_eq!(action_error(&r, i), Value::Null, "{version}: action {i}");
        }
        assert!(r["action_results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["pending"] == false));
        assert_eq!(
            r["group_offsets"],
            serde_json::json!([{"group_id": "g", "topic": "t", "partition": 0, "offset": 5}]),
            "{version}: committed with the first transaction, the aborted one's dropped"
        );
        assert_eq!(consumed(&r, "rc"), vec![(1, 0, "out".into())], "{version}");
    }
}

#[test]
fn a_transaction_failing_while_its_partition_waits_to_be_added_does_not_stall() {
    // Found by the transactions property (seed 15): the first transaction's commit is
    // prepared, but partition 0's leader (broker 2) is cut off, so its marker cannot be
    // written and the coordinator answers the next transaction's AddPartitionsToTxn with
    // CONCURRENT_TRANSACTIONS, retried every 20 ms. The record waiting for that partition
    // expires (delivery.timeout.ms 1500): ABORTABLE_ERROR. The queued AddPartitionsToTxn is
    // then dropped unsent (`maybeTerminateRequestWithError`), but its partition stayed
    // "new", so the client kept waking at the retry time to send nothing — the run stopped
    // as caught in a loop. Kafka moves the partitions out of `newPartitionsInTransaction`
    // when it queues the request; they wait as pending until the abort clears them.
    let p = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"0","request.timeout.ms":"1000","delivery.timeout.ms":"1500"}}"#;
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "first", 0),
        r#"{"at_ms":200,"action":"isolate_broker","broker":2}"#.to_string(),
        act(210, "commit_transaction", "p"),
        act(300, "begin_transaction", "p"),
        send(310, "p", "second", 0),
        act(2_500, "abort_transaction", "p"),
    ]
    .join(",");
    let json = format!(
        r#"{{"seed":3,"kafka_version":"3.9","brokers":3,"network":{{"latency_ms":2}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,
                        "replica_assignment":[[2,0,1]],"config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{p}],"actions":[{actions}],"until_ms":20000}}"#
    );
    let mut sim =
        kafka_lab::Simulation::new(&kafka_lab::Scenario::from_json(&json).unwrap()).unwrap();
    sim.run();
    assert_eq!(sim.stalled_at(), None);
    let r = serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
        .unwrap();
    assert_eq!(r["sends"][1]["error"], "TimeoutException");
    assert_eq!(action_error(&r, 4), Value::Null, "the first commit");
    assert_eq!(action_error(&r, 7), Value::Null, "the abort works");
}

#[test]
fn a_producer_fenced_with_a_partition_still_to_add_does_not_stall() {
    // Found by the transactions property (seed 207): instance p sends to partition 0 after
    // instance b of the same id bumped the epoch; while p's AddPartitionsToTxn is out, it
    // sends to partition 1 too. The answer is PRODUCER_FENCED: FATAL_ERROR, in which Kafka's
    // sender sends no transactional request at all (`Sender.runOnce` returns first). The
    // client still counted partition 1 as waiting for a request and woke for it forever.
    let producers =
        format!(r#"{P},{{"name":"b","config":{{"transactional.id":"tx","linger.ms":"0"}}}}"#);
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        act(150, "init_transactions", "b"),
        send(300, "p", "x", 0),
        send(301, "p", "y", 1),
        act(400, "commit_transaction", "p"),
    ]
    .join(",");
    // 3.9: the client itself adds partitions (transactions V2 leaves it to the leaders).
    let json = scenario(&producers, &actions, 5_000).replace("\"4.0\"", "\"3.9\"");
    let mut sim =
        kafka_lab::Simulation::new(&kafka_lab::Scenario::from_json(&json).unwrap()).unwrap();
    sim.run();
    assert_eq!(sim.stalled_at(), None);
    let r = serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
        .unwrap();
    assert_eq!(action_error(&r, 5), "ProducerFencedException");
    assert!(consumed(&r, "rc").is_empty());
}

#[test]
fn a_late_answer_on_a_timed_out_connection_is_not_taken_for_the_next_request() {
    // Found by the transactions property (seed 736): FindCoordinator goes to broker 1,
    // which is slow; the request times out (request.timeout.ms 1000) and the client closes
    // the connection, finds the coordinator through broker 0 and sends InitProducerId. The
    // first FindCoordinator's answer then arrives on the closed connection — and was taken
    // for the InitProducerId's: producer id -1, READY, every send() refused with
    // IllegalStateException. Over TCP nothing arrives on a connection the client closed.
    let p = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"0","request.timeout.ms":"1000"}}"#;
    let actions = [
        r#"{"at_ms":0,"action":"slow_broker","broker":1,"extra_latency_ms":555}"#.to_string(),
        act(100, "init_transactions", "p"),
        act(1_500, "begin_transaction", "p"),
        send(1_510, "p", "x", 0),
        act(1_600, "commit_transaction", "p"),
    ]
    .join(",");
    let json = format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":2,"network":{{"latency_ms":5}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":2,"replica_assignment":[[0,1]]}}],
            "producers":[{p}],"actions":[{actions}],"until_ms":5000}}"#
    );
    let mut sim =
        kafka_lab::Simulation::new(&kafka_lab::Scenario::from_json(&json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    let first = sim.trace().iter().find_map(|(_, e)| match e {
        kafka_lab::trace::TraceEvent::TxnRequestSent {
            broker, request, ..
        } => Some((*broker, *request)),
        _ => None,
    });
    assert_eq!(
        first,
        Some((1, "FindCoordinator")),
        "the case needs the slow broker first"
    );
    let r = serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
        .unwrap();
    assert_eq!(action_error(&r, 1), Value::Null);
    assert_eq!(r["sends"][0]["outcome"], "acked");
    assert_eq!(action_error(&r, 4), Value::Null);
    assert_eq!(log(&r, 0), vec![(0, "x".into()), (1, "COMMIT".into())]);
}

#[test]
fn a_transactional_request_waits_for_a_broker_to_reconnect_to() {
    // Found while checking a fix for the transactions property: the only broker crashes
    // while an EndTxn is out. The client must find the coordinator again, but no broker is
    // connectable before the reconnect backoff ends; it kept asking to wake at the retry
    // time, found nowhere to send FindCoordinator, and woke again at the same instant — the
    // run stopped as caught in a loop. It now wakes when a broker becomes connectable.
    let p = r#"{"name":"p","config":{"transactional.id":"tx","linger.ms":"0"}}"#;
    let actions = [
        act(0, "init_transactions", "p"),
        act(100, "begin_transaction", "p"),
        send(110, "p", "x", 0),
        act(300, "commit_transaction", "p"),
        r#"{"at_ms":302,"action":"crash_broker","broker":0}"#.to_string(),
        r#"{"at_ms":30000,"action":"restart_broker","broker":0}"#.to_string(),
    ]
    .join(",");
    let json = format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":1,"network":{{"latency_ms":1}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":1}}],
            "producers":[{p}],"actions":[{actions}],"until_ms":60000}}"#
    );
    let mut sim =
        kafka_lab::Simulation::new(&kafka_lab::Scenario::from_json(&json).unwrap()).unwrap();
    sim.run();
    assert_eq!(sim.stalled_at(), None);
    // Back at 30 s, the coordinator finishes the commit and the client's EndTxn, sent again,
    // is answered: the commit returns.
    let r = serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
        .unwrap();
    assert_eq!(action_error(&r, 3), Value::Null);
    assert_eq!(log(&r, 0), vec![(0, "x".into()), (1, "COMMIT".into())]);
}
