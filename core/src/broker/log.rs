//! `UnifiedLog`, reduced to what one replica needs: an append-only sequence of records,
//! each given the next offset, in segments of whole batches (`LogSegment`), the oldest of
//! which retention deletes, moving the log start offset (`broker.md` §1).

use crate::chunked::Chunked;
use crate::config::LogConfig;
use crate::net::TransactionResult;
use crate::record::{RecordData, RecordRef, SharedBlock};
use std::fmt;

/// A record in a replica's log. A long run holds one per record and replica, so its
/// fields are packed: the record's cell index beside the small fields (`RecordRef::split`),
/// its batch's first offset as a distance, its origin in two fields: 72 bytes natively and
/// 64 in wasm, against 80 and 72 with a `RecordRef`, a `u64` and a tuple.
#[derive(Clone)]
pub struct LogRecord {
    pub offset: u64,
    block: SharedBlock,
    pub producer_id: i64,
    pub append_ms: u64,
    /// How far the record is from its batch's first offset (`batch_offset()`).
    batch_delta: u32,
    /// Sequence of this record (batch base sequence + index), -1 when not idempotent.
    pub sequence: i32,
    pub leader_epoch: u32,
    /// How many records the batch has.
    pub batch_records: u32,
    /// The batch's size on the wire, what fetch size limits count.
    pub batch_bytes: u32,
    /// A marker's coordinator epoch (the control record's value), which a follower or a
    /// reloaded log needs to fence an older coordinator later; -1 for data.
    pub coordinator_epoch: i32,
    origin_send: u32,
    origin_producer: u16,
    pub producer_epoch: i16,
    at: u8,
    /// The batch header's transactional flag (a marker's batch has it too).
    pub transactional: bool,
    /// A control record: the transaction marker (`EndTransactionMarker`) ending this
    /// producer's transaction here. It is a batch of its own, taking one offset.
    pub control: Option<TransactionResult>,
}

/// What the records of one batch share, as a log keeps them.
pub struct BatchHeader {
    pub batch_offset: u64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub leader_epoch: u32,
    pub append_ms: u64,
    pub records: u32,
    pub bytes: u32,
    pub transactional: bool,
    pub control: Option<TransactionResult>,
    pub coordinator_epoch: i32,
}

impl LogRecord {
    /// The record at `offset` of the batch `header` describes, with its `sequence`, made
    /// by `send()` number `origin.1` of producer `origin.0` (meaningless for a control
    /// record, which no `send()` made).
    pub fn new(
        header: &BatchHeader,
        offset: u64,
        sequence: i32,
        data: RecordRef,
        origin: (u16, u32),
    ) -> LogRecord {
        let (block, at) = data.split();
        LogRecord {
            offset,
            block,
            producer_id: header.producer_id,
            append_ms: header.append_ms,
            batch_delta: (offset - header.batch_offset) as u32,
            sequence,
            leader_epoch: header.leader_epoch,
            batch_records: header.records,
            batch_bytes: header.bytes,
            coordinator_epoch: header.coordinator_epoch,
            origin_send: origin.1,
            origin_producer: origin.0,
            producer_epoch: header.producer_epoch,
            at,
            transactional: header.transactional,
            control: header.control,
        }
    }

    pub fn data(&self) -> &RecordData {
        self.block.get(self.at)
    }

    /// A reference to the record, for a holder of its own (a consumer).
    pub fn record(&self) -> RecordRef {
        self.block.join(self.at)
    }

    /// The first offset of the record's batch.
    pub fn batch_offset(&self) -> u64 {
        self.offset - self.batch_delta as u64
    }

    /// Which `send()` this copy came from: (producer, send index).
    pub fn origin(&self) -> (u16, u32) {
        (self.origin_producer, self.origin_send)
    }
}

impl PartialEq for LogRecord {
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
            && self.data() == other.data()
            && self.producer_id == other.producer_id
            && self.append_ms == other.append_ms
            && self.batch_delta == other.batch_delta
            && self.sequence == other.sequence
            && self.leader_epoch == other.leader_epoch
            && self.batch_records == other.batch_records
            && self.batch_bytes == other.batch_bytes
            && self.coordinator_epoch == other.coordinator_epoch
            && self.origin() == other.origin()
            && self.producer_epoch == other.producer_epoch
            && self.transactional == other.transactional
            && self.control == other.control
    }
}

impl fmt::Debug for LogRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogRecord")
            .field("offset", &self.offset)
            .field("data", self.data())
            .field("producer_id", &self.producer_id)
            .field("producer_epoch", &self.producer_epoch)
            .field("sequence", &self.sequence)
            .field("leader_epoch", &self.leader_epoch)
            .field("append_ms", &self.append_ms)
            .field("batch_offset", &self.batch_offset())
            .field("batch_records", &self.batch_records)
            .field("batch_bytes", &self.batch_bytes)
            .field("origin", &self.origin())
            .field("transactional", &self.transactional)
            .field("control", &self.control)
            .field("coordinator_epoch", &self.coordinator_epoch)
            .finish()
    }
}

