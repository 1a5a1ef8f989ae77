//! The delivery ledger: for every record handed to `send()`, what became of it in the
//! committed logs — the numbers that tell at-most-once, at-least-once and exactly-once
//! apart (issue 4 §6; the seed's §6).

use crate::chunked::Chunked;
use crate::metadata::TopicPartition;
use crate::metrics::LedgerCounts;
use crate::producer::{KafkaProducer, Outcome};
use crate::sim::Simulation;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one record's copies in the log say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordFate {
    /// Copies of the record in the partition's log (the current leader's).
    pub copies: u32,
    /// Some copy comes after a copy of a record its producer sent later to the same
    /// partition: a reader applying the log in order applies them out of order.
    pub reordered: bool,
    /// Copies inside transactions that were aborted: in the log, never read committed.
    pub aborted_copies: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// Records handed to `send()`.
    pub records: u64,
    pub acked: u64,
    pub failed: u64,
    pub pending: u64,
    /// Acknowledged, yet in no committed log.
    pub lost: u64,
    /// Acknowledged, and deleted since by retention (below the log start offset): gone
    /// as Kafka meant, not lost. The other counts are over what the logs still hold.
    pub expired: u64,
    /// Extra copies in the logs, beyond the first of each record.
    pub duplicated: u64,
    /// Records with a copy out of send order.
    pub reordered: u64,
    /// Failed to the application, yet written: the callback's error is not the whole story.
    pub failed_but_written: u64,
    /// Written only inside aborted transactions: read_committed consumers never see them.
    pub aborted: u64,
}

/// Per producer, per send index, the record's copies in the partitions' logs.
pub fn fates(sim: &Simulation) -> Vec<Vec<RecordFate>> {
    let mut fates: Vec<Vec<RecordFate>> = sim
        .producers()
        .iter()
        .map(|p| vec![RecordFate::default(); p.sends.len()])
        .collect();
    // The partition's log is the one its current leader (as the controller has it) holds;
    // followers hold copies of it, and a deposed or isolated leader's tail is not in it.
    // Its whole log counts: a record past the high watermark there is not lost — a leader
    // elected from the ISR has every committed record, its high watermark catching up
    // (or frozen under min.insync.replicas) — and it is the records a leader did not get
    // that are gone.
    for (tp, _) in sim.controller().partitions.iter() {
        if let Some(partition) = sim.committed_replica(*tp) {
            // Per producer, the highest send index seen so far in this log.
            let mut newest: Vec<Option<u32>> = vec![None; fates.len()];
            // A control record (a transaction marker) came from no `send()`.
            for r in partition
                .log
                .records()
                .iter()
                .filter(|r| r.control.is_none())
            {
                let (producer, index) = (r.origin.0 as usize, r.origin.1);
                let fate = &mut fates[producer][index as usize];
                fate.copies += 1;
                if r.transactional && partition.producer_state.is_aborted(r.producer_id, r.offset) {
                    fate.aborted_copies += 1;
                }
                let seen = newest[producer].get_or_insert(index);
                if index < *seen {
                    fate.reordered = true;
                }
                *seen = (*seen).max(index);
            }
        }
    }
    fates
}

impl Ledger {
    pub fn of(sim: &Simulation) -> Ledger {
        let fates = fates(sim);
        let mut ledger = Ledger::default();
        // Each partition's committed log start: an acknowledged offset below it was
        // deleted by retention.
        let starts: BTreeMap<TopicPartition, u64> = sim
            .controller()
            .partitions
            .keys()
            .filter_map(|tp| Some((*tp, sim.committed_replica(*tp)?.log.log_start_offset())))
            .collect();
        for (p, fates) in sim.producers().iter().zip(&fates) {
            for (s, &fate) in p.sends.iter().zip(fates) {
                ledger.records += 1;
                match s.outcome {
                    Outcome::Acked => {
                        ledger.acked += 1;
                        let deleted = s.partition.is_some_and(|partition| {
                            let tp = TopicPartition {
                                topic: s.topic,
                                partition,
                            };
                            starts
                                .get(&tp)
                                .is_some_and(|&start| (s.offset as u64) < start)
                        });
                        if fate.copies == 0 && deleted {
                            ledger.expired += 1;
                        } else if fate.copies == 0 {
                            ledger.lost += 1;
                        }
                    }
                    Outcome::Failed => {
                        ledger.failed += 1;
                        if fate.copies > 0 {
                            ledger.failed_but_written += 1;
                        }
                    }
                    Outcome::Pending => ledger.pending += 1,
                }
                if fate.copies > 0 && fate.aborted_copies == fate.copies {
                    ledger.aborted += 1;
                }
                ledger.duplicated += fate.copies.saturating_sub(1) as u64;
                ledger.reordered += fate.reordered as u64;
            }
        }
        ledger
    }
}

/// What has been read of one partition's committed log.
#[derive(Clone, Debug, Default)]
struct Scan {
    /// Whose log it was, how far it was read, and the last record read (its leader epoch
    /// and append time): a log that still has that record at that offset is the same log
    /// grown (leader epochs guarantee the records before it agree), else it is read again.
    broker: u32,
    len: usize,
    last: Option<(u32, u64)>,
    /// Per producer, the highest send index seen in this log so far.
    newest: BTreeMap<u16, u32>,
    /// The data records read, and those of them out of send order, by offset, from the
    /// log start on (below it retention deleted them: they stay counted).
    copies: Chunked<(u64, (u16, u32))>,
    out_of_order: Chunked<(u64, (u16, u32))>,
}

