//! KIP-890 (Transactions Server-Side Defense) per `kafka_version`: the same scenarios on
//! 3.5 (no defense), 3.6–3.9 (part 1: the partition leader verifies a transaction's first
//! write with the coordinator, `transaction.partition.verification.enable`) and 4.0 (part 2,
//! `transaction.version` 2: the leader adds the partition, every `EndTxn` bumps the epoch),
//! and ports of the Kafka tests of the leader's side (`ReplicaManagerTest`,
//! `UnifiedLogTest`) — the coordinator's side is in `coordinator.rs`.

use kafka_lab::broker::partition::{LeaderAppend, Partition};
use kafka_lab::broker::{
    Broker, ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS, ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS,
    REQUEST_TIMEOUT_MS,
};
use kafka_lab::config::{Acks, TopicConfig};
use kafka_lab::controller::PartitionRegistration;
use kafka_lab::effects::Effects;
use kafka_lab::errors::Errors;
use kafka_lab::metadata::TopicPartition;
use kafka_lab::net::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, Payload, ProduceRequest,
    TransactionResult, TxnMarkerEntry, WireBatch, WireRecord,
};
use kafka_lab::record::{RecordBlock, RecordData, RecordRef};
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::{Scenario, Simulation};
use std::rc::Rc;

use kafka_lab_tests::{produce_responses, TP0};

// ---------------------------------------------------------------------------------------
// The hanging transaction, scenario level.
// ---------------------------------------------------------------------------------------

/// Three brokers; partition 0 of `t` led by broker 0, the coordinator of `tx` is broker 1
/// (`Utils.abs("tx".hashCode) % 50` = 16, led by broker 16 mod 3). The producer gives up on
/// requests after 1 s and on records after 2 s.
///
/// At 105 ms every message to or from broker 0 starts taking 5 s more. "late" (110 ms) is
/// added to the transaction and sent; its request and the retry after the request timeout
/// are both slowed. At 2.11 s the record expires (TimeoutException: an abortable error); at
/// 2.5 s broker 0 is fast again; at 3 s the application aborts. Both slowed requests are
/// still on their way: they reach broker 0 at about 5.1 s and 6.2 s, after the abort.
/// `then` adds actions after that.
fn delayed_past_abort(version: &str, then: &str) -> Simulation {
    let json = format!(
        r#"{{"seed":3,"kafka_version":"{version}","brokers":3,"network":{{"latency_ms":2}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,
                        "replica_assignment":[[0,1,2]],"config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{{"name":"p","config":{{"transactional.id":"tx","linger.ms":"0",
                           "request.timeout.ms":"1000","delivery.timeout.ms":"2000"}}}}],
            "consumers":[{{"name":"rc","topics":["t"],"config":{{"isolation.level":"read_committed"}}}}],
            "actions":[{{"at_ms":0,"action":"init_transactions","producer":"p"}},
                       {{"at_ms":100,"action":"begin_transaction","producer":"p"}},
                       {{"at_ms":105,"action":"slow_broker","broker":0,"extra_latency_ms":5000}},
                       {{"at_ms":110,"action":"send","producer":"p","topic":"t","value":"late","partition":0}},
                       {{"at_ms":2500,"action":"slow_broker","broker":0,"extra_latency_ms":0}},
                       {{"at_ms":3000,"action":"abort_transaction","producer":"p"}}{then}],
            "until_ms":80000}}"#
    );
    let mut sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    assert_eq!(sim.stalled_at(), None);
    sim
}

/// The next transaction writes "next" to the same partition and commits.
const NEXT: &str = r#",{"at_ms":7000,"action":"begin_transaction","producer":"p"},
    {"at_ms":7010,"action":"send","producer":"p","topic":"t","value":"next","partition":0},
    {"at_ms":7500,"action":"commit_transaction","producer":"p"}"#;

