//! `TransactionManager` (`exactly-once.md` §1, §2, §4, §5). The idempotent half: the
//! producer id and epoch (from `InitProducerId`), per partition the next sequence, the
//! batches in flight in sequence order and the last acknowledged sequence
//! (`TxnPartitionMap`/`TxnPartitionEntry`), and the epoch bump of KIP-360 for a sequence gap
//! no retry can close. The transactional half: the client's state machine, the partitions
//! added to the transaction, and the queue of coordinator requests the sender sends one at
//! a time (FindCoordinator, InitProducerId, AddPartitionsToTxn, EndTxn).
//!
//! Under transactions V2 (KIP-890 part 2, a 4.0 client of a cluster whose
//! `transaction.version` is 2, `isTransactionV2Enabled`) the client sends no
//! `AddPartitionsToTxn`: a partition is in the transaction as soon as a record is
//! (`maybeAddPartition`), the leader adds it when it verifies the first write; and every
//! `EndTxn` bumps the epoch, which its response carries (`EndTxnHandler.handleResponse`):
//! the client takes it and starts its sequences over. The epoch bump after an abortable
//! error is then the coordinator's, never an `InitProducerId` of the client's
//! (`needToTriggerEpochBumpFromClient`, KAFKA-17898).

use crate::coordinator::{TransactionVersion, TxnRequest, TxnResponse};
use crate::errors::{Errors, KafkaError};
use crate::metadata::TopicPartition;
use crate::net::TransactionResult;
use crate::vec_map::{VecMap, VecSet};
use crate::version::KafkaVersion;
use std::collections::VecDeque;
use std::rc::Rc;

/// `TransactionManager.State`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxnState {
    Uninitialized,
    Initializing,
    Ready,
    InTransaction,
    CommittingTransaction,
    AbortingTransaction,
    AbortableError,
    FatalError,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Uninitialized => "UNINITIALIZED",
            TxnState::Initializing => "INITIALIZING",
            TxnState::Ready => "READY",
            TxnState::InTransaction => "IN_TRANSACTION",
            TxnState::CommittingTransaction => "COMMITTING_TRANSACTION",
            TxnState::AbortingTransaction => "ABORTING_TRANSACTION",
            TxnState::AbortableError => "ABORTABLE_ERROR",
            TxnState::FatalError => "FATAL_ERROR",
        }
    }

    /// `State.isTransitionValid`.
    pub fn can_become(self, target: TxnState) -> bool {
        use TxnState::*;
        match target {
            Initializing => matches!(self, Uninitialized | AbortingTransaction),
            Ready => matches!(
                self,
                Initializing | CommittingTransaction | AbortingTransaction
            ),
            InTransaction => self == Ready,
            CommittingTransaction => self == InTransaction,
            AbortingTransaction => matches!(self, InTransaction | AbortableError),
            AbortableError => matches!(
                self,
                InTransaction | CommittingTransaction | AbortableError | Initializing
            ),
            Uninitialized => matches!(self, Ready | AbortableError),
            FatalError => true,
        }
    }
}

/// Offsets for a group: the next offset to read, per partition.
pub type Offsets = Vec<(TopicPartition, u64)>;

/// A coordinator request waiting in the client's queue (`TxnRequestHandler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnCall {
    FindCoordinator,
    /// `bump`: the epoch bump that follows an abort after an abortable error.
    InitProducerId {
        bump: bool,
    },
    AddPartitions,
    /// `sendOffsetsToTransaction`: the group's offsets partition joins the transaction,
    /// then the offsets go to the group coordinator (found first if unknown).
    AddOffsets,
    FindGroupCoordinator,
    TxnOffsetCommit,
    EndTxn(TransactionResult),
}

impl TxnCall {
    /// The request it sends, by Kafka's name.
    pub fn request(self) -> &'static str {
        match self {
            TxnCall::FindCoordinator | TxnCall::FindGroupCoordinator => "FindCoordinator",
            TxnCall::InitProducerId { .. } => "InitProducerId",
            TxnCall::AddPartitions => "AddPartitionsToTxn",
            TxnCall::AddOffsets => "AddOffsetsToTxn",
            TxnCall::TxnOffsetCommit => "TxnOffsetCommit",
            TxnCall::EndTxn(_) => "EndTxn",
        }
    }
}

/// An application call blocked until the sender thread finishes it
/// (`TransactionalRequestResult.await`): the scenario action that made it, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockedCall {
    pub action: u32,
    pub deadline: u64,
    /// A `sendOffsetsToTransaction`, released when the group coordinator has the offsets;
    /// the others when the state machine is ready again.
    pub offsets: bool,
}

impl Transactional {
    /// Returns the blocked calls of a kind (`None`: all) with what they return.
    fn release(
        &mut self,
        offsets: Option<bool>,
        error: Option<KafkaError>,
        outcome: &mut TxnOutcome,
    ) {
        let (done, kept): (Vec<BlockedCall>, Vec<BlockedCall>) = std::mem::take(&mut self.blocked)
            .into_iter()
            .partition(|b| offsets.is_none_or(|o| b.offsets == o));
        self.blocked = kept;
        outcome
            .returned
            .extend(done.into_iter().map(|b| (b.action, error.clone())));
    }
}

/// The transactional half's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Transactional {
    pub transactional_id: Rc<str>,
    pub timeout_ms: u64,
    pub state: TxnState,
    pub last_error: Option<KafkaError>,
    pub coordinator: Option<u32>,
    /// Partitions the coordinator has recorded, and those still to add (the ones in an
    /// `AddPartitionsToTxn` in flight included).
    pub partitions_in_transaction: VecSet<TopicPartition>,
    pub new_partitions: VecSet<TopicPartition>,
    pending_partitions: VecSet<TopicPartition>,
    /// Some partition was added: an `EndTxn` is needed (`transactionStarted`).
    transaction_started: bool,
    pending: VecDeque<TxnCall>,
    /// The request out, to which broker, since when.
    pub in_flight: Option<(TxnCall, u32, u64)>,
    /// No request before this time (after a retriable error).
    retry_at: u64,
    /// After an abortable error, the abort ends with an `InitProducerId` epoch bump.
    bump_after_abort: bool,
    /// The application's calls blocked until the sender thread finishes them (a
    /// `sendOffsetsToTransaction` and a `commitTransaction` may both wait).
    pub blocked: Vec<BlockedCall>,
    /// The protocol: TV_2 when the cluster has finalized `transaction.version` 2.
    pub transaction_version: TransactionVersion,
    /// `sendOffsetsToTransaction` under way: the group and the offsets, and the group's
    /// coordinator once found.
    pub pending_offsets: Option<(Rc<str>, Offsets)>,
    pub group_coordinator: Option<u32>,
}

