//! `BufferPool` (`internals/BufferPool.java`): the producer's `buffer.memory`, from which
//! the accumulator takes each new batch's buffer (`producer.md` §4).
//!
//! Memory is accounted in bytes; no buffers exist. Kafka's blocked `send()` thread becomes a
//! waiter entry here: the pool hands back a `WaiterId`, and a later input reports the
//! waiter either granted or exhausted. A thread signalled in Kafka runs its wake-up before
//! anything else touches the pool; here that happens inside the input that signalled it.
//!
//! - Getters: `total_memory`, `available_memory`, `unallocated_memory`, `queued`,
//!   `exhausted_total`, `wait_time_ns_total`.
//! - Inputs: `allocate`, `deallocate`, `expire`. `expire(now)` must come first whenever
//!   `next_timeout() <= now`: a waiter whose time has run out no longer takes memory.
//! - Timer: `next_timeout`, the earliest waiter deadline.

use crate::errors::KafkaError;
use crate::version::KafkaVersion;
use std::collections::VecDeque;

/// A blocked `allocate`, numbered by the pool in call order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WaiterId(pub u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allocation {
    /// The bytes are the caller's until it deallocates them.
    Granted,
    /// Not enough memory: the caller is blocked until a `Grant` or an expiry names it.
    Blocked(WaiterId),
}

/// A blocked allocation that now holds all its bytes (Kafka's `allocate` returning).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub waiter: WaiterId,
    pub size: u32,
}

/// What `expire` did: waiters failed with `BufferExhaustedException`, in queue order, then
/// waiters completed by the memory those gave back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub exhausted: Vec<(WaiterId, KafkaError)>,
    pub granted: Vec<Grant>,
}

#[derive(Clone, Debug, PartialEq)]
struct Waiter {
    id: WaiterId,
    size: u32,
    /// The `maxTimeToBlockMs` passed in, which the exhausted message quotes.
    max_block_ms: u64,
    /// Bytes gathered so far; only the head waiter is ever woken to gather.
    accumulated: u64,
    deadline: u64,
    /// When it last went to sleep: Kafka records the wait time at each wake-up.
    asleep_since: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BufferPool {
    total_memory: u64,
    poolable_size: u32,
    /// `nonPooledAvailableMemory`: free bytes not held as pooled buffers.
    non_pooled_available: u64,
    /// Buffers of `poolable_size` on the free list; only their number matters.
    free: u64,
    /// FIFO: Kafka signals only the longest-waiting thread.
    waiters: VecDeque<Waiter>,
    next_waiter: u64,
    /// 3.1+ (#11378) quotes the pool's state in `BufferExhaustedException`.
    detailed_exhausted_message: bool,
    /// `buffer-exhausted-total`.
    exhausted_total: u64,
    /// `bufferpool-wait-time-ns-total`.
    wait_time_ns_total: u64,
}

impl BufferPool {
    /// `buffer.memory` bytes, with buffers of `poolable_size` (`batch.size`) kept for reuse.
    pub fn new(version: KafkaVersion, total_memory: u64, poolable_size: u32) -> Self {
        BufferPool {
            total_memory,
            poolable_size,
            non_pooled_available: total_memory,
            free: 0,
            waiters: VecDeque::new(),
            next_waiter: 0,
            detailed_exhausted_message: version.at_least(3, 1),
            exhausted_total: 0,
            wait_time_ns_total: 0,
        }
    }

    /// `buffer-total-bytes`.
    pub fn total_memory(&self) -> u64 {
        self.total_memory
    }

    /// `availableMemory()`, the metric `buffer-available-bytes`: unallocated bytes plus the
    /// free list. Bytes gathered by a waiter are not available.
    pub fn available_memory(&self) -> u64 {
        self.non_pooled_available + self.free * u64::from(self.poolable_size)
    }

    /// `unallocatedMemory()`: available bytes not held on the free list.
    pub fn unallocated_memory(&self) -> u64 {
        self.non_pooled_available
    }

    /// `queued()`, the metric `waiting-threads`. `RecordAccumulator.ready` treats every
    /// partition as sendable while this is non-zero.
    pub fn queued(&self) -> usize {
        self.waiters.len()
    }

