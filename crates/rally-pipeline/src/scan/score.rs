//! Step 1 of the scan: features and P(rally) for the bars the scan needs,
//! every ticker in parallel, and the market breadth over them. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::Series;
use rally_model::live_v2::{V2Pool, fit_part};
use rally_model::v2::V2Inputs;
use rally_model::walkforward::TickerInputs;
use rally_store::PositionRow;
use rally_trade::{BarInput, TradeConfig};
use rayon::prelude::*;

use super::benchmark::{Sleeve, sleeve};
use super::models::TickerModel;
use super::{Breadth, Problem, ScanReport, vix_label};
use crate::error::PipelineError;
use crate::prepared::extras_for;

/// Bars kept per ticker for the scan (breadth needs 6; positions need the
/// bars since their last update).
const MIN_TAIL: usize = 6;

/// A ticker's scored tail: the bars the scan may need, with P(rally).
#[derive(Debug, Clone)]
pub(super) struct Scored {
    pub(super) ticker: String,
    pub(super) bars: Vec<BarInput>,
    pub(super) sma50: Vec<f64>,
    pub(super) sma200: Vec<f64>,
    /// Why the newest bar has no P, when it has none.
    unscored: Option<String>,
    /// This ticker's share of the live benchmarks.
    pub(super) sleeve: Option<Sleeve>,
    /// Model v2: the ticker is outside the pool and its part was fitted
    /// from its own data at scan time.
    fitted_now: bool,
}

impl Scored {
    pub(super) fn last(&self) -> Option<&BarInput> {
        self.bars.last()
    }
}

fn score_ticker(
    model: &TickerModel,
    pool: Option<&V2Pool>,
    series: &Series,
    vix: &Series,
    keep_after: Option<NaiveDate>,
    ctx: &ScoreContext<'_>,
) -> Result<Scored, PipelineError> {
    let now = ctx.now;
    let n = series.len();
    let from_pos = keep_after.map_or(n, |d| series.dates.partition_point(|x| *x <= d));
    let start = from_pos.min(n.saturating_sub(MIN_TAIL));
    // The live benchmarks' sleeve starts at the first recorded equity.
    let since = ctx.since.map(|d| series.dates.partition_point(|x| *x < d));
    // Only the kept tail (and the benchmarks' bars) need features; ranks
    // there are exact whatever the first bar computed.
    let v = rally_data::align_asof(&series.dates, &vix.dates, &vix.close);
    let frame = rally_features::FeatureFrame::compute_from(
        &series.high,
        &series.low,
        &series.close,
        &series.volume,
        &v,
        since.map_or(start, |i| i.min(start)),
    );
    let obs = rally_hmm::observations(&series.high, &series.low, &series.close);
    let inp = TickerInputs {
        dates: &series.dates,
        high: &series.high,
        low: &series.low,
        close: &series.close,
        frame: &frame,
        obs: &obs,
    };
    let mut fitted_now = false;
    let p = match (model, pool) {
        (TickerModel::Classic(m), _) => m.score_from(&inp, start),
        (TickerModel::V2(part), Some(pool)) => {
            let fitted;
            let part = match part {
                Some(p) => p.as_ref(),
                None => {
                    fitted = fit_part(&series.ticker, &inp, now)
                        .map_err(|e| PipelineError::from(e).for_ticker(&series.ticker))?;
                    fitted_now = true;
                    &fitted
                }
            };
            let extras = extras_for(series, &frame);
            let v2 = V2Inputs {
                classic: inp,
                extras: &extras,
            };
            pool.score_from(part, &v2, start)
        }
        (TickerModel::V2(_), None) => vec![f64::NAN; n],
    };
    let bars = (start..n)
        .map(|t| BarInput {
            date: series.dates[t],
            open: series.open[t],
            high: series.high[t],
            low: series.low[t],
            close: series.close[t],
            atr: frame.atr[t],
            rv: frame.rv[t],
            rv_pctile: frame.rv_pctile()[t],
            compression: frame.compression[t],
            p: p[t].is_finite().then_some(p[t]),
        })
        .collect();
    let unscored = n.checked_sub(1).filter(|&t| !p[t].is_finite()).map(|t| {
        match frame.check_row(t) {
            Err(e) => format!("cannot score the newest bar ({}): {e}", series.dates[t]),
            // The features are fine: the model has no P for the row (e.g. the
            // HMM filter could not run on these observations).
            Ok(()) => format!(
                "cannot score the newest bar ({}): the model gives no probability for it",
                series.dates[t]
            ),
        }
    });
    Ok(Scored {
        ticker: series.ticker.clone(),
        bars,
        sma50: frame.sma50[start..].to_vec(),
        sma200: frame.sma200[start..].to_vec(),
        unscored,
        fitted_now,
        sleeve: since.and_then(|i| sleeve(series, &frame, i, ctx.config)),
    })
}

