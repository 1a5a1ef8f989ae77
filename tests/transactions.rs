//! The broker and consumer side of transactions (`shared/kafka/exactly-once.md` §3, §7,
//! §8, §11 case 19): markers as control records, the last stable offset, the aborted
//! transaction index, `read_committed` fetches and the consumer's filtering, followers
//! rebuilding it all, and `WriteTxnMarkers` answered once the ISR has the markers.

use kafka_lab::broker::partition::{LeaderAppend, Partition};
use kafka_lab::broker::producer_state::AbortedTxn;
use kafka_lab::broker::{Broker, REQUEST_TIMEOUT_MS};
use kafka_lab::config::{Acks, ConsumerConfig, IsolationLevel, TopicConfig};
use kafka_lab::consumer::KafkaConsumer;
use kafka_lab::controller::PartitionRegistration;
use kafka_lab::effects::Effects;
use kafka_lab::errors::Errors;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta, TopicPartition};
use kafka_lab::net::{
    AddPartitionsToTxnResponse, ConsumerFetch, FetchPartition, FetchRequest, FetchResponse,
    FetchedPartition, Node, Payload, ProduceRequest, TransactionResult, TxnMarkerEntry, WireBatch,
    WireRecord, WriteTxnMarkersRequest, WriteTxnMarkersResponse,
};
use kafka_lab::record::{RecordBlock, RecordData};
use kafka_lab::rng::Rng;
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::version::KafkaVersion;
use kafka_lab::{Scenario, Simulation};
use std::rc::Rc;
use TransactionResult::{Abort, Commit};

use kafka_lab_tests::{TP0, TP1};
/// The transactional producer's id and epoch.
const PID: i64 = 1000;
const EPOCH: i16 = 0;

/// Broker `broker`'s replica of `tp`, led by `leader`.
fn replica(tp: TopicPartition, broker: u32, replicas: &[u32], leader: u32) -> Partition {
    let registration = PartitionRegistration {
        replicas: replicas.to_vec(),
        isr: replicas.to_vec(),
        leader: Some(leader),
        leader_epoch: 0,
        partition_epoch: 0,
    };
    Partition::new(tp, broker, &registration, &TopicConfig::default(), 0)
}

fn batch(
    tp: TopicPartition,
    pid: i64,
    seq: i32,
    values: &[&str],
    transactional: bool,
) -> WireBatch {
    let records = values
        .iter()
        .enumerate()
        .map(|(i, v)| WireRecord {
            data: RecordBlock::default().make(RecordData {
                key: None,
                value: Serializer::String.serialize(Some(v)).unwrap(),
                timestamp: 0,
            }),
            send_index: i as u32,
        })
        .collect::<Vec<_>>();
    WireBatch {
        tp,
        batch: 0,
        producer_id: pid,
        producer_epoch: if pid < 0 { -1 } else { EPOCH },
        base_sequence: if pid < 0 { -1 } else { seq },
        records,
        size_in_bytes: 100,
        transactional,
    }
}

fn marker(pid: i64, result: TransactionResult, partitions: &[TopicPartition]) -> TxnMarkerEntry {
    TxnMarkerEntry {
        producer_id: pid,
        producer_epoch: EPOCH,
        coordinator_epoch: 0,
        result,
        partitions: partitions.to_vec(),
    }
}

/// Appends a transactional record of `PID` with sequence `seq` and expects its offset.
fn send(p: &mut Partition, seq: i32, value: &str, offset: u64) {
    let batch = batch(p.tp, PID, seq, &[value], true);
    assert_eq!(
        p.append_records_to_leader(0, &batch, 0),
        LeaderAppend::Appended {
            base_offset: offset
        }
    );
}

