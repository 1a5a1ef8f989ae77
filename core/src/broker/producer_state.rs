//! `ProducerStateManager`: per partition, what the leader remembers of each idempotent
//! producer — its epoch and the metadata of its last five batches — to drop retried
//! duplicates and refuse gaps (`exactly-once.md` §3; `ProducerStateEntry`,
//! `ProducerAppendInfo.checkSequence`, `UnifiedLog.analyzeAndValidateProducerState`); and
//! its transactions here: which are open, which ended but are not yet below the high
//! watermark (together they hold the last stable offset back, §8), and the aborted ones
//! a `read_committed` fetch must name (`AbortedTxn`, §7). And, from 3.6 (KIP-890), the
//! verification state of producers whose first transactional write here is being checked
//! with the coordinator (`VerificationStateEntry`).

use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::net::TransactionResult;
use crate::vec_map::VecMap;
use crate::version::KafkaVersion;
use std::collections::VecDeque;

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: why `max.in.flight.requests.per.connection`
/// must be ≤ 5 with idempotence — every batch that can be retried is still remembered.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// Whether `v` has the fix for KAFKA-15591 (apache/kafka PR #23234: a partition that never
/// held a record takes only first sequence 0). It came after 4.0 (4.5 by franz-go's notes,
/// unverified), so no version modelled has it: [`ProducerStateManager::check`] takes any
/// sequence from an unknown producer in all of them, and the app says so.
pub fn fixes_kafka_15591(v: KafkaVersion) -> bool {
    v.at_least(4, 5)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMetadata>,
    /// The epoch of the coordinator whose marker this partition saw last; -1 before any.
    pub coordinator_epoch: i32,
    /// `currentTxnFirstOffset`: where the producer's open transaction here began.
    pub current_txn_first_offset: Option<u64>,
    /// `lastTimestamp`: the largest timestamp of its last batch or marker (KAFKA-9144) —
    /// the producer's own create time, not when the leader appended it. Expiry counts
    /// from it.
    pub last_timestamp: u64,
}

impl ProducerStateEntry {
    fn new(epoch: i16, timestamp: u64) -> Self {
        ProducerStateEntry {
            epoch,
            batches: VecDeque::new(),
            coordinator_epoch: -1,
            current_txn_first_offset: None,
            last_timestamp: timestamp,
        }
    }

    /// `maybeUpdateProducerEpoch`: a new epoch forgets the old one's batches, so its
    /// first batch must have sequence 0.
    /// When `isProducerExpired` first holds for it: its last write plus `expiration_ms`;
    /// never while it has a transaction open here.
    fn expires_at(&self, expiration_ms: u64) -> Option<u64> {
        self.current_txn_first_offset
            .is_none()
            .then_some(self.last_timestamp + expiration_ms)
    }

    fn maybe_update_epoch(&mut self, epoch: i16) {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.batches.clear();
        }
    }
}

/// One entry of the aborted transaction index (`AbortedTxn`): the producer, its
/// transaction's first offset and marker offset, and the LSO once the marker was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: u64,
    pub last_offset: u64,
    pub last_stable_offset: u64,
}

