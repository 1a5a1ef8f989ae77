//! `LeaderEpochFileCache`: for one replica, the offset at which each leader epoch began,
//! and the two halves of divergence detection built on it (KIP-101, KIP-279, KIP-320;
//! truncation on fetch since 2.8, KAFKA-10554): the leader's check in
//! `Partition.readRecords` and the follower's answer in
//! `AbstractFetcherThread.getOffsetTruncationState` (`broker.md` §8).

/// One `EpochEntry`: the first offset written in `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: u32,
    pub start_offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderEpochFileCache {
    /// Strictly increasing in both epoch and start offset: `assign` keeps it so, which is
    /// what lets every lookup be a scan from one end.
    entries: Vec<EpochEntry>,
}

impl LeaderEpochFileCache {
    /// `assign`: records that `epoch` starts at `start_offset`. Repeating the latest
    /// epoch at the same or a later offset changes nothing (every append in an epoch
    /// assigns it). Anything else is taken: first the entries from the end whose epoch or
    /// start offset is not below the new one are dropped
    /// (`maybeTruncateNonMonotonicEntries`), so epochs and offsets both keep increasing —
    /// an epoch below the latest therefore erases the later ones.
    pub fn assign(&mut self, epoch: u32, start_offset: u64) {
        if let Some(latest) = self.entries.last() {
            if latest.epoch == epoch && latest.start_offset <= start_offset {
                return;
            }
        }
        while let Some(last) = self.entries.last() {
            if last.epoch < epoch && last.start_offset < start_offset {
                break;
            }
            self.entries.pop();
        }
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
    }

    pub fn latest_epoch(&self) -> Option<u32> {
        self.entries.last().map(|e| e.epoch)
    }

    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// `epochForOffset`: the epoch of the last entry starting at or before `offset`;
    /// none when `offset` is before the first entry.
    pub fn epoch_for_offset(&self, offset: u64) -> Option<u32> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.start_offset <= offset)
            .map(|e| e.epoch)
    }

    /// `endOffsetFor`: the largest cached epoch ≤ `requested_epoch` and where it ends —
    /// the start of the next cached epoch, or `log_end_offset` for the latest epoch.
    /// Below the first entry the requested epoch itself is answered with the first start
    /// offset (older data is gone, replicate from there). `None` is Kafka's
    /// `UNDEFINED_EPOCH_OFFSET`: nothing cached, or an epoch above the latest.
    pub fn end_offset_for(&self, requested_epoch: u32, log_end_offset: u64) -> Option<(u32, u64)> {
        if self.latest_epoch() == Some(requested_epoch) {
            return Some((requested_epoch, log_end_offset));
        }
        let higher = self
            .entries
            .iter()
            .position(|e| e.epoch > requested_epoch)?;
        let end_offset = self.entries[higher].start_offset;
        let epoch = match higher {
            0 => requested_epoch,
            _ => self.entries[higher - 1].epoch,
        };
        Some((epoch, end_offset))
    }

    /// `truncateFromStart`: when the log now starts at `start_offset`, the entries
    /// starting at or before it go, but the last of them stays, moved to start there.
    pub fn truncate_from_start(&mut self, start_offset: u64) {
        let before = self
            .entries
            .iter()
            .take_while(|e| e.start_offset <= start_offset)
            .count();
        if before > 0 {
            let epoch = self.entries[before - 1].epoch;
            self.entries.drain(..before);
            self.entries.insert(
                0,
                EpochEntry {
                    epoch,
                    start_offset,
                },
            );
        }
    }

    /// `truncateFromEnd`: forgets the epochs that start at or after `end_offset`, when
    /// the log is truncated there.
    pub fn truncate_from_end(&mut self, end_offset: u64) {
        while self
            .entries
            .last()
            .is_some_and(|e| e.start_offset >= end_offset)
        {
            self.entries.pop();
        }
    }
}

/// `OFFSET_OUT_OF_RANGE` from a follower fetch: the leader cannot place the follower's
/// last fetched epoch, so the follower resets its position (`fetchOffsetAndTruncate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetOutOfRange;

/// The leader's check in `Partition.readRecords`, before any data is read: if the
/// follower's last fetched epoch ends earlier on the leader than where the follower is,
/// or is not an epoch the leader wrote, the follower's log has diverged, and the answer
/// is the leader's `(epoch, end offset)` for it instead of records. A fetch without a
/// last fetched epoch is not checked. The check precedes the log's range check, so a
/// fetch past the leader's end reports divergence rather than out of range. (Kafka also
/// answers out of range below the log start offset, which is always 0 here.)
pub fn diverging_epoch(
    leader_cache: &LeaderEpochFileCache,
    leader_leo: u64,
    fetch_offset: u64,
    last_fetched_epoch: Option<u32>,
) -> Result<Option<(u32, u64)>, OffsetOutOfRange> {
    let Some(last_fetched_epoch) = last_fetched_epoch else {
        return Ok(None);
    };
    let (epoch, end_offset) = leader_cache
        .end_offset_for(last_fetched_epoch, leader_leo)
        .ok_or(OffsetOutOfRange)?;
    let diverged = epoch < last_fetched_epoch || end_offset < fetch_offset;
    Ok(diverged.then_some((epoch, end_offset)))
}

/// Where a follower truncates on a diverging epoch (`OffsetTruncationState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truncation {
    /// Truncation complete: truncate to this offset and fetch from there.
    To(u64),
    /// The follower never had the leader's epoch: truncate to where its own earlier
    /// epoch ends, then fetch again and let the leader tell the next divergence.
    ToAndRetry(u64),
}

/// `AbstractFetcherThread.getOffsetTruncationState` for the leader's `diverging`
/// (epoch E, end offset O): with the follower's own (E', O') for E, truncate to
/// min(O, O', LEO) if E' = E, else to min(O', LEO) and retry. A follower with no epoch
/// data for E takes the leader's offset: min(O, LEO). (Kafka's undefined epoch or
/// offset from the leader cannot come with a divergence.)
pub fn truncation_for_divergence(
    follower_cache: &LeaderEpochFileCache,
    follower_leo: u64,
    diverging: (u32, u64),
) -> Truncation {
    let (epoch, end_offset) = diverging;
    match follower_cache.end_offset_for(epoch, follower_leo) {
        Some((own_epoch, own_end)) if own_epoch == epoch => {
            Truncation::To(end_offset.min(own_end).min(follower_leo))
        }
        Some((_, own_end)) => Truncation::ToAndRetry(own_end.min(follower_leo)),
        None => Truncation::To(end_offset.min(follower_leo)),
    }
}