/// Lets the high watermark move (single-replica partitions: to the log end).
fn hw(p: &mut Partition) -> u64 {
    p.maybe_increment_high_watermark(0, 30_000, KafkaVersion::latest(), &[]);
    let (hw, lso) = (p.high_watermark(), p.last_stable_offset());
    assert!(lso <= hw, "LSO {lso} above HW {hw}");
    hw
}

/// (offset, value, control) of every record in the log.
fn log(p: &Partition) -> Vec<(u64, Option<String>, Option<TransactionResult>)> {
    p.log
        .records()
        .iter()
        .map(|r| {
            (
                r.offset,
                r.data().value_text().map(|t| t.into_owned()),
                r.control,
            )
        })
        .collect()
}

/// §11 case 19: "a" to partitions 0 and 1, abort, "b" to partition 0, commit; the high
/// watermark following each append, the LSO checked against it all along.
fn case_19() -> (Partition, Partition) {
    let mut p0 = replica(TP0, 0, &[0], 0);
    let mut p1 = replica(TP1, 0, &[0], 0);
    send(&mut p0, 0, "a", 0);
    send(&mut p1, 0, "a", 0);
    assert_eq!((p0.high_watermark(), p0.last_stable_offset()), (0, 0));
    assert_eq!(hw(&mut p0), 1);
    assert_eq!(p0.last_stable_offset(), 0, "the open transaction holds it");
    hw(&mut p1);
    let abort = marker(PID, Abort, &[TP0, TP1]);
    assert_eq!(p0.append_marker_as_leader(&abort, 0), Ok(1));
    assert_eq!(p1.append_marker_as_leader(&abort, 0), Ok(1));
    assert_eq!(
        p0.last_stable_offset(),
        0,
        "decided, but the marker is not committed"
    );
    assert_eq!(hw(&mut p0), 2);
    assert_eq!(p0.last_stable_offset(), 2);
    hw(&mut p1);
    send(&mut p0, 1, "b", 2);
    assert_eq!(hw(&mut p0), 3);
    assert_eq!(p0.last_stable_offset(), 2);
    assert_eq!(
        p0.append_marker_as_leader(&marker(PID, Commit, &[TP0]), 0),
        Ok(3)
    );
    assert_eq!(hw(&mut p0), 4);
    assert_eq!(p0.last_stable_offset(), 4);
    (p0, p1)
}

#[test]
fn markers_take_one_offset_each_case_19() {
    let (p0, p1) = case_19();
    let a = Some("a".to_string());
    let b = Some("b".to_string());
    assert_eq!(
        log(&p0),
        [
            (0, a.clone(), None),
            (1, None, Some(Abort)),
            (2, b, None),
            (3, None, Some(Commit))
        ]
    );
    assert_eq!(log(&p1), [(0, a, None), (1, None, Some(Abort))]);
    // A marker is a control batch of its own, of the producer's id and epoch, no sequence;
    // its batch is transactional like the data's.
    let m = &p0.log.records()[1];
    assert_eq!(
        (m.producer_id, m.producer_epoch, m.sequence, m.batch_records),
        (PID, EPOCH, -1, 1)
    );
    assert_eq!(m.data().key_text(), None);
    assert!(p0.log.records().iter().all(|r| r.transactional));
}

#[test]
fn the_aborted_transaction_index() {
    let (p0, p1) = case_19();
    let aborted = AbortedTxn {
        producer_id: PID,
        first_offset: 0,
        last_offset: 1,
        last_stable_offset: 2,
    };
    assert_eq!(p0.producer_state.aborted_txns(), [aborted]);
    assert_eq!(p1.producer_state.aborted_txns(), [aborted]);
    // A fetch gets the entries overlapping what it reads.
    assert_eq!(p0.aborted_transactions(0, 4), [(PID, 0)]);
    assert_eq!(p0.aborted_transactions(1, 2), [(PID, 0)]);
    assert_eq!(p0.aborted_transactions(2, 4), []);
}