    /// `buffer-exhausted-total`.
    pub fn exhausted_total(&self) -> u64 {
        self.exhausted_total
    }

    /// `bufferpool-wait-time-ns-total`: virtual milliseconds blocked, in nanoseconds.
    pub fn wait_time_ns_total(&self) -> u64 {
        self.wait_time_ns_total
    }

    /// The earliest deadline of a waiter, when `expire` has work.
    pub fn next_timeout(&self) -> Option<u64> {
        self.waiters.iter().map(|w| w.deadline).min()
    }

    /// `BufferPool.allocate(size, maxTimeToBlockMs)` at `now`.
    ///
    /// Granted at once from the free list (poolable size) or from unallocated memory plus
    /// dissolved free buffers, even while others wait: Kafka does not queue a request that
    /// fits. Otherwise the caller blocks until `now + max_block_ms`. A blocked request takes
    /// nothing until the next free wakes it, so the memory on hand stays available meanwhile.
    pub fn allocate(
        &mut self,
        size: u32,
        now: u64,
        max_block_ms: u64,
    ) -> Result<Allocation, KafkaError> {
        debug_assert!(
            self.next_timeout().is_none_or(|t| t > now),
            "expire(now) must run before other inputs at now"
        );
        let wanted = u64::from(size);
        if wanted > self.total_memory {
            return Err(KafkaError::IllegalArgument(format!(
                "Attempt to allocate {size} bytes, but there is a hard limit of {} on memory allocations.",
                self.total_memory
            )));
        }
        let outcome = if size == self.poolable_size && self.free > 0 {
            self.free -= 1;
            Ok(Allocation::Granted)
        } else if self.available_memory() >= wanted {
            self.free_up(wanted);
            self.non_pooled_available -= wanted;
            Ok(Allocation::Granted)
        } else if max_block_ms == 0 {
            // `await(0)` times out at once: the waiter leaves before anyone could wake it.
            self.exhausted_total += 1;
            Err(self.exhausted_error(size, max_block_ms))
        } else {
            let id = WaiterId(self.next_waiter);
            self.next_waiter += 1;
            self.waiters.push_back(Waiter {
                id,
                size,
                max_block_ms,
                accumulated: 0,
                deadline: now.saturating_add(max_block_ms),
                asleep_since: now,
            });
            // Asleep: `allocate`'s finally has not run yet.
            return Ok(Allocation::Blocked(id));
        };
        // `allocate`'s finally wakes the head if memory is left. The head then gathers it but
        // cannot complete: whenever someone waits, less than the head still needs is
        // available ('memory left is less than the head needs', checked in the tests).
        let grants = self.signal_if_memory_available(now);
        debug_assert!(grants.is_empty(), "an allocation completed a waiter");
        outcome
    }

    /// `BufferPool.deallocate(buffer, size)` at `now`, `size` being the buffer's capacity
    /// (`RecordAccumulator.deallocate` passes the batch's initial capacity): a buffer of the
    /// poolable size goes back to the free list, any other size to unallocated memory. Kafka
    /// then wakes the head waiter; each waiter that completes wakes the next while memory is
    /// left. Returns the waiters completed, in queue order.
    pub fn deallocate(&mut self, size: u32, now: u64) -> Vec<Grant> {
        debug_assert!(
            self.next_timeout().is_none_or(|t| t > now),
            "expire(now) must run before other inputs at now"
        );
        if size == self.poolable_size {
            self.free += 1;
        } else {
            self.non_pooled_available += u64::from(size);
        }
        self.wake_head(now)
    }

