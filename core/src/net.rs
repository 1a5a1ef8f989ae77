//! The wire between nodes: messages with a delivery time. Requests and responses are
//! data, so the UI can draw every one in flight and the trace can name them.

use crate::broker::log::LogRecord;
use crate::config::Acks;
use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::producer::accumulator::BatchId;
use crate::record::RecordData;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Producer(u16),
    Broker(u32),
}

/// A batch as it travels in a `ProduceRequest` (the bytes of `MemoryRecords`).
#[derive(Clone, Debug, PartialEq)]
pub struct WireBatch {
    pub tp: TopicPartition,
    pub batch: BatchId,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records: Vec<Rc<RecordData>>,
    /// The producer's send index of each record: the simulation's ground truth for the
    /// delivery ledger (Kafka's bytes carry no such thing).
    pub send_indices: Vec<u32>,
    pub size_in_bytes: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProduceRequest {
    pub id: u64,
    pub acks: Acks,
    pub timeout_ms: u64,
    pub batches: Vec<WireBatch>,
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

/// A follower's `Fetch`: for each partition it follows on that leader, its log end offset.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchRequest {
    pub id: u64,
    pub partitions: Vec<(TopicPartition, u64)>,
}

/// What the leader returns for one partition: the records from the fetch offset and its
/// high watermark.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedPartition {
    pub tp: TopicPartition,
    pub high_watermark: u64,
    pub records: Vec<LogRecord>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FetchResponse {
    pub id: u64,
    pub partitions: Vec<FetchedPartition>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Produce(ProduceRequest),
    ProduceResponse(ProduceResponse),
    Fetch(FetchRequest),
    FetchResponse(FetchResponse),
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
    in_flight: BTreeMap<u64, Message>,
}

impl Network {
    pub fn new(latency_ms: u64) -> Self {
        Network {
            latency_ms,
            next_id: 0,
            in_flight: BTreeMap::new(),
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
        self.in_flight.insert(
            id,
            Message {
                id,
                from,
                to,
                sent_ms: now,
                deliver_ms,
                payload,
            },
        );
        (id, deliver_ms)
    }

    /// Takes a message off the wire at its delivery time.
    pub fn deliver(&mut self, id: u64) -> Option<Message> {
        self.in_flight.remove(&id)
    }

    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        self.in_flight.values()
    }
}
