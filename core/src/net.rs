//! The wire between nodes: messages with a delivery time. Requests and responses are
//! data, so the UI can draw every one in flight and the trace can name them.

use crate::broker::log::LogRecord;
use crate::config::{Acks, IsolationLevel};
use crate::controller::{PartitionChange, PartitionRegistration};
use crate::coordinator::{TxnRequest, TxnResponse};
use crate::errors::Errors;
use crate::metadata::{Cluster, TopicPartition};
use crate::producer::accumulator::BatchId;
use crate::record::RecordRef;
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Producer(u16),
    Broker(u32),
    /// The controller quorum: never fails in this model.
    Controller,
    Consumer(u16),
}

/// A batch as it travels in a `ProduceRequest` (the bytes of `MemoryRecords`).
#[derive(Clone, Debug, PartialEq)]
pub struct WireBatch {
    pub tp: TopicPartition,
    pub batch: BatchId,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records: Vec<WireRecord>,
    pub size_in_bytes: u32,
    /// Written inside a transaction (the batch header's transactional flag).
    pub transactional: bool,
}

/// A record of a `WireBatch`, with the producer's send index of it: the simulation's
/// ground truth for the delivery ledger (Kafka's bytes carry no such thing). One list,
/// not a list of each: a request's batches were two allocations apiece.
#[derive(Clone, Debug, PartialEq)]
pub struct WireRecord {
    pub data: RecordRef,
    pub send_index: u32,
}

/// `TransactionResult`: how a transaction ends, and which control record marks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TransactionResult {
    Commit,
    Abort,
}

/// One producer's marker for the partitions of its transaction (`TxnMarkerEntry`).
#[derive(Clone, Debug, PartialEq)]
pub struct TxnMarkerEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub coordinator_epoch: i32,
    pub result: TransactionResult,
    pub partitions: Vec<TopicPartition>,
}

/// The coordinator asks a partition leader to write control records (`WriteTxnMarkers`).
#[derive(Clone, Debug, PartialEq)]
pub struct WriteTxnMarkersRequest {
    pub id: u64,
    pub markers: Vec<TxnMarkerEntry>,
}

/// Per producer id and partition: NONE once the marker is written and replicated
/// (markers are appended with acks=all), else the error.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteTxnMarkersResponse {
    pub id: u64,
    pub results: Vec<(i64, TopicPartition, Errors)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProduceRequest {
    pub id: u64,
    /// The producer's `transactional.id` (ProduceRequest v3+): with it the leader verifies
    /// a transaction's first write to a partition with the coordinator (KIP-890, 3.6+).
    pub transactional_id: Option<Rc<str>>,
    pub acks: Acks,
    pub timeout_ms: u64,
    pub batches: Vec<WireBatch>,
}

/// `AddPartitionsToTxn` v4+ from a partition leader to the transactional id's coordinator
/// (`AddPartitionsToTxnManager`, KIP-890), before a producer's first transactional write
/// to the partitions: with `verify_only` (part 1, 3.6+) whether they are in its ongoing
/// transaction; without (part 2, transaction version 2) to add them to it.
#[derive(Clone, Debug, PartialEq)]
pub struct AddPartitionsToTxnRequest {
    pub id: u64,
    pub transactional_id: Rc<str>,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub verify_only: bool,
    pub partitions: Vec<TopicPartition>,
}

/// The coordinator's answer, per partition (`AddPartitionsToTxnResult`): NONE when the
/// partition is (now) in the transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct AddPartitionsToTxnResponse {
    pub id: u64,
    pub results: Vec<(TopicPartition, Errors)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitionResponse {
    pub tp: TopicPartition,
    pub batch: BatchId,
    pub base_offset: i64,
    pub error: Errors,
}

impl PartitionResponse {
    pub fn ok(tp: TopicPartition, batch: BatchId, base_offset: u64) -> Self {
        PartitionResponse {
            tp,
            batch,
            base_offset: base_offset as i64,
            error: Errors::None,
        }
    }

    pub fn error(tp: TopicPartition, batch: BatchId, error: Errors) -> Self {
        PartitionResponse {
            tp,
            batch,
            base_offset: -1,
            error,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProduceResponse {
    pub id: u64,
    pub partitions: Vec<PartitionResponse>,
}

/// One partition of a follower's `Fetch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchPartition {
    pub tp: TopicPartition,
    /// The follower's log end offset.
    pub fetch_offset: u64,
    /// The epoch of its last record (KIP-320): how the leader spots a diverging tail.
    pub last_fetched_epoch: Option<u32>,
    /// The leader epoch the follower believes current.
    pub current_leader_epoch: u32,
}

/// A consumer's fetch settings (a replica's fetch has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerFetch {
    pub isolation_level: IsolationLevel,
    pub max_wait_ms: u64,
    pub min_bytes: u64,
    pub max_partition_bytes: u64,
}

/// A `Fetch`: from a follower, every partition it follows on that leader; from a
/// consumer, every partition it reads there.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchRequest {
    pub id: u64,
    pub partitions: Vec<FetchPartition>,
    pub consumer: Option<ConsumerFetch>,
}

