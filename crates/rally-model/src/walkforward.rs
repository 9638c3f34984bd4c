//! Training on a window and the walk-forward procedure (METHOD §6).
//!
//! One function, [`train_window`], fits HMM -> barriers -> labels -> LR ->
//! isotonic on a contiguous window of rows; the walk-forward folds and the
//! live model both call it, so the two can never drift apart.

use chrono::{Datelike, NaiveDate};
use rally_features::{
    BASE_FEATURES, Barriers, FORWARD_HORIZON, FeatureFrame, N_BASE, rally_labels_in,
};
use rally_hmm::HmmParams;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::isotonic::Calibration;
use crate::logistic::{Standardiser, fit_logistic};
use crate::metrics::{ClassMetrics, class_metrics};

/// Model inputs: 10 base features + 3 HMM features.
pub const N_FEATURES: usize = N_BASE + 3;

/// Feature names in model column order: the base features, then the HMM's.
pub const FEATURE_NAMES: [&str; N_FEATURES] = {
    let hmm = ["hmm_p_low", "hmm_p_high", "hmm_age"];
    let mut out = [""; N_FEATURES];
    let mut i = 0;
    while i < N_FEATURES {
        out[i] = if i < N_BASE {
            BASE_FEATURES[i]
        } else {
            hmm[i - N_BASE]
        };
        i += 1;
    }
    out
};

/// Minimum training rows of a window.
pub const MIN_TRAIN_ROWS: usize = 500;
/// Minimum positives and negatives among the fit rows.
pub const MIN_CLASS_ROWS: usize = 20;
/// Walk-forward train / test lengths in calendar years.
pub const TRAIN_YEARS: i32 = 5;
/// Logistic regression `C`.
pub const LR_C: f64 = 1.0;

pub const SKIP_FEW_ROWS: &str = "fewer than 500 training rows";
pub const SKIP_FEW_CLASS: &str = "fewer than 20 positives or negatives";

/// A ticker's bars and base features, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct TickerInputs<'a> {
    pub dates: &'a [NaiveDate],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    pub frame: &'a FeatureFrame,
    /// HMM observations (`rally_hmm::observations`), row 0 non-finite.
    pub obs: &'a [[f64; 2]],
}

impl TickerInputs<'_> {
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// What fitting one window produced: everything needed to score a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringModel {
    pub hmm: HmmParams,
    pub barriers: Barriers,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    pub intercept: f64,
    pub weights: Vec<f64>,
    pub calibration: Calibration,
}

impl ScoringModel {
    /// P(rally) of one 13-feature row (raw units).
    pub fn predict(&self, x: &[f64; N_FEATURES]) -> f64 {
        let mut z = self.intercept;
        for (k, xk) in x.iter().enumerate() {
            z += self.weights[k] * ((xk - self.mean[k]) / self.std[k]);
        }
        self.calibration.apply(crate::logistic::sigmoid(z))
    }
}

/// The record of one window's training (`folds.json` / `model.json` counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowInfo {
    pub r_up: f64,
    pub d_dn: f64,
    pub n_train: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_fit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_cal: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intercept: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// A trained window: the model (or why there is none), its record, and the
/// per-row features and labels it saw (HMM columns from its own HMM).
#[derive(Debug, Clone)]
pub struct TrainedWindow {
    /// The window's HMM (fitted even when the regression is skipped).
    pub hmm: HmmParams,
    pub model: Option<ScoringModel>,
    pub info: WindowInfo,
    /// First row of `x` and `labels`: `x[i]` is row `first + i`.
    pub first: usize,
    /// 13 features per row for rows `first..upto` (HMM columns from the
    /// causal filter run from row 0).
    pub x: Vec<[f64; N_FEATURES]>,
    /// Labels under this window's barriers, rows `first..upto`.
    pub labels: Vec<f64>,
    /// How many of the window's `info.n_train` training rows rallied (all
    /// of them, before the purged split).
    pub n_train_positive: usize,
}

impl TrainedWindow {
    /// The 13 features of row `t`, if this window materialised it.
    pub fn row(&self, t: usize) -> Option<&[f64; N_FEATURES]> {
        self.x.get(t.checked_sub(self.first)?)
    }

    /// The label of row `t` (NaN where undefined or not materialised).
    pub fn label(&self, t: usize) -> f64 {
        t.checked_sub(self.first)
            .and_then(|i| self.labels.get(i))
            .copied()
            .unwrap_or(f64::NAN)
    }
}

/// The 13-feature rows `0..n` under a given HMM.
pub fn feature_rows(inp: &TickerInputs<'_>, hmm: &HmmParams, n: usize) -> Vec<[f64; N_FEATURES]> {
    feature_rows_in(inp, hmm, 0..n)
}

