//! `BufferPool` conformance cases from Kafka's `BufferPoolTest` (`shared/kafka/producer.md`
//! §9 cases 16–17), then cases that pin down `BufferPool.allocate`'s wait loop. Kafka's
//! threads become waiters, and its sleeps and latches become inputs at virtual times.

use kafka_lab::errors::KafkaError;
use kafka_lab::producer::buffer_pool::{Allocation, BufferPool, Expired, Grant, WaiterId};
use kafka_lab::rng::Rng;
use kafka_lab::version::KafkaVersion;

/// `BufferPoolTest.maxBlockTimeMs`.
const MAX_BLOCK_MS: u64 = 10;

fn pool(total: u64, poolable: u32) -> BufferPool {
    BufferPool::new(KafkaVersion::latest(), total, poolable)
}

fn granted(pool: &mut BufferPool, size: u32, now: u64) {
    assert_eq!(
        pool.allocate(size, now, MAX_BLOCK_MS),
        Ok(Allocation::Granted),
        "allocate({size}) at {now}"
    );
}

fn blocked(pool: &mut BufferPool, size: u32, now: u64) -> WaiterId {
    match pool.allocate(size, now, MAX_BLOCK_MS) {
        Ok(Allocation::Blocked(id)) => id,
        other => panic!("allocate({size}) at {now} should block, got {other:?}"),
    }
}

fn grant(waiter: WaiterId, size: u32) -> Grant {
    Grant { waiter, size }
}

/// `BufferPoolTest.testSimple`: the non-blocking paths, total 64 KiB, poolable 1024.
#[test]
fn test_simple() {
    let total = 64 * 1024;
    let mut p = pool(total, 1024);
    granted(&mut p, 1024, 0);
    assert_eq!(p.unallocated_memory(), total - 1024, "unallocated shrank");
    assert_eq!(p.available_memory(), total - 1024, "available shrank");
    assert_eq!(p.deallocate(1024, 0), vec![]);
    assert_eq!(p.available_memory(), total, "all memory available");
    assert_eq!(
        p.unallocated_memory(),
        total - 1024,
        "but some is on the free list"
    );
    granted(&mut p, 1024, 0);
    assert_eq!(
        p.unallocated_memory(),
        total - 1024,
        "recycled from the free list"
    );
    p.deallocate(1024, 0);
    assert_eq!(p.available_memory(), total);
    assert_eq!(
        p.unallocated_memory(),
        total - 1024,
        "still one free buffer"
    );
    granted(&mut p, 2 * 1024, 0);
    p.deallocate(2 * 1024, 0);
    assert_eq!(p.available_memory(), total);
    assert_eq!(
        p.unallocated_memory(),
        total - 1024,
        "a non-standard size does not go to the free list"
    );
}

/// `BufferPoolTest.testCantAllocateMoreMemoryThanWeHave`.
#[test]
fn test_cant_allocate_more_memory_than_we_have() {
    let mut p = pool(1024, 512);
    granted(&mut p, 1024, 0);
    p.deallocate(1024, 0);
    let err = p.allocate(1025, 0, MAX_BLOCK_MS).unwrap_err();
    assert_eq!(
        err.to_string(),
        "IllegalArgumentException: Attempt to allocate 1025 bytes, but there is a hard limit \
         of 1024 on memory allocations."
    );
    assert_eq!((p.available_memory(), p.queued()), (1024, 0));
}

/// `BufferPoolTest.testDelayedAllocation`: total 5 KiB, 1 KiB held; a request for all
/// 5 KiB blocks (the thread behind the latch) and completes when the 1 KiB is returned,
/// here 5 ms later, within the block time.
#[test]
fn test_delayed_allocation() {
    let mut p = pool(5 * 1024, 1024);
    granted(&mut p, 1024, 0);
    let w = blocked(&mut p, 5 * 1024, 0);
    assert_eq!(p.queued(), 1, "waiting on memory");
    assert_eq!(p.next_timeout(), Some(MAX_BLOCK_MS));
    assert_eq!(p.deallocate(1024, 5), vec![grant(w, 5 * 1024)]);
    assert_eq!((p.available_memory(), p.queued()), (0, 0));
    assert_eq!(p.next_timeout(), None);
    assert_eq!(p.wait_time_ns_total(), 5_000_000);
}

