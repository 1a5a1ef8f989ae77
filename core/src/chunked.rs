//! A growing sequence stored in shared chunks, for what a run accumulates (logs, sends,
//! consumed records, the trace, metrics windows): cloning it copies one pointer per
//! chunk, not the elements, so a snapshot of a whole simulation (the app's seek and step
//! back) costs little whatever the run's length. A chunk shared with a snapshot is
//! copied on its first write (`Rc::make_mut`), so the snapshot never changes.
//!
//! What a run no longer needs can be forgotten from the front (`forget_before`; the
//! memory goes a whole chunk at a time): indices stay those of the whole sequence, so a
//! record's offset or a send's index still names it, and the forgotten ones are simply no
//! longer there.

use std::ops::{Index, IndexMut};
use std::rc::Rc;

/// Elements per chunk: small enough that copying a shared chunk on write is cheap,
/// large enough that a clone copies few pointers.
const CHUNK: usize = 128;

/// `Rc::make_mut` with the common case inline: a chunk no snapshot shares is written in
/// place; only a shared one is copied, out of line.
#[inline(always)]
fn own<T: Clone>(chunk: &mut Rc<Vec<T>>) -> &mut Vec<T> {
    if Rc::get_mut(chunk).is_none() {
        copy(chunk);
    }
    Rc::get_mut(chunk).expect("just made unique")
}

#[inline(never)]
fn copy<T: Clone>(chunk: &mut Rc<Vec<T>>) {
    *chunk = Rc::new(Vec::clone(chunk));
}

#[derive(Clone)]
pub struct Chunked<T> {
    chunks: Vec<Rc<Vec<T>>>,
    /// The index of `chunks[0][0]`.
    base: usize,
    /// The index of the first element kept: those before it were forgotten (the ones
    /// still in the first chunk are only hidden).
    start: usize,
    /// One past the last index.
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            base: 0,
            start: 0,
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, value: T) {
        // Every chunk but the last is full: the last one's length says whether it has room.
        debug_assert!(self
            .chunks
            .last()
            .is_none_or(|last| (last.len() < CHUNK) == ((self.len - self.base) % CHUNK != 0)));
        let last = match self.chunks.last_mut().and_then(Rc::get_mut) {
            Some(last) if last.len() < CHUNK => last,
            _ => self.make_room(),
        };
        last.push(value);
        self.len += 1;
    }

    /// The last chunk, made ready for a push: a new one when it is full, else a copy of
    /// a shared one. Out of line: a push into a chunk with room (nearly every push) makes
    /// no call, and is small enough to inline into the ledger's per-record loops.
    #[inline(never)]
    fn make_room(&mut self) -> &mut Vec<T> {
        if (self.len - self.base) % CHUNK == 0 {
            self.chunks.push(Rc::new(Vec::with_capacity(CHUNK)));
        }
        own(self.chunks.last_mut().expect("a chunk is open"))
    }

    /// Pushes every element of `values`, a chunk's room at a time (a log appends whole
    /// batches: pushed one by one, each paid for the chunk's checks). The first of each
    /// run is pushed alone, which opens a chunk when one is full; the rest of its room is
    /// filled in one go (no `Peekable`, which moved every element through an `Option`).
    pub fn extend(&mut self, values: impl IntoIterator<Item = T>) {
        let mut values = values.into_iter();
        while let Some(first) = values.next() {
            self.push(first);
            let room = (CHUNK - (self.len - self.base) % CHUNK) % CHUNK;
            let Some(last) = self.chunks.last_mut() else {
                return;
            };
            let last = own(last);
            let before = last.len();
            last.extend(values.by_ref().take(room));
            self.len += last.len() - before;
        }
    }

    /// Moves every element of `values` onto the end (a follower's fetched records). What
    /// fits in a chunk's room moves in one copy; `extend` moved them one by one, each
    /// through its iterators' checks.
    pub fn append(&mut self, values: Vec<T>) {
        let mut values = values.into_iter();
        while values.len() > 0 {
            let room = (self.len - self.base) % CHUNK != 0;
            let last = match self.chunks.last_mut().and_then(Rc::get_mut) {
                Some(last) if room && last.len() < last.capacity() => last,
                _ => self.make_room(),
            };
            let n = values.len().min(CHUNK - last.len());
            if n == values.len() {
                last.extend(values);
                self.len += n;
                return;
            }
            last.extend(values.by_ref().take(n));
            self.len += n;
        }
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len || i < self.start {
            return None;
        }
        let k = i - self.base;
        own(&mut self.chunks[k / CHUNK]).get_mut(k % CHUNK)
    }

    /// The elements from index `i` to the end of its chunk (none if `i` is not kept): a
    /// run of neighbours written with one lookup.
    pub fn chunk_from_mut(&mut self, i: usize) -> &mut [T] {
        if i >= self.len || i < self.start {
            return &mut [];
        }
        let k = i - self.base;
        &mut own(&mut self.chunks[k / CHUNK])[k % CHUNK..]
    }

    /// Calls `f` on each of `indices` and its element in turn: neighbours in one chunk are
    /// found with one lookup (a batch's records are mostly consecutive sends, written at
    /// its drain and its completion).
    #[inline]
    pub fn each_mut(
        &mut self,
        indices: impl IntoIterator<Item = usize>,
        mut f: impl FnMut(usize, &mut T),
    ) {
        // The elements from index `first` to the end of its chunk.
        let mut first = 0;
        let mut run: &mut [T] = &mut [];
        for i in indices {
            if i.wrapping_sub(first) >= run.len() {
                first = i;
                run = self.chunk_from_mut(i);
            }
            f(i, &mut run[i - first]);
        }
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.len.checked_sub(1).and_then(|i| self.get_mut(i))
    }

    /// Empties it: the next element pushed has index `i`.
    pub fn restart_at(&mut self, i: usize) {
        self.chunks.clear();
        (self.base, self.start, self.len) = (i, i, i);
    }

    /// Keeps the elements before index `len` (what is kept of them). Cut below what is
    /// kept, it is empty and grows again from `len`.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        if len <= self.start {
            return self.restart_at(len);
        }
        let k = len - self.base;
        self.chunks.truncate(k.div_ceil(CHUNK));
        if k % CHUNK != 0 {
            if let Some(last) = self.chunks.last_mut() {
                own(last).truncate(k % CHUNK);
            }
        }
        self.len = len;
    }
}

