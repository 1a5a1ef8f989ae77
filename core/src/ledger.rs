//! The delivery ledger: for every record handed to `send()`, what became of it in the
//! committed logs — the numbers that tell at-most-once, at-least-once and exactly-once
//! apart (issue 4 §6; the seed's §6).

use crate::chunked::{Chunked, Iter};
use crate::config::Acks;
use crate::metadata::TopicPartition;
use crate::metrics::LedgerCounts;
use crate::net::{Node, Payload, TransactionResult};
use crate::producer::Outcome;
use crate::sim::Simulation;
use crate::vec_map::VecMap;

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

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Records handed to `send()`.
    pub records: u64,
    pub acked: u64,
    pub failed: u64,
    pub pending: u64,
    /// Acknowledged, yet in no committed log (an `acks=0` record whose request is still
    /// on the wire is not lost yet).
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

/// Per producer, per send index from the first kept (`sends.start()`), the record's
/// copies in the partitions' logs.
pub fn fates(sim: &Simulation) -> Vec<Vec<RecordFate>> {
    let mut fates: Vec<Vec<RecordFate>> = sim
        .producers()
        .iter()
        .map(|p| vec![RecordFate::default(); p.sends.len() - p.sends.start()])
        .collect();
    let starts: Vec<usize> = sim.producers().iter().map(|p| p.sends.start()).collect();
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
                let (producer, index) = (r.origin().0 as usize, r.origin().1);
                // A record let go (`Simulation::bound_history`) is settled.
                let Some(fate) = (index as usize)
                    .checked_sub(starts[producer])
                    .and_then(|i| fates[producer].get_mut(i))
                else {
                    continue;
                };
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

/// The records of `acks=0` produce requests still on the wire. Kafka completes such a
/// send once its request is written to the socket, so they count as acknowledged; they
/// may yet reach the log, so they are not lost, not yet. None without an `acks=0`
/// producer (most runs): then the network is not looked through.
fn on_the_wire(sim: &Simulation) -> Option<impl Iterator<Item = Key> + '_> {
    if !sim.producers().iter().any(|p| p.config.acks == Acks::None) {
        return None;
    }
    Some(sim.network().in_flight().flat_map(|m| {
        let batches = match (m.from, &m.payload) {
            (Node::Producer(p), Payload::Produce(r)) if r.acks == Acks::None => {
                Some((p, &r.batches))
            }
            _ => None,
        };
        batches.into_iter().flat_map(|(p, batches)| {
            let records = batches.iter().flat_map(|b| &b.records);
            records.map(move |r| (p, r.send_index))
        })
    }))
}

/// Each partition's committed log start offset.
fn committed_log_starts(sim: &Simulation) -> VecMap<TopicPartition, u64> {
    sim.controller()
        .partitions
        .keys()
        .filter_map(|tp| Some((*tp, sim.committed_replica(*tp)?.log.log_start_offset())))
        .collect()
}

impl Ledger {
    /// The ledger as the run keeps it (`LedgerTracker`): reads only what the logs gained
    /// since the last metrics window.
    pub fn tracked(sim: &Simulation) -> Ledger {
        let mut tracker = sim.sampler().tracker().clone();
        tracker.update(sim);
        tracker.ledger(sim)
    }

