//! The transaction coordinator alone (`shared/kafka/exactly-once.md` §6, §11 cases 13–18),
//! driven request by request on a virtual clock: its state machine, fencing by epoch bump,
//! markers, and the timeout abort. `TransactionCoordinatorTest` names each case.

use kafka_lab::broker::{Broker, REQUEST_TIMEOUT_MS};
use kafka_lab::config::{BrokerConfig, TopicConfig};
use kafka_lab::controller::Controller;
use kafka_lab::coordinator::{
    partition_for, TransactionCoordinator, TransactionState, TransactionVersion, TxnRequest,
    TxnResponse, ABORT_TIMED_OUT_INTERVAL_MS, MARKER_RETRY_BACKOFF_MS,
};
use kafka_lab::effects::Effects;
use kafka_lab::errors::Errors;
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta, TopicPartition};
use kafka_lab::net::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, Payload, TransactionResult,
    WriteTxnMarkersRequest, WriteTxnMarkersResponse,
};
use kafka_lab::version::KafkaVersion;
use std::rc::Rc;

const ID: &str = "tx-1";
use kafka_lab_tests::{TP0, TP1};

/// Three brokers, one topic of two partitions, a coordinator with 1 ms latency (writes
/// take 2 ms), and the virtual clock.
struct World {
    now: u64,
    coordinator: TransactionCoordinator,
    controller: Controller,
    brokers: Vec<Broker>,
    /// Markers sent and not yet answered, oldest first.
    markers: Vec<WriteTxnMarkersRequest>,
    /// Answers to partition leaders' `AddPartitionsToTxn` (KIP-890), oldest first.
    leader_answers: Vec<AddPartitionsToTxnResponse>,
}

impl World {
    fn new() -> Self {
        let cluster = Rc::new(Cluster {
            brokers: 3,
            topics: vec![TopicMeta::new(
                "t".into(),
                (0..2)
                    .map(|p| PartitionMeta {
                        replicas: vec![p, (p + 1) % 3, (p + 2) % 3],
                        leader: Some(p),
                        leader_epoch: 0,
                    })
                    .collect(),
                TopicConfig::default(),
            )],
        });
        let version = KafkaVersion::latest();
        let controller = Controller::new(version, &cluster);
        let brokers = (0..3)
            .map(|b| Broker::new(b, &cluster, &controller, version, BrokerConfig::default()))
            .collect();
        World {
            now: 0,
            coordinator: TransactionCoordinator::new(3, 1),
            controller,
            brokers,
            markers: Vec::new(),
            leader_answers: Vec::new(),
        }
    }

    /// The coordinator of a `version` cluster.
    fn versioned(version: &str) -> Self {
        let mut w = World::new();
        let version = KafkaVersion::parse(version).unwrap();
        w.coordinator = w.coordinator.with_version(version);
        w
    }

    fn broker(&self) -> u32 {
        self.coordinator.coordinator_for(ID).expect("a coordinator")
    }

    fn state(&self) -> (TransactionState, i16) {
        let m = &self.coordinator.transactions[ID];
        (m.state, m.producer_epoch)
    }

    fn producer_id(&self) -> i64 {
        self.coordinator.transactions[ID].producer_id
    }

    /// Runs the coordinator's timers up to `until`, collecting answers and markers.
    fn advance(&mut self, until: u64, answers: &mut Vec<TxnResponse>) {
        loop {
            let mut out = Effects::default();
            self.coordinator
                .on_timer(self.now, &mut self.brokers, &mut self.controller, &mut out);
            self.collect(out, answers);
            match self.coordinator.next_timeout() {
                Some(t) if t <= until && t > self.now => self.now = t,
                _ => break,
            }
        }
        self.now = until;
    }

