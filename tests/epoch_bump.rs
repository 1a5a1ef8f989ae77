//! The idempotent producer's epoch bump (KIP-360), case by case from Kafka's `SenderTest`
//! and `TransactionManagerTest`. The sender cases drive one `KafkaProducer` the way
//! Kafka's `MockClient` drives its `Sender`: the test reads the produce requests it
//! writes and answers the oldest one on the connection with the error the case needs.
//! Kafka's `runOnce` is one sender pass; ours goes on while anything happened (Kafka
//! polls with timeout 0 then), so one `run_once` here may stand for a few of Kafka's.

use kafka_lab::config::{ProducerConfig, TopicConfig};
use kafka_lab::effects::Effects;
use kafka_lab::errors::{Errors, KafkaError};
use kafka_lab::metadata::{Cluster, PartitionMeta, TopicMeta, TopicPartition};
use kafka_lab::net::{Node, PartitionResponse, Payload, ProduceRequest, ProduceResponse};
use kafka_lab::producer::accumulator::ProducerBatch;
use kafka_lab::producer::transaction_manager::{InFlightKey, TransactionManager};
use kafka_lab::producer::{KafkaProducer, Outcome};
use kafka_lab::record::{FieldsSize, RecordData};
use kafka_lab::rng::Rng;
use kafka_lab::scenario::SendMode;
use kafka_lab::serializer::Serializer;
use kafka_lab::trace::TraceEvent;
use kafka_lab::vec_map::VecMap;
use kafka_lab::version::KafkaVersion;
use std::collections::VecDeque;
use std::rc::Rc;

use kafka_lab_tests::{TP0, TP1};

/// Topic `test` with two partitions, both led by broker 0.
fn cluster() -> Cluster {
    let partition = PartitionMeta {
        replicas: vec![0],
        leader: Some(0),
        leader_epoch: 0,
    };
    Cluster {
        brokers: 1,
        topics: vec![TopicMeta::new(
            "test".into(),
            vec![partition.clone(), partition],
            TopicConfig::default(),
        )],
    }
}

/// An idempotent producer and the requests it has written, as `MockClient` holds them.
struct Client {
    producer: KafkaProducer,
    now: u64,
    rng: Rng,
    /// Produce requests written and not yet answered, oldest first.
    requests: VecDeque<ProduceRequest>,
    events: Vec<TraceEvent>,
}

impl Client {
    /// SenderTest's setup: acks=all, linger 0, `DELIVERY_TIMEOUT_MS` 1500 (the request
    /// timeout no longer, as the config checks require), a constant retry backoff.
    /// Kafka's tests keep a retried batch from going again by disconnecting the node
    /// (`client.disconnect`, `client.backoff`); here a long enough backoff does.
    fn new(version: &str, retry_backoff_ms: u64) -> Client {
        Client::with(version, retry_backoff_ms, &[])
    }

