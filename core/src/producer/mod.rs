//! The client: `KafkaProducer.send()` → serializer → partitioner → `RecordAccumulator`,
//! and the `Sender` that drains it into produce requests.

pub mod accumulator;
pub mod buffer_pool;
pub mod metrics;
pub mod partitioner;
pub mod sender;
pub mod transaction_manager;

use crate::chunked::Chunked;
use crate::config::{Acks, ProducerConfig};
use crate::coordinator::{TransactionVersion, TxnResponse};
use crate::effects::Effects;
use crate::errors::{Errors, KafkaError};
use crate::metadata::{Cluster, TopicPartition};
use crate::net::{Node, Payload, ProduceRequest, ProduceResponse, WireBatch, WireRecord};
use crate::record::{FieldsSize, RecordBlock, RecordData, RecordRef};
use crate::rng::Rng;
use crate::scenario::{CustomPartitionerSpec, SendMode};
use crate::sort::sort_by_u64_key;
use crate::trace::TraceEvent;
use crate::vec_map::{VecMap, VecSet};
use accumulator::{AccumulatorConfig, AppendResult, BatchId, RecordAccumulator, SendReason};
use buffer_pool::{Allocation, BufferPool, Grant, WaiterId};
use metrics::ProducerMetrics;
use partitioner::{partition_for_key, Partitioner};
use sender::{Drained, InFlightRequest, Sender};
use std::rc::Rc;
use transaction_manager::{FailedBatch, InFlightKey, Offsets, TransactionManager, TxnOutcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Acked,
    Failed,
}

/// One record handed to `send()`: where it went and how it ended. Its optional
/// partitions and times keep `None` as their type's `MAX` (no partition or time is
/// that large), read through `Option`s: 24 bytes less a send. Its error, which few sends
/// have, is boxed: 24 bytes less again (a long run holds every send).
#[derive(Clone, Debug, PartialEq)]
pub struct SendRecord {
    pub data: RecordRef,
    pub topic: u32,
    /// The partition the application asked for, if it did (`explicit_partition()`).
    explicit_partition: u32,
    /// `None` when `send()` failed before a partition was chosen (`partition()`).
    partition: u32,
    pub mode: SendMode,
    /// When this `send()` call was made (a re-send after a restart is a new call: its
    /// delivery timeout starts again).
    pub created_ms: u64,
    /// When the application first handed the record to `send()`, before any restart.
    pub first_created_ms: u64,
    pub batch: BatchId,
    /// `sent_ms()`, `completed_ms()`.
    sent_ms: u64,
    completed_ms: u64,
    pub outcome: Outcome,
    pub offset: i64,
    pub attempts: u32,
    pub error: Option<Box<KafkaError>>,
}

/// What the network hands the client between two polls.
#[derive(Clone, Debug, PartialEq)]
enum Incoming {
    Produce(u32, ProduceResponse),
    Metadata(u32, Rc<Cluster>),
    /// The broker's process died under the connection.
    Closed(u32),
    ProducerId(u32, i64, i16),
    Txn(u32, TxnResponse),
}

impl SendRecord {
    /// A record just handed to `send()`.
    fn new(
        data: RecordRef,
        topic: u32,
        explicit_partition: Option<u32>,
        mode: SendMode,
        now: u64,
    ) -> Self {
        debug_assert_ne!(
            explicit_partition,
            Some(u32::MAX),
            "a partition, not `None`"
        );
        SendRecord {
            data,
            topic,
            explicit_partition: explicit_partition.unwrap_or(u32::MAX),
            partition: u32::MAX,
            mode,
            created_ms: now,
            first_created_ms: now,
            batch: 0,
            sent_ms: u64::MAX,
            completed_ms: u64::MAX,
            outcome: Outcome::Pending,
            offset: -1,
            attempts: 0,
            error: None,
        }
    }

    /// The partition the application asked for, if it did.
    pub fn explicit_partition(&self) -> Option<u32> {
        (self.explicit_partition != u32::MAX).then_some(self.explicit_partition)
    }

    /// `None` when `send()` failed before a partition was chosen.
    pub fn partition(&self) -> Option<u32> {
        (self.partition != u32::MAX).then_some(self.partition)
    }

    pub fn sent_ms(&self) -> Option<u64> {
        (self.sent_ms != u64::MAX).then_some(self.sent_ms)
    }

    pub fn completed_ms(&self) -> Option<u64> {
        (self.completed_ms != u64::MAX).then_some(self.completed_ms)
    }
}

/// The transactional API (`KafkaProducer.initTransactions` …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactionalCall {
    Init,
    Begin,
    Commit,
    Abort,
    /// `sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(group_id))`: blocks
    /// until the group coordinator has the offsets.
    SendOffsets {
        group_id: String,
        offsets: Offsets,
    },
}

/// A record of `sends` on its way into a batch: its index and what `send()` was given.
#[derive(Clone, Copy)]
struct Sending<'a> {
    index: u32,
    topic: u32,
    explicit: Option<u32>,
    data: &'a RecordRef,
    /// What its key and value add to its size, worked out once.
    fields: FieldsSize,
}

/// What a `send()` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// It came back; else it blocks for memory (`returned` in the effects says when).
    pub returned: bool,
    /// Nothing `poll_timeout` reads changed: the sender thread's next wake-up stands, and
    /// its caller need not ask for it again.
    pub quiet: bool,
}

/// Where a blocked `send()` resumes once its memory comes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct BlockedAppend {
    index: u32,
    topic: u32,
    partition: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KafkaProducer {
    pub id: u16,
    pub name: String,
    pub config: ProducerConfig,
    pub accumulator: RecordAccumulator,
    pub sender: Sender,
    /// The idempotent producer's id, epoch and sequences; `None` when not idempotent.
    /// The id comes from a broker (`InitProducerId`) before the first batch is sent.
    pub tm: Option<TransactionManager>,
    /// The `partitioner.class` instance; `None` = the built-in partitioner (3.3+).
    pub partitioner: Option<Partitioner>,
    pub sends: Chunked<SendRecord>,
    /// Where `send()` puts the records it is handed.
    records: RecordBlock,
    pub metrics: ProducerMetrics,
    /// `buffer.memory`: every open or unfinished batch holds its capacity from it.
    pub pool: BufferPool,
    /// `send()` calls blocked in `BufferPool.allocate`, by waiter.
    blocked: VecMap<WaiterId, BlockedAppend>,
    /// Waiters whose memory came, to resume.
    grants: Vec<Grant>,
    /// Per `flush()` call still waiting: the batches incomplete when it was called.
    flushes: Vec<VecSet<BatchId>>,
    /// `close()` was called.
    closed: bool,
    /// What this producer knows of the cluster: the leaders it sends to. Fetched again
    /// when a leader fails it (`Metadata.requestUpdate`).
    pub metadata: Rc<Cluster>,
    metadata_requested: bool,
    /// The broker asked for metadata, and when.
    metadata_in_flight: Option<(u32, u64)>,
    /// The broker asked for a producer id, and when.
    init_in_flight: Option<(u32, u64)>,
    /// Responses and connection events delivered and not yet handled by the sender
    /// thread's `poll`.
    inbox: Vec<Incoming>,
    wake_requested: bool,
    next_ready_check_ms: Option<u64>,
}

