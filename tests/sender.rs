//! The `Sender` under faults: retries, backoff, request and delivery timeouts, muting,
//! and the reordering that idempotence prevents — Kafka's `SenderTest` and
//! `RecordAccumulatorTest` cases of `shared/kafka/producer.md` §9 (13–15, 18–20) and the
//! §5.4 check, run through whole simulations or the accumulator alone.

use kafka_lab::backoff::ExponentialBackoff;
use kafka_lab::compression::CompressionType;
use kafka_lab::config::TopicConfig;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta};
use kafka_lab::producer::accumulator::{AccumulatorConfig, RecordAccumulator, SendReason};
use kafka_lab::record::{RecordBlock, RecordData, RecordRef};
use kafka_lab::rng::{Counter, Rng};
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use kafka_lab_tests::append;
use kafka_lab_tests::run_json;
use serde_json::Value;

/// One broker, one single-partition topic `t`, one producer `p` with `config`, and the
/// given actions (JSON objects without the producer/topic boilerplate of sends).
fn scenario(latency_ms: u64, config: &str, actions: &[String], until_ms: u64) -> String {
    format!(
        r#"{{"seed":3,"kafka_version":"4.0","brokers":1,"network":{{"latency_ms":{latency_ms}}},
            "topics":[{{"name":"t","partitions":1}}],
            "producers":[{{"name":"p","config":{config}}}],
            "actions":[{}],"until_ms":{until_ms}}}"#,
        actions.join(",")
    )
}

fn send(at_ms: u64, count: u32, interval_ms: u64) -> String {
    format!(
        r#"{{"at_ms":{at_ms},"action":"send","producer":"p","topic":"t","value":"v","count":{count},"interval_ms":{interval_ms}}}"#
    )
}

