//! `RecordAccumulator` and `ProducerBatch`: per-partition deques of batches, filled by
//! `send()` and drained by the `Sender` (`producer.md` §3).

use super::partitioner::BuiltInPartitioner;
use super::transaction_manager::{InFlightKey, TransactionManager};
use crate::backoff::ExponentialBackoff;
use crate::compression::CompressionType;
use crate::config::ProducerConfig;
use crate::metadata::{Cluster, TopicPartition};
use crate::record::{FieldsSize, RecordRef, RECORD_BATCH_OVERHEAD};
use crate::record_batch::{encode, BatchHeader, EncodedBatch, Record, NO_PARTITION_LEADER_EPOCH};
use crate::rng::{RandomSource, Rng};
use crate::vec_map::{VecMap, VecSet};
use crate::version::KafkaVersion;
use std::collections::VecDeque;
use std::rc::Rc;

/// One record inside a batch: the producer's send index and its exact size in the batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecord {
    pub index: u32,
    pub data: RecordRef,
    pub size: u32,
}

/// Identifies a batch within one producer, for tracing and the UI.
pub type BatchId = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct ProducerBatch {
    pub id: BatchId,
    pub tp: TopicPartition,
    pub created_ms: u64,
    pub records: Vec<BatchRecord>,
    /// The buffer's capacity: `max(batch.size, upper bound of the first record)`.
    pub write_limit: u32,
    /// `estimatedBytesWritten` while open; once closed, the encoded batch's exact size.
    pub size_in_bytes: u32,
    /// Σ record sizes before compression (`uncompressedRecordsSizeInBytes`).
    pub records_size: u32,
    /// The largest record's upper-bound size (`maxRecordSize`, for `record-size-avg`).
    pub max_record_size: u32,
    pub compression: CompressionType,
    /// The topic's `CompressionRatioEstimator` value when the batch was created.
    ratio_estimate: f32,
    /// Whether the batch is written in Kafka's v2 format (when it is closed at its first
    /// drain), and a compressed one's bytes, kept (its ratio steers the estimator): an
    /// uncompressed one's are made when asked for. Apart, not an `Option` of an enum: 4
    /// bytes less, which `leader_epoch` takes; past 104 bytes in wasm the batch costs the
    /// bundle 8 KB of the compiler's inlining (docs/perf.md, session 26).
    written: bool,
    compressed: Option<Rc<EncodedBatch>>,
    /// Bytes this batch holds from the `BufferPool` (its `initialCapacity`).
    pub buffer_size: u32,
    /// Closed for appends: a record did not fit, or the batch was drained.
    pub closed: bool,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// Failed attempts so far: `reenqueue` counts them (`ProducerBatch.attempts`).
    pub attempts: u32,
    /// When the batch was created, or re-enqueued after a failure (`lastAttemptMs`).
    pub last_attempt_ms: u64,
    /// Its partition's leader epoch in the metadata when it was last drained (3.7+,
    /// KAFKA-15415: `currentLeaderEpoch`).
    leader_epoch: u32,
    last_append_ms: u64,
    /// Completed, failed or expired: a late response changes nothing (`isDone`).
    pub done: bool,
    /// Renumbered by an epoch bump (`sequenceHasBeenReset`): an OUT_OF_ORDER answer to its
    /// older attempt is retried without asking for another bump.
    pub sequence_has_been_reset: bool,
    /// Why the batch was ready on its own at its last drain; `None` when it was not and
    /// went because its leader was ready for another batch or everything was sendable.
    pub ready_because: Option<SendReason>,
}

/// Why the sender took a batch: the condition of `RecordAccumulator.ready` (`batchReady`)
/// that held for it when it was drained, or why the whole accumulator was sendable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SendReason {
    /// A retried batch whose backoff was over.
    RetryBackoffOver,
    /// `batch.size` reached, or a record did not fit and opened the next batch behind it.
    Full,
    /// It had waited `linger.ms`.
    LingerExpired,
    /// `flush()` was waiting: every batch is sendable at once (`flushInProgress`).
    Flush,
    /// `close()` drains what is left.
    Close,
    /// `commitTransaction()` / `abortTransaction()` flush the accumulator first.
    EndTransaction,
    /// A `send()` waits for `buffer.memory` (`exhausted`): everything goes, to free memory.
    BufferExhausted,
    /// Not ready itself: another partition's batch made the same leader ready, and the
    /// drain takes the first batch of every partition that leader leads.
    SameLeader,
    /// A retried batch still in its backoff, whose partition has a new leader since it
    /// was last sent: from 3.7 it goes at once (KAFKA-15415).
    /// (Last: the trace hashes a reason by its place.)
    NewLeader,
}

impl SendReason {
    /// Short, as the trace writes it.
    pub fn name(self) -> &'static str {
        match self {
            SendReason::RetryBackoffOver => "retry",
            SendReason::NewLeader => "new-leader",
            SendReason::Full => "full",
            SendReason::LingerExpired => "linger",
            SendReason::Flush => "flush",
            SendReason::Close => "close",
            SendReason::EndTransaction => "end-txn",
            SendReason::BufferExhausted => "exhausted",
            SendReason::SameLeader => "same-leader",
        }
    }
}

/// The records a new batch has room for at least, before it is sized for `batch.size`.
const FIRST_RECORDS: usize = 4;