/// The 13-feature rows of `rows` under a given HMM (element `i` is row
/// `rows.start + i`); the filter itself always starts at row 0.
pub fn feature_rows_in(
    inp: &TickerInputs<'_>,
    hmm: &HmmParams,
    rows: std::ops::Range<usize>,
) -> Vec<[f64; N_FEATURES]> {
    let alpha = rally_hmm::filter(hmm, &inp.obs[..rows.end]);
    let hf = rally_hmm::features(&alpha);
    rows.map(|t| {
        let mut row = [f64::NAN; N_FEATURES];
        for (k, col) in inp.frame.base.iter().enumerate() {
            row[k] = col[t];
        }
        row[N_BASE..].copy_from_slice(&hf[t]);
        row
    })
    .collect()
}

fn all_finite(x: &[f64]) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// How a window's label barriers are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum BarrierRule {
    /// METHOD §5 auto-calibration on the training window (the default).
    #[default]
    Auto,
    /// Fixed barriers (e.g. [`Barriers::HAND_TUNED`] for `--validate`).
    Fixed(Barriers),
}

/// Fit the model on rows `lo..=hi` (METHOD §6). Feature rows are produced
/// for `0..upto` (at least `hi + 1`), so callers can score later rows.
/// A zero-variance HMM window is an error for the whole ticker.
pub fn train_window(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    upto: usize,
) -> Result<TrainedWindow, ModelError> {
    train_window_with(inp, lo, hi, upto, BarrierRule::Auto)
}

/// [`train_window`] with an explicit barrier rule.
pub fn train_window_with(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    upto: usize,
    rule: BarrierRule,
) -> Result<TrainedWindow, ModelError> {
    train_rows(inp, lo, hi, 0, upto, rule)
}

/// [`train_window_with`] materialising features and labels only for rows
/// `first..upto` (`first <= lo`). Errors name the window's dates.
fn train_rows(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    first: usize,
    upto: usize,
    rule: BarrierRule,
) -> Result<TrainedWindow, ModelError> {
    train_rows_fit(inp, lo, hi, first, upto, rule, true)
}

/// [`train_rows`]; with `fit_classic` false the window stops after
/// classic's skip decision (HMM, barriers, features, labels, row counts)
/// and fits no regression: `model` is `None` and `info.skipped` says
/// whether classic would have scored the window.
fn train_rows_fit(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    first: usize,
    upto: usize,
    rule: BarrierRule,
    fit_classic: bool,
) -> Result<TrainedWindow, ModelError> {
    train_rows_in(inp, lo, hi, first, upto, rule, fit_classic).map_err(|e| {
        match (inp.dates.get(lo), inp.dates.get(hi)) {
            (Some(&first), Some(&last)) => ModelError::InWindow {
                first,
                last,
                source: Box::new(e),
            },
            _ => e,
        }
    })
}

