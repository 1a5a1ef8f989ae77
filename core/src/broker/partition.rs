//! `Partition`: one replica of a topic partition on a broker. The leader appends produced
//! batches, tracks each follower's fetch position, proposes ISR changes to the controller
//! and advances the high watermark (`broker.md` §2–§5); a follower appends what it
//! fetched, takes the leader's high watermark and truncates a diverging tail (§8). Both
//! keep the partition's transactions from the batches and markers in the log, for the last
//! stable offset and the aborted transactions a `read_committed` fetch needs
//! (`exactly-once.md` §7–§8).

use super::epoch_cache::LeaderEpochFileCache;
use super::log::{BatchHeader, Log, LogRecord, Retention};
use super::producer_state::{BatchMetadata, ProducerStateManager, SequenceCheck};
use crate::chunked::Chunked;
use crate::config::TopicConfig;
use crate::controller::PartitionRegistration;
use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::net::{TxnMarkerEntry, WireBatch};
use crate::record::{record_size, RecordBlock, RecordData, RECORD_BATCH_OVERHEAD};
use crate::sort::sort_by_u64_key;
use crate::vec_map::VecMap;
use crate::version::KafkaVersion;

/// `ControlRecordType.CURRENT_CONTROL_RECORD_KEY_SIZE`: a control record's key (version,
/// type).
const CONTROL_RECORD_KEY_SIZE: usize = 4;
/// `EndTransactionMarker.CURRENT_END_TXN_MARKER_VALUE_SIZE`: a marker's value (version,
/// coordinator epoch).
const END_TXN_MARKER_VALUE_SIZE: usize = 6;

/// What the leader did with one batch of a produce request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaderAppend {
    Appended {
        base_offset: u64,
    },
    /// A retried idempotent batch already in the log: nothing appended.
    Duplicate {
        base_offset: u64,
    },
    /// Refused with an error code, and the broker's reason for its log.
    Rejected {
        error: Errors,
        reason: String,
    },
}

/// What the leader knows of one follower (`Replica.ReplicaState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerState {
    /// The offset of its latest fetch; unknown to a new leader until the first one.
    pub log_end_offset: Option<u64>,
    /// When it last had everything the leader had; `None`: never (Kafka's 0, in 1970).
    pub last_caught_up_ms: Option<u64>,
    /// The leader's LEO at the follower's previous fetch, and when that was.
    last_fetch_leader_leo: u64,
    last_fetch_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub tp: TopicPartition,
    /// The broker this replica lives on.
    pub broker: u32,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    /// The in-sync replicas the controller has committed.
    pub isr: Vec<u32>,
    /// Leader only: the ISR proposed in an AlterPartition not yet answered (one at a time).
    pub pending_isr: Option<Vec<u32>>,
    high_watermark: u64,
    /// Leader only: every other assigned replica's fetch state.
    pub followers: VecMap<u32, FollowerState>,
    /// Leader only: its log end offset when it became leader in this epoch. A follower
    /// must reach it to rejoin the ISR (KAFKA-7128).
    pub leader_epoch_start_offset: u64,
    /// The topic's `max.message.bytes` and `min.insync.replicas`.
    pub max_message_bytes: u32,
    pub min_insync_replicas: u32,
    pub log: Log,
    pub epoch_cache: LeaderEpochFileCache,
    pub producer_state: ProducerStateManager,
    /// The producer state the records below the log start offset left (Kafka's snapshot
    /// at the first segment): where a truncation reloads from, as the records it came
    /// from are gone.
    producer_state_at_log_start: ProducerStateManager,
    /// Where this replica, as leader, makes its transaction markers.
    markers: RecordBlock,
}

