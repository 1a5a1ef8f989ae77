//! Sorting and map building that share one copy of the standard library's sort.
//!
//! `sort_by_key` and `collect::<BTreeMap<_, _>>()` each monomorphise the whole stable sort
//! (3–4 KB of wasm) per element type and per closure or iterator type; the web bundle had
//! a copy for every call site (issue 8). These helpers sort one type, `(u64, usize)`, for
//! every caller, and build maps by insertion, which needs no sort at all.

use std::collections::BTreeMap;

/// Sorts `items` by `key`, stably: equal keys keep their order.
pub fn sort_by_u64_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = items.iter().map(key).zip(0..).collect();
    // The index breaks ties, so an unstable sort of the pairs is a stable sort of items.
    sort_pairs(&mut order);
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .iter()
            .map(|&(_, i)| slots[i].take().expect("each index once")),
    );
}

fn sort_pairs(pairs: &mut [(u64, usize)]) {
    pairs.sort_unstable();
}

/// The map of `pairs`, the last value of a repeated key winning, as `collect` does.
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(pairs);
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably() {
        let mut v = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by_u64_key(&mut v, |&(k, _)| k);
        assert_eq!(v, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_by_u64_key(&mut empty, |&x| x as u64);
        assert!(empty.is_empty());
    }

    #[test]
    fn maps_like_collect() {
        let pairs = [(2, "x"), (1, "y"), (2, "z")];
        assert_eq!(map_of(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
    }
}
