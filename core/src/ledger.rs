//! The delivery ledger: for every record handed to `send()`, what became of it in the
//! committed logs — the numbers that tell at-most-once, at-least-once and exactly-once
//! apart (issue 4 §6; the seed's §6).

use crate::producer::Outcome;
use crate::sim::Simulation;
use serde::Serialize;

/// What one record's copies in the log say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordFate {
    /// Copies of the record below the leader's high watermark.
    pub copies: u32,
    /// Some copy comes after a copy of a record its producer sent later to the same
    /// partition: a reader applying the log in order applies them out of order.
    pub reordered: bool,
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
}

/// Per producer, per send index, the record's copies in the committed logs.
pub fn fates(sim: &Simulation) -> Vec<Vec<RecordFate>> {
    let mut fates: Vec<Vec<RecordFate>> = sim
        .producers()
        .iter()
        .map(|p| vec![RecordFate::default(); p.sends.len()])
        .collect();
    for broker in sim.brokers() {
        // The partition's log is its leader's; followers hold copies of the same records.
        for partition in broker.partitions.values().filter(|p| p.is_leader()) {
            let hw = partition.high_watermark();
            // Per producer, the highest send index seen so far in this log.
            let mut newest: Vec<Option<u32>> = vec![None; fates.len()];
            for r in partition.log.records().iter().take(hw as usize) {
                let (producer, index) = (r.origin.0 as usize, r.origin.1);
                let fate = &mut fates[producer][index as usize];
                fate.copies += 1;
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
                ledger.duplicated += fate.copies.saturating_sub(1) as u64;
                ledger.reordered += fate.reordered as u64;
            }
        }
        ledger
    }
}