/// One segment: the batches from `base_offset` up to the next segment's (`LogSegment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub base_offset: u64,
    /// Its batches' bytes (`size`).
    pub bytes: u64,
    /// Its first batch's largest timestamp (`rollingBasedTimestamp`): `segment.ms` counts
    /// from it.
    pub first_batch_timestamp: Option<u64>,
    /// Its newest record's timestamp (`maxTimestampSoFar`): `retention.ms` counts from it.
    pub largest_timestamp: Option<u64>,
    /// When it was created: the age of an empty segment (`created`, the file's time).
    pub created_ms: u64,
}

impl Segment {
    fn new(base_offset: u64, now: u64) -> Self {
        Segment {
            base_offset,
            bytes: 0,
            first_batch_timestamp: None,
            largest_timestamp: None,
            created_ms: now,
        }
    }

    /// `LogSegment.largestTimestamp`.
    pub fn largest_timestamp(&self) -> u64 {
        self.largest_timestamp.unwrap_or(self.created_ms)
    }
}

/// Why segments were deleted (`SegmentDeletionReason`), in the order Kafka checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Retention {
    /// Wholly below the log start offset (a follower's, moved by its leader's).
    LogStartOffset,
    /// `retention.bytes`.
    Size,
    /// `retention.ms`.
    Time,
}