fn fault(at_ms: u64, action: &str, count: u32) -> String {
    format!(r#"{{"at_ms":{at_ms},"action":"{action}","broker":0,"count":{count}}}"#)
}

fn sends(result: &Value) -> &Vec<Value> {
    result["sends"].as_array().unwrap()
}

fn metric(result: &Value, name: &str) -> f64 {
    result["metrics"]["producers"]["p"][name].as_f64().unwrap()
}

/// Pairs of records, sent one after the other to one partition, whose acknowledged
/// offsets run backwards: what an application that trusts the offsets sees as reordering.
fn reordered(result: &Value) -> usize {
    let acked: Vec<i64> = sends(result)
        .iter()
        .filter(|s| s["outcome"] == "acked")
        .map(|s| s["offset"].as_i64().unwrap())
        .collect();
    acked.windows(2).filter(|w| w[1] < w[0]).count()
}

/// The leader's log: the value offsets hold, to count copies.
fn log_len(result: &Value) -> usize {
    result["partitions"][0]["log"].as_array().unwrap().len()
}

/// One record every 100 ms, a request timeout of 300 ms: while a request waits for its
/// timeout, fewer than five younger batches reach the leader, so an idempotent retry is
/// still within the five batches it remembers.
const NO_IDEMPOTENCE: &str = r#"{"enable.idempotence":"false","acks":"all","linger.ms":"0","request.timeout.ms":"300","delivery.timeout.ms":"5000"}"#;
const IDEMPOTENT: &str = r#"{"enable.idempotence":"true","linger.ms":"0","request.timeout.ms":"300","delivery.timeout.ms":"5000"}"#;

#[test]
fn a_lost_response_reorders_without_idempotence_and_never_with_it() {
    // producer.md §5.4 and issue 3's check: in-flight 5, retries > 0, one produce
    // response lost. The request times out after request.timeout.ms; the client closes the
    // connection, every request on it fails and is retried. Without idempotence the
    // retried batch is written again, after younger ones: its acknowledged offset comes
    // after theirs, and the log holds it twice. With idempotence the leader recognises
    // the retry (same producer id, epoch, sequences) and answers the original offset.
    let actions = [send(0, 40, 100), fault(1000, "drop_responses", 1)];
    let plain = run_json(&scenario(1, NO_IDEMPOTENCE, &actions, 6000));
    assert!(
        reordered(&plain) > 0,
        "acknowledged offsets run backwards without idempotence"
    );
    assert!(log_len(&plain) > 40, "the retried batch is stored twice");
    // The ledger: the retried copy lands after younger records — a reader applying the
    // log in order applies it twice, the second time out of order.
    assert!(plain["ledger"]["duplicated"].as_u64().unwrap() >= 1);
    assert!(plain["ledger"]["reordered"].as_u64().unwrap() >= 1);
    assert_eq!(plain["ledger"]["lost"], 0);
    assert!(metric(&plain, "record-retry-total") >= 1.0);
    assert!(sends(&plain).iter().all(|s| s["outcome"] == "acked"));

    // The retried record is the one written twice, its acknowledgement the second copy's.
    let retried: Vec<&Value> = sends(&plain)
        .iter()
        .filter(|s| s["attempts"].as_u64() > Some(1))
        .collect();
    assert!(retried.iter().any(|s| s["copies"] == 2));

    let idempotent = run_json(&scenario(1, IDEMPOTENT, &actions, 6000));
    assert_eq!(reordered(&idempotent), 0);
    assert_eq!(log_len(&idempotent), 40, "one copy of every record");
    assert_eq!(idempotent["ledger"]["duplicated"], 0);
    assert_eq!(idempotent["ledger"]["reordered"], 0);
    assert!(sends(&idempotent).iter().all(|s| s["outcome"] == "acked"));
    assert!(metric(&idempotent, "record-retry-total") >= 1.0);
    // Issue 5's first check: the retry of the record whose answer was lost is acknowledged
    // with the offset of its first (and only) copy — the leader's duplicate answer.
    let log = idempotent["partitions"][0]["log"].as_array().unwrap();
    let mut retried = 0;
    for (i, s) in sends(&idempotent).iter().enumerate() {
        assert_eq!(s["offset"], i, "send order is log order");
        assert_eq!(log[i]["sequence"], i, "the copy at its offset is its own");
        if s["attempts"].as_u64() > Some(1) {
            assert_eq!(s["copies"], 1);
            retried += 1;
        }
    }
    assert!(retried >= 1, "the lost answer's record was retried");
}

#[test]
fn a_lost_request_reorders_without_idempotence_and_never_with_it() {
    // The textbook case of §5.4: batch B1's request is lost, B2.. are appended, B1's retry
    // lands after them. With idempotence the younger batches are refused with
    // OUT_OF_ORDER_SEQUENCE_NUMBER until B1 fills the gap, then follow in order.
    let actions = [send(0, 40, 100), fault(1000, "drop_requests", 1)];
    let plain = run_json(&scenario(1, NO_IDEMPOTENCE, &actions, 6000));
    assert!(reordered(&plain) > 0);
    assert!(sends(&plain).iter().all(|s| s["outcome"] == "acked"));
    let lost_one = sends(&plain).iter().find(|s| s["reordered"] == true);
    assert!(
        lost_one.is_some(),
        "the lost request's record lands after younger ones"
    );

    let idempotent = run_json(&scenario(1, IDEMPOTENT, &actions, 6000));
    assert_eq!(reordered(&idempotent), 0);
    assert_eq!(log_len(&idempotent), 40);
    assert!(sends(&idempotent).iter().all(|s| s["outcome"] == "acked"));
    let offsets: Vec<i64> = sends(&idempotent)
        .iter()
        .map(|s| s["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(
        offsets,
        (0..40).collect::<Vec<_>>(),
        "send order is log order"
    );
}

#[test]
fn a_lost_response_silences_its_connection_until_the_client_reconnects() {
    // Over TCP a lost response is a dead connection: nothing sent after it arrives either.
    // The producer's oldest request times out (request.timeout.ms), it closes the connection
    // and every request on it fails and is retried in order — with idempotence, each batch
    // the leader already has is answered with its original offset. So a retry never falls
    // outside the five batches the leader remembers: no duplicate, no failure.
    let config = r#"{"linger.ms":"0","request.timeout.ms":"1000","delivery.timeout.ms":"5000"}"#;
    let actions = [send(0, 400, 5), fault(100, "drop_responses", 1)];
    let result = run_json(&scenario(1, config, &actions, 8000));
    assert_eq!(log_len(&result), 400, "no duplicate");
    assert_eq!(reordered(&result), 0);
    assert!(sends(&result).iter().all(|s| s["outcome"] == "acked"));
    assert!(metric(&result, "record-retry-total") >= 1.0);
    let offsets: Vec<i64> = sends(&result)
        .iter()
        .map(|s| s["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(
        offsets,
        (0..400).collect::<Vec<_>>(),
        "send order is log order"
    );
}

#[test]
fn a_new_connection_is_not_held_behind_the_timed_out_ones_purgatory() {
    // The broker mutes a channel while it handles one of its requests (SocketServer's
    // `selector.mute(connectionId)`, unmuted when the response is sent): a request held
    // in purgatory holds back the requests behind it on that connection only. A follower
    // too slow to copy keeps batch A (t = 0) in purgatory; B (t = 500) waits behind it on
    // the same connection. A's request times out at the client, which closes the
    // connection and retries both on a new one (after reconnect.backoff.ms): the leader
    // reads the retry at once and finds A already in its log — not after B, read off
    // the closed connection once A's purgatory entry expired, has waited out its own.
    let json = r#"{"seed":1,"kafka_version":"4.0","brokers":2,
        "topics":[{"name":"t","partitions":1,"replication_factor":2,
                   "replica_assignment":[[0,1]],"config":{"min.insync.replicas":"2"}}],
        "producers":[{"name":"p","config":{"acks":"all","linger.ms":"0",
                      "request.timeout.ms":"1000","delivery.timeout.ms":"10000"}}],
        "actions":[{"at_ms":0,"action":"slow_follower","broker":1,"extra_latency_ms":60000},
                   {"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v",
                    "count":2,"interval_ms":500}],
        "until_ms":3000}"#;
    let mut sim = Simulation::new(&Scenario::from_json(json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    let timed_out = sim
        .trace()
        .iter()
        .find_map(|(t, e)| matches!(e, TraceEvent::Disconnected { .. }).then_some(*t))
        .expect("the client gives up on the connection");
    let duplicate = sim
        .trace()
        .iter()
        .find_map(|(t, e)| matches!(e, TraceEvent::DuplicateBatch { .. }).then_some(*t))
        .expect("the retry reaches the leader");
    assert!(
        duplicate < timed_out + 500,
        "retry read at {duplicate}, the connection closed at {timed_out}"
    );
}

#[test]
fn a_new_producers_lost_first_batch_is_kafka_15591() {
    // exactly-once.md §3: the leader has no state for a new producer id, so it takes any
    // sequence. The first batch is lost, the second is appended at offset 0, and every
    // retry of the first is out of order until delivery.timeout.ms expires it: lost
    // despite idempotence, though never reordered.
    // Records 5 ms apart: the first waits for InitProducerId (one round trip, 2 ms) and
    // goes alone.
    let actions = [send(0, 2, 5), fault(0, "drop_requests", 1)];
    let config = r#"{"linger.ms":"0","request.timeout.ms":"1000","delivery.timeout.ms":"3000","max.in.flight.requests.per.connection":"5"}"#;
    let mut sim =
        Simulation::new(&Scenario::from_json(&scenario(1, config, &actions, 10_000)).unwrap())
            .unwrap();
    sim.run();
    let result =
        serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
            .unwrap();
    let s = sends(&result);
    assert_eq!(s[1]["outcome"], "acked");
    assert_eq!(s[1]["offset"], 0);
    assert_eq!(s[0]["outcome"], "failed");
    assert_eq!(s[0]["error"], "TimeoutException");
    assert!(
        s[0]["attempts"].as_u64().unwrap() > 2,
        "retried until it expired"
    );
    assert_eq!(log_len(&result), 1);
}

#[test]
fn retries_one_survives_one_lost_request_not_two() {
    // SenderTest.testRetries, with a lost request in place of the disconnect: retries=1
    // allows one resend. A request that gets no answer fails after request.timeout.ms with
    // REQUEST_TIMED_OUT; once retries are spent, the callback gets TimeoutException.
    let config = r#"{"enable.idempotence":"false","acks":"1","retries":"1","linger.ms":"0","request.timeout.ms":"1000","delivery.timeout.ms":"10000"}"#;
    let once = run_json(&scenario(
        1,
        config,
        &[send(0, 1, 0), fault(0, "drop_requests", 1)],
        5000,
    ));
    assert_eq!(sends(&once)[0]["outcome"], "acked");
    assert_eq!(sends(&once)[0]["offset"], 0);
    assert_eq!(sends(&once)[0]["attempts"], 2);

    let twice = run_json(&scenario(
        1,
        config,
        &[send(0, 1, 0), fault(0, "drop_requests", 2)],
        5000,
    ));
    assert_eq!(sends(&twice)[0]["outcome"], "failed");
    assert_eq!(sends(&twice)[0]["error"], "TimeoutException");
    assert_eq!(metric(&twice, "record-error-total"), 1.0);
    assert_eq!(metric(&twice, "record-retry-total"), 1.0);
}

#[test]
fn a_timed_out_request_fails_as_a_disconnection_before_3_5() {
    // KAFKA-14317 (3.5.0): `Sender.handleProduceResponse` tells a request that timed out
    // (`wasTimedOut`: REQUEST_TIMED_OUT, "Disconnected from node N due to timeout") from
    // any other disconnection (NETWORK_EXCEPTION, "Disconnected from node N"), which is
    // what a timeout was before. Either is retried; spent retries surface as
    // TimeoutException or NetworkException.
    let config = r#"{"enable.idempotence":"false","acks":"1","retries":"1","linger.ms":"0","request.timeout.ms":"1000","delivery.timeout.ms":"10000"}"#;
    let actions = [send(0, 1, 0), fault(0, "drop_requests", 2)];
    for (version, code, exception) in [
        ("2.8", "NETWORK_EXCEPTION", "NetworkException"),
        ("3.4", "NETWORK_EXCEPTION", "NetworkException"),
        ("3.5", "REQUEST_TIMED_OUT", "TimeoutException"),
        ("4.0", "REQUEST_TIMED_OUT", "TimeoutException"),
    ] {
        let json = scenario(1, config, &actions, 5000).replace(
            r#""kafka_version":"4.0""#,
            &format!(r#""kafka_version":"{version}""#),
        );
        let mut sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
        sim.record_trace();
        sim.run();
        let retried = sim.trace().iter().find_map(|(_, e)| match e {
            TraceEvent::BatchRetried { error, .. } => Some(*error),
            _ => None,
        });
        assert_eq!(retried, Some(code), "{version}");
        let error = sim.producers()[0].sends[0].error.clone().expect("failed");
        assert_eq!(error.exception_name(), exception, "{version}");
        let due = if code == "REQUEST_TIMED_OUT" {
            " due to timeout"
        } else {
            ""
        };
        assert_eq!(error.message(), format!("Disconnected from node 0{due}"));
    }
}

#[test]
fn a_response_at_the_delivery_deadline_is_ignored() {
    // SenderTest.testInflightBatchesExpireOnDeliveryTimeout: delivery 1500, batch sent at
    // 0, its response processed at 1500. The sender expires in-flight batches before it
    // handles responses, so the record fails with TimeoutException and is not resent.
    // Not idempotent: Kafka's test has no InitProducerId round trip before the send.
    let config = r#"{"acks":"all","enable.idempotence":"false","linger.ms":"0","request.timeout.ms":"1500","delivery.timeout.ms":"1500"}"#;
    let result = run_json(&scenario(750, config, &[send(0, 1, 0)], 5000));
    let s = &sends(&result)[0];
    assert_eq!(s["outcome"], "failed");
    assert_eq!(s["error"], "TimeoutException");
    assert_eq!(s["attempts"], 1);
    assert_eq!(log_len(&result), 1, "the broker did append it");
}

#[test]
fn an_expired_batch_is_not_split_on_message_too_large() {
    // SenderTest.testExpiredBatchDoesNotSplitOnMessageTooLargeError: a batch of two
    // records over the topic's max.message.bytes, answered MESSAGE_TOO_LARGE at its
    // delivery deadline, has expired first: TimeoutException for both, no split, no resend.
    let config = r#"{"enable.idempotence":"false","linger.ms":"0","request.timeout.ms":"1500","delivery.timeout.ms":"1500"}"#;
    let two = r#"{"at_ms":0,"action":"send","producer":"p","topic":"t","value_bytes":1500,"count":2,"interval_ms":0}"#;
    let s = scenario(750, config, &[two.to_string()], 5000).replace(
        r#""partitions":1}"#,
        r#""partitions":1,"config":{"max.message.bytes":"2048"}}"#,
    );
    let result = run_json(&s);
    assert_eq!(metric(&result, "records-per-request-avg"), 2.0, "one batch");
    for s in sends(&result) {
        assert_eq!(s["error"], "TimeoutException");
        assert_eq!(s["attempts"], 1);
    }
    assert_eq!(metric(&result, "batch-split-total"), 0.0);
    assert_eq!(log_len(&result), 0);

    // Answered before its deadline, the same batch is split instead (and again at each
    // answer: the split packs both records back into one batch.size batch, KAFKA-8350).
    let s = s.replace(
        r#""delivery.timeout.ms":"1500""#,
        r#""delivery.timeout.ms":"5000""#,
    );
    assert!(metric(&run_json(&s), "batch-split-total") >= 1.0);
}

#[test]
fn with_one_in_flight_the_next_batch_waits_for_the_expired_ones_answer() {
    // SenderTest.testWhenFirstBatchExpireNoSendSecondBatchIfGuaranteeOrder: in-flight 1,
    // delivery 1500. Batch 1 goes at 0; batch 2, appended at 750, stays (the partition is
    // muted); at 1500 batch 1 expires, then its response unmutes the partition and the same
    // sender pass sends batch 2.
    let config = r#"{"enable.idempotence":"false","max.in.flight.requests.per.connection":"1","linger.ms":"0","request.timeout.ms":"1500","delivery.timeout.ms":"1500"}"#;
    let s = scenario(750, config, &[send(0, 1, 0), send(750, 1, 0)], 5000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run_until(1499);
    assert_eq!(sim.producers()[0].sends[1].sent_ms(), None, "muted");
    sim.run_until(1500);
    let p = &sim.producers()[0];
    assert_eq!(
        p.sends[0].error.as_ref().map(|e| e.exception_name()),
        Some("TimeoutException")
    );
    assert_eq!(p.sends[1].sent_ms(), Some(1500));
}

/// Partition 0 led by node 0 (the accumulator cases' fixture).
fn one_partition() -> Cluster {
    Cluster {
        brokers: 1,
        topics: vec![TopicMeta::new(
            "test".into(),
            vec![PartitionMeta {
                replicas: vec![0],
                leader: Some(0),
                leader_epoch: 0,
            }],
            TopicConfig::default(),
        )],
    }
}

fn accumulator(linger_ms: u64, delivery_timeout_ms: u64) -> RecordAccumulator {
    accumulator_of(KafkaVersion::latest(), linger_ms, 1000, delivery_timeout_ms)
}

/// One topic, batch.size 1024, retry.backoff.ms 100 up to `backoff_max_ms`.
fn accumulator_of(
    version: KafkaVersion,
    linger_ms: u64,
    backoff_max_ms: u64,
    delivery_timeout_ms: u64,
) -> RecordAccumulator {
    RecordAccumulator::new(
        AccumulatorConfig {
            version,
            batch_size: 1024,
            sticky_batch_size: 1024,
            linger_ms,
            adaptive: false,
            availability_timeout_ms: 0,
            retry_backoff: ExponentialBackoff::new(version, 100, backoff_max_ms),
            delivery_timeout_ms,
            compression: CompressionType::None,
        },
        1,
    )
}

/// Drains broker 0's one batch at `now` and puts it back as failed.
fn drain_and_fail(acc: &mut RecordAccumulator, c: &Cluster, now: u64, rng: &mut Rng) {
    let batch = acc
        .drain(c, &[0].into(), 1 << 20, now, rng, None)
        .remove(&0)
        .unwrap()
        .remove(0);
    acc.reenqueue(batch, now);
}

/// One "key"/"value" record to partition 0 at t = 0.
fn append_one(acc: &mut RecordAccumulator, c: &Cluster) {
    append(
        acc,
        0,
        Some(0),
        0,
        &record(),
        false,
        0,
        &mut Counter::default(),
        c,
    );
}

fn record() -> RecordRef {
    RecordBlock::default().make(RecordData {
        key: Serializer::String.serialize(Some("key")).unwrap(),
        value: Serializer::String.serialize(Some("value")).unwrap(),
        timestamp: 0,
    })
}

#[test]
fn exponential_retry_backoff() {
    // RecordAccumulatorTest.testExponentialRetryBackoff (+ …LeaderChange's cap): backoff
    // 100 ms growing to 1000 ms with ±20 % jitter. For attempt i+1 the batch is not
    // drainable at t + 100·2^i·0.8 − 1 and is at t + 100·2^i·1.2 + 1; the fifth waits at
    // most the 1000 ms cap.
    let c = one_partition();
    let mut rng = Rng::new(9);
    let mut acc = accumulator(0, 1_000_000);
    append_one(&mut acc, &c);
    let nodes = acc.ready(&c, 0, false, &mut rng).ready_nodes;
    let mut batch = acc
        .drain(&c, &nodes, 1 << 20, 0, &mut rng, None)
        .remove(&0)
        .unwrap()
        .remove(0);
    let mut t = 0;
    for i in 0..5u32 {
        acc.reenqueue(batch, t);
        let base = 100u64 << i;
        let (early, late) = if i < 4 {
            (t + base * 8 / 10 - 1, t + base * 12 / 10 + 1)
        } else {
            (t + 799, t + 1001)
        };
        assert!(
            acc.ready(&c, early, false, &mut rng).ready_nodes.is_empty(),
            "attempt {i}"
        );
        let none = acc.drain(&c, &[0].into(), 1 << 20, early, &mut rng, None);
        assert!(none.is_empty(), "attempt {i}: still backing off at {early}");
        assert!(!acc.ready(&c, late, false, &mut rng).ready_nodes.is_empty());
        batch = acc
            .drain(&c, &[0].into(), 1 << 20, late, &mut rng, None)
            .remove(&0)
            .unwrap()
            .remove(0);
        assert_eq!(batch.attempts, i + 1);
        t = late;
    }
}

#[test]
fn constant_retry_backoff_before_3_7() {
    // RecordAccumulatorTest.testReadyAndDrainWhenABatchIsBeingRetried, the backoff half
    // (the leader-epoch half is below): linger 10, backoff 100. Before 3.7 the backoff is
    // exactly retry.backoff.ms.
    let c = one_partition();
    let mut rng = Rng::new(9);
    let version = KafkaVersion::parse("3.6").unwrap();
    let mut acc = accumulator_of(version, 10, 100, 1_000_000);
    append_one(&mut acc, &c);
    assert!(acc.ready(&c, 10, false, &mut rng).ready_nodes.contains(&0));
    drain_and_fail(&mut acc, &c, 11, &mut rng);
    let at12 = acc.ready(&c, 12, false, &mut rng);
    assert!(at12.ready_nodes.is_empty());
    assert_eq!(at12.next_ready_check_delay_ms, Some(99));
    assert!(acc.ready(&c, 110, false, &mut rng).ready_nodes.is_empty());
    assert!(acc.ready(&c, 111, false, &mut rng).ready_nodes.contains(&0));
    assert!(acc
        .ready(&c, 2011, false, &mut rng)
        .ready_nodes
        .contains(&0));
}

#[test]
fn a_retry_to_a_new_leader_skips_its_backoff_from_3_7() {
    // RecordAccumulatorTest.testReadyAndDrainWhenABatchIsBeingRetried, the leader-epoch
    // half (producer.md §9 case 14, KAFKA-15415): linger 10, backoff 100. Drained at 11
    // under leader epoch 100 and re-enqueued; at 12, same epoch, it backs off; at 13
    // metadata shows epoch 101 and it is ready and drained at once. 3.6 waits regardless.
    for (version, skips) in [("3.7", true), ("3.6", false)] {
        let version = KafkaVersion::parse(version).unwrap();
        let mut c = one_partition();
        let tp = kafka_lab_tests::TP0;
        c.set_leader(tp, Some(0), 100);
        let mut rng = Rng::new(9);
        let mut acc = accumulator_of(version, 10, 1000, 1_000_000);
        append_one(&mut acc, &c);
        assert!(acc.ready(&c, 11, false, &mut rng).ready_nodes.contains(&0));
        drain_and_fail(&mut acc, &c, 11, &mut rng);
        assert!(acc.ready(&c, 12, false, &mut rng).ready_nodes.is_empty());
        assert!(acc
            .drain(&c, &[0].into(), 1 << 20, 12, &mut rng, None)
            .is_empty());

        c.set_leader(tp, Some(0), 101);
        let at13 = acc.ready(&c, 13, false, &mut rng);
        assert_eq!(at13.ready_nodes.contains(&0), skips, "{version}");
        let drained = acc.drain(&c, &[0].into(), 1 << 20, 13, &mut rng, None);
        assert_eq!(drained.contains_key(&0), skips, "{version}");
        if skips {
            // The inspector says why it went before its backoff was over.
            assert_eq!(drained[&0][0].ready_because, Some(SendReason::NewLeader));
        }
        if !skips {
            assert!(acc
                .ready(&c, 2013, false, &mut rng)
                .ready_nodes
                .contains(&0));
        }
    }
}

#[test]
fn expired_batch_single() {
    // RecordAccumulatorTest.testExpiredBatchSingle / ProducerBatchTest.testBatchExpiration:
    // linger 300, delivery 3200: ready at 300 but not expired; expired at exactly 3200.
    let c = one_partition();
    let mut rng = Rng::new(9);
    let mut acc = accumulator(300, 3200);
    append_one(&mut acc, &c);
    assert!(acc.ready(&c, 300, false, &mut rng).ready_nodes.contains(&0));
    assert!(acc.expired_batches(300).is_empty());
    assert!(acc.expired_batches(3199).is_empty());
    assert_eq!(acc.next_expiry_ms(), Some(3200));
    assert_eq!(acc.expired_batches(3200).len(), 1);
    assert!(acc.ready(&c, 3200, false, &mut rng).ready_nodes.is_empty());
}

/// Three partitions, keys that land on each, and a buffer.memory of two batches.
fn pool_scenario(latency_ms: u64, max_block_ms: u64) -> String {
    format!(
        r#"{{"seed":3,"kafka_version":"4.0","brokers":1,"network":{{"latency_ms":{latency_ms}}},
            "topics":[{{"name":"t","partitions":3}}],
            "producers":[{{"name":"p","config":{{"enable.idempotence":"false","buffer.memory":"2048","batch.size":"1024","linger.ms":"1000","max.block.ms":"{max_block_ms}"}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","keys":["a","b","c","d","e","f"],"value":"v","count":6,"interval_ms":0}}],
            "until_ms":5000}}"#
    )
}

#[test]
fn send_blocks_when_buffer_memory_is_full_and_resumes_when_a_batch_completes() {
    // producer.md §4: each new batch takes batch.size from buffer.memory until it
    // completes. With room for two batches, the record that needs a third blocks in send().
    // Nothing wakes the sender for it: it sleeps out linger.ms, sends the two batches, and
    // their completion frees the memory that lets the blocked send() return.
    let s = pool_scenario(5, 60_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run_until(0);
    let p = &sim.producers()[0];
    assert_eq!(p.pool.queued(), 1, "one send() is blocked");
    assert_eq!(p.pool.available_memory(), 0);
    assert!(p.blocked_in_send().is_some());
    sim.run();
    let result =
        serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
            .unwrap();
    assert!(sends(&result).iter().all(|s| s["outcome"] == "acked"));
    let m = &result["metrics"]["producers"]["p"];
    assert_eq!(m["buffer-available-bytes"], 2048, "all memory is back");
    assert_eq!(m["buffer-exhausted-total"], 0);
    assert!(m["bufferpool-wait-time-ns-total"].as_u64().unwrap() > 0);
    let p = &sim.producers()[0];
    assert_eq!(p.sends[0].sent_ms(), Some(1000));
    assert_eq!(
        p.sends[5].sent_ms(),
        Some(2010),
        "appended at 1010, then linger.ms"
    );
}

#[test]
fn send_fails_with_buffer_exhausted_after_max_block_ms() {
    // BufferPoolTest.testBlockTimeout through send(): no memory comes back within
    // max.block.ms (responses take 100 ms, the caller waits 10): BufferExhaustedException
    // reaches the callback, and the rest of the records go on.
    let result = run_json(&pool_scenario(100, 10));
    let failed: Vec<&Value> = sends(&result)
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .collect();
    assert!(!failed.is_empty());
    assert!(failed
        .iter()
        .all(|s| s["error"] == "BufferExhaustedException"));
    assert_eq!(
        metric(&result, "buffer-exhausted-total") as usize,
        failed.len()
    );
    assert_eq!(metric(&result, "buffer-available-bytes"), 2048.0);
}

#[test]
fn a_record_larger_than_buffer_memory_is_refused_in_send() {
    // KafkaProducer.ensureValidRecordSize: RecordTooLargeException to the callback.
    let s = r#"{"seed":3,"kafka_version":"4.0","brokers":1,"topics":[{"name":"t","partitions":1}],
        "producers":[{"name":"p","config":{"buffer.memory":"100"}}],
        "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","value_bytes":200}],"until_ms":100}"#;
    let result = run_json(s);
    assert_eq!(sends(&result)[0]["error"], "RecordTooLargeException");
}

/// `count` records of `value` to one partition, one every ms, lingering 50 ms.
fn compressed_run(codec: &str, value: &str) -> Value {
    let config =
        format!(r#"{{"compression.type":"{codec}","linger.ms":"50","batch.size":"16384"}}"#);
    let send = format!(
        r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"{value}","count":500,"interval_ms":1}}"#
    );
    run_json(&scenario(1, &config, &[send], 2000))
}

#[test]
fn compression_shrinks_batches_and_reports_kafkas_ratio() {
    // compression-rate-avg is the average of written records section / uncompressed
    // records over drained batches (MemoryRecordsBuilder.compressionRatio): 1.0 for none.
    let value = "order-status:shipped;".repeat(8);
    let none = compressed_run("none", &value);
    assert_eq!(metric(&none, "compression-rate-avg"), 1.0);
    for codec in ["gzip", "snappy", "lz4", "zstd"] {
        let r = compressed_run(codec, &value);
        let ratio = metric(&r, "compression-rate-avg");
        assert!(ratio > 0.0 && ratio < 0.5, "{codec}: {ratio}");
        assert!(
            metric(&r, "batch-size-avg") < metric(&none, "batch-size-avg"),
            "{codec} batches are smaller on the wire"
        );
        assert!(sends(&r).iter().all(|s| s["outcome"] == "acked"));
    }
}

#[test]
fn unknown_codec_is_kafkas_config_exception() {
    let s = scenario(1, r#"{"compression.type":"brotli"}"#, &[send(0, 1, 0)], 10);
    let errors = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap_err();
    assert_eq!(errors[0].path, "producers[0].config.compression.type");
    assert!(errors[0]
        .message
        .contains("String must be one of: none, gzip, snappy, lz4, zstd"));
}

#[test]
fn batch_size_counts_estimated_compressed_bytes() {
    // MemoryRecordsBuilder: with a codec, a batch is full when 61 + uncompressed × ratio
    // estimate × 1.05 reaches batch.size. The estimate starts at 1.0 and improves by 0.005
    // per drained batch, so compressed batches take ever more records.
    let value = "order-status:shipped;".repeat(8);
    let run = |codec: &str| {
        let config =
            format!(r#"{{"compression.type":"{codec}","linger.ms":"1000","batch.size":"1024"}}"#);
        let send = format!(
            r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"{value}","count":3000,"interval_ms":1}}"#
        );
        let mut sim =
            Simulation::new(&Scenario::from_json(&scenario(1, &config, &[send], 5000)).unwrap())
                .unwrap();
        sim.run();
        sim
    };
    let per_batch = |sim: &Simulation| {
        let p = &sim.producers()[0];
        let batches = p.sends.iter().map(|s| s.batch).max().unwrap() + 1;
        p.sends.len() as f64 / batches as f64
    };
    let (none, gzip) = (run("none"), run("gzip"));
    assert!(per_batch(&none) < 6.0, "1024 B holds five 184-byte records");
    assert!(
        per_batch(&gzip) > per_batch(&none) * 1.5,
        "{}",
        per_batch(&gzip)
    );
}

#[test]
fn flush_makes_lingering_batches_sendable_until_they_complete() {
    // RecordAccumulator.beginFlush/awaitFlushCompletion: during a flush every batch is
    // ready, linger.ms or not; once the batches incomplete at the call have completed,
    // lingering is back.
    let config = r#"{"linger.ms":"10000"}"#;
    let flush = r#"{"at_ms":100,"action":"flush","producer":"p"}"#.to_string();
    let s = scenario(1, config, &[send(0, 5, 0), flush, send(200, 1, 0)], 20_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run_until(100);
    assert!(sim.producers()[0].flush_in_progress());
    sim.run();
    let p = &sim.producers()[0];
    assert!(!p.flush_in_progress());
    assert!(p.sends.range(0, 5).all(|r| r.sent_ms() == Some(100)));
    assert_eq!(p.sends[5].sent_ms(), Some(10_200));
    let result =
        serde_json::from_str::<Value>(&kafka_lab::result::RunResult::of(&sim).to_json_pretty())
            .unwrap();
    assert_eq!(result["action_results"][0]["action"], "flush");
    assert_eq!(result["action_results"][0]["error"], Value::Null);
}

#[test]
fn a_batch_over_max_message_bytes_is_split_and_sent_again() {
    // producer.md §3.7: MESSAGE_TOO_LARGE on a batch of several records splits it
    // (ProducerBatch.split) instead of failing, without spending a retry. Here the codec's
    // ratio estimate, trained on very compressible values, lets a batch of random values
    // grow far past batch.size; compressed it is over the topic's max.message.bytes.
    let config = r#"{"compression.type":"gzip","batch.size":"1024","linger.ms":"5"}"#;
    let compressible = format!(
        r#"{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"{}","count":3000,"interval_ms":1}}"#,
        "a".repeat(200)
    );
    let random = r#"{"at_ms":4000,"action":"send","producer":"p","topic":"t","value_bytes":200,"count":300,"interval_ms":0}"#;
    let s = scenario(1, config, &[compressible, random.to_string()], 8000).replace(
        r#""partitions":1}"#,
        r#""partitions":1,"config":{"max.message.bytes":"2048"}}"#,
    );
    let result = run_json(&s);
    assert!(metric(&result, "batch-split-total") >= 1.0);
    assert!(sends(&result).iter().all(|s| s["outcome"] == "acked"));
    assert_eq!(log_len(&result), 3300);
    assert_eq!(result["ledger"]["reordered"], 0);
    assert_eq!(result["ledger"]["duplicated"], 0);

    // A lone record over max.message.bytes cannot be split: RecordTooLargeException.
    let big = r#"{"at_ms":0,"action":"send","producer":"p","topic":"t","value_bytes":3000}"#;
    let s = scenario(1, r#"{}"#, &[big.to_string()], 1000).replace(
        r#""partitions":1}"#,
        r#""partitions":1,"config":{"max.message.bytes":"2048"}}"#,
    );
    let result = run_json(&s);
    assert_eq!(sends(&result)[0]["error"], "RecordTooLargeException");
    assert_eq!(metric(&result, "batch-split-total"), 0.0);
}

#[test]
fn a_split_that_cannot_shrink_is_sent_again_until_it_expires_kafka_8350() {
    // KAFKA-8350, in every version modelled (fixed after 4.0): `ProducerBatch.split` packs
    // the records into batches of batch.size (16384), so three records of 3,086 bytes,
    // over the topic's max.message.bytes of 2048, come back as one batch just as large.
    // It is rejected and split again, over and over, until delivery.timeout.ms.
    let big = r#"{"at_ms":111,"action":"send","producer":"p","topic":"t","value_bytes":3000}"#;
    let small = |v: &str| {
        format!(r#"{{"at_ms":111,"action":"send","producer":"p","topic":"t","value":"{v}"}}"#)
    };
    let actions = [send(110, 1, 0), big.to_string(), small("c"), small("d")];
    let s = scenario(1, r#"{"linger.ms":"0"}"#, &actions, 130_000).replace(
        r#""partitions":1}"#,
        r#""partitions":1,"config":{"max.message.bytes":"2048"}}"#,
    );
    let result = run_json(&s);
    assert_eq!(sends(&result)[0]["outcome"], "acked");
    for s in &sends(&result)[1..] {
        assert_eq!(s["error"], "TimeoutException");
    }
    assert!(metric(&result, "batch-split-total") > 10_000.0);
    assert_eq!(log_len(&result), 1);

    // A transactional producer whose abortTransaction() waits behind the loop until
    // max.block.ms: each of its wake-ups until then rescheduled one for the call's
    // deadline, and those stale wake-ups, due together, are no stall. The coordinator
    // aborts the transaction at transaction.timeout.ms and fences the producer.
    let txn = [
        r#"{"at_ms":0,"action":"init_transactions","producer":"p"}"#.to_string(),
        r#"{"at_ms":100,"action":"begin_transaction","producer":"p"}"#.to_string(),
        r#"{"at_ms":1000,"action":"abort_transaction","producer":"p"}"#.to_string(),
    ];
    let actions: Vec<String> = txn.iter().chain(&actions).cloned().collect();
    let s = scenario(
        1,
        r#"{"transactional.id":"tx","linger.ms":"0"}"#,
        &actions,
        90_000,
    )
    .replace(
        r#""partitions":1}"#,
        r#""partitions":1,"config":{"max.message.bytes":"2048"}}"#,
    );
    let result = run_json(&s);
    assert_eq!(result["stalled_at_ms"], Value::Null);
    assert_eq!(result["ended_at_ms"], 90_000);
    assert_eq!(result["action_results"][2]["error"], "TimeoutException");
    assert_eq!(sends(&result)[1]["error"], "InvalidProducerEpochException");
}

#[test]
fn close_sends_what_is_queued_and_refuses_later_sends() {
    // KafkaProducer.close(): initiateClose makes every batch sendable (no lingering); the
    // sender finishes them; a send() after close throws IllegalStateException.
    let config = r#"{"linger.ms":"10000"}"#;
    let close = r#"{"at_ms":100,"action":"close","producer":"p"}"#.to_string();
    let s = scenario(1, config, &[send(0, 3, 0), close, send(200, 1, 0)], 20_000);
    let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
    sim.run();
    let p = &sim.producers()[0];
    assert!(p.is_closed());
    assert!(p.sends.range(0, 3).all(|r| r.sent_ms() == Some(100)));
    assert_eq!(
        p.sends[3].error.as_ref().map(|e| e.exception_name()),
        Some("IllegalStateException")
    );
}

#[test]
fn a_restarted_producer_duplicates_what_the_old_one_wrote() {
    // exactly-once.md §1 and the notes' §7.5: the broker appended the record but its
    // answer was lost; the application restarts its producer before the retry and re-sends
    // what it never saw acknowledged. The new instance has a new producer id, so the broker
    // cannot tell: two copies. Without the restart, the retry is deduplicated.
    let config = r#"{"linger.ms":"0"}"#;
    let restart = r#"{"at_ms":100,"action":"restart_producer","producer":"p"}"#.to_string();
    let actions = [send(0, 1, 0), fault(0, "drop_responses", 1), restart];
    let r = run_json(&scenario(5, config, &actions, 60_000));
    assert_eq!(log_len(&r), 2);
    let log = r["partitions"][0]["log"].as_array().unwrap();
    assert_ne!(
        log[0]["producer_id"], log[1]["producer_id"],
        "a new producer id"
    );
    assert_eq!(
        log[1]["sequence"], 0,
        "the new producer starts at sequence 0"
    );
    assert_eq!(r["ledger"]["duplicated"], 1);
    assert_eq!(sends(&r)[0]["outcome"], "acked");
    assert_eq!(sends(&r)[0]["offset"], 1, "the re-send's offset");

    let no_restart = run_json(&scenario(5, config, &actions[..2], 60_000));
    assert_eq!(log_len(&no_restart), 1);
    assert_eq!(no_restart["ledger"]["duplicated"], 0);
}