/// The partition's committed log: (offset, value or COMMIT/ABORT, producer epoch).
fn log(sim: &Simulation) -> Vec<(u64, String, i16)> {
    let p = sim.committed_replica(TP0).unwrap();
    p.log
        .records()
        .iter()
        .map(|r| {
            let what = match r.control {
                Some(TransactionResult::Commit) => "COMMIT".to_string(),
                Some(TransactionResult::Abort) => "ABORT".to_string(),
                None => r.data().value_text().unwrap().to_string(),
            };
            (r.offset, what, r.producer_epoch)
        })
        .collect()
}

/// (high watermark, last stable offset) of partition 0 at the end.
fn hw_lso(sim: &Simulation) -> (u64, u64) {
    let p = sim.committed_replica(TP0).unwrap();
    (p.high_watermark(), p.last_stable_offset())
}

/// What the read_committed consumer received: (offset, value).
fn read_committed(sim: &Simulation) -> Vec<(u64, String)> {
    sim.consumers()[0]
        .records
        .iter()
        .map(|r| (r.offset, r.data.value_text().unwrap().to_string()))
        .collect()
}

/// The errors broker 0 refused producer batches with, in order.
fn rejections(sim: &Simulation) -> Vec<&'static str> {
    sim.trace()
        .iter()
        .filter_map(|(_, e)| match e {
            TraceEvent::BatchRejected {
                broker: 0, error, ..
            } => Some(*error),
            _ => None,
        })
        .collect()
}

/// The leader's verification requests: (at, verify_only, producer epoch).
fn verifications(sim: &Simulation) -> Vec<(u64, bool, i16)> {
    sim.trace()
        .iter()
        .filter_map(|(at, e)| match e {
            TraceEvent::TxnVerificationSent {
                verify_only,
                producer_epoch,
                ..
            } => Some((*at, *verify_only, *producer_epoch)),
            _ => None,
        })
        .collect()
}

fn action_error(sim: &Simulation, action: u32) -> Option<&'static str> {
    match sim.call_result(action) {
        Some(Some(error)) => error.as_ref().map(|e| e.exception_name()),
        other => panic!("action {action} did not return: {other:?}"),
    }
}

#[test]
fn before_3_6_a_produce_delayed_past_its_abort_hangs_the_partition() {
    // 3.5: the ABORT marker (epoch 0) ends the transaction at offset 0; the delayed request
    // arrives afterwards with the same epoch and sequence 0, the partition has no batch of
    // the producer to compare with, so it is appended (offset 1) and opens a transaction of
    // its own. The coordinator has moved on (the abort, then the client's InitProducerId
    // bump to epoch 1: state Empty), it never hears of this one: no marker will come, and
    // its transaction.timeout.ms (60 s) abort does not cover it. The LSO stays at 1 to the
    // end of the run (80 s); a read_committed consumer gets nothing. The retry (6.2 s) is a
    // duplicate of offset 1.
    let sim = delayed_past_abort("3.5", "");
    assert_eq!(
        log(&sim),
        vec![(0, "ABORT".into(), 0), (1, "late".into(), 0)]
    );
    assert_eq!(
        hw_lso(&sim),
        (2, 1),
        "hanging: the LSO never passes offset 1"
    );
    assert!(read_committed(&sim).is_empty());
    let m = &sim.coordinator().transactions["tx"];
    assert_eq!(
        (m.state, m.producer_epoch),
        (kafka_lab::coordinator::TransactionState::Empty, 1)
    );
    assert!(
        m.partitions.is_empty(),
        "the coordinator knows no transaction"
    );
    assert!(
        verifications(&sim).is_empty(),
        "nobody asks the coordinator"
    );
    let duplicate = sim.trace().iter().any(|(at, e)| {
        *at > 6_000 && matches!(e, TraceEvent::DuplicateBatch { base_offset: 1, .. })
    });
    assert!(duplicate);
    assert_eq!(action_error(&sim, 5), None, "the abort itself succeeded");
    assert_eq!(
        sim.producers()[0].sends[0]
            .error
            .as_ref()
            .unwrap()
            .exception_name(),
        "TimeoutException"
    );
}

