//! The ten base features of METHOD §3, computed once per ticker.

use serde::{Deserialize, Serialize};

use crate::error::FeatureError;
use crate::indicators::{ema, log_returns, rolling_max, rolling_min, rolling_std, sma, true_range};
use crate::pctrank::pctrank_from;

/// Number of base features.
pub const N_BASE: usize = 10;

/// Base feature names, in model column order.
pub const BASE_FEATURES: [&str; N_BASE] = [
    "atr_pctile",
    "bbw_pctile",
    "rv_pctile",
    "range_pos",
    "range_width",
    "trap",
    "trend",
    "volume",
    "macd",
    "vix",
];

pub use crate::params::{
    ATR_PERIOD, BB_PERIOD, PERCENTILE_WINDOW, RANGE_PERIOD, RV_PERIOD, RV_TRAP_PERCENTILE,
    TRAP_LOOKFORWARD, TRAP_RANGE_PERIOD, WARM_UP_ROWS,
};

/// What each base feature is computed from, in words (for
/// [`FeatureError::NonFinite`]), in [`BASE_FEATURES`] order.
const FEATURE_INPUTS: [&str; N_BASE] = [
    "highs, lows and closes of the ATR percentile window",
    "closes of the Bollinger-width percentile window",
    "closes of the realised-volatility percentile window",
    "highs, lows and closes of the last 40 bars",
    "highs, lows and closes of the last 40 bars",
    "lows and closes of the last 25 bars",
    "closes of the last 200 bars",
    "volumes of the last 50 bars",
    "closes (MACD) and highs and lows (ATR)",
    "VIX closes of the percentile window",
];

/// Per-bar indicators and features of one ticker, column by column.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FeatureFrame {
    /// Log returns `r[t]` (the HMM's first observation dimension).
    pub log_return: Vec<f64>,
    pub atr: Vec<f64>,
    /// Annualised realised volatility of the last 20 log returns.
    pub rv: Vec<f64>,
    pub sma50: Vec<f64>,
    pub sma200: Vec<f64>,
    /// `1 - mean(atr, bbw, rv percentiles)`; high = compressed.
    pub compression: Vec<f64>,
    /// The ten base features, in [`BASE_FEATURES`] order.
    pub base: [Vec<f64>; N_BASE],
}

impl FeatureFrame {
    /// Compute everything from adjusted bars and the as-of aligned VIX close.
    pub fn compute(
        high: &[f64],
        low: &[f64],
        close: &[f64],
        volume: &[f64],
        vix: &[f64],
    ) -> FeatureFrame {
        FeatureFrame::compute_from(high, low, close, volume, vix, 0)
    }

    /// Like [`FeatureFrame::compute`], but the percentile ranks (the costly
    /// part) only for rows `>= from` (the scanner needs the newest bars
    /// only). Rows `>= from` are bit-identical to a full computation: a rank
    /// depends only on its own window. Percentile-based columns are NaN
    /// before `from`.
    pub fn compute_from(
        high: &[f64],
        low: &[f64],
        close: &[f64],
        volume: &[f64],
        vix: &[f64],
        from: usize,
    ) -> FeatureFrame {
        let n = close.len();
        // `trap` at t reads rv_pctile over [t-5, t-1].
        let pfrom = from.saturating_sub(TRAP_LOOKFORWARD);
        let rank = |x: &[f64]| pctrank_from(x, PERCENTILE_WINDOW, pfrom);
        let r = log_returns(close);
        let atr = sma(&true_range(high, low, close), ATR_PERIOD);
        let sma20 = sma(close, BB_PERIOD);
        let bbw: Vec<f64> = rolling_std(close, BB_PERIOD, 0)
            .iter()
            .zip(&sma20)
            .map(|(s, m)| 4.0 * s / m)
            .collect();
        let sqrt252 = 252f64.sqrt();
        let rv: Vec<f64> = rolling_std(&r, RV_PERIOD, 1)
            .iter()
            .map(|s| sqrt252 * s)
            .collect();
        let atr_c: Vec<f64> = atr.iter().zip(close).map(|(a, c)| a / c).collect();
        let atr_p = rank(&atr_c);
        let bbw_p = rank(&bbw);
        let rv_p = rank(&rv);

        let hh40 = rolling_max(high, RANGE_PERIOD);
        let ll40 = rolling_min(low, RANGE_PERIOD);
        let mut range_pos = vec![f64::NAN; n];
        let mut range_width = vec![f64::NAN; n];
        for t in 0..n {
            let rng = hh40[t] - ll40[t];
            range_pos[t] = if rng == 0.0 {
                0.5
            } else {
                (close[t] - ll40[t]) / rng
            };
            range_width[t] = if atr[t] == 0.0 {
                f64::NAN
            } else {
                rng / atr[t]
            };
        }

        let trap = trap_feature(low, close, &rv_p);
        let sma50 = sma(close, 50);
        let sma200 = sma(close, 200);
        let trend: Vec<f64> = sma50
            .iter()
            .zip(&sma200)
            .map(|(a, b)| (a - b) / b)
            .collect();
        let v10 = sma(volume, 10);
        let v50 = sma(volume, 50);
        let vol: Vec<f64> = v10
            .iter()
            .zip(&v50)
            .map(|(a, b)| if *b == 0.0 { 1.0 } else { a / b })
            .collect();
        let macd_line: Vec<f64> = ema(close, 12)
            .iter()
            .zip(ema(close, 26))
            .map(|(a, b)| a - b)
            .collect();
        let signal = ema(&macd_line, 9);
        let macd: Vec<f64> = (0..n)
            .map(|t| {
                if atr[t] == 0.0 {
                    f64::NAN
                } else {
                    (macd_line[t] - signal[t]) / atr[t]
                }
            })
            .collect();
        let vix_p = rank(vix);
        let compression: Vec<f64> = (0..n)
            .map(|t| 1.0 - (atr_p[t] + bbw_p[t] + rv_p[t]) / 3.0)
            .collect();
        FeatureFrame {
            log_return: r,
            atr,
            rv,
            sma50,
            sma200,
            compression,
            base: [
                atr_p,
                bbw_p,
                rv_p,
                range_pos,
                range_width,
                trap,
                trend,
                vol,
                macd,
                vix_p,
            ],
        }
    }