/// What a transactional response changed, for the producer to act on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TxnOutcome {
    /// The state before and after, when it changed.
    pub transition: Option<(TxnState, TxnState)>,
    /// Blocked calls that finished: their actions and errors.
    pub returned: Vec<(u32, Option<KafkaError>)>,
    /// A new producer id / epoch arrived.
    pub producer_id: Option<(i64, i16)>,
    /// Transactions V2: the `EndTxn` response bumped the epoch.
    pub epoch_bumped: Option<(i64, i16)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct TxnPartitionEntry {
    /// The epoch this partition's batches carry: the producer's when the entry was made or
    /// its sequences were last rewritten (`TxnPartitionEntry.producerIdAndEpoch`).
    epoch: i16,
    next_sequence: i32,
    /// Batches sent and not yet completed, retried ones included, by `InFlightKey`
    /// (`inflightBatchesBySequence`).
    in_flight: VecSet<InFlightKey>,
    /// The last sequence the partition's leader acknowledged (-1: none yet).
    last_acked_sequence: i32,
}

impl TxnPartitionEntry {
    /// The next base sequence, for a batch of `records` now tracked in flight: with the
    /// epoch it carries.
    fn take_sequence(&mut self, producer_id: i64, compares: bool, records: u32) -> (i16, i32) {
        let (epoch, base) = (self.epoch, self.next_sequence);
        self.next_sequence = base.wrapping_add(records as i32);
        self.in_flight
            .insert(in_flight_key(compares, (producer_id, epoch, base)));
        (epoch, base)
    }
}

/// A tracked batch: producer id, epoch and base sequence, in `inflightBatchesBySequence`'s
/// order (the lowest is `firstInFlightSequence`).
pub type InFlightKey = (i64, i16, i32);

/// What `handleFailedBatch` did beyond untracking the batch.
#[derive(Clone, Debug, PartialEq)]
pub enum FailedBatch {
    Nothing,
    /// The idempotent producer will bump its epoch for the partition; `out_of_order`: the
    /// broker said the gap was there.
    EpochBump {
        out_of_order: bool,
    },
    /// A transactional producer gave the batch's sequences back; `tracked`: the keys the
    /// partition tracked before, for the caller to renumber those batches.
    SequencesAdjusted {
        tracked: VecSet<InFlightKey>,
    },
}

/// KAFKA-13794: until 3.0.2 / 3.1.1 / 3.2.0 `inflightBatchesBySequence` compared base
/// sequences only, so removing a batch removed whichever tracked batch held its sequence.
/// 3.0.2 compares the sequence, then the batch itself (#11991, #12006); 3.1.1 and 3.2.0 on
/// producer id, epoch, then sequence (#12096). Both remove only the batch itself, and both
/// order alike: the batches a partition tracks all share one producer id and epoch.
pub fn compares_producer_state(v: KafkaVersion) -> bool {
    match (v.major, v.minor) {
        (3, 0) => v.patch >= 2,
        (3, 1) => v.patch >= 1,
        _ => v.at_least(3, 2),
    }
}