impl<T> Chunked<T> {
    /// One past the last index: how many elements were pushed (and not truncated),
    /// forgotten ones included.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index of the first element still kept.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Forgets the elements before index `i`. Their memory goes with their chunk: up to
    /// a chunk's worth may stay, hidden.
    pub fn forget_before(&mut self, i: usize) {
        let i = i.min(self.len);
        if i <= self.start {
            return;
        }
        self.start = i;
        let whole = (i - self.base) / CHUNK;
        if whole > 0 {
            self.chunks.drain(..whole);
            self.base += whole * CHUNK;
        }
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.start {
            return None;
        }
        let k = i - self.base;
        self.chunks.get(k / CHUNK).and_then(|c| c.get(k % CHUNK))
    }

    /// The first element kept.
    pub fn first(&self) -> Option<&T> {
        self.get(self.start)
    }

    /// The last element kept (none once all are forgotten, though their chunk stays).
    pub fn last(&self) -> Option<&T> {
        if self.start == self.len {
            return None;
        }
        self.chunks.last().and_then(|c| c.last())
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The elements from index `start` on (those kept), without walking the ones before.
    pub fn iter_from(&self, start: usize) -> Iter<'_, T> {
        self.range(start, self.len)
    }

    /// The elements `start..end` (those kept), without walking the others.
    pub fn range(&self, start: usize, end: usize) -> Iter<'_, T> {
        let end = end.min(self.len).saturating_sub(self.base);
        let start = start.max(self.start).saturating_sub(self.base).min(end);
        let mut iter = Iter {
            front: [].iter(),
            chunks: [].iter(),
            back: [].iter(),
            remaining: end - start,
        };
        if start == end {
            return iter;
        }
        let (a, b) = (start / CHUNK, (end - 1) / CHUNK);
        if a == b {
            iter.front = self.chunks[a][start % CHUNK..end - a * CHUNK].iter();
        } else {
            iter.front = self.chunks[a][start % CHUNK..].iter();
            iter.chunks = self.chunks[a + 1..b].iter();
            iter.back = self.chunks[b][..end - b * CHUNK].iter();
        }
        iter
    }

    /// Clones the elements `start..end` (those kept) onto `v`, a chunk's run at a time:
    /// a fetch response copies a log's tail, which element by element through `range`
    /// paid the iterator's chunk checks for every record.
    pub fn clone_range_into(&self, start: usize, end: usize, v: &mut Vec<T>)
    where
        T: Clone,
    {
        // `range`'s bounds, without its iterator's three slices.
        let end = end.min(self.len).saturating_sub(self.base);
        let mut k = start.max(self.start).saturating_sub(self.base).min(end);
        v.reserve(end - k);
        while k < end {
            let i = k % CHUNK;
            let n = (CHUNK - i).min(end - k);
            v.extend_from_slice(&self.chunks[k / CHUNK][i..i + n]);
            k += n;
        }
    }

    /// The index of the first element kept for which `pred` is false, the elements being
    /// partitioned by it (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let whole = self
            .chunks
            .partition_point(|c| c.last().is_some_and(&mut pred));
        match self.chunks.get(whole) {
            Some(c) => (self.base + whole * CHUNK + c.partition_point(pred)).max(self.start),
            None => self.len,
        }
    }
}

