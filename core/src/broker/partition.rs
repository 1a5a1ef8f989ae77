//! `Partition`: one replica of a topic partition on a broker. The leader appends produced
//! batches, tracks each follower's fetch position, keeps the ISR and advances the high
//! watermark (`broker.md` §2–§5); a follower appends what it fetched and takes the
//! leader's high watermark.

use super::log::{Log, LogRecord};
use super::producer_state::{BatchMetadata, ProducerStateManager, SequenceCheck};
use crate::config::TopicConfig;
use crate::errors::Errors;
use crate::metadata::TopicPartition;
use crate::net::WireBatch;
use crate::version::KafkaVersion;
use std::collections::BTreeMap;

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
    /// The offset of its latest fetch.
    pub log_end_offset: u64,
    pub last_caught_up_ms: u64,
    /// The leader's LEO at the follower's previous fetch, and when that was.
    last_fetch_leader_leo: u64,
    last_fetch_ms: u64,
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
    /// The in-sync replicas, as the leader has them (committed: no controller round trip).
    pub isr: Vec<u32>,
    high_watermark: u64,
    /// Leader only: every other assigned replica's fetch state.
    pub followers: BTreeMap<u32, FollowerState>,
    /// The topic's `max.message.bytes` and `min.insync.replicas`.
    pub max_message_bytes: u32,
    pub min_insync_replicas: u32,
    pub log: Log,
    pub producer_state: ProducerStateManager,
}

impl Partition {
    /// A replica at topic creation: ISR = all assigned replicas, leader the first
    /// (`ReplicationControlManager.createTopic`).
    pub fn new(
        tp: TopicPartition,
        broker: u32,
        replicas: Vec<u32>,
        leader_epoch: u32,
        config: &TopicConfig,
    ) -> Self {
        let leader = replicas.first().copied();
        let followers = if leader == Some(broker) {
            replicas[1..]
                .iter()
                .map(|&f| {
                    let state = FollowerState {
                        log_end_offset: 0,
                        last_caught_up_ms: 0,
                        last_fetch_leader_leo: 0,
                        last_fetch_ms: 0,
                    };
                    (f, state)
                })
                .collect()
        } else {
            BTreeMap::new()
        };
        Partition {
            tp,
            broker,
            isr: replicas.clone(),
            replicas,
            leader,
            leader_epoch,
            high_watermark: 0,
            followers,
            max_message_bytes: config.max_message_bytes,
            min_insync_replicas: config.min_insync_replicas,
            log: Log::default(),
            producer_state: ProducerStateManager::default(),
        }
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

    fn caught_up(&self, f: &FollowerState, now: u64, lag_ms: u64) -> bool {
        f.log_end_offset == self.log.log_end_offset()
            || now.saturating_sub(f.last_caught_up_ms) <= lag_ms
    }

    /// `maybeIncrementLeaderHW`: the smallest LEO over the leader, the ISR and followers
    /// that are caught up; it only grows, and from 3.7 stands still while the ISR is under
    /// the effective min ISR. Returns whether it moved.
    pub fn maybe_increment_high_watermark(
        &mut self,
        now: u64,
        lag_ms: u64,
        version: KafkaVersion,
    ) -> bool {
        if version.at_least(3, 7) && self.not_enough_replicas(version) {
            return false;
        }
        let mut candidate = self.log.log_end_offset();
        for (id, f) in &self.followers {
            if f.log_end_offset < candidate
                && (self.isr.contains(id) || self.caught_up(f, now, lag_ms))
            {
                candidate = f.log_end_offset;
            }
        }
        if candidate > self.high_watermark {
            self.high_watermark = candidate;
            true
        } else {
            false
        }
    }

    /// `updateFollowerFetchState` and `maybeExpandIsr` for a follower's fetch at
    /// `fetch_offset`. Returns whether the follower joined the ISR.
    pub fn update_follower_fetch_state(
        &mut self,
        follower: u32,
        fetch_offset: u64,
        now: u64,
    ) -> bool {
        let leader_leo = self.log.log_end_offset();
        let Some(f) = self.followers.get_mut(&follower) else {
            return false;
        };
        if fetch_offset >= leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(now);
        } else if fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(f.last_fetch_ms);
        }
        f.log_end_offset = fetch_offset;
        f.last_fetch_leader_leo = leader_leo.max(f.last_fetch_leader_leo);
        f.last_fetch_ms = now;
        // isFollowerInSync: caught up to the high watermark (the epoch start offset is 0
        // until leaders change).
        if !self.isr.contains(&follower) && fetch_offset >= self.high_watermark {
            self.isr.push(follower);
            let order = self.replicas.clone();
            self.isr.sort_by_key(|b| order.iter().position(|r| r == b));
            return true;
        }
        false
    }

    /// `maybeShrinkIsr`: followers behind the leader's LEO and not caught up for more
    /// than `replica.lag.time.max.ms` leave the ISR. Returns those removed.
    pub fn maybe_shrink_isr(&mut self, now: u64, lag_ms: u64) -> Vec<u32> {
        let leader_leo = self.log.log_end_offset();
        let out: Vec<u32> = self
            .followers
            .iter()
            .filter(|(id, f)| {
                self.isr.contains(id)
                    && f.log_end_offset != leader_leo
                    && now.saturating_sub(f.last_caught_up_ms) > lag_ms
            })
            .map(|(&id, _)| id)
            .collect();
        self.isr.retain(|b| !out.contains(b));
        out
    }

    /// The records from `offset` to the log end (what a follower's fetch returns).
    pub fn read_from(&self, offset: u64) -> &[LogRecord] {
        let records = self.log.records();
        &records[(offset as usize).min(records.len())..]
    }

    /// A follower appends what it fetched and takes the leader's high watermark, capped at
    /// its own log end (`ReplicaFetcherThread.processPartitionData`).
    pub fn append_as_follower(&mut self, records: &[LogRecord], leader_hw: u64, now: u64) {
        for r in records {
            if r.offset == self.log.log_end_offset() {
                self.log.append(LogRecord {
                    append_ms: now,
                    ..r.clone()
                });
            }
        }
        self.high_watermark = leader_hw.min(self.log.log_end_offset());
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

    /// Offsets below the high watermark are committed.
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }
}
