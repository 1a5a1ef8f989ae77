//! How the producer picks a partition: murmur2 for keys (`BuiltInPartitioner.partitionForKey`),
//! the built-in sticky partitioner of 3.3+ for null keys (`BuiltInPartitioner`, KIP-794), and the
//! pluggable classes `partitioner.class` may name: `DefaultPartitioner` and
//! `UniformStickyPartitioner` (`StickyPartitionCache`, KIP-480), `RoundRobinPartitioner`, and a
//! user's own class, given as a rule table.

use crate::config::PartitionerClass;
use crate::metadata::Cluster;
use crate::rng::RandomSource;
use crate::scenario::{CustomPartitionerSpec, NullKeyRule, OtherKeys};
use crate::utils::{murmur2, to_positive};
use crate::vec_map::VecMap;
use crate::version::KafkaVersion;
use std::collections::VecDeque;

/// `toPositive(murmur2(keyBytes)) % numPartitions`, over all partitions, leader or not.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    to_positive(murmur2(key)) % num_partitions
}

/// `Utils.toPositive(ThreadLocalRandom.current().nextInt())`.
fn random_partition(rng: &mut impl RandomSource) -> u32 {
    to_positive(rng.next_int())
}

/// Adaptive partitioning's cumulative frequency table (`PartitionLoadStats`).
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionLoadStats {
    pub cumulative_frequency: Vec<u32>,
    pub partition_ids: Vec<u32>,
}

/// The 3.3+ built-in partitioner for one topic: sticks to a partition until about
/// `batch.size` bytes went to it, then picks another, weighted by queue lengths.
#[derive(Clone, Debug, PartialEq)]
pub struct BuiltInPartitioner {
    sticky_batch_size: u32,
    current: Option<u32>,
    produced_bytes: u32,
    /// Kafka's `queueSizes` and `partitionIds` as the last `ready()` wrote them (empty when
    /// it did not collect them), and how many are candidates: the load stats are worked
    /// out from them when a partition is picked, not at every sender pass.
    queue_sizes: Vec<u32>,
    partition_ids: Vec<u32>,
    length: usize,
}

impl BuiltInPartitioner {
    pub fn new(sticky_batch_size: u32) -> Self {
        BuiltInPartitioner {
            sticky_batch_size,
            current: None,
            produced_bytes: 0,
            queue_sizes: Vec::new(),
            partition_ids: Vec::new(),
            length: 0,
        }
    }

    /// The sticky partition records without a partition go to now, if one was chosen.
    pub fn current(&self) -> Option<u32> {
        self.current
    }

    /// Bytes produced to the sticky partition since it was chosen, and the limit
    /// (`batch.size`) after which the next record picks another.
    pub fn progress(&self) -> (u32, u32) {
        (self.produced_bytes, self.sticky_batch_size)
    }

    /// The table `updatePartitionLoadStats` makes from the last `ready()`'s lists, if it
    /// makes one: none when fewer than two queues were counted, or when all were
    /// candidates with equal lengths. Made when a partition is picked (about once a batch),
    /// not at every sender pass.
    pub fn load_stats(&self) -> Option<PartitionLoadStats> {
        let (sizes, length) = (&self.queue_sizes, self.length);
        if length < 1 || sizes.len() < 2 {
            return None;
        }
        let max_plus_1 = sizes[..length].iter().copied().max().unwrap_or(0) + 1;
        let all_equal = sizes[..length].iter().all(|&s| s == sizes[0]);
        if all_equal && length == sizes.len() {
            return None;
        }
        let mut running = 0;
        let cumulative_frequency = sizes[..length]
            .iter()
            .map(|&s| {
                running += max_plus_1 - s;
                running
            })
            .collect();
        Some(PartitionLoadStats {
            cumulative_frequency,
            partition_ids: self.partition_ids[..length].to_vec(),
        })
    }