#[test]
fn before_3_6_the_late_record_commits_with_the_next_transaction() {
    // The other face of it (KIP-890's motivation): the producer's next transaction writes
    // to the same partition under epoch 1. Its COMMIT marker ends the partition's open
    // transaction — which began at the late record — so a record of an aborted transaction
    // reaches read_committed consumers: exactly-once is broken.
    let sim = delayed_past_abort("3.5", NEXT);
    assert_eq!(
        log(&sim),
        vec![
            (0, "ABORT".into(), 0),
            (1, "late".into(), 0),
            (2, "next".into(), 1),
            (3, "COMMIT".into(), 1)
        ]
    );
    assert_eq!(
        read_committed(&sim),
        vec![(1, "late".into()), (2, "next".into())]
    );
    let (hw, lso) = hw_lso(&sim);
    assert_eq!(hw, lso);
}

#[test]
fn from_3_6_the_leader_verifies_and_refuses_the_late_produce() {
    // Part 1: the partition has no transaction of the producer open, so the leader holds
    // the late request and asks the coordinator (AddPartitionsToTxn, verifyOnly). The first
    // copy arrives while the abort's markers are still being replicated (PrepareAbort):
    // CONCURRENT_TRANSACTIONS, which the leader answers NOT_ENOUGH_REPLICAS (KAFKA-15459;
    // retriable, but the client gave up on that request long ago). The retry arrives after
    // the client's epoch bump: PRODUCER_FENCED, answered INVALID_PRODUCER_EPOCH. Nothing
    // but the marker is written; the LSO follows the HW.
    for version in ["3.6", "3.7", "3.8", "3.9"] {
        let sim = delayed_past_abort(version, "");
        assert_eq!(log(&sim), vec![(0, "ABORT".into(), 0)], "{version}");
        assert_eq!(hw_lso(&sim), (1, 1), "{version}");
        let v = verifications(&sim);
        assert_eq!(
            v.len(),
            2,
            "{version}: the two late copies, nothing else reached it"
        );
        assert!(v
            .iter()
            .all(|&(_, verify_only, epoch)| verify_only && epoch == 0));
        assert_eq!(
            rejections(&sim),
            ["NOT_ENOUGH_REPLICAS", "INVALID_PRODUCER_EPOCH"],
            "{version}"
        );
        assert_eq!(sim.coordinator().transactions["tx"].producer_epoch, 1);
        // The next transaction commits only its own record.
        let sim = delayed_past_abort(version, NEXT);
        assert_eq!(
            log(&sim),
            vec![
                (0, "ABORT".into(), 0),
                (1, "next".into(), 1),
                (2, "COMMIT".into(), 1)
            ],
            "{version}"
        );
        assert_eq!(read_committed(&sim), vec![(1, "next".into())], "{version}");
    }
}

#[test]
fn transactions_v2_abort_bumps_the_epoch_and_fences_the_late_produce() {
    // Part 2 (4.0): the client sends no AddPartitionsToTxn, and the late request never
    // reached the leader that would have added the partition: the coordinator aborts a
    // transaction it never saw start — no marker at all — bumping the epoch to 1, which the
    // EndTxn response hands the client. Both late copies ask the coordinator to add the
    // partition under epoch 0: PRODUCER_FENCED → INVALID_PRODUCER_EPOCH. The log stays
    // empty until the next transaction, which runs under epoch 1 and ends with a COMMIT
    // marker under epoch 2 (every EndTxn bumps).
    let sim = delayed_past_abort("4.0", "");
    assert_eq!(log(&sim), vec![]);
    assert_eq!(hw_lso(&sim), (0, 0));
    let v = verifications(&sim);
    assert_eq!(v.len(), 2);
    assert!(
        v.iter()
            .all(|&(_, verify_only, epoch)| !verify_only && epoch == 0),
        "adds, under the old epoch"
    );
    assert_eq!(
        rejections(&sim),
        ["INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_EPOCH"]
    );
    let bumped = sim.trace().iter().any(|(_, e)| {
        matches!(
            e,
            TraceEvent::TxnEpochBumped {
                producer_epoch: 1,
                ..
            }
        )
    });
    assert!(bumped, "the EndTxn response carried the new epoch");
    let added = sim.trace().iter().any(|(_, e)| {
        matches!(e, TraceEvent::TxnRequestSent { request, .. } if *request == "AddPartitionsToTxn")
    });
    assert!(
        !added,
        "a transactions V2 client sends no AddPartitionsToTxn"
    );

    let sim = delayed_past_abort("4.0", NEXT);
    assert_eq!(
        log(&sim),
        vec![(0, "next".into(), 1), (1, "COMMIT".into(), 2)]
    );
    assert_eq!(read_committed(&sim), vec![(0, "next".into())]);
}