/// `MemoryRecordsBuilder.COMPRESSION_RATE_ESTIMATION_FACTOR`: estimates err on the large side.
const COMPRESSION_RATE_ESTIMATION_FACTOR: f32 = 1.05;
/// `CompressionRatioEstimator`: a worse ratio is followed fast, a better one slowly.
const COMPRESSION_RATIO_DETERIORATE_STEP: f32 = 0.05;
const COMPRESSION_RATIO_IMPROVING_STEP: f32 = 0.005;

/// `CompressionRatioEstimator.updateEstimation`.
fn update_estimation(current: f32, observed: f32) -> f32 {
    if observed > current {
        (current + COMPRESSION_RATIO_DETERIORATE_STEP).max(observed)
    } else if observed < current {
        (current - COMPRESSION_RATIO_IMPROVING_STEP).max(observed)
    } else {
        current
    }
}

impl ProducerBatch {
    fn new(
        id: BatchId,
        tp: TopicPartition,
        write_limit: u32,
        now: u64,
        compression: CompressionType,
        ratio_estimate: f32,
        room: usize,
    ) -> Self {
        ProducerBatch {
            id,
            tp,
            created_ms: now,
            records: Vec::with_capacity(room),
            write_limit,
            size_in_bytes: RECORD_BATCH_OVERHEAD as u32,
            records_size: 0,
            max_record_size: 0,
            compression,
            ratio_estimate,
            written: false,
            compressed: None,
            buffer_size: write_limit,
            closed: false,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            attempts: 0,
            last_attempt_ms: now,
            leader_epoch: 0,
            last_append_ms: now,
            done: false,
            sequence_has_been_reset: false,
            ready_because: None,
        }
    }

    /// `hasReachedDeliveryTimeout`: equality counts.
    pub fn has_reached_delivery_timeout(&self, delivery_timeout_ms: u64, now: u64) -> bool {
        now.saturating_sub(self.created_ms) >= delivery_timeout_ms
    }

    /// `shouldBackoff`: retried and not waited long enough, unless (3.7+, `epoch` the
    /// partition's leader epoch in the metadata) this retry goes to a newer leader than
    /// the last attempt did (`hasLeaderChangedForTheOngoingRetry`: Kafka marks the attempt
    /// at which `maybeUpdateLeaderEpoch` saw the epoch rise; epochs only rise, so comparing
    /// with the last drain's says the same). Kafka draws a fresh backoff at each call.
    /// Returns whether it backs off, and whether only a new leader let it go.
    fn backing_off(
        &self,
        backoff: &ExponentialBackoff,
        now: u64,
        rng: &mut Rng,
        epoch: Option<u32>,
    ) -> (bool, bool) {
        let wait_more = self.attempts > 0
            && now.saturating_sub(self.last_attempt_ms) < backoff.backoff(self.attempts - 1, rng);
        let new_leader = wait_more && epoch.is_some_and(|e| e > self.leader_epoch);
        (wait_more && !new_leader, new_leader)
    }

    /// `MemoryRecordsBuilder.estimatedBytesWritten`: exact without compression; with it,
    /// the uncompressed records scaled by the ratio estimate and a 5 % margin (f32, as Java).
    fn estimated_bytes_written(&self) -> u32 {
        let records = match self.compression {
            CompressionType::None => self.records_size,
            _ => {
                (self.records_size as f32
                    * self.ratio_estimate
                    * COMPRESSION_RATE_ESTIMATION_FACTOR) as u32
            }
        };
        RECORD_BATCH_OVERHEAD as u32 + records
    }

    /// `MemoryRecordsBuilder.isFull`. While open, `size_in_bytes` is
    /// `estimated_bytes_written()`, kept by `try_append` (asked for several times a record).
    pub fn is_full(&self) -> bool {
        self.closed || (!self.records.is_empty() && self.write_limit <= self.size_in_bytes)
    }

    /// `ProducerBatch.close`: writes the batch in the v2 format (producer id, epoch and
    /// sequence are final by now) and returns its compression ratio for the estimator.
    fn close(&mut self) -> f32 {
        self.closed = true;
        if self.written {
            return self
                .compressed
                .as_ref()
                .map_or(1.0, |e| e.compression_ratio());
        }
        self.written = true;
        if self.compression == CompressionType::None {
            // Nothing in the run reads an uncompressed batch's bytes, and its size is the
            // records' (exactly as encoded): they are written when asked for (`encoded`).
            self.size_in_bytes = RECORD_BATCH_OVERHEAD as u32 + self.records_size;
            debug_assert_eq!(self.size_in_bytes as usize, self.encode().size_in_bytes());
            return 1.0;
        }
        let encoded = self.encode();
        self.size_in_bytes = encoded.size_in_bytes() as u32;
        let ratio = encoded.compression_ratio();
        self.compressed = Some(Rc::new(encoded));
        ratio
    }

    fn encode(&self) -> EncodedBatch {
        let header = BatchHeader {
            base_offset: 0,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: self.base_sequence,
            is_transactional: false,
            is_control: false,
            compression: self.compression,
        };
        // A random value's bytes are made here, for as long as the batch is written.
        let fields: Vec<_> = self
            .records
            .iter()
            .map(|r| (r.data.timestamp, r.data.key_bytes(), r.data.value_bytes()))
            .collect();
        let records: Vec<Record> = fields
            .iter()
            .map(|(timestamp, key, value)| Record {
                // A simulated clock stays far below 2^63 ms.
                timestamp: *timestamp as i64,
                key: key.as_deref(),
                value: value.as_deref(),
            })
            .collect();
        encode(&header, &records).expect("a drained batch has records with valid timestamps")
    }