#[derive(Clone)]
pub struct Iter<'a, T> {
    front: std::slice::Iter<'a, T>,
    chunks: std::slice::Iter<'a, Rc<Vec<T>>>,
    back: std::slice::Iter<'a, T>,
    remaining: usize,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.front.next() {
                self.remaining -= 1;
                return Some(x);
            }
            match self.chunks.next() {
                Some(c) => self.front = c.iter(),
                None => {
                    let x = self.back.next();
                    self.remaining -= x.is_some() as usize;
                    return x;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.back.next_back() {
                self.remaining -= 1;
                return Some(x);
            }
            match self.chunks.next_back() {
                Some(c) => self.back = c.iter(),
                None => {
                    let x = self.front.next_back();
                    self.remaining -= x.is_some() as usize;
                    return x;
                }
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Out of line and not generic: an index's panic, formatted in every element type's
/// `index` and `index_mut`, made each keep a stack frame for it.
#[cold]
#[inline(never)]
fn forgotten(i: usize, start: usize) -> ! {
    panic!("index {i} was forgotten (kept from {start})")
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        if i < self.start {
            forgotten(i, self.start);
        }
        let k = i - self.base;
        &self.chunks[k / CHUNK][k % CHUNK]
    }
}

impl<T: Clone> IndexMut<usize> for Chunked<T> {
    /// Inline: a producer's sends are written through it twice a record, and out of line
    /// each call saved and restored registers around its dozen instructions.
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        if i < self.start {
            forgotten(i, self.start);
        }
        let k = i - self.base;
        &mut own(&mut self.chunks[k / CHUNK])[k % CHUNK]
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.start == other.start && self.iter().eq(other.iter())
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Clone> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut c = Chunked::new();
        for x in iter {
            c.push(x);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunk_boundaries() {
        let mut c: Chunked<usize> = (0..1000).collect();
        let v: Vec<usize> = (0..1000).collect();
        assert_eq!(c.len(), 1000);
        assert!(c.iter().eq(v.iter()));
        assert!(c.iter().rev().eq(v.iter().rev()));
        for (a, b) in [
            (0, 0),
            (0, 1),
            (3, 256),
            (127, 129),
            (255, 257),
            (256, 512),
            (10, 900),
            (999, 1000),
        ] {
            assert!(c.range(a, b).eq(v[a..b].iter()), "{a}..{b}");
            assert!(c.range(a, b).rev().eq(v[a..b].iter().rev()), "{a}..{b}");
            let mut onto = vec![7];
            c.clone_range_into(a, b, &mut onto);
            assert_eq!((onto[0], &onto[1..]), (7, &v[a..b]), "{a}..{b}");
        }
        let mut both = c.iter_from(200);
        assert_eq!(
            (both.next(), both.next_back(), both.len()),
            (Some(&200), Some(&999), 798)
        );
        assert!(both.rev().eq(v[201..999].iter().rev()));
        for start in [0, 1, 255, 256, 257, 999, 1000, 2000] {
            assert!(c.iter_from(start).eq(v.iter().skip(start)), "{start}");
        }
        for x in [0, 1, 300, 511, 512, 999, 1000] {
            assert_eq!(c.partition_point(|&e| e < x), x);
        }
        assert_eq!((c[0], c[256], c[999]), (0, 256, 999));
        assert_eq!(c.last(), Some(&999));
        for len in [1000, 700, 512, 300, 256, 1, 0] {
            c.truncate(len);
            assert_eq!(c.len(), len);
            assert!(c.iter().eq(v[..len].iter()), "{len}");
            assert_eq!(c.last(), v[..len].last());
        }
        c.push(7);
        assert_eq!((c.len(), c[0]), (1, 7));
        c.append((8..300).collect());
        c.append(Vec::new());
        c.append((300..310).collect());
        assert!(c.iter().copied().eq([7].into_iter().chain(8..310)));
    }

    #[test]
    fn a_clone_is_a_snapshot_the_original_cannot_change() {
        let mut c: Chunked<u32> = (0..600).collect();
        let snapshot = c.clone();
        c[10] = 99;
        c.push(600);
        *c.last_mut().unwrap() += 1;
        c.truncate(300);
        c.push(5);
        let truncated = c.clone();
        c.append(vec![6, 7]);
        assert!(truncated
            .iter()
            .copied()
            .eq((0..300).map(|i| if i == 10 { 99 } else { i }).chain([5])));
        assert_eq!(snapshot.len(), 600);
        assert!(snapshot.iter().copied().eq(0..600));
        assert_eq!((c[10], c[300], c[302], c.len()), (99, 5, 7, 303));
    }

    #[test]
    fn forgetting_the_front_keeps_every_index() {
        let mut c: Chunked<usize> = (0..1000).collect();
        let snapshot = c.clone();
        c.forget_before(300);
        assert_eq!((c.start(), c.len(), c.first()), (300, 1000, Some(&300)));
        assert_eq!((c.get(299), c.get(300), c[999]), (None, Some(&300), 999));
        // The memory went with whole chunks: 256..300 are only hidden.
        assert_eq!((c.base, c.chunks.len()), (256, 6));
        assert!(c.iter().copied().eq(300..1000));
        assert!(c.iter().rev().copied().eq((300..1000).rev()));
        assert!(c.range(0, 310).copied().eq(300..310));
        assert!(c.range(500, 700).rev().copied().eq((500..700).rev()));
        for (a, b) in [(0, 310), (250, 256), (500, 700), (990, 2000)] {
            let mut onto = Vec::new();
            c.clone_range_into(a, b, &mut onto);
            assert!(onto.iter().eq(c.range(a, b)), "{a}..{b}");
        }
        assert_eq!(c.partition_point(|&e| e < 10), 300);
        assert_eq!(c.partition_point(|&e| e < 600), 600);
        c[300] = 7;
        c.push(1000);
        assert_eq!((c[300], c[1000], c.len()), (7, 1000, 1001));
        c.forget_before(100);
        assert_eq!(c.start(), 300);
        c.truncate(400);
        let expected = (300..400).map(|i| if i == 300 { 7 } else { i });
        assert!(c.iter().copied().eq(expected));
        // Cut below what is kept: empty, and it grows again from there.
        c.truncate(200);
        assert_eq!((c.start(), c.len(), c.first()), (200, 200, None));
        for i in 200..500 {
            c.push(i);
        }
        assert!(c.iter().copied().eq(200..500));
        assert_eq!((c[200], c[327], c[328], c[499]), (200, 327, 328, 499));
        c.forget_before(450);
        assert!(c.iter().copied().eq(450..500));
        assert_eq!(c.base, 328);
        // All forgotten: their last chunk stays, hidden, and nothing is last.
        c.forget_before(500);
        assert_eq!((c.first(), c.last()), (None, None));
        assert_eq!(c.last_mut(), None);
        assert!(snapshot.iter().copied().eq(0..1000));
    }
}