    /// With more producer properties.
    fn with(version: &str, retry_backoff_ms: u64, extra: &[(&str, &str)]) -> Client {
        let version = KafkaVersion::parse(version).unwrap();
        let backoff = retry_backoff_ms.to_string();
        let mut props: VecMap<String, String> = [
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("linger.ms", "0"),
            ("max.in.flight.requests.per.connection", "5"),
            ("delivery.timeout.ms", "1500"),
            ("request.timeout.ms", "1500"),
            ("retry.backoff.ms", backoff.as_str()),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if version.at_least(3, 7) {
            props.insert("retry.backoff.max.ms".into(), backoff);
        }
        let config = ProducerConfig::parse(&props, version).unwrap();
        let producer = KafkaProducer::new(0, "p".into(), config, Rc::new(cluster()), None);
        Client {
            producer,
            now: 0,
            rng: Rng::new(1),
            requests: VecDeque::new(),
            events: Vec::new(),
        }
    }

    /// `prepareAndReceiveInitProducerId`.
    fn init_producer_id(&mut self, producer_id: i64, epoch: i16) {
        self.run_once();
        self.producer.receive_producer_id(0, producer_id, epoch);
        self.run_once();
        assert!(self.tm().has_producer_id());
    }

    /// `appendToAccumulator`: one record; returns its send index.
    fn append(&mut self, tp: TopicPartition) -> u32 {
        let data = RecordData {
            key: Serializer::String.serialize(Some("key")).unwrap(),
            value: Serializer::String.serialize(Some("value")).unwrap(),
            timestamp: self.now,
        };
        let mut out = Effects::default();
        let index = self.producer.sends.len() as u32;
        let fields = FieldsSize::of(data.key_len(), data.value_len());
        let sent = self.producer.send(
            self.now,
            tp.topic,
            Some(tp.partition),
            data,
            fields,
            SendMode::Async,
            &mut self.rng,
            &mut out,
        );
        assert!(sent.returned);
        index
    }

    /// `sender.runOnce()`; keeps the produce requests written.
    fn run_once(&mut self) {
        let mut out = Effects::default();
        self.producer.run_once(self.now, &mut self.rng, &mut out);
        self.events.extend(out.events);
        for (_, to, payload) in out.messages {
            if let (Node::Broker(0), Payload::Produce(request)) = (to, payload) {
                self.requests.push_back(request);
            }
        }
    }

    fn sleep(&mut self, ms: u64) {
        self.now += ms;
    }

    /// `sendIdempotentProducerResponse`: answers the oldest request, which must carry
    /// `tp`'s batch with `expected_sequence` (and `expected_epoch` if given); every batch
    /// of it gets `error`, or for `tp` the `offset` when it is `NONE`.
    fn respond(
        &mut self,
        expected_epoch: Option<i16>,
        expected_sequence: i32,
        tp: TopicPartition,
        error: Errors,
        offset: u64,
    ) {
        self.respond_each(
            expected_epoch,
            expected_sequence,
            tp,
            &[(tp, error, offset)],
        );
    }

    /// As `respond`, with an answer per partition of the request.
    fn respond_each(
        &mut self,
        expected_epoch: Option<i16>,
        expected_sequence: i32,
        tp: TopicPartition,
        answers: &[(TopicPartition, Errors, u64)],
    ) {
        let request = self.requests.pop_front().expect("a request in flight");
        let batch = request
            .batches
            .iter()
            .find(|b| b.tp == tp)
            .expect("the request carries the partition");
        assert_eq!(batch.base_sequence, expected_sequence, "{request:?}");
        if let Some(epoch) = expected_epoch {
            assert_eq!(batch.producer_epoch, epoch);
        }
        let partitions = request
            .batches
            .iter()
            .map(|b| {
                let (_, error, offset) = answers
                    .iter()
                    .find(|(t, _, _)| *t == b.tp)
                    .expect("an answer for every partition of the request");
                match error {
                    Errors::None => PartitionResponse::ok(b.tp, b.batch, *offset),
                    e => PartitionResponse::error(b.tp, b.batch, *e),
                }
            })
            .collect();
        self.producer.receive(
            0,
            ProduceResponse {
                id: request.id,
                partitions,
            },
        );
    }

    fn tm(&self) -> &TransactionManager {
        self.producer.tm.as_ref().expect("idempotent")
    }

    /// `accumulator.getDeque(tp)`.
    fn deque(&self, tp: TopicPartition) -> Vec<&ProducerBatch> {
        self.producer
            .accumulator
            .deques()
            .filter(|(t, _)| *t == tp)
            .flat_map(|(_, dq)| dq.iter())
            .collect()
    }

    /// The batch of `tp` in a request still out (Kafka's batch object, its header as
    /// the producer now has it).
    fn in_flight_batch(&self, tp: TopicPartition) -> &ProducerBatch {
        self.producer
            .sender
            .in_flight
            .values()
            .flat_map(|q| q.iter())
            .flat_map(|r| r.batches.iter())
            .find(|b| b.tp == tp)
            .expect("a batch of the partition in flight")
    }

    /// `client.inFlightRequestCount()`: produce requests the producer has out.
    fn in_flight_request_count(&self) -> usize {
        self.producer
            .sender
            .in_flight
            .values()
            .map(|q| q.len())
            .sum()
    }

    fn outcome(&self, index: u32) -> (Outcome, Option<&'static str>) {
        let s = &self.producer.sends[index as usize];
        (s.outcome, s.error.as_ref().map(|e| e.exception_name()))
    }
}

#[test]
// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatch
fn epoch_bump_on_out_of_order_sequence_for_next_batch() {
    let mut c = Client::new("3.6", 50);
    c.init_producer_id(343434, 0);
    assert_eq!(c.tm().sequence_number(TP0), 0);

    // A first request of two records in one batch.
    let request1 = c.append(TP0);
    c.append(TP0);
    c.run_once();
    assert_eq!(c.requests.len(), 1);
    // The next sequence accounts for multi-record batches.
    assert_eq!(c.tm().sequence_number(TP0), 2);
    assert_eq!(c.tm().last_acked_sequence(TP0), None);
    c.respond(None, 0, TP0, Errors::None, 0);
    c.run_once();

    let request2 = c.append(TP0);
    c.run_once();
    assert_eq!(c.requests.len(), 1);
    assert_eq!(c.tm().sequence_number(TP0), 3);
    assert_eq!(c.tm().last_acked_sequence(TP0), Some(1));
    assert_eq!(c.outcome(request1), (Outcome::Acked, None));
    assert_eq!(c.producer.sends[request1 as usize].offset, 0);
    assert_eq!(c.outcome(request2).0, Outcome::Pending);

    // Out of order for the batch right after the last acknowledged one: a real gap.
    c.respond(None, 2, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    c.run_once();
    assert_eq!(c.tm().producer_epoch, 1, "epoch bumped");
    assert_eq!(c.tm().sequence_number(TP0), 1, "sequences reset");
    assert_eq!(c.tm().first_in_flight_sequence(TP0), Some(0));
}

/// The opening of `SenderTest`'s expiry cases: a batch sent, a second one a second later
/// (so that the two do not expire together), both in flight. Returns their records.
fn two_batches_a_second_apart() -> (Client, u32, u32) {
    let mut c = Client::new("3.6", 1000);
    c.init_producer_id(343434, 0);
    let request1 = c.append(TP0);
    c.run_once();
    c.sleep(1000);
    let request2 = c.append(TP0);
    c.run_once();
    assert_eq!(c.requests.len(), 2);
    (c, request1, request2)
}

#[test]
// SenderTest.testExpiryOfFirstBatchShouldCauseEpochBumpIfFutureBatchesFail
fn expiry_of_first_batch_should_cause_epoch_bump_if_future_batches_fail() {
    let (mut c, request1, request2) = two_batches_a_second_apart();

    c.respond(None, 0, TP0, Errors::NotLeaderOrFollower, 0);
    c.run_once();
    // The first batch expires waiting for its retry: in retry, so its sequence may be
    // in the log; unresolved.
    c.sleep(500);
    c.run_once();
    assert_eq!(
        c.outcome(request1),
        (Outcome::Failed, Some("TimeoutException"))
    );
    assert!(c.tm().has_unresolved_sequence(TP0));
    // A new batch is not drained until the sequence is resolved.
    c.append(TP0);
    c.sleep(20);
    c.run_once();
    assert_eq!(c.outcome(request2).0, Outcome::Pending);
    assert_eq!(c.requests.len(), 1);
    assert_eq!(c.deque(TP0).len(), 1);

    // The second batch, right after the unresolved sequence, is out of order: a real
    // gap. The epoch is bumped and the second batch requeued, renumbered.
    c.respond(None, 1, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    assert_eq!(c.deque(TP0).len(), 2);
    assert_eq!(c.tm().producer_epoch, 1);
    assert_eq!(c.tm().sequence_number(TP0), 1);
    assert!(!c.tm().has_unresolved_sequence(TP0));
    let b2 = c.deque(TP0)[0];
    assert_eq!((b2.producer_epoch, b2.base_sequence), (1, 0));
    assert!(b2.sequence_has_been_reset);
}

#[test]
// SenderTest.testExpiryOfFirstBatchShouldNotCauseUnresolvedSequencesIfFutureBatchesSucceed
fn expiry_of_first_batch_should_not_cause_unresolved_sequences_if_future_batches_succeed() {
    let (mut c, request1, request2) = two_batches_a_second_apart();

    c.respond(None, 0, TP0, Errors::RequestTimedOut, 0);
    c.run_once();
    // 600 ms more expire the first batch (in retry) but not the second.
    c.sleep(600);
    c.run_once();
    assert_eq!(
        c.outcome(request1),
        (Outcome::Failed, Some("TimeoutException"))
    );
    assert!(c.tm().has_unresolved_sequence(TP0));

    // A new batch waits while the sequence is unresolved.
    let request3 = c.append(TP0);
    c.sleep(20);
    c.run_once();
    assert_eq!(c.outcome(request2).0, Outcome::Pending);
    assert_eq!(c.deque(TP0).len(), 1);
    assert!(c.deque(TP0)[0].base_sequence < 0, "no sequence yet");
    assert_eq!(c.tm().sequence_number(TP0), 2);

    // The second batch succeeds: the expired one was written after all. Resolved
    // without a bump, and the waiting batch goes with the next sequence.
    c.respond(None, 1, TP0, Errors::None, 1);
    c.run_once();
    assert_eq!(c.outcome(request2), (Outcome::Acked, None));
    assert_eq!(c.producer.sends[request2 as usize].offset, 1);
    assert!(!c.tm().has_unresolved_sequence(TP0));
    assert_eq!(c.tm().producer_epoch, 0);
    assert!(c.deque(TP0).is_empty());
    assert_eq!(c.requests.len(), 1);
    assert_eq!(c.outcome(request3).0, Outcome::Pending);
    c.respond(Some(0), 2, TP0, Errors::None, 2);
}

#[test]
// SenderTest.testExpiryOfAllSentBatchesShouldCauseUnresolvedSequences
fn expiry_of_all_sent_batches_should_cause_unresolved_sequences() {
    let mut c = Client::new("3.6", 20_000);
    c.init_producer_id(343434, 0);
    let request1 = c.append(TP0);
    c.run_once();
    c.respond(None, 0, TP0, Errors::NotLeaderOrFollower, 0);
    c.run_once();
    assert_eq!(c.tm().sequence_number(TP0), 1);

    // The batch expires waiting for its retry; with nothing tracked any more, the next
    // pass (the same `run_once` here) bumps the epoch and clears the unresolved sequence.
    c.sleep(15_000);
    c.run_once();
    assert_eq!(
        c.outcome(request1),
        (Outcome::Failed, Some("TimeoutException"))
    );
    assert!(c.deque(TP0).is_empty());
    assert!(c.requests.is_empty());
    assert_eq!(c.tm().producer_id, 343434);
    assert_eq!(c.tm().producer_epoch, 1);
    assert!(!c.tm().has_unresolved_sequence(TP0));
}

/// TransactionManagerTest's start for the two partitions: tp0 batches 1–3 and tp1
/// batches 4–5, each the first batch of its partition acknowledged; tp0's second batch
/// is answered OUT_OF_ORDER_SEQUENCE_NUMBER (Kafka's tests answer UNKNOWN_PRODUCER_ID,
/// which this broker never does; the bump is the same), tp1's NOT_LEADER_OR_FOLLOWER,
/// while tp0's third batch is still out. Returns the client after the bump.
fn bumped_while_a_request_is_out() -> Client {
    let mut c = Client::new("3.6", 50);
    c.init_producer_id(7, 1);
    for tps in [&[TP0, TP1][..], &[TP0, TP1], &[TP0]] {
        for &tp in tps {
            c.append(tp);
        }
        c.run_once();
    }
    assert_eq!(c.tm().sequence_number(TP0), 3);
    assert_eq!(c.tm().sequence_number(TP1), 2);
    c.respond_each(
        None,
        0,
        TP0,
        &[(TP0, Errors::None, 0), (TP1, Errors::None, 0)],
    );
    c.respond_each(
        None,
        1,
        TP0,
        &[
            (TP0, Errors::OutOfOrderSequenceNumber, 0),
            (TP1, Errors::NotLeaderOrFollower, 0),
        ],
    );
    c.run_once();
    c
}

#[test]
// TransactionManagerTest.testHealthyPartitionRetriesDuringEpochBump (first half), with
// the bump's requirement of no waiting from testEpochBumpOnOutOfOrderSequenceForNextBatch
fn epoch_bump_renumbers_every_tracked_batch_at_once() {
    let mut c = bumped_while_a_request_is_out();
    // The bump did not wait for tp0's third request (nor tp1's retry) to come back.
    assert_eq!(c.tm().producer_epoch, 2);
    assert_eq!(c.requests.len(), 1, "tp0's third request is still out");
    // tp0: every batch it tracks renumbered in sequence order — the second, waiting for
    // its retry, to 0; the third, in the request still out, to 1.
    let b2 = c.deque(TP0)[0];
    assert_eq!((b2.producer_epoch, b2.base_sequence), (2, 0));
    assert!(b2.sequence_has_been_reset);
    let b3 = c.in_flight_batch(TP0);
    assert_eq!((b3.producer_epoch, b3.base_sequence), (2, 1));
    assert!(b3.sequence_has_been_reset);
    // The request on the wire keeps the header it was written with.
    let wire = &c.requests[0].batches[0];
    assert_eq!((wire.producer_epoch, wire.base_sequence), (1, 2));
    assert_eq!(c.tm().first_in_flight_sequence(TP0), Some(0));
    assert_eq!(c.tm().sequence_number(TP0), 2);
    // tp1 was not rewritten: its batch keeps the old epoch and sequence.
    let tp1b2 = c.deque(TP1)[0];
    assert_eq!((tp1b2.producer_epoch, tp1b2.base_sequence), (1, 1));
    assert!(!tp1b2.sequence_has_been_reset);
    assert_eq!(c.tm().first_in_flight_sequence(TP1), Some(1));

    // The old request's answer: OUT_OF_ORDER for a renumbered batch is only retried
    // (`sequenceHasBeenReset` in `canRetry`), not taken for a second gap.
    c.respond(Some(1), 2, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    assert_eq!(c.tm().producer_epoch, 2, "no second bump");
    let dq = c.deque(TP0);
    let sequences: Vec<(i16, i32)> = dq
        .iter()
        .map(|b| (b.producer_epoch, b.base_sequence))
        .collect();
    assert_eq!(sequences, [(2, 0), (2, 1)], "both wait, in sequence order");
    // Once the backoff is over they go one at a time, the first in flight first.
    c.sleep(50);
    c.run_once();
    c.respond_each(
        Some(2),
        0,
        TP0,
        &[(TP0, Errors::None, 1), (TP1, Errors::None, 1)],
    );
    c.run_once();
    c.respond(Some(2), 1, TP0, Errors::None, 2);
    c.run_once();
    assert!(c.producer.sends.iter().all(|s| s.outcome == Outcome::Acked));
}

#[test]
// TransactionManagerTest.testHealthyPartitionRetriesDuringEpochBump and
// testFailedInflightBatchAfterEpochBump (second half; the same at 3.6.0)
fn a_partition_not_rewritten_moves_to_the_new_epoch_once_its_batches_complete() {
    let mut c = bumped_while_a_request_is_out();
    // A new tp1 batch is not drained while tp1's batch of the old epoch is tracked.
    let tp1b3 = c.append(TP1);
    c.run_once();
    assert_eq!(c.deque(TP1).len(), 2);
    assert!(c.tm().has_stale_producer_id_and_epoch(TP1));
    // The retry of the old-epoch batch goes (still epoch 1, sequence 1), the new one
    // stays behind.
    c.sleep(50);
    c.run_once();
    let dq = c.deque(TP1);
    assert_eq!(dq.len(), 1);
    assert!(dq[0].base_sequence < 0, "the new batch, without a sequence");
    let retry = c.requests.back().unwrap();
    let tp1b2 = retry.batches.iter().find(|b| b.tp == TP1).unwrap();
    assert_eq!((tp1b2.producer_epoch, tp1b2.base_sequence), (1, 1));

    // tp0's old request is answered (only retried), then the retries succeed: tp1 has
    // nothing tracked any more, and its new batch starts at 0 under epoch 2.
    c.respond(Some(1), 2, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.respond_each(
        Some(2),
        0,
        TP0,
        &[(TP0, Errors::None, 1), (TP1, Errors::None, 1)],
    );
    c.run_once();
    assert!(!c.tm().has_stale_producer_id_and_epoch(TP1));
    assert_eq!(c.tm().sequence_number(TP1), 1);
    assert!(c.deque(TP1).is_empty());
    let sent = c.requests.back().unwrap();
    let b = sent.batches.iter().find(|b| b.tp == TP1).unwrap();
    assert_eq!((b.producer_epoch, b.base_sequence), (2, 0));
    c.respond_each(Some(2), 0, TP1, &[(TP1, Errors::None, 2)]);
    c.run_once();
    assert_eq!(c.outcome(tp1b3), (Outcome::Acked, None));
    assert_eq!(c.tm().last_acked_sequence(TP1), Some(0));
}

#[test]
// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatchWhenThereIsNoBatchInFlight
fn epoch_bump_when_the_other_partition_has_no_batch_in_flight() {
    let mut c = Client::new("3.6", 50);
    c.init_producer_id(343434, 0);
    // Partition state is made lazily, at the first batch.
    c.append(TP0);
    c.run_once();
    assert_eq!(
        (c.tm().sequence_number(TP0), c.tm().last_acked_sequence(TP0)),
        (1, None)
    );
    c.respond(Some(0), 0, TP0, Errors::None, 0);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP0), Some(0));
    c.append(TP1);
    c.run_once();
    c.respond(Some(0), 0, TP1, Errors::None, 0);
    c.run_once();
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (1, Some(0))
    );

    c.append(TP0);
    c.run_once();
    assert_eq!(c.tm().sequence_number(TP0), 2);
    c.respond(Some(0), 1, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    assert_eq!(c.tm().producer_epoch, 1);
    // tp0 starts again under epoch 1; tp1 keeps epoch 0 and its sequences, stale.
    assert_eq!(
        (c.tm().sequence_number(TP0), c.tm().last_acked_sequence(TP0)),
        (1, None)
    );
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (1, Some(0))
    );
    assert!(c.tm().has_stale_producer_id_and_epoch(TP1));

    c.sleep(50);
    c.run_once();
    c.respond(Some(1), 0, TP0, Errors::None, 1);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP0), Some(0));