fn train_rows_in(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    first: usize,
    upto: usize,
    rule: BarrierRule,
    fit_classic: bool,
) -> Result<TrainedWindow, ModelError> {
    let h = FORWARD_HORIZON;
    let first = first.min(lo);
    let fit_obs: Vec<[f64; 2]> = inp.obs[lo..=hi]
        .iter()
        .filter(|o| o[0].is_finite() && o[1].is_finite())
        .copied()
        .collect();
    let hmm = rally_hmm::fit(&fit_obs)?;
    let upto = upto.max(hi + 1).min(inp.len());
    let x = feature_rows_in(inp, &hmm, first..upto);
    let barriers = match rule {
        BarrierRule::Auto => Barriers::calibrate(&inp.frame.rv[lo..=hi]),
        BarrierRule::Fixed(b) => b,
    };
    let labels = rally_labels_in(inp.high, inp.low, inp.close, barriers, h, first..upto);
    // Window-relative views: row t is element t - first.
    let (xr, yr) = (|t: usize| &x[t - first], |t: usize| labels[t - first]);
    let rows: Vec<usize> = (lo..=hi)
        .filter(|&t| all_finite(xr(t)) && yr(t).is_finite() && t + h <= hi)
        .collect();
    let mut info = WindowInfo {
        r_up: barriers.r_up,
        d_dn: barriers.d_dn,
        n_train: rows.len(),
        n_fit: None,
        n_cal: None,
        intercept: None,
        weights: None,
        skipped: None,
    };
    let n_train_positive = rows.iter().filter(|&&t| yr(t) == 1.0).count();
    let skip = |mut info: WindowInfo, why: &str, x, labels, hmm| {
        info.skipped = Some(why.to_owned());
        Ok(TrainedWindow {
            hmm,
            model: None,
            info,
            first,
            x,
            labels,
            n_train_positive,
        })
    };
    let n = rows.len();
    if n < MIN_TRAIN_ROWS {
        return skip(info, SKIP_FEW_ROWS, x, labels, hmm);
    }
    let m = (0.8 * n as f64).floor() as usize;
    let fit_rows = &rows[..m - h];
    let cal_rows = &rows[m..];
    let pos = fit_rows.iter().filter(|&&t| yr(t) == 1.0).count();
    if pos < MIN_CLASS_ROWS || fit_rows.len() - pos < MIN_CLASS_ROWS {
        return skip(info, SKIP_FEW_CLASS, x, labels, hmm);
    }
    if !fit_classic {
        return Ok(TrainedWindow {
            hmm,
            model: None,
            info,
            first,
            x,
            labels,
            n_train_positive,
        });
    }
    let xf: Vec<f64> = fit_rows.iter().flat_map(|&t| *xr(t)).collect();
    let yf: Vec<f64> = fit_rows.iter().map(|&t| yr(t)).collect();
    let st = Standardiser::fit(&xf, N_FEATURES)?;
    let lr = fit_logistic(&st.transform(&xf), N_FEATURES, &yf, LR_C)?;
    let mut buf = [0.0; N_FEATURES];
    let raw: Vec<f64> = cal_rows
        .iter()
        .map(|&t| {
            st.transform_row(xr(t), &mut buf);
            lr.predict_proba(&buf)
        })
        .collect();
    let yc: Vec<f64> = cal_rows.iter().map(|&t| yr(t)).collect();
    let calibration = Calibration::fit(&raw, &yc)?;
    info.n_fit = Some(fit_rows.len());
    info.n_cal = Some(cal_rows.len());
    info.intercept = Some(lr.intercept);
    info.weights = Some(lr.weights.clone());
    Ok(TrainedWindow {
        hmm: hmm.clone(),
        model: Some(ScoringModel {
            hmm,
            barriers,
            mean: st.mean,
            std: st.std,
            intercept: lr.intercept,
            weights: lr.weights,
            calibration,
        }),
        info,
        first,
        x,
        labels,
        n_train_positive,
    })
}

/// The classic training of one walk-forward fold, exactly as [`run_fold`]
/// does it (auto barriers), with features and labels materialised for rows
/// `lo..=te_hi`: the HMM, labels and skip decision model v2 builds on.
pub fn train_fold(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    te_hi: usize,
) -> Result<TrainedWindow, ModelError> {
    train_fold_rule(inp, lo, hi, te_hi, BarrierRule::Auto)
}

/// [`train_fold`] under a chosen barrier rule (`retrainer validate`).
pub fn train_fold_rule(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    te_hi: usize,
    rule: BarrierRule,
) -> Result<TrainedWindow, ModelError> {
    train_rows(inp, lo, hi, lo, te_hi + 1, rule)
}

/// [`train_fold_rule`] without classic's regression and calibration: the
/// fold's HMM, barriers, features and labels, and in `info.skipped`
/// whether classic scores the fold (`model` is `None`). What model v2
/// builds on; the regression would be thrown away.
pub fn fold_rows_rule(
    inp: &TickerInputs<'_>,
    lo: usize,
    hi: usize,
    te_hi: usize,
    rule: BarrierRule,
) -> Result<TrainedWindow, ModelError> {
    train_rows_fit(inp, lo, hi, lo, te_hi + 1, rule, false)
}

/// One fold's record (`folds.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldRecord {
    pub year: i32,
    #[serde(flatten)]
    pub info: WindowInfo,
    /// Positives among the fold's `info.n_train` training rows (not in
    /// `folds.json`; `None` for a record read back from a file).
    #[serde(skip)]
    pub n_train_positive: Option<usize>,
}

impl FoldRecord {
    /// Mean label of the fold's training rows (all of them, METHOD §6):
    /// the reference forecast of the Brier skill. `None` without training
    /// rows or when the record does not know its positives.
    pub fn train_base_rate(&self) -> Option<f64> {
        let pos = self.n_train_positive?;
        (self.info.n_train > 0).then(|| pos as f64 / self.info.n_train as f64)
    }
}

/// One out-of-sample prediction (`walkforward.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OosRow {
    pub t: usize,
    pub date: NaiveDate,
    pub fold_year: i32,
    pub p_rally: f64,
    pub label: f64,
}

/// The walk-forward result of a ticker.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WalkForward {
    pub rows: Vec<OosRow>,
    pub folds: Vec<FoldRecord>,
    pub metrics: Option<ClassMetrics>,
}

impl WalkForward {
    /// P(rally) per bar: NaN where there is no out-of-sample prediction.
    pub fn p_series(&self, n: usize) -> Vec<f64> {
        let mut p = vec![f64::NAN; n];
        for r in &self.rows {
            p[r.t] = r.p_rally;
        }
        p
    }
}