/// `VerificationStateEntry`: a producer's first transactional write here is being
/// verified with the coordinator. The guard identifies this verification: it is dropped
/// when a transactional batch or a marker of the producer is appended, so a verification
/// answered after the transaction ended (an ABORT marker written meanwhile) no longer
/// matches and the append is refused (the ABA race `UnifiedLog.analyzeAndValidateProducerState`
/// describes). The lowest sequence seen keeps a higher one from being written while a
/// lower one still waits (`maybeUpdateLowestSequenceAndEpoch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerificationStateEntry {
    pub guard: u64,
    pub lowest_sequence: i32,
    pub epoch: i16,
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
    /// `INVALID_TXN_STATE`: a non-transactional batch while the producer has a transaction
    /// open here.
    InvalidTxnState(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerStateManager {
    producers: VecMap<i64, ProducerStateEntry>,
    /// `ongoingTxns`: open transactions by first offset, with their producer.
    ongoing_txns: VecMap<u64, i64>,
    /// `unreplicatedTxns`: ended transactions by first offset, with their marker's offset,
    /// until the high watermark passes the marker.
    unreplicated_txns: VecMap<u64, u64>,
    /// The aborted transaction index (the log segments' `TransactionIndex`), in marker
    /// order.
    aborted_txns: Vec<AbortedTxn>,
    /// `transaction.partition.verification.enable` as this log has it
    /// (`ProducerStateManagerConfig.transactionVerificationEnabled`): off before 3.6.
    pub verification_enabled: bool,
    /// 4.0+: a transaction is ongoing for a batch only at the batch's epoch. Under
    /// transactions V2 every end bumps the epoch, so the next transaction's first write may
    /// reach a leader before the previous one's marker: it must be verified (and wait),
    /// not slip into the old transaction (`UnifiedLog.hasOngoingTransaction(producerId,
    /// producerEpoch)`, KAFKA-18575).
    pub ongoing_by_epoch: bool,
    /// `verificationStates`, by producer id, and the next guard to hand out.
    verification: VecMap<i64, VerificationStateEntry>,
    next_guard: u64,
}

/// `ProducerAppendInfo.inSequence`: the next sequence, wrapping after `i32::MAX` to 0.
fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq as i64 == last_seq as i64 + 1 || (next_seq == 0 && last_seq == i32::MAX)
}

impl ProducerStateManager {
    /// An empty state with the same verification rules as `self`.
    pub fn emptied(&self) -> Self {
        ProducerStateManager {
            verification_enabled: self.verification_enabled,
            ongoing_by_epoch: self.ongoing_by_epoch,
            ..ProducerStateManager::default()
        }
    }

    pub fn entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    pub fn producers(&self) -> impl Iterator<Item = (&i64, &ProducerStateEntry)> {
        self.producers.iter()
    }

    pub fn aborted_txns(&self) -> &[AbortedTxn] {
        &self.aborted_txns
    }

    /// `onLogStartOffsetIncremented`: ended transactions wholly below the new log start
    /// are forgotten, and the aborted ones with them (their segments' transaction index is
    /// deleted). Producer entries stay.
    pub fn on_log_start_offset_incremented(&mut self, log_start_offset: u64) {
        self.unreplicated_txns
            .retain(|_, last| *last >= log_start_offset);
        self.aborted_txns
            .retain(|t| t.last_offset >= log_start_offset);
    }

    /// Whether the record at `offset` of `producer_id` belongs to an aborted transaction.
    pub fn is_aborted(&self, producer_id: i64, offset: u64) -> bool {
        self.aborted_txns.iter().any(|a| {
            a.producer_id == producer_id && a.first_offset <= offset && offset <= a.last_offset
        })
    }

    /// `UnifiedLog.hasOngoingTransaction`: before 4.0 by producer id alone.
    pub fn has_ongoing_transaction(&self, producer_id: i64, epoch: i16) -> bool {
        self.producers.get(&producer_id).is_some_and(|e| {
            e.current_txn_first_offset.is_some() && (!self.ongoing_by_epoch || e.epoch == epoch)
        })
    }

    /// `maybeCreateVerificationStateEntry`: the producer's verification guard, a new one
    /// unless a verification is already under way (a retry), whose lowest sequence and
    /// epoch then follow the batch.
    pub fn maybe_create_verification_state_entry(
        &mut self,
        producer_id: i64,
        sequence: i32,
        epoch: i16,
    ) -> u64 {
        let next_guard = &mut self.next_guard;
        let entry = self.verification.entry(producer_id).or_insert_with(|| {
            *next_guard += 1;
            VerificationStateEntry {
                guard: *next_guard,
                lowest_sequence: sequence,
                epoch,
            }
        });
        // `maybeUpdateLowestSequenceAndEpoch`.
        if epoch == entry.epoch && sequence < entry.lowest_sequence {
            entry.lowest_sequence = sequence;
        }
        if epoch > entry.epoch {
            entry.epoch = epoch;
            entry.lowest_sequence = sequence;
        }
        entry.guard
    }

    pub fn verification_state_entry(&self, producer_id: i64) -> Option<&VerificationStateEntry> {
        self.verification.get(&producer_id)
    }