impl Partition {
    /// A replica at topic creation, with the controller's registration (ISR = all assigned
    /// replicas, leader the first, epoch 0: `ReplicationControlManager.createTopic`).
    pub fn new(
        tp: TopicPartition,
        broker: u32,
        registration: &PartitionRegistration,
        config: &TopicConfig,
        now: u64,
    ) -> Self {
        let mut p = Partition {
            tp,
            broker,
            replicas: registration.replicas.clone(),
            leader: None,
            leader_epoch: 0,
            partition_epoch: 0,
            isr: Vec::new(),
            pending_isr: None,
            high_watermark: 0,
            followers: VecMap::new(),
            leader_epoch_start_offset: 0,
            max_message_bytes: config.max_message_bytes,
            min_insync_replicas: config.min_insync_replicas,
            log: Log::new(config.log, now),
            epoch_cache: LeaderEpochFileCache::default(),
            producer_state: ProducerStateManager::default(),
            producer_state_at_log_start: ProducerStateManager::default(),
            markers: RecordBlock::default(),
        };
        p.apply(registration, now);
        p
    }

    /// Takes the controller's latest registration (`Partition.makeLeader` /
    /// `makeFollower`). Returns whether this replica's role or leader epoch changed.
    pub fn apply(&mut self, registration: &PartitionRegistration, now: u64) -> bool {
        let new_epoch = registration.leader_epoch > self.leader_epoch || self.leader.is_none();
        let was_leader = self.is_leader();
        self.leader = registration.leader;
        self.isr = registration.isr.clone();
        self.partition_epoch = registration.partition_epoch;
        self.pending_isr = None;
        let became = (self.is_leader() && (!was_leader || new_epoch))
            || (!self.is_leader() && (was_leader || new_epoch));
        self.leader_epoch = registration.leader_epoch;
        if !became {
            return false;
        }
        if self.is_leader() {
            // A new leader knows nothing of its followers' positions: ISR members count as
            // caught up now, the rest as never (`Replica.resetReplicaState`).
            let leo = self.log.log_end_offset();
            self.leader_epoch_start_offset = leo;
            self.epoch_cache.assign(self.leader_epoch, leo);
            self.followers = self
                .replicas
                .iter()
                .filter(|&&r| r != self.broker)
                .map(|&r| {
                    let caught_up = self.isr.contains(&r).then_some(now);
                    let state = FollowerState {
                        log_end_offset: None,
                        last_caught_up_ms: caught_up,
                        last_fetch_leader_leo: 0,
                        last_fetch_ms: None,
                    };
                    (r, state)
                })
                .collect();
        } else {
            self.followers.clear();
        }
        true
    }

    pub fn is_leader(&self) -> bool {
        self.leader == Some(self.broker)
    }

    /// `Partition.effectiveMinIsr`: since 3.7 never above the replication factor
    /// (KAFKA-15583); before, a min ISR above it refused every acks=all write.
    pub fn effective_min_isr(&self, version: KafkaVersion) -> u32 {
        if version.at_least(3, 7) {
            self.min_insync_replicas.min(self.replicas.len() as u32)
        } else {
            self.min_insync_replicas
        }
    }

    /// Too few in-sync replicas for `acks=all` (`NOT_ENOUGH_REPLICAS`, checked before the
    /// append).
    pub fn not_enough_replicas(&self, version: KafkaVersion) -> bool {
        (self.isr.len() as u32) < self.effective_min_isr(version)
    }

    /// The ISR as far as HW and acks=all may count on it: the committed ISR plus a member
    /// being added (a pending removal brings no benefit until confirmed).
    pub fn maximal_isr(&self) -> Vec<u32> {
        let mut isr = self.isr.clone();
        for &b in self.pending_isr.iter().flatten() {
            if !isr.contains(&b) {
                isr.push(b);
            }
        }
        isr
    }

    /// Membership of the maximal ISR, without building it (asked per append and fetch).
    pub fn in_maximal_isr(&self, broker: u32) -> bool {
        has(&self.isr, broker) || self.pending_isr.as_ref().is_some_and(|p| has(p, broker))
    }

    /// The maximal ISR's size: NOT_ENOUGH_REPLICAS_AFTER_APPEND counts it.
    pub fn maximal_isr_len(&self) -> usize {
        let added = self.pending_isr.iter().flatten();
        self.isr.len() + added.filter(|b| !self.isr.contains(b)).count()
    }