/// `TransactionManager::key`, for a caller that holds a partition's entry.
fn in_flight_key(compares: bool, (producer_id, epoch, base_sequence): InFlightKey) -> InFlightKey {
    if compares {
        (producer_id, epoch, base_sequence)
    } else {
        (0, 0, base_sequence)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TransactionManager {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Whether tracked batches are told apart by producer id and epoch as well as by base
    /// sequence (`compares_producer_state`).
    pub compares_producer_state: bool,
    partitions: VecMap<TopicPartition, TxnPartitionEntry>,
    /// Partitions whose sequences must start again at 0 under the next epoch
    /// (`partitionsToRewriteSequences`; non-empty = `epochBumpRequired`).
    rewrite: VecSet<TopicPartition>,
    /// Partitions where a retried batch expired with its sequence used, and the sequence
    /// after it (`partitionsWithUnresolvedSequences`): new batches wait; once nothing is
    /// in flight there, either later batches covered the gap or the epoch must move on.
    unresolved: VecMap<TopicPartition, i32>,
    /// `Some` with a `transactional.id`.
    pub txn: Option<Transactional>,
}

/// Without a producer id (`NO_PRODUCER_ID`) until `InitProducerId` answers.
impl Default for TransactionManager {
    fn default() -> Self {
        TransactionManager {
            producer_id: -1,
            producer_epoch: -1,
            compares_producer_state: true,
            partitions: VecMap::new(),
            rewrite: VecSet::new(),
            unresolved: VecMap::new(),
            txn: None,
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

    /// How `inflightBatchesBySequence` knows the batch (producer id, epoch, base sequence):
    /// before KAFKA-13794 by its sequence alone.
    pub fn key(&self, batch: InFlightKey) -> InFlightKey {
        in_flight_key(self.compares_producer_state, batch)
    }

    // Looked for at the partition's number first: a producer writing one topic (the
    // usual case) keeps each partition's entry there.
    fn get(&self, tp: TopicPartition) -> Option<&TxnPartitionEntry> {
        self.partitions.get_near(&tp, tp.partition as usize)
    }

    fn entry(&mut self, tp: TopicPartition) -> &mut TxnPartitionEntry {
        let epoch = self.producer_epoch;
        self.partitions
            .entry_near(tp, tp.partition as usize)
            .or_insert_with(|| TxnPartitionEntry {
                epoch,
                next_sequence: 0,
                in_flight: VecSet::new(),
                last_acked_sequence: -1,
            })
    }

    /// The epoch a new batch for `tp` carries.
    pub fn epoch_for(&mut self, tp: TopicPartition) -> i16 {
        self.entry(tp).epoch
    }

    /// `sequenceNumber`: the base sequence of the partition's next new batch.
    pub fn sequence_number(&self, tp: TopicPartition) -> i32 {
        self.get(tp).map_or(0, |e| e.next_sequence)
    }

    /// `lastAckedSequence`: `None` before the partition's leader acknowledged any.
    pub fn last_acked_sequence(&self, tp: TopicPartition) -> Option<i32> {
        self.get(tp)
            .map(|e| e.last_acked_sequence)
            .filter(|&s| s >= 0)
    }

    /// At drain, a batch's first send: its base sequence, and the partition's next one
    /// moves past its records (`sequenceNumber` + `incrementSequenceNumber`).
    pub fn assign_sequence(&mut self, tp: TopicPartition, records: u32) -> i32 {
        let (producer_id, compares) = (self.producer_id, self.compares_producer_state);
        self.entry(tp)
            .take_sequence(producer_id, compares, records)
            .1
    }

    /// A new batch at its first drain: `maybeUpdateProducerIdAndEpoch` (a partition left
    /// on an older epoch moves to the producer's, from sequence 0, once its old batches
    /// have all completed; until then the drain holds its new batches back), then the
    /// epoch the batch carries and its base sequence (`assign_sequence`). One lookup of
    /// the partition for all three: every drained batch comes here.
    pub fn sequence_new_batch(&mut self, tp: TopicPartition, records: u32) -> (i16, i32) {
        let (producer_id, epoch, compares) = (
            self.producer_id,
            self.producer_epoch,
            self.compares_producer_state,
        );
        let entry = self.entry(tp);
        if entry.epoch != epoch && entry.in_flight.is_empty() {
            entry.epoch = epoch;
            entry.next_sequence = 0;
            entry.last_acked_sequence = -1;
        }
        entry.take_sequence(producer_id, compares, records)
    }

    /// `hasStaleProducerIdAndEpoch`: the partition's sequences belong to an older epoch
    /// (a bump rewrote other partitions, not this one).
    pub fn has_stale_producer_id_and_epoch(&self, tp: TopicPartition) -> bool {
        self.get(tp).is_some_and(|e| e.epoch != self.producer_epoch)
    }

    /// `hasInflightBatches`: batches sent and not yet completed, retried ones included.
    pub fn has_in_flight_batches(&self, tp: TopicPartition) -> bool {
        self.get(tp).is_some_and(|e| !e.in_flight.is_empty())
    }

    /// `addInFlightBatch` for a batch that already has its sequence (a split's parts).
    pub fn add_in_flight(&mut self, tp: TopicPartition, batch: InFlightKey) {
        let key = self.key(batch);
        self.entry(tp).in_flight.insert(key);
    }

    /// `firstInFlightSequence`: while a partition has batches in flight, only the lowest
    /// of them may be drained when it is retried (`shouldStopDrainBatchesForPartition`).
    pub fn first_in_flight_sequence(&self, tp: TopicPartition) -> Option<i32> {
        self.get(tp).and_then(|e| e.in_flight.first().map(|k| k.2))
    }

    /// `removeInFlightBatch`: the batch was split (its parts carry on).
    pub fn remove_in_flight_batch(&mut self, tp: TopicPartition, batch: InFlightKey) {
        let key = self.key(batch);
        self.entry(tp).in_flight.remove(&key);
    }

    /// `handleCompletedBatch`: acknowledged, so the last acknowledged sequence moves up.
    pub fn handle_completed_batch(&mut self, tp: TopicPartition, batch: InFlightKey, records: u32) {
        let key = self.key(batch);
        // One lookup of the partition: every acknowledged batch comes here.
        let entry = self.entry(tp);
        entry.in_flight.remove(&key);
        let last = batch.2.wrapping_add(records as i32 - 1);
        entry.last_acked_sequence = entry.last_acked_sequence.max(last);
    }

    /// `handleFailedBatch`: the batch is no longer tracked (`removeInFlightBatch`, also
    /// for a batch already done until 3.6: before KAFKA-13794 that removes a renumbered
    /// batch holding the same sequence). An `OutOfOrderSequenceException` means a gap in the
    /// log; so may a batch its response failed while retries were left
    /// (`adjustSequenceNumbers`, `attempts < retries`). Either way the idempotent
    /// producer bumps its epoch for the partition, which renumbers the batches still
    /// tracked there (KAFKA-14034: one of them may already be written under the old
    /// epoch). A transactional producer aborts instead and, with retries left and no fatal
    /// error, gives the batch's `records` sequences back
    /// (`TxnPartitionEntry.adjustSequencesDueToFailedBatch`): the partition's next
    /// sequence and every batch tracked from the failed one's on move down by them, so
    /// their retries close the gap instead of meeting `OUT_OF_ORDER_SEQUENCE_NUMBER` until
    /// they expire.
    pub fn handle_failed_batch(
        &mut self,
        tp: TopicPartition,
        batch: InFlightKey,
        records: u32,
        error: &KafkaError,
        adjust_sequence_numbers: bool,
    ) -> FailedBatch {
        self.remove_in_flight_batch(tp, batch);
        let out_of_order = matches!(error, KafkaError::OutOfOrderSequence(_));
        let Some(t) = &self.txn else {
            if !(out_of_order || adjust_sequence_numbers) {
                return FailedBatch::Nothing;
            }
            self.rewrite.insert(tp);
            return FailedBatch::EpochBump { out_of_order };
        };
        // `maybeTransitionToErrorState` comes first: a fenced producer adjusts nothing.
        let fatal =
            t.state == TxnState::FatalError || matches!(error, KafkaError::ProducerFenced(_));
        if !adjust_sequence_numbers || fatal {
            return FailedBatch::Nothing;
        }
        let Some(e) = self.partitions.get_mut(&tp) else {
            return FailedBatch::Nothing;
        };
        let n = records as i32;
        e.next_sequence -= n;
        let before = std::mem::take(&mut e.in_flight);
        e.in_flight = before
            .iter()
            .map(|&(id, epoch, seq)| (id, epoch, if seq < batch.2 { seq } else { seq - n }))
            .collect();
        FailedBatch::SequencesAdjusted { tracked: before }
    }

    /// `markSequenceUnresolved`: a batch that expired in retry, with its sequence used,
    /// leaves its partition unresolved up to its last sequence.
    pub fn mark_sequence_unresolved(
        &mut self,
        tp: TopicPartition,
        base_sequence: i32,
        records: u32,
    ) {
        if self.txn.is_some() {
            return;
        }
        let next = base_sequence.wrapping_add(records as i32);
        let v = self.unresolved.entry(tp).or_insert(next);
        *v = (*v).max(next);
    }

    /// Whether new batches of `tp` must wait for an expired batch's sequence to resolve.
    pub fn has_unresolved_sequence(&self, tp: TopicPartition) -> bool {
        self.unresolved.contains_key(&tp)
    }

    /// `maybeResolveSequences`: an unresolved partition with nothing in flight is fine if
    /// its next sequence follows the last acknowledged one (later batches got through);
    /// otherwise its sequences must be rewritten under a new epoch.
    pub fn maybe_resolve_sequences(&mut self) {
        let unresolved: Vec<TopicPartition> = self.unresolved.keys().copied().collect();
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
    /// (`startSequencesAtBeginning`; the caller renumbers the batches the partition
    /// tracked, in sequence order, with `resequence`). Returns those partitions, each with
    /// the keys it tracked: a batch removed by mistake (KAFKA-13794) keeps its number.
    pub fn bump_epoch(&mut self) -> Vec<(TopicPartition, VecSet<InFlightKey>)> {
        let rewritten: Vec<(TopicPartition, VecSet<InFlightKey>)> =
            std::mem::take(&mut self.rewrite)
                .into_iter()
                .map(|tp| {
                    let tracked = self
                        .partitions
                        .get_mut(&tp)
                        .map(|e| std::mem::take(&mut e.in_flight))
                        .unwrap_or_default();
                    (tp, tracked)
                })
                .collect();
        if self.producer_epoch == i16::MAX {
            self.producer_id = -1;
            self.producer_epoch = -1;
            self.partitions.clear();
        } else {
            self.producer_epoch += 1;
        }
        let epoch = self.producer_epoch;
        for (tp, _) in &rewritten {
            self.unresolved.remove(tp);
            if let Some(e) = self.partitions.get_mut(tp) {
                e.epoch = epoch;
                e.next_sequence = 0;
                e.last_acked_sequence = -1;
            }
        }
        rewritten
    }

    /// A new base sequence, under the partition's new epoch, for a batch it tracks (handed
    /// over in their old sequence order).
    pub fn resequence(&mut self, tp: TopicPartition, records: u32) -> (i16, i32) {
        let base = self.assign_sequence(tp, records);
        (self.entry(tp).epoch, base)
    }

    /// `TransactionManager.canRetry`: an `OUT_OF_ORDER_SEQUENCE_NUMBER` for a batch that
    /// is not the next after the last acknowledged one, with nothing unresolved, is
    /// retried (the gap before it may still fill). Otherwise the idempotent producer
    /// retries too, and if the gap is real — the batch is the next one, or the one right
    /// after an expired batch — it bumps its epoch first, so the retry goes out from
    /// sequence 0; a transactional producer fails the batch (and aborts). A batch an epoch
    /// bump already renumbered (`sequence_has_been_reset`) is only retried: the answer is
    /// to its attempt under the old epoch, and the gap has been dealt with.
    pub fn can_retry(
        &mut self,
        error: Errors,
        tp: TopicPartition,
        base_sequence: i32,
        sequence_has_been_reset: bool,
    ) -> bool {
        if error == Errors::OutOfOrderSequenceNumber {
            let last = self.get(tp).map_or(-1, |e| e.last_acked_sequence);
            let unresolved = self.unresolved.get(&tp).copied();
            if unresolved.is_none()
                && (sequence_has_been_reset || base_sequence != last.wrapping_add(1))
            {
                return true;
            } else if self.txn.is_none() {
                if unresolved.is_none() || unresolved == Some(base_sequence) {
                    self.rewrite.insert(tp);
                }
                return true;
            }
        }
        error.is_retriable()
    }
}

/// The transactional API and its requests.
impl TransactionManager {
    pub fn transactional(transactional_id: &str, timeout_ms: u64) -> Self {
        TransactionManager {
            txn: Some(Transactional {
                transactional_id: Rc::from(transactional_id),
                timeout_ms,
                state: TxnState::Uninitialized,
                last_error: None,
                coordinator: None,
                partitions_in_transaction: VecSet::new(),
                new_partitions: VecSet::new(),
                pending_partitions: VecSet::new(),
                transaction_started: false,
                pending: VecDeque::new(),
                in_flight: None,
                retry_at: 0,
                bump_after_abort: false,
                blocked: Vec::new(),
                transaction_version: TransactionVersion::Tv0,
                pending_offsets: None,
                group_coordinator: None,
            }),
            ..TransactionManager::default()
        }
    }

    /// The protocol the cluster has finalized (`maybeUpdateTransactionV2Enabled`).
    pub fn with_transaction_version(mut self, version: TransactionVersion) -> Self {
        if let Some(t) = &mut self.txn {
            t.transaction_version = version;
        }
        self
    }

    /// `isTransactionV2Enabled`.
    pub fn is_transaction_v2(&self) -> bool {
        self.txn
            .as_ref()
            .is_some_and(|t| t.transaction_version.supports_epoch_bump())
    }

    pub fn is_transactional(&self) -> bool {
        self.txn.is_some()
    }

    /// `ensureTransactional`.
    fn txn_mut(&mut self) -> Result<&mut Transactional, KafkaError> {
        self.txn.as_mut().ok_or_else(|| {
            KafkaError::IllegalState(
                "Transactional method invoked on a non-transactional producer.".into(),
            )
        })
    }

    /// `maybeFailWithError`: in an error state every transactional call rethrows.
    fn maybe_fail_with_error(&self) -> Result<(), KafkaError> {
        let Some(t) = &self.txn else { return Ok(()) };
        let Some(error) = &t.last_error else {
            return Ok(());
        };
        let who = format!(
            "Producer with transactionalId '{}' and ProducerIdAndEpoch(producerId={}, epoch={})",
            t.transactional_id, self.producer_id, self.producer_epoch
        );
        Err(match error {
            KafkaError::ProducerFenced(_) => KafkaError::ProducerFenced(format!(
                "{who} has been fenced by another producer with the same transactionalId"
            )),
            KafkaError::InvalidProducerEpoch(_) => KafkaError::InvalidProducerEpoch(format!(
                "{who} attempted to produce with an old epoch"
            )),
            e => KafkaError::Kafka(format!(
                "Cannot execute transactional method because we are in an error state: {e}"
            )),
        })
    }

    /// `transitionTo`: refused with Kafka's message when the table does not allow it.
    fn transition(&mut self, to: TxnState) -> Result<(TxnState, TxnState), KafkaError> {
        let t = self.txn_mut()?;
        if !t.state.can_become(to) {
            return Err(KafkaError::IllegalState(format!(
                "TransactionalId {}: Invalid transition attempted from state {} to state {}",
                t.transactional_id,
                t.state.name(),
                to.name()
            )));
        }
        let from = t.state;
        t.state = to;
        if !matches!(to, TxnState::AbortableError | TxnState::FatalError) {
            t.last_error = None;
        }
        Ok((from, to))
    }

    /// `initTransactions()`: ask the coordinator for the id's producer id and epoch
    /// (fencing any previous instance). Blocks until READY.
    pub fn initialize_transactions(&mut self) -> Result<(TxnState, TxnState), KafkaError> {
        self.txn_mut()?;
        self.maybe_fail_with_error()?;
        let change = self.transition(TxnState::Initializing)?;
        let t = self.txn.as_mut().expect("checked");
        t.pending.push_back(TxnCall::InitProducerId { bump: false });
        Ok(change)
    }

    /// `beginTransaction()`: local only, no request.
    pub fn begin_transaction(&mut self) -> Result<(TxnState, TxnState), KafkaError> {
        self.txn_mut()?;
        self.maybe_fail_with_error()?;
        self.transition(TxnState::InTransaction)
    }

    /// `commitTransaction()`: EndTxn(COMMIT) once every batch is acknowledged.
    pub fn begin_commit(&mut self) -> Result<(TxnState, TxnState), KafkaError> {
        self.txn_mut()?;
        self.maybe_fail_with_error()?;
        let change = self.transition(TxnState::CommittingTransaction)?;
        self.begin_completing(TransactionResult::Commit);
        Ok(change)
    }

    /// `abortTransaction()`: allowed after an abortable error, which it clears.
    pub fn begin_abort(&mut self) -> Result<(TxnState, TxnState), KafkaError> {
        let state = self.txn_mut()?.state;
        if state != TxnState::AbortableError {
            self.maybe_fail_with_error()?;
        }
        let change = self.transition(TxnState::AbortingTransaction)?;
        self.txn.as_mut().expect("checked").new_partitions.clear();
        self.begin_completing(TransactionResult::Abort);
        Ok(change)
    }

    fn begin_completing(&mut self, result: TransactionResult) {
        let t = self.txn.as_mut().expect("transactional");
        t.pending.push_back(TxnCall::EndTxn(result));
    }

    /// `sendOffsetsToTransaction()`: only inside a transaction; blocks until the group
    /// coordinator has the offsets (they count once the transaction commits).
    pub fn send_offsets_to_transaction(
        &mut self,
        group_id: &str,
        offsets: Vec<(TopicPartition, u64)>,
    ) -> Result<(), KafkaError> {
        self.txn_mut()?;
        self.maybe_fail_with_error()?;
        let t = self.txn.as_mut().expect("checked");
        if t.state != TxnState::InTransaction {
            return Err(KafkaError::IllegalState(format!(
                "Cannot send offsets if a transaction is not in progress (currentState= {})",
                t.state.name()
            )));
        }
        t.pending_offsets = Some((Rc::from(group_id), offsets));
        t.pending.push_back(TxnCall::AddOffsets);
        Ok(())
    }

    /// Whether `send()` may add a record now (`failIfNotReadyForSend`, the checks of
    /// `maybeAddPartition`): not in an error state, and inside a transaction.
    pub fn check_ready_for_send(&self) -> Result<(), KafkaError> {
        let Some(t) = &self.txn else { return Ok(()) };
        self.maybe_fail_with_error()?;
        if !self.has_producer_id() {
            return Err(KafkaError::IllegalState(
                "Cannot perform a 'send' before completing a call to initTransactions when transactions are enabled.".into(),
            ));
        }
        if t.state != TxnState::InTransaction {
            return Err(KafkaError::IllegalState(format!(
                "Cannot call send in state {}",
                t.state.name()
            )));
        }
        Ok(())
    }

    /// `maybeAddPartition`, once the record is in a batch: a partition new to the
    /// transaction is added before anything is sent to it.
    /// Under transactions V2 the partition is in the transaction at once: the leader adds
    /// it when the first batch comes.
    pub fn add_partition(&mut self, tp: TopicPartition) {
        if let Some(t) = &mut self.txn {
            if t.transaction_version.supports_epoch_bump() {
                t.partitions_in_transaction.insert(tp);
                t.transaction_started = true;
            } else if !t.partitions_in_transaction.contains(&tp)
                && !t.pending_partitions.contains(&tp)
            {
                t.new_partitions.insert(tp);
            }
        }
    }

    /// `isSendToPartitionAllowed`: a transactional batch waits until its partition is in
    /// the transaction; nothing goes after a fatal error.
    pub fn is_send_to_partition_allowed(&self, tp: TopicPartition) -> bool {
        match &self.txn {
            None => true,
            Some(t) => t.state != TxnState::FatalError && t.partitions_in_transaction.contains(&tp),
        }
    }

    /// Whether a coordinator request is out (the sender then sends no produce data).
    pub fn has_in_flight_request(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.in_flight.is_some())
    }

    pub fn is_aborting(&self) -> bool {
        self.txn
            .as_ref()
            .is_some_and(|t| t.state == TxnState::AbortingTransaction)
    }

    pub fn is_completing(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| {
            matches!(
                t.state,
                TxnState::CommittingTransaction | TxnState::AbortingTransaction
            )
        })
    }

    /// When the next coordinator request may go, if one waits.
    pub fn next_request_at(&self, has_incomplete: bool) -> Option<u64> {
        let t = self.txn.as_ref()?;
        // After a fatal error the sender sends no transactional request at all
        // (`Sender.runOnce` returns before `maybeSendAndPollTransactionalRequest`).
        if t.in_flight.is_some() || t.state == TxnState::FatalError {
            return None;
        }
        let waiting = !t.new_partitions.is_empty()
            || t.pending
                .front()
                .is_some_and(|c| !matches!(c, TxnCall::EndTxn(_)) || !has_incomplete);
        waiting.then_some(t.retry_at)
    }

    /// `nextRequest`: the next coordinator request, and the broker to send it to — the
    /// coordinator, or for `FindCoordinator` the caller's choice (`None`). An `EndTxn`
    /// waits for every batch; one for a transaction that added no partition completes
    /// at once, without a request. Returns the request only; `outcome` reports a
    /// transaction so completed.
    pub fn next_request(
        &mut self,
        now: u64,
        has_incomplete: bool,
        outcome: &mut TxnOutcome,
    ) -> Option<(TxnCall, Option<u32>, TxnRequest)> {
        let (producer_id, producer_epoch) = (self.producer_id, self.producer_epoch);
        let t = self.txn.as_mut()?;
        if t.in_flight.is_some() || now < t.retry_at {
            return None;
        }
        if !t.new_partitions.is_empty()
            && !t.pending.contains(&TxnCall::AddPartitions)
            && t.state != TxnState::FatalError
        {
            // Before an EndTxn already queued, so that the commit covers them.
            let at = t
                .pending
                .iter()
                .position(|c| matches!(c, TxnCall::EndTxn(_)))
                .unwrap_or(t.pending.len());
            t.pending.insert(at, TxnCall::AddPartitions);
        }
        loop {
            let call = *t.pending.front()?;
            if matches!(call, TxnCall::EndTxn(_)) && has_incomplete {
                return None;
            }
            if t.last_error.is_some()
                && !matches!(
                    call,
                    TxnCall::EndTxn(TransactionResult::Abort)
                        | TxnCall::InitProducerId { bump: true }
                )
            {
                // `maybeTerminateRequestWithError`: the call fails with the error. Kafka
                // took an AddPartitions' partitions out of the new ones when it queued it
                // (`addPartitionsToTransactionHandler`): they stay pending, not new, until
                // the abort clears them — else they would ask for a request forever.
                if call == TxnCall::AddPartitions {
                    let new = std::mem::take(&mut t.new_partitions);
                    t.pending_partitions.extend(new);
                }
                t.pending.pop_front();
                let offsets = matches!(call, TxnCall::AddOffsets | TxnCall::TxnOffsetCommit);
                let error = t.last_error.clone();
                t.release(Some(offsets), error, outcome);
                continue;
            }
            if let TxnCall::EndTxn(result) = call {
                if !t.transaction_started {
                    t.pending.pop_front();
                    self.complete_transaction(result, outcome);
                    return None;
                }
            }
            break;
        }
        let t = self.txn.as_mut().expect("transactional");
        let call = *t.pending.front().expect("peeked");
        if call == TxnCall::TxnOffsetCommit {
            let (group_id, offsets) = t.pending_offsets.clone().expect("offsets to send");
            let transactional_id = Rc::clone(&t.transactional_id);
            let Some(group_coordinator) = t.group_coordinator else {
                let request = TxnRequest::FindGroupCoordinator {
                    transactional_id,
                    group_id,
                };
                return Some((TxnCall::FindGroupCoordinator, None, request));
            };
            t.pending.pop_front();
            let request = TxnRequest::TxnOffsetCommit {
                transactional_id,
                group_id,
                producer_id,
                producer_epoch,
                offsets,
            };
            return Some((call, Some(group_coordinator), request));
        }
        let Some(coordinator) = t.coordinator else {
            let request = TxnRequest::FindCoordinator {
                transactional_id: Rc::clone(&t.transactional_id),
            };
            return Some((TxnCall::FindCoordinator, None, request));
        };
        t.pending.pop_front();
        let transactional_id = Rc::clone(&t.transactional_id);
        let request = match call {
            TxnCall::FindCoordinator | TxnCall::FindGroupCoordinator | TxnCall::TxnOffsetCommit => {
                unreachable!("never queued, or handled above")
            }
            TxnCall::AddOffsets => TxnRequest::AddOffsetsToTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                group_id: Rc::clone(&t.pending_offsets.as_ref().expect("offsets to send").0),
            },
            TxnCall::InitProducerId { bump } => TxnRequest::InitProducerId {
                transactional_id,
                timeout_ms: t.timeout_ms,
                producer_id: if bump { producer_id } else { -1 },
                producer_epoch: if bump { producer_epoch } else { -1 },
            },
            TxnCall::AddPartitions => {
                t.pending_partitions = std::mem::take(&mut t.new_partitions);
                TxnRequest::AddPartitionsToTxn {
                    transactional_id,
                    producer_id,
                    producer_epoch,
                    partitions: t.pending_partitions.iter().copied().collect(),
                }
            }
            TxnCall::EndTxn(result) => TxnRequest::EndTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                result,
                transaction_version: t.transaction_version,
            },
        };
        Some((call, Some(coordinator), request))
    }

    /// The request went to `broker`.
    pub fn request_sent(&mut self, call: TxnCall, broker: u32, now: u64) {
        if let Some(t) = &mut self.txn {
            t.in_flight = Some((call, broker, now));
        }
    }

    /// `completeTransaction`: READY again, the next transaction starts empty.
    fn complete_transaction(&mut self, result: TransactionResult, outcome: &mut TxnOutcome) {
        let bump = self.txn.as_ref().is_some_and(|t| t.bump_after_abort)
            && result == TransactionResult::Abort;
        let t = self.txn.as_mut().expect("transactional");
        t.partitions_in_transaction.clear();
        t.new_partitions.clear();
        t.pending_partitions.clear();
        t.pending_offsets = None;
        t.transaction_started = false;
        if bump {
            // KIP-360 for transactions: a new epoch before the next transaction.
            t.bump_after_abort = false;
            t.pending.push_front(TxnCall::InitProducerId { bump: true });
            outcome.transition = self.transition(TxnState::Initializing).ok();
            return;
        }
        outcome.transition = self.transition(TxnState::Ready).ok();
        let t = self.txn.as_mut().expect("transactional");
        t.release(Some(false), None, outcome);
    }

    /// The request in flight is lost (connection closed, timed out): find the coordinator
    /// again and resend it.
    pub fn request_failed(&mut self, now: u64, backoff_ms: u64) {
        let Some(t) = &mut self.txn else { return };
        if let Some((call, _, _)) = t.in_flight.take() {
            match call {
                TxnCall::AddPartitions => {
                    let pending = std::mem::take(&mut t.pending_partitions);
                    t.new_partitions.extend(pending);
                }
                TxnCall::FindCoordinator | TxnCall::FindGroupCoordinator => {}
                _ => t.pending.push_front(call),
            }
            if matches!(
                call,
                TxnCall::TxnOffsetCommit | TxnCall::FindGroupCoordinator
            ) {
                t.group_coordinator = None;
            } else {
                t.coordinator = None;
            }
            t.retry_at = now + backoff_ms;
        }
    }

    /// The coordinator's answer to the request in flight (`TxnRequestHandler.handleResponse`
    /// of each request).
    pub fn handle_response(
        &mut self,
        now: u64,
        response: &TxnResponse,
        backoff_ms: u64,
    ) -> TxnOutcome {
        let mut outcome = TxnOutcome::default();
        let Some(t) = &mut self.txn else {
            return outcome;
        };
        let Some((call, _, _)) = t.in_flight.take() else {
            return outcome;
        };
        if call == TxnCall::FindCoordinator {
            t.coordinator = response.coordinator;
            if response.coordinator.is_none() {
                t.retry_at = now + backoff_ms;
            }
            return outcome;
        }
        if call == TxnCall::FindGroupCoordinator {
            t.group_coordinator = response.coordinator;
            if response.coordinator.is_none() {
                t.retry_at = now + backoff_ms;
            }
            return outcome;
        }
        let retry = |t: &mut Transactional, lookup: bool, backoff: u64| {
            if call == TxnCall::AddPartitions {
                let pending = std::mem::take(&mut t.pending_partitions);
                t.new_partitions.extend(pending);
            } else {
                t.pending.push_front(call);
            }
            if lookup && call == TxnCall::TxnOffsetCommit {
                t.group_coordinator = None;
            } else if lookup {
                t.coordinator = None;
            }
            t.retry_at = now + backoff;
        };
        match response.error {
            Errors::NotCoordinator | Errors::CoordinatorNotAvailable => {
                retry(t, true, 0);
                return outcome;
            }
            Errors::ConcurrentTransactions => {
                // `ADD_PARTITIONS_RETRY_BACKOFF_MS` for the first AddPartitions of a
                // transaction: the previous one is still completing.
                let backoff =
                    if call == TxnCall::AddPartitions && t.partitions_in_transaction.is_empty() {
                        20.min(backoff_ms)
                    } else {
                        backoff_ms
                    };
                retry(t, false, backoff);
                return outcome;
            }
            Errors::ProducerFenced | Errors::InvalidProducerEpoch => {
                self.fatal(Errors::ProducerFenced.exception(None), &mut outcome);
                return outcome;
            }
            Errors::None => {}
            error => {
                let e = error.exception(None);
                if call == TxnCall::EndTxn(TransactionResult::Abort)
                    || matches!(call, TxnCall::InitProducerId { .. })
                {
                    self.fatal(e, &mut outcome);
                } else {
                    self.abortable(e, &mut outcome);
                }
                return outcome;
            }
        }
        match call {
            TxnCall::FindCoordinator | TxnCall::FindGroupCoordinator => {
                unreachable!("answered above")
            }
            // The offsets partition is in the transaction: the offsets go next.
            TxnCall::AddOffsets => {
                t.transaction_started = true;
                t.pending.push_front(TxnCall::TxnOffsetCommit);
            }
            TxnCall::TxnOffsetCommit => {
                t.pending_offsets = None;
                t.release(Some(true), None, &mut outcome);
            }
            TxnCall::InitProducerId { .. } => {
                self.set_producer_id(response.producer_id, response.producer_epoch);
                self.partitions.clear();
                self.rewrite.clear();
                self.unresolved.clear();
                outcome.producer_id = Some((response.producer_id, response.producer_epoch));
                outcome.transition = self.transition(TxnState::Ready).ok();
                let t = self.txn.as_mut().expect("transactional");
                t.release(Some(false), None, &mut outcome);
            }
            TxnCall::AddPartitions => {
                let added = std::mem::take(&mut t.pending_partitions);
                t.partitions_in_transaction.extend(added);
                t.transaction_started = true;
            }
            TxnCall::EndTxn(result) => {
                // EndTxn v5+ returns the bumped epoch (-1 before): new sequences under it.
                let v2 = t.transaction_version.supports_epoch_bump();
                if v2 && response.producer_id >= 0 {
                    self.set_producer_id(response.producer_id, response.producer_epoch);
                    self.partitions.clear();
                    outcome.epoch_bumped = Some((response.producer_id, response.producer_epoch));
                }
                self.complete_transaction(result, &mut outcome)
            }
        }
        outcome
    }

    /// `transitionToFatalError`: every later call fails with `error`.
    fn fatal(&mut self, error: KafkaError, outcome: &mut TxnOutcome) {
        let t = self.txn.as_mut().expect("transactional");
        let from = t.state;
        t.state = TxnState::FatalError;
        t.last_error = Some(error.clone());
        t.pending.clear();
        outcome.transition = Some((from, TxnState::FatalError));
        t.release(None, Some(error), outcome);
    }

    /// `transitionToAbortableError`: commit is refused from now on, abort works (and
    /// bumps the epoch). Nothing changes while already aborting.
    fn abortable(&mut self, error: KafkaError, outcome: &mut TxnOutcome) {
        let t = self.txn.as_mut().expect("transactional");
        if t.state == TxnState::AbortingTransaction || t.state == TxnState::FatalError {
            return;
        }
        let from = t.state;
        t.state = TxnState::AbortableError;
        t.last_error = Some(error.clone());
        outcome.transition = Some((from, TxnState::AbortableError));
        // A commit waiting on this transaction fails with the error.
        if from == TxnState::CommittingTransaction {
            t.pending.retain(|c| !matches!(c, TxnCall::EndTxn(_)));
            t.release(Some(false), Some(error), outcome);
        }
    }

    /// `maybeTransitionToErrorState` for a batch that failed: a fenced producer is done;
    /// any other failure makes a transactional producer's transaction abortable, with an
    /// epoch bump when it is aborted.
    pub fn batch_failed(&mut self, error: &KafkaError) -> TxnOutcome {
        let mut outcome = TxnOutcome::default();
        if self.txn.is_none() {
            return outcome;
        }
        if matches!(error, KafkaError::ProducerFenced(_)) {
            self.fatal(error.clone(), &mut outcome);
        } else if !matches!(error, KafkaError::TransactionAborted(_)) {
            // The abort will ask for a new epoch (`epochBumpRequired`) — unless under
            // transactions V2, whose EndTxn bumps it anyway.
            if !self.is_completing() && !self.is_transaction_v2() {
                self.txn.as_mut().expect("transactional").bump_after_abort = true;
            }
            self.abortable(error.clone(), &mut outcome);
        }
        outcome
    }

    /// The application blocks in an API call until the sender thread completes it.
    /// `offsets`: a `sendOffsetsToTransaction`.
    pub fn block(&mut self, action: u32, deadline: u64, offsets: bool) {
        if let Some(t) = &mut self.txn {
            t.blocked.push(BlockedCall {
                action,
                deadline,
                offsets,
            });
        }
    }

    /// `max.block.ms` ran out on blocked calls: they throw `TimeoutException`, the work
    /// goes on. Returns their actions.
    pub fn expire_blocked(&mut self, now: u64) -> Vec<u32> {
        let Some(t) = self.txn.as_mut() else {
            return Vec::new();
        };
        let (expired, kept) = std::mem::take(&mut t.blocked)
            .into_iter()
            .partition::<Vec<BlockedCall>, _>(|b| now >= b.deadline);
        t.blocked = kept;
        expired.into_iter().map(|b| b.action).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: TopicPartition = TopicPartition {
        topic: 0,
        partition: 0,
    };

    fn ok(pid: i64, epoch: i16) -> TxnResponse {
        TxnResponse {
            request: "",
            error: Errors::None,
            coordinator: Some(0),
            producer_id: pid,
            producer_epoch: epoch,
        }
    }

    fn error(e: Errors) -> TxnResponse {
        TxnResponse {
            error: e,
            ..ok(-1, -1)
        }
    }

    /// Sends the next request and answers it.
    fn exchange(tm: &mut TransactionManager, answer: TxnResponse) -> (TxnCall, TxnOutcome) {
        let mut outcome = TxnOutcome::default();
        let (call, _, _) = tm.next_request(0, false, &mut outcome).expect("a request");
        tm.request_sent(call, 0, 0);
        (call, tm.handle_response(0, &answer, 100))
    }

    fn ready() -> TransactionManager {
        let mut tm = TransactionManager::transactional("t", 60_000);
        tm.initialize_transactions().unwrap();
        let (call, _) = exchange(&mut tm, ok(-1, -1));
        assert_eq!(call, TxnCall::FindCoordinator);
        let (call, outcome) = exchange(&mut tm, ok(7, 0));
        assert_eq!(call, TxnCall::InitProducerId { bump: false });
        assert_eq!(outcome.producer_id, Some((7, 0)));
        assert_eq!(tm.txn.as_ref().unwrap().state, TxnState::Ready);
        tm
    }

    #[test]
    fn transition_table() {
        // exactly-once.md §5: READY only from INITIALIZING or a completed transaction.
        use TxnState::*;
        assert!(Uninitialized.can_become(Initializing));
        assert!(!Ready.can_become(CommittingTransaction));
        assert!(AbortableError.can_become(AbortingTransaction));
        assert!(!AbortableError.can_become(CommittingTransaction));
        assert!(Initializing.can_become(AbortableError));
        let mut tm = TransactionManager::transactional("t", 60_000);
        let e = tm.begin_transaction().unwrap_err();
        assert_eq!(
            e.message(),
            "TransactionalId t: Invalid transition attempted from state UNINITIALIZED to state IN_TRANSACTION"
        );
        let e = TransactionManager::default()
            .begin_transaction()
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Transactional method invoked on a non-transactional producer."
        );
    }

    #[test]
    fn partitions_are_added_before_their_batches_go() {
        let mut tm = ready();
        assert!(tm.check_ready_for_send().is_err(), "not in a transaction");
        tm.begin_transaction().unwrap();
        tm.check_ready_for_send().unwrap();
        tm.add_partition(TP);
        assert!(!tm.is_send_to_partition_allowed(TP));
        let (call, _) = exchange(&mut tm, ok(7, 0));
        assert_eq!(call, TxnCall::AddPartitions);
        assert!(tm.is_send_to_partition_allowed(TP));
        tm.begin_commit().unwrap();
        // EndTxn waits for the batches still incomplete.
        let mut outcome = TxnOutcome::default();
        assert!(tm.next_request(0, true, &mut outcome).is_none());
        tm.block(3, 60_000, false);
        let (call, outcome) = exchange(&mut tm, ok(7, 0));
        assert_eq!(call, TxnCall::EndTxn(TransactionResult::Commit));
        assert_eq!(outcome.returned, vec![(3, None)]);
        assert_eq!(tm.txn.as_ref().unwrap().state, TxnState::Ready);
        assert!(!tm.is_send_to_partition_allowed(TP), "a new transaction");
    }

    #[test]
    fn disallow_commit_on_produce_failure() {
        // TransactionManagerTest.testDisallowCommitOnProduceFailure (case 10): the commit
        // fails with the produce error, abort works, then READY. The test also prepares an
        // InitProducerId answer, but `maybeTransitionToErrorState` asks for an epoch bump
        // only when not already completing: failing during the commit, none is sent.
        let mut tm = ready();
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        exchange(&mut tm, ok(7, 0));
        tm.begin_commit().unwrap();
        tm.block(5, 60_000, false);
        let oos = Errors::OutOfOrderSequenceNumber.exception(None);
        let outcome = tm.batch_failed(&oos);
        assert_eq!(
            outcome.transition,
            Some((TxnState::CommittingTransaction, TxnState::AbortableError))
        );
        assert_eq!(outcome.returned, vec![(5, Some(oos))]);
        assert!(tm.begin_commit().is_err());
        tm.begin_abort().unwrap();
        let (call, _) = exchange(&mut tm, ok(7, 0));
        assert_eq!(call, TxnCall::EndTxn(TransactionResult::Abort));
        assert_eq!(
            (tm.producer_epoch, tm.txn.unwrap().state),
            (0, TxnState::Ready)
        );
    }

    #[test]
    fn allow_abort_on_produce_failure() {
        // Case 11: the failure without a commit → ABORTABLE_ERROR; abort → epoch + 1.
        let mut tm = ready();
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        exchange(&mut tm, ok(7, 0));
        tm.batch_failed(&Errors::OutOfOrderSequenceNumber.exception(None));
        assert_eq!(tm.txn.as_ref().unwrap().state, TxnState::AbortableError);
        assert!(tm.check_ready_for_send().is_err());
        tm.begin_abort().unwrap();
        exchange(&mut tm, ok(7, 0));
        exchange(&mut tm, ok(7, 1));
        assert_eq!(
            (tm.producer_epoch, tm.txn.unwrap().state),
            (1, TxnState::Ready)
        );
    }

    #[test]
    fn fenced_is_fatal_and_every_later_call_says_so() {
        let mut tm = ready();
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        let (_, outcome) = exchange(&mut tm, error(Errors::ProducerFenced));
        assert_eq!(
            outcome.transition,
            Some((TxnState::InTransaction, TxnState::FatalError))
        );
        let e = tm.begin_commit().unwrap_err();
        assert_eq!(e.exception_name(), "ProducerFencedException");
        assert!(e.message().contains("has been fenced by another producer"));
        assert!(tm.begin_abort().is_err());
    }

    #[test]
    fn transactions_v2_add_no_partitions_and_take_the_epoch_from_end_txn() {
        // KIP-890 part 2: no AddPartitionsToTxn (the partition is in the transaction at
        // once); the EndTxn response carries the bumped epoch, which the client takes with
        // new sequences; an abortable error asks for no InitProducerId bump.
        let mut tm = ready().with_transaction_version(TransactionVersion::Tv2);
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        assert!(tm.is_send_to_partition_allowed(TP));
        assert_eq!(tm.assign_sequence(TP, 1), 0);
        tm.begin_commit().unwrap();
        let mut outcome = TxnOutcome::default();
        let (call, _, request) = tm.next_request(0, false, &mut outcome).unwrap();
        assert_eq!(
            call,
            TxnCall::EndTxn(TransactionResult::Commit),
            "no AddPartitions"
        );
        let TxnRequest::EndTxn {
            transaction_version,
            ..
        } = request
        else {
            panic!("{request:?}");
        };
        assert_eq!(transaction_version, TransactionVersion::Tv2);
        tm.request_sent(call, 0, 0);
        let outcome = tm.handle_response(0, &ok(7, 1), 100);
        assert_eq!(outcome.epoch_bumped, Some((7, 1)));
        assert_eq!(tm.producer_epoch, 1);
        assert_eq!(tm.epoch_for(TP), 1);
        assert_eq!(tm.assign_sequence(TP, 1), 0, "sequences start over");
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        tm.batch_failed(&Errors::InvalidProducerEpoch.exception(None));
        tm.begin_abort().unwrap();
        let (call, _) = exchange(&mut tm, ok(7, 2));
        assert_eq!(call, TxnCall::EndTxn(TransactionResult::Abort));
        let t = tm.txn.as_ref().unwrap();
        assert_eq!((tm.producer_epoch, t.state), (2, TxnState::Ready));
        assert!(
            t.in_flight.is_none() && tm.next_request_at(false).is_none(),
            "no bump"
        );
    }

    #[test]
    fn retriable_answers_are_retried() {
        let mut tm = ready();
        tm.begin_transaction().unwrap();
        tm.add_partition(TP);
        let (_, _) = exchange(&mut tm, error(Errors::ConcurrentTransactions));
        // The first AddPartitions of a transaction retries after 20 ms, not 100.
        let mut outcome = TxnOutcome::default();
        assert!(tm.next_request(19, false, &mut outcome).is_none());
        let (call, _, _) = tm.next_request(20, false, &mut outcome).unwrap();
        assert_eq!(call, TxnCall::AddPartitions);
        tm.request_sent(call, 0, 20);
        tm.handle_response(20, &error(Errors::NotCoordinator), 100);
        let (call, _, _) = tm.next_request(20, false, &mut outcome).unwrap();
        assert_eq!(
            call,
            TxnCall::FindCoordinator,
            "looks the coordinator up again"
        );
    }

    #[test]
    fn kafka_13794_fixed_in_3_0_2_3_1_1_and_3_2_0() {
        // The fix's commits are in these tags and no earlier one of their lines.
        for (v, fixed) in [
            ("2.8.2", false),
            ("3.0.1", false),
            ("3.0.2", true),
            ("3.1.0", false),
            ("3.1.1", true),
            ("3.2.0", true),
            ("4.0", true),
        ] {
            let v = KafkaVersion::parse(v).unwrap();
            assert_eq!(compares_producer_state(v), fixed, "{v}");
        }
    }

    #[test]
    fn before_kafka_13794_a_removal_takes_any_batch_with_the_sequence() {
        for (fixed, left) in [(false, false), (true, true)] {
            let mut tm = TransactionManager {
                compares_producer_state: fixed,
                ..TransactionManager::default()
            };
            tm.set_producer_id(7, 1);
            // The new epoch's batch holds sequence 0; an old epoch's batch with sequence
            // 0 fails late.
            tm.assign_sequence(TP, 1);
            tm.handle_failed_batch(TP, (7, 0, 0), 1, &KafkaError::Timeout(String::new()), false);
            assert_eq!(tm.has_in_flight_batches(TP), left);
        }
    }
}