impl KafkaProducer {
    pub fn new(
        id: u16,
        name: String,
        config: ProducerConfig,
        metadata: Rc<Cluster>,
        custom: Option<&CustomPartitionerSpec>,
    ) -> Self {
        let accumulator =
            RecordAccumulator::new(AccumulatorConfig::of(&config), metadata.topics.len());
        let partitioner = config
            .partitioner_class
            .map(|c| Partitioner::new(c, config.version, custom));
        let sender = Sender::new(
            config.max_in_flight,
            config.max_request_size,
            config.request_timeout_ms,
        );
        let mut tm = match &config.transactional_id {
            Some(id) => Some(
                TransactionManager::transactional(id, config.transaction_timeout_ms)
                    .with_transaction_version(TransactionVersion::of(config.version)),
            ),
            None => config.idempotence.then(TransactionManager::default),
        };
        if let Some(tm) = &mut tm {
            tm.compares_producer_state =
                transaction_manager::compares_producer_state(config.version);
        }
        let pool = BufferPool::new(config.version, config.buffer_memory, config.poolable_size());
        KafkaProducer {
            id,
            name,
            config,
            accumulator,
            sender,
            tm,
            partitioner,
            sends: Chunked::new(),
            records: RecordBlock::default(),
            metrics: ProducerMetrics::default(),
            pool,
            blocked: VecMap::new(),
            grants: Vec::new(),
            flushes: Vec::new(),
            closed: false,
            metadata,
            metadata_requested: false,
            metadata_in_flight: None,
            init_in_flight: None,
            inbox: Vec::new(),
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
        // Asked for every record: the answers that need no work stay small enough to be
        // made where `send()` asks.
        match explicit {
            Some(p) => Ok(Some(p)),
            None if self.partitioner.is_none() && data.key.is_none() => Ok(None),
            None => self.chosen_partition(topic, data, rng, cluster),
        }
    }

    /// `partition()` for a record without a partition: `partitioner.class`, else the key's.
    /// Out of line, so that `partition()` stays small.
    #[inline(never)]
    fn chosen_partition(
        &mut self,
        topic: u32,
        data: &RecordData,
        rng: &mut Rng,
        cluster: &Cluster,
    ) -> Result<Option<u32>, KafkaError> {
        if let Some(partitioner) = &mut self.partitioner {
            let key = data.key.as_ref().map(|k| (k.text(), k.bytes()));
            return partitioner
                .partition(topic, key.as_ref().map(|(t, b)| (&**t, &**b)), rng, cluster)
                .map(Some)
                .map_err(|e| KafkaError::InvalidRecord(e.0));
        }
        Ok(match data.key_bytes() {
            Some(key) if !self.config.partitioner_ignore_keys => {
                Some(partition_for_key(&key, cluster.num_partitions(topic)))
            }
            _ => None,
        })
    }

    /// `KafkaProducer.send` → `doSend` with serialized key and value: size check,
    /// partition, append (and, with a `partitioner.class`, `onNewBatch` and a second
    /// `partition()` call when the record needs a new batch). A new batch takes memory
    /// from the `BufferPool`; when there is none the call blocks (up to `max.block.ms`), not
    /// `returned`: the record's index is `sends.len() - 1`, and `returned` in the effects
    /// says when `send()` comes back. `fields` is what the record's key and value add to its
    /// size (`FieldsSize::of` them: its caller knows it for all its records).
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: u64,
        topic: u32,
        explicit: Option<u32>,
        data: RecordData,
        fields: FieldsSize,
        mode: SendMode,
        rng: &mut Rng,
        out: &mut Effects,
    ) -> Sent {
        let index = self.sends.len() as u32;
        debug_assert_eq!(fields, FieldsSize::of(data.key_len(), data.value_len()));
        let data = self.records.make(data);
        let record = SendRecord::new(data.clone(), topic, explicit, mode, now);
        self.sends.push(record);
        let record = Sending {
            index,
            topic,
            explicit,
            data: &data,
            fields,
        };
        self.do_send(now, record, rng, out)
    }

    /// `send()` again, by a restarted application, for a record it never saw
    /// acknowledged: the same record (same index), a fresh attempt.
    pub fn resend(&mut self, now: u64, index: u32, rng: &mut Rng, out: &mut Effects) -> bool {
        let s = &mut self.sends[index as usize];
        let (first, data, topic, explicit) = (
            s.first_created_ms,
            s.data.clone(),
            s.topic,
            s.explicit_partition(),
        );
        *s = SendRecord::new(data.clone(), topic, explicit, s.mode, now);
        s.first_created_ms = first;
        let record = Sending {
            index,
            topic,
            explicit,
            data: &data,
            fields: FieldsSize::of(data.key_len(), data.value_len()),
        };
        self.do_send(now, record, rng, out).returned
    }

    /// Sends `record` of `sends`; its caller passes on what it was given rather than this
    /// reading it back from the record just written.
    fn do_send(&mut self, now: u64, record: Sending, rng: &mut Rng, out: &mut Effects) -> Sent {
        let index = record.index;
        let metadata = Rc::clone(&self.metadata);
        let cluster = &*metadata;
        // Woken already, the sender's next wake-up is now whatever the send changes;
        // with no memory waiters nor grants there is nothing to expire or resume, and
        // the pool is left as it was.
        let woken = self.wake_requested;
        let pool_idle = self.grants.is_empty() && self.pool.next_timeout().is_none();
        if !pool_idle {
            self.expire_waiters(now, rng, cluster, out);
        }
        let mut joined = false;
        let returned = match self.append(now, record, rng, cluster, out) {
            Ok(Some(new_batch)) => {
                joined = !new_batch;
                true
            }
            Ok(None) => {
                out.events.push(TraceEvent::SendBlocked {
                    producer: self.id,
                    index,
                    available: self.pool.available_memory(),
                });
                false
            }
            Err(error) => {
                self.send_failed(now, index, error, out);
                true
            }
        };
        if !self.grants.is_empty() {
            self.resume_granted(now, rng, cluster, out);
        }
        // A record joining an open batch moves no front of a deque (the delivery
        // timeouts), and one that did not wake the sender leaves its timers alone.
        let quiet = woken || (pool_idle && joined && !self.wake_requested);
        Sent { returned, quiet }
    }

    /// A new instance after the application restarted (`restart_producer`): nothing of
    /// this one survives — batches, connections, producer id, metrics — except the
    /// application's own record of what it sent, and request ids go on from here so that
    /// an answer meant for the old instance is not taken for a new request's.
    pub fn restarted(&self, custom: Option<&CustomPartitionerSpec>) -> KafkaProducer {
        let mut new = KafkaProducer::new(
            self.id,
            self.name.clone(),
            self.config.clone(),
            Rc::clone(&self.metadata),
            custom,
        );
        new.sends = self.sends.clone();
        // One client id's series goes on, as a monitoring system shows it; the totals
        // start again with the new instance.
        new.metrics.sensors = self.metrics.sensors.clone();
        new.sender.continue_request_ids(&self.sender);
        new
    }