    // tp1's next batch: nothing of the old epoch in flight, so it moves to epoch 1, 0.
    c.append(TP1);
    c.run_once();
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (1, None)
    );
    assert!(!c.tm().has_stale_producer_id_and_epoch(TP1));
    c.respond(Some(1), 0, TP1, Errors::None, 1);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP1), Some(0));
}

#[test]
// SenderTest.testIdempotenceWithMultipleInflightsWhereFirstFailsFatallyAndSequenceOfFutureBatchesIsAdjusted
fn first_fails_fatally_and_sequence_of_future_batches_is_adjusted() {
    let mut c = Client::new("3.6", 50);
    c.init_producer_id(343434, 0);
    let request1 = c.append(TP0);
    c.run_once();
    assert_eq!(c.tm().sequence_number(TP0), 1);
    let request2 = c.append(TP0);
    c.run_once();
    assert_eq!(c.requests.len(), 2);
    assert_eq!(c.tm().sequence_number(TP0), 2);
    assert_eq!(c.tm().last_acked_sequence(TP0), None);

    // The first fails for good with retries left (`adjustSequenceNumbers`): the
    // idempotent producer bumps its epoch, renumbering the second in its request.
    c.respond(None, 0, TP0, Errors::MessageTooLarge, 0);
    c.run_once();
    assert_eq!(
        c.outcome(request1),
        (Outcome::Failed, Some("RecordTooLargeException"))
    );
    assert!(c
        .events
        .iter()
        .any(|e| matches!(e, TraceEvent::EpochBumpRequested { expired: false, .. })));
    assert_eq!(c.requests.len(), 1);
    assert_eq!(c.tm().last_acked_sequence(TP0), None);
    let b2 = c.in_flight_batch(TP0);
    assert_eq!((b2.producer_epoch, b2.base_sequence), (1, 0));

    // Its old attempt (epoch 0, sequence 1) is out of order: retried, as sequence 0.
    c.respond(Some(0), 1, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP0), None);
    assert!(c.requests.is_empty());
    c.sleep(50);
    c.run_once();
    assert_eq!(c.requests.len(), 1);
    c.respond(Some(1), 0, TP0, Errors::None, 0);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP0), Some(0));
    assert!(c.requests.is_empty());
    assert_eq!(c.outcome(request2), (Outcome::Acked, None));
    assert_eq!(c.producer.sends[request2 as usize].offset, 0);
}