    /// `ReplicaState.isCaughtUp`: at the leader's log end, or there within the lag.
    pub fn caught_up(&self, f: &FollowerState, now: u64, lag_ms: u64) -> bool {
        f.log_end_offset == Some(self.log.log_end_offset())
            || f.last_caught_up_ms
                .is_some_and(|t| now.saturating_sub(t) <= lag_ms)
    }

    /// Whether follower `id` holds the leader's high watermark back: a member of the
    /// maximal ISR, whatever its lag, or a follower caught up and, from 3.6, not `fenced`
    /// (KAFKA-15021: before, a fenced follower caught up within `replica.lag.time.max.ms`
    /// held it back that long).
    pub fn holds_high_watermark(
        &self,
        id: u32,
        f: &FollowerState,
        now: u64,
        lag_ms: u64,
        version: KafkaVersion,
        fenced: &[u32],
    ) -> bool {
        // Most followers are ISR members, so that is asked first.
        self.in_maximal_isr(id)
            || (self.caught_up(f, now, lag_ms) && !(version.at_least(3, 6) && fenced.contains(&id)))
    }

    /// From 3.7 the high watermark stands still while the ISR is under the effective min
    /// ISR (KAFKA-15583): what is past it waits for the ISR to grow back.
    pub fn high_watermark_frozen(&self, version: KafkaVersion) -> bool {
        version.at_least(3, 7) && self.not_enough_replicas(version)
    }

    /// `maybeIncrementLeaderHW`: the smallest LEO over the leader and the followers that
    /// hold it (one of unknown position holds it still); it only grows, and is not
    /// frozen. Returns whether it moved.
    pub fn maybe_increment_high_watermark(
        &mut self,
        now: u64,
        lag_ms: u64,
        version: KafkaVersion,
        fenced: &[u32],
    ) -> bool {
        let mut candidate = self.log.log_end_offset();
        // The candidate is at most the log end: a HW there cannot move (about half the
        // calls, a fetch of a partition with nothing new).
        if self.high_watermark >= candidate || self.high_watermark_frozen(version) {
            return false;
        }
        for (&id, f) in &self.followers {
            if self.holds_high_watermark(id, f, now, lag_ms, version, fenced) {
                candidate = candidate.min(f.log_end_offset.unwrap_or(0));
            }
        }
        if candidate > self.high_watermark {
            self.high_watermark = candidate;
            self.producer_state.on_high_watermark_updated(candidate);
            true
        } else {
            false
        }
    }

    /// `UnifiedLog.lastStableOffset`: the first offset of a transaction not yet decided or
    /// whose marker is not yet committed, else the high watermark. Never above it.
    pub fn last_stable_offset(&self) -> u64 {
        let hw = self.high_watermark;
        // A transaction whose start retention deleted is unstable from the log start
        // (`maybeIncrementFirstUnstableOffset`).
        let start = self.log.log_start_offset();
        self.producer_state
            .first_unstable_offset(hw)
            .map_or(hw, |o| o.max(start).min(hw))
    }

    /// The aborted transactions (producer id, first offset) overlapping `[from, to)`, which
    /// a `read_committed` fetch of that range carries (`TransactionIndex.collectAbortedTxns`).
    pub fn aborted_transactions(&self, from: u64, to: u64) -> Vec<(i64, u64)> {
        self.producer_state
            .aborted_txns()
            .iter()
            .filter(|t| t.last_offset >= from && t.first_offset < to)
            .map(|t| (t.producer_id, t.first_offset))
            .collect()
    }

