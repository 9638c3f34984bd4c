//! What one ticker contributes to one v2 fold: its training rows (pooled
//! with every other ticker's) and the rows its fold model scores.
//!
//! The fold itself is the classic one (METHOD §6): same window, same HMM,
//! same barriers and labels, same training-row rule. v2 keeps the rows of
//! folds classic skips for too few rows or classes (they still train the
//! pool) but, like classic, scores no test row there: the out-of-sample
//! rows of both models are identical, so they compare on the same rows.

use chrono::NaiveDate;
use rally_features::{ExtraFeatures, FORWARD_HORIZON, median_daily_sd};

use super::{N_V2, V2Row};
use crate::error::ModelError;
use crate::walkforward::{
    BarrierRule, FoldWindow, N_FEATURES, TickerInputs, TrainedWindow, fold_rows_rule, fold_windows,
};

/// A ticker's classic inputs and its v2 extras, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct V2Inputs<'a> {
    pub classic: TickerInputs<'a>,
    /// Computed from the same bars and frame as `classic`.
    pub extras: &'a ExtraFeatures,
}

/// A row the fold's pooled model scores: one of classic's out-of-sample
/// rows (the newest `h` bars of the data have no label yet; like classic,
/// they are scored, and metrics skip them).
#[derive(Debug, Clone, PartialEq)]
pub struct TestRow {
    pub t: usize,
    pub date: NaiveDate,
    /// NaN where the horizon runs past the data.
    pub label: f64,
    /// The 22 features (raw units; extras may be NaN).
    pub x: V2Row,
}

/// One ticker's share of one fold year.
#[derive(Debug, Clone, PartialEq)]
pub struct TickerFold {
    pub year: i32,
    /// Median daily volatility of the train window (METHOD §5).
    pub sd_day: f64,
    /// Training rows (METHOD §6: valid, labelled, horizon inside the train
    /// window), all of them: no purged split, no calibration rows.
    pub train_x: Vec<V2Row>,
    pub train_y: Vec<f64>,
    /// `compression` of each training row (the thresholds read it).
    pub train_compression: Vec<f64>,
    /// Why classic skipped this fold, if it did; `test` is then empty.
    pub classic_skipped: Option<String>,
    /// Classic's out-of-sample rows of the fold.
    pub test: Vec<TestRow>,
}

impl TickerFold {
    /// Mean label of the training rows (METHOD §6, all of them): the same
    /// rows, so the same value, as classic's
    /// [`FoldRecord::train_base_rate`](crate::walkforward::FoldRecord::train_base_rate).
    /// `None` without training rows.
    pub fn train_base_rate(&self) -> Option<f64> {
        let n = self.train_y.len();
        (n > 0).then(|| self.train_y.iter().filter(|&&y| y == 1.0).count() as f64 / n as f64)
    }
}

/// The 22 features of row `t` under a fold's classic training `w`, or
/// `None` when the row is not valid (a classic feature is not finite).
fn v2_row(inp: &V2Inputs<'_>, w: &TrainedWindow, t: usize, sd_day: f64) -> Option<V2Row> {
    let classic = w.row(t).filter(|x| x.iter().all(|v| v.is_finite()))?;
    let c = &inp.classic;
    let extras = inp.extras.row(t, c.frame.atr[t], c.close[t], sd_day);
    let mut row = [f64::NAN; N_V2];
    row[..N_FEATURES].copy_from_slice(classic);
    row[N_FEATURES..].copy_from_slice(&extras);
    Some(row)
}

/// Build one ticker's share of the fold `window` (from
/// [`fold_windows`]). Fits the fold's HMM and takes classic's skip
/// decision (classic's regression itself is not fitted: v2 does not use
/// it); a zero-variance HMM window is an error for the ticker, as in
/// classic.
pub fn ticker_fold(inp: &V2Inputs<'_>, window: FoldWindow) -> Result<TickerFold, ModelError> {
    ticker_fold_rule(inp, window, BarrierRule::Auto)
}