    /// The batch in Kafka's v2 format, once written (closed at its first drain).
    pub fn encoded(&self) -> Option<Rc<EncodedBatch>> {
        if !self.written {
            return None;
        }
        Some(
            self.compressed
                .clone()
                .unwrap_or_else(|| Rc::new(self.encode())),
        )
    }

    /// The written records section over the uncompressed records, once written.
    pub fn compression_ratio(&self) -> Option<f32> {
        self.written.then(|| {
            self.compressed
                .as_ref()
                .map_or(1.0, |e| e.compression_ratio())
        })
    }

    /// How the `TransactionManager` tracks the batch while it is in flight.
    pub fn sequence_key(&self) -> InFlightKey {
        (self.producer_id, self.producer_epoch, self.base_sequence)
    }

    /// A new epoch and base sequence after an epoch bump (`resetProducerState`), for a batch
    /// waiting to be retried or in a request still out (that request keeps the header it
    /// was written with): written anew at its next drain.
    pub fn resequence(&mut self, producer_id: i64, epoch: i16, base_sequence: i32) {
        self.producer_id = producer_id;
        self.producer_epoch = epoch;
        self.base_sequence = base_sequence;
        self.sequence_has_been_reset = true;
        self.written = false;
        self.compressed = None;
    }

    /// `ProducerBatch.tryAppend` / `hasRoomFor`: appends if there is room and returns the
    /// bytes added. One record always fits an empty batch.
    fn try_append(
        &mut self,
        index: u32,
        data: &RecordRef,
        fields: FieldsSize,
        now: u64,
    ) -> Option<u32> {
        // `isFull` (closed, or the estimate at the write limit) is left to the room check
        // below but for `closed`: a record adds at least a byte.
        if self.closed {
            return None;
        }
        let offset_delta = self.records.len() as i32;
        let ts_delta = self
            .records
            .first()
            .map_or(0, |r| data.timestamp as i64 - r.data.timestamp as i64);
        let size = fields.record_size(offset_delta, ts_delta) as u32;
        // hasRoomFor: the new record counted uncompressed, to be conservative.
        if !self.records.is_empty() && self.write_limit < self.size_in_bytes + size {
            debug_assert!(size > 0);
            return None;
        }
        debug_assert!(!self.is_full());
        if self.records.len() == self.records.capacity() {
            // Out of room (a new batch starts with room for as many records as the last
            // one drained held): room for as many more of this size as the batch takes
            // (growing one push at a time reallocated six times a batch).
            self.records
                .reserve((self.write_limit / size.max(1)).clamp(1, 1024) as usize);
        }
        self.records.push(BatchRecord {
            index,
            data: data.clone(),
            size,
        });
        self.records_size += size;
        self.max_record_size = self.max_record_size.max(fields.upper_bound() as u32);
        self.size_in_bytes = self.estimated_bytes_written();
        self.last_append_ms = now;
        Some(size)
    }
}