    /// `nextPartition`: uniform over available partitions, or weighted by load stats.
    fn next_partition(&self, rng: &mut impl RandomSource, available: &[u32], all: u32) -> u32 {
        let random = random_partition(rng);
        match self.load_stats() {
            Some(stats) => {
                let cft = &stats.cumulative_frequency;
                let x = random % cft[cft.len() - 1];
                let i = cft.partition_point(|&c| c <= x);
                stats.partition_ids[i]
            }
            None if !available.is_empty() => available[(random % available.len() as u32) as usize],
            None => random % all,
        }
    }

    /// `peekCurrentPartitionInfo`: the sticky partition, picking one if there is none.
    pub fn peek(&mut self, rng: &mut impl RandomSource, available: &[u32], all: u32) -> u32 {
        match self.current {
            Some(p) => p,
            None => {
                let p = self.next_partition(rng, available, all);
                self.current = Some(p);
                self.produced_bytes = 0;
                p
            }
        }
    }

    /// `updatePartitionInfo`: count the bytes appended to the sticky partition and switch
    /// once `batch.size` is reached (only when its batches are all full, or at twice that).
    /// Returns whether it switched.
    pub fn update_partition_info(
        &mut self,
        appended_bytes: u32,
        enable_switch: bool,
        rng: &mut impl RandomSource,
        available: &[u32],
        all: u32,
    ) -> bool {
        self.produced_bytes = self.produced_bytes.saturating_add(appended_bytes);
        let limit = self.sticky_batch_size;
        if (self.produced_bytes >= limit && enable_switch)
            || self.produced_bytes >= limit.saturating_mul(2)
        {
            self.current = Some(self.next_partition(rng, available, all));
            self.produced_bytes = 0;
            return true;
        }
        false
    }

    /// Kafka's `queueSizes` (zeroed, as Java's new array) and `partitionIds` for `ready()`
    /// to write, `slots` of each (none when it does not collect them): kept between
    /// passes for their allocations.
    pub fn queue_slots(&mut self, slots: usize) -> (&mut [u32], &mut [u32]) {
        self.queue_sizes.clear();
        self.queue_sizes.resize(slots, 0);
        self.partition_ids.resize(slots, 0);
        (&mut self.queue_sizes, &mut self.partition_ids)
    }

    /// `updatePartitionLoadStats`: the first `length` slots `ready()` wrote are candidates
    /// (the rest were excluded).
    pub fn update_partition_load_stats(&mut self, length: usize) {
        self.length = length;
    }
}

/// 2.4–3.2 `StickyPartitionCache`: the topic's cached partition for null keys, changed by
/// `onNewBatch` whenever a record needs a new batch ("switch on new batch").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StickyPartitionCache {
    current: Option<u32>,
}

impl StickyPartitionCache {
    pub fn partition(&mut self, rng: &mut impl RandomSource, available: &[u32], all: u32) -> u32 {
        match self.current {
            Some(p) => p,
            None => self.next_partition(None, rng, available, all),
        }
    }

    /// `onNewBatch` → `nextPartition(topic, cluster, prevPartition)`.
    pub fn on_new_batch(
        &mut self,
        prev: u32,
        rng: &mut impl RandomSource,
        available: &[u32],
        all: u32,
    ) {
        self.next_partition(Some(prev), rng, available, all);
    }

    fn next_partition(
        &mut self,
        prev: Option<u32>,
        rng: &mut impl RandomSource,
        available: &[u32],
        all: u32,
    ) -> u32 {
        if self.current.is_some() && self.current != prev {
            return self.current.unwrap_or(0);
        }
        let next = match available.len() {
            0 => random_partition(rng) % all,
            1 => available[0],
            n => loop {
                let candidate = available[(random_partition(rng) % n as u32) as usize];
                if Some(candidate) != self.current {
                    break candidate;
                }
            },
        };
        self.current = Some(next);
        next
    }
}

/// `RoundRobinPartitioner`: a counter per topic, over the available partitions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoundRobinPartitioner {
    counters: VecMap<u32, i32>,
    /// KAFKA-17632 (4.0, 3.9.2): `onNewBatch` queues the partition just chosen so that the
    /// producer's second `partition()` call returns it instead of advancing the counter.
    requeue_on_new_batch: bool,
    queued: VecMap<u32, VecDeque<u32>>,
}

