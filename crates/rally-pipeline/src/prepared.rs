//! What every per-ticker job starts from — the base features with the VIX
//! aligned as-of, and the HMM observations — and the walk-forward over
//! them, folds in parallel and reassembled in year order (so the output
//! never depends on `--jobs`). Shared by the live retrain and research.

use rally_data::{Series, align_asof};
use rally_features::{ExtraFeatures, FeatureFrame};
use rally_model::walkforward::{
    BarrierRule, TickerInputs, WalkForward, assemble, fold_windows, run_fold,
};
use rally_trade::BacktestInput;
use rayon::prelude::*;

use crate::error::PipelineError;

/// Base features of a series with the VIX aligned as-of.
pub fn features_for(series: &Series, vix: &Series) -> FeatureFrame {
    let v = align_asof(&series.dates, &vix.dates, &vix.close);
    FeatureFrame::compute(&series.high, &series.low, &series.close, &series.volume, &v)
}

/// The model v2 extras of `series` (the frame's returns, ATR and RV must
/// cover every bar, as [`FeatureFrame::compute_from`] leaves them).
pub fn extras_for(series: &Series, frame: &FeatureFrame) -> ExtraFeatures {
    ExtraFeatures::compute(
        &series.high,
        &series.low,
        &series.close,
        &frame.log_return,
        &frame.atr,
        &frame.rv,
    )
}

/// What every per-ticker job starts from: the base features (VIX aligned)
/// and the HMM observations. Fails on a series too short to use.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub frame: FeatureFrame,
    pub obs: Vec<[f64; 2]>,
}

impl Prepared {
    pub fn new(series: &Series, vix: &Series) -> Result<Prepared, PipelineError> {
        if series.len() < 2 {
            return Err(PipelineError::TooShort {
                ticker: series.ticker.clone(),
                bars: series.len(),
            });
        }
        Ok(Prepared {
            frame: features_for(series, vix),
            obs: rally_hmm::observations(&series.high, &series.low, &series.close),
        })
    }

    /// The model's view of `series` (the one this was prepared from).
    pub fn inputs<'a>(&'a self, series: &'a Series) -> TickerInputs<'a> {
        TickerInputs {
            dates: &series.dates,
            high: &series.high,
            low: &series.low,
            close: &series.close,
            frame: &self.frame,
            obs: &self.obs,
        }
    }
}

/// Walk-forward with folds in parallel (deterministic order).
pub fn walk_forward_par(inp: &TickerInputs<'_>) -> Result<WalkForward, PipelineError> {
    walk_forward_rule(inp, BarrierRule::Auto)
}

/// Walk-forward under a barrier rule, folds in parallel.
pub fn walk_forward_rule(
    inp: &TickerInputs<'_>,
    rule: BarrierRule,
) -> Result<WalkForward, PipelineError> {
    let folds = fold_windows(inp);
    let results = folds
        .par_iter()
        .map(|&(year, (lo, hi), (te_lo, te_hi))| run_fold(inp, year, lo, hi, te_lo, te_hi, rule))
        .collect();
    Ok(assemble(results)?)
}

/// A ticker's bars, features and P as the backtest reads them.
pub fn backtest_input<'a>(
    series: &'a Series,
    frame: &'a FeatureFrame,
    p: &'a [f64],
) -> BacktestInput<'a> {
    BacktestInput {
        dates: &series.dates,
        open: &series.open,
        high: &series.high,
        low: &series.low,
        close: &series.close,
        atr: &frame.atr,
        rv: &frame.rv,
        rv_pctile: frame.rv_pctile(),
        compression: &frame.compression,
        p,
    }
}
