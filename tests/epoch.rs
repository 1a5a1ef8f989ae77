//! The leader epoch cache and truncation on fetch, case by case from Kafka
//! (`shared/kafka/broker.md` §8 and §13, cases 14–16): `LeaderEpochFileCacheTest`, the
//! leader's check of `PartitionTest.testLastFetchedOffsetValidation`, and the
//! `AbstractFetcherThreadTest` divergence cases driven as fetch rounds between a leader
//! and a follower. Kafka's `UNDEFINED_EPOCH_OFFSET` is `None` here; tests of undefined
//! inputs, `truncateFromStart`, checkpoints and the previous/next epoch lookups have no
//! counterpart in this API.

use kafka_lab::broker::epoch_cache::{
    diverging_epoch, truncation_for_divergence, EpochEntry, LeaderEpochFileCache, OffsetOutOfRange,
    Truncation,
};
use kafka_lab::broker::log::{BatchHeader, Log, LogRecord};
use kafka_lab::record::{RecordBlock, RecordData};

fn entries(cache: &LeaderEpochFileCache) -> Vec<(u32, u64)> {
    cache
        .entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect()
}

/// A cache after `assign` of each `(epoch, start offset)` in turn.
fn assigned(assignments: &[(u32, u64)]) -> LeaderEpochFileCache {
    let mut cache = LeaderEpochFileCache::default();
    for &(epoch, start_offset) in assignments {
        cache.assign(epoch, start_offset);
    }
    cache
}

#[test]
// LeaderEpochFileCacheTest.shouldAddEpochAndMessageOffsetToCache
fn should_add_epoch_and_message_offset_to_cache() {
    let cache = assigned(&[(2, 10)]);
    assert_eq!(cache.latest_epoch(), Some(2));
    assert_eq!(
        cache.entries()[0],
        EpochEntry {
            epoch: 2,
            start_offset: 10
        }
    );
    assert_eq!(cache.end_offset_for(2, 11), Some((2, 11)));
}

#[test]
// LeaderEpochFileCacheTest.shouldReturnLogEndOffsetIfLatestEpochRequested
fn should_return_log_end_offset_if_latest_epoch_requested() {
    let cache = assigned(&[(2, 11), (2, 12)]);
    assert_eq!(cache.end_offset_for(2, 14), Some((2, 14)));
}

