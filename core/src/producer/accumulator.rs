//! `RecordAccumulator` and `ProducerBatch`: per-partition deques of batches, filled by
//! `send()` and drained by the `Sender` (`producer.md` §3).

use super::partitioner::BuiltInPartitioner;
use crate::metadata::{Cluster, TopicPartition};
use crate::record::{estimate_size_upper_bound, record_size, RecordData, RECORD_BATCH_OVERHEAD};
use crate::rng::RandomSource;
use crate::version::KafkaVersion;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// One record inside a batch: the producer's send index and its exact size in the batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecord {
    pub index: u32,
    pub data: Rc<RecordData>,
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
    /// `MemoryRecordsBuilder.estimatedBytesWritten`: header + records (uncompressed).
    pub size_in_bytes: u32,
    /// Closed for appends: a record did not fit, or the batch was drained.
    pub closed: bool,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

impl ProducerBatch {
    fn new(id: BatchId, tp: TopicPartition, write_limit: u32, now: u64) -> Self {
        ProducerBatch {
            id,
            tp,
            created_ms: now,
            records: Vec::new(),
            write_limit,
            size_in_bytes: RECORD_BATCH_OVERHEAD as u32,
            closed: false,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
        }
    }

    /// `MemoryRecordsBuilder.isFull`.
    pub fn is_full(&self) -> bool {
        self.closed || (!self.records.is_empty() && self.write_limit <= self.size_in_bytes)
    }

    /// `ProducerBatch.tryAppend` / `hasRoomFor`: appends if there is room and returns the
    /// bytes added. One record always fits an empty batch.
    fn try_append(&mut self, index: u32, data: &Rc<RecordData>) -> Option<u32> {
        if self.is_full() {
            return None;
        }
        let offset_delta = self.records.len() as i32;
        let ts_delta = self
            .records
            .first()
            .map_or(0, |r| data.timestamp as i64 - r.data.timestamp as i64);
        let size = record_size(offset_delta, ts_delta, data.key_len(), data.value_len()) as u32;
        if !self.records.is_empty() && self.write_limit < self.size_in_bytes + size {
            return None;
        }
        self.records.push(BatchRecord {
            index,
            data: Rc::clone(data),
            size,
        });
        self.size_in_bytes += size;
        Some(size)
    }
}

