//! Sorting that shares one copy of the standard library's sort.
//!
//! `sort_by_key` monomorphises the whole stable sort (3–4 KB of wasm) per element type and
//! per closure; the web bundle had a copy for every call site (issue 8). This sorts one
//! type, `(u64, usize)`, for every caller. (Maps need no sort: `VecMap` is built by
//! insertion.)

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
}
