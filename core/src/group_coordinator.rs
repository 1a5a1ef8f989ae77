//! The group coordinator's part in transactions (`GroupCoordinator`,
//! `GroupMetadataManager`): offsets a transactional producer sends with
//! `sendOffsetsToTransaction` (`TxnOffsetCommit`) wait, per producer id, until the
//! transaction's marker reaches the group's `__consumer_offsets` partition — a COMMIT makes
//! them the group's committed offsets, an ABORT drops them (`handleTxnCompletion`).
//!
//! Consumer groups themselves (membership, rebalances, fetching committed offsets) are not
//! modelled: a group here is the name offsets are committed under. As for
//! `__transaction_state`, `__consumer_offsets` is not drawn as a topic: partition i's
//! replicas are brokers i, i+1, i+2 (mod n), its leader the first the controller has not
//! fenced.

use crate::controller::Controller;
use crate::coordinator::{java_string_hash, TxnRequest, TxnResponse};
use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::net::{TransactionResult, WriteTxnMarkersRequest};
use crate::vec_map::VecMap;
use std::rc::Rc;

/// `offsets.topic.num.partitions`.
pub const OFFSETS_PARTITIONS: u32 = 50;
/// The topic index that stands for `__consumer_offsets` in a `TopicPartition` (a
/// transaction's partitions include the group's offsets partition).
pub const CONSUMER_OFFSETS: u32 = u32::MAX;

/// `GroupMetadataManager.partitionFor`.
pub fn offsets_partition_for(group_id: &str) -> TopicPartition {
    let h = java_string_hash(group_id);
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    TopicPartition {
        topic: CONSUMER_OFFSETS,
        partition: abs as u32 % OFFSETS_PARTITIONS,
    }
}

/// A group's offset for one partition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupOffset {
    pub group_id: Rc<str>,
    pub tp: TopicPartition,
    pub offset: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupCoordinator {
    brokers: u32,
    /// Committed offsets, by group and partition.
    pub committed: VecMap<(Rc<str>, TopicPartition), u64>,
    /// Offsets of open transactions, by producer id (`pendingTransactionalOffsetCommits`).
    pub pending: VecMap<i64, Vec<GroupOffset>>,
}

impl GroupCoordinator {
    pub fn new(brokers: u32) -> Self {
        GroupCoordinator {
            brokers,
            committed: VecMap::new(),
            pending: VecMap::new(),
        }
    }

    /// The broker leading the group's `__consumer_offsets` partition: the first of its
    /// replicas the controller has not fenced.
    pub fn coordinator_for(&self, group_id: &str, controller: &Controller) -> Option<u32> {
        self.leader_of(offsets_partition_for(group_id).partition, controller)
    }

    /// The leader of `__consumer_offsets` partition `p`.
    pub fn leader_of(&self, p: u32, controller: &Controller) -> Option<u32> {
        Self::offsets_leader(p, self.brokers, controller)
    }

    /// The leader of `__consumer_offsets` partition `p` in a cluster of `brokers`.
    pub fn offsets_leader(p: u32, brokers: u32, controller: &Controller) -> Option<u32> {
        let rf = 3.min(brokers);
        (0..rf)
            .map(|r| (p + r) % brokers)
            .find(|&b| !controller.is_fenced(b))
    }

    /// `TxnOffsetCommit` reaching `broker`: kept until the transaction ends.
    pub fn txn_offset_commit(
        &mut self,
        broker: u32,
        controller: &Controller,
        producer_id: i64,
        offsets: Vec<GroupOffset>,
    ) -> Errors {
        let Some(group) = offsets.first().map(|o| Rc::clone(&o.group_id)) else {
            return Errors::None;
        };
        if self.coordinator_for(&group, controller) != Some(broker) {
            return Errors::NotCoordinator;
        }
        let pending = self.pending.entry(producer_id).or_default();
        for o in offsets {
            pending.retain(|p| !(p.group_id == o.group_id && p.tp == o.tp));
            pending.push(o);
        }
        Errors::None
    }