impl RoundRobinPartitioner {
    pub fn new(version: KafkaVersion) -> Self {
        RoundRobinPartitioner {
            requeue_on_new_batch: fixes_kafka_9965(version),
            ..Default::default()
        }
    }

    pub fn partition(&mut self, topic: u32, available: &[u32], all: u32) -> u32 {
        if let Some(p) = self.queued.get_mut(&topic).and_then(VecDeque::pop_front) {
            return p;
        }
        let counter = self.counters.entry(topic).or_insert(0);
        let c = *counter;
        *counter = counter.wrapping_add(1);
        round_robin_pick(c, available, all)
    }

    pub fn on_new_batch(&mut self, topic: u32, prev: u32) {
        if self.requeue_on_new_batch {
            self.queued.entry(topic).or_default().push_back(prev);
        }
    }
}

/// Whether `version` has KAFKA-17632, the fix of KAFKA-9965: 4.0.0, and 3.9.2 by backport.
pub fn fixes_kafka_9965(v: KafkaVersion) -> bool {
    v.at_least(4, 0) || (v.major, v.minor) == (3, 9) && v.patch >= 2
}

fn round_robin_pick(c: i32, available: &[u32], all: u32) -> u32 {
    let c = to_positive(c);
    if available.is_empty() {
        c % all
    } else {
        available[(c % available.len() as u32) as usize]
    }
}

/// Why a partitioner refused a record (`InvalidRecordException` thrown by `partition()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRecord(pub String);

/// The user's `Partitioner`, written as a rule table instead of Java (seed §4.2's
/// `CustomPartitioner`): the first matching rule wins, then `otherwise`; a null key follows
/// `null_key`. Its `onNewBatch` is `Partitioner`'s default no-op, so a round-robin rule
/// here shows KAFKA-9965's skew in every version.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomPartitioner {
    spec: CustomPartitionerSpec,
    /// A user's own counter: nothing requeued on a new batch.
    round_robin: RoundRobinPartitioner,
}

impl CustomPartitioner {
    pub fn new(spec: CustomPartitionerSpec) -> Self {
        CustomPartitioner {
            spec,
            round_robin: RoundRobinPartitioner::default(),
        }
    }

    pub fn spec(&self) -> &CustomPartitionerSpec {
        &self.spec
    }

    pub fn partition(
        &mut self,
        topic: u32,
        key: Option<(&str, &[u8])>,
        available: &[u32],
        all: u32,
    ) -> Result<u32, InvalidRecord> {
        let Some((text, bytes)) = key else {
            return match self.spec.null_key {
                NullKeyRule::Fail => Err(InvalidRecord("Need message key".into())),
                NullKeyRule::RoundRobin => Ok(self.round_robin.partition(topic, available, all)),
            };
        };
        if let Some(rule) = self.spec.rules.iter().find(|r| r.matches(text)) {
            return Ok(rule.partition);
        }
        Ok(match self.spec.otherwise {
            OtherKeys::Hash => partition_for_key(bytes, all),
            OtherKeys::RoundRobin => self.round_robin.partition(topic, available, all),
        })
    }
}

/// The instance behind `partitioner.class`, with its per-topic state.
#[derive(Clone, Debug, PartialEq)]
pub enum Partitioner {
    /// `DefaultPartitioner`: murmur2 for keys, sticky cache for null keys.
    Default(VecMap<u32, StickyPartitionCache>),
    /// `UniformStickyPartitioner`: the sticky cache for every record.
    UniformSticky(VecMap<u32, StickyPartitionCache>),
    RoundRobin(RoundRobinPartitioner),
    Custom(CustomPartitioner),
}