// ---------------------------------------------------------------------------------------
// One transaction per protocol: what changes on the wire and in the log.
// ---------------------------------------------------------------------------------------

/// `exactly-once.md` §11 case 19 on one partition: "a" aborted, "b" committed.
fn abort_then_commit(version: &str) -> Simulation {
    let json = format!(
        r#"{{"seed":3,"kafka_version":"{version}","brokers":3,"network":{{"latency_ms":2}},
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,
                        "replica_assignment":[[0,1,2]],"config":{{"min.insync.replicas":"2"}}}}],
            "producers":[{{"name":"p","config":{{"transactional.id":"tx","linger.ms":"0"}}}}],
            "consumers":[{{"name":"rc","topics":["t"],"config":{{"isolation.level":"read_committed"}}}}],
            "actions":[{{"at_ms":0,"action":"init_transactions","producer":"p"}},
                       {{"at_ms":100,"action":"begin_transaction","producer":"p"}},
                       {{"at_ms":110,"action":"send","producer":"p","topic":"t","value":"a","partition":0}},
                       {{"at_ms":300,"action":"abort_transaction","producer":"p"}},
                       {{"at_ms":600,"action":"begin_transaction","producer":"p"}},
                       {{"at_ms":610,"action":"send","producer":"p","topic":"t","value":"b","partition":0}},
                       {{"at_ms":800,"action":"commit_transaction","producer":"p"}}],
            "until_ms":3000}}"#
    );
    let mut sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
    sim.record_trace();
    sim.run();
    sim
}

fn requests_sent(sim: &Simulation, name: &str) -> usize {
    sim.trace()
        .iter()
        .filter(
            |(_, e)| matches!(e, TraceEvent::TxnRequestSent { request, .. } if *request == name),
        )
        .count()
}