#[test]
// LeaderEpochFileCacheTest.shouldNotOverwriteLogEndOffsetForALeaderEpochOnceItHasBeenAssigned
fn should_not_overwrite_log_end_offset_for_a_leader_epoch_once_it_has_been_assigned() {
    let cache = assigned(&[(2, 9), (2, 10)]);
    assert_eq!(entries(&cache), [(2, 9)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldEnforceMonotonicallyIncreasingStartOffsets
fn should_enforce_monotonically_increasing_start_offsets() {
    let cache = assigned(&[(2, 9), (3, 9)]);
    assert_eq!(entries(&cache), [(3, 9)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldNotOverwriteOffsetForALeaderEpochOnceItHasBeenAssigned
fn should_not_overwrite_offset_for_a_leader_epoch_once_it_has_been_assigned() {
    let cache = assigned(&[(2, 6), (2, 10)]);
    assert_eq!(cache.entries()[0].start_offset, 6);
}

#[test]
// LeaderEpochFileCacheTest.shouldReturnUnsupportedIfNoEpochRecorded
fn should_return_unsupported_if_no_epoch_recorded() {
    assert_eq!(LeaderEpochFileCache::default().end_offset_for(0, 0), None);
}

#[test]
// LeaderEpochFileCacheTest.shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch
fn should_return_first_epoch_if_requested_epoch_less_than_first_epoch() {
    let cache = assigned(&[(5, 11), (6, 12), (7, 13)]);
    assert_eq!(cache.end_offset_for(4, 0), Some((4, 11)));
}

#[test]
// LeaderEpochFileCacheTest.shouldTruncateIfMatchingEpochButEarlierStartingOffset
fn should_truncate_if_matching_epoch_but_earlier_starting_offset() {
    let cache = assigned(&[(5, 11), (6, 12), (7, 13), (7, 12)]);
    assert_eq!(cache.end_offset_for(5, 0), Some((5, 12)));
    assert_eq!(cache.end_offset_for(6, 0), Some((5, 12)));
}

#[test]
// LeaderEpochFileCacheTest.shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch
fn should_get_first_offset_of_subsequent_epoch_when_offset_requested_for_previous_epoch() {
    let cache = assigned(&[(1, 11), (1, 12), (2, 13), (2, 14), (3, 15), (3, 16)]);
    assert_eq!(cache.end_offset_for(2, 17), Some((2, 15)));
}

#[test]
// LeaderEpochFileCacheTest.shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested
fn should_return_next_available_epoch_if_there_is_no_exact_epoch_for_the_one_requested() {
    let cache = assigned(&[(0, 10), (2, 13), (4, 17)]);
    assert_eq!(cache.end_offset_for(1, 0), Some((0, 13)));
    assert_eq!(cache.end_offset_for(2, 0), Some((2, 17)));
    assert_eq!(cache.end_offset_for(3, 0), Some((2, 17)));
}

#[test]
// LeaderEpochFileCacheTest.shouldNotUpdateEpochAndStartOffsetIfItDidNotChange
fn should_not_update_epoch_and_start_offset_if_it_did_not_change() {
    let cache = assigned(&[(2, 6), (2, 7)]);
    assert_eq!(entries(&cache), [(2, 6)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldReturnInvalidOffsetIfEpochIsRequestedWhichIsNotCurrentlyTracked
fn should_return_invalid_offset_if_epoch_is_requested_which_is_not_currently_tracked() {
    let cache = assigned(&[(2, 100)]);
    assert_eq!(cache.end_offset_for(3, 100), None);
}

#[test]
// LeaderEpochFileCacheTest.shouldSupportEpochsThatDoNotStartFromZero
fn should_support_epochs_that_do_not_start_from_zero() {
    let cache = assigned(&[(2, 6)]);
    assert_eq!(cache.end_offset_for(2, 7), Some((2, 7)));
    assert_eq!(entries(&cache), [(2, 6)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldEnforceMonotonicallyIncreasingEpochs
fn should_enforce_monotonically_increasing_epochs() {
    // An epoch in the past at a later offset: the later epochs are dropped.
    let cache = assigned(&[(1, 5), (2, 6), (1, 7)]);
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for(1, 8), Some((1, 8)));
    assert_eq!(cache.end_offset_for(2, 8), None);
    assert_eq!(entries(&cache), [(1, 7)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldEnforceOffsetsIncreaseMonotonically
fn should_enforce_offsets_increase_monotonically() {
    let cache = assigned(&[(2, 6), (3, 5)]);
    assert_eq!(entries(&cache), [(3, 5)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes
fn should_increase_and_track_epochs_as_leaders_change_many_times() {
    let mut cache = assigned(&[(0, 0), (1, 0)]);
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for(1, 0), Some((1, 0)));
    assert_eq!(cache.end_offset_for(0, 0), Some((0, 0)));

    assert_eq!(cache.end_offset_for(1, 5), Some((1, 5)));
    assert_eq!(cache.end_offset_for(0, 5), Some((0, 0)));

    cache.assign(2, 5);
    assert_eq!(cache.end_offset_for(2, 10), Some((2, 10)));
    assert_eq!(cache.end_offset_for(1, 10), Some((1, 5)));
    assert_eq!(cache.end_offset_for(0, 10), Some((0, 0)));
}

#[test]
// LeaderEpochFileCacheTest.shouldIncreaseAndTrackEpochsAsFollowerReceivesManyMessages
fn should_increase_and_track_epochs_as_follower_receives_many_messages() {
    let mut cache = assigned(&[(0, 0), (0, 1), (0, 2)]);
    assert_eq!(cache.latest_epoch(), Some(0));
    assert_eq!(cache.end_offset_for(0, 3), Some((0, 3)));

    for offset in 3..6 {
        cache.assign(1, offset);
    }
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for(1, 6), Some((1, 6)));

    for offset in 6..9 {
        cache.assign(2, offset);
    }
    assert_eq!(cache.latest_epoch(), Some(2));
    assert_eq!(cache.end_offset_for(2, 9), Some((2, 9)));
    assert_eq!(cache.end_offset_for(0, 9), Some((0, 3)));
    assert_eq!(cache.end_offset_for(1, 9), Some((1, 6)));
}

#[test]
// LeaderEpochFileCacheTest.shouldDropEntriesOnEpochBoundaryWhenRemovingLatestEntries
fn should_drop_entries_on_epoch_boundary_when_removing_latest_entries() {
    let mut cache = assigned(&[(2, 6), (3, 8), (4, 11)]);
    cache.truncate_from_end(8);
    assert_eq!(entries(&cache), [(2, 6)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldDropEntriesBetweenEpochBoundaryWhenRemovingNewest
fn should_drop_entries_between_epoch_boundary_when_removing_newest() {
    let mut cache = assigned(&[(2, 6), (3, 8), (4, 11)]);
    cache.truncate_from_end(9);
    assert_eq!(cache.latest_epoch(), Some(3));
    assert_eq!(entries(&cache), [(2, 6), (3, 8)]);
}

#[test]
// LeaderEpochFileCacheTest.shouldFetchLatestEpochOfEmptyCache
fn should_fetch_latest_epoch_of_empty_cache() {
    assert_eq!(LeaderEpochFileCache::default().latest_epoch(), None);
}

#[test]
// LeaderEpochFileCacheTest.shouldFetchEndOffsetOfEmptyCache
fn should_fetch_end_offset_of_empty_cache() {
    assert_eq!(LeaderEpochFileCache::default().end_offset_for(7, 0), None);
}

#[test]
// LeaderEpochFileCacheTest.shouldClearLatestOnEmptyCache
fn should_clear_latest_on_empty_cache() {
    let mut cache = LeaderEpochFileCache::default();
    cache.truncate_from_end(7);
    assert_eq!(cache, LeaderEpochFileCache::default());
}

#[test]
// LeaderEpochFileCacheTest.shouldFetchEpochForGivenOffset
fn should_fetch_epoch_for_given_offset() {
    let cache = assigned(&[(0, 10), (1, 20), (5, 30)]);
    assert_eq!(cache.epoch_for_offset(25), Some(1));
    assert_eq!(cache.epoch_for_offset(20), Some(1));
    assert_eq!(cache.epoch_for_offset(30), Some(5));
    assert_eq!(cache.epoch_for_offset(50), Some(5));
    assert_eq!(cache.epoch_for_offset(5), None);
}

#[test]
// PartitionTest.testLastFetchedOffsetValidation (up to where it moves the log start offset)
fn last_fetched_offset_validation() {
    // Batches in epochs 0 (offsets 0–1), 3 (2–7), 4 (8–12), 7 (13), 9 (14–16), LEO 17;
    // then the replica becomes leader in epoch 10 (`makeLeader` assigns it at the LEO).
    let leader = assigned(&[(0, 0), (3, 2), (4, 8), (7, 13), (9, 14), (10, 17)]);
    let read = |last_fetched_epoch, fetch_offset| {
        diverging_epoch(&leader, 17, fetch_offset, Some(last_fetched_epoch))
    };
    assert_eq!(read(2, 5), Ok(Some((0, 2))));
    assert_eq!(read(0, 4), Ok(Some((0, 2))));
    assert_eq!(read(6, 6), Ok(Some((4, 13))));
    assert_eq!(read(5, 9), Ok(Some((4, 13))));
    assert_eq!(read(10, 18), Ok(Some((10, 17))));
    assert_eq!(read(0, 2), Ok(None));
    assert_eq!(read(7, 14), Ok(None));
    assert_eq!(read(9, 17), Ok(None));
    assert_eq!(read(10, 17), Ok(None));
    // An epoch above any the leader knows.
    assert_eq!(read(11, 5), Err(OffsetOutOfRange));
}

#[test]
fn log_truncate_to_drops_records_at_and_above_the_offset() {
    let data = RecordBlock::default().make(RecordData {
        key: None,
        value: None,
        timestamp: 0,
    });
    let mut log = Log::default();
    for offset in 0..5 {
        let header = BatchHeader {
            batch_offset: offset,
            producer_id: -1,
            producer_epoch: -1,
            leader_epoch: 0,
            append_ms: 0,
            records: 1,
            bytes: 70,
            transactional: false,
            control: None,
            coordinator_epoch: -1,
        };
        let record = LogRecord::new(&header, offset, -1, data.clone(), (0, offset as u32));
        log.append_batch(0, [record], 0);
    }
    log.truncate_to(7, 0);
    assert_eq!(log.log_end_offset(), 5);
    log.truncate_to(3, 0);
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(log.records().last().map(|r| r.offset), Some(2));
    // The segment keeps the size of the batches left in it.
    assert_eq!(log.size_in_bytes(), 3 * 70);
}

/// A replica in the fetch tests: the leader epoch of each offset in its log, the epoch
/// cache that appends keep (`UnifiedLog.append` assigns each batch's epoch at its base
/// offset), and its high watermark.
#[derive(Debug)]
struct Replica {
    log: Vec<u32>,
    cache: LeaderEpochFileCache,
    high_watermark: u64,
}

impl Replica {
    fn new(log: &[u32], high_watermark: u64) -> Self {
        let mut replica = Replica {
            log: Vec::new(),
            cache: LeaderEpochFileCache::default(),
            high_watermark,
        };
        for &epoch in log {
            replica.append(epoch);
        }
        replica
    }

    fn log_end_offset(&self) -> u64 {
        self.log.len() as u64
    }

    fn append(&mut self, epoch: u32) {
        self.cache.assign(epoch, self.log_end_offset());
        self.log.push(epoch);
    }

    /// `UnifiedLog.truncateTo`: the log and the epochs that started in the dropped part.
    fn truncate_to(&mut self, offset: u64) {
        self.log.truncate(offset as usize);
        self.cache.truncate_from_end(offset);
    }
}

/// What one fetch did.
#[derive(Debug, PartialEq)]
enum Round {
    Diverged((u32, u64), Truncation),
    Copied(usize),
}

/// One follower fetch from its log end with its latest epoch as last fetched epoch: the
/// leader answers a divergence, which the follower truncates by, or the records from
/// the fetch offset, which it appends, taking the leader's high watermark up to its LEO.
fn fetch(leader: &Replica, follower: &mut Replica) -> Round {
    let fetch_offset = follower.log_end_offset();
    let last_fetched_epoch = follower.cache.latest_epoch();
    let diverging = diverging_epoch(
        &leader.cache,
        leader.log_end_offset(),
        fetch_offset,
        last_fetched_epoch,
    )
    .expect("the leader knows the follower's last fetched epoch");
    match diverging {
        Some(diverging) => {
            let truncation =
                truncation_for_divergence(&follower.cache, follower.log_end_offset(), diverging);
            let (Truncation::To(offset) | Truncation::ToAndRetry(offset)) = truncation;
            follower.truncate_to(offset);
            Round::Diverged(diverging, truncation)
        }
        None => {
            let records = &leader.log[fetch_offset as usize..];
            for &epoch in records {
                follower.append(epoch);
            }
            follower.high_watermark = leader.high_watermark.min(follower.log_end_offset());
            Round::Copied(records.len())
        }
    }
}

/// Fetches until the follower's log equals the leader's (Kafka's `doWork` loop in
/// `waitUntilTrue`), returning the rounds.
fn fetch_until_in_sync(leader: &Replica, follower: &mut Replica) -> Vec<Round> {
    let mut rounds = Vec::new();
    while follower.log != leader.log {
        assert!(rounds.len() < 10, "no convergence: {rounds:?}");
        rounds.push(fetch(leader, follower));
    }
    rounds
}

#[test]
// AbstractFetcherThreadTest.testDivergingEpochs
fn diverging_epochs() {
    let mut follower = Replica::new(&[0, 2, 4], 0);
    assert_eq!(follower.log_end_offset(), 3);
    assert_eq!(follower.cache.latest_epoch(), Some(4));
    let leader = Replica::new(&[0, 2, 5], 2);

    assert_eq!(
        fetch(&leader, &mut follower),
        Round::Diverged((2, 2), Truncation::To(2))
    );
    assert_eq!(follower.cache.latest_epoch(), Some(2));

    assert_eq!(
        fetch_until_in_sync(&leader, &mut follower),
        [Round::Copied(1)]
    );
    assert_eq!(follower.cache.latest_epoch(), Some(5));
}

#[test]
// AbstractFetcherThreadTest.testTruncation
fn truncation() {
    let mut follower = Replica::new(&[0, 2, 4], 0);
    let leader = Replica::new(&[1, 3, 5], 2);

    // The follower never had epochs 3 and 1: each round truncates to where its own
    // earlier epoch ends and asks again.
    assert_eq!(
        fetch_until_in_sync(&leader, &mut follower),
        [
            Round::Diverged((3, 2), Truncation::ToAndRetry(2)),
            Round::Diverged((1, 1), Truncation::ToAndRetry(1)),
            Round::Diverged((0, 0), Truncation::To(0)),
            Round::Copied(3),
        ]
    );
    assert_eq!(follower.log_end_offset(), leader.log_end_offset());
    assert_eq!(follower.high_watermark, 2);
}

#[test]
// broker.md §8, worked example: an acks=1 write lost when its leader fails before any fetch.
fn acks_one_records_are_truncated_on_the_old_leader() {
    // Broker 1 led epoch 0 and wrote offsets 0–12; broker 2 took over in epoch 1 at
    // offset 10 and wrote 10–11.
    let mut old_leader = Replica::new(&[0; 13], 10);
    let mut log = vec![0; 10];
    log.extend([1, 1]);
    let new_leader = Replica::new(&log, 12);
    assert_eq!(entries(&new_leader.cache), [(0, 0), (1, 10)]);

    // Fetch 13 with last fetched epoch 0: epoch 0 ends at 10 on the leader; the old
    // leader's own epoch 0 ends at its LEO 13, so the same epoch: truncate to 10.
    assert_eq!(
        fetch_until_in_sync(&new_leader, &mut old_leader),
        [
            Round::Diverged((0, 10), Truncation::To(10)),
            Round::Copied(2),
        ]
    );
    assert_eq!(entries(&old_leader.cache), [(0, 0), (1, 10)]);
}
