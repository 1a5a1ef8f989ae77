//! The simulation's pending events, taken in (time, scheduling order). Most are due
//! within a few milliseconds (a send's next record, a message's delivery, a linger): those
//! wait in a wheel of per-millisecond slots, first in first out, a push and a pop each;
//! the others (timeouts, far-off actions) in lanes or a heap. One binary heap of
//! everything spent a twentieth of a run sifting.
//!
//! Past the wheel, most events are timeouts a fixed span ahead (a request's, a fetch's
//! wait), scheduled in time order for each kind, and most of them are superseded before
//! they are due (the component woke earlier and rescheduled): tens of thousands wait.
//! Each goes onto the end of the first lane whose last event is not later (a lane stays
//! in time order, a push and a pop each); only one that fits no lane goes to the heap.
//! The lanes are shared chunks (`Chunked`): a snapshot of the run copies a pointer per
//! chunk of them, where a heap's clone copied every one (half a MB a snapshot).

use crate::chunked::Chunked;
use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

/// Milliseconds the wheel spans.
const WHEEL: u64 = 16;
/// Lanes past the wheel: a few kinds of timeout at once.
const LANES: usize = 4;

#[derive(Clone, Debug)]
struct Scheduled<E> {
    at: u64,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> Ord for Scheduled<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    /// `slots[t % WHEEL]`: (seq, event) of the events due at `t`, for `t` in
    /// `[base, base + WHEEL)`, in scheduling order.
    /// (An array, not a `Vec`: no pointer to follow nor bound to check per event.)
    slots: [VecDeque<(u64, E)>; WHEEL as usize],
    /// The latest time taken: every event is due at or after it (the first taken is the
    /// earliest), so the wheel's slots name one time each.
    base: u64,
    in_wheel: usize,
    /// Events due past the wheel when scheduled, or before `base`: (time, seq, event),
    /// each lane in that order (its kept ones: a lane forgets what was taken).
    lanes: [Chunked<(u64, u64, E)>; LANES],
    /// Those that fitted no lane.
    heap: BinaryHeap<Reverse<Scheduled<E>>>,
    /// Once looked for: the first event's time and whether it is in the wheel (`None`
    /// inside: there is none). A push keeps it up to date; a pop has it found again. A
    /// step peeks twice before it pops.
    first: Cell<Option<Option<(u64, bool)>>>,
    /// Likewise the first of those past the wheel: (time, seq, its lane or `LANES` for
    /// the heap).
    far: Cell<Option<Option<(u64, u64, usize)>>>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            slots: std::array::from_fn(|_| VecDeque::new()),
            base: 0,
            in_wheel: 0,
            lanes: std::array::from_fn(|_| Chunked::default()),
            heap: BinaryHeap::new(),
            first: Cell::new(Some(None)),
            far: Cell::new(Some(None)),
        }
    }
}

impl<E: Clone> EventQueue<E> {
    /// Schedules `event` at `at`; `seq` orders events due at the same time and grows with
    /// every push.
    pub fn push(&mut self, at: u64, seq: u64, event: E) {
        let in_wheel = at.checked_sub(self.base).is_some_and(|d| d < WHEEL);
        let slot = &mut self.slots[(at % WHEEL) as usize];
        if in_wheel && slot.len() < slot.capacity() {
            // The common case (a slot with room) makes no call: the push and its callers
            // need no stack frame for it.
            slot.push_back((seq, event));
            self.in_wheel += 1;
            self.keep_first(at, true);
        } else {
            self.push_slow(at, seq, event, in_wheel);
        }
    }

    /// A push that grows a slot or goes to the heap.
    #[inline(never)]
    fn push_slow(&mut self, at: u64, seq: u64, event: E, in_wheel: bool) {
        if in_wheel {
            self.slots[(at % WHEEL) as usize].push_back((seq, event));
            self.in_wheel += 1;
        } else {
            // Its seq is the largest: after a lane's last event if not due before it.
            let lane = self
                .lanes
                .iter()
                .position(|l| l.last().is_none_or(|&(t, _, _)| t <= at));
            let place = lane.unwrap_or(LANES);
            match lane {
                Some(i) => self.lanes[i].push((at, seq, event)),
                None => self.heap.push(Reverse(Scheduled { at, seq, event })),
            }
            if let Some(far) = self.far.get() {
                if far.is_none_or(|(t, _, _)| at < t) {
                    self.far.set(Some(Some((at, seq, place))));
                }
            }
        }
        self.keep_first(at, in_wheel);
    }

    /// Keeps the cached first event true after a push.
    #[inline(always)]
    fn keep_first(&mut self, at: u64, in_wheel: bool) {
        // Its seq is the largest: it comes first only if it is due before the first.
        if let Some(first) = self.first.get() {
            if first.is_none_or(|(t, _)| at < t) {
                self.first.set(Some(Some((at, in_wheel))));
            }
        }
    }

    /// (time, seq) of the wheel's first event.
    fn wheel_first(&self) -> Option<(u64, u64)> {
        if self.in_wheel == 0 {
            return None;
        }
        (self.base..self.base + WHEEL).find_map(|t| {
            self.slots[(t % WHEEL) as usize]
                .front()
                .map(|&(seq, _)| (t, seq))
        })
    }