/// [`ticker_fold`] under a chosen barrier rule: the rule sets the labels;
/// `sd_day` (and so `lvol_bar` / `latr_bar`) is the window's either way.
pub fn ticker_fold_rule(
    inp: &V2Inputs<'_>,
    window: FoldWindow,
    rule: BarrierRule,
) -> Result<TickerFold, ModelError> {
    ticker_fold_window(inp, window, rule).map(|(fold, _)| fold)
}

/// [`ticker_fold_rule`] with the fold's classic training (its HMM, barriers
/// and labels), which the live v2 model stores per ticker.
pub fn ticker_fold_window(
    inp: &V2Inputs<'_>,
    window: FoldWindow,
    rule: BarrierRule,
) -> Result<(TickerFold, TrainedWindow), ModelError> {
    let (year, (lo, hi), (te_lo, te_hi)) = window;
    let c = &inp.classic;
    if inp.extras.len() != c.len() {
        return Err(ModelError::DimensionMismatch {
            what: "v2 extra features (one per bar)",
            expected: c.len(),
            got: inp.extras.len(),
        });
    }
    let w = fold_rows_rule(c, lo, hi, te_hi, rule)?;
    let sd_day = median_daily_sd(&c.frame.rv[lo..=hi]);
    let h = FORWARD_HORIZON;
    let mut fold = TickerFold {
        year,
        sd_day,
        train_x: Vec::new(),
        train_y: Vec::new(),
        train_compression: Vec::new(),
        classic_skipped: w.info.skipped.clone(),
        test: Vec::new(),
    };
    for t in lo..=hi {
        let y = w.label(t);
        if t + h > hi || !y.is_finite() {
            continue;
        }
        if let Some(x) = v2_row(inp, &w, t, sd_day) {
            fold.train_x.push(x);
            fold.train_y.push(y);
            fold.train_compression.push(c.frame.compression[t]);
        }
    }
    // Classic scores the fold unless it skips it (its regression is not
    // fitted here: v2 does not use it).
    if w.info.skipped.is_none() {
        for t in te_lo..=te_hi {
            if let Some(x) = v2_row(inp, &w, t, sd_day) {
                fold.test.push(TestRow {
                    t,
                    date: c.dates[t],
                    label: w.label(t),
                    x,
                });
            }
        }
    }
    Ok((fold, w))
}

/// Every fold of a ticker, in year order (serial; callers that want the
/// folds in parallel map [`ticker_fold`] over [`fold_windows`]).
pub fn ticker_folds(inp: &V2Inputs<'_>) -> Result<Vec<TickerFold>, ModelError> {
    fold_windows(&inp.classic)
        .into_iter()
        .map(|w| ticker_fold(inp, w))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::v2::test_market::owned;
    use crate::walkforward::walk_forward;

    #[test]
    fn test_rows_are_classics_out_of_sample_rows() {
        let o = owned("SPY");
        let inp = o.inputs();
        let folds = ticker_folds(&inp).unwrap();
        let classic = walk_forward(&inp.classic).unwrap();
        let ours: Vec<(usize, i32, u64)> = folds
            .iter()
            .flat_map(|f| f.test.iter().map(|r| (r.t, f.year, r.label.to_bits())))
            .collect();
        let theirs: Vec<(usize, i32, u64)> = classic
            .rows
            .iter()
            .map(|r| (r.t, r.fold_year, r.label.to_bits()))
            .collect();
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs);
        // Training rows: classic's n_train (skipped folds included).
        for (f, rec) in folds.iter().zip(&classic.folds) {
            assert_eq!(f.year, rec.year);
            assert_eq!(f.train_x.len(), rec.info.n_train, "fold {}", f.year);
            assert_eq!(f.classic_skipped, rec.info.skipped);
            assert_eq!(f.train_y.len(), f.train_compression.len());
            assert_eq!(
                f.train_base_rate(),
                rec.train_base_rate(),
                "fold {}",
                f.year
            );
        }
    }
}