impl Retention {
    pub fn name(self) -> &'static str {
        match self {
            Retention::LogStartOffset => "log start offset",
            Retention::Size => "retention.bytes",
            Retention::Time => "retention.ms",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Log {
    config: LogConfig,
    records: Chunked<LogRecord>,
    /// Never empty: the last one is the active segment, which appends go to.
    segments: Vec<Segment>,
    /// The first offset still readable; the records below it are forgotten.
    log_start_offset: u64,
    /// The largest `batch_bytes` of an appended batch (of its first record: no other
    /// starts a batch), what bounds each batch a read counts after its first record.
    max_batch_bytes: u32,
}

impl Default for Log {
    fn default() -> Self {
        Log::new(LogConfig::default(), 0)
    }
}

impl Log {
    pub fn new(config: LogConfig, now: u64) -> Self {
        Log {
            config,
            records: Chunked::new(),
            segments: vec![Segment::new(0, now)],
            log_start_offset: 0,
            max_batch_bytes: 0,
        }
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Log end offset: the offset the next record will get.
    pub fn log_end_offset(&self) -> u64 {
        self.records.len() as u64
    }

    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset
    }

    /// The records from the log start offset to the end, by offset.
    pub fn records(&self) -> &Chunked<LogRecord> {
        &self.records
    }

    /// No batch a read counts after its first record is larger than this.
    pub fn max_batch_bytes(&self) -> u32 {
        self.max_batch_bytes
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// `UnifiedLog.size`: every segment's bytes.
    pub fn size_in_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    fn active(&mut self) -> &mut Segment {
        self.segments
            .last_mut()
            .expect("a log always has a segment")
    }

    /// `LocalLog.roll`: a new active segment from `leo`, the log end (an empty active
    /// segment is only made anew).
    fn roll(&mut self, leo: u64, now: u64) {
        if self.active().bytes == 0 {
            *self.active() = Segment::new(leo, now);
        } else {
            self.segments.push(Segment::new(leo, now));
        }
    }

    /// `UnifiedLog.maybeRoll` before a batch of `bytes` at `offset` whose newest record is
    /// `max_timestamp` (`LogSegment.shouldRoll`): the active segment would grow past
    /// `segment.bytes`, or it has data and the batch is more than `segment.ms` past its
    /// first batch.
    fn maybe_roll(&mut self, offset: u64, bytes: u64, max_timestamp: u64, now: u64) {
        let LogConfig {
            segment_bytes,
            segment_ms,
            ..
        } = self.config;
        let active = self.active();
        let waited = match active.first_batch_timestamp {
            Some(first) => max_timestamp as i64 - first as i64,
            None => now as i64 - active.created_ms as i64,
        };
        if active.bytes + bytes > segment_bytes || (active.bytes > 0 && waited > segment_ms as i64)
        {
            self.roll(offset, now);
        }
    }

    /// Appends one batch, its records in offset order from the log end; `max_timestamp`
    /// is its newest record's timestamp.
    pub fn append_batch(
        &mut self,
        max_timestamp: u64,
        records: impl IntoIterator<Item = LogRecord>,
        now: u64,
    ) {
        let mut records = records.into_iter();
        let Some(first) = records.next() else {
            return;
        };
        let leo = self.log_end_offset();
        self.open_batch(leo, first.batch_bytes, max_timestamp, now);
        self.records.push(first);
        self.records.extend(records);
        debug_assert!(self.offsets_are_places(leo));
    }

    /// Moves a follower's fetched records onto the end, whole batches from the log end,
    /// each counted by `open_batch` first.
    pub(super) fn append_fetched(&mut self, records: Vec<LogRecord>) {
        let leo = self.log_end_offset();
        self.records.append(records);
        debug_assert!(self.offsets_are_places(leo));
    }

    /// Whether the records from `leo` on have their places as offsets.
    fn offsets_are_places(&self, leo: u64) -> bool {
        self.records
            .iter_from(leo as usize)
            .enumerate()
            .all(|(i, r)| r.offset == leo + i as u64)
    }

    /// Counts a batch of `batch_bytes` at `offset`, the log end once the batches counted
    /// before it are appended, in the segment it goes to, rolled first if need be.
    pub(super) fn open_batch(
        &mut self,
        offset: u64,
        batch_bytes: u32,
        max_timestamp: u64,
        now: u64,
    ) {
        let bytes = batch_bytes as u64;
        self.max_batch_bytes = self.max_batch_bytes.max(batch_bytes);
        self.maybe_roll(offset, bytes, max_timestamp, now);
        let active = self.active();
        active.bytes += bytes;
        active.first_batch_timestamp.get_or_insert(max_timestamp);
        active.largest_timestamp = active.largest_timestamp.max(Some(max_timestamp));
    }

    /// `UnifiedLog.truncateTo`: drops the records at and above `offset`, as a follower does
    /// when its log diverges from the leader's: the segments after it go, the one holding
    /// it is cut. Nothing to drop at or past the end. Below the log start offset the log
    /// is emptied and starts there (`truncateFullyAndStartAt`).
    pub fn truncate_to(&mut self, offset: u64, now: u64) {
        if offset >= self.log_end_offset() {
            return;
        }
        if offset < self.log_start_offset {
            return self.truncate_fully_and_start_at(offset, now);
        }
        self.records.truncate(offset as usize);
        self.segments.retain(|s| s.base_offset <= offset);
        // The cut segment's size and timestamps, from the batches it keeps.
        let active = self
            .segments
            .last_mut()
            .expect("the first segment starts at or below");
        let (mut bytes, mut first_batch, mut first, mut largest) = (0, None, None, None);
        for r in self.records.iter_from(active.base_offset as usize) {
            if r.offset == r.batch_offset() {
                bytes += r.batch_bytes as u64;
                first_batch.get_or_insert(r.batch_offset());
            }
            if first_batch == Some(r.batch_offset()) {
                first = first.max(Some(r.data().timestamp));
            }
            largest = largest.max(Some(r.data().timestamp));
        }
        active.bytes = bytes;
        active.first_batch_timestamp = first;
        active.largest_timestamp = largest;
    }

    /// `truncateFullyAndStartAt`: no records, one empty segment at `offset`.
    pub fn truncate_fully_and_start_at(&mut self, offset: u64, now: u64) {
        self.records.restart_at(offset as usize);
        self.segments = vec![Segment::new(offset, now)];
        self.log_start_offset = offset;
    }

    /// Moves the log start offset up to `offset` (never down, never past the end): the
    /// records below it are no longer readable, and forgotten.
    pub fn increment_log_start_offset(&mut self, offset: u64) {
        let offset = offset.min(self.log_end_offset());
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            self.records.forget_before(offset as usize);
        }
    }

    /// `UnifiedLog.deletableSegments` for `reason`: how many of the oldest segments may go
    /// — each wholly below the high watermark, never an empty active segment, and each
    /// breaching the policy, from the oldest until one does not.
    pub fn deletable_segments(&self, reason: Retention, high_watermark: u64, now: u64) -> usize {
        let leo = self.log_end_offset();
        // retention.bytes: what the log is over the limit, which each deletion uses up.
        let mut over = match reason {
            Retention::Size if self.config.retention_bytes >= 0 => {
                self.size_in_bytes() as i64 - self.config.retention_bytes
            }
            Retention::Size => return 0,
            Retention::Time if self.config.retention_ms < 0 => return 0,
            _ => 0,
        };
        if reason == Retention::Size && over < 0 {
            return 0;
        }
        let mut n = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            let next = self.segments.get(i + 1);
            let upper = next.map_or(leo, |s| s.base_offset);
            let last_and_empty = next.is_none() && segment.bytes == 0;
            let breached = match reason {
                Retention::LogStartOffset => {
                    next.is_some_and(|s| s.base_offset <= self.log_start_offset)
                }
                Retention::Size => {
                    let left = over - segment.bytes as i64;
                    left >= 0 && {
                        over = left;
                        true
                    }
                }
                Retention::Time => {
                    now as i64 - segment.largest_timestamp() as i64 > self.config.retention_ms
                }
            };
            if high_watermark >= upper && breached && !last_and_empty {
                n += 1;
            } else {
                break;
            }
        }
        n
    }

    /// `UnifiedLog.deleteSegments`: the oldest `n` segments go (all of them: a new active
    /// segment is rolled first, a log always has one). Returns the base offset of the
    /// first segment left, where the log start offset moves.
    pub fn delete_segments(&mut self, n: usize, now: u64) -> u64 {
        if n == self.segments.len() {
            self.roll(self.log_end_offset(), now);
        }
        let n = n.min(self.segments.len() - 1);
        self.segments.drain(..n);
        self.segments[0].base_offset
    }
}
