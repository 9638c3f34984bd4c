//! Classic indicators over slices (METHOD §2). Output `[t]` is NaN until the
//! window is full or when any input in it is NaN.
//!
//! Windows are summed directly rather than with a running sum: a running sum
//! leaves a residue after a large value leaves the window, and METHOD needs a
//! window of identical values (zero volume) to give exactly that value. The
//! one exception, [`sma`], keeps pandas' compensated running sum for parity
//! and guards against both.

/// `r[t] = ln(C[t]/C[t-1])`, `r[0] = NaN`.
pub fn log_returns(close: &[f64]) -> Vec<f64> {
    let mut r = Vec::with_capacity(close.len());
    if !close.is_empty() {
        r.push(f64::NAN);
    }
    r.extend(close.windows(2).map(|w| (w[1] / w[0]).ln()));
    r
}

/// True range; `TR[0] = H[0] - L[0]`.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            let hl = high[t] - low[t];
            if t == 0 {
                hl
            } else {
                let pc = close[t - 1];
                hl.max((high[t] - pc).abs()).max((low[t] - pc).abs())
            }
        })
        .collect()
}

fn rolling(x: &[f64], w: usize, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if w == 0 || x.len() < w {
        return out;
    }
    for (t, win) in x.windows(w).enumerate() {
        out[t + w - 1] = f(win);
    }
    out
}