    /// `batchMissingRequiredVerification` for a transactional batch of a producer with no
    /// transaction open here: with verification on, the append must carry the producer's
    /// current guard. Returns the refusal (`InvalidTxnStateException`).
    pub fn check_verification(
        &self,
        producer_id: i64,
        epoch: i16,
        transactional: bool,
        guard: Option<u64>,
    ) -> Result<(), String> {
        if !transactional
            || !self.verification_enabled
            || self.has_ongoing_transaction(producer_id, epoch)
        {
            return Ok(());
        }
        let current = self.verification.get(&producer_id).map(|e| e.guard);
        if guard.is_none() || guard != current {
            return Err("Record was not part of an ongoing transaction".into());
        }
        Ok(())
    }

    /// Duplicate first (`findDuplicateBatch`), then the checks of
    /// `ProducerAppendInfo.appendDataBatch`: epoch, sequence, transaction state. `batch`
    /// is the batch as it would be appended (its first offset the log end).
    /// A producer the leader has no state for is accepted at any sequence: since 2.5
    /// (KIP-360) the broker no longer answers `UnknownProducerId` there. This is
    /// KAFKA-15591: when the first batch of a new producer is lost and a later one arrives
    /// first, the later one is taken and the lost one can never follow.
    pub fn check(
        &self,
        producer_id: i64,
        epoch: i16,
        batch: BatchMetadata,
        transactional: bool,
        partition: TopicPartition,
    ) -> SequenceCheck {
        let BatchMetadata {
            first_seq,
            last_seq,
            first_offset: offset,
        } = batch;
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
        if entry.current_txn_first_offset.is_some() && !transactional {
            return SequenceCheck::InvalidTxnState(format!(
                "Expected transactional write from producer {producer_id} at offset {offset} in partition {partition}"
            ));
        }
        SequenceCheck::Append
    }

