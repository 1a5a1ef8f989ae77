//! The client: `KafkaProducer.send()` → serializer → partitioner → `RecordAccumulator`,
//! and the `Sender` that drains it into produce requests.

pub mod accumulator;
pub mod buffer_pool;
pub mod metrics;
pub mod partitioner;
pub mod sender;

use crate::config::{Acks, ProducerConfig};
use crate::effects::Effects;
use crate::errors::KafkaError;
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{Node, Payload, ProduceRequest, ProduceResponse, WireBatch};
use crate::record::RecordData;
use crate::rng::Rng;
use crate::scenario::{CustomPartitionerSpec, SendMode};
use crate::trace::TraceEvent;
use accumulator::{BatchId, RecordAccumulator};
use metrics::ProducerMetrics;
use partitioner::{partition_for_key, Partitioner};
use sender::{InFlightRequest, Sender};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Acked,
    Failed,
}

/// One record handed to `send()`: where it went and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct SendRecord {
    pub data: Rc<RecordData>,
    pub topic: u32,
    /// `None` when `send()` failed before a partition was chosen.
    pub partition: Option<u32>,
    pub mode: SendMode,
    pub created_ms: u64,
    pub batch: BatchId,
    pub sent_ms: Option<u64>,
    pub completed_ms: Option<u64>,
    pub outcome: Outcome,
    pub offset: i64,
    pub attempts: u32,
    pub error: Option<KafkaError>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KafkaProducer {
    pub id: u16,
    pub name: String,
    pub config: ProducerConfig,
    /// -1 unless idempotent. Assigned when the producer is created (the `InitProducerId`
    /// round trip is not modelled yet).
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub accumulator: RecordAccumulator,
    pub sender: Sender,
    /// The `partitioner.class` instance; `None` = the built-in partitioner (3.3+).
    pub partitioner: Option<Partitioner>,
    next_sequence: BTreeMap<TopicPartition, i32>,
    pub sends: Vec<SendRecord>,
    pub metrics: ProducerMetrics,
    wake_requested: bool,
    next_ready_check_ms: Option<u64>,
}

impl KafkaProducer {
    pub fn new(
        id: u16,
        name: String,
        config: ProducerConfig,
        producer_id: i64,
        topics: usize,
        custom: Option<&CustomPartitionerSpec>,
    ) -> Self {
        let accumulator = RecordAccumulator::new(
            config.version,
            config.batch_size,
            config.sticky_batch_size(),
            config.linger_ms,
            config.adaptive_partitioning,
            config.partitioner_availability_timeout_ms,
            topics,
        );
        let partitioner = config
            .partitioner_class
            .map(|c| Partitioner::new(c, config.version, custom));
        let sender = Sender::new(config.max_in_flight, config.max_request_size);
        let idempotent = config.idempotence;
        KafkaProducer {
            id,
            name,
            config,
            producer_id: if idempotent { producer_id } else { -1 },
            producer_epoch: if idempotent { 0 } else { -1 },
            accumulator,
            sender,
            partitioner,
            next_sequence: BTreeMap::new(),
            sends: Vec::new(),
            metrics: ProducerMetrics::default(),
            wake_requested: false,
            next_ready_check_ms: None,
        }
    }

    /// `KafkaProducer.partition()`: the record's partition, else `partitioner.class`, else
    /// murmur2 of the key (unless `partitioner.ignore.keys`), else `None` for the
    /// accumulator's built-in sticky partitioner.
    fn partition(
        &mut self,
        topic: u32,
        explicit: Option<u32>,
        data: &RecordData,
        rng: &mut Rng,
        cluster: &Cluster,
    ) -> Result<Option<u32>, KafkaError> {
        if let Some(p) = explicit {
            return Ok(Some(p));
        }
        if let Some(partitioner) = &mut self.partitioner {
            let key = data.key.as_ref().map(|k| (&*k.text, &k.bytes[..]));
            return partitioner
                .partition(topic, key, rng, cluster)
                .map(Some)
                .map_err(|e| KafkaError::InvalidRecord(e.0));
        }
        Ok(match data.key_bytes() {
            Some(key) if !self.config.partitioner_ignore_keys => {
                Some(partition_for_key(key, cluster.num_partitions(topic)))
            }
            _ => None,
        })
    }