/// Per topic: a deque per partition (kept once created, like Kafka's map) and the
/// topic's built-in partitioner.
#[derive(Clone, Debug, PartialEq)]
struct TopicInfo {
    batches: VecMap<u32, VecDeque<ProducerBatch>>,
    built_in: BuiltInPartitioner,
    /// `CompressionRatioEstimator` for this topic and the producer's codec (starts at 1).
    compression_ratio: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AppendResult {
    pub partition: u32,
    pub batch: BatchId,
    /// `deque.size() > 1 || last.isFull()`: the sender should be woken.
    pub batch_is_full: bool,
    pub new_batch_created: bool,
    /// 2.4–3.2: no open batch; the partitioner's `onNewBatch` runs and `send` retries.
    pub abort_for_new_batch: bool,
    /// A new batch is needed and no buffer was given: allocate this many bytes from the
    /// `BufferPool` (perhaps blocking) and append again with them.
    pub needs_buffer: Option<u32>,
    /// The buffer given was not needed (a batch with room appeared): free it.
    pub unused_buffer: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReadyCheckResult {
    pub ready_nodes: VecSet<u32>,
    /// Time until some batch may become sendable, if any is waiting.
    pub next_ready_check_delay_ms: Option<u64>,
}

/// The producer settings the accumulator works with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccumulatorConfig {
    pub version: KafkaVersion,
    pub batch_size: u32,
    /// `batch.size` as the built-in partitioner counts it (0 becomes 1 from 3.3.2).
    pub sticky_batch_size: u32,
    pub linger_ms: u64,
    pub adaptive: bool,
    pub availability_timeout_ms: u64,
    pub retry_backoff: ExponentialBackoff,
    pub delivery_timeout_ms: u64,
    pub compression: CompressionType,
}

impl AccumulatorConfig {
    pub fn of(config: &ProducerConfig) -> Self {
        AccumulatorConfig {
            version: config.version,
            batch_size: config.batch_size,
            sticky_batch_size: config.sticky_batch_size(),
            linger_ms: config.linger_ms,
            adaptive: config.adaptive_partitioning,
            availability_timeout_ms: config.partitioner_availability_timeout_ms,
            retry_backoff: ExponentialBackoff::new(
                config.version,
                config.retry_backoff_ms,
                config.retry_backoff_max_ms,
            ),
            delivery_timeout_ms: config.delivery_timeout_ms,
            compression: config.compression,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordAccumulator {
    batch_size: u32,
    linger_ms: u64,
    retry_backoff: ExponentialBackoff,
    delivery_timeout_ms: u64,
    compression: CompressionType,
    /// Partitions with a request in flight while `max.in.flight.requests.per.connection`
    /// is 1 (`guaranteeMessageOrder`): not drained until it is answered.
    muted: VecSet<TopicPartition>,
    adaptive: bool,
    /// `partitioner.availability.timeout.ms`: a leader whose data waited longer than this
    /// to be drained drops out of adaptive partitioning (0 = never).
    availability_timeout_ms: u64,
    node_stats: VecMap<u32, NodeLatencyStats>,
    /// Since 3.3 each node keeps its own drain position (KAFKA-13834); before, one for all.
    per_node_drain_index: bool,
    /// Since 3.7 a retry to a newer leader skips its backoff (KAFKA-15415).
    retry_skips_backoff_for_new_leader: bool,
    topics: Vec<TopicInfo>,
    drain_index: VecMap<u32, usize>,
    /// `drain()`'s list of a node's partitions, kept empty between drains for its
    /// allocation (one per node at every drain).
    drain_parts: Vec<TopicPartition>,
    /// `ready()`'s set of nodes and `drain()`'s requests, handed back emptied once used
    /// (by the sender after its drain; by the producer once the requests are written):
    /// kept for their allocations, two per sender pass that sends.
    pub(super) spare_nodes: VecSet<u32>,
    pub(super) spare_drained: VecMap<u32, Vec<ProducerBatch>>,
    next_batch_id: BatchId,
    /// The records of the batch drained last: a new batch has room for as many (at
    /// least `FIRST_RECORDS`) before it is sized for `batch.size`. Most batches of a slow
    /// producer hold a record or two, and a buffer for a hundred costs the allocator more.
    last_drained_records: usize,
    /// `next_expiry_ms`, kept until a deque's front may have changed: the producer asks
    /// for it after every `send()`, and a scan of every deque was a tenth of the run.
    expiry: ExpiryCache,
}

/// A cached `Option<u64>` (`None` inside: not known). Not part of its holder's value:
/// two accumulators (or senders) are equal whatever either has cached.
#[derive(Clone, Debug, Default)]
pub(super) struct ExpiryCache(std::cell::Cell<Option<Option<u64>>>);

impl PartialEq for ExpiryCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl ExpiryCache {
    pub(super) fn forget(&self) {
        self.0.set(None);
    }

    /// An entry expiring at `t` joined the list: a known earliest stays known.
    pub(super) fn include(&self, t: u64) {
        if let Some(cached) = self.0.get() {
            self.0.set(Some(Some(cached.map_or(t, |c| c.min(t)))));
        }
    }

    /// The cached value, else `scan()`'s, kept (checked against `scan()` in debug builds).
    pub(super) fn get_or(&self, scan: impl Fn() -> Option<u64>) -> Option<u64> {
        match self.0.get() {
            Some(cached) => {
                debug_assert_eq!(cached, scan(), "a cached expiry's list changed unseen");
                cached
            }
            None => {
                let value = scan();
                self.0.set(Some(value));
                value
            }
        }
    }
}

impl RecordAccumulator {
    pub fn new(config: AccumulatorConfig, topics: usize) -> Self {
        let version = config.version;
        RecordAccumulator {
            batch_size: config.batch_size,
            linger_ms: config.linger_ms,
            retry_backoff: config.retry_backoff,
            delivery_timeout_ms: config.delivery_timeout_ms,
            compression: config.compression,
            muted: VecSet::new(),
            adaptive: config.adaptive && version.at_least(3, 3),
            availability_timeout_ms: config.availability_timeout_ms,
            node_stats: VecMap::new(),
            per_node_drain_index: version.at_least(3, 3),
            retry_skips_backoff_for_new_leader: version.at_least(3, 7),
            topics: (0..topics)
                .map(|_| TopicInfo {
                    batches: VecMap::new(),
                    built_in: BuiltInPartitioner::new(config.sticky_batch_size),
                    compression_ratio: 1.0,
                })
                .collect(),
            drain_index: VecMap::new(),
            drain_parts: Vec::new(),
            spare_nodes: VecSet::new(),
            spare_drained: VecMap::new(),
            next_batch_id: 0,
            last_drained_records: 0,
            expiry: ExpiryCache::default(),
        }
    }

    /// Every non-empty deque, oldest batch first, for views.
    pub fn deques(&self) -> impl Iterator<Item = (TopicPartition, &VecDeque<ProducerBatch>)> {
        self.topics.iter().enumerate().flat_map(|(t, info)| {
            info.batches.iter().map(move |(&p, dq)| {
                (
                    TopicPartition {
                        topic: t as u32,
                        partition: p,
                    },
                    dq,
                )
            })
        })
    }

    pub fn built_in_partitioner(&self, topic: u32) -> &BuiltInPartitioner {
        &self.topics[topic as usize].built_in
    }

    /// The send indices of the records of a queued batch.
    pub fn batch_records(&self, tp: TopicPartition, id: BatchId) -> Vec<u32> {
        self.topics[tp.topic as usize]
            .batches
            .get(&tp.partition)
            .and_then(|dq| dq.iter().find(|b| b.id == id))
            .map(|b| b.records.iter().map(|r| r.index).collect())
            .unwrap_or_default()
    }

    /// Every batch not yet drained, for `flush()` to wait on.
    pub fn batch_ids(&self) -> impl Iterator<Item = BatchId> + '_ {
        self.topics
            .iter()
            .flat_map(|t| t.batches.values())
            .flat_map(|dq| dq.iter().map(|b| b.id))
    }

    pub fn has_undrained(&self) -> bool {
        self.topics
            .iter()
            .any(|t| t.batches.values().any(|dq| !dq.is_empty()))
    }

    /// `append`'s common case for a record without a partition, in its caller: it joins
    /// the sticky partition's open last batch. `None` when it does not (no sticky partition
    /// yet, no open batch or no room), having changed nothing: `append` then decides.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn append_to_sticky_batch(
        &mut self,
        topic: u32,
        index: u32,
        data: &RecordRef,
        fields: FieldsSize,
        now: u64,
        rng: &mut impl RandomSource,
        cluster: &Cluster,
    ) -> Option<AppendResult> {
        let info = &mut self.topics[topic as usize];
        let partition = info.built_in.current()?;
        let dq = info
            .batches
            .entry_near(partition, partition as usize)
            .or_default();
        let deque_len = dq.len();
        let last = dq.back_mut()?;
        let bytes = last.try_append(index, data, fields, now)?;
        let full = last.is_full();
        let result = AppendResult {
            partition,
            batch: last.id,
            batch_is_full: deque_len > 1 || full,
            new_batch_created: false,
            abort_for_new_batch: false,
            needs_buffer: None,
            unused_buffer: None,
        };
        let available = cluster.available_partitions(topic);
        let all = cluster.num_partitions(topic);
        info.built_in
            .update_partition_info(bytes, full, rng, available, all);
        Some(result)
    }

    /// `RecordAccumulator.append`. `partition = None` lets the built-in partitioner choose.
    /// A new batch needs a buffer from the pool: without `buffer` the call stops and says
    /// how much (`needs_buffer`); the caller allocates and calls again with it.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        topic: u32,
        partition: Option<u32>,
        index: u32,
        data: &RecordRef,
        fields: FieldsSize,
        abort_on_new_batch: bool,
        buffer: Option<u32>,
        now: u64,
        rng: &mut impl RandomSource,
        cluster: &Cluster,
    ) -> AppendResult {
        let available = cluster.available_partitions(topic);
        let all = cluster.num_partitions(topic);
        let batch_size = self.batch_size;
        let info = &mut self.topics[topic as usize];
        loop {
            let sticky = partition.is_none();
            let effective = match partition {
                Some(p) => p,
                None => info.built_in.peek(rng, available, all),
            };
            let dq = info
                .batches
                .entry_near(effective, effective as usize)
                .or_default();
            // partitionChanged: complete a switch postponed while the last batch was open.
            if sticky
                && all_batches_full(dq)
                && info
                    .built_in
                    .update_partition_info(0, true, rng, available, all)
            {
                continue;
            }
            let deque_len = dq.len();
            if let Some(last) = dq.back_mut() {
                match last.try_append(index, data, fields, now) {
                    Some(bytes) => {
                        // The deque's last batch: whether all its batches are full too.
                        let full = last.is_full();
                        let result = AppendResult {
                            partition: effective,
                            batch: last.id,
                            batch_is_full: deque_len > 1 || full,
                            new_batch_created: false,
                            abort_for_new_batch: false,
                            needs_buffer: None,
                            unused_buffer: buffer,
                        };
                        if sticky {
                            info.built_in
                                .update_partition_info(bytes, full, rng, available, all);
                        }
                        return result;
                    }
                    None => last.closed = true,
                }
            }
            if abort_on_new_batch {
                return AppendResult {
                    partition: effective,
                    batch: 0,
                    batch_is_full: false,
                    new_batch_created: false,
                    abort_for_new_batch: true,
                    needs_buffer: None,
                    unused_buffer: buffer,
                };
            }
            let upper = fields.upper_bound() as u32;
            let Some(capacity) = buffer else {
                return AppendResult {
                    partition: effective,
                    batch: 0,
                    batch_is_full: false,
                    new_batch_created: false,
                    abort_for_new_batch: false,
                    needs_buffer: Some(batch_size.max(upper)),
                    unused_buffer: None,
                };
            };
            // partitionChanged again, now that the last batch is closed: a switch postponed
            // while it was open happens before a new batch is made on the old partition.
            if sticky
                && info
                    .built_in
                    .update_partition_info(0, true, rng, available, all)
            {
                continue;
            }
            let id = self.next_batch_id;
            self.next_batch_id += 1;
            self.expiry.forget();
            let mut batch = ProducerBatch::new(
                id,
                TopicPartition {
                    topic,
                    partition: effective,
                },
                capacity,
                now,
                self.compression,
                info.compression_ratio,
                self.last_drained_records.max(FIRST_RECORDS),
            );
            batch.try_append(index, data, fields, now);
            let appended = batch.size_in_bytes;
            dq.push_back(batch);
            let last = dq.back().expect("just pushed");
            let result = AppendResult {
                partition: effective,
                batch: id,
                batch_is_full: dq.len() > 1 || last.is_full(),
                new_batch_created: true,
                abort_for_new_batch: false,
                needs_buffer: None,
                unused_buffer: None,
            };
            if sticky {
                let enable = all_batches_full(dq);
                info.built_in
                    .update_partition_info(appended, enable, rng, available, all);
            }
            return result;
        }
    }