#[test]
// SenderTest.testEpochBumpOnOutOfOrderSequenceForNextBatchWhenBatchInFlightFails
fn a_batch_failing_with_retries_spent_asks_for_no_bump() {
    // retries=1: tp1's second batch fails for good at its second NOT_LEADER_OR_FOLLOWER;
    // `attempts < retries` no longer holds, so nothing is adjusted and tp1 moves to the
    // new epoch only at its next batch.
    let mut c = Client::with("3.6", 50, &[("retries", "1")]);
    c.init_producer_id(343434, 0);
    for tp in [TP0, TP1] {
        c.append(tp);
        c.run_once();
        c.respond(Some(0), 0, tp, Errors::None, 0);
        c.run_once();
    }
    c.append(TP0);
    c.run_once();
    let tp1b2 = c.append(TP1);
    c.run_once();
    assert_eq!(c.tm().sequence_number(TP1), 2);

    c.respond(Some(0), 1, TP0, Errors::OutOfOrderSequenceNumber, 0);
    c.run_once();
    assert_eq!(c.tm().producer_epoch, 1);
    assert_eq!(
        (c.tm().sequence_number(TP0), c.tm().last_acked_sequence(TP0)),
        (1, None)
    );
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (2, Some(0))
    );
    assert!(c.tm().has_stale_producer_id_and_epoch(TP1));

    c.respond(Some(0), 1, TP1, Errors::NotLeaderOrFollower, 0);
    c.run_once();
    assert!(c.tm().has_stale_producer_id_and_epoch(TP1));
    // Both retries go in one request here (Kafka's test answers them one by one).
    c.sleep(50);
    c.run_once();
    c.respond_each(
        Some(1),
        0,
        TP0,
        &[
            (TP0, Errors::None, 1),
            (TP1, Errors::NotLeaderOrFollower, 0),
        ],
    );
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP0), Some(0));
    assert_eq!(
        c.outcome(tp1b2),
        (Outcome::Failed, Some("NotLeaderOrFollowerException"))
    );
    assert_eq!(c.tm().producer_epoch, 1, "no second bump");
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (2, Some(0))
    );
    assert!(c.tm().has_stale_producer_id_and_epoch(TP1));

    c.append(TP1);
    c.run_once();
    assert_eq!(
        (c.tm().sequence_number(TP1), c.tm().last_acked_sequence(TP1)),
        (1, None)
    );
    assert!(!c.tm().has_stale_producer_id_and_epoch(TP1));
    c.respond(Some(1), 0, TP1, Errors::None, 1);
    c.run_once();
    assert_eq!(c.tm().last_acked_sequence(TP1), Some(0));
}