    /// `ensureValidRecordSize`: a record that could never fit a request or the buffer.
    fn check_record_size(&self, fields: FieldsSize) -> Result<(), KafkaError> {
        let size = fields.upper_bound() as u64;
        if size > self.config.max_request_size as u64 {
            return Err(KafkaError::RecordTooLarge(format!(
                "The message is {size} bytes when serialized which is larger than {}, which is the value of the max.request.size configuration.",
                self.config.max_request_size
            )));
        }
        if size > self.config.buffer_memory {
            return Err(KafkaError::RecordTooLarge(format!(
                "The message is {size} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration."
            )));
        }
        Ok(())
    }

    /// The record is in a batch: trace it, wake the sender if a batch filled or opened,
    /// and add its partition to the transaction.
    fn appended(&mut self, index: u32, topic: u32, result: &AppendResult, out: &mut Effects) {
        if result.batch_is_full || result.new_batch_created {
            self.wake_requested = true;
        }
        let tp = TopicPartition {
            topic,
            partition: result.partition,
        };
        if let Some(tm) = &mut self.tm {
            // Only a transaction has partitions to add (`add_partition` does nothing without).
            if tm.is_transactional() {
                tm.add_partition(tp);
                self.wake_requested = true;
            }
        }
        out.events.push(TraceEvent::Send {
            producer: self.id,
            index,
            tp,
            batch: result.batch,
            new_batch: result.new_batch_created,
        });
        let record = &mut self.sends[index as usize];
        record.partition = result.partition;
        record.batch = result.batch;
    }

    /// An `ApiException` inside `doSend` reaches the callback at once, offset -1.
    fn send_failed(&mut self, now: u64, index: u32, error: KafkaError, out: &mut Effects) {
        out.events.push(TraceEvent::SendFailed {
            producer: self.id,
            index,
            error: error.exception_name(),
        });
        self.metrics.record_errors(now, 1);
        let record = &mut self.sends[index as usize];
        record.outcome = Outcome::Failed;
        record.completed_ms = now;
        record.error = Some(Box::new(error));
        out.completed.push((self.id, index));
    }

    /// Appends and traces the record (`appended`); returns whether it opened a new batch,
    /// or `None` when the append waits for memory. The result is read where the
    /// accumulator wrote it: returned, it was copied just after its stores (a stall).
    fn append(
        &mut self,
        now: u64,
        record: Sending,
        rng: &mut Rng,
        cluster: &Cluster,
        out: &mut Effects,
    ) -> Result<Option<bool>, KafkaError> {
        let Sending {
            index,
            topic,
            explicit,
            data,
            fields,
        } = record;
        // throwIfProducerClosed: thrown from send() itself.
        if self.closed {
            return Err(KafkaError::IllegalState(
                "Cannot perform operation after producer has been closed".into(),
            ));
        }
        self.check_record_size(fields)?;
        // `maybeAddPartition`'s checks, made before the append here so that a refused
        // record does not stay behind in a batch.
        if let Some(tm) = &self.tm {
            tm.check_ready_for_send()?;
        }
        // 2.4–3.2 always have a partitioner.class (DefaultPartitioner by default); 3.3+
        // abort on a new batch only for one that is set (KIP-794).
        let abort_on_new_batch = self.partitioner.is_some();
        let mut partition = self.partition(topic, explicit, data, rng, cluster)?;
        // Sticky records fill one batch at a time and nearly all join it: that case first.
        // A keyed record's partition more often has no open batch, and a miss costs a lookup.
        let joined = match partition {
            None => self
                .accumulator
                .append_to_sticky_batch(topic, index, data, fields, now, rng, cluster),
            Some(_) => None,
        };
        let mut result = match joined {
            Some(result) => result,
            None => self.accumulator.append(
                topic,
                partition,
                index,
                data,
                fields,
                abort_on_new_batch,
                None,
                now,
                rng,
                cluster,
            ),
        };
        if result.abort_for_new_batch {
            if let Some(partitioner) = &mut self.partitioner {
                partitioner.on_new_batch(topic, result.partition, rng, cluster);
            }
            partition = self.partition(topic, explicit, data, rng, cluster)?;
            result = self.accumulator.append(
                topic, partition, index, data, fields, false, None, now, rng, cluster,
            );
        }
        if let Some(size) = result.needs_buffer {
            match self.pool.allocate(size, now, self.config.max_block_ms)? {
                Allocation::Granted => {
                    result = self.append_with_buffer(
                        topic, partition, index, data, fields, size, now, rng, cluster,
                    );
                }
                Allocation::Blocked(waiter) => {
                    self.blocked.insert(
                        waiter,
                        BlockedAppend {
                            index,
                            topic,
                            partition,
                        },
                    );
                    return Ok(None);
                }
            }
        }
        self.appended(index, topic, &result, out);
        Ok(Some(result.new_batch_created))
    }

    /// The second half of `append`, with memory in hand; a buffer that turns out not to be
    /// needed goes straight back (Kafka's `finally { free.deallocate(buffer) }`).
    #[allow(clippy::too_many_arguments)]
    fn append_with_buffer(
        &mut self,
        topic: u32,
        partition: Option<u32>,
        index: u32,
        data: &RecordRef,
        fields: FieldsSize,
        size: u32,
        now: u64,
        rng: &mut Rng,
        cluster: &Cluster,
    ) -> AppendResult {
        let result = self.accumulator.append(
            topic,
            partition,
            index,
            data,
            fields,
            false,
            Some(size),
            now,
            rng,
            cluster,
        );
        if let Some(unused) = result.unused_buffer {
            self.free(unused, now);
        }
        result
    }

    /// Gives memory back to the pool; waiters it completes resume in `resume_granted`.
    fn free(&mut self, size: u32, now: u64) {
        // Split batches were made outside the pool (`isSplitBatch`): nothing to give back.
        if size == 0 {
            return;
        }
        let grants = self.pool.deallocate(size, now);
        self.grants.extend(grants);
    }

    /// `BufferPool` waiters past `max.block.ms` fail with `BufferExhaustedException`.
    fn expire_waiters(&mut self, now: u64, rng: &mut Rng, cluster: &Cluster, out: &mut Effects) {
        // Every wake-up comes here; nearly always nobody waits.
        if self.pool.queued() > 0 {
            let expired = self.pool.expire(now);
            self.grants.extend(expired.granted);
            for (waiter, error) in expired.exhausted {
                if let Some(blocked) = self.blocked.remove(&waiter) {
                    self.send_failed(now, blocked.index, error, out);
                    out.returned.push((self.id, blocked.index));
                }
            }
        }
        // Every wake-up comes here too, and nearly always nothing was granted.
        if !self.grants.is_empty() {
            self.resume_granted(now, rng, cluster, out);
        }
    }

    /// Blocked `send()` calls whose memory came: they append and return.
    fn resume_granted(&mut self, now: u64, rng: &mut Rng, cluster: &Cluster, out: &mut Effects) {
        while !self.grants.is_empty() {
            for grant in std::mem::take(&mut self.grants) {
                let Some(b) = self.blocked.remove(&grant.waiter) else {
                    continue;
                };
                let data = self.sends[b.index as usize].data.clone();
                let result = self.append_with_buffer(
                    b.topic,
                    b.partition,
                    b.index,
                    &data,
                    FieldsSize::of(data.key_len(), data.value_len()),
                    grant.size,
                    now,
                    rng,
                    cluster,
                );
                self.appended(b.index, b.topic, &result, out);
                out.returned.push((self.id, b.index));
            }
        }
    }