    /// The batches of `tp` waiting with a sequence already (retries, at the front): with
    /// those in requests still out, what an epoch bump renumbers.
    pub fn sequenced_batches_mut(
        &mut self,
        tp: TopicPartition,
    ) -> impl Iterator<Item = &mut ProducerBatch> + '_ {
        self.expiry.forget();
        self.topics[tp.topic as usize]
            .batches
            .get_mut(&tp.partition)
            .into_iter()
            .flat_map(|dq| dq.iter_mut())
            .filter(|b| b.base_sequence >= 0)
    }

    /// `RecordAccumulator.ready` → `partitionReady` per topic: leaders with a sendable
    /// batch, and when to look again. Also feeds adaptive partitioning with the deque
    /// lengths of partitions that have a leader, once every partition has a deque.
    /// `all_sendable`: someone waits in the `BufferPool` or a `flush()` is in progress,
    /// so every batch is sendable without lingering.
    pub fn ready(
        &mut self,
        cluster: &Cluster,
        now: u64,
        all_sendable: bool,
        rng: &mut Rng,
    ) -> ReadyCheckResult {
        let mut ready_nodes = std::mem::take(&mut self.spare_nodes);
        let mut next: Option<u64> = None;
        for (t, info) in self.topics.iter_mut().enumerate() {
            let all = cluster.num_partitions(t as u32) as usize;
            let collect = self.adaptive && info.batches.len() >= all;
            let slots = if collect { info.batches.len() } else { 0 };
            // Written in the partitioner's lists: it works its table out from them only
            // when it picks a partition (a few times a batch at most, not at every pass).
            let (sizes, ids) = info.built_in.queue_slots(slots);
            // Kafka's queueSizesIndex: an excluded partition's slot is reused by the next.
            let mut index: isize = -1;
            for (&p, dq) in &info.batches {
                let tp = TopicPartition {
                    topic: t as u32,
                    partition: p,
                };
                let leader = cluster.leader_for(tp);
                if leader.is_some() && collect {
                    index += 1;
                    ids[index as usize] = p;
                }
                let (Some(first), Some(leader)) = (dq.front(), leader) else {
                    continue;
                };
                if collect {
                    sizes[index as usize] = dq.len() as u32;
                }
                if self.availability_timeout_ms > 0 {
                    if let Some(stats) = self.node_stats.get(&leader) {
                        if stats.ready_ms.saturating_sub(stats.drain_ms)
                            > self.availability_timeout_ms
                            && collect
                        {
                            index -= 1;
                        }
                    }
                }
                let waited = now.saturating_sub(first.last_attempt_ms);
                let epoch = self
                    .retry_skips_backoff_for_new_leader
                    .then(|| cluster.leader_epoch_for(tp));
                let (backing_off, _) = first.backing_off(&self.retry_backoff, now, rng, epoch);
                let tp_muted = self.muted.contains(&tp);
                if ready_nodes.contains(&leader) || tp_muted {
                    continue;
                }
                // batchReady: a retried batch waits out its backoff, then is sendable
                // (closed, so full); a fresh one waits linger.ms from creation.
                let time_to_wait = if backing_off {
                    self.retry_backoff.backoff(first.attempts - 1, rng)
                } else {
                    self.linger_ms
                };
                let full = dq.len() > 1 || first.is_full();
                let sendable = full || waited >= time_to_wait || all_sendable;
                if sendable && !backing_off {
                    ready_nodes.insert(leader);
                } else {
                    let left = time_to_wait.saturating_sub(waited);
                    next = Some(next.map_or(left, |n| n.min(left)));
                }
            }
            let length = (index + 1).max(0) as usize;
            info.built_in.update_partition_load_stats(length);
        }
        ReadyCheckResult {
            ready_nodes,
            next_ready_check_delay_ms: next,
        }
    }

