//! `Partition`: one replica of a topic partition on a broker. With one replica the
//! leader's log end offset is also its high watermark.

use super::log::{Log, LogRecord};
use super::producer_state::{BatchMetadata, ProducerStateManager, SequenceCheck};
use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::net::WireBatch;

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

#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    pub tp: TopicPartition,
    pub leader_epoch: u32,
    /// The topic's `max.message.bytes`.
    pub max_message_bytes: u32,
    pub log: Log,
    pub producer_state: ProducerStateManager,
}

impl Partition {
    pub fn new(tp: TopicPartition, leader_epoch: u32, max_message_bytes: u32) -> Self {
        Partition {
            tp,
            leader_epoch,
            max_message_bytes,
            log: Log::default(),
            producer_state: ProducerStateManager::default(),
        }
    }

    /// `appendRecordsToLeader`: an idempotent batch is checked against the producer's
    /// state first; then the records take consecutive offsets from the log end offset.
    pub fn append_records_to_leader(
        &mut self,
        producer: u16,
        batch: &WireBatch,
        now: u64,
    ) -> LeaderAppend {
        let base = self.log.log_end_offset();
        // UnifiedLog.analyzeAndValidateRecords, before any producer state is looked at.
        if batch.size_in_bytes > self.max_message_bytes {
            return LeaderAppend::Rejected {
                error: Errors::MessageTooLarge,
                reason: format!(
                    "The record batch size in the append to t{}-{} is {} bytes which exceeds the maximum configured value of {}.",
                    self.tp.topic, self.tp.partition, batch.size_in_bytes, self.max_message_bytes
                ),
            };
        }
        let last_seq = batch
            .base_sequence
            .wrapping_add(batch.records.len() as i32 - 1);
        if batch.producer_id >= 0 {
            let name = format!("t{}-{}", self.tp.topic, self.tp.partition);
            match self.producer_state.check(
                batch.producer_id,
                batch.producer_epoch,
                batch.base_sequence,
                last_seq,
                base,
                &name,
            ) {
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
            }
            self.producer_state.update(
                batch.producer_id,
                batch.producer_epoch,
                BatchMetadata {
                    first_seq: batch.base_sequence,
                    last_seq,
                    first_offset: base,
                },
            );
        }
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
                origin: (producer, batch.send_indices[i]),
            });
        }
        LeaderAppend::Appended { base_offset: base }
    }

    /// Offsets below the high watermark are committed: with a single replica, all of them.
    pub fn high_watermark(&self) -> u64 {
        self.log.log_end_offset()
    }
}
