//! `ProducerStateManager`: per partition, what the leader remembers of each idempotent
//! producer — its epoch and the metadata of its last five batches — to drop retried
//! duplicates and refuse gaps (`exactly-once.md` §3; `ProducerStateEntry`,
//! `ProducerAppendInfo.checkSequence`, `UnifiedLog.analyzeAndValidateProducerState`).

use std::collections::{BTreeMap, VecDeque};

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: why `max.in.flight.requests.per.connection`
/// must be ≤ 5 with idempotence — every batch that can be retried is still remembered.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMetadata>,
}

/// What the leader does with an idempotent batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    Append,
    /// Already in the log: answer with the original base offset, append nothing.
    Duplicate {
        first_offset: u64,
    },
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`, with the broker's log line.
    OutOfOrder(String),
    /// `INVALID_PRODUCER_EPOCH`: an epoch older than the producer's latest here (a zombie).
    InvalidEpoch(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerStateManager {
    producers: BTreeMap<i64, ProducerStateEntry>,
}

/// `ProducerAppendInfo.inSequence`: the next sequence, wrapping after `i32::MAX` to 0.
fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq as i64 == last_seq as i64 + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

impl ProducerStateManager {
    pub fn entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    pub fn producers(&self) -> impl Iterator<Item = (&i64, &ProducerStateEntry)> {
        self.producers.iter()
    }

    /// Duplicate first (`findDuplicateBatch`), then the sequence rule of `checkSequence`.
    /// A producer the leader has no state for is accepted at any sequence: since 2.5
    /// (KIP-360) the broker no longer answers `UnknownProducerId` there. This is
    /// KAFKA-15591: when the first batch of a new producer is lost and a later one arrives
    /// first, the later one is taken and the lost one can never follow.
    pub fn check(
        &self,
        producer_id: i64,
        epoch: i16,
        first_seq: i32,
        last_seq: i32,
        offset: u64,
        partition: &str,
    ) -> SequenceCheck {
        let Some(entry) = self.producers.get(&producer_id) else {
            return SequenceCheck::Append;
        };
        // ProducerAppendInfo.checkProducerEpoch.
        if epoch < entry.epoch {
            return SequenceCheck::InvalidEpoch(format!(
                "Epoch of producer {producer_id} at offset {offset} in {partition} is {epoch}, which is smaller than the last seen epoch {}",
                entry.epoch
            ));
        }
        if entry.epoch == epoch {
            if let Some(b) = entry
                .batches
                .iter()
                .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            {
                return SequenceCheck::Duplicate {
                    first_offset: b.first_offset,
                };
            }
            let current = entry.batches.back().map_or(-1, |b| b.last_seq);
            if !in_sequence(current, first_seq) {
                return SequenceCheck::OutOfOrder(format!(
                    "Out of order sequence number for producer {producer_id} at offset {offset} in partition {partition}: {first_seq} (incoming seq. number), {current} (current end sequence number)"
                ));
            }
        } else if first_seq != 0 {
            return SequenceCheck::OutOfOrder(format!(
                "Invalid sequence number for new epoch of producer {producer_id} at offset {offset} in partition {partition}: {epoch} (request epoch), {first_seq} (seq. number), {} (current producer epoch)",
                entry.epoch
            ));
        }
        SequenceCheck::Append
    }

    /// Records an appended batch, keeping the newest five (a new epoch starts afresh).
    pub fn update(&mut self, producer_id: i64, epoch: i16, batch: BatchMetadata) {
        let entry = self.producers.entry(producer_id).or_default();
        if entry.epoch != epoch {
            entry.epoch = epoch;
            entry.batches.clear();
        }
        if entry.batches.len() == NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        entry.batches.push_back(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_id_mapping() {
        // ProducerStateManagerTest.testBasicIdMapping (exactly-once.md §11 case 1): in
        // sequence is accepted, a gap is out of order, a new epoch starts at 0, and the old
        // epoch is then fenced.
        let mut m = ProducerStateManager::default();
        let check = |m: &ProducerStateManager, epoch, seq| m.check(1, epoch, seq, seq, 9, "t-0");
        assert_eq!(check(&m, 0, 0), SequenceCheck::Append);
        m.update(1, 0, meta(0, 0, 0));
        assert_eq!(check(&m, 0, 1), SequenceCheck::Append);
        m.update(1, 0, meta(1, 1, 1));
        assert!(matches!(check(&m, 0, 5), SequenceCheck::OutOfOrder(_)));
        assert_eq!(check(&m, 1, 0), SequenceCheck::Append);
        m.update(1, 1, meta(0, 0, 2));
        assert!(matches!(check(&m, 0, 2), SequenceCheck::InvalidEpoch(_)));
    }

    fn meta(first_seq: i32, last_seq: i32, first_offset: u64) -> BatchMetadata {
        BatchMetadata {
            first_seq,
            last_seq,
            first_offset,
        }
    }

    #[test]
    fn duplicates_within_five_batches_keep_their_offset() {
        let mut m = ProducerStateManager::default();
        for i in 0..5 {
            m.update(7, 0, meta(i * 2, i * 2 + 1, i as u64 * 2));
        }
        assert_eq!(
            m.check(7, 0, 0, 1, 10, "t-0"),
            SequenceCheck::Duplicate { first_offset: 0 }
        );
        m.update(7, 0, meta(10, 11, 10));
        // Batch 0-1 has left the window: its re-send is now a gap.
        assert!(matches!(
            m.check(7, 0, 0, 1, 12, "t-0"),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(m.check(7, 0, 12, 12, 12, "t-0"), SequenceCheck::Append);
    }

    #[test]
    fn unknown_producer_takes_any_sequence_kafka_15591() {
        let m = ProducerStateManager::default();
        assert_eq!(m.check(7, 0, 5, 9, 0, "t-0"), SequenceCheck::Append);
    }

    #[test]
    fn gap_and_new_epoch_rules() {
        let mut m = ProducerStateManager::default();
        m.update(7, 0, meta(0, 4, 0));
        let SequenceCheck::OutOfOrder(msg) = m.check(7, 0, 6, 6, 5, "t-0") else {
            panic!("gap accepted");
        };
        assert!(msg.contains("6 (incoming seq. number), 4 (current end sequence number)"));
        assert!(matches!(
            m.check(7, 1, 3, 3, 5, "t-0"),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(m.check(7, 1, 0, 0, 5, "t-0"), SequenceCheck::Append);
        assert!(in_sequence(i32::MAX, 0));
    }
}
