//! The idempotent half of `TransactionManager` (`exactly-once.md` §1, §2, §4): the
//! producer id and epoch (from `InitProducerId`), and per partition the next sequence and
//! the batches in flight in sequence order (`TxnPartitionMap`/`TxnPartitionEntry`).
//! the last acknowledged sequence, and the epoch bump of KIP-360 for a sequence gap no
//! retry can close. Transactions are still to come.

use crate::errors::Errors;
use crate::metadata::TopicPartition;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TxnPartitionEntry {
    /// The epoch this partition's batches carry: the producer's when the entry was made or
    /// its sequences were last rewritten (`TxnPartitionEntry.producerIdAndEpoch`).
    epoch: i16,
    next_sequence: i32,
    /// Base sequences of batches sent and not yet completed, retried ones included.
    in_flight: BTreeSet<i32>,
    /// The last sequence the partition's leader acknowledged (-1: none yet).
    last_acked_sequence: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionManager {
    pub producer_id: i64,
    pub producer_epoch: i16,
    partitions: BTreeMap<TopicPartition, TxnPartitionEntry>,
    /// Partitions whose sequences must start again at 0 under the next epoch
    /// (`partitionsToRewriteSequences`; non-empty = `epochBumpRequired`).
    rewrite: BTreeSet<TopicPartition>,
    /// Partitions where a batch expired with its sequence used: once nothing is in flight
    /// there, either later batches covered the gap or the epoch must move on.
    unresolved: BTreeSet<TopicPartition>,
}

/// Without a producer id (`NO_PRODUCER_ID`) until `InitProducerId` answers.
impl Default for TransactionManager {
    fn default() -> Self {
        TransactionManager {
            producer_id: -1,
            producer_epoch: -1,
            partitions: BTreeMap::new(),
            rewrite: BTreeSet::new(),
            unresolved: BTreeSet::new(),
        }
    }
}

impl TransactionManager {
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }

    pub fn set_producer_id(&mut self, producer_id: i64, producer_epoch: i16) {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
    }

    fn entry(&mut self, tp: TopicPartition) -> &mut TxnPartitionEntry {
        let epoch = self.producer_epoch;
        self.partitions.entry(tp).or_insert(TxnPartitionEntry {
            epoch,
            next_sequence: 0,
            in_flight: BTreeSet::new(),
            last_acked_sequence: -1,
        })
    }

    /// The epoch a new batch for `tp` carries.
    pub fn epoch_for(&mut self, tp: TopicPartition) -> i16 {
        self.entry(tp).epoch
    }

    /// At drain, a batch's first send: its base sequence, and the partition's next one
    /// moves past its records (`sequenceNumber` + `incrementSequenceNumber`).
    pub fn assign_sequence(&mut self, tp: TopicPartition, records: u32) -> i32 {
        let entry = self.entry(tp);
        let base = entry.next_sequence;
        entry.next_sequence = base.wrapping_add(records as i32);
        entry.in_flight.insert(base);
        base
    }

    /// `addInFlightBatch` for a batch that already has its sequence (a split's parts).
    pub fn add_in_flight(&mut self, tp: TopicPartition, base_sequence: i32) {
        self.entry(tp).in_flight.insert(base_sequence);
    }

    /// `firstInFlightSequence`: while a partition has batches in flight, only the lowest
    /// of them may be drained when it is retried (`shouldStopDrainBatchesForPartition`).
    pub fn first_in_flight_sequence(&self, tp: TopicPartition) -> Option<i32> {
        self.partitions
            .get(&tp)
            .and_then(|e| e.in_flight.first().copied())
    }

    /// `removeInFlightBatch`: the batch was split (its parts carry on).
    pub fn remove_in_flight_batch(&mut self, tp: TopicPartition, base_sequence: i32) {
        self.entry(tp).in_flight.remove(&base_sequence);
    }

    /// `handleCompletedBatch`: acknowledged, so the last acknowledged sequence moves up.
    pub fn handle_completed_batch(&mut self, tp: TopicPartition, base_sequence: i32, records: u32) {
        let entry = self.entry(tp);
        entry.in_flight.remove(&base_sequence);
        let last = base_sequence.wrapping_add(records as i32 - 1);
        entry.last_acked_sequence = entry.last_acked_sequence.max(last);
    }

    /// `handleFailedBatch`: an `OutOfOrderSequenceException` means a gap in the log: bump
    /// the epoch for that partition. A batch that expired with its sequence used leaves
    /// its partition unresolved (`markSequenceUnresolved`).
    pub fn handle_failed_batch(
        &mut self,
        tp: TopicPartition,
        base_sequence: i32,
        out_of_order: bool,
        expired: bool,
    ) {
        self.entry(tp).in_flight.remove(&base_sequence);
        if out_of_order {
            self.rewrite.insert(tp);
        } else if expired {
            self.unresolved.insert(tp);
        }
    }

    /// `maybeResolveSequences`: an unresolved partition with nothing in flight is fine if
    /// its next sequence follows the last acknowledged one (later batches got through);
    /// otherwise its sequences must be rewritten under a new epoch.
    pub fn maybe_resolve_sequences(&mut self) {
        let unresolved: Vec<TopicPartition> = self.unresolved.iter().copied().collect();
        for tp in unresolved {
            let e = self.entry(tp);
            if !e.in_flight.is_empty() {
                continue;
            }
            let next = e.next_sequence == e.last_acked_sequence.wrapping_add(1);
            self.unresolved.remove(&tp);
            if !next {
                self.rewrite.insert(tp);
            }
        }
    }

    /// `epochBumpRequired`.
    pub fn epoch_bump_required(&self) -> bool {
        !self.rewrite.is_empty()
    }

    /// `bumpIdempotentProducerEpoch`: the next epoch (a new producer id once the epoch is
    /// exhausted), and for each partition that asked for it sequences from 0 again
    /// (`startSequencesAtBeginning`; the caller renumbers the batches still waiting there
    /// with `resequence`). Returns those partitions.
    pub fn bump_epoch(&mut self) -> Vec<TopicPartition> {
        if self.producer_epoch == i16::MAX {
            self.producer_id = -1;
            self.producer_epoch = -1;
            self.partitions.clear();
        } else {
            self.producer_epoch += 1;
        }
        let epoch = self.producer_epoch;
        let rewritten: Vec<TopicPartition> =
            std::mem::take(&mut self.rewrite).into_iter().collect();
        for tp in &rewritten {
            if let Some(e) = self.partitions.get_mut(tp) {
                e.epoch = epoch;
                e.next_sequence = 0;
                e.last_acked_sequence = -1;
                e.in_flight.clear();
            }
        }
        rewritten
    }

    /// A new base sequence, under the partition's new epoch, for a batch that waits there
    /// (handed over in the order they wait).
    pub fn resequence(&mut self, tp: TopicPartition, records: u32) -> (i16, i32) {
        let base = self.assign_sequence(tp, records);
        (self.entry(tp).epoch, base)
    }

    /// `TransactionManager.canRetry` for the idempotent producer: an
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` for a batch that is not the next after the last
    /// acknowledged one is retried (the gap before it may still fill); for the next one
    /// itself the broker has lost track, and the batch fails.
    pub fn can_retry(&self, error: Errors, tp: TopicPartition, base_sequence: i32) -> bool {
        if error == Errors::OutOfOrderSequenceNumber {
            let last = self
                .partitions
                .get(&tp)
                .map_or(-1, |e| e.last_acked_sequence);
            return base_sequence != last.wrapping_add(1);
        }
        error.is_retriable()
    }
}