    fn collect(&mut self, out: Effects, answers: &mut Vec<TxnResponse>) {
        for (_, _, payload) in out.messages {
            match payload {
                Payload::TxnResponse(r) => answers.push(r),
                Payload::WriteTxnMarkers(req) => self.markers.push(req),
                Payload::AddPartitionsToTxnResponse(r) => self.leader_answers.push(r),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Sends a request and lets 10 ms pass: the answer, and any made meanwhile.
    fn call(&mut self, request: TxnRequest) -> Vec<TxnResponse> {
        let mut answers = Vec::new();
        let mut out = Effects::default();
        let broker = self.broker();
        self.coordinator
            .handle(self.now, broker, 0, request, &mut out);
        self.collect(out, &mut answers);
        self.advance(self.now + 10, &mut answers);
        answers
    }

    /// Every leader writes the markers it was sent.
    fn write_markers(&mut self) {
        for req in std::mem::take(&mut self.markers) {
            let id = req.id;
            let results = req
                .markers
                .iter()
                .flat_map(|m| {
                    m.partitions
                        .iter()
                        .map(|tp| (m.producer_id, *tp, Errors::None))
                })
                .collect();
            let mut out = Effects::default();
            self.coordinator.handle_markers_response(
                self.now,
                WriteTxnMarkersResponse { id, results },
                &mut out,
            );
            let mut answers = Vec::new();
            self.collect(out, &mut answers);
            assert!(answers.is_empty());
        }
        let mut answers = Vec::new();
        self.advance(self.now + 10, &mut answers);
    }

    fn init(&mut self) -> TxnResponse {
        self.call(TxnRequest::InitProducerId {
            transactional_id: ID.into(),
            timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        })
        .pop()
        .expect("answered")
    }

    fn add(&mut self, epoch: i16, partitions: &[TopicPartition]) -> Errors {
        let pid = self.producer_id();
        self.call(TxnRequest::AddPartitionsToTxn {
            transactional_id: ID.into(),
            producer_id: pid,
            producer_epoch: epoch,
            partitions: partitions.to_vec(),
        })
        .pop()
        .expect("answered")
        .error
    }

    fn end(&mut self, epoch: i16, result: TransactionResult) -> Errors {
        self.end_with(epoch, result, TransactionVersion::Tv0).error
    }

    /// `EndTxn` of a client running `version` (v5+ for TV_2).
    fn end_with(
        &mut self,
        epoch: i16,
        result: TransactionResult,
        version: TransactionVersion,
    ) -> TxnResponse {
        let pid = self.producer_id();
        self.call(TxnRequest::EndTxn {
            transactional_id: ID.into(),
            producer_id: pid,
            producer_epoch: epoch,
            result,
            transaction_version: version,
        })
        .pop()
        .expect("answered")
    }

    /// A partition leader's `AddPartitionsToTxn` (broker 2 asking), and 10 ms: the answer
    /// per partition.
    fn leader_asks(
        &mut self,
        pid: i64,
        epoch: i16,
        partitions: &[TopicPartition],
        verify_only: bool,
    ) -> Vec<(TopicPartition, Errors)> {
        let mut out = Effects::default();
        let broker = self.broker();
        let request = AddPartitionsToTxnRequest {
            id: 7,
            transactional_id: ID.into(),
            producer_id: pid,
            producer_epoch: epoch,
            verify_only,
            partitions: partitions.to_vec(),
        };
        self.coordinator
            .handle_add_partitions_from_leader(self.now, broker, true, 2, request, &mut out);
        let mut answers = Vec::new();
        self.collect(out, &mut answers);
        self.advance(self.now + 10, &mut answers);
        assert!(answers.is_empty());
        self.leader_answers.pop().expect("answered").results
    }
}

#[test]
fn the_coordinator_is_the_leader_of_the_ids_transaction_state_partition() {
    // Utils.abs("tx-1".hashCode()) % 50, and partition i's replicas start at broker i % 3.
    let w = World::new();
    assert_eq!(w.broker(), partition_for(ID) % 3);
    // Any broker answers FindCoordinator with it; another broker refuses the id's requests.
    let mut out = Effects::default();
    let mut w = w;
    let other = (w.broker() + 1) % 3;
    w.coordinator.handle(
        0,
        other,
        0,
        TxnRequest::FindCoordinator {
            transactional_id: ID.into(),
        },
        &mut out,
    );
    w.coordinator.handle(
        0,
        other,
        0,
        TxnRequest::InitProducerId {
            transactional_id: ID.into(),
            timeout_ms: 60_000,
            producer_id: -1,
            producer_epoch: -1,
        },
        &mut out,
    );
    let answers: Vec<TxnResponse> = out
        .messages
        .into_iter()
        .map(|(_, _, p)| match p {
            Payload::TxnResponse(r) => r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(answers[0].coordinator, Some(w.broker()));
    assert_eq!(answers[1].error, Errors::NotCoordinator);
}

#[test]
fn should_init_pid_with_epoch_zero_for_new_transactional_id() {
    // Case 13: a new id gets a producer id at epoch 0, state Empty.
    let mut w = World::new();
    let r = w.init();
    assert_eq!(r.error, Errors::None);
    assert_eq!(r.producer_epoch, 0);
    assert!(r.producer_id >= 0);
    assert_eq!(w.state(), (TransactionState::Empty, 0));
}

#[test]
fn should_increment_epoch_on_init_pid_when_existing_complete_transaction() {
    // Case 14: CompleteCommit at epoch e → InitProducerId answers the same id at e + 1.
    let mut w = World::new();
    let first = w.init();
    assert_eq!(w.add(0, &[TP0]), Errors::None);
    assert_eq!(w.state().0, TransactionState::Ongoing);
    assert_eq!(w.end(0, TransactionResult::Commit), Errors::None);
    assert_eq!(w.state().0, TransactionState::PrepareCommit);
    w.write_markers();
    assert_eq!(w.state(), (TransactionState::CompleteCommit, 0));
    let again = w.init();
    assert_eq!(again.producer_id, first.producer_id);
    assert_eq!(again.producer_epoch, 1);
}

#[test]
fn should_abort_transaction_on_init_pid_when_existing_transaction_in_ongoing_state() {
    // Case 15: Ongoing at epoch 0 → PrepareEpochFence, aborted under epoch 1 (markers
    // carry it); the new instance is told CONCURRENT_TRANSACTIONS until the abort is
    // complete, then gets epoch 2; the old instance's EndTxn is PRODUCER_FENCED.
    let mut w = World::new();
    w.init();
    assert_eq!(w.add(0, &[TP0, TP1]), Errors::None);
    assert_eq!(w.init().error, Errors::ConcurrentTransactions);
    assert_eq!(w.state(), (TransactionState::PrepareAbort, 1));
    // One WriteTxnMarkers per partition leader (brokers 0 and 1).
    let entries: Vec<_> = w.markers.iter().flat_map(|r| r.markers.clone()).collect();
    assert!(entries
        .iter()
        .all(|e| e.producer_epoch == 1 && e.result == TransactionResult::Abort));
    let partitions: Vec<TopicPartition> =
        entries.iter().flat_map(|e| e.partitions.clone()).collect();
    assert_eq!(partitions, vec![TP0, TP1]);
    assert_eq!(w.init().error, Errors::ConcurrentTransactions);
    w.write_markers();
    assert_eq!(w.state(), (TransactionState::CompleteAbort, 1));
    let r = w.init();
    assert_eq!((r.error, r.producer_epoch), (Errors::None, 2));
    assert_eq!(w.end(0, TransactionResult::Commit), Errors::ProducerFenced);
}

#[test]
fn should_respond_with_concurrent_transactions_on_add_partitions_when_preparing() {
    // Case 16.
    for result in [TransactionResult::Commit, TransactionResult::Abort] {
        let mut w = World::new();
        w.init();
        w.add(0, &[TP0]);
        w.end(0, result);
        assert_eq!(w.add(0, &[TP1]), Errors::ConcurrentTransactions);
    }
}

#[test]
fn end_txn_after_complete_abort() {
    // Case 17: COMMIT after CompleteAbort → INVALID_TXN_STATE; ABORT again → OK.
    let mut w = World::new();
    w.init();
    w.add(0, &[TP0]);
    w.end(0, TransactionResult::Abort);
    w.write_markers();
    assert_eq!(w.state().0, TransactionState::CompleteAbort);
    assert_eq!(w.end(0, TransactionResult::Commit), Errors::InvalidTxnState);
    assert_eq!(w.end(0, TransactionResult::Abort), Errors::None);
}

#[test]
fn should_abort_expired_transactions_in_ongoing_state_and_bump_epoch() {
    // Case 18: an Ongoing transaction older than its timeout is aborted at the next
    // cleanup tick (every 10 s) under epoch + 1, with markers, then CompleteAbort.
    let mut w = World::new();
    w.init();
    w.add(0, &[TP0]);
    let mut answers = Vec::new();
    w.advance(60_000, &mut answers);
    assert_eq!(
        w.state(),
        (TransactionState::Ongoing, 0),
        "not yet past 60 s"
    );
    // Opened a few ms after 0: past its timeout at the 70 s tick (the write then takes
    // two latencies).
    w.advance(60_000 + ABORT_TIMED_OUT_INTERVAL_MS + 5, &mut answers);
    assert_eq!(w.state(), (TransactionState::PrepareAbort, 1));
    w.write_markers();
    assert_eq!(w.state(), (TransactionState::CompleteAbort, 1));
    assert!(answers.is_empty(), "nobody is told");
    assert_eq!(w.end(0, TransactionResult::Commit), Errors::ProducerFenced);
}

#[test]
fn a_stale_epoch_is_fenced_and_the_next_transaction_starts_from_complete() {
    let mut w = World::new();
    w.init();
    w.add(0, &[TP0]);
    w.end(0, TransactionResult::Commit);
    w.write_markers();
    // From CompleteCommit the next AddPartitions opens a new transaction; one with
    // another epoch is PRODUCER_FENCED.
    assert_eq!(w.add(1, &[TP0]), Errors::ProducerFenced);
    assert_eq!(w.add(0, &[TP1]), Errors::None);
}

// KIP-890: partition leaders ask the coordinator (3.6+), and transactions V2 (4.0).

#[test]
fn verify_partition_handling() {
    // TransactionCoordinatorTest.testVerifyPartitionHandling: another producer id →
    // INVALID_PRODUCER_ID_MAPPING; another epoch → PRODUCER_FENCED; markers going out
    // (PrepareCommit) → CONCURRENT_TRANSACTIONS.
    let mut w = World::versioned("3.9");
    w.init();
    w.add(0, &[TP0]);
    let pid = w.producer_id();
    let all = |e: Errors| vec![(TP0, e)];
    assert_eq!(
        w.leader_asks(pid + 1, 0, &[TP0], true),
        all(Errors::InvalidProducerIdMapping)
    );
    assert_eq!(
        w.leader_asks(pid, 1, &[TP0], true),
        all(Errors::ProducerFenced)
    );
    assert_eq!(w.leader_asks(pid, 0, &[TP0], true), all(Errors::None));
    w.end(0, TransactionResult::Commit);
    assert_eq!(w.state().0, TransactionState::PrepareCommit);
    assert_eq!(
        w.leader_asks(pid, 0, &[TP0], true),
        all(Errors::ConcurrentTransactions)
    );
}

#[test]
fn verify_only_answers_per_partition_and_by_release() {
    // shouldRespondWithErrorsNoneOnAddPartitionWhenOngoingVerifyOnlyAndPartitionsTheSame and
    // shouldRespondWithInvalidTxnStateWhenVerifyOnlyAndPartitionNotPresent: a partition in
    // the transaction is NONE; one not in it INVALID_TXN_STATE (3.6, 3.7) or
    // TRANSACTION_ABORTABLE (3.8+, KAFKA-16314). Verification adds nothing.
    for (version, missing) in [
        ("3.6", Errors::InvalidTxnState),
        ("3.7", Errors::InvalidTxnState),
        ("3.8", Errors::TransactionAbortable),
        ("3.9", Errors::TransactionAbortable),
    ] {
        let mut w = World::versioned(version);
        w.init();
        w.add(0, &[TP0]);
        let pid = w.producer_id();
        let answer = w.leader_asks(pid, 0, &[TP0, TP1], true);
        assert_eq!(
            answer,
            vec![(TP0, Errors::None), (TP1, missing)],
            "{version}"
        );
        let partitions = &w.coordinator.transactions[ID].partitions;
        assert_eq!(partitions.iter().copied().collect::<Vec<_>>(), [TP0]);
    }
}

#[test]
fn a_leader_adds_the_partition_under_transactions_v2() {
    // 4.0: the leader's AddPartitionsToTxn (not verifyOnly) opens the transaction as the
    // client's used to: Ongoing once the write completes, then answered NONE. A second one
    // while that write is in flight is CONCURRENT_TRANSACTIONS (the leader retries it).
    let mut w = World::versioned("4.0");
    w.init();
    let pid = w.producer_id();
    let broker = w.broker();
    let mut out = Effects::default();
    let request = |partitions: Vec<TopicPartition>| AddPartitionsToTxnRequest {
        id: 1,
        transactional_id: ID.into(),
        producer_id: pid,
        producer_epoch: 0,
        verify_only: false,
        partitions,
    };
    w.coordinator.handle_add_partitions_from_leader(
        0,
        broker,
        true,
        2,
        request(vec![TP0]),
        &mut out,
    );
    w.coordinator.handle_add_partitions_from_leader(
        0,
        broker,
        true,
        1,
        request(vec![TP1]),
        &mut out,
    );
    let mut answers = Vec::new();
    w.collect(out, &mut answers);
    let busy = w.leader_answers.pop().unwrap();
    assert_eq!(busy.results, [(TP1, Errors::ConcurrentTransactions)]);
    w.advance(10, &mut answers);
    assert_eq!(
        w.leader_answers.pop().unwrap().results,
        [(TP0, Errors::None)]
    );
    assert_eq!(w.state(), (TransactionState::Ongoing, 0));
    assert_eq!(w.leader_asks(pid, 0, &[TP1], false), [(TP1, Errors::None)]);
    let partitions = &w.coordinator.transactions[ID].partitions;
    assert_eq!(partitions.iter().copied().collect::<Vec<_>>(), [TP0, TP1]);
    // An old epoch is fenced.
    assert_eq!(
        w.leader_asks(pid, 1, &[TP0], false),
        [(TP0, Errors::ProducerFenced)]
    );
}

#[test]
fn every_end_bumps_the_epoch_under_transactions_v2() {
    // TransactionMetadata.prepareAbortOrCommit with a TV_2 client: PrepareCommit under
    // epoch + 1, the markers carry it, the EndTxn response returns it (a TV_0 response
    // carries none). A retry is the epoch before the bump (endTxnEpochBumped):
    // CONCURRENT_TRANSACTIONS while the markers go out, NONE with the new epoch once
    // complete, INVALID_TXN_STATE for the other result; any other epoch is fenced.
    use TransactionVersion::Tv2;
    let mut w = World::versioned("4.0");
    w.init();
    let pid = w.producer_id();
    assert_eq!(w.leader_asks(pid, 0, &[TP0], false), [(TP0, Errors::None)]);
    let r = w.end_with(0, TransactionResult::Commit, Tv2);
    assert_eq!(
        (r.error, r.producer_id, r.producer_epoch),
        (Errors::None, pid, 1)
    );
    assert_eq!(w.state(), (TransactionState::PrepareCommit, 1));
    let entries: Vec<_> = w.markers.iter().flat_map(|r| r.markers.clone()).collect();
    assert!(entries.iter().all(|e| e.producer_epoch == 1));
    let retry = w.end_with(0, TransactionResult::Commit, Tv2);
    assert_eq!(retry.error, Errors::ConcurrentTransactions);
    w.write_markers();
    assert_eq!(w.state(), (TransactionState::CompleteCommit, 1));
    let retry = w.end_with(0, TransactionResult::Commit, Tv2);
    assert_eq!((retry.error, retry.producer_epoch), (Errors::None, 1));
    let abort = w.end_with(0, TransactionResult::Abort, Tv2);
    assert_eq!(abort.error, Errors::InvalidTxnState);
    let stale = w.end_with(2, TransactionResult::Commit, Tv2);
    assert_eq!(stale.error, Errors::ProducerFenced);
    // A TV_0 EndTxn (v4 and older) neither bumps nor carries an epoch.
    let mut w = World::versioned("4.0");
    w.init();
    w.add(0, &[TP0]);
    let r = w.end_with(0, TransactionResult::Commit, TransactionVersion::Tv0);
    assert_eq!((r.error, r.producer_epoch), (Errors::None, -1));
    assert_eq!(w.state(), (TransactionState::PrepareCommit, 0));
}

#[test]
fn a_v2_client_may_abort_a_transaction_the_coordinator_never_saw() {
    // apache/kafka#17698: the client's records never reached a leader, so no partition was
    // added; its EndTxn(ABORT) finds Empty (or the previous transaction complete). Under
    // TV_2 that is an empty abort that bumps the epoch, with no markers; a TV_0 client gets
    // INVALID_TXN_STATE there (it never sends one: nothing was added).
    let mut w = World::versioned("4.0");
    w.init();
    let r = w.end_with(0, TransactionResult::Abort, TransactionVersion::Tv2);
    assert_eq!((r.error, r.producer_epoch), (Errors::None, 1));
    assert_eq!(w.state(), (TransactionState::CompleteAbort, 1));
    assert!(w.markers.is_empty());
    let again = w.end_with(1, TransactionResult::Abort, TransactionVersion::Tv2);
    assert_eq!((again.error, again.producer_epoch), (Errors::None, 2));
    let mut w = World::versioned("3.9");
    w.init();
    assert_eq!(w.end(0, TransactionResult::Abort), Errors::InvalidTxnState);
}

#[test]
fn a_timeout_abort_bumps_once_and_fences_a_v2_client() {
    // prepareFenceProducerEpoch: the timeout abort bumps the epoch once under either
    // protocol (its metadata is TV_0: "transaction timeouts use FenceProducerEpoch"), so
    // the client's later EndTxn with its old epoch is PRODUCER_FENCED, not a retry.
    let mut w = World::versioned("4.0");
    w.init();
    let pid = w.producer_id();
    w.leader_asks(pid, 0, &[TP0], false);
    let mut answers = Vec::new();
    w.advance(60_000 + ABORT_TIMED_OUT_INTERVAL_MS + 5, &mut answers);
    assert_eq!(w.state(), (TransactionState::PrepareAbort, 1));
    w.write_markers();
    let late = w.end_with(0, TransactionResult::Commit, TransactionVersion::Tv2);
    assert_eq!(late.error, Errors::ProducerFenced);
}

#[test]
fn markers_lost_on_the_way_are_sent_again_after_the_request_timeout() {
    // Found by the transactions property (seed 23): a WriteTxnMarkers to a leader cut off
    // from the network is lost, and nothing answers it. Kafka's marker sender thread times
    // the request out after the broker's request.timeout.ms, handles it as a disconnection
    // and queues its markers again (`TransactionMarkerRequestCompletionHandler`,
    // `wasDisconnected`); the coordinator waited forever in PrepareCommit instead, telling
    // every InitProducerId and AddPartitionsToTxn CONCURRENT_TRANSACTIONS.
    let mut w = World::new();
    w.init();
    w.add(0, &[TP0]);
    w.end(0, TransactionResult::Commit);
    assert_eq!(w.markers.len(), 1);
    w.markers.clear(); // lost: no answer, no closed connection
    let mut answers = Vec::new();
    let sent = w.now;
    w.advance(sent + REQUEST_TIMEOUT_MS - 20, &mut answers);
    assert!(w.markers.is_empty(), "not before the request timeout");
    w.advance(
        sent + REQUEST_TIMEOUT_MS + MARKER_RETRY_BACKOFF_MS + 10,
        &mut answers,
    );
    assert_eq!(w.markers.len(), 1, "sent again");
    w.write_markers();
    assert_eq!(w.state().0, TransactionState::CompleteCommit);
}

#[test]
fn a_new_coordinator_finishes_a_transaction_whose_completion_write_was_lost() {
    // Found by the transactions property (seed 4673): every marker of a PrepareCommit is
    // written, and the coordinator starts writing CompleteCommit — but loses leadership of
    // the id's __transaction_state partition before that write completes. The new leader
    // loads PrepareCommit and, as Kafka's `loadTransactionsForTxnTopicPartition` does, sends
    // the markers of every partition of the transaction again, then completes it. It found
    // no marker pending and did nothing: PrepareCommit for good, CONCURRENT_TRANSACTIONS
    // to every later request of the id.
    let mut w = World::new();
    w.init();
    w.add(0, &[TP0, TP1]);
    w.end(0, TransactionResult::Commit);
    for req in std::mem::take(&mut w.markers) {
        let results = req
            .markers
            .iter()
            .flat_map(|m| {
                m.partitions
                    .iter()
                    .map(|tp| (m.producer_id, *tp, Errors::None))
            })
            .collect();
        let mut out = Effects::default();
        let response = WriteTxnMarkersResponse {
            id: req.id,
            results,
        };
        w.coordinator
            .handle_markers_response(w.now, response, &mut out);
    }
    assert_eq!(
        w.state().0,
        TransactionState::PrepareCommit,
        "CompleteCommit being written"
    );
    // Its broker is fenced before the write completes: the partition moves.
    let old = w.broker();
    w.controller.lose_contact(old, 0);
    let at = w.controller.fence_at(old).unwrap();
    w.controller.on_timer(at, &mut Vec::new());
    let mut out = Effects::default();
    w.coordinator.elect(&w.controller, w.now, &mut out);
    assert_ne!(w.broker(), old);
    let mut answers = Vec::new();
    w.advance(w.now + 100, &mut answers);
    let mut resent: Vec<TopicPartition> = w
        .markers
        .iter()
        .flat_map(|r| r.markers.iter().flat_map(|m| m.partitions.clone()))
        .collect();
    resent.sort();
    assert_eq!(resent, vec![TP0, TP1], "every partition's marker again");
    w.write_markers();
    assert_eq!(w.state().0, TransactionState::CompleteCommit);
}
