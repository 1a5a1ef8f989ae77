//! Sorted-`Vec` maps and sets: `BTreeMap`'s and `BTreeSet`'s order, with the part of
//! their API the code base uses.
//!
//! Every key/value type of a B-tree monomorphises its node code; ~40 of them were
//! ~180 KB of the web bundle's wasm (issue 8). A binary search over a `Vec` is a few
//! hundred bytes per type. The simulation's maps are small (brokers, producers,
//! partitions, requests and messages in flight), and keys mostly arrive in order, which
//! `insert` appends without a search. Inserting or removing elsewhere moves the entries
//! after it: take a large value out with `get_mut` rather than removing and inserting it.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Index;

/// A map kept as a `Vec` of entries sorted by key.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// Where `key` is in `keys` (`Ok`), or where it would go (`Err`); the last key is
/// compared first, so keys arriving in order are found or appended at once.
fn find<T, Q: Ord + ?Sized>(
    entries: &[T],
    key: &Q,
    key_of: impl Fn(&T) -> &Q,
) -> Result<usize, usize> {
    match entries.last().map(|last| key_of(last).cmp(key)) {
        None | Some(Ordering::Less) => Err(entries.len()),
        Some(Ordering::Equal) => Ok(entries.len() - 1),
        Some(Ordering::Greater) => entries.binary_search_by(|e| key_of(e).cmp(key)),
    }
}

impl<K, V> VecMap<K, V> {
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        find(&self.entries, key, |(k, _)| k.borrow())
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; returns the one it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let at = self.find(&key);
        Entry {
            entries: &mut self.entries,
            key,
            at,
        }
    }

    /// `find` for keys that are mostly all of `0..n` (a topic's partitions): a key at its
    /// own position `at` is found without the binary search, whose dependent loads were
    /// most of the accumulator's append.
    fn find_near(&self, key: &K, at: usize) -> Result<usize, usize> {
        match self.entries.get(at) {
            Some((k, _)) if k == key => Ok(at),
            _ => self.find(key),
        }
    }

    pub fn get_near(&self, key: &K, at: usize) -> Option<&V> {
        self.find_near(key, at).ok().map(|i| &self.entries[i].1)
    }

    pub fn entry_near(&mut self, key: K, at: usize) -> Entry<'_, K, V> {
        let at = self.find_near(&key, at);
        Entry {
            entries: &mut self.entries,
            key,
            at,
        }
    }
}

impl<K, V> VecMap<K, V> {
    /// The value of the `i`-th entry in key order.
    pub fn value_at(&self, i: usize) -> Option<&V> {
        self.entries.get(i).map(|(_, v)| v)
    }

    pub fn value_at_mut(&mut self, i: usize) -> Option<&mut V> {
        self.entries.get_mut(i).map(|(_, v)| v)
    }
}