    /// `flush()` (`beginFlush` … `awaitFlushCompletion`): every batch is sendable at once,
    /// until all batches incomplete at the call have completed.
    pub fn flush(&mut self) {
        let pending: VecSet<BatchId> = self
            .accumulator
            .batch_ids()
            .chain(self.sender.batch_ids())
            .collect();
        if !pending.is_empty() {
            self.flushes.push(pending);
            self.wake_requested = true;
        }
    }

    /// `close()` (without a timeout): `initiateClose` makes every batch sendable at once; the
    /// sender finishes what is queued and in flight; `send()` is refused from now on.
    pub fn close(&mut self) {
        self.closed = true;
        self.wake_requested = true;
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A transactional API call by scenario action `action`: `initTransactions`,
    /// `beginTransaction`, `commitTransaction` or `abortTransaction`. Returns `Ok(true)` when
    /// it blocks until the sender thread completes it (reported in `txn_returned`), or
    /// what it threw at once.
    pub fn transactional_call(
        &mut self,
        now: u64,
        action: u32,
        call: TransactionalCall,
        out: &mut Effects,
    ) -> Result<bool, KafkaError> {
        if self.closed {
            return Err(KafkaError::IllegalState(
                "Cannot perform operation after producer has been closed".into(),
            ));
        }
        let tm = self.tm.as_mut().ok_or_else(|| {
            KafkaError::IllegalState(
                "Cannot use transactional methods without enabling transactions by setting the transactional.id configuration property".into(),
            )
        })?;
        let transition = match &call {
            TransactionalCall::Init => Some(tm.initialize_transactions()?),
            TransactionalCall::Begin => Some(tm.begin_transaction()?),
            TransactionalCall::Commit => Some(tm.begin_commit()?),
            TransactionalCall::Abort => Some(tm.begin_abort()?),
            TransactionalCall::SendOffsets { group_id, offsets } => {
                tm.send_offsets_to_transaction(group_id, offsets.clone())?;
                None
            }
        };
        if let Some((from, to)) = transition {
            out.events.push(TraceEvent::TxnClientState {
                producer: self.id,
                from,
                to,
            });
        }
        if call == TransactionalCall::Begin {
            return Ok(false);
        }
        if call == TransactionalCall::Abort {
            // Batches never sent fail now; the abort waits only for those in flight.
            for batch in self.accumulator.abort_undrained_batches() {
                let error = KafkaError::TransactionAborted(
                    "Failing batch since transaction was aborted".into(),
                );
                self.fail_batch(now, &batch, error, false, out);
            }
        }
        let offsets = matches!(call, TransactionalCall::SendOffsets { .. });
        let tm = self.tm.as_mut().expect("checked");
        tm.block(action, now + self.config.max_block_ms, offsets);
        self.wake_requested = true;
        Ok(true)
    }

    /// Whether a `flush()` is waiting for batches to complete.
    pub fn flush_in_progress(&self) -> bool {
        !self.flushes.is_empty()
    }

    /// A batch completed or failed for good: flushes waiting on it may be done.
    fn batch_done(&mut self, id: BatchId) {
        for pending in &mut self.flushes {
            pending.remove(&id);
        }
        self.flushes.retain(|p| !p.is_empty());
    }

    /// The record whose `send()` is blocked waiting for `buffer.memory`, if any.
    pub fn blocked_in_send(&self) -> Option<u32> {
        self.blocked.values().map(|b| b.index).next()
    }

    /// When the sender thread next has work: now if woken, else the earliest of a
    /// lingering or backing-off batch becoming sendable, a delivery timeout, a request
    /// timeout.
    /// The metrics as Kafka names them, with the buffer pool's and the in-flight count.
    pub fn metrics_report(&self) -> metrics::ProducerMetricsReport {
        let in_flight = self.sender.in_flight.values().map(|q| q.len()).sum();
        self.metrics.report(&self.pool, in_flight)
    }

    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        if self.wake_requested {
            return Some(now);
        }
        let metadata = if self.metadata_requested && self.metadata_in_flight.is_none() {
            Some(self.sender.next_connectable_ms(self.metadata.brokers, now))
        } else {
            self.metadata_in_flight
                .map(|(_, sent)| sent + self.config.request_timeout_ms + 1)
        };
        let needs_id = self
            .tm
            .as_ref()
            .is_some_and(|tm| !tm.has_producer_id() && !tm.is_transactional());
        let init = match self.init_in_flight {
            Some((_, sent)) => Some(sent + self.config.request_timeout_ms + 1),
            None if needs_id => Some(self.sender.next_connectable_ms(self.metadata.brokers, now)),
            None => None,
        };
        let delivery = self.accumulator.delivery_timeout_ms();
        // One pass over the deques: a queued batch is what has an expiry.
        let expiry = self.accumulator.next_expiry_ms();
        let undrained = expiry.is_some();
        let has_incomplete = undrained || self.sender.batch_ids().next().is_some();
        let txn = self.tm.as_ref().and_then(|tm| tm.txn.as_ref());
        // A FindCoordinator goes to any broker: not before one is connectable.
        let txn_request = self.tm.as_ref().and_then(|tm| {
            let at = tm.next_request_at(has_incomplete)?;
            let lookup = tm.txn.as_ref().is_some_and(|t| t.coordinator.is_none());
            Some(if lookup {
                at.max(self.sender.next_connectable_ms(self.metadata.brokers, now))
            } else {
                at
            })
        });
        let txn_timeout = txn
            .and_then(|t| t.in_flight)
            .map(|(_, _, sent)| sent + self.config.request_timeout_ms + 1);
        let blocked = txn.and_then(|t| t.blocked.iter().map(|b| b.deadline).min());
        [
            txn_request,
            txn_timeout,
            blocked,
            self.next_ready_check_ms.filter(|_| undrained),
            expiry,
            self.sender.next_in_flight_expiry_ms(delivery),
            self.sender.next_request_timeout_ms(),
            self.pool.next_timeout(),
            metadata,
            init,
        ]
        .into_iter()
        // A fold unrolls into compares; `flatten().min()` stepped an iterator per slot.
        .fold(None, |earliest, t| match (earliest, t) {
            (Some(e), Some(t)) => Some(t.min(e)),
            (e, t) => e.or(t),
        })
        .map(|t| t.max(now))
    }

    /// A produce response reached the client: the sender thread handles it in its poll.
    pub fn receive(&mut self, broker: u32, response: ProduceResponse) {
        self.inbox.push(Incoming::Produce(broker, response));
        self.wake_requested = true;
    }

    /// A metadata response reached the client.
    pub fn receive_metadata(&mut self, broker: u32, metadata: Rc<Cluster>) {
        self.inbox.push(Incoming::Metadata(broker, metadata));
        self.wake_requested = true;
    }

