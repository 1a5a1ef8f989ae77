//! The run's metrics as time series, sampled the way Kafka's metrics library samples
//! (`org.apache.kafka.common.metrics`): a sensor records values into samples of
//! `metrics.sample.window.ms`, and a metric is measured over the last
//! `metrics.num.samples` of them — `Rate` as their sum over the time they span, `Avg` as
//! their sum over their count, `Max` as the largest value (`Avg`/`Max` are NaN with
//! nothing recorded: `None` here).
//!
//! Two differences, both so that every chart shares one time axis: Kafka starts a sample
//! at the first value recorded after the previous one ran out, here samples are aligned
//! to multiples of the window; and Kafka's defaults (2 samples of 30 s) are made 10 of
//! 100 ms, so a one-minute run shows a one-second sliding rate that moves every 100 ms.
//! Gauges (ISR sizes, `UnderReplicatedPartitions`, the delivery ledger) are read as each
//! window closes, as a scraper reading the JMX beans every window would.

use crate::ledger::LedgerTracker;
use crate::metadata::TopicPartition;
use crate::producer::Outcome;
use crate::sim::Simulation;
use std::collections::VecDeque;

/// `metrics.sample.window.ms` and `metrics.num.samples`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricConfig {
    pub sample_window_ms: u64,
    pub num_samples: u64,
}

pub const METRIC_CONFIG: MetricConfig = MetricConfig {
    sample_window_ms: 100,
    num_samples: 10,
};

/// Windows kept per series: two minutes at 100 ms. A longer run keeps its latest ones,
/// so memory stays bounded however long it runs.
pub const MAX_WINDOWS: usize = 1200;

/// One window's values (`SampledStat.Sample`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    pub sum: f64,
    pub count: u64,
    pub max: f64,
}

/// A sensor's samples, window `first + i` at `samples[i]`; window k spans
/// `[k × window, (k + 1) × window)` of virtual time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampledStat {
    first: u64,
    samples: VecDeque<Sample>,
}

impl SampledStat {
    /// `Sensor.record(value, now)`.
    pub fn record(&mut self, value: f64, now: u64) {
        let k = now / METRIC_CONFIG.sample_window_ms;
        if self.samples.is_empty() || k >= self.first + MAX_WINDOWS as u64 * 2 {
            // Nothing recorded yet, or only samples far too old to keep.
            self.samples.clear();
            self.first = k;
        }
        while self.first + (self.samples.len() as u64) <= k {
            self.samples.push_back(Sample::default());
        }
        while self.samples.len() > MAX_WINDOWS {
            self.samples.pop_front();
            self.first += 1;
        }
        let Some(s) = k
            .checked_sub(self.first)
            .and_then(|i| self.samples.get_mut(i as usize))
        else {
            return; // older than anything kept: time never runs backwards in a run
        };
        s.max = if s.count == 0 {
            value
        } else {
            s.max.max(value)
        };
        s.sum += value;
        s.count += 1;
    }

    /// The samples a measure at the end of window `k` combines: the last
    /// `metrics.num.samples` windows up to `k`.
    fn window(&self, k: u64) -> impl Iterator<Item = &Sample> {
        let from = (k + 1).saturating_sub(METRIC_CONFIG.num_samples);
        (from..=k).filter_map(move |j| {
            j.checked_sub(self.first)
                .and_then(|i| self.samples.get(i as usize))
        })
    }

    /// `Rate` (per second) at the end of window `k`: the samples' sum over the time they
    /// span, which in the first windows of a run is padded to `num.samples − 1` windows
    /// (`Rate.windowSize`), so a rate does not start out inflated.
    pub fn rate(&self, k: u64) -> f64 {
        let MetricConfig {
            sample_window_ms: w,
            num_samples: n,
        } = METRIC_CONFIG;
        let windows = (k + 1).min(n).max(n - 1).max(1);
        // A fold from +0.0: `Sum` of no f64s is −0.0, which would print as "-0".
        let sum = self.window(k).fold(0.0, |a, s| a + s.sum);
        sum * 1000.0 / (windows * w) as f64
    }

    /// `Avg` at the end of window `k`; `None` (Kafka's NaN) if nothing was recorded.
    pub fn avg(&self, k: u64) -> Option<f64> {
        let (sum, count) = self
            .window(k)
            .fold((0.0, 0), |(s, c), x| (s + x.sum, c + x.count));
        (count > 0).then(|| sum / count as f64)
    }

    /// `Max` at the end of window `k`; `None` if nothing was recorded.
    pub fn max(&self, k: u64) -> Option<f64> {
        self.window(k)
            .filter(|s| s.count > 0)
            .map(|s| s.max)
            .reduce(f64::max)
    }
}

/// A gauge read as each window closes: window `first + i` at `values[i]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GaugeSeries<T> {
    first: u64,
    values: VecDeque<T>,
}

impl<T: Clone> GaugeSeries<T> {
    fn push(&mut self, k: u64, value: T) {
        if self.values.is_empty() {
            self.first = k;
        }
        self.values.push_back(value);
        if self.values.len() > MAX_WINDOWS {
            self.values.pop_front();
            self.first += 1;
        }
    }

    /// The value read at the end of window `k`, if kept.
    pub fn at(&self, k: u64) -> Option<&T> {
        k.checked_sub(self.first)
            .and_then(|i| self.values.get(i as usize))
    }
}