#[test]
fn the_same_transactions_under_each_protocol() {
    for version in ["3.5", "3.9", "4.0"] {
        let sim = abort_then_commit(version);
        let offsets: Vec<(u64, String)> = log(&sim).into_iter().map(|(o, v, _)| (o, v)).collect();
        assert_eq!(
            offsets,
            vec![
                (0, "a".into()),
                (1, "ABORT".into()),
                (2, "b".into()),
                (3, "COMMIT".into())
            ],
            "{version}: markers take offsets under every protocol"
        );
        assert_eq!(read_committed(&sim), vec![(2, "b".into())], "{version}");
        let epochs: Vec<i16> = log(&sim).into_iter().map(|(_, _, e)| e).collect();
        let v = verifications(&sim);
        match version {
            // No verification; the client adds each transaction's partition; one epoch.
            "3.5" => {
                assert_eq!(epochs, [0, 0, 0, 0]);
                assert!(v.is_empty());
                assert_eq!(requests_sent(&sim, "AddPartitionsToTxn"), 2);
            }
            // The client adds the partition, then the leader verifies each transaction's
            // first write to it: one more round trip before the append.
            "3.9" => {
                assert_eq!(epochs, [0, 0, 0, 0]);
                assert_eq!(
                    v.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
                    [(true, 0), (true, 0)]
                );
                assert_eq!(requests_sent(&sim, "AddPartitionsToTxn"), 2);
            }
            // The leader adds the partition; each end bumps the epoch and the markers
            // carry the new one: "a" 0, its ABORT 1, "b" 1, its COMMIT 2.
            _ => {
                assert_eq!(epochs, [0, 1, 1, 2]);
                assert_eq!(
                    v.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
                    [(false, 0), (false, 1)]
                );
                assert_eq!(requests_sent(&sim, "AddPartitionsToTxn"), 0);
                let m = &sim.coordinator().transactions["tx"];
                assert_eq!(m.producer_epoch, 2);
                assert_eq!(sim.producers()[0].tm.as_ref().unwrap().producer_epoch, 2);
            }
        }
        // Verification costs a round trip to the coordinator: "b" is appended later.
        let appended_b = sim
            .trace()
            .iter()
            .find(|(at, e)| *at >= 600 && matches!(e, TraceEvent::Appended { .. }))
            .map(|(at, _)| *at)
            .unwrap();
        match version {
            "3.5" => assert_eq!(appended_b, 620),
            "3.9" => assert_eq!(appended_b, 624),
            _ => assert_eq!(
                appended_b, 620,
                "no client AddPartitionsToTxn, one leader round trip"
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The leader's side, ported from Kafka's tests.
// ---------------------------------------------------------------------------------------

const PID: i64 = 24;
const EPOCH: i16 = 0;

fn record(value: &str) -> RecordRef {
    RecordBlock::default().make(RecordData {
        key: None,
        value: Serializer::String.serialize(Some(value)).unwrap(),
        timestamp: 0,
    })
}

fn txn_batch(tp: TopicPartition, seq: i32) -> WireBatch {
    WireBatch {
        tp,
        batch: seq as u32,
        producer_id: PID,
        producer_epoch: EPOCH,
        base_sequence: seq,
        records: vec![WireRecord {
            data: record("message"),
            send_index: 0,
        }],
        size_in_bytes: 80,
        transactional: true,
    }
}

/// A leader replica with verification on, as a 3.6+ broker's.
fn leader_replica() -> Partition {
    let registration = PartitionRegistration {
        replicas: vec![0],
        isr: vec![0],
        leader: Some(0),
        leader_epoch: 0,
        partition_epoch: 0,
    };
    let mut p = Partition::new(TP0, 0, &registration, &TopicConfig::default(), 0);
    p.producer_state.verification_enabled = true;
    p
}

fn refused(append: LeaderAppend) -> (Errors, String) {
    match append {
        LeaderAppend::Rejected { error, reason } => (error, reason),
        other => panic!("appended: {other:?}"),
    }
}

#[test]
fn transaction_verification_flow() {
    // ReplicaManagerTest.testTransactionVerificationFlow / UnifiedLogTest
    // .testTransactionIsOngoingAndVerificationGuard: the first transactional write gets a
    // guard (the same one while the verification lasts); without it the append is refused
    // and the guard stays; with it the append opens the transaction and clears the guard;
    // from then on no verification is needed.
    let mut p = leader_replica();
    let guard = p
        .maybe_start_transaction_verification(PID, 6, EPOCH)
        .unwrap();
    assert_eq!(
        p.maybe_start_transaction_verification(PID, 6, EPOCH),
        Some(guard)
    );
    let (error, reason) = refused(p.append_records_to_leader(0, &txn_batch(TP0, 6), 0));
    assert_eq!(error, Errors::InvalidTxnState);
    assert_eq!(reason, "Record was not part of an ongoing transaction");
    assert_eq!(
        p.producer_state
            .verification_state_entry(PID)
            .unwrap()
            .guard,
        guard
    );
    let appended = p.append_records_to_leader_verified(0, &txn_batch(TP0, 6), Some(guard), 0);
    assert_eq!(appended, LeaderAppend::Appended { base_offset: 0 });
    assert!(p.producer_state.verification_state_entry(PID).is_none());
    assert!(p.producer_state.has_ongoing_transaction(PID, EPOCH));
    assert_eq!(p.maybe_start_transaction_verification(PID, 7, EPOCH), None);
    let next = p.append_records_to_leader(0, &txn_batch(TP0, 7), 0);
    assert_eq!(next, LeaderAppend::Appended { base_offset: 1 });
}

#[test]
fn transaction_verification_blocks_out_of_order_sequence() {
    // ReplicaManagerTest.testTransactionVerificationBlocksOutOfOrderSequence: while
    // sequence 6 waits for its verification, sequence 7 — verified — is refused
    // OUT_OF_ORDER_SEQUENCE_NUMBER, and the guard stays for 6.
    let mut p = leader_replica();
    let guard = p
        .maybe_start_transaction_verification(PID, 6, EPOCH)
        .unwrap();
    assert_eq!(
        p.maybe_start_transaction_verification(PID, 7, EPOCH),
        Some(guard)
    );
    let (error, reason) =
        refused(p.append_records_to_leader_verified(0, &txn_batch(TP0, 7), Some(guard), 0));
    assert_eq!(error, Errors::OutOfOrderSequenceNumber);
    assert!(reason.ends_with("7 (incoming seq. number), 6 (earliest seen sequence)"));
    assert_eq!(
        p.producer_state
            .verification_state_entry(PID)
            .unwrap()
            .guard,
        guard
    );
}

#[test]
fn a_marker_during_the_verification_voids_its_guard() {
    // The race the guard exists for (UnifiedLog.analyzeAndValidateProducerState, "ABA";
    // UnifiedLogTest.testEmptyTransactionStillClearsVerificationGuard): the coordinator
    // answered "ongoing", but an ABORT marker reached the log first. The marker clears the
    // guard, so the verified append is refused instead of opening a transaction after it.
    let mut p = leader_replica();
    let guard = p
        .maybe_start_transaction_verification(PID, 0, EPOCH)
        .unwrap();
    let marker = TxnMarkerEntry {
        producer_id: PID,
        producer_epoch: EPOCH,
        coordinator_epoch: 0,
        result: TransactionResult::Abort,
        partitions: vec![TP0],
    };
    p.append_marker_as_leader(&marker, 0).unwrap();
    assert!(p.producer_state.verification_state_entry(PID).is_none());
    let late = p.append_records_to_leader_verified(0, &txn_batch(TP0, 0), Some(guard), 0);
    assert_eq!(refused(late).0, Errors::InvalidTxnState);
    assert_eq!(p.last_stable_offset(), p.high_watermark());
}

/// A fresh broker 0 of `version`, leading `t`-0 alone; the coordinator of "tx" is broker 1
/// (`__transaction_state`-16 on three brokers).
fn broker(version: &str) -> Broker {
    let json = format!(
        r#"{{"seed":1,"kafka_version":"{version}","brokers":3,
            "topics":[{{"name":"t","partitions":1,"replica_assignment":[[0]]}}],
            "producers":[],"actions":[],"until_ms":1}}"#
    );
    let sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
    sim.brokers()[0].clone()
}

fn produce(transactional_id: Option<&str>, seq: i32) -> ProduceRequest {
    ProduceRequest {
        id: seq as u64,
        transactional_id: transactional_id.map(Rc::from),
        acks: Acks::Leader,
        timeout_ms: 30_000,
        batches: vec![txn_batch(TP0, seq)],
    }
}

fn asked(out: &Effects) -> Vec<(u32, AddPartitionsToTxnRequest)> {
    out.messages
        .iter()
        .filter_map(|(_, to, p)| match (to, p) {
            (kafka_lab::net::Node::Broker(b), Payload::AddPartitionsToTxn(r)) => {
                Some((*b, r.clone()))
            }
            _ => None,
        })
        .collect()
}

fn answer(id: u64, error: Errors) -> AddPartitionsToTxnResponse {
    AddPartitionsToTxnResponse {
        id,
        results: vec![(TP0, error)],
    }
}

#[test]
fn the_leader_holds_the_request_and_asks_the_coordinator() {
    // 3.5 appends at once. 3.9 holds the request, sends AddPartitionsToTxn(verifyOnly) to
    // the coordinator (broker 1), and appends when it answers NONE; 4.0 asks it to add the
    // partition instead.
    let mut b = broker("3.5");
    let mut out = Effects::default();
    b.handle_produce(0, 0, produce(Some("tx"), 0), &mut out);
    assert!(asked(&out).is_empty());
    assert_eq!(produce_responses(&out)[0].partitions[0].error, Errors::None);

    for (version, verify_only) in [("3.9", true), ("4.0", false)] {
        let mut b = broker(version);
        let mut out = Effects::default();
        b.handle_produce(0, 0, produce(Some("tx"), 0), &mut out);
        let asked = asked(&out);
        assert_eq!(asked.len(), 1, "{version}");
        let (to, request) = &asked[0];
        assert_eq!(*to, 1);
        assert_eq!(
            (
                request.producer_id,
                request.producer_epoch,
                request.verify_only
            ),
            (PID, EPOCH, verify_only)
        );
        assert_eq!(request.partitions, [TP0]);
        assert!(produce_responses(&out).is_empty(), "held");
        assert_eq!(b.partitions[&TP0].log.log_end_offset(), 0);
        // A second request on the connection waits behind it.
        b.handle_produce(0, 0, produce(Some("tx"), 1), &mut out);
        let mut out = Effects::default();
        b.handle_add_partitions_response(4, answer(request.id, Errors::None), &mut out);
        let responses = produce_responses(&out);
        assert_eq!(responses.len(), 2, "{version}: both answered, in order");
        assert_eq!(responses[0].partitions[0].base_offset, 0);
        assert_eq!(responses[1].partitions[0].base_offset, 1);
    }
}

#[test]
fn verification_error_conversions() {
    // ReplicaManagerTest.testVerificationErrorConversions: what the producer is answered
    // for each coordinator answer, per release. The coordinator's retriable errors become
    // NOT_ENOUGH_REPLICAS (KAFKA-15459, NETWORK_EXCEPTION too from 3.8), or
    // CONCURRENT_TRANSACTIONS for a transactions V2 producer (KAFKA-18662).
    use Errors::*;
    let cases = [
        ("3.7", ConcurrentTransactions, NotEnoughReplicas),
        ("3.7", NotCoordinator, NotEnoughReplicas),
        ("3.7", CoordinatorNotAvailable, NotEnoughReplicas),
        ("3.7", NetworkException, NetworkException),
        ("3.7", ProducerFenced, InvalidProducerEpoch),
        ("3.7", InvalidTxnState, InvalidTxnState),
        ("3.7", InvalidProducerIdMapping, InvalidProducerIdMapping),
        ("3.9", NetworkException, NotEnoughReplicas),
        ("3.9", TransactionAbortable, TransactionAbortable),
        ("4.0", NotCoordinator, ConcurrentTransactions),
        ("4.0", ProducerFenced, InvalidProducerEpoch),
    ];
    for (version, coordinator, producer) in cases {
        let mut b = broker(version);
        let mut out = Effects::default();
        b.handle_produce(0, 0, produce(Some("tx"), 0), &mut out);
        let id = asked(&out)[0].1.id;
        let mut out = Effects::default();
        b.handle_add_partitions_response(4, answer(id, coordinator), &mut out);
        let got = produce_responses(&out)[0].partitions[0].error;
        assert_eq!(got, producer, "{version}: {coordinator:?}");
        assert_eq!(
            b.partitions[&TP0].log.log_end_offset(),
            0,
            "nothing written"
        );
    }
}

#[test]
fn transactions_v2_retries_concurrent_transactions_on_the_server() {
    // KAFKA-18654 (4.0): the coordinator is still writing the previous transaction's
    // markers. The leader asks again every 20 ms itself; after 100 ms it answers the
    // producer CONCURRENT_TRANSACTIONS. 3.9's verification answers at once.
    let mut b = broker("4.0");
    let mut out = Effects::default();
    b.handle_produce(0, 0, produce(Some("tx"), 0), &mut out);
    let id = asked(&out)[0].1.id;
    let mut now = 0;
    let mut retries = 0;
    loop {
        let mut out = Effects::default();
        b.handle_add_partitions_response(now, answer(id, Errors::ConcurrentTransactions), &mut out);
        if let Some(r) = produce_responses(&out).first() {
            assert_eq!(r.partitions[0].error, Errors::ConcurrentTransactions);
            break;
        }
        now = b.next_timeout().unwrap();
        let mut out = Effects::default();
        b.on_timer(now, &mut out);
        assert_eq!(asked(&out).len(), 1, "asked again at {now}");
        retries += 1;
    }
    assert_eq!(now, ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS);
    assert_eq!(
        retries,
        ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MAX_MS / ADD_PARTITIONS_TO_TXN_RETRY_BACKOFF_MS
    );
}

#[test]
fn a_silent_coordinator_fails_the_verification_after_the_request_timeout() {
    // The coordinator never answers (isolated): the inter-broker request times out after
    // request.timeout.ms (NETWORK_EXCEPTION), which a 3.9 leader answers
    // NOT_ENOUGH_REPLICAS — the producer retries.
    let mut b = broker("3.9");
    let mut out = Effects::default();
    b.handle_produce(0, 0, produce(Some("tx"), 0), &mut out);
    assert_eq!(b.next_timeout(), Some(REQUEST_TIMEOUT_MS));
    let mut out = Effects::default();
    b.on_timer(REQUEST_TIMEOUT_MS, &mut out);
    assert_eq!(
        produce_responses(&out)[0].partitions[0].error,
        Errors::NotEnoughReplicas
    );
}

#[test]
fn a_transactional_batch_without_a_transactional_id() {
    // Verification starts only for a request that names its transactional.id; with it on
    // (3.6+), a transactional batch that would open a transaction without a guard is
    // refused (`batchMissingRequiredVerification`): INVALID_TXN_STATE. 3.5 appends it.
    for (version, error) in [("3.5", Errors::None), ("3.9", Errors::InvalidTxnState)] {
        let mut b = broker(version);
        let mut out = Effects::default();
        b.handle_produce(0, 0, produce(None, 0), &mut out);
        assert!(asked(&out).is_empty());
        assert_eq!(
            produce_responses(&out)[0].partitions[0].error,
            error,
            "{version}"
        );
    }
}

#[test]
fn a_write_of_the_next_epoch_is_verified_though_the_last_transaction_is_still_open_here() {
    // Found by the transactions property (seed 11728, 4.0): under transactions V2 each
    // EndTxn bumps the epoch and is answered before its markers are written, so the next
    // transaction's first write can reach a leader still holding the last transaction open.
    // 4.0 counts a transaction ongoing only at the batch's epoch
    // (`hasOngoingTransaction(producerId, producerEpoch)`, KAFKA-18575): the write is
    // verified and waits for the coordinator, instead of joining — and being committed or
    // aborted with — the previous transaction. Before 4.0 the producer id alone counts.
    let mut state = kafka_lab::broker::producer_state::ProducerStateManager::default();
    state.append_data_batch(
        PID,
        EPOCH,
        kafka_lab::broker::producer_state::BatchMetadata {
            first_seq: 0,
            last_seq: 0,
            first_offset: 0,
        },
        true,
        0,
    );
    assert!(state.has_ongoing_transaction(PID, EPOCH));
    assert!(
        state.has_ongoing_transaction(PID, EPOCH + 1),
        "3.x: by producer id"
    );
    state.ongoing_by_epoch = true;
    assert!(state.has_ongoing_transaction(PID, EPOCH));
    assert!(
        !state.has_ongoing_transaction(PID, EPOCH + 1),
        "4.0: by epoch too"
    );
}