    /// `updateFollowerFetchState` for a follower's fetch at `fetch_offset`, then
    /// `maybeExpandIsr`: returns the ISR to propose when the follower has caught up to the
    /// high watermark and to this epoch's start, and no other change is in flight.
    pub fn update_follower_fetch_state(
        &mut self,
        follower: u32,
        fetch_offset: u64,
        now: u64,
    ) -> Option<Vec<u32>> {
        let leader_leo = self.log.log_end_offset();
        let f = self.followers.get_mut(&follower)?;
        if fetch_offset >= leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(Some(now));
        } else if fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(f.last_fetch_ms);
        }
        f.log_end_offset = Some(fetch_offset);
        f.last_fetch_leader_leo = leader_leo.max(f.last_fetch_leader_leo);
        f.last_fetch_ms = Some(now);
        let in_sync =
            fetch_offset >= self.high_watermark && fetch_offset >= self.leader_epoch_start_offset;
        if self.pending_isr.is_none() && !has(&self.isr, follower) && in_sync {
            let mut isr = self.isr.clone();
            isr.push(follower);
            let order = &self.replicas;
            // In replica order; one that is not a replica (none is) would go first.
            sort_by_u64_key(&mut isr, |b| {
                order
                    .iter()
                    .position(|r| r == b)
                    .map_or(0, |i| i as u64 + 1)
            });
            return Some(isr);
        }
        None
    }

    /// `maybeShrinkIsr`: the ISR to propose without the followers behind the leader's LEO
    /// and not caught up for more than `replica.lag.time.max.ms`, if any.
    pub fn maybe_shrink_isr(&self, now: u64, lag_ms: u64) -> Option<Vec<u32>> {
        if self.pending_isr.is_some() {
            return None;
        }
        let leader_leo = self.log.log_end_offset();
        let out: Vec<u32> = self
            .followers
            .iter()
            .filter(|(id, f)| {
                self.isr.contains(id)
                    && f.log_end_offset != Some(leader_leo)
                    && f.last_caught_up_ms
                        .is_none_or(|t| now.saturating_sub(t) > lag_ms)
            })
            .map(|(&id, _)| id)
            .collect();
        (!out.is_empty()).then(|| {
            self.isr
                .iter()
                .copied()
                .filter(|b| !out.contains(b))
                .collect()
        })
    }

    /// The controller's answer to this leader's AlterPartition
    /// (`handleAlterPartitionUpdate` / `handleAlterPartitionError`). Returns the committed
    /// ISR when it changed.
    pub fn alter_partition_response(
        &mut self,
        result: Result<PartitionRegistration, Errors>,
    ) -> Option<Vec<u32>> {
        self.pending_isr.as_ref()?;
        match result {
            // A new leader epoch (KRaft before 3.6 bumps it on shrinks) arrives as metadata.
            // An answer older than the metadata since applied changes nothing.
            Ok(r) if r.partition_epoch <= self.partition_epoch => None,
            Ok(r) if r.leader_epoch == self.leader_epoch && r.leader == self.leader => {
                self.pending_isr = None;
                self.partition_epoch = r.partition_epoch;
                let changed = r.isr != self.isr;
                self.isr = r.isr;
                changed.then(|| self.isr.clone())
            }
            Ok(_) => None,
            Err(Errors::IneligibleReplica) => {
                self.pending_isr = None;
                None
            }
            // FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION: wait for new metadata.
            Err(_) => None,
        }
    }

    /// How many records a fetch from `offset` returns below `end`: whole batches up to
    /// `max_bytes`, and always the first one, however large (`replica.fetch.max.bytes`,
    /// KIP-74).
    pub fn read_from(&self, offset: u64, end: u64, max_bytes: u64) -> usize {
        let records = self.log.records();
        let from = (offset as usize).max(records.start());
        let n = (end as usize).min(records.len()).saturating_sub(from);
        // Every batch after the first record's is at most the largest appended: when even
        // that many fit, all the records are read without a look at each (most reads).
        let first = records.get(from).map_or(0, |r| r.batch_bytes as u64);
        let most = self.log.max_batch_bytes() as u64 * (n as u64).saturating_sub(1);
        if first + most <= max_bytes {
            debug_assert_eq!(n, self.count_read(offset, end, max_bytes));
            return n;
        }
        self.count_read(offset, end, max_bytes)
    }

    /// `read_from`, record by record.
    fn count_read(&self, offset: u64, end: u64, max_bytes: u64) -> usize {
        let records = self.log.records().range(offset as usize, end as usize);
        let mut bytes = 0u64;
        let mut end = records.len();
        for (i, r) in records.enumerate() {
            if r.offset == r.batch_offset() || i == 0 {
                bytes += r.batch_bytes as u64;
                if bytes > max_bytes && i > 0 {
                    end = i;
                    break;
                }
            }
        }
        end
    }

    /// A follower appends what it fetched, learns the epochs it carries, keeps producer
    /// state as the leader does, and takes the leader's high watermark, capped at its own
    /// log end (`ReplicaFetcherThread.processPartitionData`). The records are moved into
    /// the log, not cloned: a fetch response is the follower's own to consume.
    pub fn append_as_follower(&mut self, mut records: Vec<LogRecord>, leader_hw: u64, now: u64) {
        // A batch (the first one may be the tail of one) is appended when it starts at the
        // log end. The records' offsets are consecutive (a log's offsets are its places):
        // those appended are the ones from the log end on, if a batch starts there.
        debug_assert!(records.windows(2).all(|w| w[1].offset == w[0].offset + 1));
        let leo = self.log.log_end_offset();
        let from = match records.first() {
            Some(r) if r.offset <= leo => (leo - r.offset) as usize,
            _ => records.len(),
        };
        let starts = from == 0
            || records
                .get(from)
                .is_some_and(|r| r.batch_offset() != records[from - 1].batch_offset());
        if !starts {
            records.clear();
        } else if from > 0 {
            records.drain(..from);
        }
        // Whole batches, as fetched: each counted in its segment (which it may roll), then
        // all moved into the log at once.
        let mut rest = &mut records[..];
        while let Some(first) = rest.first() {
            if self.epoch_cache.latest_epoch() < Some(first.leader_epoch) {
                self.epoch_cache.assign(first.leader_epoch, first.offset);
            }
            let (batch, after) = rest.split_at_mut(batch_len(rest));
            let newest = newest_timestamp(batch.iter().map(LogRecord::data));
            track_producer(&mut self.producer_state, &batch[0], newest);
            // Its own copies, appended now.
            for r in batch.iter_mut() {
                r.append_ms = now;
            }
            let first = &batch[0];
            self.log
                .open_batch(first.offset, first.batch_bytes, newest, now);
            rest = after;
        }
        self.log.append_fetched(records);
        self.high_watermark = leader_hw.min(self.log.log_end_offset());
        self.producer_state
            .on_high_watermark_updated(self.high_watermark);
    }

    /// Drops the log from `offset` (a diverging tail), with the epochs, producer state and
    /// transactions it carried (`UnifiedLog.truncateTo`, which reloads producer state from
    /// the snapshot at the log start and the records after it; the transaction index
    /// loses the entries past the cut).
    pub fn truncate_to(&mut self, offset: u64, now: u64) {
        if offset < self.log.log_start_offset() {
            return self.truncate_fully_and_start_at(offset, now);
        }
        self.log.truncate_to(offset, now);
        self.epoch_cache.truncate_from_end(offset);
        self.high_watermark = self.high_watermark.min(offset);
        let mut state = self.producer_state_at_log_start.clone();
        state.verification_enabled = self.producer_state.verification_enabled;
        state.ongoing_by_epoch = self.producer_state.ongoing_by_epoch;
        self.producer_state = state;
        let records = self.log.records();
        for r in records {
            replay_producer(&mut self.producer_state, records, r);
        }
        self.producer_state
            .on_high_watermark_updated(self.high_watermark);
    }

    /// `truncateFullyAndStartAt`: a follower too far behind its leader's log start
    /// starts over from there with nothing (no records, epochs or producer state).
    pub fn truncate_fully_and_start_at(&mut self, offset: u64, now: u64) {
        self.log.truncate_fully_and_start_at(offset, now);
        self.epoch_cache = LeaderEpochFileCache::default();
        self.high_watermark = offset;
        self.producer_state = self.producer_state.emptied();
        self.producer_state_at_log_start = self.producer_state.emptied();
    }

    /// `maybeIncrementLogStartOffset`: the log start offset moves up to `offset`, never
    /// past the high watermark. The producer state of the records left behind is kept (as
    /// Kafka keeps producer entries, only dropping the transaction index of deleted
    /// segments), and the epoch cache starts there. Returns whether it moved.
    pub fn increment_log_start_offset(&mut self, offset: u64) -> bool {
        let from = self.log.log_start_offset();
        let to = offset.min(self.high_watermark);
        if to <= from {
            return false;
        }
        let records = self.log.records();
        for r in records.range(from as usize, to as usize) {
            replay_producer(&mut self.producer_state_at_log_start, records, r);
        }
        self.producer_state_at_log_start
            .on_log_start_offset_incremented(to);
        self.producer_state.on_log_start_offset_incremented(to);
        self.epoch_cache.truncate_from_start(to);
        self.log.increment_log_start_offset(to);
        true
    }

    /// `UnifiedLog.deleteOldSegments`, as the `kafka-log-retention` task runs it: the
    /// segments wholly below the log start offset, then those over `retention.bytes`, then
    /// those past `retention.ms`, each only below the high watermark. Returns what went,
    /// and why.
    pub fn delete_old_segments(&mut self, now: u64) -> Vec<(Retention, usize)> {
        let mut deleted = Vec::new();
        for reason in [Retention::LogStartOffset, Retention::Size, Retention::Time] {
            let n = self
                .log
                .deletable_segments(reason, self.high_watermark, now);
            if n > 0 {
                let start = self.log.delete_segments(n, now);
                self.increment_log_start_offset(start);
                deleted.push((reason, n));
            }
        }
        deleted
    }

    /// The epoch of the last record, sent with each fetch.
    pub fn last_fetched_epoch(&self) -> Option<u32> {
        self.epoch_cache.latest_epoch()
    }

    /// `appendRecordsToLeader`: an idempotent batch is checked against the producer's
    /// state first (a transactional one may open a transaction); then the records take
    /// consecutive offsets from the log end offset. Without a verification guard: a
    /// transactional batch that would open a transaction here is refused where
    /// verification is on (3.6+).
    pub fn append_records_to_leader(
        &mut self,
        producer: u16,
        batch: &WireBatch,
        now: u64,
    ) -> LeaderAppend {
        self.append_records_to_leader_verified(producer, batch, None, now)
    }

    /// `maybeStartTransactionVerification`: a transactional batch of a producer with no
    /// transaction open here must be verified with the coordinator first; the guard the
    /// append will have to carry, or `None` when the transaction is already open here.
    pub fn maybe_start_transaction_verification(
        &mut self,
        producer_id: i64,
        sequence: i32,
        epoch: i16,
    ) -> Option<u64> {
        if self
            .producer_state
            .has_ongoing_transaction(producer_id, epoch)
        {
            return None;
        }
        let state = &mut self.producer_state;
        Some(state.maybe_create_verification_state_entry(producer_id, sequence, epoch))
    }

    /// `appendRecordsToLeader` with the `verificationGuard` the coordinator's answer
    /// released (KIP-890). The checks, in `UnifiedLog.analyzeAndValidateProducerState`'s
    /// order: a duplicate is answered first; then a transactional batch that would open a
    /// transaction without the producer's current guard is refused with
    /// `INVALID_TXN_STATE` (the transaction ended, or was never verified, since); then
    /// epoch, the verification's lowest sequence (`ProducerAppendInfo.checkSequence`), and
    /// sequence.
    pub fn append_records_to_leader_verified(
        &mut self,
        producer: u16,
        batch: &WireBatch,
        verification_guard: Option<u64>,
        now: u64,
    ) -> LeaderAppend {
        let base = self.log.log_end_offset();
        // UnifiedLog.analyzeAndValidateRecords, before any producer state is looked at.
        if batch.size_in_bytes > self.max_message_bytes {
            return LeaderAppend::Rejected {
                error: Errors::MessageTooLarge,
                reason: format!(
                    "The record batch size in the append to {} is {} bytes which exceeds the maximum configured value of {}.",
                    self.tp, batch.size_in_bytes, self.max_message_bytes
                ),
            };
        }
        // `UnifiedLog.append`, after validation and before any producer state.
        let segment_bytes = self.log.config().segment_bytes;
        if batch.size_in_bytes as u64 > segment_bytes {
            return LeaderAppend::Rejected {
                error: Errors::RecordListTooLarge,
                reason: format!(
                    "Message batch size is {} bytes in append to partition {}, which exceeds the maximum configured segment size of {segment_bytes}.",
                    batch.size_in_bytes, self.tp
                ),
            };
        }
        let last_seq = batch
            .base_sequence
            .wrapping_add(batch.records.len() as i32 - 1);
        if batch.producer_id >= 0 {
            let metadata = BatchMetadata {
                first_seq: batch.base_sequence,
                last_seq,
                first_offset: base,
            };
            let check = self.producer_state.check(
                batch.producer_id,
                batch.producer_epoch,
                metadata,
                batch.transactional,
                self.tp,
            );
            if !matches!(check, SequenceCheck::Duplicate { .. }) {
                let state = &self.producer_state;
                let verified = state.check_verification(
                    batch.producer_id,
                    batch.producer_epoch,
                    batch.transactional,
                    verification_guard,
                );
                if let Err(reason) = verified {
                    return LeaderAppend::Rejected {
                        error: Errors::InvalidTxnState,
                        reason,
                    };
                }
            }
            let lowest = self
                .producer_state
                .verification_state_entry(batch.producer_id)
                .map(|e| e.lowest_sequence)
                .filter(|&lowest| batch.base_sequence > lowest);
            let check = match (check, lowest) {
                (SequenceCheck::Append | SequenceCheck::OutOfOrder(_), Some(lowest)) => {
                    SequenceCheck::OutOfOrder(format!(
                        "Out of order sequence number for producer {} at offset {base} in partition {}: {} (incoming seq. number), {lowest} (earliest seen sequence)",
                        batch.producer_id, self.tp, batch.base_sequence
                    ))
                }
                (check, _) => check,
            };
            match check {
                SequenceCheck::Append => {}
                SequenceCheck::Duplicate { first_offset } => {
                    return LeaderAppend::Duplicate {
                        base_offset: first_offset,
                    }
                }
                SequenceCheck::OutOfOrder(reason) => {
                    return LeaderAppend::Rejected {
                        error: Errors::OutOfOrderSequenceNumber,
                        reason,
                    }
                }
                SequenceCheck::InvalidEpoch(reason) => {
                    return LeaderAppend::Rejected {
                        error: Errors::InvalidProducerEpoch,
                        reason,
                    }
                }
                SequenceCheck::InvalidTxnState(reason) => {
                    return LeaderAppend::Rejected {
                        error: Errors::InvalidTxnState,
                        reason,
                    }
                }
            }
        }
        let header = BatchHeader {
            batch_offset: base,
            producer_id: batch.producer_id,
            producer_epoch: batch.producer_epoch,
            leader_epoch: self.leader_epoch,
            append_ms: now,
            records: batch.records.len() as u32,
            bytes: batch.size_in_bytes,
            transactional: batch.transactional,
            control: None,
            coordinator_epoch: -1,
        };
        let records = batch.records.iter().enumerate().map(|(i, r)| {
            let sequence = if batch.base_sequence < 0 {
                -1
            } else {
                batch.base_sequence.wrapping_add(i as i32)
            };
            let origin = (producer, r.send_index);
            LogRecord::new(&header, base + i as u64, sequence, r.data.clone(), origin)
        });
        let max_timestamp = newest_timestamp(batch.records.iter().map(|r| &*r.data));
        self.log.append_batch(max_timestamp, records, now);
        let first = &self.log.records()[base as usize];
        track_producer(&mut self.producer_state, first, max_timestamp);
        LeaderAppend::Appended { base_offset: base }
    }

    /// A coordinator's marker for this partition (`WriteTxnMarkers` → `appendRecords` with
    /// origin COORDINATOR): refused with `INVALID_PRODUCER_EPOCH` or
    /// `TRANSACTION_COORDINATOR_FENCED` when a newer producer or coordinator epoch was seen
    /// here; else a control batch of one record at the log end, with the producer's id and
    /// epoch and no sequence. Returns its offset.
    pub fn append_marker_as_leader(
        &mut self,
        entry: &TxnMarkerEntry,
        now: u64,
    ) -> Result<u64, Errors> {
        self.producer_state.check_end_txn_marker(
            entry.producer_id,
            entry.producer_epoch,
            entry.coordinator_epoch,
        )?;
        let offset = self.log.log_end_offset();
        let size = RECORD_BATCH_OVERHEAD
            + record_size(
                0,
                0,
                Some(CONTROL_RECORD_KEY_SIZE),
                Some(END_TXN_MARKER_VALUE_SIZE),
            );
        let header = BatchHeader {
            batch_offset: offset,
            producer_id: entry.producer_id,
            producer_epoch: entry.producer_epoch,
            leader_epoch: self.leader_epoch,
            append_ms: now,
            records: 1,
            bytes: size as u32,
            transactional: true,
            control: Some(entry.result),
            coordinator_epoch: entry.coordinator_epoch,
        };
        // The marker's key and value are binary control data, not the application's.
        let data = self.markers.make(RecordData {
            key: None,
            value: None,
            timestamp: now,
        });
        let marker = LogRecord::new(&header, offset, -1, data, (u16::MAX, u32::MAX));
        self.log.append_batch(now, [marker], now);
        track_producer(
            &mut self.producer_state,
            &self.log.records()[offset as usize],
            now,
        );
        Ok(offset)
    }

    /// Offsets below the high watermark are committed.
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }
}

