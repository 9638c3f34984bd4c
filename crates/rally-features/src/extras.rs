//! The nine extra features of model v2 (MODEL-V2.md "The v2 features"):
//! causal functions of a ticker's own trailing bars, on top of the ten
//! base features and the three HMM features of the classic model.
//!
//! Seven of them are fixed per ticker ([`ExtraFeatures`]); the last two,
//! [`vol_vs_barrier`] and [`atr_vs_barrier`], depend on the fold through
//! `sd_day` (the median daily volatility of the train window that also
//! sets the fold's barriers, METHOD §5). Every non-finite result is NaN.

use serde::{Deserialize, Serialize};

use crate::indicators::{rolling_max, rolling_min, rolling_std};

/// Number of extra features.
pub const N_EXTRA: usize = 9;

/// Extra feature names, in model column order (after the 13 classic ones).
pub const EXTRA_FEATURES: [&str; N_EXTRA] = [
    "ret1z",
    "ret5z",
    "ret20z",
    "hi252_atr",
    "lo252_atr",
    "rv5_20",
    "close_loc",
    "lvol_bar",
    "latr_bar",
];

/// Bars of the 52-week high / low window.
pub const EXTREME_WINDOW: usize = 252;
/// Clip bound (in ATRs) of the distances to the 52-week high and low.
pub const EXTREME_CLIP_ATR: f64 = 40.0;

/// Daily volatility `sd = RV / sqrt(252)` (METHOD §2 `RV` is annualised).
pub fn daily_sd(rv: &[f64]) -> Vec<f64> {
    let s = 252f64.sqrt();
    rv.iter().map(|v| v / s).collect()
}

fn finite_or_nan(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::NAN }
}

/// `ln(C[t] / C[t-k]) / (sd[t] * sqrt(k))`: the `k`-bar log return in units
/// of its expected size. NaN for `t < k` or `sd[t] <= 0`.
pub fn return_z(close: &[f64], sd: &[f64], k: usize) -> Vec<f64> {
    let sk = (k as f64).sqrt();
    (0..close.len())
        .map(|t| {
            if t < k || sd[t].is_nan() || sd[t] <= 0.0 {
                return f64::NAN;
            }
            finite_or_nan((close[t] / close[t - k]).ln() / (sd[t] * sk))
        })
        .collect()
}

/// Distance of the close from an extreme of the last 252 bars, in ATRs,
/// clipped to `[lo, hi]`; NaN before 252 bars or when `ATR <= 0`.
fn extreme_distance(close: &[f64], extreme: &[f64], atr: &[f64], lo: f64, hi: f64) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            if atr[t].is_nan() || atr[t] <= 0.0 {
                return f64::NAN;
            }
            // A NaN extreme (window not yet full) stays NaN through clamp.
            finite_or_nan(((close[t] - extreme[t]) / atr[t]).clamp(lo, hi))
        })
        .collect()
}

/// `hi252_atr = clip((C - max(H[t-251..=t])) / ATR, -40, 0)`.
pub fn high_252_atr(high: &[f64], close: &[f64], atr: &[f64]) -> Vec<f64> {
    let hh = rolling_max(high, EXTREME_WINDOW);
    extreme_distance(close, &hh, atr, -EXTREME_CLIP_ATR, 0.0)
}

/// `lo252_atr = clip((C - min(L[t-251..=t])) / ATR, 0, 40)`.
pub fn low_252_atr(low: &[f64], close: &[f64], atr: &[f64]) -> Vec<f64> {
    let ll = rolling_min(low, EXTREME_WINDOW);
    extreme_distance(close, &ll, atr, 0.0, EXTREME_CLIP_ATR)
}

