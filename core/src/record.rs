//! Record and batch sizes of Kafka's v2 format (`DefaultRecord`, `DefaultRecordBatch`,
//! `AbstractRecords`). Sizes are exact for uncompressed batches; the bytes themselves
//! are encoded in a later step.

use crate::serializer::Serialized;
use crate::utils::{size_of_varint, size_of_varlong};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

/// `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`: the batch header.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// `DefaultRecord.MAX_RECORD_OVERHEAD`.
pub const MAX_RECORD_OVERHEAD: usize = 21;

/// A record as serialized by the producer: what travels and what the log keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordData {
    /// `None` is a null key: sticky partitioning, no hash.
    pub key: Option<Serialized>,
    /// `None` is a null value (a tombstone).
    pub value: Option<Serialized>,
    pub timestamp: u64,
}

impl RecordData {
    pub fn key_bytes(&self) -> Option<Cow<'_, [u8]>> {
        self.key.as_ref().map(Serialized::bytes)
    }

    pub fn value_bytes(&self) -> Option<Cow<'_, [u8]>> {
        self.value.as_ref().map(Serialized::bytes)
    }

    pub fn key_len(&self) -> Option<usize> {
        self.key.as_ref().map(Serialized::len)
    }

    pub fn value_len(&self) -> Option<usize> {
        self.value.as_ref().map(Serialized::len)
    }

    pub fn key_text(&self) -> Option<Cow<'_, str>> {
        self.key.as_ref().map(Serialized::text)
    }

    pub fn value_text(&self) -> Option<Cow<'_, str>> {
        self.value.as_ref().map(Serialized::text)
    }
}

/// Records a producer makes go into blocks of this many, one allocation each: a record
/// allocated and freed alone was a sixth of the simulation's time.
const BLOCK: usize = 64;

/// A record made once and shared by everything that holds it (the producer's history,
/// its batch, the produce request, every replica's log, fetch responses, consumers): its
/// cell in the block it was made in.
#[derive(Clone)]
pub struct RecordRef {
    block: Rc<[OnceCell<RecordData>; BLOCK]>,
    at: u8,
}

impl Deref for RecordRef {
    type Target = RecordData;

    fn deref(&self) -> &RecordData {
        match self.block[self.at as usize].get() {
            Some(data) => data,
            None => unreachable!("a record is set before it is handed out"),
        }
    }
}

impl PartialEq for RecordRef {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        RecordData::fmt(self, f)
    }
}

impl RecordRef {
    /// Taken apart, for a record held by the hundred thousand (a log's): its holder keeps
    /// the cell's index among its own small fields, not in this reference's 7 bytes of
    /// padding.
    pub fn split(self) -> (SharedBlock, u8) {
        (SharedBlock(self.block), self.at)
    }
}

/// The block of a `RecordRef` taken apart (`RecordRef::split`); the index is its holder's.
#[derive(Clone)]
pub struct SharedBlock(Rc<[OnceCell<RecordData>; BLOCK]>);

impl SharedBlock {
    pub fn get(&self, at: u8) -> &RecordData {
        match self.0[at as usize].get() {
            Some(data) => data,
            None => unreachable!("a record is set before it is handed out"),
        }
    }

    pub fn join(&self, at: u8) -> RecordRef {
        RecordRef {
            block: Rc::clone(&self.0),
            at,
        }
    }
}

/// The block records are being made in (a producer's, for what `send()` is handed; a
/// partition leader's, for its transaction markers): each goes into the next cell.
#[derive(Default)]
pub struct RecordBlock {
    block: Option<Rc<[OnceCell<RecordData>; BLOCK]>>,
    used: u8,
}

impl RecordBlock {
    pub fn make(&mut self, data: RecordData) -> RecordRef {
        let block = match &self.block {
            Some(block) if (self.used as usize) < BLOCK => block,
            _ => {
                self.used = 0;
                self.block.insert(new_block())
            }
        };
        let at = self.used;
        // A cell is set once: a clone of this block starts its own (below).
        let _ = block[at as usize].set(data);
        self.used += 1;
        RecordRef {
            block: Rc::clone(block),
            at,
        }
    }
}