#[test]
fn before_3_6_the_late_failure_of_an_expired_batch_bumps_the_epoch() {
    // Sender.failBatch called TransactionManager.handleFailedBatch before it looked
    // whether the batch was done (Sender.java:709-717 at 2.8.0, 767-772 at 3.5.0);
    // KAFKA-14884 (3.6.0) moved the call into `if (batch.completeExceptionally(...))`.
    // So until 3.5 the late answer to a batch that expired in flight still asks for a
    // bump (`adjustSequenceNumbers`), renumbering the batch behind it in its request.
    for (version, bumped) in [("2.8", true), ("3.5", true), ("3.6", false), ("4.0", false)] {
        let mut c = Client::new(version, 50);
        c.init_producer_id(1, 0);
        let request1 = c.append(TP0);
        c.run_once();
        c.sleep(1000);
        c.append(TP0);
        c.run_once();
        c.sleep(500);
        c.run_once();
        assert_eq!(
            c.outcome(request1),
            (Outcome::Failed, Some("TimeoutException")),
            "{version}: expired in flight"
        );
        assert!(!c.tm().has_unresolved_sequence(TP0), "first attempt");
        c.respond(Some(0), 0, TP0, Errors::NotLeaderOrFollower, 0);
        c.run_once();
        let expected = if bumped { (1, 0) } else { (0, 1) };
        let b2 = c.in_flight_batch(TP0);
        assert_eq!((b2.producer_epoch, b2.base_sequence), expected, "{version}");
        assert_eq!(c.tm().producer_epoch, expected.0, "{version}");
        let requested = c
            .events
            .iter()
            .any(|e| matches!(e, TraceEvent::EpochBumpRequested { expired: true, .. }));
        assert_eq!(requested, bumped, "{version}");
    }
}