    /// `updateNodeLatencyStats`, from the sender for each ready leader: `can_drain` when its
    /// connection could take a request. Only kept with an availability timeout.
    pub fn update_node_latency_stats(&mut self, node: u32, now: u64, can_drain: bool) {
        if self.availability_timeout_ms == 0 {
            return;
        }
        let stats = self.node_stats.entry(node).or_insert(NodeLatencyStats {
            ready_ms: now,
            drain_ms: now,
        });
        if can_drain {
            stats.drain_ms = now;
        }
        stats.ready_ms = now;
    }

    /// `RecordAccumulator.drain`: for each node, at most one batch per partition, walking
    /// its partitions from the saved drain index, until `max_request_size` would be exceeded.
    /// Muted partitions and batches still backing off are skipped. An idempotent producer
    /// gives each batch its sequence here, at its first drain; while a partition has
    /// batches in flight, a retried batch goes only if it holds the first in-flight
    /// sequence (`shouldStopDrainBatchesForPartition`), which stops this node's drain.
    /// A partition an epoch bump did not rewrite moves to the new epoch, from sequence 0,
    /// at its first new batch after its old ones have completed
    /// (`maybeUpdateProducerIdAndEpoch`).
    pub fn drain(
        &mut self,
        cluster: &Cluster,
        nodes: &VecSet<u32>,
        max_request_size: u32,
        now: u64,
        rng: &mut Rng,
        mut tm: Option<&mut TransactionManager>,
    ) -> VecMap<u32, Vec<ProducerBatch>> {
        let mut out = std::mem::take(&mut self.spare_drained);
        let parts = &mut self.drain_parts;
        for &node in nodes {
            cluster.partitions_for_node(node, parts);
            if parts.is_empty() {
                continue;
            }
            let key = if self.per_node_drain_index {
                node
            } else {
                u32::MAX
            };
            let start = self.drain_index.get(&key).copied().unwrap_or(0) % parts.len();
            let mut i = start;
            let mut size = 0u32;
            let mut ready = Vec::new();
            // The partition looked at last, for the drain index: set once, below.
            let mut last;
            loop {
                let tp = parts[i];
                last = i;
                i = (i + 1) % parts.len();
                let dq = self.topics[tp.topic as usize]
                    .batches
                    .get_mut(&tp.partition);
                if let (Some(dq), false) = (dq, self.muted.contains(&tp)) {
                    let epoch = self
                        .retry_skips_backoff_for_new_leader
                        .then(|| cluster.leader_epoch_for(tp));
                    if let Some(first) = dq.front() {
                        let (backing_off, new_leader) =
                            first.backing_off(&self.retry_backoff, now, rng, epoch);
                        if !backing_off {
                            if size + first.size_in_bytes > max_request_size && !ready.is_empty() {
                                break;
                            }
                            if let Some(tm) = tm.as_deref() {
                                // Not yet in the transaction: wait for AddPartitionsToTxn.
                                if !tm.is_send_to_partition_allowed(tp) {
                                    break;
                                }
                                // A new batch waits while the partition's older
                                // batches are unresolved, or still out under an epoch
                                // the producer has left (sequence 0 of the new epoch
                                // would get ahead of them).
                                if first.base_sequence < 0
                                    && (tm.has_unresolved_sequence(tp)
                                        || (tm.has_in_flight_batches(tp)
                                            && tm.has_stale_producer_id_and_epoch(tp)))
                                {
                                    break;
                                }
                                if first.base_sequence >= 0
                                    && tm
                                        .first_in_flight_sequence(tp)
                                        .is_some_and(|s| s != first.base_sequence)
                                {
                                    break;
                                }
                            }
                            // batchReady's conditions, for the trace to say why it went.
                            let ready_because = if new_leader {
                                Some(SendReason::NewLeader)
                            } else if first.attempts > 0 {
                                Some(SendReason::RetryBackoffOver)
                            } else if dq.len() > 1 || first.is_full() {
                                Some(SendReason::Full)
                            } else if now.saturating_sub(first.last_attempt_ms) >= self.linger_ms {
                                Some(SendReason::LingerExpired)
                            } else {
                                None
                            };
                            let mut batch = dq.pop_front().expect("front exists");
                            self.expiry.forget();
                            batch.ready_because = ready_because;
                            batch.leader_epoch = epoch.unwrap_or(0);
                            if let Some(tm) = tm.as_deref_mut() {
                                if batch.base_sequence < 0 {
                                    let (epoch, base) =
                                        tm.sequence_new_batch(tp, batch.records.len() as u32);
                                    batch.producer_id = tm.producer_id;
                                    batch.producer_epoch = epoch;
                                    batch.base_sequence = base;
                                }
                            }
                            self.last_drained_records = batch.records.len();
                            let ratio = batch.close();
                            let info = &mut self.topics[tp.topic as usize];
                            info.compression_ratio =
                                update_estimation(info.compression_ratio, ratio);
                            size += batch.size_in_bytes;
                            ready.push(batch);
                        }
                    }
                }
                if i == start {
                    break;
                }
            }
            // Since 3.3 the next drain starts at the partition looked at last (the one that
            // did not fit, if any); before, past it, where the shared index had moved.
            self.drain_index
                .insert(key, if self.per_node_drain_index { last } else { i });
            if !ready.is_empty() {
                out.insert(node, ready);
            }
        }
        parts.clear();
        out
    }
}