/// The delivery ledger's counts at a window's end (see [`crate::ledger::Ledger`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerCounts {
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

/// The cluster's gauges, read as each window closes, and which windows have closed.
#[derive(Clone, Debug, Default)]
pub struct Sampler {
    /// Windows closed so far: 0..closed.
    closed: u64,
    /// The partitions whose `InSyncReplicasCount` is kept, in the controller's order.
    partitions: Vec<TopicPartition>,
    /// Per window, per partition: the leader's `InSyncReplicasCount` (0 with no live leader).
    pub in_sync_replicas: GaugeSeries<Vec<u8>>,
    /// `UnderReplicatedPartitions`, summed over the live brokers.
    pub under_replicated: GaugeSeries<u32>,
    pub ledger: GaugeSeries<LedgerCounts>,
    tracker: LedgerTracker,
}

impl Sampler {
    /// Windows closed so far.
    pub fn closed(&self) -> u64 {
        self.closed
    }

    /// The first closed window still kept.
    pub fn first_kept(&self) -> u64 {
        self.closed.saturating_sub(MAX_WINDOWS as u64)
    }

    /// When the open window ends: events from then on belong to the next one.
    pub fn next_close(&self) -> u64 {
        (self.closed + 1) * METRIC_CONFIG.sample_window_ms
    }

    pub fn partitions(&self) -> &[TopicPartition] {
        &self.partitions
    }

    /// The ledger reads the committed logs now (before retention deletes from them).
    pub(crate) fn read_logs(&mut self, sim: &Simulation) {
        self.tracker.update(sim);
    }

    /// A record's `send()` completed: the ledger learns whether it was acknowledged, and
    /// where its partition's committed log ended (`settle`).
    pub(crate) fn completed(
        &mut self,
        key: (u16, u32),
        outcome: Outcome,
        settle: Option<(TopicPartition, u64)>,
    ) {
        self.tracker.completed(key, outcome, settle);
    }

    /// The ledger's tracker, as of its last read of the logs.
    pub fn tracker(&self) -> &LedgerTracker {
        &self.tracker
    }

    /// Lets go of the records whose fate is settled (`LedgerTracker::forget_settled`).
    pub(crate) fn forget_settled(&mut self, sim: &Simulation) -> Vec<usize> {
        self.tracker.update(sim);
        self.tracker.forget_settled(sim)
    }

    /// Reads the gauges as the open window closes: every event before its end is in,
    /// none after it.
    pub(crate) fn close(&mut self, sim: &Simulation) {
        let k = self.closed;
        let controller = sim.controller();
        if self.partitions.len() != controller.partitions.len() {
            self.partitions = controller.partitions.keys().copied().collect();
        }
        let live = |b: u32| !sim.broker_down(b).0;
        let isr = controller
            .partitions
            .iter()
            .map(|(tp, reg)| {
                reg.leader
                    .filter(|&l| live(l))
                    .and_then(|l| sim.brokers()[l as usize].partitions.get(tp))
                    .map_or(0, |p| p.isr.len() as u8)
            })
            .collect();
        self.in_sync_replicas.push(k, isr);
        let urp = sim
            .brokers()
            .iter()
            .filter(|b| live(b.id))
            .flat_map(|b| b.partitions.values())
            .filter(|p| p.is_leader() && p.isr.len() < p.replicas.len())
            .count() as u32;
        self.under_replicated.push(k, urp);
        self.tracker.update(sim);
        self.ledger.push(k, self.tracker.counts(sim));
        self.closed += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_avg_and_max_over_the_last_samples() {
        let mut s = SampledStat::default();
        // Window 0 (0–99 ms): 2 and 4; window 1: nothing; window 2: 6.
        s.record(2.0, 10);
        s.record(4.0, 99);
        s.record(6.0, 250);
        // At the end of window 0 the rate spans the padded 9 windows (900 ms).
        assert!((s.rate(0) - 6.0 / 0.9).abs() < 1e-9);
        assert!((s.rate(2) - 12.0 / 0.9).abs() < 1e-9);
        assert_eq!(s.avg(0), Some(3.0));
        assert_eq!(s.avg(2), Some(4.0));
        assert_eq!(s.max(1), Some(4.0));
        assert_eq!(s.max(2), Some(6.0));
        // Ten windows later window 0 has left the measure; window 2 is the only one left.
        assert_eq!(s.avg(11), Some(6.0));
        assert!((s.rate(11) - 6.0).abs() < 1e-9, "6 over 10 windows = 1 s");
        assert_eq!(
            s.avg(12),
            None,
            "nothing recorded in windows 3–12: Kafka's NaN"
        );
        assert_eq!(s.max(12), None);
        assert!(s.rate(12) == 0.0 && s.rate(12).is_sign_positive());
    }

    #[test]
    fn memory_stays_bounded() {
        let mut s = SampledStat::default();
        for t in (0..10 * MAX_WINDOWS as u64 * 100).step_by(50) {
            s.record(1.0, t);
        }
        assert_eq!(s.samples.len(), MAX_WINDOWS);
        let last = 10 * MAX_WINDOWS as u64 - 1;
        assert_eq!(s.avg(last), Some(1.0));
        assert!((s.rate(last) - 20.0).abs() < 1e-9, "two per 100 ms");
        assert_eq!(s.avg(0), None, "long gone");
    }
}
