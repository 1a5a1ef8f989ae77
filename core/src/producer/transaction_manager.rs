//! The idempotent half of `TransactionManager` (`exactly-once.md` §1, §2, §4): the
//! producer id and epoch (from `InitProducerId`), and per partition the next sequence and
//! the batches in flight in sequence order (`TxnPartitionMap`/`TxnPartitionEntry`).
//! Transactions, the last acknowledged sequence and the epoch bump of KIP-360 are still
//! to come.

use crate::errors::Errors;
use crate::metadata::TopicPartition;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TxnPartitionEntry {
    next_sequence: i32,
    /// Base sequences of batches sent and not yet completed, retried ones included.
    in_flight: BTreeSet<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionManager {
    pub producer_id: i64,
    pub producer_epoch: i16,
    partitions: BTreeMap<TopicPartition, TxnPartitionEntry>,
}

/// Without a producer id (`NO_PRODUCER_ID`) until `InitProducerId` answers.
impl Default for TransactionManager {
    fn default() -> Self {
        TransactionManager {
            producer_id: -1,
            producer_epoch: -1,
            partitions: BTreeMap::new(),
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
        self.partitions.entry(tp).or_insert(TxnPartitionEntry {
            next_sequence: 0,
            in_flight: BTreeSet::new(),
        })
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

    /// `removeInFlightBatch`: the batch completed, failed for good or was split.
    pub fn remove_in_flight_batch(&mut self, tp: TopicPartition, base_sequence: i32) {
        self.entry(tp).in_flight.remove(&base_sequence);
    }

    /// `TransactionManager.canRetry` for the idempotent producer: every
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER` is retried. One that is not the next after the last
    /// acknowledged sequence waits for the gap before it to fill; for the next one itself
    /// Kafka also bumps the epoch (KIP-360), which comes with issue 5.
    pub fn can_retry(&self, error: Errors) -> bool {
        error == Errors::OutOfOrderSequenceNumber || error.is_retriable()
    }
}