    /// Records an appended batch whose largest timestamp is `timestamp`, keeping the
    /// newest five (a new epoch starts afresh); a transactional one opens the producer's
    /// transaction here if none is open (`ProducerAppendInfo.appendDataBatch`).
    pub fn append_data_batch(
        &mut self,
        producer_id: i64,
        epoch: i16,
        batch: BatchMetadata,
        transactional: bool,
        timestamp: u64,
    ) {
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerStateEntry::new(epoch, timestamp));
        entry.maybe_update_epoch(epoch);
        entry.last_timestamp = timestamp;
        if entry.batches.len() == NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        entry.batches.push_back(batch);
        if transactional && entry.current_txn_first_offset.is_none() {
            entry.current_txn_first_offset = Some(batch.first_offset);
            self.ongoing_txns.insert(batch.first_offset, producer_id);
        }
        // `UnifiedLog.updateProducers`: the transaction has a first offset here now.
        if transactional {
            self.verification.remove(&producer_id);
        }
    }

    /// `ProducerAppendInfo.checkProducerEpoch` and `checkCoordinatorEpoch` for a marker a
    /// coordinator asks the leader to write (a follower copies markers unchecked).
    pub fn check_end_txn_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> Result<(), Errors> {
        let Some(entry) = self.producers.get(&producer_id) else {
            return Ok(());
        };
        if producer_epoch < entry.epoch {
            Err(Errors::InvalidProducerEpoch)
        } else if coordinator_epoch < entry.coordinator_epoch {
            Err(Errors::TransactionCoordinatorFenced)
        } else {
            Ok(())
        }
    }

    /// A marker at `offset`, written at `timestamp`, ends the producer's open transaction
    /// here, if any (`ProducerAppendInfo.appendEndTxnMarker`, then `completeTxn`): it stays
    /// unstable until the high watermark passes the marker, and an abort enters the index.
    /// The marker's epoch becomes the producer's (a new one clears its batches: the next
    /// must be sequence 0); an unknown producer gets an entry with that epoch and no
    /// sequences.
    pub fn append_end_txn_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
        result: TransactionResult,
        offset: u64,
        timestamp: u64,
    ) {
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerStateEntry::new(producer_epoch, timestamp));
        entry.maybe_update_epoch(producer_epoch);
        // KAFKA-9144: a marker counts as a write, or a producer whose transaction ran
        // long would expire as soon as it ended.
        entry.last_timestamp = timestamp;
        entry.coordinator_epoch = coordinator_epoch;
        // The transaction ended: a verification begun for it no longer holds.
        self.verification.remove(&producer_id);
        // A marker with no data before it changes neither the LSO nor the index.
        let Some(first_offset) = entry.current_txn_first_offset.take() else {
            return;
        };
        if result == TransactionResult::Abort {
            // `ProducerStateManager.lastStableOffset(completedTxn)`: where another
            // producer's open transaction holds it, else just past the marker.
            let last_stable_offset = self
                .ongoing_txns
                .iter()
                .find(|(_, &p)| p != producer_id)
                .map_or(offset + 1, |(&o, _)| o);
            self.aborted_txns.push(AbortedTxn {
                producer_id,
                first_offset,
                last_offset: offset,
                last_stable_offset,
            });
        }
        self.ongoing_txns.remove(&first_offset);
        self.unreplicated_txns.insert(first_offset, offset);
    }

    /// `firstUnstableOffset`: the first offset of a transaction still open, or ended with
    /// its marker not yet below `high_watermark`; `None` when every transaction is stable.
    pub fn first_unstable_offset(&self, high_watermark: u64) -> Option<u64> {
        let undecided = self.ongoing_txns.keys().next().copied();
        let unreplicated = self
            .unreplicated_txns
            .iter()
            .find(|(_, &marker)| marker >= high_watermark)
            .map(|(&first, _)| first);
        match (undecided, unreplicated) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `onHighWatermarkUpdated`: ended transactions whose marker is below the high
    /// watermark are stable for good.
    pub fn on_high_watermark_updated(&mut self, high_watermark: u64) {
        self.unreplicated_txns
            .retain(|_, &mut marker| marker >= high_watermark);
    }

    /// When the first producer here may be forgotten (`isProducerExpired`): its last
    /// write plus `expiration_ms`, counting only producers with no transaction open.
    pub fn next_expiration_ms(&self, expiration_ms: u64) -> Option<u64> {
        self.producers
            .values()
            .filter_map(|e| e.expires_at(expiration_ms))
            .min()
    }

    /// `removeExpiredProducers`: forgets every producer whose last write is at least
    /// `expiration_ms` old at `now` and that has no transaction open here; its next batch
    /// is then taken at any sequence (see [`ProducerStateManager::check`]). Tells
    /// `expired` each producer forgotten, with its last write's timestamp.
    pub fn remove_expired_producers(
        &mut self,
        now: u64,
        expiration_ms: u64,
        mut expired: impl FnMut(i64, u64),
    ) {
        self.producers.retain(|&id, e| {
            let keep = e.expires_at(expiration_ms).is_none_or(|t| now < t);
            if !keep {
                expired(id, e.last_timestamp);
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TransactionResult::{Abort, Commit};

    const TP: TopicPartition = TopicPartition {
        topic: 0,
        partition: 0,
    };

    fn meta(first_seq: i32, last_seq: i32, first_offset: u64) -> BatchMetadata {
        BatchMetadata {
            first_seq,
            last_seq,
            first_offset,
        }
    }

    /// A one-record batch of sequence `seq` at `offset`, as the leader checks it.
    fn check(
        m: &ProducerStateManager,
        pid: i64,
        epoch: i16,
        seq: i32,
        offset: u64,
    ) -> SequenceCheck {
        m.check(pid, epoch, meta(seq, seq, offset), false, TP)
    }

    /// Checks and, if accepted, appends a one-record batch (the test helper
    /// `appendClientEntry`).
    fn append(
        m: &mut ProducerStateManager,
        pid: i64,
        epoch: i16,
        seq: i32,
        offset: u64,
        transactional: bool,
    ) -> SequenceCheck {
        let batch = meta(seq, seq, offset);
        let check = m.check(pid, epoch, batch, transactional, TP);
        if check == SequenceCheck::Append {
            m.append_data_batch(pid, epoch, batch, transactional, 0);
        }
        check
    }

    /// A coordinator's marker, checked as the leader does (coordinator epoch 0).
    fn marker(
        m: &mut ProducerStateManager,
        pid: i64,
        epoch: i16,
        result: TransactionResult,
        offset: u64,
    ) -> Result<(), Errors> {
        m.check_end_txn_marker(pid, epoch, 0)?;
        m.append_end_txn_marker(pid, epoch, 0, result, offset, 0);
        Ok(())
    }

    #[test]
    fn basic_id_mapping() {
        // ProducerStateManagerTest.testBasicIdMapping (exactly-once.md §11 case 1): in
        // sequence is accepted, a gap is out of order, a new epoch starts at 0, and the old
        // epoch is then fenced.
        let mut m = ProducerStateManager::default();
        assert_eq!(append(&mut m, 1, 0, 0, 0, false), SequenceCheck::Append);
        assert_eq!(append(&mut m, 1, 0, 1, 1, false), SequenceCheck::Append);
        assert!(matches!(
            check(&m, 1, 0, 5, 2),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(append(&mut m, 1, 1, 0, 2, false), SequenceCheck::Append);
        assert!(matches!(
            check(&m, 1, 0, 2, 3),
            SequenceCheck::InvalidEpoch(_)
        ));
    }

    #[test]
    fn duplicates_within_five_batches_keep_their_offset() {
        let mut m = ProducerStateManager::default();
        for i in 0..5 {
            m.append_data_batch(7, 0, meta(i * 2, i * 2 + 1, i as u64 * 2), false, 0);
        }
        assert_eq!(
            m.check(7, 0, meta(0, 1, 10), false, TP),
            SequenceCheck::Duplicate { first_offset: 0 }
        );
        m.append_data_batch(7, 0, meta(10, 11, 10), false, 0);
        // Batch 0-1 has left the window: its re-send is now a gap.
        assert!(matches!(
            m.check(7, 0, meta(0, 1, 12), false, TP),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(check(&m, 7, 0, 12, 12), SequenceCheck::Append);
    }

    #[test]
    fn no_version_modelled_fixes_kafka_15591() {
        // `check` does not look at the version: a line with the fix needs it to first.
        for line in KafkaVersion::supported_lines() {
            assert!(
                !fixes_kafka_15591(KafkaVersion::parse(&line).unwrap()),
                "{line}"
            );
        }
        assert!(fixes_kafka_15591(KafkaVersion::new(4, 5, 0)));
    }

    #[test]
    fn unknown_producer_takes_any_sequence_kafka_15591() {
        let m = ProducerStateManager::default();
        assert_eq!(
            m.check(7, 0, meta(5, 9, 0), false, TP),
            SequenceCheck::Append
        );
    }

    #[test]
    fn gap_and_new_epoch_rules() {
        let mut m = ProducerStateManager::default();
        m.append_data_batch(7, 0, meta(0, 4, 0), false, 0);
        let SequenceCheck::OutOfOrder(msg) = check(&m, 7, 0, 6, 5) else {
            panic!("gap accepted");
        };
        assert!(msg.contains("6 (incoming seq. number), 4 (current end sequence number)"));
        assert!(matches!(
            check(&m, 7, 1, 3, 5),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(check(&m, 7, 1, 0, 5), SequenceCheck::Append);
        assert!(in_sequence(i32::MAX, 0));
    }

    #[test]
    fn append_txn_marker_with_no_producer_state() {
        // PSMT.testAppendTxnMarkerWithNoProducerState (case 2): a marker for an unknown
        // producer leaves its epoch and no sequence; fencing and the sequence rule hold.
        let mut m = ProducerStateManager::default();
        marker(&mut m, 1, 2, Commit, 27).unwrap();
        let entry = m.entry(1).unwrap();
        assert_eq!(entry.epoch, 2);
        assert!(entry.batches.is_empty());
        assert!(matches!(
            check(&m, 1, 0, 0, 28),
            SequenceCheck::InvalidEpoch(_)
        ));
        assert!(matches!(
            check(&m, 1, 2, 17, 28),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(append(&mut m, 1, 2, 0, 39, false), SequenceCheck::Append);
        assert_eq!(m.entry(1).unwrap().batches.back().unwrap().last_seq, 0);
    }

    #[test]
    fn out_of_sequence_after_control_record_epoch_bump() {
        // PSMT.testOutOfSequenceAfterControlRecordEpochBump (case 4): an ABORT marker with a
        // new epoch clears the batches, so only sequence 0 may follow, in that epoch.
        let mut m = ProducerStateManager::default();
        append(&mut m, 1, 0, 0, 0, true);
        append(&mut m, 1, 0, 1, 1, true);
        marker(&mut m, 1, 1, Abort, 2).unwrap();
        assert!(matches!(
            append(&mut m, 1, 1, 2, 3, true),
            SequenceCheck::OutOfOrder(_)
        ));
        assert!(matches!(
            append(&mut m, 1, 2, 2, 3, true),
            SequenceCheck::OutOfOrder(_)
        ));
        assert_eq!(append(&mut m, 1, 1, 0, 3, true), SequenceCheck::Append);
        let entry = m.entry(1).unwrap();
        assert_eq!(
            (entry.epoch, entry.batches.back().unwrap().last_seq),
            (1, 0)
        );
    }

    #[test]
    fn non_transactional_append_with_ongoing_transaction() {
        // PSMT.testNonTransactionalAppendWithOngoingTransaction (case 5).
        let mut m = ProducerStateManager::default();
        append(&mut m, 1, 0, 0, 0, true);
        let SequenceCheck::InvalidTxnState(msg) = append(&mut m, 1, 0, 1, 1, false) else {
            panic!("non-transactional write inside a transaction accepted");
        };
        assert_eq!(
            msg,
            "Expected transactional write from producer 1 at offset 1 in partition t0-0"
        );
        assert_eq!(m.entry(1).unwrap().batches.len(), 1, "nothing recorded");
    }

    /// The producers `remove_expired_producers` forgets at `now`.
    fn expire(m: &mut ProducerStateManager, now: u64, expiration_ms: u64) -> Vec<(i64, u64)> {
        let mut expired = Vec::new();
        m.remove_expired_producers(now, expiration_ms, |id, t| expired.push((id, t)));
        expired
    }

    #[test]
    fn pid_expiration_timeout() {
        // PSMT.testPidExpirationTimeout (exactly-once.md §11 case 6): once the producer's
        // last write is producer.id.expiration.ms old, the check forgets it, and its next
        // batch is taken at any sequence — here 1 after 0, as the last sequence is gone.
        let expiration_ms = 10_000;
        let mut m = ProducerStateManager::default();
        m.append_data_batch(1, 5, meta(0, 0, 1), false, 100);
        assert_eq!(m.next_expiration_ms(expiration_ms), Some(10_100));
        assert!(expire(&mut m, 10_099, expiration_ms).is_empty());
        assert!(m.entry(1).is_some(), "not a millisecond early");
        let now = 100 + expiration_ms + 1;
        assert_eq!(expire(&mut m, now, expiration_ms), [(1, 100)]);
        assert_eq!(m.entry(1), None);
        assert_eq!(m.next_expiration_ms(expiration_ms), None);
        // A re-send of sequence 0 is no longer known: it would be written again.
        assert_eq!(check(&m, 1, 5, 0, 2), SequenceCheck::Append);
        assert_eq!(check(&m, 1, 5, 1, 2), SequenceCheck::Append);
        m.append_data_batch(1, 5, meta(1, 1, 2), false, now);
        assert_eq!(m.producers().count(), 1);
        assert_eq!(m.entry(1).unwrap().batches.back().unwrap().last_seq, 1);
        // Kept, the same re-send is answered with its first offset.
        let mut kept = ProducerStateManager::default();
        kept.append_data_batch(1, 5, meta(0, 0, 1), false, 100);
        assert_eq!(
            check(&kept, 1, 5, 0, 2),
            SequenceCheck::Duplicate { first_offset: 1 }
        );
    }

    #[test]
    fn producers_with_ongoing_transactions_dont_expire() {
        // PSMT.testProducersWithOngoingTransactionsDontExpire (case 7): an open
        // transaction keeps its producer however old, and with it the first undecided
        // offset; the marker that ends it counts as a write (KAFKA-9144).
        let expiration_ms = 10_000;
        let mut m = ProducerStateManager::default();
        m.append_data_batch(1, 5, meta(0, 0, 99), true, 0);
        assert_eq!(m.next_expiration_ms(expiration_ms), None);
        assert!(expire(&mut m, 50_000, expiration_ms).is_empty());
        assert!(m.entry(1).is_some());
        assert_eq!(m.first_unstable_offset(u64::MAX), Some(99));
        m.append_end_txn_marker(1, 5, 0, Commit, 100, 50_000);
        assert_eq!(m.next_expiration_ms(expiration_ms), Some(60_000));
        assert!(expire(&mut m, 59_999, expiration_ms).is_empty());
        assert_eq!(expire(&mut m, 60_000, expiration_ms), [(1, 50_000)]);
    }

    #[test]
    fn first_unstable_offset() {
        // PSMT.testFirstUnstableOffset (case 8). The first undecided offset is the first
        // unstable one once every marker is replicated (a high watermark past them all).
        let mut m = ProducerStateManager::default();
        let undecided = |m: &ProducerStateManager| m.first_unstable_offset(u64::MAX);
        assert_eq!(undecided(&m), None);
        append(&mut m, 1, 5, 0, 99, true);
        assert_eq!(undecided(&m), Some(99));
        assert_eq!(m.first_unstable_offset(0), Some(99));
        append(&mut m, 2, 5, 0, 105, true);
        assert_eq!(undecided(&m), Some(99));
        assert_eq!(m.first_unstable_offset(0), Some(99));
        marker(&mut m, 1, 5, Commit, 109).unwrap();
        assert_eq!(undecided(&m), Some(105));
        assert_eq!(m.first_unstable_offset(0), Some(99));
        m.on_high_watermark_updated(100);
        assert_eq!(m.first_unstable_offset(100), Some(99));
        m.on_high_watermark_updated(110);
        assert_eq!(m.first_unstable_offset(110), Some(105));
        marker(&mut m, 2, 5, Abort, 112).unwrap();
        assert_eq!(undecided(&m), None);
        assert_eq!(m.first_unstable_offset(110), Some(105));
        m.on_high_watermark_updated(113);
        assert_eq!(m.first_unstable_offset(113), None);
        // Pruned for good: an older high watermark no longer brings it back.
        assert_eq!(m.first_unstable_offset(0), None);
    }

    #[test]
    fn markers_are_fenced_by_producer_and_coordinator_epochs() {
        // PAI.checkProducerEpoch, PAI.checkCoordinatorEpoch (exactly-once.md §7).
        let mut m = ProducerStateManager::default();
        append(&mut m, 1, 3, 0, 0, true);
        assert_eq!(
            m.check_end_txn_marker(1, 2, 0),
            Err(Errors::InvalidProducerEpoch)
        );
        m.append_end_txn_marker(1, 3, 7, Commit, 1, 0);
        assert_eq!(
            m.check_end_txn_marker(1, 3, 6),
            Err(Errors::TransactionCoordinatorFenced)
        );
        assert_eq!(m.check_end_txn_marker(1, 3, 7), Ok(()));
        assert_eq!(m.check_end_txn_marker(2, 0, 0), Ok(()), "unknown producer");
    }

    #[test]
    fn aborts_enter_the_index_with_their_last_stable_offset() {
        // UnifiedLog.append → producerStateManager.lastStableOffset(completedTxn): the LSO
        // is another producer's open transaction, else the offset after the marker.
        let mut m = ProducerStateManager::default();
        append(&mut m, 1, 0, 0, 0, true);
        append(&mut m, 2, 0, 0, 1, true);
        marker(&mut m, 1, 0, Abort, 2).unwrap();
        marker(&mut m, 2, 0, Commit, 3).unwrap();
        append(&mut m, 1, 0, 1, 4, true);
        marker(&mut m, 1, 0, Abort, 5).unwrap();
        // A marker with no transaction open indexes nothing.
        marker(&mut m, 1, 0, Abort, 6).unwrap();
        let txn = |producer_id, first_offset, last_offset, last_stable_offset| AbortedTxn {
            producer_id,
            first_offset,
            last_offset,
            last_stable_offset,
        };
        assert_eq!(m.aborted_txns(), [txn(1, 0, 2, 1), txn(1, 4, 5, 6)]);
    }
}