impl RecordAccumulator {
    /// `reenqueue`: a failed batch goes back to the front of its deque, counting the
    /// attempt; an idempotent one is put in sequence order (`insertInSequenceOrder`).
    pub fn reenqueue(&mut self, mut batch: ProducerBatch, now: u64) {
        batch.attempts += 1;
        batch.last_attempt_ms = batch.last_append_ms.max(now);
        self.insert_front(batch);
    }

    /// `splitAndReenqueue` (`ProducerBatch.split`): a batch the broker found too large is
    /// re-packed, records in order, into batches of `max(batch.size, first record's upper
    /// bound)` made outside the `BufferPool` (`buffer_size` 0), keeping its creation time;
    /// an idempotent one's sequences are handed out again consecutively. They go to the
    /// front of the deque as if never tried. The topic's ratio estimate restarts at
    /// `max(1, the big batch's ratio)`. Returns the new batches' ids.
    pub fn split_and_reenqueue(
        &mut self,
        big: &ProducerBatch,
        mut tm: Option<&mut TransactionManager>,
    ) -> Vec<BatchId> {
        self.expiry.forget();
        let tp = big.tp;
        let ratio = big.compression_ratio().unwrap_or(1.0).max(1.0);
        self.topics[tp.topic as usize].compression_ratio = ratio;
        let mut split: Vec<ProducerBatch> = Vec::new();
        for r in &big.records {
            let fields = FieldsSize::of(r.data.key_len(), r.data.value_len());
            let fits = split.last_mut().is_some_and(|b| {
                b.try_append(r.index, &r.data, fields, big.last_append_ms)
                    .is_some()
            });
            if !fits {
                let upper = fields.upper_bound() as u32;
                let id = self.next_batch_id;
                self.next_batch_id += 1;
                let mut batch = ProducerBatch::new(
                    id,
                    tp,
                    self.batch_size.max(upper),
                    big.created_ms,
                    self.compression,
                    ratio,
                    0,
                );
                batch.buffer_size = 0;
                batch.try_append(r.index, &r.data, fields, big.last_append_ms);
                split.push(batch);
            }
        }
        let mut sequence = big.base_sequence;
        for b in &mut split {
            b.closed = true;
            if sequence >= 0 {
                b.producer_id = big.producer_id;
                b.producer_epoch = big.producer_epoch;
                b.base_sequence = sequence;
                if let Some(tm) = tm.as_deref_mut() {
                    tm.add_in_flight(tp, b.sequence_key());
                }
                sequence = sequence.wrapping_add(b.records.len() as i32);
            }
        }
        let ids = split.iter().map(|b| b.id).collect();
        for b in split.into_iter().rev() {
            self.insert_front(b);
        }
        ids
    }