/// Per topic: a deque per partition (kept once created, like Kafka's map) and the
/// topic's built-in partitioner.
#[derive(Clone, Debug, PartialEq)]
struct TopicInfo {
    batches: BTreeMap<u32, VecDeque<ProducerBatch>>,
    built_in: BuiltInPartitioner,
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
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReadyCheckResult {
    pub ready_nodes: BTreeSet<u32>,
    /// Time until some batch may become sendable, if any is waiting.
    pub next_ready_check_delay_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordAccumulator {
    batch_size: u32,
    linger_ms: u64,
    adaptive: bool,
    /// `partitioner.availability.timeout.ms`: a leader whose data waited longer than this
    /// to be drained drops out of adaptive partitioning (0 = never).
    availability_timeout_ms: u64,
    node_stats: BTreeMap<u32, NodeLatencyStats>,
    /// Since 3.3 each node keeps its own drain position (KAFKA-13834); before, one for all.
    per_node_drain_index: bool,
    topics: Vec<TopicInfo>,
    drain_index: BTreeMap<u32, usize>,
    next_batch_id: BatchId,
}

impl RecordAccumulator {
    pub fn new(
        version: KafkaVersion,
        batch_size: u32,
        sticky_batch_size: u32,
        linger_ms: u64,
        adaptive: bool,
        availability_timeout_ms: u64,
        topics: usize,
    ) -> Self {
        RecordAccumulator {
            batch_size,
            linger_ms,
            adaptive: adaptive && version.at_least(3, 3),
            availability_timeout_ms,
            node_stats: BTreeMap::new(),
            per_node_drain_index: version.at_least(3, 3),
            topics: (0..topics)
                .map(|_| TopicInfo {
                    batches: BTreeMap::new(),
                    built_in: BuiltInPartitioner::new(sticky_batch_size),
                })
                .collect(),
            drain_index: BTreeMap::new(),
            next_batch_id: 0,
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

    pub fn has_undrained(&self) -> bool {
        self.topics
            .iter()
            .any(|t| t.batches.values().any(|dq| !dq.is_empty()))
    }

    /// `RecordAccumulator.append`. `partition = None` lets the built-in partitioner choose.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        topic: u32,
        partition: Option<u32>,
        index: u32,
        data: &Rc<RecordData>,
        abort_on_new_batch: bool,
        now: u64,
        rng: &mut impl RandomSource,
        cluster: &Cluster,
    ) -> AppendResult {
        let available: Vec<u32> = cluster.available_partitions(topic).collect();
        let all = cluster.num_partitions(topic);
        let batch_size = self.batch_size;
        let info = &mut self.topics[topic as usize];
        loop {
            let sticky = partition.is_none();
            let effective = match partition {
                Some(p) => p,
                None => info.built_in.peek(rng, &available, all),
            };
            let dq = info.batches.entry(effective).or_default();
            // partitionChanged: complete a switch postponed while the last batch was open.
            if sticky
                && all_batches_full(dq)
                && info
                    .built_in
                    .update_partition_info(0, true, rng, &available, all)
            {
                continue;
            }
            let deque_len = dq.len();
            if let Some(last) = dq.back_mut() {
                match last.try_append(index, data) {
                    Some(bytes) => {
                        let result = AppendResult {
                            partition: effective,
                            batch: last.id,
                            batch_is_full: deque_len > 1 || last.is_full(),
                            new_batch_created: false,
                            abort_for_new_batch: false,
                        };
                        if sticky {
                            let enable = all_batches_full(dq);
                            info.built_in
                                .update_partition_info(bytes, enable, rng, &available, all);
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
                };
            }
            // partitionChanged again, now that the last batch is closed: a switch postponed
            // while it was open happens before a new batch is made on the old partition.
            if sticky
                && info
                    .built_in
                    .update_partition_info(0, true, rng, &available, all)
            {
                continue;
            }
            let upper = estimate_size_upper_bound(data.key_len(), data.value_len());
            let id = self.next_batch_id;
            self.next_batch_id += 1;
            let mut batch = ProducerBatch::new(
                id,
                TopicPartition {
                    topic,
                    partition: effective,
                },
                batch_size.max(upper as u32),
                now,
            );
            batch.try_append(index, data);
            let appended = batch.size_in_bytes;
            dq.push_back(batch);
            let last = dq.back().expect("just pushed");
            let result = AppendResult {
                partition: effective,
                batch: id,
                batch_is_full: dq.len() > 1 || last.is_full(),
                new_batch_created: true,
                abort_for_new_batch: false,
            };
            if sticky {
                let enable = all_batches_full(dq);
                info.built_in
                    .update_partition_info(appended, enable, rng, &available, all);
            }
            return result;
        }
    }

    /// `RecordAccumulator.ready` → `partitionReady` per topic: leaders with a sendable
    /// batch, and when to look again. Also feeds adaptive partitioning with the deque
    /// lengths of partitions that have a leader, once every partition has a deque.
    pub fn ready(&mut self, cluster: &Cluster, now: u64) -> ReadyCheckResult {
        let mut ready_nodes = BTreeSet::new();
        let mut next: Option<u64> = None;
        for (t, info) in self.topics.iter_mut().enumerate() {
            let all = cluster.num_partitions(t as u32) as usize;
            let collect = self.adaptive && info.batches.len() >= all;
            let slots = if collect { info.batches.len() } else { 0 };
            let mut sizes = vec![0u32; slots];
            let mut ids = vec![0u32; slots];
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
                if ready_nodes.contains(&leader) {
                    continue;
                }
                let waited = now.saturating_sub(first.created_ms);
                let full = dq.len() > 1 || first.is_full();
                if full || waited >= self.linger_ms {
                    ready_nodes.insert(leader);
                } else {
                    let left = self.linger_ms - waited;
                    next = Some(next.map_or(left, |n| n.min(left)));
                }
            }
            let length = (index + 1).max(0) as usize;
            info.built_in
                .update_partition_load_stats(collect.then_some((&sizes[..], &ids[..])), length);
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
    pub fn drain(
        &mut self,
        cluster: &Cluster,
        nodes: &BTreeSet<u32>,
        max_request_size: u32,
    ) -> BTreeMap<u32, Vec<ProducerBatch>> {
        let mut out = BTreeMap::new();
        for &node in nodes {
            let parts = cluster.partitions_for_node(node);
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
            loop {
                let tp = parts[i];
                self.drain_index.insert(key, i);
                i = (i + 1) % parts.len();
                if let Some(dq) = self.topics[tp.topic as usize]
                    .batches
                    .get_mut(&tp.partition)
                {
                    if let Some(first) = dq.front() {
                        if size + first.size_in_bytes > max_request_size && !ready.is_empty() {
                            break;
                        }
                        let mut batch = dq.pop_front().expect("front exists");
                        batch.closed = true;
                        size += batch.size_in_bytes;
                        ready.push(batch);
                    }
                }
                if i == start {
                    break;
                }
            }
            if !ready.is_empty() {
                out.insert(node, ready);
            }
        }
        out
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