/// A key's place in a [`VecMap`], found once for a lookup and a possible insertion.
pub struct Entry<'a, K, V> {
    entries: &'a mut Vec<(K, V)>,
    key: K,
    at: Result<usize, usize>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn or_insert_with(self, value: impl FnOnce() -> V) -> &'a mut V {
        let i = match self.at {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (self.key, value()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn or_insert(self, value: V) -> &'a mut V {
        self.or_insert_with(|| value)
    }

    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> Index<&Q> for VecMap<K, V> {
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

/// The last value of a repeated key wins, as in `BTreeMap`.
impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = VecMap::new();
        map.extend(entries);
        map
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&(K, V)) -> (&K, &V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter =
        std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&mut (K, V)) -> (&K, &mut V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

/// A set kept as a sorted `Vec`.
#[derive(Clone, PartialEq, Eq)]
pub struct VecSet<T> {
    items: Vec<T>,
}

impl<T> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { items: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn last(&self) -> Option<&T> {
        self.items.last()
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
    }
}

impl<T: Ord> VecSet<T> {
    fn find<Q: Ord + ?Sized>(&self, item: &Q) -> Result<usize, usize>
    where
        T: Borrow<Q>,
    {
        find(&self.items, item, |t| t.borrow())
    }

    pub fn contains<Q: Ord + ?Sized>(&self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(item).is_ok()
    }

    /// Adds `item`; false if it was there already.
    pub fn insert(&mut self, item: T) -> bool {
        match self.find(&item) {
            Ok(_) => false,
            Err(i) => {
                self.items.insert(i, item);
                true
            }
        }
    }

    /// Takes `item` out; false if it was not there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, item: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.find(item).map(|i| self.items.remove(i)).is_ok()
    }
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for t in items {
            self.insert(t);
        }
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut set = VecSet::new();
        set.extend(items);
        set
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use std::collections::{BTreeMap, BTreeSet};

    /// Random operations on both, the keys few enough to repeat, in runs that arrive in
    /// order (the fast path) and at random.
    #[test]
    fn behaves_as_the_b_trees() {
        let mut rng = Rng::new(7);
        let mut ours: VecMap<u32, u64> = VecMap::new();
        let mut theirs: BTreeMap<u32, u64> = BTreeMap::new();
        let mut set: VecSet<u32> = VecSet::new();
        let mut tree: BTreeSet<u32> = BTreeSet::new();
        let mut next = 0;
        for step in 0..20_000u64 {
            let k = if rng.below(2) == 0 {
                next += rng.below(3);
                next % 200
            } else {
                rng.below(200)
            };
            match rng.below(8) {
                0..=2 => {
                    assert_eq!(ours.insert(k, step), theirs.insert(k, step));
                    assert_eq!(set.insert(k), tree.insert(k));
                }
                3 => {
                    assert_eq!(ours.remove(&k), theirs.remove(&k));
                    assert_eq!(set.remove(&k), tree.remove(&k));
                }
                4 => {
                    *ours.entry(k).or_default() += step;
                    *theirs.entry(k).or_default() += step;
                }
                5 => {
                    if let (Some(a), Some(b)) = (ours.get_mut(&k), theirs.get_mut(&k)) {
                        *a += 1;
                        *b += 1;
                    }
                    assert_eq!(ours.contains_key(&k), theirs.contains_key(&k));
                    assert_eq!(set.contains(&k), tree.contains(&k));
                }
                6 if step % 50 == 0 => {
                    ours.retain(|&k, v| (k as u64 + *v) % 3 != 0);
                    theirs.retain(|&k, v| (k as u64 + *v) % 3 != 0);
                    set.retain(|&k| k % 5 != 0);
                    tree.retain(|&k| k % 5 != 0);
                }
                _ => assert_eq!(ours.get(&k), theirs.get(&k)),
            }
            assert_eq!(ours.len(), theirs.len());
            assert_eq!(ours.iter().next(), theirs.iter().next());
            assert_eq!(ours.iter().next_back(), theirs.iter().next_back());
            assert_eq!(set.first(), tree.first());
            assert_eq!(set.last(), tree.last());
        }
        assert!(ours.iter().eq(theirs.iter()));
        assert!(ours.keys().rev().eq(theirs.keys().rev()));
        assert!(ours.values().eq(theirs.values()));
        assert!(set.iter().eq(tree.iter()));
        assert!(ours.clone().into_iter().eq(theirs.clone()));
        assert!(set.clone().into_iter().eq(tree.clone()));
    }

    #[test]
    fn collects_as_the_b_trees() {
        let pairs = [(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (2, 'e'), (1, 'f')];
        let ours: VecMap<_, _> = pairs.into_iter().collect();
        let theirs: BTreeMap<_, _> = pairs.into_iter().collect();
        assert!(
            ours.iter().eq(theirs.iter()),
            "the last of a repeated key wins"
        );
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
        assert_eq!(ours[&3], 'c');
        let set = VecSet::from([5, 1, 5, 3]);
        assert_eq!(
            format!("{set:?}"),
            format!("{:?}", BTreeSet::from([5, 1, 5, 3]))
        );
    }

    #[test]
    fn looks_up_by_borrowed_keys() {
        let mut m: VecMap<std::rc::Rc<str>, u8> = VecMap::new();
        m.insert("x".into(), 1);
        assert_eq!(m.get("x"), Some(&1));
        assert_eq!(m.remove("x"), Some(1));
        assert!(m.is_empty());
    }
}