    /// A broker's answer to `InitProducerId`.
    pub fn receive_producer_id(&mut self, broker: u32, producer_id: i64, producer_epoch: i16) {
        self.inbox
            .push(Incoming::ProducerId(broker, producer_id, producer_epoch));
        self.wake_requested = true;
    }

    /// A broker's answer to a transactional request.
    pub fn receive_txn(&mut self, broker: u32, response: TxnResponse) {
        self.inbox.push(Incoming::Txn(broker, response));
        self.wake_requested = true;
    }

    /// The broker's end of a connection closed: its process died.
    pub fn connection_closed(&mut self, broker: u32) {
        self.inbox.push(Incoming::Closed(broker));
        self.wake_requested = true;
    }

    /// One pass of the sender thread (`Sender.runOnce`): `sendProducerData` — drain
    /// ready leaders, expire batches past `delivery.timeout.ms`, write the requests — then
    /// `client.poll` — handle responses, then requests past `request.timeout.ms`. Again
    /// while anything happened (Kafka polls with timeout 0 then).
    pub fn run_once(&mut self, now: u64, rng: &mut Rng, out: &mut Effects) {
        self.wake_requested = false;
        let expired = self
            .tm
            .as_mut()
            .map_or_else(Vec::new, |tm| tm.expire_blocked(now));
        for action in expired {
            let error = KafkaError::Timeout(format!(
                "Timeout expired after {}ms while awaiting the transactional request",
                self.config.max_block_ms
            ));
            out.events.push(TraceEvent::TxnCallReturned {
                producer: self.id,
                action,
                error: Some(error.exception_name()),
            });
            out.txn_returned.push((self.id, action, Some(error)));
        }
        let metadata = Rc::clone(&self.metadata);
        let cluster = &*metadata;
        self.expire_waiters(now, rng, cluster, out);
        loop {
            // Kafka's `runOnce` begins with the sequences: resolve those of expired
            // batches, and bump the epoch if a gap asked for it. An idempotent producer
            // sends nothing before it has its producer id
            // (`Sender.maybeSendAndPollTransactionalRequest` returns first).
            if let Some(tm) = &mut self.tm {
                tm.maybe_resolve_sequences();
            }
            self.maybe_bump_epoch(out);
            let txn_busy = self.maybe_send_transactional_request(now, rng, out);
            let can_produce = !txn_busy && self.tm.as_ref().is_none_or(|tm| tm.has_producer_id());
            let completing = self
                .tm
                .as_ref()
                .is_some_and(TransactionManager::is_completing);
            // Why every batch is sendable now, if it is (`exhausted || flushInProgress() ||
            // closed`; a completing transaction has begun a flush).
            let expedite = if self.pool.queued() > 0 {
                Some(SendReason::BufferExhausted)
            } else if !self.flushes.is_empty() {
                Some(SendReason::Flush)
            } else if completing {
                Some(SendReason::EndTransaction)
            } else if self.closed {
                Some(SendReason::Close)
            } else {
                None
            };
            let (mut drained, next) = if can_produce {
                self.sender.send_producer_data(
                    &mut self.accumulator,
                    self.tm.as_mut(),
                    expedite.is_some(),
                    cluster,
                    now,
                    rng,
                )
            } else {
                let needs_id =
                    |tm: &TransactionManager| !tm.has_producer_id() && !tm.is_transactional();
                if self.tm.as_ref().is_some_and(needs_id) {
                    self.maybe_init_producer_id(now, rng, out);
                }
                (Drained::new(), None)
            };
            self.next_ready_check_ms = next;
            let expired = self.expire_batches(now, &mut drained, out);
            let drained_any = !drained.is_empty();
            for (&broker, batches) in &mut drained {
                self.write_request(now, broker, batches, expedite, out);
            }
            // Written, so emptied: the accumulator drains into it again.
            drained.clear();
            self.accumulator.spare_drained = drained;
            let polled = self.poll(now, out);
            self.maybe_update_metadata(now, rng, out);
            if !self.grants.is_empty() {
                self.resume_granted(now, rng, cluster, out);
            }
            if !Rc::ptr_eq(&metadata, &self.metadata) {
                // New leaders: the next pass drains with them.
                self.wake_requested = true;
                return;
            }
            if !drained_any && !expired && !polled {
                return;
            }
        }
    }

    /// KIP-360 (`bumpIdempotentEpochAndResetIdIfNeeded`): the next epoch, and for each
    /// partition with a gap every batch it tracks — waiting to be retried or in a request
    /// still out — renumbered from 0 in sequence order (`startSequencesAtBeginning`).
    /// Nothing waits for the requests in flight: an answer to one finds its batch
    /// renumbered, and a retry of it goes out under the new epoch.
    fn maybe_bump_epoch(&mut self, out: &mut Effects) {
        let Some(tm) = &mut self.tm else {
            return;
        };
        if !tm.epoch_bump_required() {
            return;
        }
        for (tp, keys) in tm.bump_epoch() {
            let mut tracked =
                tracked_batches(&mut self.accumulator, &mut self.sender, tm, tp, &keys);
            // By base sequence (an i32: its sign bit flipped orders it as a u64).
            sort_by_u64_key(&mut tracked, |b| {
                u64::from(b.base_sequence as u32 ^ 1 << 31)
            });
            for b in tracked {
                let (epoch, base) = tm.resequence(tp, b.records.len() as u32);
                b.resequence(tm.producer_id, epoch, base);
            }
        }
        out.events.push(TraceEvent::EpochBumped {
            producer: self.id,
            producer_id: tm.producer_id,
            producer_epoch: tm.producer_epoch,
        });
    }

    /// What a transactional response or failure changed: trace the client's transition,
    /// take a new producer id, report a returned call.
    fn txn_outcome(&mut self, outcome: TxnOutcome, out: &mut Effects) {
        if let Some((from, to)) = outcome.transition {
            out.events.push(TraceEvent::TxnClientState {
                producer: self.id,
                from,
                to,
            });
        }
        if let Some((producer_id, producer_epoch)) = outcome.producer_id {
            out.events.push(TraceEvent::ProducerIdAssigned {
                producer: self.id,
                broker: self.tm_coordinator().unwrap_or(0),
                producer_id,
                producer_epoch,
            });
        }
        if let Some((producer_id, producer_epoch)) = outcome.epoch_bumped {
            out.events.push(TraceEvent::TxnEpochBumped {
                producer: self.id,
                producer_id,
                producer_epoch,
            });
        }
        for (action, error) in outcome.returned {
            out.events.push(TraceEvent::TxnCallReturned {
                producer: self.id,
                action,
                error: error.as_ref().map(KafkaError::exception_name),
            });
            out.txn_returned.push((self.id, action, error));
        }
    }

    fn tm_coordinator(&self) -> Option<u32> {
        self.tm.as_ref()?.txn.as_ref()?.coordinator
    }