/// A batch written to `tp` as `writeIdempotentBatchWithValue` does: its sequence
/// assigned, one record. Returns how the manager tracks it.
fn write_idempotent_batch(tm: &mut TransactionManager, tp: TopicPartition) -> InFlightKey {
    let epoch = tm.epoch_for(tp);
    (tm.producer_id, epoch, tm.assign_sequence(tp, 1))
}

/// `markSequenceUnresolved` + `handleFailedBatch(b, new TimeoutException(), false)`: a
/// batch that expired in retry.
fn expire(tm: &mut TransactionManager, tp: TopicPartition, batch: InFlightKey) {
    tm.mark_sequence_unresolved(tp, batch.2, 1);
    tm.handle_failed_batch(tp, batch, 1, &KafkaError::Timeout(String::new()), false);
}

/// `runUntil(epoch bumped)`: the sender's `bumpIdempotentEpochAndResetIdIfNeeded`.
fn bump_if_needed(tm: &mut TransactionManager) {
    if tm.epoch_bump_required() {
        tm.bump_epoch();
    }
}

fn idempotent(producer_id: i64, epoch: i16) -> TransactionManager {
    let mut tm = TransactionManager::default();
    tm.set_producer_id(producer_id, epoch);
    tm
}

#[test]
// TransactionManagerTest.testBumpEpochAfterTimeoutWithoutPendingInflightRequests
fn bump_epoch_after_timeout_without_pending_inflight_requests() {
    let mut tm = idempotent(15, 5);
    // Nothing to resolve, so no bump.
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 5);
    let tp0 = TP0;
    assert_eq!(tm.sequence_number(tp0), 0);
    let b1 = write_idempotent_batch(&mut tm, tp0);
    assert_eq!(tm.sequence_number(tp0), 1);
    tm.handle_completed_batch(tp0, b1, 1);
    assert_eq!(tm.last_acked_sequence(tp0), Some(0));

    // A batch that times out with nothing else in flight: the gap is real, bump.
    let b2 = write_idempotent_batch(&mut tm, tp0);
    assert_eq!(tm.sequence_number(tp0), 2);
    expire(&mut tm, tp0, b2);
    assert!(tm.has_unresolved_sequence(tp0));
    tm.maybe_resolve_sequences();
    assert!(!tm.has_unresolved_sequence(tp0));
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 6);
}