/// Whether `broker` is in `brokers` (an ISR: a few members), by a plain scan: `contains`
/// on integers sets up a search in chunks of 16, which costs more than the scan.
#[allow(clippy::manual_contains)]
fn has(brokers: &[u32], broker: u32) -> bool {
    brokers.iter().any(|&b| b == broker)
}

/// The newest timestamp of a batch's records (0 for none): its last record's, without a
/// look at each. A batch holds its records in the order they were sent, and a record's
/// timestamp is the simulated time it was sent at, which never goes back (checked in
/// debug builds against every record's).
fn newest_timestamp<'a>(records: impl DoubleEndedIterator<Item = &'a RecordData> + Clone) -> u64 {
    let newest = records.clone().next_back().map_or(0, |r| r.timestamp);
    debug_assert_eq!(newest, records.map(|r| r.timestamp).max().unwrap_or(0));
    newest
}

/// How many of `records` from the first are of its batch (a batch's records are
/// consecutive): known from the batch's count, unless a truncation cut it.
fn batch_len(records: &[LogRecord]) -> usize {
    let first = &records[0];
    let of_first = |r: &LogRecord| r.batch_offset() == first.batch_offset();
    let end = first.batch_offset() + first.batch_records as u64;
    let n = (end.saturating_sub(first.offset) as usize).clamp(1, records.len());
    if of_first(&records[n - 1]) && !records.get(n).is_some_and(of_first) {
        debug_assert_eq!(n, records.iter().take_while(|r| of_first(r)).count());
        return n;
    }
    records.iter().take_while(|r| of_first(r)).count()
}