    /// `maybeSendAndPollTransactionalRequest`: while completing a transaction, flush (and
    /// when aborting, drop what was never sent); send the next coordinator request if one
    /// may go. Returns whether a coordinator request is out: produce data waits then.
    fn maybe_send_transactional_request(
        &mut self,
        now: u64,
        rng: &mut Rng,
        out: &mut Effects,
    ) -> bool {
        let Some(tm) = &mut self.tm else { return false };
        if !tm.is_transactional() {
            return false;
        }
        if tm.has_in_flight_request() {
            return true;
        }
        if tm.is_aborting() {
            for batch in self.accumulator.abort_undrained_batches() {
                let error = KafkaError::TransactionAborted(
                    "Failing batch since transaction was aborted".into(),
                );
                self.fail_batch(now, &batch, error, false, out);
            }
        }
        let has_incomplete =
            self.accumulator.has_undrained() || self.sender.batch_ids().next().is_some();
        let mut outcome = TxnOutcome::default();
        let tm = self.tm.as_mut().expect("checked");
        let next = tm.next_request(now, has_incomplete, &mut outcome);
        self.txn_outcome(outcome, out);
        let Some((call, to, request)) = next else {
            return false;
        };
        let broker = match to {
            Some(b) => b,
            None => match self.least_loaded_node(now, rng) {
                Some(b) => b,
                None => return false,
            },
        };
        let tm = self.tm.as_mut().expect("checked");
        tm.request_sent(call, broker, now);
        out.events.push(TraceEvent::TxnRequestSent {
            producer: self.id,
            broker,
            request: request.name(),
        });
        out.messages.push((
            Node::Producer(self.id),
            Node::Broker(broker),
            Payload::TxnRequest(request),
        ));
        true
    }

    /// `NetworkClient.leastLoadedNode`: the reachable broker with the fewest requests in
    /// flight, starting from a random one.
    fn least_loaded_node(&self, now: u64, rng: &mut Rng) -> Option<u32> {
        let n = self.metadata.brokers;
        let start = rng.below(n);
        (0..n)
            .map(|i| (start + i) % n)
            .filter(|&b| self.sender.connectable(b, now))
            .min_by_key(|&b| self.sender.in_flight.get(&b).map_or(0, |q| q.len()))
    }

    /// The idempotent producer's `InitProducerId`, to the least loaded broker.
    fn maybe_init_producer_id(&mut self, now: u64, rng: &mut Rng, out: &mut Effects) {
        if self.init_in_flight.is_some() {
            return;
        }
        if let Some(broker) = self.least_loaded_node(now, rng) {
            self.init_in_flight = Some((broker, now));
            out.messages.push((
                Node::Producer(self.id),
                Node::Broker(broker),
                Payload::InitProducerId,
            ));
        }
    }

    /// `DefaultMetadataUpdater.maybeUpdate`: when an update is wanted and none is in
    /// flight, ask the least loaded broker.
    fn maybe_update_metadata(&mut self, now: u64, rng: &mut Rng, out: &mut Effects) {
        if !self.metadata_requested || self.metadata_in_flight.is_some() {
            return;
        }
        let Some(broker) = self.least_loaded_node(now, rng) else {
            return;
        };
        self.metadata_in_flight = Some((broker, now));
        self.metadata_requested = false;
        out.events.push(TraceEvent::MetadataRequested {
            producer: self.id,
            broker,
        });
        out.messages.push((
            Node::Producer(self.id),
            Node::Broker(broker),
            Payload::MetadataRequest,
        ));
    }

    /// Fails every batch whose delivery timeout has run out: those in flight (just drained
    /// included: Kafka still writes them) first, then those still queued. Returns whether
    /// any expired.
    fn expire_batches(&mut self, now: u64, drained: &mut Drained, out: &mut Effects) -> bool {
        let delivery = self.accumulator.delivery_timeout_ms();
        // Every sender pass comes here: the earliest expiries (the queued one mostly
        // cached) say whether any batch is due before the lists are walked.
        let due = |t: Option<u64>| t.is_some_and(|t| t <= now);
        if !due(self.accumulator.next_expiry_ms())
            && !due(self.sender.next_in_flight_expiry_ms(delivery))
        {
            return false;
        }
        let in_flight = self.sender.expired_in_flight_batches(delivery, now);
        let mut expired = Vec::new();
        for (tp, id) in in_flight {
            let just_drained = drained
                .values_mut()
                .flat_map(|batches| batches.iter_mut())
                .find(|b| b.tp == tp && b.id == id);
            let batch = match just_drained {
                Some(b) => b,
                None => self
                    .sender
                    .batch_mut(tp, id)
                    .expect("an in-flight batch is in a request"),
            };
            let copy = batch.clone();
            batch.done = true;
            expired.push(copy);
        }
        expired.extend(self.accumulator.expired_batches(now));
        let any = !expired.is_empty();
        for batch in expired {
            let message = format!(
                "Expiring {} record(s) for {}:{} ms has passed since batch creation",
                batch.records.len(),
                batch.tp,
                now - batch.created_ms
            );
            self.fail_batch(now, &batch, KafkaError::Timeout(message), false, out);
            // Only a batch that was retried (`inRetry`) may have been written.
            if let Some(tm) = self.tm.as_mut().filter(|_| batch.attempts > 0) {
                tm.mark_sequence_unresolved(
                    batch.tp,
                    batch.base_sequence,
                    batch.records.len() as u32,
                );
            }
        }
        any
    }

