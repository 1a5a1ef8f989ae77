//! `Partition`: one replica of a topic partition on a broker. With one replica the
//! leader's log end offset is also its high watermark.

use super::log::{Log, LogRecord};
use crate::metadata::TopicPartition;
use crate::net::WireBatch;

#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub tp: TopicPartition,
    pub leader_epoch: u32,
    pub log: Log,
}

impl Partition {
    pub fn new(tp: TopicPartition, leader_epoch: u32) -> Self {
        Partition {
            tp,
            leader_epoch,
            log: Log::default(),
        }
    }

    /// `appendRecordsToLeader`: the batch's records take consecutive offsets from the
    /// log end offset; returns the base offset.
    pub fn append_records_to_leader(&mut self, batch: &WireBatch, now: u64) -> u64 {
        let base = self.log.log_end_offset();
        for (i, data) in batch.records.iter().enumerate() {
            let sequence = if batch.base_sequence < 0 {
                -1
            } else {
                batch.base_sequence.wrapping_add(i as i32)
            };
            self.log.append(LogRecord {
                offset: base + i as u64,
                data: data.clone(),
                producer_id: batch.producer_id,
                producer_epoch: batch.producer_epoch,
                sequence,
                leader_epoch: self.leader_epoch,
                append_ms: now,
            });
        }
        base
    }

    /// Offsets below the high watermark are committed: with a single replica, all of them.
    pub fn high_watermark(&self) -> u64 {
        self.log.log_end_offset()
    }
}