#[test]
// TransactionManagerTest.testNoProducerIdResetAfterLastInFlightBatchSucceeds
fn no_producer_id_reset_after_last_in_flight_batch_succeeds() {
    let mut tm = idempotent(15, 5);
    let b1 = write_idempotent_batch(&mut tm, TP0);
    let b2 = write_idempotent_batch(&mut tm, TP0);
    let b3 = write_idempotent_batch(&mut tm, TP0);
    assert_eq!(tm.sequence_number(TP0), 3);
    expire(&mut tm, TP0, b1);
    assert!(tm.has_unresolved_sequence(TP0));
    // Not resolved while batches are still in flight.
    tm.maybe_resolve_sequences();
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 5);
    assert!(tm.has_unresolved_sequence(TP0));
    tm.handle_failed_batch(TP0, b2, 1, &KafkaError::Timeout(String::new()), false);
    tm.maybe_resolve_sequences();
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 5);
    assert!(tm.has_unresolved_sequence(TP0));
    // The third succeeds: the expired ones were written; no bump, no renumbering.
    tm.handle_completed_batch(TP0, b3, 1);
    tm.maybe_resolve_sequences();
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 5);
    assert!(!tm.has_unresolved_sequence(TP0));
    assert_eq!(tm.sequence_number(TP0), 3);
}