fn sum(win: &[f64]) -> f64 {
    // Four accumulators: the loop vectorises and the order is fixed (deterministic).
    let mut acc = [0.0f64; 4];
    let chunks = win.chunks_exact(4);
    let rem = chunks.remainder();
    for c in chunks {
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += c[3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for v in rem {
        s += v;
    }
    s
}

/// Kahan step: add `v` to the compensated sum `(sum, comp)`.
#[inline]
fn kahan_add(sum: &mut f64, comp: &mut f64, v: f64) {
    let y = v - *comp;
    let t = *sum + y;
    *comp = (t - *sum) - y;
    *sum = t;
}

/// The window sum after a value of magnitude `peak` has been in the running
/// sum may carry a residue of order `eps * peak`; while `peak` stays within
/// this factor of the window's own sum the residue is below ~1e-12 relative.
const RESIDUE_RATIO: f64 = 1024.0;

/// A running sum is kept only while it agrees with a fresh sum to this
/// relative tolerance (on ordinary data it always does, so its bits stay).
const RESIDUE_TOL: f64 = 1e-12;

/// Simple moving average.
///
/// A Kahan-compensated running sum (O(1) per bar, like pandas), with three
/// guards: a window of identical values returns exactly that value (METHOD
/// needs an exact `SMA_50(V) == 0`), NaNs make their windows NaN, and the
/// running sum is checked against a fresh sum of the window whenever a value
/// much larger than the window's sum (or a non-finite one) has been in it:
/// a single 1e20 tick would otherwise leave a residue of the order of 1e4 in
/// every later window. The check replaces the running sum only when the two
/// disagree, so ordinary data keeps the running sum's bits.
pub fn sma(x: &[f64], w: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    if w == 0 || n < w {
        return out;
    }
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    let mut nans = 0usize;
    let mut same_run = 0usize; // length of the run of identical values ending at t
    // Largest magnitude that has entered the running sum since it was last
    // known to be clean.
    let mut peak = 0.0f64;
    for t in 0..n {
        let v = x[t];
        if v.is_nan() {
            nans += 1;
        } else {
            kahan_add(&mut sum, &mut comp, v);
            peak = peak.max(v.abs());
        }
        same_run = if t > 0 && x[t - 1] == v {
            same_run + 1
        } else {
            1
        };
        if t >= w {
            let old = x[t - w];
            if old.is_nan() {
                nans -= 1;
            } else {
                kahan_add(&mut sum, &mut comp, -old);
            }
            if nans == 0 && may_carry_residue(peak, sum) {
                peak = resync(&x[t + 1 - w..=t], &mut sum, &mut comp);
            }
        }
        if t + 1 >= w && nans == 0 {
            out[t] = if same_run >= w { v } else { sum / w as f64 };
        }
    }
    out
}

/// A running sum that has seen a magnitude `peak` far above its value (or
/// that is not finite) may carry a residue worth checking.
fn may_carry_residue(peak: f64, sum: f64) -> bool {
    !sum.is_finite() || peak > RESIDUE_RATIO * sum.abs()
}

/// Compare the running sum `(sum, comp)` with a fresh Kahan sum of `win`
/// (same order of additions as the running sum uses from a cold start) and
/// take the fresh one if they disagree. Returns the largest magnitude in
/// `win`, the new `peak`.
fn resync(win: &[f64], sum: &mut f64, comp: &mut f64) -> f64 {
    let (mut fresh, mut fresh_comp, mut peak) = (0.0f64, 0.0f64, 0.0f64);
    for &v in win {
        kahan_add(&mut fresh, &mut fresh_comp, v);
        peak = peak.max(v.abs());
    }
    // A NaN or infinite running sum never agrees, so it is replaced too.
    let agree = (*sum - fresh).abs() <= RESIDUE_TOL * fresh.abs();
    if !agree {
        *sum = fresh;
        *comp = fresh_comp;
    }
    peak
}

/// Two-pass standard deviation of each full window with `ddof` (0 = population).
pub fn rolling_std(x: &[f64], w: usize, ddof: usize) -> Vec<f64> {
    rolling(x, w, |win| {
        let m = sum(win) / win.len() as f64;
        let ss: f64 = win.iter().map(|v| (v - m) * (v - m)).sum();
        (ss / (win.len() - ddof) as f64).sqrt()
    })
}

/// Sliding-window extreme with a monotonic deque: O(1) amortised per bar.
/// `better(a, b)` is true when `a` beats `b` (`>` for max, `<` for min).
fn rolling_extreme(x: &[f64], w: usize, better: impl Fn(f64, f64) -> bool) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![f64::NAN; n];
    if w == 0 || n < w {
        return out;
    }
    let mut dq: std::collections::VecDeque<usize> =
        std::collections::VecDeque::with_capacity(w + 1);
    let mut last_nan: Option<usize> = None;
    for t in 0..n {
        let v = x[t];
        if v.is_nan() {
            last_nan = Some(t);
        } else {
            while dq.back().is_some_and(|&b| !better(x[b], v)) {
                dq.pop_back();
            }
            dq.push_back(t);
        }
        while dq.front().is_some_and(|&f| f + w <= t) {
            dq.pop_front();
        }
        if t + 1 >= w
            && last_nan.is_none_or(|k| k + w <= t)
            && let Some(&f) = dq.front()
        {
            out[t] = x[f];
        }
    }
    out
}

/// Rolling maximum (`HH_n`); NaN when the window holds a NaN.
pub fn rolling_max(x: &[f64], w: usize) -> Vec<f64> {
    rolling_extreme(x, w, |a, b| a > b)
}

/// Rolling minimum (`LL_n`); NaN when the window holds a NaN.
pub fn rolling_min(x: &[f64], w: usize) -> Vec<f64> {
    rolling_extreme(x, w, |a, b| a < b)
}

/// `EMA_s`: `a = 2/(s+1)`, `e[0] = x[0]` (pandas `ewm(span=s, adjust=False)`).
pub fn ema(x: &[f64], span: usize) -> Vec<f64> {
    let a = 2.0 / (span as f64 + 1.0);
    let mut out = Vec::with_capacity(x.len());
    let mut prev = f64::NAN;
    for (t, v) in x.iter().enumerate() {
        prev = if t == 0 { *v } else { a * v + (1.0 - a) * prev };
        out.push(prev);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sma_of_identical_values_is_exact() {
        let x = [1e9, 0.1, 0.0, 0.0, 0.0];
        let s = sma(&x, 3);
        assert!(s[0].is_nan() && s[1].is_nan());
        assert_eq!(s[4], 0.0);
        let s = sma(&[0.1; 60], 50);
        assert_eq!(s[59], 0.1);
    }

    #[test]
    fn sma_matches_direct_mean_and_handles_nan() {
        let x: Vec<f64> = (0..300)
            .map(|i| ((i * 7919) % 1000) as f64 * 1.37 + 1e6 * f64::from(i % 3 == 0))
            .collect();
        let fast = sma(&x, 50);
        for t in 49..300 {
            let direct = x[t - 49..=t].iter().sum::<f64>() / 50.0;
            assert!((fast[t] - direct).abs() <= 1e-9 * direct.abs(), "{t}");
        }
        let s = sma(&[1.0, f64::NAN, 2.0, 3.0, 4.0], 2);
        assert!(s[1].is_nan() && s[2].is_nan());
        assert_eq!(s[3], 2.5);
    }

    /// Mean of `x[t+1-w..=t]` summed directly (the reference for the
    /// running kernels).
    fn naive_mean(x: &[f64], w: usize, t: usize) -> f64 {
        x[t + 1 - w..=t].iter().sum::<f64>() / w as f64
    }

    /// A price-like series around 100 with a deterministic wiggle.
    fn wiggle(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| 7.0 + 3.0 * ((i * 7919 % 613) as f64 / 613.0))
            .collect()
    }

    #[test]
    fn sma_recovers_exactly_after_a_huge_value_leaves_the_window() {
        for huge in [1e20, 1e300, -1e20, f64::INFINITY] {
            for w in [10, 20, 50, 200] {
                let mut x = wiggle(600);
                let spike = 250;
                x[spike] = huge;
                let s = sma(&x, w);
                for (t, got) in s.iter().enumerate().skip(spike + w) {
                    let want = naive_mean(&x, w, t);
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs(),
                        "huge {huge:e}, w {w}, t {t}: {got} vs {want}"
                    );
                    assert!(*got >= 0.0);
                }
            }
        }
    }

    #[test]
    fn atr_recovers_after_a_huge_tick() {
        // The case: one 1e20 high a year earlier; the ATR of today
        // must be the ATR of today's window, not a residue of the tick.
        let close = wiggle(700);
        let mut high: Vec<f64> = close.iter().map(|c| c + 0.5).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 0.5).collect();
        high[300] = 1e20;
        let tr = true_range(&high, &low, &close);
        let atr = sma(&tr, 20);
        for (t, got) in atr.iter().enumerate().skip(300 + 20) {
            let want = naive_mean(&tr, 20, t);
            assert!((got - want).abs() <= 1e-12 * want, "t {t}: {got} vs {want}");
        }
    }

    #[test]
    fn sma_keeps_the_running_sum_on_ordinary_data() {
        // Resynchronisation must not change a single bit where the running
        // sum is already accurate (golden parity).
        let x = wiggle(2000);
        let s = sma(&x, 50);
        let (mut sum, mut comp) = (0.0f64, 0.0f64);
        for t in 0..x.len() {
            kahan_add(&mut sum, &mut comp, x[t]);
            if t >= 50 {
                kahan_add(&mut sum, &mut comp, -x[t - 50]);
            }
            if t >= 49 {
                assert_eq!(s[t].to_bits(), (sum / 50.0).to_bits(), "t {t}");
            }
        }
    }

    #[test]
    fn rolling_std_recovers_after_a_huge_value() {
        let mut x = wiggle(400);
        x[100] = 1e300;
        let s = rolling_std(&x, 20, 1);
        let fresh = rolling_std(&x[121..], 20, 1);
        for t in 140..400 {
            assert_eq!(s[t].to_bits(), fresh[t - 121].to_bits(), "t {t}");
        }
    }

    #[test]
    fn true_range_uses_previous_close_on_gaps() {
        let tr = true_range(&[10.0, 15.0], &[9.0, 14.0], &[9.5, 14.5]);
        assert_eq!(tr, vec![1.0, 5.5]);
    }

    #[test]
    fn std_population_and_sample() {
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(rolling_std(&x, 8, 0)[7], 2.0);
        assert!((rolling_std(&x, 8, 1)[7] - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        let r = rolling_std(&[f64::NAN, 1.0, 2.0], 2, 1);
        assert!(r[1].is_nan());
        assert!((r[2] - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn ema_matches_recursion() {
        let e = ema(&[1.0, 2.0, 3.0], 3);
        assert_eq!(e, vec![1.0, 1.5, 2.25]);
    }

    #[test]
    fn extremes_match_direct_scan() {
        assert_eq!(rolling_max(&[1.0, 3.0, 2.0], 2)[2], 3.0);
        assert_eq!(rolling_min(&[1.0, 3.0, 2.0], 2)[2], 2.0);
        let x: Vec<f64> = (0..500)
            .map(|i| {
                if i % 97 == 5 {
                    f64::NAN
                } else {
                    ((i * 7919) % 613) as f64
                }
            })
            .collect();
        for w in [1, 2, 5, 20, 40] {
            let (mx, mn) = (rolling_max(&x, w), rolling_min(&x, w));
            for t in w - 1..x.len() {
                let win = &x[t + 1 - w..=t];
                if win.iter().any(|v| v.is_nan()) {
                    assert!(mx[t].is_nan() && mn[t].is_nan());
                } else {
                    assert_eq!(mx[t], win.iter().copied().fold(f64::NEG_INFINITY, f64::max));
                    assert_eq!(mn[t], win.iter().copied().fold(f64::INFINITY, f64::min));
                }
            }
        }
    }
}