    pub fn len(&self) -> usize {
        self.atr.len()
    }

    pub fn is_empty(&self) -> bool {
        self.atr.is_empty()
    }

    /// `rv_pctile` (the exhaustion exit reads it).
    pub fn rv_pctile(&self) -> &[f64] {
        &self.base[2]
    }

    /// Row `t` has all ten base features finite (METHOD §6 "valid").
    pub fn is_valid(&self, t: usize) -> bool {
        self.base.iter().all(|c| c[t].is_finite())
    }

    /// `Ok` when row `t` is valid ([`FeatureFrame::is_valid`]), else why
    /// not: the first undefined feature in [`BASE_FEATURES`] order, with its
    /// cause. For a frame from [`FeatureFrame::compute_from`], only rows
    /// `>= from` are meaningful.
    pub fn check_row(&self, t: usize) -> Result<(), FeatureError> {
        if t >= self.len() {
            return Err(FeatureError::OutOfRange {
                row: t,
                len: self.len(),
            });
        }
        let Some(k) = self.base.iter().position(|c| !c[t].is_finite()) else {
            return Ok(());
        };
        if t < WARM_UP_ROWS {
            return Err(FeatureError::WarmUp { row: t });
        }
        let feature = BASE_FEATURES[k];
        // range_width and macd are divided by the ATR.
        if matches!(feature, "range_width" | "macd") && self.atr[t] == 0.0 {
            return Err(FeatureError::ConstantPrices { feature, row: t });
        }
        Err(FeatureError::NonFinite {
            feature,
            row: t,
            value: self.base[k][t],
            inputs: FEATURE_INPUTS[k],
        })
    }

    /// Base feature row `t`.
    pub fn row(&self, t: usize) -> [f64; N_BASE] {
        std::array::from_fn(|k| self.base[k][t])
    }
}