#[test]
fn markers_from_an_older_producer_or_coordinator_epoch_are_refused() {
    // ProducerAppendInfo.checkProducerEpoch / checkCoordinatorEpoch: nothing is written.
    let mut p = replica(TP0, 0, &[0], 0);
    send(&mut p, 0, "a", 0);
    let newer = TxnMarkerEntry {
        producer_epoch: EPOCH + 1,
        coordinator_epoch: 3,
        ..marker(PID, Abort, &[TP0])
    };
    assert_eq!(p.append_marker_as_leader(&newer, 0), Ok(1));
    assert_eq!(
        p.append_marker_as_leader(&marker(PID, Commit, &[TP0]), 0),
        Err(Errors::InvalidProducerEpoch)
    );
    let zombie_coordinator = TxnMarkerEntry {
        coordinator_epoch: 2,
        ..newer.clone()
    };
    assert_eq!(
        p.append_marker_as_leader(&zombie_coordinator, 0),
        Err(Errors::TransactionCoordinatorFenced)
    );
    assert_eq!(p.log.log_end_offset(), 2);
    // The marker's new epoch cleared the sequences: only sequence 0 may follow (case 4).
    let next = |seq| WireBatch {
        producer_epoch: EPOCH + 1,
        ..batch(TP0, PID, seq, &["c"], true)
    };
    assert!(matches!(
        p.append_records_to_leader(0, &next(1), 0),
        LeaderAppend::Rejected {
            error: Errors::OutOfOrderSequenceNumber,
            ..
        }
    ));
    assert_eq!(
        p.append_records_to_leader(0, &next(0), 0),
        LeaderAppend::Appended { base_offset: 2 }
    );
}

#[test]
fn a_non_transactional_batch_inside_a_transaction_is_refused() {
    // Case 5 through the leader: INVALID_TXN_STATE, nothing appended.
    let mut p = replica(TP0, 0, &[0], 0);
    send(&mut p, 0, "a", 0);
    let LeaderAppend::Rejected { error, reason } =
        p.append_records_to_leader(0, &batch(TP0, PID, 1, &["x"], false), 0)
    else {
        panic!("appended");
    };
    assert_eq!(error, Errors::InvalidTxnState);
    assert_eq!(
        reason,
        "Expected transactional write from producer 1000 at offset 1 in partition t0-0"
    );
    assert_eq!(p.log.log_end_offset(), 1);
}

#[test]
fn an_open_transaction_holds_the_last_stable_offset() {
    // §8: committed records of other producers after an open transaction's first offset
    // stay invisible to read_committed until it ends, here by a commit.
    let mut p = replica(TP0, 0, &[0], 0);
    send(&mut p, 0, "a", 0);
    let other = batch(TP0, -1, 0, &["x", "y"], false);
    assert_eq!(
        p.append_records_to_leader(1, &other, 0),
        LeaderAppend::Appended { base_offset: 1 }
    );
    assert_eq!(hw(&mut p), 3);
    assert_eq!(p.last_stable_offset(), 0);
    assert_eq!(
        p.append_marker_as_leader(&marker(PID, Commit, &[TP0]), 0),
        Ok(3)
    );
    assert_eq!(p.last_stable_offset(), 0, "the marker is above the HW");
    assert_eq!(hw(&mut p), 4);
    assert_eq!(p.last_stable_offset(), 4);
    assert_eq!(p.aborted_transactions(0, 4), [], "committed: not indexed");
}