/// An empty block, its cells written where it is allocated: `Rc::new` of an array built
/// the block on the stack and copied it (5.6 KB) into the allocation. Once per 64
/// records: kept out of line, `make` is small enough to be made where it is asked.
#[cold]
#[inline(never)]
fn new_block() -> Rc<[OnceCell<RecordData>; BLOCK]> {
    let cells: Rc<[OnceCell<RecordData>]> = (0..BLOCK).map(|_| OnceCell::new()).collect();
    match cells.try_into() {
        Ok(block) => block,
        Err(_) => unreachable!("a block has BLOCK cells"),
    }
}

/// A snapshot starts a block of its own, so that the two runs never fill the same cells.
impl Clone for RecordBlock {
    fn clone(&self) -> Self {
        RecordBlock::default()
    }
}

/// Where records are made says nothing of the run.
impl PartialEq for RecordBlock {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for RecordBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecordBlock")
    }
}

fn field_size(len: Option<usize>) -> usize {
    match len {
        None => 1,
        Some(n) => size_of_varint(n as i32) + n,
    }
}

/// What a record's key and value add to its size: the same in whatever batch it goes,
/// so `send()` works it out once for its size check, the batch's room check and the
/// batch's largest upper bound, rather than at each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldsSize(u32);

impl FieldsSize {
    pub fn of(key: Option<usize>, value: Option<usize>) -> Self {
        FieldsSize((field_size(key) + field_size(value)) as u32)
    }

    /// `DefaultRecord.sizeInBytes` at these deltas (no headers).
    pub fn record_size(self, offset_delta: i32, timestamp_delta: i64) -> usize {
        let body = self.body_size(offset_delta, timestamp_delta);
        body + size_of_varint(body as i32)
    }

    /// The size after the record's length varint.
    fn body_size(self, offset_delta: i32, timestamp_delta: i64) -> usize {
        1 // attributes
            + size_of_varint(offset_delta)
            + size_of_varlong(timestamp_delta)
            + self.0 as usize
            + size_of_varint(0) // header count
    }

    /// `AbstractRecords.estimateSizeInBytesUpperBound` for format v2, uncompressed, no
    /// headers.
    pub fn upper_bound(self) -> usize {
        RECORD_BATCH_OVERHEAD + MAX_RECORD_OVERHEAD + self.0 as usize + 1
    }
}

/// `DefaultRecord.sizeInBytes`: the exact size of one record inside a batch (no headers).
pub fn record_size(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<usize>,
    value: Option<usize>,
) -> usize {
    FieldsSize::of(key, value).record_size(offset_delta, timestamp_delta)
}

/// A record's size after its length varint.
pub fn record_body_size(
    offset_delta: i32,
    timestamp_delta: i64,
    key: Option<usize>,
    value: Option<usize>,
) -> usize {
    FieldsSize::of(key, value).body_size(offset_delta, timestamp_delta)
}

/// `AbstractRecords.estimateSizeInBytesUpperBound` for format v2, uncompressed, no headers.
pub fn estimate_size_upper_bound(key: Option<usize>, value: Option<usize>) -> usize {
    FieldsSize::of(key, value).upper_bound()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_producer_md() {
        // key "key", value "value", deltas 0 → 15 bytes; offsetDelta 64 → 16.
        assert_eq!(record_size(0, 0, Some(3), Some(5)), 15);
        assert_eq!(record_size(64, 0, Some(3), Some(5)), 16);
        assert_eq!(estimate_size_upper_bound(Some(3), Some(5)), 93);
        // 64×15 + 4×16 = 1024: 68 records fill a 1025+61 batch (RecordAccumulatorTest).
        let total: usize = (0..68).map(|i| record_size(i, 0, Some(3), Some(5))).sum();
        assert_eq!(total, 1024);
    }
}