/// `rv5_20 = ln(sd_sample(r[t-4..=t]) / sd_sample(r[t-19..=t]))`: short
/// against longer realised volatility; NaN unless both are `> 0`.
pub fn rv_ratio_5_20(log_return: &[f64]) -> Vec<f64> {
    let s5 = rolling_std(log_return, 5, 1);
    let s20 = rolling_std(log_return, 20, 1);
    s5.iter()
        .zip(&s20)
        .map(|(a, b)| {
            if *a > 0.0 && *b > 0.0 {
                finite_or_nan((a / b).ln())
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// `close_loc = (C - L) / (H - L)`, `0.5` when `H == L`.
pub fn close_location(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            let rng = high[t] - low[t];
            if rng == 0.0 {
                0.5
            } else {
                finite_or_nan((close[t] - low[t]) / rng)
            }
        })
        .collect()
}

/// `lvol_bar = ln(sd[t] / sd_day)`: today's volatility against the fold's.
pub fn vol_vs_barrier(sd: f64, sd_day: f64) -> f64 {
    finite_or_nan((sd / sd_day).ln())
}

/// `latr_bar = ln((ATR[t] / C[t]) / sd_day)`: today's range against the fold's.
pub fn atr_vs_barrier(atr: f64, close: f64, sd_day: f64) -> f64 {
    finite_or_nan((atr / close / sd_day).ln())
}

/// The seven fold-independent extras of one ticker, column by column,
/// with the daily volatility the fold-dependent two need.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExtraFeatures {
    /// `sd = RV / sqrt(252)`.
    pub sd: Vec<f64>,
    pub ret1z: Vec<f64>,
    pub ret5z: Vec<f64>,
    pub ret20z: Vec<f64>,
    pub hi252_atr: Vec<f64>,
    pub lo252_atr: Vec<f64>,
    pub rv5_20: Vec<f64>,
    pub close_loc: Vec<f64>,
}

impl ExtraFeatures {
    /// From the adjusted bars and the indicators of [`crate::FeatureFrame`]
    /// (`log_return`, `atr`, `rv`).
    pub fn compute(
        high: &[f64],
        low: &[f64],
        close: &[f64],
        log_return: &[f64],
        atr: &[f64],
        rv: &[f64],
    ) -> ExtraFeatures {
        let sd = daily_sd(rv);
        ExtraFeatures {
            ret1z: return_z(close, &sd, 1),
            ret5z: return_z(close, &sd, 5),
            ret20z: return_z(close, &sd, 20),
            hi252_atr: high_252_atr(high, close, atr),
            lo252_atr: low_252_atr(low, close, atr),
            rv5_20: rv_ratio_5_20(log_return),
            close_loc: close_location(high, low, close),
            sd,
        }
    }

    pub fn len(&self) -> usize {
        self.sd.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sd.is_empty()
    }

    /// The nine extras of row `t` in [`EXTRA_FEATURES`] order, the last two
    /// under the fold's `sd_day`.
    pub fn row(&self, t: usize, atr: f64, close: f64, sd_day: f64) -> [f64; N_EXTRA] {
        [
            self.ret1z[t],
            self.ret5z[t],
            self.ret20z[t],
            self.hi252_atr[t],
            self.lo252_atr[t],
            self.rv5_20[t],
            self.close_loc[t],
            vol_vs_barrier(self.sd[t], sd_day),
            atr_vs_barrier(atr, close, sd_day),
        ]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close_to(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-14 * b.abs().max(1.0)
    }

    #[test]
    fn return_z_by_hand() {
        let close = [100.0, 110.0, 99.0, 99.0];
        let sd = [0.01, 0.02, 0.0, -1.0];
        let z1 = return_z(&close, &sd, 1);
        assert!(z1[0].is_nan(), "t < k");
        assert!(close_to(z1[1], (1.1f64).ln() / 0.02));
        assert!(z1[2].is_nan(), "sd == 0");
        assert!(z1[3].is_nan(), "sd < 0");
        let sd = [0.01; 4];
        let z2 = return_z(&close, &sd, 2);
        assert!(z2[1].is_nan());
        assert!(close_to(z2[2], (0.99f64).ln() / (0.01 * 2f64.sqrt())));
        assert!(close_to(
            z2[3],
            (99.0f64 / 110.0).ln() / (0.01 * 2f64.sqrt())
        ));
        assert!(return_z(&close, &[f64::NAN; 4], 1)[1].is_nan());
    }

    #[test]
    fn distance_to_the_252_bar_extremes_by_hand() {
        let n = 260;
        let mut high: Vec<f64> = vec![10.0; n];
        let mut low: Vec<f64> = vec![8.0; n];
        let mut close: Vec<f64> = vec![9.0; n];
        let mut atr = vec![0.5; n];
        high[5] = 20.0; // in the window of rows 251..=256, gone at 257
        low[6] = 1.0; // in the window of rows 251..=257
        close[255] = 9.5;
        atr[258] = 0.0;
        let hi = high_252_atr(&high, &close, &atr);
        let lo = low_252_atr(&low, &close, &atr);
        assert!(hi[..251].iter().all(|v| v.is_nan()), "before 252 bars");
        assert!(lo[..251].iter().all(|v| v.is_nan()));
        // (9.5 - 20) / 0.5 = -21
        assert_eq!(hi[255], -21.0);
        // (9 - 10) / 0.5 = -2 once the spike has left the window
        assert_eq!(hi[257], -2.0);
        // (9.5 - 1) / 0.5 = 17; (9 - 8) / 0.5 = 2 after the dip leaves
        assert_eq!(lo[255], 17.0);
        assert_eq!(lo[258 + 1], 2.0);
        assert!(hi[258].is_nan() && lo[258].is_nan(), "ATR <= 0");
        // Clipping at -40 and +40.
        let hi = high_252_atr(&high, &close, &[0.1; 260]);
        assert_eq!(hi[255], -40.0);
        let lo = low_252_atr(&low, &close, &[0.1; 260]);
        assert_eq!(lo[255], 40.0);
        // A close at the high is 0 (never above it: H >= C after cleaning).
        close[256] = 20.0;
        assert_eq!(high_252_atr(&high, &close, &atr)[256], 0.0);
    }

    #[test]
    fn rv_ratio_by_hand() {
        // r = NaN, then 19 returns alternating +-0.01, then a quiet stretch.
        let mut r = vec![f64::NAN];
        r.extend((0..19).map(|i| if i % 2 == 0 { 0.01 } else { -0.01 }));
        r.extend([0.002, -0.002, 0.002, -0.002, 0.002]);
        let q = rv_ratio_5_20(&r);
        assert!(
            q[..20].iter().all(|v| v.is_nan()),
            "the 20-bar window needs r[1..]"
        );
        let sd = |w: &[f64]| {
            let m = w.iter().sum::<f64>() / w.len() as f64;
            (w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (w.len() - 1) as f64).sqrt()
        };
        for t in 20..r.len() {
            let want = (sd(&r[t - 4..=t]) / sd(&r[t - 19..=t])).ln();
            assert!(close_to(q[t], want), "t {t}: {} vs {want}", q[t]);
        }
        assert!(q[24] < 0.0, "quiet week against a louder month");
        // A flat week: sd 0 -> NaN.
        let mut flat = r.clone();
        flat.extend([0.0; 5]);
        assert!(rv_ratio_5_20(&flat)[29].is_nan());
    }

    #[test]
    fn close_location_by_hand() {
        let c = close_location(&[12.0, 5.0, 10.0], &[8.0, 5.0, 9.0], &[11.0, 5.0, 9.0]);
        assert_eq!(c, vec![0.75, 0.5, 0.0]);
    }

    #[test]
    fn fold_dependent_pair_by_hand() {
        assert!(close_to(vol_vs_barrier(0.02, 0.01), 2f64.ln()));
        assert!(vol_vs_barrier(0.0, 0.01).is_nan(), "ln 0");
        assert!(vol_vs_barrier(f64::NAN, 0.01).is_nan());
        assert!(vol_vs_barrier(0.02, 0.0).is_nan(), "sd_day 0");
        assert!(close_to(atr_vs_barrier(2.0, 100.0, 0.01), 2f64.ln()));
        assert!(atr_vs_barrier(0.0, 100.0, 0.01).is_nan());
    }

    #[test]
    fn rows_in_column_order() {
        let n = 300;
        let close: Vec<f64> = (0..n).map(|i| 100.0 + (i as f64 * 0.3).sin()).collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
        let r = crate::indicators::log_returns(&close);
        let atr = vec![2.0; n];
        let rv: Vec<f64> = (0..n).map(|i| 0.1 + i as f64 * 1e-4).collect();
        let e = ExtraFeatures::compute(&high, &low, &close, &r, &atr, &rv);
        let t = 280;
        let row = e.row(t, atr[t], close[t], 0.005);
        assert_eq!(row[0], e.ret1z[t]);
        assert_eq!(row[3], e.hi252_atr[t]);
        assert_eq!(row[6], 0.5);
        assert!(close_to(row[7], (rv[t] / 252f64.sqrt() / 0.005).ln()));
        assert!(close_to(row[8], (2.0 / close[t] / 0.005).ln()));
        assert_eq!(EXTRA_FEATURES.len(), row.len());
    }
}