/// What scoring needs besides the bars: the open positions (their last
/// updates set how many bars to keep), the live benchmarks' start (the
/// first recorded equity), the scan's config (their exits and sizing) and
/// the clock.
pub(super) struct ScoreContext<'a> {
    pub(super) positions: &'a BTreeMap<String, PositionRow>,
    pub(super) since: Option<NaiveDate>,
    pub(super) config: &'a TradeConfig,
    pub(super) now: DateTime<Utc>,
}

/// Scores every ticker with data; a ticker that cannot be scored is listed
/// in `report.data_errors` with the reason. Returns the scored ones.
pub(super) fn score_all(
    models: &[(String, TickerModel)],
    pool: Option<&V2Pool>,
    loaded: Vec<Result<Series, PipelineError>>,
    vix: &Series,
    ctx: &ScoreContext<'_>,
    report: &mut ScanReport,
) -> Vec<Scored> {
    let scored: Vec<Result<Scored, PipelineError>> = models
        .par_iter()
        .zip(loaded.into_par_iter())
        .map(|((t, m), l)| {
            let s = l?;
            if s.len() < 2 {
                return Err(PipelineError::TooShort {
                    ticker: t.clone(),
                    bars: s.len(),
                });
            }
            score_ticker(
                m,
                pool,
                &s,
                vix,
                ctx.positions.get(t).map(|r| r.last_date),
                ctx,
            )
        })
        .collect();
    let mut ok = Vec::new();
    for ((t, _), r) in models.iter().zip(scored) {
        if let Ok(s) = &r
            && s.fitted_now
        {
            report.outside_pool.push(t.clone());
        }
        match r {
            // The newest bar has no P (warm-up, constant prices, absurd
            // values): listed with the reason, not scanned.
            Ok(Scored {
                unscored: Some(why),
                ..
            }) => report.data_errors.push(Problem {
                ticker: t.clone(),
                reason: why,
            }),
            Ok(s) if !s.bars.is_empty() => ok.push(s),
            Ok(_) => report.data_errors.push(Problem {
                ticker: t.clone(),
                reason: "no bars".into(),
            }),
            Err(e) => report.data_errors.push(Problem {
                ticker: t.clone(),
                reason: e.to_string(),
            }),
        }
    }
    ok
}

pub(super) fn breadth(scored: &[Scored], vix: Option<f64>) -> Breadth {
    let share = |f: &dyn Fn(&Scored) -> Option<bool>| {
        let v: Vec<bool> = scored.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().filter(|b| **b).count() as f64 / v.len() as f64)
    };
    let last_cmp = |s: &Scored, sma: &[f64]| {
        let c = s.last()?.close;
        let m = *sma.last()?;
        m.is_finite().then_some(c > m)
    };
    let golden_crosses = scored
        .iter()
        .filter(|s| {
            let n = s.sma50.len();
            (n.saturating_sub(5).max(1)..n)
                .any(|k| s.sma50[k] > s.sma200[k] && s.sma50[k - 1] <= s.sma200[k - 1])
        })
        .map(|s| s.ticker.clone())
        .collect();
    Breadth {
        n: scored.len(),
        above_sma50: share(&|s| last_cmp(s, &s.sma50)),
        above_sma200: share(&|s| last_cmp(s, &s.sma200)),
        golden_crosses,
        vix,
        vix_label: vix.map(|v| vix_label(v).to_owned()),
    }
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