/// One fold: `(test year, train rows lo..=hi, test rows lo..=hi)`.
pub type FoldWindow = (i32, (usize, usize), (usize, usize));

/// Calendar-year folds (`TRAIN_YEARS` train, 1 test) for every year whose
/// windows are non-empty.
pub fn fold_windows(inp: &TickerInputs<'_>) -> Vec<FoldWindow> {
    let n = inp.len();
    let Some(first_valid) = (0..n).find(|&t| inp.frame.is_valid(t)) else {
        return Vec::new();
    };
    let year_start = |y: i32| inp.dates.partition_point(|d| d.year() < y);
    let first_year = inp.dates[first_valid].year() + TRAIN_YEARS;
    let last_year = inp.dates[n - 1].year();
    (first_year..=last_year)
        .filter_map(|y| {
            let (tr_lo, tr_hi) = (year_start(y - TRAIN_YEARS), year_start(y));
            let (te_lo, te_hi) = (year_start(y), year_start(y + 1));
            (tr_hi > tr_lo && te_hi > te_lo).then_some((y, (tr_lo, tr_hi - 1), (te_lo, te_hi - 1)))
        })
        .collect()
}

/// Run every fold. Folds are independent; `map` lets the caller run them in
/// parallel (results are reassembled in year order, so output is identical).
pub fn walk_forward(inp: &TickerInputs<'_>) -> Result<WalkForward, ModelError> {
    let folds = fold_windows(inp);
    let results: Vec<Result<(FoldRecord, Vec<OosRow>), ModelError>> = folds
        .iter()
        .map(|&(year, (lo, hi), (te_lo, te_hi))| {
            run_fold(inp, year, lo, hi, te_lo, te_hi, BarrierRule::Auto)
        })
        .collect();
    assemble(results)
}

/// One fold: train on `lo..=hi`, predict the valid test rows `te_lo..=te_hi`.
pub fn run_fold(
    inp: &TickerInputs<'_>,
    year: i32,
    lo: usize,
    hi: usize,
    te_lo: usize,
    te_hi: usize,
    rule: BarrierRule,
) -> Result<(FoldRecord, Vec<OosRow>), ModelError> {
    // Only the fold's own rows are materialised (the filter still runs
    // from row 0).
    let w = train_rows(inp, lo, hi, lo, te_hi + 1, rule)?;
    let mut out = Vec::new();
    if let Some(model) = &w.model {
        for t in te_lo..=te_hi {
            if let Some(x) = w.row(t).filter(|x| all_finite(&x[..])) {
                out.push(OosRow {
                    t,
                    date: inp.dates[t],
                    fold_year: year,
                    p_rally: model.predict(x),
                    label: w.label(t),
                });
            }
        }
    }
    Ok((
        FoldRecord {
            year,
            info: w.info,
            n_train_positive: Some(w.n_train_positive),
        },
        out,
    ))
}

/// Concatenate fold results in order and compute the out-of-sample metrics.
pub fn assemble(
    results: Vec<Result<(FoldRecord, Vec<OosRow>), ModelError>>,
) -> Result<WalkForward, ModelError> {
    let mut wf = WalkForward::default();
    for r in results {
        let (rec, rows) = r?;
        wf.folds.push(rec);
        wf.rows.extend(rows);
    }
    let p: Vec<f64> = wf.rows.iter().map(|r| r.p_rally).collect();
    let y: Vec<f64> = wf.rows.iter().map(|r| r.label).collect();
    wf.metrics = Some(class_metrics(&p, &y)?);
    Ok(wf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn constant_prices_name_the_window_and_the_cause() {
        let n = 600;
        let day0 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..n).map(|i| day0 + chrono::Days::new(i as u64)).collect();
        let flat = vec![50.0; n];
        let frame = FeatureFrame::compute(&flat, &flat, &flat, &vec![1e6; n], &vec![20.0; n]);
        let obs = rally_hmm::observations(&flat, &flat, &flat);
        let inp = TickerInputs {
            dates: &dates,
            high: &flat,
            low: &flat,
            close: &flat,
            frame: &frame,
            obs: &obs,
        };
        let e = train_window(&inp, 10, n - 1, n).unwrap_err();
        assert!(
            matches!(
                e.root(),
                ModelError::Hmm(rally_hmm::HmmError::ZeroVariance { dim: 0 })
            ),
            "{e:?}"
        );
        match &e {
            ModelError::InWindow { first, last, .. } => {
                assert_eq!((*first, *last), (dates[10], dates[n - 1]));
            }
            other => panic!("{other:?}"),
        }
        let msg = e.to_string();
        assert!(
            msg.starts_with("training window 2020-01-11..=2021-08-22: HMM: the daily log return"),
            "{msg}"
        );
    }
}