/// `BufferPoolTest.testBufferExhaustedExceptionIsThrown` and `testBlockTimeout` (3.9+, after
/// KAFKA-17661): total 2, poolable 1, 1 byte held; asking for 2 fails after exactly the
/// block time, not before.
#[test]
fn test_buffer_exhausted_exception_is_thrown() {
    let mut p = pool(2, 1);
    granted(&mut p, 1, 0);
    let w = blocked(&mut p, 2, 0);
    assert_eq!(p.expire(MAX_BLOCK_MS - 1), Expired::default(), "not before");
    let out = p.expire(MAX_BLOCK_MS);
    assert_eq!(out.granted, vec![]);
    let [(id, err)] = out.exhausted.as_slice() else {
        panic!("one waiter exhausted: {out:?}")
    };
    assert_eq!(*id, w);
    assert_eq!(
        *err,
        KafkaError::BufferExhausted(
            "Failed to allocate 2 bytes within the configured max blocking time 10 ms. Total \
             memory: 2 bytes. Available memory: 1 bytes. Poolable size: 1 bytes"
                .into()
        )
    );
    assert_eq!(err.exception_name(), "BufferExhaustedException");
}

/// `BufferPoolTest.testCleanupMemoryAvailabilityWaiterOnBlockTimeout`: after the timeout the
/// waiter is gone and the free byte is still available.
#[test]
fn test_cleanup_memory_availability_waiter_on_block_timeout() {
    let mut p = pool(2, 1);
    granted(&mut p, 1, 0);
    blocked(&mut p, 2, 0);
    assert_eq!(p.expire(MAX_BLOCK_MS).exhausted.len(), 1);
    assert_eq!(p.queued(), 0);
    assert_eq!(p.available_memory(), 1);
    assert_eq!(p.exhausted_total(), 1, "buffer-exhausted-total");
    assert_eq!(
        p.wait_time_ns_total(),
        10_000_000,
        "bufferpool-wait-time-ns-total"
    );
}

/// `BufferPoolTest.testBlockTimeout` before KAFKA-17661 (through 3.9.0): total 10, poolable 1,
/// three 1-byte buffers held; their threads free them at 5, 10 and 25 ms while a request for
/// all 10 bytes blocks at 0. Kafka accepts 7..=10 available bytes after the exception because
/// its threads race; here the timeout at 10 comes before the free at 10, which gives 8.
#[test]
fn test_block_timeout() {
    let mut p = pool(10, 1);
    for _ in 0..3 {
        granted(&mut p, 1, 0);
    }
    let w = blocked(&mut p, 10, 0);
    // Woken by the first free, the waiter dissolves the freed buffer and takes all 8 bytes.
    assert_eq!(p.deallocate(1, MAX_BLOCK_MS / 2), vec![]);
    assert_eq!((p.available_memory(), p.unallocated_memory()), (0, 0));
    let out = p.expire(MAX_BLOCK_MS);
    assert_eq!(out.exhausted.len(), 1);
    assert_eq!(out.exhausted[0].0, w);
    assert_eq!(
        out.exhausted[0].1.message(),
        "Failed to allocate 10 bytes within the configured max blocking time 10 ms. Total \
         memory: 10 bytes. Available memory: 0 bytes. Poolable size: 1 bytes",
        "the message is built before the gathered 8 bytes are given back"
    );
    assert_eq!(p.available_memory(), 8);
    assert!((7..=10).contains(&p.available_memory()));
    p.deallocate(1, MAX_BLOCK_MS);
    assert_eq!(p.available_memory(), 9);
    p.deallocate(1, MAX_BLOCK_MS / 2 * 5);
    assert_eq!(p.available_memory(), 10);
}