impl Partitioner {
    /// `custom` must be given for `PartitionerClass::Custom` (the scenario checks it).
    pub fn new(
        class: PartitionerClass,
        version: KafkaVersion,
        custom: Option<&CustomPartitionerSpec>,
    ) -> Self {
        match class {
            PartitionerClass::Default => Partitioner::Default(VecMap::new()),
            PartitionerClass::UniformSticky => Partitioner::UniformSticky(VecMap::new()),
            PartitionerClass::RoundRobin => {
                Partitioner::RoundRobin(RoundRobinPartitioner::new(version))
            }
            PartitionerClass::Custom => {
                Partitioner::Custom(CustomPartitioner::new(custom.cloned().unwrap_or_default()))
            }
        }
    }

    pub fn class(&self) -> PartitionerClass {
        match self {
            Partitioner::Default(_) => PartitionerClass::Default,
            Partitioner::UniformSticky(_) => PartitionerClass::UniformSticky,
            Partitioner::RoundRobin(_) => PartitionerClass::RoundRobin,
            Partitioner::Custom(_) => PartitionerClass::Custom,
        }
    }

    /// `Partitioner.partition(topic, key, keyBytes, value, valueBytes, cluster)`.
    pub fn partition(
        &mut self,
        topic: u32,
        key: Option<(&str, &[u8])>,
        rng: &mut impl RandomSource,
        cluster: &Cluster,
    ) -> Result<u32, InvalidRecord> {
        let available = cluster.available_partitions(topic);
        let all = cluster.num_partitions(topic);
        Ok(match self {
            Partitioner::Default(_) if key.is_some() => {
                partition_for_key(key.map_or(&[][..], |k| k.1), all)
            }
            Partitioner::Default(caches) | Partitioner::UniformSticky(caches) => caches
                .entry(topic)
                .or_default()
                .partition(rng, available, all),
            Partitioner::RoundRobin(rr) => rr.partition(topic, available, all),
            Partitioner::Custom(c) => c.partition(topic, key, available, all)?,
        })
    }

    /// `Partitioner.onNewBatch(topic, cluster, prevPartition)`.
    pub fn on_new_batch(
        &mut self,
        topic: u32,
        prev: u32,
        rng: &mut impl RandomSource,
        cluster: &Cluster,
    ) {
        match self {
            Partitioner::Default(caches) | Partitioner::UniformSticky(caches) => {
                let available = cluster.available_partitions(topic);
                let all = cluster.num_partitions(topic);
                caches
                    .entry(topic)
                    .or_default()
                    .on_new_batch(prev, rng, available, all);
            }
            Partitioner::RoundRobin(rr) => rr.on_new_batch(topic, prev),
            Partitioner::Custom(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn murmur2_partitions_foobar() {
        // toPositive(-790332482) % 7
        assert_eq!(
            partition_for_key(b"foobar", 7),
            (-790332482i32 & 0x7fffffff) as u32 % 7
        );
    }

    #[test]
    fn cft_of_the_code_comment() {
        // Lengths 0,3,1 → weights 4,1,3 → CFT 4,5,8.
        let mut p = BuiltInPartitioner::new(16384);
        let (sizes, ids) = p.queue_slots(3);
        sizes.copy_from_slice(&[0, 3, 1]);
        ids.copy_from_slice(&[0, 1, 2]);
        p.update_partition_load_stats(3);
        assert_eq!(p.load_stats().unwrap().cumulative_frequency, vec![4, 5, 8]);
        // All equal and none excluded: no stats.
        p.queue_slots(3).0.copy_from_slice(&[2, 2, 2]);
        assert!(p.load_stats().is_none());
    }

    #[test]
    fn sticky_cache_changes_only_when_prev_matches() {
        let mut rng = Rng::new(1);
        let mut c = StickyPartitionCache::default();
        let first = c.partition(&mut rng, &[0, 1, 2], 3);
        c.on_new_batch((first + 1) % 3, &mut rng, &[0, 1, 2], 3);
        assert_eq!(c.partition(&mut rng, &[0, 1, 2], 3), first);
        c.on_new_batch(first, &mut rng, &[0, 1, 2], 3);
        assert_ne!(c.partition(&mut rng, &[0, 1, 2], 3), first);
    }
}
