//! How the producer picks a partition: murmur2 for keys (`BuiltInPartitioner.partitionForKey`),
//! the built-in sticky partitioner of 3.3+ for null keys (`BuiltInPartitioner`, KIP-794), and the
//! sticky cache of 2.4–3.2's `DefaultPartitioner` (`StickyPartitionCache`, KIP-480).

use crate::rng::Rng;
use crate::utils::{murmur2, to_positive};

/// `toPositive(murmur2(keyBytes)) % numPartitions`, over all partitions, leader or not.
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    to_positive(murmur2(key)) % num_partitions
}

/// `Utils.toPositive(ThreadLocalRandom.current().nextInt())`.
fn random_partition(rng: &mut Rng) -> u32 {
    to_positive(rng.next_i32())
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
    load_stats: Option<PartitionLoadStats>,
}

impl BuiltInPartitioner {
    pub fn new(sticky_batch_size: u32) -> Self {
        BuiltInPartitioner {
            sticky_batch_size,
            current: None,
            produced_bytes: 0,
            load_stats: None,
        }
    }

    pub fn load_stats(&self) -> Option<&PartitionLoadStats> {
        self.load_stats.as_ref()
    }

    /// `nextPartition`: uniform over available partitions, or weighted by load stats.
    fn next_partition(&self, rng: &mut Rng, available: &[u32], all: u32) -> u32 {
        let random = random_partition(rng);
        match &self.load_stats {
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
    pub fn peek(&mut self, rng: &mut Rng, available: &[u32], all: u32) -> u32 {
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
        rng: &mut Rng,
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

    /// `updatePartitionLoadStats`: `queue_sizes[i]` is the deque length of `partition_ids[i]`;
    /// only the first `length` entries are candidates (the rest were excluded).
    pub fn update_partition_load_stats(
        &mut self,
        queue_sizes: Option<(&[u32], &[u32])>,
        length: usize,
    ) {
        let Some((sizes, ids)) = queue_sizes else {
            self.load_stats = None;
            return;
        };
        if length < 1 || sizes.len() < 2 {
            self.load_stats = None;
            return;
        }
        let max_plus_1 = sizes[..length].iter().copied().max().unwrap_or(0) + 1;
        let all_equal = sizes[..length].iter().all(|&s| s == sizes[0]);
        if all_equal && length == sizes.len() {
            self.load_stats = None;
            return;
        }
        let mut running = 0;
        let cumulative_frequency = sizes[..length]
            .iter()
            .map(|&s| {
                running += max_plus_1 - s;
                running
            })
            .collect();
        self.load_stats = Some(PartitionLoadStats {
            cumulative_frequency,
            partition_ids: ids[..length].to_vec(),
        });
    }
}

/// 2.4–3.2 `StickyPartitionCache`: the topic's cached partition for null keys, changed by
/// `onNewBatch` whenever a record needs a new batch ("switch on new batch").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StickyPartitionCache {
    current: Option<u32>,
}

impl StickyPartitionCache {
    pub fn partition(&mut self, rng: &mut Rng, available: &[u32], all: u32) -> u32 {
        match self.current {
            Some(p) => p,
            None => self.next_partition(None, rng, available, all),
        }
    }

    /// `onNewBatch` → `nextPartition(topic, cluster, prevPartition)`.
    pub fn on_new_batch(&mut self, prev: u32, rng: &mut Rng, available: &[u32], all: u32) {
        self.next_partition(Some(prev), rng, available, all);
    }

    fn next_partition(
        &mut self,
        prev: Option<u32>,
        rng: &mut Rng,
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

#[cfg(test)]
mod tests {
    use super::*;

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
        p.update_partition_load_stats(Some((&[0, 3, 1], &[0, 1, 2])), 3);
        assert_eq!(p.load_stats().unwrap().cumulative_frequency, vec![4, 5, 8]);
        // All equal and none excluded: no stats.
        p.update_partition_load_stats(Some((&[2, 2, 2], &[0, 1, 2])), 3);
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
