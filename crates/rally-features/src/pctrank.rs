//! Rolling percentile rank with the tie tolerance of METHOD §2.
//!
//! `pctrank_w(x)[t] = (less + (eq+1)/2) / w` over the window `x[t-w+1..=t]`,
//! where values within `1e-9·|x[t]|` of `x[t]` tie. The window is kept sorted
//! (binary-search insert/remove, a short memmove), so each bar costs
//! `O(log w)` comparisons plus one small shift instead of a full scan.
//! The tie boundaries are found by walking from the value's own position.
//! Both counts are partition points of predicates that are monotone on the
//! sorted window, written exactly as METHOD states them, so they agree bit
//! for bit with a brute-force count.

/// Rolling percentile rank; NaN while the window is not full or holds a NaN.
pub fn pctrank(x: &[f64], w: usize) -> Vec<f64> {
    pctrank_from(x, w, 0)
}

/// [`pctrank`] for rows `>= from` only (NaN before): the window is started
/// `w - 1` rows earlier, so those rows are exactly what [`pctrank`] gives.
pub fn pctrank_from(x: &[f64], w: usize, from: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    if w == 0 || n < w {
        return out;
    }
    let s = from.saturating_sub(w - 1).min(n);
    let tail = pctrank_window(&x[s..], w);
    out[s..].copy_from_slice(&tail);
    out
}

fn pctrank_window(x: &[f64], w: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    if w == 0 || n < w {
        return out;
    }
    let mut sorted: Vec<f64> = Vec::with_capacity(w);
    let mut nans = 0usize;
    let wf = w as f64;
    for t in 0..n {
        let v = x[t];
        let old = if t >= w { x[t - w] } else { f64::NAN };
        match (v.is_nan(), old.is_nan()) {
            (false, false) => {
                // Replace `old` by `v` with one shift of the elements between
                // them (half the memory traffic of a remove plus an insert).
                let r = sorted.partition_point(|s| *s < old);
                let i = sorted.partition_point(|s| *s < v);
                if i <= r {
                    sorted.copy_within(i..r, i + 1);
                    sorted[i] = v;
                } else {
                    sorted.copy_within(r + 1..i, r);
                    sorted[i - 1] = v;
                }
            }
            (false, true) => {
                let i = sorted.partition_point(|s| *s < v);
                sorted.insert(i, v);
            }
            (true, false) => {
                let r = sorted.partition_point(|s| *s < old);
                sorted.remove(r);
            }
            (true, true) => {}
        }
        nans += usize::from(v.is_nan());
        if t >= w {
            nans -= usize::from(old.is_nan());
        }
        if t + 1 >= w && nans == 0 {
            let tol = 1e-9 * v.abs();
            let lim = v - tol;
            // (No NaN is ever in `sorted`, so `>=` is the exact negation of `<`.)
            // Everything left of `j` is < v and everything from `j` on is
            // >= v, so each boundary below lies next to `j`: walk to it over
            // the (few) near-ties instead of three more binary searches.
            let j = sorted.partition_point(|s| *s < v);
            let mut less = j;
            while less > 0 && sorted[less - 1] >= lim {
                less -= 1;
            }
            let mut lo = j;
            while lo > 0 && sorted[lo - 1] - v >= -tol {
                lo -= 1;
            }
            let mut hi = j;
            while hi < sorted.len() && sorted[hi] - v <= tol {
                hi += 1;
            }
            let eq = hi - lo;
            out[t] = (less as f64 + (eq as f64 + 1.0) / 2.0) / wf;
        }
    }
    out
}

/// Direct count, the definition itself; used to check [`pctrank`].
pub fn pctrank_naive(x: &[f64], w: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    for t in (w.max(1) - 1)..n {
        if w == 0 {
            break;
        }
        let win = &x[t + 1 - w..=t];
        if win.iter().any(|v| v.is_nan()) {
            continue;
        }
        let v = x[t];
        let tol = 1e-9 * v.abs();
        let less = win.iter().filter(|s| **s < v - tol).count();
        let eq = win.iter().filter(|s| (**s - v).abs() <= tol).count();
        out[t] = (less as f64 + (eq as f64 + 1.0) / 2.0) / w as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_with_ties() {
        // window [3,1,3]: x=3 -> less 1, eq 2 -> (1 + 1.5)/3
        let r = pctrank(&[3.0, 1.0, 3.0, 2.0], 3);
        assert!(r[0].is_nan() && r[1].is_nan());
        assert_eq!(r[2], 2.5 / 3.0);
        // window [1,3,2]: x=2 -> less 1, eq 1 -> (1+1)/3
        assert_eq!(r[3], 2.0 / 3.0);
    }

    #[test]
    fn near_equal_values_tie() {
        let a = 0.123456789;
        let b = a * (1.0 + 1e-12);
        let r = pctrank(&[b, a], 2);
        assert_eq!(r[1], (0.0 + 1.5) / 2.0);
    }

    #[test]
    fn nan_in_window_gives_nan() {
        let r = pctrank(&[1.0, f64::NAN, 2.0, 3.0, 4.0], 2);
        assert!(r[1].is_nan() && r[2].is_nan());
        assert_eq!(r[3], 1.0);
        assert_eq!(r[4], 1.0);
    }

    proptest! {
        #[test]
        fn matches_definition_and_stays_in_unit_interval(
            xs in proptest::collection::vec(prop_oneof![
                (0i32..20).prop_map(|k| f64::from(k) * 0.1),
                -5.0f64..5.0,
                Just(f64::NAN),
            ], 0..120),
            w in 1usize..30,
        ) {
            let fast = pctrank(&xs, w);
            let slow = pctrank_naive(&xs, w);
            for (a, b) in fast.iter().zip(&slow) {
                prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
                if !a.is_nan() {
                    prop_assert!(*a > 0.0 && *a <= 1.0);
                }
            }
        }
    }
}