/// `BufferPoolTest.testStressfulSituation`: 10 threads, each allocating the poolable size or
/// a random size below the total and freeing it again, on a pool of 5 poolable buffers.
/// Threads are scheduled by a seeded rng, each holds its memory 0–3 ms of virtual time, and
/// none may exhaust its 20 s block time; at the end all memory is available.
#[test]
fn test_stressful_situation() {
    const THREADS: usize = 10;
    const ITERATIONS: u32 = 2_000;
    const MAX_BLOCK: u64 = 20_000;
    let poolable = 1024;
    let total = (THREADS as u64 / 2) * u64::from(poolable);
    let mut p = pool(total, poolable);
    let mut rng = Rng::new(42);

    #[derive(Clone, Copy, PartialEq)]
    enum Thread {
        Idle,
        Holding { size: u32, until: u64 },
        Waiting(WaiterId, u32),
    }
    let mut threads = [Thread::Idle; THREADS];
    let mut done = [0u32; THREADS];
    let mut now = 0;
    while done.iter().any(|&d| d < ITERATIONS) {
        assert!(p.expire(now).exhausted.is_empty(), "no thread exhausts");
        for t in 0..THREADS {
            if let Thread::Holding { size, until } = threads[t] {
                if until <= now {
                    threads[t] = Thread::Idle;
                    done[t] += 1;
                    for g in p.deallocate(size, now) {
                        let w = threads
                            .iter()
                            .position(|&s| s == Thread::Waiting(g.waiter, g.size))
                            .expect("a waiting thread");
                        threads[w] = Thread::Holding {
                            size: g.size,
                            until: now + u64::from(rng.below(4)),
                        };
                    }
                }
            }
        }
        let t = rng.below(THREADS as u32) as usize;
        if threads[t] == Thread::Idle && done[t] < ITERATIONS {
            let size = if rng.below(2) == 0 {
                poolable
            } else {
                rng.below(total as u32)
            };
            threads[t] = match p.allocate(size, now, MAX_BLOCK) {
                Ok(Allocation::Granted) => Thread::Holding {
                    size,
                    until: now + u64::from(rng.below(4)),
                },
                Ok(Allocation::Blocked(w)) => Thread::Waiting(w, size),
                Err(e) => panic!("{e}"),
            };
        }
        now += 1;
    }
    assert_eq!(p.available_memory(), total);
    assert_eq!(p.queued(), 0);
}

/// `BufferPoolTest.testLargeAvailableMemory`: 20 GB in 2 GB buffers; available memory is
/// counted in 64 bits. Kafka fakes the two frees by overriding `freeSize`; here they happen.
#[test]
fn test_large_available_memory() {
    let poolable = 2_000_000_000;
    let mut p = pool(20_000_000_000, poolable);
    assert_eq!(p.allocate(poolable, 0, 0), Ok(Allocation::Granted));
    assert_eq!(p.available_memory(), 18_000_000_000);
    assert_eq!(p.allocate(poolable, 0, 0), Ok(Allocation::Granted));
    assert_eq!(p.available_memory(), 16_000_000_000);
    p.deallocate(poolable, 0);
    assert_eq!(p.available_memory(), 18_000_000_000);
    p.deallocate(poolable, 0);
    assert_eq!(p.available_memory(), 20_000_000_000);
    assert_eq!(
        p.unallocated_memory(),
        16_000_000_000,
        "two buffers on the free list"
    );
}

/// `BufferPool.allocate`'s wait loop: a woken waiter takes freed memory in pieces and
/// completes once it has all it asked for; the free list is dissolved for it.
#[test]
fn partial_gathering() {
    let mut p = pool(10, 2);
    for _ in 0..5 {
        granted(&mut p, 2, 0);
    }
    let w = blocked(&mut p, 5, 0);
    assert_eq!(p.deallocate(2, 1), vec![], "takes the freed buffer: 2 of 5");
    assert_eq!((p.available_memory(), p.unallocated_memory()), (0, 0));
    assert_eq!(p.deallocate(2, 2), vec![], "4 of 5");
    // The third buffer is dissolved for the last byte; the other byte stays unallocated.
    assert_eq!(p.deallocate(2, 3), vec![grant(w, 5)]);
    assert_eq!((p.available_memory(), p.unallocated_memory()), (1, 1));
    assert_eq!(
        p.wait_time_ns_total(),
        3_000_000,
        "one wait of 3 ms, in three pieces"
    );
}

/// FIFO: a free that would satisfy the second waiter goes to the first, which is still
/// short, so the second is not served out of order. When the first completes, what is left
/// wakes the second within the same free.
#[test]
fn fifo_waiters_are_served_in_order() {
    let mut p = pool(10, 1024);
    granted(&mut p, 10, 0);
    let first = blocked(&mut p, 8, 0);
    let second = blocked(&mut p, 1, 1);
    assert_eq!(
        p.deallocate(1, 2),
        vec![],
        "1 byte goes to the first waiter"
    );
    assert_eq!(p.queued(), 2);
    assert_eq!(p.available_memory(), 0);
    // 7 more complete the first; the 2 left over complete the second.
    assert_eq!(p.deallocate(9, 3), vec![grant(first, 8), grant(second, 1)]);
    assert_eq!((p.available_memory(), p.queued()), (1, 0));
}