#[test]
// TransactionManagerTest.testEpochBumpAfterLastInflightBatchFails
fn epoch_bump_after_last_inflight_batch_fails() {
    let mut tm = idempotent(15, 1);
    let b1 = write_idempotent_batch(&mut tm, TP0);
    let b2 = write_idempotent_batch(&mut tm, TP0);
    let b3 = write_idempotent_batch(&mut tm, TP0);
    assert_eq!(tm.sequence_number(TP0), 3);
    expire(&mut tm, TP0, b1);
    // The second succeeds, but the third is still in flight: not resolved yet.
    tm.handle_completed_batch(TP0, b2, 1);
    tm.maybe_resolve_sequences();
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 1);
    assert!(tm.has_unresolved_sequence(TP0));
    // The last one in flight fails: the next sequence does not follow the last
    // acknowledged one, so the epoch moves on, with nothing left to renumber.
    tm.handle_failed_batch(TP0, b3, 1, &KafkaError::Timeout(String::new()), false);
    tm.maybe_resolve_sequences();
    bump_if_needed(&mut tm);
    assert_eq!(tm.producer_epoch, 2);
    assert!(!tm.has_unresolved_sequence(TP0));
    assert_eq!(tm.sequence_number(TP0), 0);
}

#[test]
// TransactionManagerTest.testDuplicateSequenceAfterProducerReset (KAFKA-13794)
fn duplicate_sequence_after_producer_reset() {
    // A batch expires while its retry is still out; the epoch is bumped and a new batch
    // goes out as the new epoch's sequence 0. When the old request times out, the
    // expired batch is taken off the partition's tracked batches again (until 3.6 a late
    // failure still reaches `handleFailedBatch`, and asks for another bump). Before
    // KAFKA-13794 the tracked batches were told apart by base sequence alone, so that
    // removes the new batch: it is no longer tracked, the bump leaves it unrenumbered on
    // the old epoch, and nothing holds the partition's new batches behind its retry.
    for (version, fixed, late_bump) in [
        ("2.8", false, true),
        ("3.0.1", false, true),
        ("3.1.0", false, true),
        ("3.0.2", true, true),
        ("3.1.1", true, true),
        ("3.2.0", true, true),
        ("3.3", true, true),
        ("3.6", true, false),
    ] {
        let mut c = Client::with(
            version,
            0,
            &[
                ("request.timeout.ms", "10000"),
                ("delivery.timeout.ms", "15000"),
            ],
        );
        c.init_producer_id(13, 1);
        let request1 = c.append(TP0);
        c.run_once();
        assert_eq!(c.tm().sequence_number(TP0), 1);

        // Timed out (ours after more than `request.timeout.ms`): requeued, still tracked.
        c.sleep(10001);
        c.run_once();
        assert_eq!(c.in_flight_request_count(), 0);
        assert!(c.tm().has_in_flight_batches(TP0));
        assert_eq!(c.tm().sequence_number(TP0), 1);
        // The retry, once the reconnect backoff is over.
        c.sleep(50);
        c.run_once();
        assert_eq!(c.in_flight_request_count(), 1);
        assert!(c.tm().has_in_flight_batches(TP0));

        // Delivery timeout: the future fails while the retried request stays out; the
        // partition is unresolved with nothing tracked, so the epoch is bumped.
        c.sleep(15000 - c.now);
        c.run_once();
        assert_eq!(
            c.outcome(request1),
            (Outcome::Failed, Some("TimeoutException")),
            "{version}"
        );
        assert_eq!(c.in_flight_request_count(), 1);
        assert_eq!(c.tm().producer_epoch, 2);
        assert_eq!(c.tm().sequence_number(TP0), 0);

        let request2 = c.append(TP0);
        c.run_once();
        let b2 = c.requests.back().expect("sent").batches[0].clone();
        assert_eq!((b2.producer_epoch, b2.base_sequence), (2, 0));
        assert_eq!(c.tm().first_in_flight_sequence(TP0), Some(0));
        assert_eq!(c.tm().sequence_number(TP0), 1);

        // The retried request times out, and with it the connection and the second
        // batch's request: the second batch is requeued, the first fails late.
        c.sleep(5052);
        c.run_once();
        assert_eq!(c.outcome(request2).0, Outcome::Pending, "{version}");
        assert_eq!(
            c.tm().has_in_flight_batches(TP0),
            fixed,
            "{version}: the second batch still tracked"
        );
        assert_eq!(c.tm().producer_epoch, if late_bump { 3 } else { 2 });
        let b2 = c.deque(TP0)[0];
        let renumbered = match (fixed, late_bump) {
            (true, true) => (3, 0),
            _ => (2, 0),
        };
        assert_eq!(
            (b2.producer_epoch, b2.base_sequence),
            renumbered,
            "{version}"
        );
        assert_eq!(
            c.tm().first_in_flight_sequence(TP0),
            fixed.then_some(0),
            "{version}"
        );
    }
}
