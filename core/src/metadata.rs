//! What every node knows about the cluster (Kafka's `Cluster`/`MetadataSnapshot`):
//! topics, partitions, replicas and leaders. Static until brokers can fail.

use crate::config::TopicConfig;
use crate::version::KafkaVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TopicPartition {
    /// Index into `Cluster::topics`.
    pub topic: u32,
    pub partition: u32,
}

/// By topic, then partition, compared as one number: the maps keyed by partition are
/// searched on every message, and one comparison is cheaper than two.
impl Ord for TopicPartition {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |tp: &Self| (tp.topic as u64) << 32 | tp.partition as u64;
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for TopicPartition {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// How a broker's messages name a partition: its topic by index (`t0-2`).
impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{}-{}", self.topic, self.partition)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitionMeta {
    /// Replica broker ids, preferred leader first.
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TopicMeta {
    pub name: String,
    /// Leaders change through `Cluster::set_leader`, which keeps `available` true.
    pub partitions: Vec<PartitionMeta>,
    pub config: TopicConfig,
    /// The partitions with a leader, in order: the partitioners choose from them on every
    /// record, so they are kept rather than gathered each time.
    available: Vec<u32>,
}

impl TopicMeta {
    pub fn new(name: String, partitions: Vec<PartitionMeta>, config: TopicConfig) -> Self {
        let mut topic = TopicMeta {
            name,
            partitions,
            config,
            available: Vec::new(),
        };
        topic.find_available();
        topic
    }

    fn find_available(&mut self) {
        self.available = (0..self.partitions.len() as u32)
            .filter(|&p| self.partitions[p as usize].leader.is_some())
            .collect();
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    pub brokers: u32,
    pub topics: Vec<TopicMeta>,
}

impl Cluster {
    pub fn topic(&self, tp: TopicPartition) -> &TopicMeta {
        &self.topics[tp.topic as usize]
    }

    pub fn num_partitions(&self, topic: u32) -> u32 {
        self.topics[topic as usize].partitions.len() as u32
    }

    pub fn leader_for(&self, tp: TopicPartition) -> Option<u32> {
        self.topics[tp.topic as usize].partitions[tp.partition as usize].leader
    }

    /// `MetadataSnapshot.leaderEpochFor`.
    pub fn leader_epoch_for(&self, tp: TopicPartition) -> u32 {
        self.topics[tp.topic as usize].partitions[tp.partition as usize].leader_epoch
    }

    /// Partitions of `topic` that have a leader, in metadata order
    /// (`Cluster.availablePartitionsForTopic`).
    pub fn available_partitions(&self, topic: u32) -> &[u32] {
        let t = &self.topics[topic as usize];
        debug_assert!(t
            .available
            .iter()
            .copied()
            .eq((0..t.partitions.len() as u32)
                .filter(|&p| t.partitions[p as usize].leader.is_some())));
        &t.available
    }

    /// A partition's new leader and leader epoch.
    pub fn set_leader(&mut self, tp: TopicPartition, leader: Option<u32>, leader_epoch: u32) {
        let topic = &mut self.topics[tp.topic as usize];
        let meta = &mut topic.partitions[tp.partition as usize];
        let changed = meta.leader.is_some() != leader.is_some();
        meta.leader = leader;
        meta.leader_epoch = leader_epoch;
        if changed {
            topic.find_available();
        }
    }

    /// Partitions led by `broker`, in metadata order (`Cluster.partitionsForNode`), into
    /// `out`, emptied first: the sender asks at every drain and keeps the list.
    pub fn partitions_for_node(&self, broker: u32, out: &mut Vec<TopicPartition>) {
        out.clear();
        for (t, meta) in self.topics.iter().enumerate() {
            for (p, pm) in meta.partitions.iter().enumerate() {
                if pm.leader == Some(broker) {
                    out.push(TopicPartition {
                        topic: t as u32,
                        partition: p as u32,
                    });
                }
            }
        }
    }

    /// `topic-partition`; a transaction's group offsets partition is `__consumer_offsets-p`.
    pub fn display(&self, tp: TopicPartition) -> String {
        if tp.topic == crate::group_coordinator::CONSUMER_OFFSETS {
            return format!("__consumer_offsets-{}", tp.partition);
        }
        format!("{}-{}", self.topic(tp).name, tp.partition)
    }
}

/// Replica placement at topic creation, as the version's controller does it, drawing
/// `below(bound)` where Kafka draws `Random.nextInt(bound)`, in Kafka's order (a test
/// feeds it Kafka's own `MockRandom`; the run feeds it its seeded rng).
///
/// 3.3+ (KRaft, `StripedReplicaPlacer`, one rack): the broker list starts at a random
/// offset `r` (then the start rack is drawn among one); partition `p` gets
/// `[b[(r+p)%n], b[(r+p+1)%n], …]`, and after every `n` partitions the list is shuffled
/// (`Collections.shuffle`) while the offset goes on counting. Before 3.3 (ZooKeeper,
/// `AdminUtils.assignReplicasToBrokers`): first replica `(p + start) % n`, followers
/// shifted by `1 + (shift + j) % (n − 1)`, the shift growing by one every `n` partitions.
pub fn place_replicas(
    version: KafkaVersion,
    brokers: u32,
    partitions: u32,
    rf: u32,
    below: &mut impl FnMut(u32) -> u32,
) -> Vec<Vec<u32>> {
    let n = brokers;
    if version.at_least(3, 3) {
        let mut list: Vec<u32> = (0..n).collect();
        let r = below(n);
        below(1);
        (0..partitions)
            .map(|p| {
                if p > 0 && p % n == 0 && n > 1 {
                    for i in (1..list.len()).rev() {
                        let j = below(i as u32 + 1) as usize;
                        list.swap(i, j);
                    }
                }
                (0..rf).map(|j| list[((r + p + j) % n) as usize]).collect()
            })
            .collect()
    } else {
        let start = below(n);
        let mut shift = below(n);
        (0..partitions)
            .map(|p| {
                if p > 0 && p % n == 0 {
                    shift += 1;
                }
                let first = (p + start) % n;
                let mut replicas = vec![first];
                for j in 0..rf.saturating_sub(1) {
                    replicas.push((first + 1 + (shift + j) % (n - 1)) % n);
                }
                replicas
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn placement_spreads_leaders_and_never_repeats_a_broker() {
        for v in [KafkaVersion::new(2, 8, 2), KafkaVersion::latest()] {
            let mut rng = Rng::new(3);
            let a = place_replicas(v, 3, 7, 3, &mut |n| rng.below(n));
            assert_eq!(a.len(), 7);
            for replicas in &a {
                let mut r = replicas.clone();
                r.sort();
                r.dedup();
                assert_eq!(r.len(), 3, "{a:?}");
            }
            let leaders: Vec<u32> = a.iter().take(3).map(|r| r[0]).collect();
            let mut l = leaders.clone();
            l.sort();
            assert_eq!(l, vec![0, 1, 2]);
        }
    }
}