#[test]
fn a_follower_rebuilds_transactions_from_the_log_and_after_truncation() {
    // The follower copies without checks (origin REPLICATION) and ends with the leader's
    // state; truncation replays what is left (UnifiedLog.truncateTo reloads producer
    // state, the transaction index loses what was cut).
    let mut leader = replica(TP0, 0, &[0, 1], 0);
    send(&mut leader, 0, "a", 0);
    let abort = TxnMarkerEntry {
        coordinator_epoch: 5,
        ..marker(PID, Abort, &[TP0])
    };
    assert_eq!(leader.append_marker_as_leader(&abort, 0), Ok(1));
    send(&mut leader, 1, "b", 2);
    let mut follower = replica(TP0, 1, &[0, 1], 0);
    let records: Vec<_> = leader.log.records().iter().cloned().collect();
    follower.append_as_follower(records, 3, 0);
    let (f, l) = (&follower.producer_state, &leader.producer_state);
    assert_eq!(f.entry(PID), l.entry(PID));
    assert_eq!(f.aborted_txns(), l.aborted_txns());
    assert_eq!(follower.last_stable_offset(), 2, "b's transaction is open");
    // The coordinator epoch travelled in the marker: a new leader fences an older one.
    assert_eq!(
        follower.producer_state.check_end_txn_marker(PID, EPOCH, 4),
        Err(Errors::TransactionCoordinatorFenced)
    );
    follower.truncate_to(2, 0);
    let entry = follower.producer_state.entry(PID).unwrap();
    assert_eq!(entry.current_txn_first_offset, None);
    assert_eq!(follower.producer_state.aborted_txns().len(), 1);
    assert_eq!(
        (follower.high_watermark(), follower.last_stable_offset()),
        (2, 2)
    );
    follower.truncate_to(1, 0);
    let entry = follower.producer_state.entry(PID).unwrap();
    assert_eq!(entry.current_txn_first_offset, Some(0), "open again");
    assert_eq!(follower.producer_state.aborted_txns(), []);
    assert_eq!(
        (follower.high_watermark(), follower.last_stable_offset()),
        (1, 0)
    );
}

/// A consumer of topic 0's two partitions, both led by broker 0, whose first fetch is out.
fn consumer(isolation_level: IsolationLevel) -> KafkaConsumer {
    let meta = PartitionMeta {
        replicas: vec![0],
        leader: Some(0),
        leader_epoch: 0,
    };
    let cluster = Cluster {
        brokers: 1,
        topics: vec![TopicMeta::new(
            "t".to_string(),
            vec![meta.clone(), meta],
            TopicConfig::default(),
        )],
    };
    let config = ConsumerConfig {
        isolation_level,
        ..ConsumerConfig::default()
    };
    let mut c = KafkaConsumer::new(0, "c".to_string(), config, &[0], Rc::new(cluster));
    let mut out = Effects::default();
    c.run_once(0, &mut Rng::new(1), &mut out);
    assert!(matches!(&out.messages[..], [(_, Node::Broker(0), Payload::Fetch(f))] if f.id == 0));
    c
}

/// What the leader answers a fetch of `p` from offset 0: to the LSO with the aborted
/// transactions (`read_committed`), or to the HW.
fn fetched(p: &Partition, isolation_level: IsolationLevel) -> FetchedPartition {
    let committed = isolation_level == IsolationLevel::ReadCommitted;
    let end = if committed {
        p.last_stable_offset()
    } else {
        p.high_watermark()
    };
    let records: Vec<_> = p.log.records().range(0, end as usize).cloned().collect();
    FetchedPartition {
        tp: p.tp,
        error: Errors::None,
        high_watermark: p.high_watermark(),
        last_stable_offset: p.last_stable_offset(),
        log_start_offset: p.log.log_start_offset(),
        aborted_transactions: if committed {
            p.aborted_transactions(0, end)
        } else {
            Vec::new()
        },
        records,
        diverging_epoch: None,
    }
}

/// (partition, offset, value) of what `poll()` returned after one fetch of `partitions`.
fn poll(
    isolation_level: IsolationLevel,
    partitions: &[&Partition],
) -> (KafkaConsumer, Vec<(u32, u64, String)>) {
    let mut c = consumer(isolation_level);
    let response = FetchResponse {
        id: 0,
        partitions: partitions
            .iter()
            .map(|p| fetched(p, isolation_level))
            .collect(),
    };
    c.receive_fetch(0, response);
    c.run_once(1, &mut Rng::new(1), &mut Effects::default());
    let got = c
        .records
        .iter()
        .map(|r| {
            let value = r.data.value_text().unwrap().to_string();
            (r.tp.partition, r.offset, value)
        })
        .collect();
    (c, got)
}

