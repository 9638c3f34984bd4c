//! The RALLY_ST label and its barriers (METHOD §5).

use serde::{Deserialize, Serialize};

/// `h`: bars the label looks ahead.
pub const FORWARD_HORIZON: usize = 10;

/// Up and down barriers as fractions of the close.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Barriers {
    pub r_up: f64,
    pub d_dn: f64,
}

impl Barriers {
    /// The hand-tuned alternative used by `--validate`.
    pub const HAND_TUNED: Barriers = Barriers {
        r_up: 0.05,
        d_dn: 0.03,
    };

    /// Auto-calibrate on a window's RV values (NaNs ignored): `sd_day` =
    /// median of `RV/sqrt(252)` ([`median_daily_sd`]);
    /// `r_up = clamp(1.00·sd_day·sqrt(h), .02, .30)`,
    /// `d_dn = clamp(0.75·sd_day·sqrt(h), .01, .15)`. NaN barriers when the
    /// window has no RV.
    pub fn calibrate(rv_window: &[f64]) -> Barriers {
        let sd_day = median_daily_sd(rv_window);
        if sd_day.is_nan() {
            return Barriers {
                r_up: f64::NAN,
                d_dn: f64::NAN,
            };
        }
        let sh = (FORWARD_HORIZON as f64).sqrt();
        // Same operation order as the reference: (k·sd_day)·sqrt(h).
        Barriers {
            r_up: (1.00 * sd_day * sh).clamp(0.02, 0.30),
            d_dn: (0.75 * sd_day * sh).clamp(0.01, 0.15),
        }
    }
}

