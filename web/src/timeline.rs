//! Snapshots of the run on screen, taken as it goes, so that a seek back or a step back
//! replays from the nearest one instead of from t = 0 (issue 8: any moment of a 5-minute
//! scenario within 100 ms). A simulation keeps what it accumulates in shared chunks, so a
//! snapshot costs a few hundred KB whatever the moment — until the run lets history go
//! (retention, the consumers' windows): what a snapshot holds that no later one does is then
//! its own, and the snapshots are thinned to keep that bounded too.

use kafka_lab::Simulation;

/// Snapshots kept at most: past it every other one goes and the spacing doubles, so
/// memory stays bounded and a replay stays within 1/64 of the run so far.
const MAX_SNAPSHOTS: usize = 128;
/// Events between snapshots at first: about 10 ms of replay in wasm.
const FIRST_SPACING: u64 = 10_000;
/// Sends, log entries and consumed records the snapshots may hold that no later snapshot
/// shares (roughly 150 bytes each with 100-byte values: ~75 MB).
const MAX_OWN_ITEMS: usize = 500_000;
/// Events between two asks whether a replay should stop (a read of the page's clock, a
/// call into JS): a few tenths of a ms of replay, where a millisecond of a busy run is
/// only a few events.
const ASK_EVERY: u64 = 256;

pub struct Timeline {
    /// Ascending by steps; the first is the run at t = 0.
    snapshots: Vec<Simulation>,
    /// Each snapshot's `Simulation::history`.
    held: Vec<Vec<(usize, usize)>>,
    max_own_items: usize,
    spacing: u64,
    /// The run furthest ahead, going on to the end in idle time (`fill`), so that a seek
    /// forward to a moment not yet played also starts from a snapshot near it.
    scout: Option<Simulation>,
    filled: bool,
}

impl Timeline {
    pub fn new(start: &Simulation) -> Timeline {
        Timeline {
            snapshots: vec![start.clone()],
            held: vec![start.history()],
            max_own_items: MAX_OWN_ITEMS,
            spacing: FIRST_SPACING,
            scout: None,
            filled: false,
        }
    }

    /// Every simulation held (snapshots and the scout), to free one at a time.
    pub fn into_simulations(self) -> Vec<Simulation> {
        let mut sims = self.snapshots;
        sims.extend(self.scout);
        sims
    }

    /// The snapshots reach the end of the run.
    pub fn filled(&self) -> bool {
        self.filled
    }

    /// Runs the scout on towards the end of the run as a seek runs (`run_until_or`: the
    /// clock asked once per `ASK_EVERY` events; asked every millisecond, its reads were 6 %
    /// of a fill), until `stop()`; true while the end is still ahead.
    pub fn fill(&mut self, stop: impl FnMut() -> bool) -> bool {
        if self.filled {
            return false;
        }
        let mut scout = match self.scout.take() {
            Some(scout) => scout,
            None => self.snapshots[self.snapshots.len() - 1].clone(),
        };
        let end = scout.until_ms();
        if !self.run_until_or(&mut scout, end, stop) {
            self.scout = Some(scout);
            return true;
        }
        self.filled = true;
        false
    }

    /// Keeps a snapshot of `sim` if it is `spacing` events past the last one. A scout
    /// `sim` has caught up with is let go: everything it holds past the snapshot it
    /// started from is a second copy of what `sim` holds (the fill starts again from
    /// `sim`'s latest snapshot, which shares it).
    pub fn note(&mut self, sim: &Simulation) {
        if self
            .scout
            .as_ref()
            .is_some_and(|s| s.steps() <= sim.steps())
        {
            self.scout = None;
        }
        let last = self.snapshots.last().map_or(0, Simulation::steps);
        if sim.steps() < last + self.spacing {
            return;
        }
        self.snapshots.push(sim.clone());
        self.held.push(sim.history());
        while self.snapshots.len() > 2
            && (self.snapshots.len() > MAX_SNAPSHOTS || self.own_items() > self.max_own_items)
        {
            // Every other one goes (the first, t = 0, stays).
            let mut i = 0;
            self.snapshots.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            let mut i = 0;
            self.held.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.spacing *= 2;
        }
    }