#[test]
fn read_committed_drops_the_aborted_transaction_case_19() {
    let (p0, p1) = case_19();
    let (c, got) = poll(IsolationLevel::ReadCommitted, &[&p0, &p1]);
    assert_eq!(got, [(0, 2, "b".to_string())]);
    // Positions move past the skipped records and the markers: offset gaps.
    assert_eq!(c.positions[&TP0], 4);
    assert_eq!(c.positions[&TP1], 2);
}

#[test]
fn read_uncommitted_returns_aborted_records_but_never_markers_case_19() {
    let (p0, p1) = case_19();
    let (c, got) = poll(IsolationLevel::ReadUncommitted, &[&p0, &p1]);
    let a = || "a".to_string();
    assert_eq!(got, [(0, 0, a()), (0, 2, "b".to_string()), (1, 0, a())]);
    assert_eq!(c.positions[&TP0], 4);
    assert_eq!(c.positions[&TP1], 2);
}

#[test]
fn read_committed_keeps_other_producers_and_later_transactions() {
    // Producer 1000 aborts while producer 2000's transaction is open, then opens another;
    // CompletedFetch drops 1000's batches only from the aborted first offset to its ABORT.
    let mut p = replica(TP0, 0, &[0], 0);
    send(&mut p, 0, "x", 0);
    let y = batch(TP0, 2000, 0, &["y"], true);
    assert_eq!(
        p.append_records_to_leader(1, &y, 0),
        LeaderAppend::Appended { base_offset: 1 }
    );
    assert_eq!(
        p.append_marker_as_leader(&marker(PID, Abort, &[TP0]), 0),
        Ok(2)
    );
    send(&mut p, 1, "z", 3);
    assert_eq!(
        p.append_marker_as_leader(&marker(2000, Commit, &[TP0]), 0),
        Ok(4)
    );
    assert_eq!(
        p.append_marker_as_leader(&marker(PID, Commit, &[TP0]), 0),
        Ok(5)
    );
    assert_eq!(hw(&mut p), 6);
    assert_eq!(p.last_stable_offset(), 6);
    assert_eq!(
        p.producer_state.aborted_txns(),
        [AbortedTxn {
            producer_id: PID,
            first_offset: 0,
            last_offset: 2,
            // Producer 2000's transaction was still open at 1.
            last_stable_offset: 1,
        }]
    );
    let (_, got) = poll(IsolationLevel::ReadCommitted, &[&p]);
    assert_eq!(got, [(0, 1, "y".to_string()), (0, 3, "z".to_string())]);
}

/// A fresh simulation's broker `id` (leading what the controller assigned it first).
fn broker(topic: &str, brokers: u32, id: u32) -> Broker {
    let json = format!(
        r#"{{"seed":1,"kafka_version":"4.0","brokers":{brokers},"topics":[{topic}],
            "producers":[],"actions":[],"until_ms":1}}"#
    );
    let sim = Simulation::new(&Scenario::from_json(&json).unwrap()).unwrap();
    sim.brokers()[id as usize].clone()
}

fn write_markers(entry: TxnMarkerEntry) -> WriteTxnMarkersRequest {
    WriteTxnMarkersRequest {
        id: 7,
        markers: vec![entry],
    }
}

/// The `WriteTxnMarkersResponse`s among the messages, with their destination.
fn marker_responses(out: &Effects) -> Vec<(Node, WriteTxnMarkersResponse)> {
    out.messages
        .iter()
        .filter_map(|(_, to, payload)| match payload {
            Payload::WriteTxnMarkersResponse(r) => Some((*to, r.clone())),
            _ => None,
        })
        .collect()
}