    /// `client.poll`: what arrived (responses, closed connections), then the connections
    /// whose oldest request has waited past `request.timeout.ms`. Every disconnection asks
    /// for new metadata (`handleServerDisconnect`). Returns whether anything was handled.
    fn poll(&mut self, now: u64, out: &mut Effects) -> bool {
        let mut inbox = std::mem::take(&mut self.inbox);
        let mut handled = !inbox.is_empty();
        for incoming in inbox.drain(..) {
            match incoming {
                Incoming::Produce(broker, response) => {
                    self.handle_produce_response(now, broker, &response, out)
                }
                Incoming::Metadata(broker, metadata) => {
                    self.metadata_in_flight = None;
                    self.metadata = metadata;
                    out.events.push(TraceEvent::MetadataUpdated {
                        producer: self.id,
                        broker,
                    });
                }
                Incoming::ProducerId(broker, producer_id, producer_epoch) => {
                    self.init_in_flight = None;
                    if let Some(tm) = &mut self.tm {
                        tm.set_producer_id(producer_id, producer_epoch);
                    }
                    out.events.push(TraceEvent::ProducerIdAssigned {
                        producer: self.id,
                        broker,
                        producer_id,
                        producer_epoch,
                    });
                }
                Incoming::Txn(broker, response) => {
                    out.events.push(TraceEvent::TxnResponseReceived {
                        producer: self.id,
                        broker,
                        request: response.request,
                        error: response.error.name(),
                    });
                    if let Some(tm) = &mut self.tm {
                        let backoff = self.config.retry_backoff_ms;
                        let outcome = tm.handle_response(now, &response, backoff);
                        self.txn_outcome(outcome, out);
                    }
                }
                Incoming::Closed(broker) => {
                    let requests = self.disconnect(broker, now);
                    out.events.push(TraceEvent::ConnectionClosed {
                        producer: self.id,
                        broker,
                        requests: requests.len() as u32,
                    });
                    self.fail_requests(now, requests, Errors::NetworkException, None, out);
                }
            }
        }
        // Its allocation serves the next responses (nearly every request has one).
        if self.inbox.is_empty() {
            self.inbox = inbox;
        }
        // Every pass comes here, and nearly always no request is due yet (the earliest
        // moment one is, is kept) and nothing but produce requests is out.
        let due = self
            .sender
            .next_request_timeout_ms()
            .is_some_and(|t| t <= now);
        debug_assert!(due || self.sender.nodes_with_timed_out_requests(now).is_empty());
        let mut timed_out = if due {
            self.sender.nodes_with_timed_out_requests(now)
        } else {
            Vec::new()
        };
        let txn_in_flight = self
            .tm
            .as_ref()
            .and_then(|tm| tm.txn.as_ref()?.in_flight)
            .map(|(_, b, sent)| (b, sent));
        let others = [self.metadata_in_flight, self.init_in_flight, txn_in_flight];
        if others.iter().any(Option::is_some) {
            for (b, sent) in others.into_iter().flatten() {
                if now.saturating_sub(sent) > self.config.request_timeout_ms
                    && !timed_out.contains(&b)
                {
                    timed_out.push(b);
                }
            }
        }
        for broker in timed_out {
            handled = true;
            out.timed_out.push((self.id, broker));
            let requests = self.disconnect(broker, now);
            out.events.push(TraceEvent::Disconnected {
                producer: self.id,
                broker,
                requests: requests.len() as u32,
            });
            // Before 3.5 a timed-out request failed as any disconnection does
            // (`Sender.handleProduceResponse`, `wasDisconnected`); KAFKA-14317 made it
            // REQUEST_TIMED_OUT. Both are retried; NETWORK_EXCEPTION also asks for metadata.
            let (error, message) = if self.config.version.at_least(3, 5) {
                (
                    Errors::RequestTimedOut,
                    format!("Disconnected from node {broker} due to timeout"),
                )
            } else {
                (
                    Errors::NetworkException,
                    format!("Disconnected from node {broker}"),
                )
            };
            self.fail_requests(now, requests, error, Some(&message), out);
        }
        handled
    }

    /// Closes the connection to `broker`: its requests are returned to be failed, a
    /// metadata request on it is lost, and new metadata is wanted.
    fn disconnect(&mut self, broker: u32, now: u64) -> Vec<InFlightRequest> {
        if self.metadata_in_flight.is_some_and(|(b, _)| b == broker) {
            self.metadata_in_flight = None;
        }
        if self.init_in_flight.is_some_and(|(b, _)| b == broker) {
            self.init_in_flight = None;
        }
        if let Some(tm) = &mut self.tm {
            let lost = tm.txn.as_ref().and_then(|t| t.in_flight);
            if lost.is_some_and(|(_, b, _)| b == broker) {
                tm.request_failed(now, self.config.retry_backoff_ms);
            }
        }
        self.metadata_requested = true;
        self.sender.disconnect(broker, now)
    }

    fn fail_requests(
        &mut self,
        now: u64,
        requests: Vec<InFlightRequest>,
        error: Errors,
        message: Option<&str>,
        out: &mut Effects,
    ) {
        for request in requests {
            for batch in &request.batches {
                self.complete_batch(now, batch, error, message, -1, out);
            }
        }
    }

