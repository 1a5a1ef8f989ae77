//! The delivery ledger: for every record handed to `send()`, what became of it in the
//! committed logs — the numbers that tell at-most-once, at-least-once and exactly-once
//! apart (issue 4 §6; the seed's §6).

use crate::producer::Outcome;
use crate::sim::Simulation;
use serde::Serialize;

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
        for (p, fates) in sim.producers().iter().zip(&fates) {
            for (s, &fate) in p.sends.iter().zip(fates) {
                ledger.records += 1;
                match s.outcome {
                    Outcome::Acked => {
                        ledger.acked += 1;
                        if fate.copies == 0 {
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