/// A blocked request reserves nothing until a free wakes it: the memory on hand can go to a
/// later request that fits (Kafka's fast path does not look at the queue). That allocation's
/// finally then wakes the head, which takes what is left.
#[test]
fn a_request_that_fits_overtakes_a_waiter() {
    let mut p = pool(10, 1024);
    granted(&mut p, 7, 0);
    let w = blocked(&mut p, 5, 0);
    assert_eq!(p.available_memory(), 3, "the waiter has taken nothing");
    granted(&mut p, 2, 1);
    assert_eq!(
        p.available_memory(),
        0,
        "the head took the last byte when signalled"
    );
    assert_eq!(p.deallocate(2, 2), vec![], "3 of 5");
    assert_eq!(p.deallocate(7, 3), vec![grant(w, 5)]);
    assert_eq!(p.available_memory(), 5);
}

/// A waiter of the poolable size that has gathered nothing takes a freed buffer whole; a
/// waiter of another size dissolves freed buffers and keeps what it does not need unallocated.
#[test]
fn a_poolable_waiter_takes_a_free_buffer_whole() {
    let mut p = pool(8, 4);
    granted(&mut p, 4, 0);
    granted(&mut p, 4, 0);
    let w = blocked(&mut p, 4, 0);
    assert_eq!(p.deallocate(4, 1), vec![grant(w, 4)]);
    assert_eq!((p.available_memory(), p.unallocated_memory()), (0, 0));

    let big = blocked(&mut p, 6, 2);
    assert_eq!(p.deallocate(4, 3), vec![], "dissolved: 4 of 6");
    assert_eq!(p.deallocate(4, 4), vec![grant(big, 6)]);
    assert_eq!((p.available_memory(), p.unallocated_memory()), (2, 2));
}

/// An expiring head gives back what it had gathered, which can complete the next waiter in
/// the same step. The exhausted message reports the available memory before that refund.
#[test]
fn an_expiring_head_hands_its_memory_on() {
    let mut p = pool(10, 1024);
    granted(&mut p, 10, 0);
    let head = blocked(&mut p, 9, 0);
    let next = match p.allocate(3, 5, 100) {
        Ok(Allocation::Blocked(id)) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(p.deallocate(3, 6), vec![], "the head gathers 3");
    assert_eq!(
        p.next_timeout(),
        Some(10),
        "the head's deadline comes first"
    );
    let out = p.expire(10);
    assert_eq!(out.exhausted.len(), 1);
    assert_eq!(out.exhausted[0].0, head);
    assert!(out.exhausted[0]
        .1
        .message()
        .contains("Available memory: 0 bytes."));
    assert_eq!(out.granted, vec![grant(next, 3)]);
    assert_eq!((p.available_memory(), p.queued()), (0, 0));
    assert_eq!(p.next_timeout(), None);
    assert_eq!(p.exhausted_total(), 1);
}

/// Waiters leave by their own deadlines, not in queue order: a later request with less
/// blocking time left (after a metadata wait) expires while the head keeps waiting.
#[test]
fn deadlines_are_per_waiter() {
    let mut p = pool(4, 1024);
    granted(&mut p, 4, 0);
    let head = blocked(&mut p, 3, 0);
    let short = match p.allocate(1, 1, 2) {
        Ok(Allocation::Blocked(id)) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(p.next_timeout(), Some(3));
    let out = p.expire(3);
    assert_eq!(out.exhausted.len(), 1);
    assert_eq!(out.exhausted[0].0, short);
    assert!(out.exhausted[0]
        .1
        .message()
        .starts_with("Failed to allocate 1 bytes within the configured max blocking time 2 ms."));
    assert_eq!(p.next_timeout(), Some(10));
    assert_eq!(p.deallocate(4, 4), vec![grant(head, 3)]);
}

/// With no blocking time left the request fails at once (`await(0)` times out) and never
/// joins the queue.
#[test]
fn zero_block_time_fails_at_once() {
    let mut p = pool(2, 1);
    granted(&mut p, 2, 0);
    let err = p.allocate(1, 0, 0).unwrap_err();
    assert_eq!(err.exception_name(), "BufferExhaustedException");
    assert_eq!((p.queued(), p.exhausted_total()), (0, 1));
    assert_eq!(p.next_timeout(), None);
}

/// Before 3.1 (#11378) the message did not describe the pool.
#[test]
fn exhausted_message_before_3_1() {
    let mut p = BufferPool::new(KafkaVersion::new(3, 0, 2), 2, 1);
    granted(&mut p, 1, 0);
    blocked(&mut p, 2, 0);
    let out = p.expire(MAX_BLOCK_MS);
    assert_eq!(
        out.exhausted[0].1,
        KafkaError::BufferExhausted(
            "Failed to allocate memory within the configured max blocking time 10 ms.".into()
        )
    );
}
