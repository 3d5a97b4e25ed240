//! Which element before goes with which element after, for lists, sets and tuples. Each pair is
//! `(index before, index after)`; a missing side means the element is created or deleted.

use slipway_core::Value;

pub type Pairs = Vec<(Option<usize>, Option<usize>)>;

/// Lists longer than this on both sides (multiplied) are lined up by position instead of by
/// longest common subsequence, whose table would grow with the product of the lengths.
const MAX_LCS_CELLS: usize = 1 << 20;

/// Tuples and lists of blocks: element `i` before goes with element `i` after.
pub fn index_pairs(before: usize, after: usize) -> Pairs {
    (0..before.max(after)).map(|i| ((i < before).then_some(i), (i < after).then_some(i))).collect()
}

/// Lists, as Terraform lines them up: equal elements along the longest common subsequence are
/// unchanged; between them, deleted elements come before created ones, except that an object
/// deleted where an object is created is shown as that object changing.
pub fn ordered_pairs(
    before: &[Value],
    after: &[Value],
    same: impl Fn(&Value, &Value) -> bool,
    is_object: impl Fn(&Value) -> bool,
) -> Pairs {
    if before.len().saturating_mul(after.len()) > MAX_LCS_CELLS {
        return index_pairs(before.len(), after.len());
    }
    let common = longest_common(before, after, &same);
    let mut out = Vec::new();
    let (mut bi, mut ai) = (0, 0);
    // A final sentinel match past both ends flushes what follows the last common element.
    for (bm, am) in common.into_iter().chain([(before.len(), after.len())]) {
        while bi < bm {
            if is_object(&before[bi]) && ai < am && is_object(&after[ai]) {
                out.push((Some(bi), Some(ai)));
                ai += 1;
            } else {
                out.push((Some(bi), None));
            }
            bi += 1;
        }
        while ai < am {
            out.push((None, Some(ai)));
            ai += 1;
        }
        if bm < before.len() && am < after.len() {
            out.push((Some(bm), Some(am)));
            bi = bm + 1;
            ai = am + 1;
        }
    }
    out
}

/// Sets: each element before is paired with an equal element after, if there is one; what is
/// left over before is deleted and what is left over after is created.
pub fn set_pairs(before: &[Value], after: &[Value], same: impl Fn(&Value, &Value) -> bool) -> Pairs {
    let mut used = vec![false; after.len()];
    let mut out = Vec::with_capacity(before.len().max(after.len()));
    for b in before.iter().enumerate() {
        let found = after.iter().enumerate().position(|(j, a)| !used[j] && same(b.1, a));
        if let Some(j) = found {
            used[j] = true;
        }
        out.push((Some(b.0), found));
    }
    out.extend(used.iter().enumerate().filter(|(_, u)| !**u).map(|(j, _)| (None, Some(j))));
    out
}

/// The index pairs of a longest common subsequence, in order.
fn longest_common(before: &[Value], after: &[Value], same: &impl Fn(&Value, &Value) -> bool) -> Vec<(usize, usize)> {
    let (n, m) = (before.len(), after.len());
    // table[i][j]: length of the longest common subsequence of before[i..] and after[j..].
    let mut table = vec![0usize; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if same(&before[i], &after[j]) {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if same(&before[i], &after[j]) {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<Value> {
        items.iter().map(|s| Value::string(*s)).collect()
    }

    fn same(a: &Value, b: &Value) -> bool {
        a.same_known_value(b)
    }

    #[test]
    fn lists_line_up_on_common_elements() {
        let pairs = ordered_pairs(&strings(&["a", "b", "c"]), &strings(&["a", "x", "c", "d"]), same, |_| false);
        assert_eq!(
            pairs,
            vec![(Some(0), Some(0)), (Some(1), None), (None, Some(1)), (Some(2), Some(2)), (None, Some(3))]
        );
    }

    #[test]
    fn sets_pair_equal_elements() {
        let pairs = set_pairs(&strings(&["a", "b"]), &strings(&["b", "c"]), same);
        assert_eq!(pairs, vec![(Some(0), None), (Some(1), Some(0)), (None, Some(1))]);
    }
}