    fn write_request(
        &mut self,
        now: u64,
        broker: u32,
        batches: &mut Vec<accumulator::ProducerBatch>,
        expedite: Option<SendReason>,
        out: &mut Effects,
    ) {
        let id = self.sender.next_request_id();
        let transactional_id = self
            .tm
            .as_ref()
            .and_then(|tm| tm.txn.as_ref())
            .map(|t| Rc::clone(&t.transactional_id));
        let transactional = transactional_id.is_some();
        let mut wire = Vec::with_capacity(batches.len());
        let mut records = 0;
        let mut bytes = 0;
        for batch in batches.iter() {
            let indices = batch.records.iter().map(|r| r.index as usize);
            self.sends.each_mut(indices, |_, s| {
                s.sent_ms = now;
                s.attempts += 1;
            });
            records += batch.records.len() as u32;
            bytes += batch.size_in_bytes;
            wire.push(WireBatch {
                tp: batch.tp,
                batch: batch.id,
                producer_id: batch.producer_id,
                producer_epoch: batch.producer_epoch,
                base_sequence: batch.base_sequence,
                records: batch
                    .records
                    .iter()
                    .map(|r| WireRecord {
                        data: r.data.clone(),
                        send_index: r.index,
                    })
                    .collect(),
                size_in_bytes: batch.size_in_bytes,
                transactional,
            });
        }
        self.metrics.record_request(now, batches.iter());
        let sent = batches
            .iter()
            .map(|b| {
                let reason = b
                    .ready_because
                    .or(expedite)
                    .unwrap_or(SendReason::SameLeader);
                (b.id, reason)
            })
            .collect();
        out.events.push(TraceEvent::RequestSent {
            producer: self.id,
            broker,
            request: id,
            batches: wire.len() as u32,
            records,
            bytes,
            sent,
        });
        let acks = self.config.acks;
        out.messages.push((
            Node::Producer(self.id),
            Node::Broker(broker),
            Payload::Produce(ProduceRequest {
                id,
                transactional_id,
                acks,
                timeout_ms: self.config.request_timeout_ms,
                batches: wire,
            }),
        ));
        let batches = std::mem::take(batches);
        if acks == Acks::None {
            // acks=0: complete once written, with offset -1; nothing will come back.
            for batch in &batches {
                self.complete_batch(now, batch, Errors::None, None, -1, out);
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

    /// `Sender.completeBatch` for one batch of an answered (or disconnected) request:
    /// success; a retriable error with attempts and time left → back to the deque; else
    /// failure. A batch already expired is left as it is.
    fn complete_batch(
        &mut self,
        now: u64,
        batch: &accumulator::ProducerBatch,
        error: Errors,
        message: Option<&str>,
        base_offset: i64,
        out: &mut Effects,
    ) {
        if self.sender.guarantees_message_order() {
            self.accumulator.unmute(batch.tp);
        }
        if error == Errors::None {
            if let Some(tm) = &mut self.tm {
                let n = batch.records.len() as u32;
                tm.handle_completed_batch(batch.tp, batch.sequence_key(), n);
            }
            self.sender.remove_in_flight_batch(batch.tp, batch.id);
            if !batch.done {
                self.succeed_batch(now, batch, base_offset, out);
            }
            return;
        }
        if error == Errors::MessageTooLarge && batch.records.len() > 1 && !batch.done {
            self.split(now, batch, out);
            return;
        }
        let retriable = match &mut self.tm {
            Some(tm) => tm.can_retry(
                error,
                batch.tp,
                batch.base_sequence,
                batch.sequence_has_been_reset,
            ),
            None => error.is_retriable(),
        };
        // An InvalidMetadataException: the leader may have moved.
        if matches!(
            error,
            Errors::NotLeaderOrFollower | Errors::NetworkException
        ) {
            self.metadata_requested = true;
        }
        let can_retry = !batch
            .has_reached_delivery_timeout(self.accumulator.delivery_timeout_ms(), now)
            && batch.attempts < self.config.retries
            && !batch.done
            && retriable;
        if can_retry {
            self.sender.remove_in_flight_batch(batch.tp, batch.id);
            self.metrics.record_retries(now, batch.records.len());
            out.events.push(TraceEvent::BatchRetried {
                producer: self.id,
                batch: batch.id,
                tp: batch.tp,
                attempts: batch.attempts + 1,
                error: error.name(),
            });
            self.accumulator.reenqueue(batch.clone(), now);
        } else {
            let adjust = batch.attempts < self.config.retries;
            self.fail_batch(now, batch, error.exception(message), adjust, out);
        }
    }

    /// `MESSAGE_TOO_LARGE` on a batch of several records: split it and send the parts,
    /// without spending a retry (`Sender.completeBatch`, `batch-split-total`).
    fn split(&mut self, now: u64, batch: &accumulator::ProducerBatch, out: &mut Effects) {
        if let Some(tm) = &mut self.tm {
            if batch.base_sequence >= 0 {
                tm.remove_in_flight_batch(batch.tp, batch.sequence_key());
            }
        }
        let ids = self
            .accumulator
            .split_and_reenqueue(batch, self.tm.as_mut());
        self.sender.remove_in_flight_batch(batch.tp, batch.id);
        self.free(batch.buffer_size, now);
        self.metrics.batch_split_total += 1;
        // The records' futures now follow the new batches.
        for &id in &ids {
            for r in self.accumulator.batch_records(batch.tp, id) {
                self.sends[r as usize].batch = id;
            }
        }
        let parts = ids
            .iter()
            .map(|&id| {
                (
                    id,
                    self.accumulator.batch_records(batch.tp, id).len() as u32,
                )
            })
            .collect();
        out.events.push(TraceEvent::BatchSplit {
            producer: self.id,
            batch: batch.id,
            tp: batch.tp,
            into: ids.len() as u32,
            parts,
        });
        self.wake_requested = true;
    }

    fn succeed_batch(
        &mut self,
        now: u64,
        batch: &accumulator::ProducerBatch,
        base_offset: i64,
        out: &mut Effects,
    ) {
        self.free(batch.buffer_size, now);
        self.batch_done(batch.id);
        let mut offset = base_offset;
        let indices = batch.records.iter().map(|r| r.index as usize);
        let id = self.id;
        self.sends.each_mut(indices, |i, s| {
            s.outcome = Outcome::Acked;
            s.offset = if base_offset < 0 { -1 } else { offset };
            offset += 1;
            s.completed_ms = now;
            out.completed.push((id, i as u32));
        });
        out.events.push(TraceEvent::BatchCompleted {
            producer: self.id,
            batch: batch.id,
            tp: batch.tp,
            base_offset,
        });
    }

    /// `Sender.failBatch`: `record-error-total` counts the records even when the batch
    /// had already expired (Kafka records the errors before it looks).
    /// `adjust_sequence_numbers` (`attempts < retries`) when a response failed it.
    fn fail_batch(
        &mut self,
        now: u64,
        batch: &accumulator::ProducerBatch,
        error: KafkaError,
        adjust_sequence_numbers: bool,
        out: &mut Effects,
    ) {
        self.metrics.record_errors(now, batch.records.len());
        // Until 3.6 the TransactionManager heard of the failure before the batch was
        // found done, so a late failure of an expired batch could still ask for a bump
        // (KAFKA-14884 moved it into `completeExceptionally`'s branch).
        let late_too = !self.config.version.at_least(3, 6);
        if late_too || !batch.done {
            self.handle_failed_batch(batch, &error, adjust_sequence_numbers, out);
        }
        if batch.done {
            return;
        }
        self.sender.remove_in_flight_batch(batch.tp, batch.id);
        self.free(batch.buffer_size, now);
        self.batch_done(batch.id);
        out.events.push(TraceEvent::BatchFailed {
            producer: self.id,
            batch: batch.id,
            tp: batch.tp,
            error: error.exception_name(),
        });
        for r in &batch.records {
            let s = &mut self.sends[r.index as usize];
            s.outcome = Outcome::Failed;
            s.completed_ms = now;
            s.error = Some(Box::new(error.clone()));
            out.completed.push((self.id, r.index));
        }
        if let Some(tm) = &mut self.tm {
            let outcome = tm.batch_failed(&error);
            self.txn_outcome(outcome, out);
        }
    }

    /// `TransactionManager.handleFailedBatch` for a batch with a sequence; when it asks
    /// for an epoch bump, the trace says why.
    fn handle_failed_batch(
        &mut self,
        batch: &accumulator::ProducerBatch,
        error: &KafkaError,
        adjust_sequence_numbers: bool,
        out: &mut Effects,
    ) {
        let Some(tm) = &mut self.tm else { return };
        if batch.base_sequence < 0 {
            return;
        }
        let (tp, base, records) = (batch.tp, batch.base_sequence, batch.records.len() as u32);
        match tm.handle_failed_batch(
            tp,
            batch.sequence_key(),
            records,
            error,
            adjust_sequence_numbers,
        ) {
            FailedBatch::Nothing | FailedBatch::EpochBump { out_of_order: true } => {}
            FailedBatch::EpochBump {
                out_of_order: false,
            } => out.events.push(TraceEvent::EpochBumpRequested {
                producer: self.id,
                batch: batch.id,
                tp,
                expired: batch.done,
            }),
            FailedBatch::SequencesAdjusted { tracked } => {
                out.events.push(TraceEvent::SequencesAdjusted {
                    producer: self.id,
                    batch: batch.id,
                    tp,
                    records,
                });
                for b in tracked_batches(&mut self.accumulator, &mut self.sender, tm, tp, &tracked)
                {
                    if b.base_sequence >= base {
                        b.resequence(
                            b.producer_id,
                            b.producer_epoch,
                            b.base_sequence - records as i32,
                        );
                    }
                }
            }
        }
    }

    /// `handleProduceResponse`: complete each batch of the answered request.
    fn handle_produce_response(
        &mut self,
        now: u64,
        broker: u32,
        response: &ProduceResponse,
        out: &mut Effects,
    ) {
        let Some(request) = self.sender.complete(broker, response.id) else {
            // The connection was closed under it: the request already failed.
            return;
        };
        self.metrics.record_response(now, now - request.sent_ms);
        for batch in &request.batches {
            match response.partitions.iter().find(|p| p.batch == batch.id) {
                Some(p) => self.complete_batch(now, batch, p.error, None, p.base_offset, out),
                None => unreachable!("a response answers every batch of its request"),
            }
        }
    }
}

/// The batches of `tp` its `TransactionManager` entry tracked (`keys`): waiting to be
/// retried, or in a request still out.
fn tracked_batches<'a>(
    accumulator: &'a mut RecordAccumulator,
    sender: &'a mut Sender,
    tm: &TransactionManager,
    tp: TopicPartition,
    keys: &VecSet<InFlightKey>,
) -> Vec<&'a mut accumulator::ProducerBatch> {
    accumulator
        .sequenced_batches_mut(tp)
        .chain(sender.pending_batches_mut(tp))
        .filter(|b| keys.contains(&tm.key(b.sequence_key())))
        .collect()
}