    /// `KafkaProducer.send` → `doSend` with serialized key and value: partition, append
    /// (and, with a `partitioner.class`, `onNewBatch` and a second `partition()` call when
    /// the record needs a new batch). Returns the record's send index.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: u64,
        topic: u32,
        explicit: Option<u32>,
        data: RecordData,
        mode: SendMode,
        rng: &mut Rng,
        cluster: &Cluster,
        out: &mut Effects,
    ) -> u32 {
        let index = self.sends.len() as u32;
        let data = Rc::new(data);
        let mut record = SendRecord {
            data: Rc::clone(&data),
            topic,
            partition: None,
            mode,
            created_ms: now,
            batch: 0,
            sent_ms: None,
            completed_ms: None,
            outcome: Outcome::Pending,
            offset: -1,
            attempts: 0,
            error: None,
        };
        match self.append(now, index, topic, explicit, &data, rng, cluster) {
            Ok(result) => {
                if result.batch_is_full || result.new_batch_created {
                    self.wake_requested = true;
                }
                let tp = TopicPartition {
                    topic,
                    partition: result.partition,
                };
                out.events.push(TraceEvent::Send {
                    producer: self.id,
                    index,
                    tp,
                    batch: result.batch,
                    new_batch: result.new_batch_created,
                });
                record.partition = Some(result.partition);
                record.batch = result.batch;
            }
            Err(error) => {
                // An ApiException inside doSend reaches the callback at once, offset -1.
                out.events.push(TraceEvent::SendFailed {
                    producer: self.id,
                    index,
                    error: error.exception_name(),
                });
                self.metrics.record_error_total += 1;
                record.outcome = Outcome::Failed;
                record.completed_ms = Some(now);
                record.error = Some(error);
                out.completed.push((self.id, index));
            }
        }
        self.sends.push(record);
        index
    }

    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        now: u64,
        index: u32,
        topic: u32,
        explicit: Option<u32>,
        data: &Rc<RecordData>,
        rng: &mut Rng,
        cluster: &Cluster,
    ) -> Result<accumulator::AppendResult, KafkaError> {
        // 2.4–3.2 always have a partitioner.class (DefaultPartitioner by default); 3.3+
        // abort on a new batch only for one that is set (KIP-794).
        let abort_on_new_batch = self.partitioner.is_some();
        let partition = self.partition(topic, explicit, data, rng, cluster)?;
        let result = self.accumulator.append(
            topic,
            partition,
            index,
            data,
            abort_on_new_batch,
            now,
            rng,
            cluster,
        );
        if !result.abort_for_new_batch {
            return Ok(result);
        }
        if let Some(partitioner) = &mut self.partitioner {
            partitioner.on_new_batch(topic, result.partition, rng, cluster);
        }
        let partition = self.partition(topic, explicit, data, rng, cluster)?;
        Ok(self
            .accumulator
            .append(topic, partition, index, data, false, now, rng, cluster))
    }

    /// When the sender thread next has work: now if woken, else when a lingering batch
    /// becomes sendable. Responses wake it through `handle_produce_response`.
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        if self.wake_requested {
            Some(now)
        } else {
            self.next_ready_check_ms
                .filter(|_| self.accumulator.has_undrained())
        }
    }

    /// One pass of the sender thread: drain every ready leader into a produce request,
    /// again while something was drained (Kafka polls with timeout 0 then).
    pub fn run_once(&mut self, now: u64, cluster: &Cluster, out: &mut Effects) {
        self.wake_requested = false;
        loop {
            let (drained, next) =
                self.sender
                    .send_producer_data(&mut self.accumulator, cluster, now);
            self.next_ready_check_ms = next;
            if drained.is_empty() {
                return;
            }
            for (broker, mut batches) in drained {
                self.write_request(now, broker, &mut batches, out);
            }
        }
    }

    fn write_request(
        &mut self,
        now: u64,
        broker: u32,
        batches: &mut Vec<accumulator::ProducerBatch>,
        out: &mut Effects,
    ) {
        let id = self.sender.next_request_id();
        let mut wire = Vec::with_capacity(batches.len());
        let mut records = 0;
        let mut bytes = 0;
        let mut sizes = Vec::with_capacity(batches.len());
        let mut queue_times = Vec::with_capacity(batches.len());
        for batch in batches.iter_mut() {
            if self.config.idempotence {
                let seq = self.next_sequence.entry(batch.tp).or_insert(0);
                batch.producer_id = self.producer_id;
                batch.producer_epoch = self.producer_epoch;
                batch.base_sequence = *seq;
                *seq = seq.wrapping_add(batch.records.len() as i32);
            }
            for r in &batch.records {
                let s = &mut self.sends[r.index as usize];
                s.sent_ms = Some(now);
                s.attempts += 1;
            }
            records += batch.records.len() as u32;
            bytes += batch.size_in_bytes;
            sizes.push(batch.size_in_bytes);
            queue_times.push(now - batch.created_ms);
            wire.push(WireBatch {
                tp: batch.tp,
                batch: batch.id,
                producer_id: batch.producer_id,
                producer_epoch: batch.producer_epoch,
                base_sequence: batch.base_sequence,
                records: batch.records.iter().map(|r| r.data.clone()).collect(),
                size_in_bytes: batch.size_in_bytes,
            });
        }
        self.metrics
            .record_request(records as u64, &sizes, &queue_times);
        out.events.push(TraceEvent::RequestSent {
            producer: self.id,
            broker,
            request: id,
            batches: wire.len() as u32,
            records,
            bytes,
        });
        let acks = self.config.acks;
        out.messages.push((
            Node::Producer(self.id),
            Node::Broker(broker),
            Payload::Produce(ProduceRequest {
                id,
                acks,
                timeout_ms: self.config.request_timeout_ms,
                batches: wire,
            }),
        ));
        let batches = std::mem::take(batches);
        if acks == Acks::None {
            // acks=0: complete once written, with offset -1; nothing will come back.
            for batch in &batches {
                self.complete_batch(now, batch, -1, out);
            }
        } else {
            self.sender.add_in_flight(
                broker,
                InFlightRequest {
                    id,
                    sent_ms: now,
                    batches,
                },
            );
        }
    }

    fn complete_batch(
        &mut self,
        now: u64,
        batch: &accumulator::ProducerBatch,
        base_offset: i64,
        out: &mut Effects,
    ) {
        for (i, r) in batch.records.iter().enumerate() {
            let s = &mut self.sends[r.index as usize];
            s.outcome = Outcome::Acked;
            s.offset = if base_offset < 0 {
                -1
            } else {
                base_offset + i as i64
            };
            s.completed_ms = Some(now);
            out.completed.push((self.id, r.index));
        }
        out.events.push(TraceEvent::BatchCompleted {
            producer: self.id,
            batch: batch.id,
            tp: batch.tp,
            base_offset,
        });
    }

    /// `handleProduceResponse`: complete each batch of the answered request.
    pub fn handle_produce_response(
        &mut self,
        now: u64,
        broker: u32,
        response: &ProduceResponse,
        out: &mut Effects,
    ) {
        let Some(request) = self.sender.complete(broker, response.id) else {
            return;
        };
        self.metrics.record_response(now - request.sent_ms);
        for batch in &request.batches {
            let base = response
                .partitions
                .iter()
                .find(|p| p.batch == batch.id)
                .map_or(-1, |p| p.base_offset);
            self.complete_batch(now, batch, base, out);
        }
        self.wake_requested = true;
    }
}