/// The ledger's lost, duplicated and reordered counts, kept up to date as the run goes
/// (the charts read them every window): `Ledger::of` reads every committed log each time,
/// this reads only the records appended since it last looked, and a partition's whole
/// log only when another replica's log became the committed one or the log was cut back.
#[derive(Clone, Debug, Default)]
pub struct LedgerTracker {
    /// Per producer, per send index: copies in the committed logs, copies out of order,
    /// and whether the record was acknowledged.
    copies: Vec<Chunked<u32>>,
    out_of_order: Vec<Chunked<u32>>,
    acked: Vec<Chunked<bool>>,
    scans: BTreeMap<TopicPartition, Scan>,
    counts: LedgerCounts,
}

fn slot<T: Default + Clone>(v: &mut Vec<Chunked<T>>, (p, i): (u16, u32)) -> &mut T {
    let (p, i) = (p as usize, i as usize);
    if v.len() <= p {
        v.resize(p + 1, Chunked::new());
    }
    while v[p].len() <= i {
        v[p].push(T::default());
    }
    &mut v[p][i]
}

impl LedgerTracker {
    pub fn counts(&self) -> LedgerCounts {
        self.counts
    }

    /// A record's `send()` completed.
    pub fn completed(&mut self, producers: &[KafkaProducer], key: (u16, u32)) {
        let acked = producers[key.0 as usize].sends[key.1 as usize].outcome == Outcome::Acked;
        if acked
            && !std::mem::replace(slot(&mut self.acked, key), true)
            && *slot(&mut self.copies, key) == 0
        {
            self.counts.lost += 1;
        }
    }

    fn add_copy(&mut self, key: (u16, u32), delta: i32) {
        let acked = *slot(&mut self.acked, key);
        let copies = slot(&mut self.copies, key);
        let before = *copies;
        *copies = before.saturating_add_signed(delta);
        let after = *copies;
        let c = &mut self.counts;
        c.duplicated =
            c.duplicated + after.saturating_sub(1) as u64 - before.saturating_sub(1) as u64;
        if acked && (before == 0) != (after == 0) {
            if after == 0 {
                c.lost += 1;
            } else {
                c.lost -= 1;
            }
        }
    }

    fn add_out_of_order(&mut self, key: (u16, u32), delta: i32) {
        let n = slot(&mut self.out_of_order, key);
        let before = *n;
        *n = before.saturating_add_signed(delta);
        if (before == 0) != (*n == 0) {
            if *n == 0 {
                self.counts.reordered -= 1;
            } else {
                self.counts.reordered += 1;
            }
        }
    }

    /// Takes back what a scan of a log that is no longer the committed one counted from
    /// offset `from` (the new log's start: retention deleted what is below it there).
    fn forget(&mut self, scan: Scan, from: u64) {
        let i = scan.copies.partition_point(|(o, _)| *o < from);
        for &(_, key) in scan.copies.iter_from(i) {
            self.add_copy(key, -1);
        }
        let i = scan.out_of_order.partition_point(|(o, _)| *o < from);
        for &(_, key) in scan.out_of_order.iter_from(i) {
            self.add_out_of_order(key, -1);
        }
    }

    /// Reads what changed in the committed logs since the last call.
    pub fn update(&mut self, sim: &Simulation) {
        for (tp, reg) in sim.controller().partitions.iter() {
            // The same replica as `Simulation::committed_replica` picks.
            let committed = reg.leader.or(reg.isr.first().copied()).and_then(|b| {
                let partition = sim.brokers()[b as usize].partitions.get(tp)?;
                Some((b, partition.log.records()))
            });
            let mut scan = self.scans.remove(tp).unwrap_or_default();
            let Some((broker, records)) = committed else {
                // No committed log: none of its copies count.
                self.forget(scan, 0);
                continue;
            };
            // Retention only deletes from the front: a last record read that is gone
            // from the same replica's grown log went that way.
            let last = scan.len.checked_sub(1);
            let same = scan.broker == broker
                && records.len() >= scan.len
                && (last.is_some_and(|i| i < records.start())
                    || scan.last
                        == last
                            .and_then(|i| records.get(i))
                            .map(|r| (r.leader_epoch, r.append_ms)));
            if !same {
                self.forget(scan, records.start() as u64);
                scan = Scan {
                    broker,
                    ..Scan::default()
                };
            }
            for r in records.iter_from(scan.len) {
                if r.control.is_some() {
                    continue;
                }
                let key = r.origin;
                self.add_copy(key, 1);
                scan.copies.push((r.offset, key));
                let newest = scan.newest.entry(key.0).or_insert(key.1);
                if key.1 < *newest {
                    self.add_out_of_order(key, 1);
                    scan.out_of_order.push((r.offset, key));
                }
                *newest = (*newest).max(key.1);
            }
            // What retention deleted stays counted, and need not be kept.
            let start = records.start() as u64;
            let i = scan.copies.partition_point(|(o, _)| *o < start);
            scan.copies.forget_before(i);
            let i = scan.out_of_order.partition_point(|(o, _)| *o < start);
            scan.out_of_order.forget_before(i);
            scan.len = records.len();
            scan.last = records.last().map(|r| (r.leader_epoch, r.append_ms));
            self.scans.insert(*tp, scan);
        }
    }
}