    /// When the first event is due, and whether it is in the wheel. Inline, the cached
    /// answer is read a field at a time: copied out whole, it was read right after a push
    /// wrote it piecewise, a stall on every step.
    #[inline]
    fn first(&self) -> Option<(u64, bool)> {
        match self.first.get() {
            Some(first) => first,
            None => self.find_first(),
        }
    }

    fn find_first(&self) -> Option<(u64, bool)> {
        let first = match (self.wheel_first(), self.far()) {
            (Some(w), Some((t, seq, _))) if (t, seq) < w => Some((t, false)),
            (Some(w), _) => Some((w.0, true)),
            (None, far) => far.map(|(t, _, _)| (t, false)),
        };
        self.first.set(Some(first));
        first
    }

    /// The first event past the wheel: (time, seq, its lane or `LANES` for the heap).
    #[inline]
    fn far(&self) -> Option<(u64, u64, usize)> {
        match self.far.get() {
            Some(far) => far,
            None => self.find_far(),
        }
    }

    fn find_far(&self) -> Option<(u64, u64, usize)> {
        let mut far = self.heap.peek().map(|Reverse(s)| (s.at, s.seq, LANES));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(&(t, seq, _)) = lane.first() {
                if far.is_none_or(|(ft, fseq, _)| (t, seq) < (ft, fseq)) {
                    far = Some((t, seq, i));
                }
            }
        }
        self.far.set(Some(far));
        far
    }

    /// When the first event is due.
    pub fn peek_at(&self) -> Option<u64> {
        self.first().map(|(at, _)| at)
    }

    /// Takes the first event: (when it is due, the event).
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let (at, in_wheel) = self.first()?;
        self.first.set(None);
        let event = if in_wheel {
            self.in_wheel -= 1;
            self.slots[(at % WHEEL) as usize].pop_front()?.1
        } else {
            let (_, _, place) = self.far()?;
            self.far.set(None);
            match self.lanes.get_mut(place) {
                Some(lane) => {
                    let event = lane.first()?.2.clone();
                    lane.forget_before(lane.start() + 1);
                    event
                }
                None => self.heap.pop()?.0.event,
            }
        };
        self.base = self.base.max(at);
        // Most often the next event is the next one due at the same time: first unless
        // one past the wheel is due by then, and known without a search.
        if in_wheel
            && !self.slots[(at % WHEEL) as usize].is_empty()
            && self.far().is_none_or(|(t, _, _)| at < t)
        {
            self.first.set(Some(Some((at, true))));
        }
        Some((at, event))
    }

    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(VecDeque::clear);
        self.in_wheel = 0;
        self.lanes = std::array::from_fn(|_| Chunked::default());
        self.heap.clear();
        self.first.set(Some(None));
        self.far.set(Some(None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn events_come_out_in_time_then_scheduling_order() {
        // Against a sorted list: due now, soon, past the wheel, and (as a bug would) in
        // the past, popped a few at a time between pushes.
        let mut rng = Rng::new(7);
        let mut queue = EventQueue::default();
        let mut expected: Vec<(u64, u64)> = Vec::new();
        let (mut now, mut seq) = (0u64, 0u64);
        for _ in 0..2000 {
            for _ in 0..rng.below(4) {
                seq += 1;
                let at = match rng.below(10) {
                    0 => now.saturating_sub(3),
                    1..=3 => now + 40 + u64::from(rng.below(100)),
                    _ => now + u64::from(rng.below(20)),
                };
                queue.push(at, seq, seq);
                expected.push((at, seq));
            }
            expected.sort_unstable();
            for _ in 0..rng.below(4) {
                let Some((at, event)) = queue.pop() else {
                    assert!(expected.is_empty());
                    break;
                };
                assert_eq!(queue.peek_at().is_some(), expected.len() > 1);
                assert_eq!((at, event), expected.remove(0));
                now = now.max(at);
            }
        }
        queue.clear();
        assert_eq!(queue.peek_at(), None);
    }

    #[test]
    fn timeouts_of_several_kinds_wait_in_lanes_that_a_clone_shares() {
        // Three kinds of timeout each millisecond, two a fixed span ahead, one (a backoff)
        // jittered: the lanes hold the steady ones, the heap what fits no lane. A clone
        // taken midway comes out the same as the original would have from there.
        let mut rng = Rng::new(11);
        let mut queue = EventQueue::default();
        let mut expected: Vec<(u64, u64)> = Vec::new();
        let (mut now, mut seq) = (0u64, 0u64);
        let mut snapshot = None;
        for step in 0..3000u64 {
            for span in [30_000, 500, 100 + u64::from(rng.below(60))] {
                seq += 1;
                queue.push(now + span, seq, seq);
                expected.push((now + span, seq));
            }
            expected.sort_unstable();
            if step == 1500 {
                snapshot = Some((queue.clone(), expected.clone()));
            }
            now += 1;
            while queue.peek_at().is_some_and(|at| at <= now) {
                assert_eq!(queue.pop(), Some(expected.remove(0)));
            }
        }
        // At most the jittered ones pending (160 ms of them) fit no lane.
        assert!(queue.heap.len() <= 160, "in the heap: {}", queue.heap.len());
        let (mut queue, mut expected) = snapshot.expect("taken");
        while let Some((at, event)) = queue.pop() {
            assert_eq!((at, event), expected.remove(0));
        }
        assert!(expected.is_empty());
    }
}