    /// The ledger counted afresh from every committed log and every send.
    pub fn of(sim: &Simulation) -> Ledger {
        let fates = fates(sim);
        let mut ledger = Ledger::default();
        // An acknowledged offset below its committed log's start was deleted by retention.
        let starts = committed_log_starts(sim);
        let wire: Vec<Key> = on_the_wire(sim).into_iter().flatten().collect();
        for (p, fates) in sim.producers().iter().zip(&fates) {
            for ((i, s), &fate) in p.sends.iter().enumerate().zip(fates) {
                let key = (p.id, (p.sends.start() + i) as u32);
                ledger.records += 1;
                match s.outcome {
                    Outcome::Acked => {
                        ledger.acked += 1;
                        let deleted = s.partition().is_some_and(|partition| {
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
                        } else if fate.copies == 0 && !wire.contains(&key) {
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
    newest: VecMap<u16, u32>,
    /// The data records read, those of them out of send order, and those in aborted
    /// transactions, by offset, from the log start on (below it retention deleted them:
    /// they stay counted).
    copies: Chunked<(u64, Key)>,
    out_of_order: Chunked<(u64, Key)>,
    aborted: Chunked<(u64, Key)>,
    /// Per producer id, its transactional records read since its last marker here.
    open: VecMap<i64, Vec<(u64, Key)>>,
}

/// (producer, send index).
type Key = (u16, u32);

/// What taking back an entry of a scan's list does to its slot, told whether retention
/// deleted the copy.
const UNDO_COPY: fn(&mut Slot, bool) = |s, deleted| {
    s.copies -= 1;
    s.deleted += deleted as u32;
};
const UNDO_OUT_OF_ORDER: fn(&mut Slot, bool) = |s, _| s.out_of_order -= 1;
const UNDO_ABORTED: fn(&mut Slot, bool) = |s, _| s.aborted -= 1;
/// A copy read inside a transaction that was aborted.
const MARK_ABORTED: fn(&mut Slot, bool) = |s, _| s.aborted += 1;

/// One record's standing: its copies in the committed logs, how many of them are out of
/// send order or in aborted transactions, how many retention deleted, how its `send()`
/// ended, and where its partition's committed log ended then.
#[derive(Clone, Copy, Debug)]
struct Slot {
    copies: u32,
    out_of_order: u32,
    aborted: u32,
    deleted: u32,
    outcome: Outcome,
    /// Where its partition's committed log ended when it completed (`settle()`), with
    /// two ends no log reaches standing for "not yet" and "no partition": 8 bytes a
    /// record less than an `Option<Option<_>>` (a long run holds a slot per record).
    settle_tp: TopicPartition,
    settle_end: u64,
}

const NOT_COMPLETED: u64 = u64::MAX;
const NO_PARTITION: u64 = u64::MAX - 1;
/// The partition of a slot with no settle point: never read.
const NOWHERE: TopicPartition = TopicPartition {
    topic: 0,
    partition: 0,
};

impl Slot {
    /// `None` until it completed; then `Some(None)` if it reached no partition.
    fn settle(&self) -> Option<Option<(TopicPartition, u64)>> {
        match self.settle_end {
            NOT_COMPLETED => None,
            NO_PARTITION => Some(None),
            end => Some(Some((self.settle_tp, end))),
        }
    }

    fn set_settle(&mut self, settle: Option<(TopicPartition, u64)>) {
        (self.settle_tp, self.settle_end) = settle.unwrap_or((NOWHERE, NO_PARTITION));
    }
}

impl Default for Slot {
    fn default() -> Self {
        Slot {
            copies: 0,
            out_of_order: 0,
            aborted: 0,
            deleted: 0,
            outcome: Outcome::Pending,
            settle_tp: NOWHERE,
            settle_end: NOT_COMPLETED,
        }
    }
}

/// What one record adds to the ledger's counts (`Ledger::of`'s rules).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    acked: u64,
    failed: u64,
    lost: u64,
    expired: u64,
    duplicated: u64,
    reordered: u64,
    failed_but_written: u64,
    aborted: u64,
}

impl Counts {
    fn of(s: &Slot) -> Counts {
        let acked = s.outcome == Outcome::Acked;
        let failed = s.outcome == Outcome::Failed;
        Counts {
            acked: acked as u64,
            failed: failed as u64,
            lost: (acked && s.copies == 0 && s.deleted == 0) as u64,
            expired: (acked && s.copies == 0 && s.deleted > 0) as u64,
            duplicated: s.copies.saturating_sub(1) as u64,
            reordered: (s.out_of_order > 0) as u64,
            failed_but_written: (failed && s.copies > 0) as u64,
            aborted: (s.copies > 0 && s.aborted == s.copies) as u64,
        }
    }

    fn add(&mut self, o: Counts, sign: i64) {
        let f = |a: &mut u64, b: u64| *a = a.wrapping_add_signed(b as i64 * sign);
        f(&mut self.acked, o.acked);
        f(&mut self.failed, o.failed);
        f(&mut self.lost, o.lost);
        f(&mut self.expired, o.expired);
        f(&mut self.duplicated, o.duplicated);
        f(&mut self.reordered, o.reordered);
        f(&mut self.failed_but_written, o.failed_but_written);
        f(&mut self.aborted, o.aborted);
    }
}

/// Changes a slot by `f`, moving the counts by what it changed. Inline: a slot's first
/// change (`completed`) counts for nothing before it, which then folds away.
#[inline(always)]
fn change_slot(slot: &mut Slot, counts: &mut Counts, f: impl FnOnce(&mut Slot)) {
    let before = Counts::of(slot);
    f(slot);
    counts.add(before, -1);
    counts.add(Counts::of(slot), 1);
}

/// One more copy of a record in a log (`copies += 1`), the counts moved by what a copy
/// changes rather than out and back in: once per record read, the commonest change
/// (checked against `change_slot`'s way in debug builds).
fn add_copy(s: &mut Slot, counts: &mut Counts) {
    #[cfg(debug_assertions)]
    let (mut plain, before) = (*counts, Counts::of(s));
    if s.copies > 0 {
        counts.duplicated += 1;
        let aborted = (s.aborted == s.copies + 1) as u64;
        counts.aborted = (counts.aborted + aborted).wrapping_sub((s.aborted == s.copies) as u64);
    } else {
        match s.outcome {
            Outcome::Acked if s.deleted == 0 => counts.lost = counts.lost.wrapping_sub(1),
            Outcome::Acked => counts.expired = counts.expired.wrapping_sub(1),
            Outcome::Failed => counts.failed_but_written += 1,
            Outcome::Pending => {}
        }
        counts.aborted += (s.aborted == 1) as u64;
    }
    s.copies += 1;
    #[cfg(debug_assertions)]
    {
        plain.add(before, -1);
        plain.add(Counts::of(s), 1);
        debug_assert_eq!(plain, *counts);
    }
}

/// The ledger kept up to date as the run goes, for the charts (every window) and the
/// app (every seek), by `Ledger::of`'s rules: `Ledger::of` reads every committed log each
/// time, this reads only the records appended since it last looked, and a partition's
/// whole log only when another replica's log became the committed one or the log was cut
/// back. A record whose fate can no longer change — its send completed and its
/// partition's log now starts past where it ended then — can be let go
/// (`forget_settled`): its counts stay.
#[derive(Clone, Debug, Default)]
pub struct LedgerTracker {
    /// Per producer, per send index (from the first not let go).
    slots: Vec<Chunked<Slot>>,
    scans: VecMap<TopicPartition, Scan>,
    counts: Counts,
}

impl LedgerTracker {
    pub fn counts(&self, sim: &Simulation) -> LedgerCounts {
        LedgerCounts {
            lost: self.lost(sim),
            duplicated: self.counts.duplicated,
            reordered: self.counts.reordered,
        }
    }

    /// The whole ledger: `records` and `pending` from the producers' sends.
    pub fn ledger(&self, sim: &Simulation) -> Ledger {
        let c = self.counts;
        let records: u64 = sim.producers().iter().map(|p| p.sends.len() as u64).sum();
        Ledger {
            records,
            acked: c.acked,
            failed: c.failed,
            pending: records - c.acked - c.failed,
            lost: self.lost(sim),
            expired: c.expired,
            duplicated: c.duplicated,
            reordered: c.reordered,
            failed_but_written: c.failed_but_written,
            aborted: c.aborted,
        }
    }

    /// The records counted lost, less those only on the wire (`on_the_wire`).
    fn lost(&self, sim: &Simulation) -> u64 {
        let Some(wire) = on_the_wire(sim) else {
            return self.counts.lost;
        };
        let slot = |(p, i): Key| self.slots.get(p as usize)?.get(i as usize);
        let on_the_wire = wire
            .filter_map(slot)
            .filter(|s| s.outcome == Outcome::Acked && s.copies == 0 && s.deleted == 0)
            .count();
        self.counts.lost - on_the_wire as u64
    }

    /// Changes a record's slot, keeping the counts; one let go is left alone.
    fn change(&mut self, (p, i): Key, f: impl FnOnce(&mut Slot)) {
        let (p, i) = (p as usize, i as usize);
        if self.slots.len() <= p {
            self.slots.resize(p + 1, Chunked::new());
        }
        let slots = &mut self.slots[p];
        if i < slots.start() {
            return;
        }
        while slots.len() < i {
            slots.push(Slot::default());
        }
        if slots.len() == i {
            // The record's first change (mostly in send order): its slot is made changed,
            // from a default slot that counts for nothing.
            let mut slot = Slot::default();
            change_slot(&mut slot, &mut self.counts, f);
            slots.push(slot);
            return;
        }
        change_slot(&mut slots[i], &mut self.counts, f);
    }

    /// Producer `p`'s slots from send index `i` (made if missing) to the end of their
    /// chunk; none if it was let go.
    fn slots_from(slots: &mut Vec<Chunked<Slot>>, (p, i): Key) -> &mut [Slot] {
        let (p, i) = (p as usize, i as usize);
        if slots.len() <= p {
            slots.resize(p + 1, Chunked::new());
        }
        let slots = &mut slots[p];
        while slots.len() <= i {
            slots.push(Slot::default());
        }
        slots.chunk_from_mut(i)
    }

    /// A record's `send()` completed with `outcome`, when its partition's committed log
    /// ended at `settle` (none if it reached no partition).
    pub fn completed(&mut self, key: Key, outcome: Outcome, settle: Option<(TopicPartition, u64)>) {
        self.change(key, |s| {
            s.outcome = outcome;
            s.set_settle(settle);
        });
    }

    /// Takes back what a scan of a log that is no longer the committed one counted; its
    /// copies below `from` (the new log's start) retention deleted there.
    fn forget(&mut self, scan: Scan, from: u64) {
        for (list, undo) in [
            (&scan.copies, UNDO_COPY),
            (&scan.out_of_order, UNDO_OUT_OF_ORDER),
            (&scan.aborted, UNDO_ABORTED),
        ] {
            self.change_each(list.iter(), from, undo);
        }
    }

    /// Changes the slot of each entry of one of a scan's lists by `f`, told whether
    /// retention deleted the copy (its offset below `from`). Rare (a log replaced or cut by
    /// retention, a transaction aborted): one function with a plain `fn` serves every
    /// list, out of the hot loop.
    #[inline(never)]
    fn change_each(&mut self, entries: Iter<'_, (u64, Key)>, from: u64, f: fn(&mut Slot, bool)) {
        for &(offset, key) in entries {
            self.change(key, |s| f(s, offset < from));
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
            let Some((broker, records)) = committed else {
                // No committed log: none of its copies count.
                let scan = self.scans.remove(tp).unwrap_or_default();
                self.forget(scan, 0);
                continue;
            };
            // Taken out in place (and put back below), not removed: removing and
            // inserting would move every later partition's scan each time.
            let mut scan = self
                .scans
                .get_mut(tp)
                .map(std::mem::take)
                .unwrap_or_default();
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
            // The slots after the last record's (`next` is the first's key), to the end of
            // their chunk, and its producer's newest index: a log's records mostly follow
            // each other in their producer's send order, so the next record's are found
            // without a lookup.
            let mut next = (0, 0);
            let mut run: &mut [Slot] = &mut [];
            let mut none = 0;
            let mut newest = &mut none;
            // The records of aborted transactions are marked after the walk, which holds
            // the slots.
            let aborted = scan.aborted.len();
            for r in records.iter_from(scan.len) {
                if let Some(result) = r.control {
                    // A marker ends the producer's transaction here.
                    let ended = scan.open.remove(&r.producer_id).unwrap_or_default();
                    if result == TransactionResult::Abort {
                        scan.aborted.extend(ended);
                    }
                    continue;
                }
                let key = r.origin();
                let mut ahead = key.1.wrapping_sub(next.1) as usize;
                if key.0 != next.0 || ahead >= run.len() {
                    run = Self::slots_from(&mut self.slots, key);
                    newest = scan.newest.entry(key.0).or_insert(key.1);
                    ahead = 0;
                }
                next = (key.0, key.1.wrapping_add(1));
                let out_of_order = key.1 < *newest;
                *newest = (*newest).max(key.1);
                if let Some((slot, rest)) = std::mem::take(&mut run)[ahead..].split_first_mut() {
                    add_copy(slot, &mut self.counts);
                    if out_of_order {
                        change_slot(slot, &mut self.counts, |s| s.out_of_order += 1);
                    }
                    run = rest;
                }
                scan.copies.push((r.offset, key));
                if out_of_order {
                    scan.out_of_order.push((r.offset, key));
                }
                if r.transactional && r.producer_id >= 0 {
                    scan.open
                        .entry(r.producer_id)
                        .or_default()
                        .push((r.offset, key));
                }
            }
            if scan.aborted.len() > aborted {
                self.change_each(scan.aborted.iter_from(aborted), 0, MARK_ABORTED);
            }
            // What retention deleted is no longer in the log.
            let start = records.start() as u64;
            for (list, undo) in [
                (&mut scan.copies, UNDO_COPY),
                (&mut scan.out_of_order, UNDO_OUT_OF_ORDER),
                (&mut scan.aborted, UNDO_ABORTED),
            ] {
                let (a, b) = (list.start(), list.partition_point(|(o, _)| *o < start));
                if a < b {
                    self.change_each(list.range(a, b), start, undo);
                    list.forget_before(b);
                }
            }
            scan.len = records.len();
            scan.last = records.last().map(|r| (r.leader_epoch, r.append_ms));
            self.scans.insert(*tp, scan);
        }
    }

    /// Lets go of each producer's oldest records whose fate is settled: completed, and
    /// their partition's committed log starting past where it ended when they completed
    /// (retention deleted every copy they could have). Returns, per producer, the first
    /// send index kept.
    pub fn forget_settled(&mut self, sim: &Simulation) -> Vec<usize> {
        let starts = committed_log_starts(sim);
        let producers = sim.producers();
        if self.slots.len() < producers.len() {
            self.slots.resize(producers.len(), Chunked::new());
        }
        self.slots
            .iter_mut()
            .zip(producers)
            .map(|(slots, p)| {
                let mut i = slots.start().max(p.sends.start());
                while let Some(slot) = slots.get(i) {
                    let settled = match slot.settle() {
                        None => false,
                        Some(None) => true,
                        Some(Some((tp, end))) => starts.get(&tp).is_some_and(|&s| s > end),
                    };
                    if !settled || p.sends[i].outcome == Outcome::Pending {
                        break;
                    }
                    i += 1;
                }
                slots.forget_before(i);
                i
            })
            .collect()
    }
}