    /// `addFirst`, or for a sequenced batch `insertInSequenceOrder`.
    fn insert_front(&mut self, batch: ProducerBatch) {
        self.expiry.forget();
        let dq = self.topics[batch.tp.topic as usize]
            .batches
            .entry(batch.tp.partition)
            .or_default();
        let seq = batch.base_sequence;
        let at = if seq < 0 {
            0
        } else {
            dq.iter()
                .take_while(|b| b.base_sequence >= 0 && b.base_sequence < seq)
                .count()
        };
        dq.insert(at, batch);
    }

    /// `expiredBatches`: from the front of every deque, the batches whose
    /// `delivery.timeout.ms` has run out.
    pub fn expired_batches(&mut self, now: u64) -> Vec<ProducerBatch> {
        let mut expired = Vec::new();
        for info in &mut self.topics {
            for dq in info.batches.values_mut() {
                while dq
                    .front()
                    .is_some_and(|b| b.has_reached_delivery_timeout(self.delivery_timeout_ms, now))
                {
                    expired.push(dq.pop_front().expect("front exists"));
                }
            }
        }
        // Every sender pass asks: the cached expiry stays while no front went.
        if !expired.is_empty() {
            self.expiry.forget();
        }
        expired
    }

    /// `abortUndrainedBatches`: an aborted transaction's batches never sent are taken out
    /// (to fail with `TransactionAbortedException`); retried ones stay, since they may be
    /// in the log already and must be resolved.
    pub fn abort_undrained_batches(&mut self) -> Vec<ProducerBatch> {
        self.expiry.forget();
        let mut aborted = Vec::new();
        for info in &mut self.topics {
            for dq in info.batches.values_mut() {
                let (never_sent, kept): (VecDeque<ProducerBatch>, VecDeque<ProducerBatch>) =
                    std::mem::take(dq)
                        .into_iter()
                        .partition(|b| b.base_sequence < 0);
                *dq = kept;
                aborted.extend(never_sent);
            }
        }
        aborted
    }

    /// The earliest moment a queued batch expires.
    pub fn next_expiry_ms(&self) -> Option<u64> {
        let scan = || {
            self.topics
                .iter()
                .flat_map(|t| t.batches.values())
                .filter_map(|dq| dq.front())
                .map(|b| b.created_ms + self.delivery_timeout_ms)
                .min()
        };
        self.expiry.get_or(scan)
    }

    pub fn delivery_timeout_ms(&self) -> u64 {
        self.delivery_timeout_ms
    }

    pub fn mute(&mut self, tp: TopicPartition) {
        self.muted.insert(tp);
    }

    pub fn unmute(&mut self, tp: TopicPartition) {
        self.muted.remove(&tp);
    }
}

/// When a leader last had sendable data, and when it last could be drained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NodeLatencyStats {
    ready_ms: u64,
    drain_ms: u64,
}

fn all_batches_full(dq: &VecDeque<ProducerBatch>) -> bool {
    dq.back().is_none_or(ProducerBatch::is_full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_ratio_estimation_deteriorates_fast_and_improves_slowly() {
        // CompressionRatioEstimator: +0.05 at least towards a worse ratio, −0.005 at most
        // towards a better one.
        assert_eq!(update_estimation(1.0, 0.5), 0.995);
        assert_eq!(update_estimation(0.5, 0.52), 0.55);
        assert_eq!(update_estimation(0.5, 0.9), 0.9);
        assert_eq!(update_estimation(0.5, 0.5), 0.5);
    }
}