/// `sd_day` of METHOD §5: the median over a window's defined RV values of
/// `RV / sqrt(252)` (NaN when the window has none). The barriers scale
/// with it, and model v2 measures volatility against it.
pub fn median_daily_sd(rv_window: &[f64]) -> f64 {
    let sqrt252 = 252f64.sqrt();
    let mut v: Vec<f64> = rv_window
        .iter()
        .filter(|x| !x.is_nan())
        .map(|x| x / sqrt252)
        .collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// RALLY_ST for every bar: 1 if the high reaches `C·(1+r_up)` within `h`
/// bars before the low touches `C·(1-d_dn)` (a down-touch in the same bar
/// wins), else 0; NaN for the last `h` bars.
pub fn rally_labels(high: &[f64], low: &[f64], close: &[f64], b: Barriers, h: usize) -> Vec<f64> {
    rally_labels_in(high, low, close, b, h, 0..close.len())
}

/// [`rally_labels`] of the rows in `rows` only (element `i` is row
/// `rows.start + i`): a walk-forward fold needs its own window's labels, not
/// the whole history's.
pub fn rally_labels_in(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    b: Barriers,
    h: usize,
    rows: std::ops::Range<usize>,
) -> Vec<f64> {
    let n = close.len();
    let rows = rows.start.min(n)..rows.end.min(n);
    let mut y = vec![f64::NAN; rows.len()];
    for (t, yt) in rows.clone().zip(y.iter_mut()) {
        if t + h >= n {
            break;
        }
        let up = close[t] * (1.0 + b.r_up);
        let dn = close[t] * (1.0 - b.d_dn);
        let mut v = 0.0;
        for j in t + 1..=t + h {
            if low[j] <= dn {
                break;
            }
            if high[j] >= up {
                v = 1.0;
                break;
            }
        }
        *yt = v;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_daily_sd_by_hand() {
        let s = 252f64.sqrt();
        // NaNs ignored; odd count -> middle value; even count -> mean of two.
        assert_eq!(median_daily_sd(&[f64::NAN, 0.3, 0.1, 0.2]), 0.2 / s);
        assert_eq!(
            median_daily_sd(&[0.4, 0.1, f64::NAN, 0.2, 0.3]),
            (0.2 / s + 0.3 / s) / 2.0
        );
        assert!(median_daily_sd(&[f64::NAN]).is_nan());
        // The barriers are built on it.
        let b = Barriers::calibrate(&[0.3, 0.1, 0.2]);
        assert_eq!(b.r_up, (0.2 / s * 10f64.sqrt()).clamp(0.02, 0.30));
    }

    #[test]
    fn labels_of_a_range_are_that_slice_of_all_labels() {
        let n = 300;
        let close: Vec<f64> = (0..n)
            .map(|t| 100.0 + 10.0 * (t as f64 * 0.21).sin())
            .collect();
        let high: Vec<f64> = close.iter().map(|c| c * 1.01).collect();
        let low: Vec<f64> = close.iter().map(|c| c * 0.99).collect();
        let b = Barriers {
            r_up: 0.04,
            d_dn: 0.03,
        };
        let all = rally_labels(&high, &low, &close, b, FORWARD_HORIZON);
        for (lo, hi) in [(0, n), (17, 160), (250, n), (n - 3, n + 5), (40, 40)] {
            let part = rally_labels_in(&high, &low, &close, b, FORWARD_HORIZON, lo..hi);
            let want = &all[lo.min(n)..hi.min(n)];
            assert_eq!(part.len(), want.len());
            for (a, w) in part.iter().zip(want) {
                assert!(a == w || (a.is_nan() && w.is_nan()), "{lo}..{hi}");
            }
        }
    }

    #[test]
    fn down_touch_in_same_bar_wins() {
        let b = Barriers {
            r_up: 0.05,
            d_dn: 0.03,
        };
        let close = [100.0, 100.0, 100.0];
        // bar 1 touches both barriers -> 0
        let y = rally_labels(&[100.0, 106.0, 100.0], &[100.0, 96.0, 100.0], &close, b, 1);
        assert_eq!(y[0], 0.0);
        // up-touch only -> 1; last h bars NaN
        let y = rally_labels(&[100.0, 106.0, 100.0], &[100.0, 99.0, 100.0], &close, b, 1);
        assert_eq!(y[0], 1.0);
        assert!(y[2].is_nan());
    }

    #[test]
    fn calibration_median_and_clamps() {
        let s = 252f64.sqrt();
        let b = Barriers::calibrate(&[f64::NAN, 0.01 * s, 0.02 * s, 0.03 * s, 0.04 * s]);
        let sd = (0.02 + 0.03) / 2.0;
        assert!((b.r_up - sd * 10f64.sqrt()).abs() < 1e-15);
        assert!((b.d_dn - 0.75 * sd * 10f64.sqrt()).abs() < 1e-15);
        let tiny = Barriers::calibrate(&[1e-6]);
        assert_eq!((tiny.r_up, tiny.d_dn), (0.02, 0.01));
        let huge = Barriers::calibrate(&[100.0]);
        assert_eq!((huge.r_up, huge.d_dn), (0.30, 0.15));
    }

    proptest! {
        /// Changing bars after t+h never changes label t (no look-ahead past the horizon).
        #[test]
        fn labels_never_look_past_horizon(
            moves in proptest::collection::vec(-0.05f64..0.05, 30..60),
            cut in 0usize..20,
            shock in 0.5f64..2.0,
        ) {
            let mut close = vec![100.0];
            for m in &moves { let last = close[close.len()-1]; close.push(last * (1.0 + m)); }
            let high: Vec<f64> = close.iter().map(|c| c * 1.01).collect();
            let low: Vec<f64> = close.iter().map(|c| c * 0.99).collect();
            let b = Barriers { r_up: 0.03, d_dn: 0.02 };
            let h = 5;
            let y = rally_labels(&high, &low, &close, b, h);
            let t = cut.min(close.len() - h - 2);
            let (mut h2, mut l2) = (high.clone(), low.clone());
            for j in t + h + 1..close.len() { h2[j] *= shock; l2[j] *= shock; }
            let y2 = rally_labels(&h2, &l2, &close, b, h);
            prop_assert_eq!(y[t].to_bits(), y2[t].to_bits());
            for v in &y[..close.len()-h] { prop_assert!(*v == 0.0 || *v == 1.0); }
        }
    }
}