    /// `FindCoordinator(GROUP)` (any broker) or `TxnOffsetCommit` (the group's coordinator)
    /// reaching `broker`.
    pub fn handle(
        &mut self,
        broker: u32,
        online: bool,
        controller: &Controller,
        request: TxnRequest,
    ) -> TxnResponse {
        let name = request.name();
        let answer = |error: Errors, coordinator: Option<u32>| TxnResponse {
            request: name,
            error,
            coordinator,
            producer_id: -1,
            producer_epoch: -1,
        };
        if !online {
            return answer(Errors::NotCoordinator, None);
        }
        match request {
            TxnRequest::FindGroupCoordinator { group_id, .. } => {
                match self.coordinator_for(&group_id, controller) {
                    Some(b) => answer(Errors::None, Some(b)),
                    None => answer(Errors::CoordinatorNotAvailable, None),
                }
            }
            TxnRequest::TxnOffsetCommit {
                group_id,
                producer_id,
                offsets,
                ..
            } => {
                let offsets = offsets
                    .into_iter()
                    .map(|(tp, offset)| GroupOffset {
                        group_id: Rc::clone(&group_id),
                        tp,
                        offset,
                    })
                    .collect();
                let error = self.txn_offset_commit(broker, controller, producer_id, offsets);
                answer(error, None)
            }
            _ => unreachable!("transaction coordinator requests go there"),
        }
    }

    /// `WriteTxnMarkers` for `__consumer_offsets` partitions reaching `broker`: each marker
    /// completes its producer's pending offsets there, if this broker leads the partition.
    pub fn write_txn_markers(
        &mut self,
        broker: u32,
        controller: &Controller,
        request: &WriteTxnMarkersRequest,
    ) -> Vec<(i64, TopicPartition, Errors)> {
        let mut results = Vec::new();
        for m in &request.markers {
            for &tp in &m.partitions {
                let error = if self.leader_of(tp.partition, controller) == Some(broker) {
                    let commit = m.result == TransactionResult::Commit;
                    self.complete_txn(m.producer_id, tp.partition, commit);
                    Errors::None
                } else {
                    Errors::NotLeaderOrFollower
                };
                results.push((m.producer_id, tp, error));
            }
        }
        results
    }

    /// A transaction marker reached the group's offsets partition `partition`
    /// (`handleTxnCompletion`): its pending offsets there are committed or dropped.
    pub fn complete_txn(&mut self, producer_id: i64, partition: u32, commit: bool) {
        let Some(pending) = self.pending.get_mut(&producer_id) else {
            return;
        };
        let (done, kept): (Vec<GroupOffset>, Vec<GroupOffset>) = pending
            .drain(..)
            .partition(|o| offsets_partition_for(&o.group_id).partition == partition);
        *pending = kept;
        if pending.is_empty() {
            self.pending.remove(&producer_id);
        }
        if commit {
            for o in done {
                self.committed.insert((o.group_id, o.tp), o.offset);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{Cluster, PartitionMeta, TopicMeta};

    fn controller() -> Controller {
        let cluster = Cluster {
            brokers: 3,
            topics: vec![TopicMeta::new(
                "t".into(),
                vec![PartitionMeta {
                    replicas: vec![0, 1, 2],
                    leader: Some(0),
                    leader_epoch: 0,
                }],
                Default::default(),
            )],
        };
        Controller::new(crate::version::KafkaVersion::latest(), &cluster)
    }

    #[test]
    fn offsets_wait_for_the_commit_marker() {
        let c = controller();
        let mut g = GroupCoordinator::new(3);
        let tp = TopicPartition {
            topic: 0,
            partition: 0,
        };
        let o = |offset| GroupOffset {
            group_id: "g".into(),
            tp,
            offset,
        };
        let broker = g.coordinator_for("g", &c).unwrap();
        assert_eq!(
            g.txn_offset_commit((broker + 1) % 3, &c, 7, vec![o(5)]),
            Errors::NotCoordinator
        );
        assert_eq!(g.txn_offset_commit(broker, &c, 7, vec![o(5)]), Errors::None);
        assert!(g.committed.is_empty(), "invisible until the marker");
        let p = offsets_partition_for("g").partition;
        g.complete_txn(7, p, false);
        assert!(g.committed.is_empty(), "an abort drops them");
        g.txn_offset_commit(broker, &c, 7, vec![o(5)]);
        g.txn_offset_commit(broker, &c, 7, vec![o(9)]);
        g.complete_txn(7, p, true);
        assert_eq!(g.committed[&("g".into(), tp)], 9);
        assert!(g.pending.is_empty());
    }
}