    /// What the snapshots hold that no later one shares: of each sequence, the part of a
    /// snapshot's span before where the next snapshot's span starts.
    fn own_items(&self) -> usize {
        self.held
            .windows(2)
            .map(|w| {
                w[0].iter()
                    .zip(&w[1])
                    .map(|(&(start, end), &(next, _))| end.min(next).saturating_sub(start))
                    .sum::<usize>()
            })
            .sum()
    }

    /// Runs `sim` through every event due by `t`, keeping snapshots on the way.
    pub fn run_until(&mut self, sim: &mut Simulation, t: u64) {
        self.run_until_or(sim, t, || false);
    }

    /// `run_until`, unless `stop()` says so first (asked after a millisecond of events
    /// once `ASK_EVERY` events have gone by since it was last asked); true when `sim` got
    /// to `t`.
    pub fn run_until_or(
        &mut self,
        sim: &mut Simulation,
        t: u64,
        mut stop: impl FnMut() -> bool,
    ) -> bool {
        let mut asked = sim.steps();
        // A whole millisecond at a time, as a playing run goes: the same states.
        while let Some(at) = sim.next_event_at().filter(|&at| at <= t) {
            sim.run_until(at);
            self.note(sim);
            if sim.steps() >= asked + ASK_EVERY {
                asked = sim.steps();
                if stop() {
                    return false;
                }
            }
        }
        sim.run_until(t);
        true
    }

    /// Runs `sim` on to its first `steps` events, unless `stop()` says so first (asked
    /// every 1,024 events); true when `sim` got there (or the run ended first).
    pub fn step_until_or(
        &mut self,
        sim: &mut Simulation,
        steps: u64,
        mut stop: impl FnMut() -> bool,
    ) -> bool {
        while sim.steps() < steps && sim.step() {
            self.note(sim);
            if sim.steps() % 1024 == 0 && stop() {
                return false;
            }
        }
        true
    }

    /// Moves `sim` to the moment `t`: on by running it when it is at most a snapshot
    /// short of `t`, else from the latest snapshot not after `t`.
    pub fn seek(&mut self, sim: &mut Simulation, t: u64) {
        self.start_seek(sim, t);
        self.run_until(sim, t);
    }

    /// Where a seek to `t` runs from: `sim` itself when it is at most a snapshot short of
    /// `t`, else the latest snapshot not after `t`, or the idle fill's scout when it is
    /// further on (up to a snapshot's spacing past the latest: a seek ahead of the fill
    /// then replays that much less).
    pub fn start_seek(&self, sim: &mut Simulation, t: u64) {
        let i = self.snapshots.partition_point(|s| s.now() <= t).max(1) - 1;
        let from = match &self.scout {
            Some(scout) if scout.now() <= t && scout.steps() > self.snapshots[i].steps() => scout,
            _ => &self.snapshots[i],
        };
        if t < sim.now() || from.steps() > sim.steps() {
            *sim = from.clone();
        }
    }

    #[cfg(test)]
    fn at_time(&mut self, t: u64) -> Simulation {
        let mut sim = self.snapshots[0].clone();
        self.seek(&mut sim, t);
        sim
    }

    /// The run after its first `steps` events: from the latest snapshot not past them.
    pub fn at_steps(&mut self, steps: u64) -> Simulation {
        let mut sim = self.before_steps(steps).clone();
        self.step_until_or(&mut sim, steps, || false);
        sim
    }

    fn before_steps(&self, steps: u64) -> &Simulation {
        let i = self
            .snapshots
            .partition_point(|s| s.steps() <= steps)
            .max(1)
            - 1;
        &self.snapshots[i]
    }