/// What the leader returns for one partition: the records from the fetch offset and its
/// high watermark, or where the follower's log diverges from its own, or an error.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedPartition {
    pub tp: TopicPartition,
    pub error: Errors,
    pub high_watermark: u64,
    pub last_stable_offset: u64,
    /// The leader's log start offset: where `earliest` is, and where a follower's own
    /// log start follows.
    pub log_start_offset: u64,
    pub records: Vec<LogRecord>,
    /// (epoch, end offset): truncate there before fetching again (KAFKA-10554, 2.8+).
    pub diverging_epoch: Option<(u32, u64)>,
    /// `read_committed` only: (producer id, first offset) of the aborted transactions
    /// overlapping the records, for the consumer to drop.
    pub aborted_transactions: Vec<(i64, u64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FetchResponse {
    pub id: u64,
    pub partitions: Vec<FetchedPartition>,
}

/// A leader asks the controller to change a partition's ISR.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterPartition {
    pub tp: TopicPartition,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    pub new_isr: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Produce(ProduceRequest),
    ProduceResponse(ProduceResponse),
    Fetch(FetchRequest),
    FetchResponse(FetchResponse),
    AlterPartition(AlterPartition),
    AlterPartitionResponse(TopicPartition, Result<PartitionRegistration, Errors>),
    /// Partition changes from the controller's metadata log, as a broker replays them,
    /// with the brokers fenced at that point.
    MetadataUpdate(Vec<PartitionChange>, Vec<u32>),
    /// A producer asks a broker for the cluster metadata (leaders of every partition).
    MetadataRequest,
    MetadataResponse(Rc<Cluster>),
    /// The peer's operating system closed (or refused) the connection: its process died.
    ConnectionClosed,
    /// An idempotent producer asks for its producer id (no `transactional.id`: any broker).
    InitProducerId,
    InitProducerIdResponse {
        producer_id: i64,
        producer_epoch: i16,
    },
    /// A transactional producer's request to a broker (FindCoordinator to any, the rest
    /// to its transaction coordinator), and the answer.
    TxnRequest(TxnRequest),
    TxnResponse(TxnResponse),
    /// From a transaction coordinator to a partition leader, and back.
    WriteTxnMarkers(WriteTxnMarkersRequest),
    WriteTxnMarkersResponse(WriteTxnMarkersResponse),
    /// From a partition leader to a transaction coordinator, and back (KIP-890).
    AddPartitionsToTxn(AddPartitionsToTxnRequest),
    AddPartitionsToTxnResponse(AddPartitionsToTxnResponse),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub sent_ms: u64,
    pub deliver_ms: u64,
    pub payload: Payload,
}

/// Messages in flight, each delivered `latency_ms` after it was sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    latency_ms: u64,
    next_id: u64,
    /// By id: ids only grow and messages mostly leave oldest first, so a deque sorted by
    /// id appends at one end and removes near the other, however many are in flight.
    in_flight: VecDeque<Message>,
}

impl Network {
    pub fn new(latency_ms: u64) -> Self {
        Network {
            latency_ms,
            next_id: 0,
            in_flight: VecDeque::new(),
        }
    }

    /// Puts a message on the wire, `extra_ms` slower than usual; returns its id and
    /// delivery time.
    pub fn send(
        &mut self,
        now: u64,
        from: Node,
        to: Node,
        payload: Payload,
        extra_ms: u64,
    ) -> (u64, u64) {
        let id = self.next_id;
        self.next_id += 1;
        let deliver_ms = now + self.latency_ms + extra_ms;
        self.in_flight.push_back(Message {
            id,
            from,
            to,
            sent_ms: now,
            deliver_ms,
            payload,
        });
        (id, deliver_ms)
    }

    /// Takes a message off the wire at its delivery time.
    pub fn deliver(&mut self, id: u64) -> Option<Message> {
        // Mostly the oldest (one latency for all): off the front, with no search and no
        // shifting.
        if self.in_flight.front().is_some_and(|m| m.id == id) {
            return self.in_flight.pop_front();
        }
        let i = self.in_flight.binary_search_by_key(&id, |m| m.id).ok()?;
        self.in_flight.remove(i)
    }

    /// Loses every message to or from `node` (its connections died with it).
    pub fn drop_node(&mut self, node: Node) {
        self.in_flight.retain(|m| m.from != node && m.to != node);
    }

    /// Loses every message on its way from `from` to `to` (the connection between them
    /// was closed at the receiving end: what was still coming is discarded).
    pub fn drop_between(&mut self, from: Node, to: Node) {
        self.in_flight.retain(|m| m.from != from || m.to != to);
    }

    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        self.in_flight.iter()
    }
}