fn consumer_fetch(id: u64, isolation_level: IsolationLevel) -> FetchRequest {
    FetchRequest {
        id,
        partitions: vec![FetchPartition {
            tp: TP0,
            fetch_offset: 0,
            last_fetched_epoch: None,
            current_leader_epoch: 0,
        }],
        consumer: Some(ConsumerFetch {
            isolation_level,
            max_wait_ms: 500,
            min_bytes: 1,
            max_partition_bytes: 1_048_576,
        }),
    }
}

/// The records (offsets) of the fetch responses among the messages, by request id.
fn fetch_responses(out: &Effects) -> Vec<(u64, Vec<u64>)> {
    out.messages
        .iter()
        .filter_map(|(_, _, payload)| match payload {
            Payload::FetchResponse(r) => Some((
                r.id,
                r.partitions[0].records.iter().map(|r| r.offset).collect(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_held_read_committed_fetch_completes_when_the_marker_commits() {
    // One replica: the HW follows every append, the LSO waits for the transaction. The
    // read_committed fetch finds nothing below the LSO and is held; the COMMIT marker moves
    // HW and LSO past everything and the held fetch answers with it all.
    let mut b = broker(r#"{"name":"t","partitions":1}"#, 1, 0);
    let mut out = Effects::default();
    for (producer, batch) in [
        (0, batch(TP0, PID, 0, &["a"], true)),
        (1, batch(TP0, -1, 0, &["x", "y"], false)),
    ] {
        let transactional_id = batch.transactional.then(|| Rc::from("tx"));
        let request = ProduceRequest {
            id: 0,
            transactional_id,
            acks: Acks::All,
            timeout_ms: 30_000,
            batches: vec![batch],
        };
        b.handle_produce(0, producer, request, &mut out);
        // Adapted for 3.6+ (KIP-890): the transaction's first write waits while the leader
        // asks the coordinator (under 4.0's transactions V2, to add the partition); its
        // answer lets it in.
        let asked = out
            .messages
            .iter()
            .find_map(|(_, _, payload)| match payload {
                Payload::AddPartitionsToTxn(req) => Some(req.id),
                _ => None,
            });
        if let Some(id) = asked.filter(|_| producer == 0) {
            assert_eq!(b.partitions[&TP0].log.log_end_offset(), 0, "held");
            let answer = AddPartitionsToTxnResponse {
                id,
                results: vec![(TP0, Errors::None)],
            };
            b.handle_add_partitions_response(0, answer, &mut out);
        }
    }
    let p = &b.partitions[&TP0];
    assert_eq!((p.high_watermark(), p.last_stable_offset()), (3, 0));
    let held = out.events.iter().any(|e| {
        matches!(
            e,
            TraceEvent::HighWatermark {
                high_watermark: 3,
                last_stable_offset: 0,
                ..
            }
        )
    });
    assert!(held, "{:?}", out.events);
    let mut out = Effects::default();
    b.handle_fetch(
        1,
        Node::Consumer(0),
        consumer_fetch(1, IsolationLevel::ReadCommitted),
        &mut out,
    );
    assert_eq!(fetch_responses(&out), [], "held");
    b.handle_fetch(
        1,
        Node::Consumer(1),
        consumer_fetch(2, IsolationLevel::ReadUncommitted),
        &mut out,
    );
    assert_eq!(fetch_responses(&out), [(2, vec![0, 1, 2])]);
    let mut out = Effects::default();
    b.handle_write_txn_markers(2, 9, write_markers(marker(PID, Commit, &[TP0])), &mut out);
    assert!(out.events.contains(&TraceEvent::MarkerWritten {
        broker: 0,
        tp: TP0,
        producer_id: PID,
        producer_epoch: EPOCH,
        result: Commit,
        offset: 3,
    }));
    assert!(out.events.contains(&TraceEvent::HighWatermark {
        broker: 0,
        tp: TP0,
        high_watermark: 4,
        last_stable_offset: 4,
    }));
    assert_eq!(fetch_responses(&out), [(1, vec![0, 1, 2, 3])]);
    assert_eq!(
        marker_responses(&out),
        [(
            Node::Broker(9),
            WriteTxnMarkersResponse {
                id: 7,
                results: vec![(PID, TP0, Errors::None)],
            }
        )]
    );
}

#[test]
fn markers_are_answered_once_the_isr_has_them() {
    // acks=-1 (KafkaApis.handleWriteTxnMarkersRequest): broker 0 answers when follower 1
    // has fetched past the marker; off the leader, NOT_LEADER_OR_FOLLOWER at once.
    let topic =
        r#"{"name":"t","partitions":1,"replication_factor":2,"replica_assignment":[[0,1]]}"#;
    let mut b = broker(topic, 2, 0);
    let mut out = Effects::default();
    b.handle_write_txn_markers(0, 1, write_markers(marker(PID, Abort, &[TP0])), &mut out);
    assert_eq!(marker_responses(&out), []);
    let follower_fetch = FetchRequest {
        id: 0,
        partitions: vec![FetchPartition {
            tp: TP0,
            fetch_offset: 1,
            last_fetched_epoch: Some(0),
            current_leader_epoch: 0,
        }],
        consumer: None,
    };
    let mut out = Effects::default();
    b.handle_fetch(5, Node::Broker(1), follower_fetch, &mut out);
    let ok = WriteTxnMarkersResponse {
        id: 7,
        results: vec![(PID, TP0, Errors::None)],
    };
    assert_eq!(marker_responses(&out), [(Node::Broker(1), ok)]);

    let mut follower = broker(topic, 2, 1);
    let mut out = Effects::default();
    follower.handle_write_txn_markers(0, 0, write_markers(marker(PID, Abort, &[TP0])), &mut out);
    let refused = WriteTxnMarkersResponse {
        id: 7,
        results: vec![(PID, TP0, Errors::NotLeaderOrFollower)],
    };
    assert_eq!(marker_responses(&out), [(Node::Broker(0), refused)]);
}

#[test]
fn markers_under_min_isr_are_refused_and_unreplicated_ones_time_out() {
    // Partition.appendRecordsToLeader with requiredAcks -1: NOT_ENOUGH_REPLICAS before the
    // append; a marker the follower never fetches is REQUEST_TIMED_OUT after the broker's
    // request.timeout.ms.
    let topic = r#"{"name":"t","partitions":1,"replication_factor":2,"replica_assignment":[[0,1]],"config":{"min.insync.replicas":"2"}}"#;
    let mut b = broker(topic, 2, 0);
    let mut out = Effects::default();
    b.handle_write_txn_markers(0, 1, write_markers(marker(PID, Commit, &[TP0])), &mut out);
    assert_eq!(marker_responses(&out), []);
    let mut out = Effects::default();
    b.on_timer(REQUEST_TIMEOUT_MS, &mut out);
    let timed_out = WriteTxnMarkersResponse {
        id: 7,
        results: vec![(PID, TP0, Errors::RequestTimedOut)],
    };
    assert_eq!(marker_responses(&out), [(Node::Broker(1), timed_out)]);

    b.partitions.get_mut(&TP0).unwrap().isr = vec![0];
    let mut out = Effects::default();
    b.handle_write_txn_markers(0, 1, write_markers(marker(PID, Abort, &[TP0])), &mut out);
    let refused = WriteTxnMarkersResponse {
        id: 7,
        results: vec![(PID, TP0, Errors::NotEnoughReplicas)],
    };
    assert_eq!(marker_responses(&out), [(Node::Broker(1), refused)]);
    assert_eq!(b.partitions[&TP0].log.log_end_offset(), 1, "not written");
}