    /// Fails every waiter whose `max_block_ms` has run out by `now` with
    /// `BufferExhaustedException` (`buffer-exhausted-total` += 1 each). Each gives back what
    /// it had gathered and leaves the queue; the message quotes the available memory before
    /// that refund, as Kafka builds it before its finally. All waiters due at `now` leave
    /// before any is woken (a timeout beats a wake-up at the same instant); then, if memory
    /// is left, the new head is woken as after any free.
    pub fn expire(&mut self, now: u64) -> Expired {
        let mut exhausted = Vec::new();
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].deadline > now {
                i += 1;
                continue;
            }
            let (size, max_block_ms) = (self.waiters[i].size, self.waiters[i].max_block_ms);
            self.record_wait(i, now);
            self.exhausted_total += 1;
            let error = self.exhausted_error(size, max_block_ms);
            let gone = self.waiters.remove(i).expect("index in range");
            self.non_pooled_available += gone.accumulated;
            exhausted.push((gone.id, error));
        }
        let granted = if exhausted.is_empty() {
            Vec::new()
        } else {
            self.signal_if_memory_available(now)
        };
        Expired { exhausted, granted }
    }

    /// `freeUp`: dissolves free buffers (newest first) into unallocated memory until `bytes`
    /// are unallocated or the free list is empty.
    fn free_up(&mut self, bytes: u64) {
        while self.free > 0 && self.non_pooled_available < bytes {
            self.free -= 1;
            self.non_pooled_available += u64::from(self.poolable_size);
        }
    }

    fn memory_available(&self) -> bool {
        self.non_pooled_available > 0 || self.free > 0
    }

    /// `allocate`'s finally: wake the head waiter if any memory is left.
    fn signal_if_memory_available(&mut self, now: u64) -> Vec<Grant> {
        if self.memory_available() {
            self.wake_head(now)
        } else {
            Vec::new()
        }
    }

    /// The head waiter's turn of `allocate`'s wait loop: a waiter of the poolable size that
    /// has gathered nothing takes a whole free buffer; otherwise it takes what it can of
    /// unallocated memory, dissolving free buffers as needed, possibly only part of what it
    /// needs. One that completes leaves and, if memory is left, wakes the next.
    fn wake_head(&mut self, now: u64) -> Vec<Grant> {
        let mut grants = Vec::new();
        while let Some(head) = self.waiters.front() {
            let (size, accumulated) = (head.size, head.accumulated);
            self.record_wait(0, now);
            let gathered = if accumulated == 0 && size == self.poolable_size && self.free > 0 {
                self.free -= 1;
                u64::from(size)
            } else {
                let missing = u64::from(size) - accumulated;
                self.free_up(missing);
                let got = missing.min(self.non_pooled_available);
                self.non_pooled_available -= got;
                accumulated + got
            };
            if gathered < u64::from(size) {
                self.waiters[0].accumulated = gathered;
                break;
            }
            let done = self.waiters.pop_front().expect("head exists");
            grants.push(Grant {
                waiter: done.id,
                size: done.size,
            });
            if !self.memory_available() {
                break;
            }
        }
        grants
    }

    /// `recordWaitTime` for waiter `i` waking at `now`.
    fn record_wait(&mut self, i: usize, now: u64) {
        let w = &mut self.waiters[i];
        self.wait_time_ns_total += now.saturating_sub(w.asleep_since) * 1_000_000;
        w.asleep_since = now;
    }

    fn exhausted_error(&self, size: u32, max_block_ms: u64) -> KafkaError {
        KafkaError::BufferExhausted(if self.detailed_exhausted_message {
            format!(
                "Failed to allocate {size} bytes within the configured max blocking time \
                 {max_block_ms} ms. Total memory: {} bytes. Available memory: {} bytes. \
                 Poolable size: {} bytes",
                self.total_memory,
                self.available_memory(),
                self.poolable_size
            )
        } else {
            format!("Failed to allocate memory within the configured max blocking time {max_block_ms} ms.")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::vec_map::VecMap;

    /// A caller of the pool: what it holds and who is still blocked.
    struct World {
        pool: BufferPool,
        held: Vec<u32>,
        blocked: VecMap<WaiterId, u32>,
    }

    impl World {
        fn take(&mut self, grants: Vec<Grant>) {
            for g in grants {
                assert_eq!(self.blocked.remove(&g.waiter), Some(g.size), "granted once");
                self.held.push(g.size);
            }
        }

        /// The named invariants, checked after every input.
        fn check(&self, step: usize) {
            let p = &self.pool;
            let gathered: u64 = p.waiters.iter().map(|w| w.accumulated).sum();
            let held: u64 = self.held.iter().map(|&s| u64::from(s)).sum();
            assert_eq!(
                p.available_memory() + held + gathered,
                p.total_memory(),
                "always 'memory is conserved' (step {step})"
            );
            assert!(
                p.waiters.iter().skip(1).all(|w| w.accumulated == 0),
                "always 'only the head gathers' (step {step})"
            );
            if let Some(head) = p.waiters.front() {
                assert!(
                    p.available_memory() < u64::from(head.size) - head.accumulated,
                    "always 'memory left is less than the head needs' (step {step})"
                );
            }
            let ids: Vec<WaiterId> = p.waiters.iter().map(|w| w.id).collect();
            assert_eq!(
                ids,
                self.blocked.keys().copied().collect::<Vec<_>>(),
                "always 'waiters queue in call order' (step {step})"
            );
        }
    }

    /// Random allocations, frees and expiries over many seeds, mixing poolable and other
    /// sizes and different blocking times, with the invariants checked at every step.
    #[test]
    fn invariants_hold_over_random_inputs() {
        for seed in 0..200 {
            let mut rng = Rng::new(seed);
            let poolable = 1 + rng.below(64);
            let total =
                u64::from(poolable) * u64::from(1 + rng.below(8)) + u64::from(rng.below(64));
            let mut w = World {
                pool: BufferPool::new(KafkaVersion::latest(), total, poolable),
                held: Vec::new(),
                blocked: VecMap::new(),
            };
            let mut now = 0;
            for step in 0..400 {
                now += u64::from(rng.below(3));
                let expired = w.pool.expire(now);
                for (id, e) in &expired.exhausted {
                    assert_eq!(e.exception_name(), "BufferExhaustedException");
                    assert!(w.blocked.remove(id).is_some());
                }
                w.take(expired.granted);
                w.check(step);
                match rng.below(3) {
                    0 | 1 => {
                        let size = if rng.below(2) == 0 {
                            poolable
                        } else {
                            rng.below(total as u32 + 2)
                        };
                        match w.pool.allocate(size, now, u64::from(rng.below(20))) {
                            Ok(Allocation::Granted) => w.held.push(size),
                            Ok(Allocation::Blocked(id)) => {
                                w.blocked.insert(id, size);
                            }
                            Err(KafkaError::IllegalArgument(_)) => {
                                assert!(u64::from(size) > total)
                            }
                            Err(e) => assert_eq!(e.exception_name(), "BufferExhaustedException"),
                        }
                    }
                    _ if !w.held.is_empty() => {
                        let i = rng.below(w.held.len() as u32) as usize;
                        let size = w.held.swap_remove(i);
                        let grants = w.pool.deallocate(size, now);
                        w.take(grants);
                    }
                    _ => {}
                }
                w.check(step);
            }
        }
    }

    #[test]
    fn wait_time_is_recorded_at_each_wake_up() {
        let mut pool = BufferPool::new(KafkaVersion::latest(), 10, 5);
        assert_eq!(pool.allocate(2, 0, 100), Ok(Allocation::Granted));
        assert_eq!(pool.allocate(5, 0, 100), Ok(Allocation::Granted));
        assert_eq!(
            pool.allocate(9, 4, 100),
            Ok(Allocation::Blocked(WaiterId(0)))
        );
        // Woken at 6, it gathers the 3 bytes on hand and the 2 freed, and sleeps again.
        assert_eq!(pool.deallocate(2, 6), vec![]);
        assert_eq!(pool.wait_time_ns_total(), 2_000_000);
        assert_eq!(pool.available_memory(), 0);
        // The poolable buffer freed at 10 is dissolved for the 4 bytes still missing.
        assert_eq!(
            pool.deallocate(5, 10),
            vec![Grant {
                waiter: WaiterId(0),
                size: 9
            }]
        );
        assert_eq!(pool.wait_time_ns_total(), 6_000_000);
        assert_eq!((pool.available_memory(), pool.unallocated_memory()), (1, 1));
    }
}