/// METHOD §3 feature 6: a quiet breakdown below the prior 20-bar low within
/// the last five bars that price has since closed back above.
pub fn trap_feature(low: &[f64], close: &[f64], rv_pctile: &[f64]) -> Vec<f64> {
    let n = close.len();
    let ll20 = rolling_min(low, TRAP_RANGE_PERIOD);
    let mut trap = vec![f64::NAN; n];
    let start = TRAP_RANGE_PERIOD + TRAP_LOOKFORWARD;
    for t in start..n {
        let hit = (t - TRAP_LOOKFORWARD..t).any(|s| {
            if s < TRAP_RANGE_PERIOD {
                return false;
            }
            let lvl = ll20[s - 1];
            lvl.is_finite()
                && low[s] < lvl
                && rv_pctile[s].is_finite()
                && rv_pctile[s] <= RV_TRAP_PERCENTILE
                && close[t] > lvl
        });
        trap[t] = if hit { 1.0 } else { 0.0 };
    }
    trap
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trap_needs_quiet_breakdown_then_recovery() {
        let n = 30;
        let mut low = vec![10.0; n];
        let mut close = vec![10.5; n];
        let quiet = vec![0.5; n];
        low[26] = 9.0; // breaks the prior 20-bar low of 10
        close[26] = 9.5;
        close[27] = 10.2; // back above 10
        let t = trap_feature(&low, &close, &quiet);
        assert!(t[..25].iter().all(|v| v.is_nan()));
        assert_eq!(t[25], 0.0);
        assert_eq!(t[26], 0.0); // same bar is not in [t-5, t-1]
        assert_eq!(t[27], 1.0);
        let panicky = vec![0.9; n];
        assert_eq!(trap_feature(&low, &close, &panicky)[27], 0.0);
    }

    #[test]
    fn compute_from_is_exact_on_its_rows() {
        let n: u32 = 900;
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + (f64::from(i) * 0.37).sin() * 5.0 + f64::from(i) * 0.01)
            .collect();
        let high: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c * (1.0 + 0.01 * (1.0 + (i as f64 * 1.3).cos().abs())))
            .collect();
        let low: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(i, c)| c * (1.0 - 0.01 * (1.0 + (i as f64 * 0.7).sin().abs())))
            .collect();
        let vol: Vec<f64> = (0..n).map(|i| 1e6 + f64::from(i % 17) * 1e4).collect();
        let vix: Vec<f64> = (0..n).map(|i| 15.0 + f64::from(i % 23)).collect();
        let full = FeatureFrame::compute(&high, &low, &close, &vol, &vix);
        let from = 700;
        let tail = FeatureFrame::compute_from(&high, &low, &close, &vol, &vix, from);
        for t in from..n as usize {
            assert_eq!(
                full.row(t).map(f64::to_bits),
                tail.row(t).map(f64::to_bits),
                "row {t}"
            );
            assert_eq!(full.compression[t].to_bits(), tail.compression[t].to_bits());
        }
    }

    /// Clean synthetic bars: a wiggling close, a 1-2 % range, steady volume.
    fn bars(n: usize) -> [Vec<f64>; 5] {
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.37).sin() * 5.0 + i as f64 * 0.01)
            .collect();
        let high = close
            .iter()
            .enumerate()
            .map(|(i, c)| c * (1.01 + 0.005 * (i as f64).cos().abs()))
            .collect();
        let low = close.iter().map(|c| c * 0.99).collect();
        let vol = (0..n).map(|i| 1e6 + (i % 17) as f64 * 1e4).collect();
        let vix = (0..n).map(|i| 15.0 + (i % 23) as f64).collect();
        [high, low, close, vol, vix]
    }

    fn frame(b: &[Vec<f64>; 5]) -> FeatureFrame {
        FeatureFrame::compute(&b[0], &b[1], &b[2], &b[3], &b[4])
    }

    #[test]
    fn check_row_names_the_warm_up_and_valid_rows() {
        let f = frame(&bars(400));
        assert_eq!(
            f.check_row(WARM_UP_ROWS - 1),
            Err(FeatureError::WarmUp {
                row: WARM_UP_ROWS - 1
            })
        );
        assert_eq!(f.check_row(WARM_UP_ROWS), Ok(()));
        assert!(f.is_valid(WARM_UP_ROWS) && !f.is_valid(WARM_UP_ROWS - 1));
        assert_eq!(
            f.check_row(400),
            Err(FeatureError::OutOfRange { row: 400, len: 400 })
        );
    }

    #[test]
    fn check_row_says_volumes_are_too_large() {
        let mut b = bars(400);
        for (i, v) in b[3].iter_mut().enumerate().skip(300) {
            *v = 1e308 * (1.0 + (i % 3) as f64 * 0.2);
        }
        let f = frame(&b);
        match f.check_row(399) {
            Err(FeatureError::NonFinite {
                feature: "volume",
                row: 399,
                inputs,
                ..
            }) => {
                assert!(inputs.contains("volumes"));
            }
            other => panic!("{other:?}"),
        }
        let msg = f.check_row(399).unwrap_err().to_string();
        assert!(
            msg.starts_with("volume is NaN at row 399: the volumes of the last 50 bars"),
            "{msg}"
        );
    }

    #[test]
    fn check_row_says_prices_are_constant() {
        let mut b = bars(400);
        for col in &mut b[..3] {
            for v in &mut col[350..] {
                *v = 100.0;
            }
        }
        let f = frame(&b);
        assert_eq!(
            f.check_row(399),
            Err(FeatureError::ConstantPrices {
                feature: "range_width",
                row: 399
            })
        );
        assert!(
            f.check_row(399)
                .unwrap_err()
                .to_string()
                .contains("prices did not move")
        );
    }

    #[test]
    fn zero_atr_and_flat_range() {
        let n = 300;
        let flat = vec![5.0; n];
        let f = FeatureFrame::compute(&flat, &flat, &flat, &vec![0.0; n], &vec![20.0; n]);
        assert_eq!(f.atr[299], 0.0);
        assert!(f.base[4][299].is_nan(), "range_width NaN when ATR == 0");
        assert!(f.base[8][299].is_nan(), "macd NaN when ATR == 0");
        assert_eq!(f.base[3][299], 0.5, "range_pos 0.5 on a flat range");
        assert_eq!(f.base[7][299], 1.0, "volume 1.0 when SMA_50(V) == 0");
    }
}
