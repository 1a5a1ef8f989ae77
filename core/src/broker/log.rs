//! `UnifiedLog`, reduced to what one replica needs so far: an append-only sequence of
//! records, each given the next offset.

use crate::chunked::Chunked;
use crate::net::TransactionResult;
use crate::record::RecordData;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    pub offset: u64,
    pub data: Rc<RecordData>,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Sequence of this record (batch base sequence + index), -1 when not idempotent.
    pub sequence: i32,
    pub leader_epoch: u32,
    pub append_ms: u64,
    /// The first offset of the record's batch, and how many records the batch has.
    pub batch_offset: u64,
    pub batch_records: u32,
    /// The batch's size on the wire, what fetch size limits count.
    pub batch_bytes: u32,
    /// Which `send()` this copy came from: (producer, send index). Meaningless for a
    /// control record, which no `send()` made.
    pub origin: (u16, u32),
    /// The batch header's transactional flag (a marker's batch has it too).
    pub transactional: bool,
    /// A control record: the transaction marker (`EndTransactionMarker`) ending this
    /// producer's transaction here. It is a batch of its own, taking one offset.
    pub control: Option<TransactionResult>,
    /// A marker's coordinator epoch (the control record's value), which a follower or a
    /// reloaded log needs to fence an older coordinator later; -1 for data.
    pub coordinator_epoch: i32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    records: Chunked<LogRecord>,
}

impl Log {
    /// Log end offset: the offset the next record will get.
    pub fn log_end_offset(&self) -> u64 {
        self.records.len() as u64
    }

    pub fn records(&self) -> &Chunked<LogRecord> {
        &self.records
    }

    pub fn append(&mut self, record: LogRecord) {
        debug_assert_eq!(record.offset, self.log_end_offset());
        self.records.push(record);
    }

    /// `UnifiedLog.truncateTo`: drops the records at and above `offset`, as a follower does
    /// when its log diverges from the leader's. Nothing to drop at or past the end.
    pub fn truncate_to(&mut self, offset: u64) {
        if offset < self.log_end_offset() {
            self.records.truncate(offset as usize);
        }
    }
}