/// `track_producer` for a record of the log `records`, replayed: a batch's largest
/// timestamp is its last record's there (see `newest_timestamp`), looked up only for a
/// batch's first record.
fn replay_producer(state: &mut ProducerStateManager, records: &Chunked<LogRecord>, r: &LogRecord) {
    if r.offset == r.batch_offset() {
        let end = (r.offset + r.batch_records as u64).min(records.len() as u64);
        track_producer(state, r, records[end as usize - 1].data().timestamp);
    }
}

/// The producer state a batch's first record implies, unchecked: what the leader records
/// after its checks, and what a follower or a reloaded log replays (`ProducerAppendInfo`
/// with origin REPLICATION). `timestamp` is the batch's largest.
fn track_producer(state: &mut ProducerStateManager, r: &LogRecord, timestamp: u64) {
    if r.producer_id < 0 || r.offset != r.batch_offset() {
        return;
    }
    match r.control {
        Some(result) => state.append_end_txn_marker(
            r.producer_id,
            r.producer_epoch,
            r.coordinator_epoch,
            result,
            r.offset,
            timestamp,
        ),
        None => state.append_data_batch(
            r.producer_id,
            r.producer_epoch,
            BatchMetadata {
                first_seq: r.sequence,
                last_seq: r.sequence.wrapping_add(r.batch_records as i32 - 1),
                first_offset: r.offset,
            },
            r.transactional,
            timestamp,
        ),
    }
}
