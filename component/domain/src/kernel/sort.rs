//! One compiled sort for the component's small, cold lists.
//!
//! Each `sort_by` on a new element type or comparator instantiates the standard
//! library's stable sort again (driftsort with its small-sort networks: 4–6 KB of
//! component each; two dozen of them weighed ~100 KB). [`sort_by`] sorts positions
//! with a single instance behind a `dyn` comparator, then moves the elements once, so a
//! new call site costs a few hundred bytes. It is stable, like `sort_by`. Lists that are
//! large and hot (subject ids, duplicate blocking) keep the standard sorts.

use std::cmp::Ordering;

/// Stable sort of `v` by `cmp`.
pub(crate) fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    let items = &v[..];
    positions(&mut order, &|a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.iter().filter_map(|&i| slots[i].take()));
}

/// Stable sort of `v` by `key`, then removal of consecutive equal keys' duplicates
/// (`sort` + `dedup` on an ordered key).
pub(crate) fn sort_dedup_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
    v.dedup_by(|a, b| key(a) == key(b));
}

#[inline(never)]
fn positions(order: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|a, b| cmp(*a, *b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_like_the_standard_sort() {
        let mut seed = 7u64;
        for len in [0usize, 1, 2, 3, 17, 200] {
            let mut v: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_by_key(|x| x.0);
            sort_by(&mut v, |a, b| a.0.cmp(&b.0));
            assert_eq!(v, expected, "len {len}");
        }
        let mut d = vec![3, 1, 3, 2, 1];
        sort_dedup_by_key(&mut d, |x| *x);
        assert_eq!(d, [1, 2, 3]);
    }
}