    /// How many events the run had processed just after the traced event before the last
    /// one `sim` has traced: where a step back lands. Searches back from the latest
    /// snapshot before `sim`, one stretch between snapshots at a time.
    pub fn previous_event(&self, sim: &Simulation) -> u64 {
        let target = sim.events_traced();
        let mut end = sim.steps();
        loop {
            let start = self.before_steps(end.saturating_sub(1));
            let mut fresh = start.clone();
            let mut found = None;
            while fresh.steps() < end {
                let traced = fresh.events_traced();
                if !fresh.step() {
                    break;
                }
                if fresh.events_traced() > traced && fresh.events_traced() < target {
                    found = Some(fresh.steps());
                }
            }
            match found {
                Some(steps) => return steps,
                None if start.steps() == 0 => return 0,
                None => end = start.steps(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Workload;

    fn run() -> Simulation {
        let mut sim = Simulation::new(&Workload::default().scenario()).unwrap();
        // A short window, so that seeks also meet a trace that let events go.
        sim.record_recent_trace(2_000);
        sim
    }

    /// Snapshots every `spacing` events, few enough for the default workload.
    fn timeline(live: &Simulation, spacing: u64) -> Timeline {
        Timeline {
            spacing,
            ..Timeline::new(live)
        }
    }

    #[test]
    fn snapshots_of_a_run_that_lets_history_go_are_thinned_to_what_they_may_hold() {
        // Retention keeping about 2 s of log, the history bounded as the app bounds it.
        let mut w = Workload::default();
        for (k, v) in [("segment.ms", "500"), ("retention.ms", "2000")] {
            w.topic.insert(k.into(), v.into());
        }
        let mut scenario = w.scenario();
        scenario.broker_config = [
            ("log.retention.check.interval.ms", "1000"),
            ("log.initial.task.delay.ms", "1000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let start = || {
            let mut sim = Simulation::new(&scenario).unwrap();
            sim.record_recent_trace(2_000);
            sim.bound_history(500);
            sim
        };
        let mut live = start();
        let mut timeline = Timeline {
            spacing: 500,
            max_own_items: 4_000,
            ..Timeline::new(&live)
        };
        timeline.run_until(&mut live, 30_000);
        assert!(live.producers()[0].sends.start() > 0, "history was let go");
        assert!(timeline.own_items() <= 4_000, "{}", timeline.own_items());
        // Unthinned, the snapshots would hold more.
        let mut other = start();
        let mut unbounded = Timeline {
            spacing: 500,
            max_own_items: usize::MAX,
            ..Timeline::new(&other)
        };
        unbounded.run_until(&mut other, 30_000);
        assert!(unbounded.own_items() > 8_000, "{}", unbounded.own_items());
        assert!(timeline.snapshots.len() > 2);
        for t in [1_234, 15_000, 29_999] {
            let mut fresh = start();
            fresh.run_until(t);
            let seeked = timeline.at_time(t);
            assert_eq!(seeked.trace_hash(), fresh.trace_hash(), "{t}");
            assert_eq!(seeked.history(), fresh.history(), "{t}");
        }
    }

    #[test]
    fn a_moment_reached_from_a_snapshot_is_the_moment_reached_from_the_start() {
        let mut live = run();
        let mut timeline = timeline(&live, 500);
        timeline.run_until(&mut live, 20_000);
        assert!(timeline.snapshots.len() > 3, "{}", timeline.snapshots.len());
        for t in [0, 1, 777, 5_000, 12_345, 19_999, 20_000] {
            let mut fresh = run();
            fresh.run_until(t);
            let seeked = timeline.at_time(t);
            assert_eq!(seeked.now(), fresh.now(), "{t}");
            assert_eq!(seeked.steps(), fresh.steps(), "{t}");
            assert_eq!(seeked.trace_hash(), fresh.trace_hash(), "{t}");
            assert_eq!(seeked.trace(), fresh.trace(), "{t}");
            assert_eq!(seeked.sampler().closed(), fresh.sampler().closed(), "{t}");
        }
        // The live run is not disturbed by the snapshots taken of it.
        let mut fresh = run();
        fresh.run_until(20_000);
        live.run_until(30_000);
        fresh.run_until(30_000);
        assert_eq!(live.trace_hash(), fresh.trace_hash());
    }

    #[test]
    fn steps_back_land_where_a_replay_from_the_start_does() {
        let mut live = run();
        let mut timeline = timeline(&live, 500);
        timeline.run_until(&mut live, 8_000);
        for steps in [0, 1, 499, 500, 501, 1234, live.steps() - 1] {
            let mut fresh = run();
            while fresh.steps() < steps && fresh.step() {}
            let back = timeline.at_steps(steps);
            assert_eq!(back.steps(), fresh.steps());
            assert_eq!(back.trace_hash(), fresh.trace_hash());
        }
        // The step before the last traced event, found by a replay from t = 0.
        let target = live.events_traced();
        let mut fresh = run();
        let mut before = 0;
        while fresh.steps() < live.steps() {
            let traced = fresh.events_traced();
            fresh.step();
            if fresh.events_traced() > traced && fresh.events_traced() < target {
                before = fresh.steps();
            }
        }
        assert_eq!(timeline.previous_event(&live), before);
    }

    #[test]
    fn idle_filling_snapshots_the_run_to_its_end() {
        let start = run();
        let mut timeline = timeline(&start, 500);
        let mut slices = 0;
        while timeline.fill(|| true) {
            slices += 1;
        }
        let last = timeline.snapshots.last().unwrap();
        let mut whole = run();
        whole.run();
        // Stopped as soon as asked, and asked once per `ASK_EVERY` events.
        assert!(slices > 100, "{slices}");
        assert!(slices as u64 * ASK_EVERY <= whole.steps(), "{slices}");
        assert!(last.steps() + timeline.spacing >= whole.steps());
        // A seek far ahead of anything played starts near its moment.
        let mut live = start.clone();
        timeline.seek(&mut live, whole.now());
        assert_eq!(live.trace_hash(), whole.trace_hash());
        assert!(!timeline.fill(|| true));
    }

    #[test]
    fn a_seek_ahead_of_the_snapshots_starts_from_the_scout() {
        let start = run();
        let mut timeline = timeline(&start, 5_000);
        // Some slices, until the scout is well past the latest snapshot.
        let ahead = |t: &Timeline| {
            (t.scout.as_ref().map_or(0, Simulation::steps))
                .saturating_sub(t.snapshots.last().unwrap().steps())
        };
        let mut slices = 0;
        while slices < 30 || ahead(&timeline) < 1_000 {
            assert!(timeline.fill(|| true));
            slices += 1;
        }
        let scout = timeline.scout.as_ref().unwrap();
        let (scout_steps, scout_now) = (scout.steps(), scout.now());
        assert!(scout_steps > timeline.snapshots.last().unwrap().steps());
        let t = scout_now + 250;
        let mut live = start.clone();
        timeline.start_seek(&mut live, t);
        assert_eq!(live.steps(), scout_steps);
        timeline.run_until(&mut live, t);
        let mut fresh = run();
        fresh.run_until(t);
        assert_eq!(live.trace_hash(), fresh.trace_hash());
        assert_eq!(live.steps(), fresh.steps());
        // Before the scout, the latest snapshot not after the moment.
        let mut early = start.clone();
        timeline.start_seek(&mut early, scout_now - 1);
        assert!(early.steps() < scout_steps);
    }

    #[test]
    fn snapshots_stay_bounded_and_spread_out() {
        let mut live = run();
        let mut timeline = timeline(&live, 20);
        timeline.run_until(&mut live, 60_000);
        assert!(timeline.snapshots.len() <= MAX_SNAPSHOTS);
        assert!(timeline.spacing > 20);
        assert!(timeline
            .snapshots
            .windows(2)
            .all(|w| w[1].steps() >= w[0].steps() + 20));
    }
}
