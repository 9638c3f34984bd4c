//! `retrainer evaluate`: how good is P(rally)? The walk-forward of each
//! chosen model family on the same out-of-sample rows (classic's rows; v2
//! pooled over the run's tickers), scored per ticker and pooled
//! (MODEL-V2.md, "How the reference figures are computed"): AUC, Brier,
//! Brier skill against the training base rate of each row's ticker-fold,
//! log loss, ECE over METHOD §8's 10 bins, the share of P exactly 0 or 1,
//! then the median over tickers, the pooled figures and the pooled
//! reliability table.
//!
//! Tickers run in parallel on the rayon pool and are reassembled in input
//! order, so the result never depends on `--jobs`.

use std::collections::BTreeMap;

use rally_model::walkforward::{OosRow, WalkForward, walk_forward};
use rally_model::{EvalMetrics, ModelError, ReliabilityBin, eval_metrics, reliability_table};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ResearchError;
use crate::v2::{V2Ticker, V2TickerResult, load_v2_tickers, walk_forward_v2};
use rally_pipeline::PipelineError;

/// The model family, shared with training and scanning.
pub use rally_model::Family;

/// One ticker's figures under one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TickerEval {
    pub ticker: String,
    #[serde(flatten)]
    pub metrics: EvalMetrics,
}

/// Medians over the tickers that have the figure (`None` if none has it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MedianMetrics {
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    pub brier_skill: Option<f64>,
    pub log_loss: Option<f64>,
    pub ece: Option<f64>,
    pub p_extreme_share: Option<f64>,
}

/// One family's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyEval {
    pub family: Family,
    /// Per ticker, in input order.
    pub tickers: Vec<TickerEval>,
    pub median: MedianMetrics,
    /// All tickers' labelled rows together.
    pub pooled: EvalMetrics,
    /// The pooled 10-bin reliability table.
    pub reliability: Vec<ReliabilityBin>,
}

/// A ticker left out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failed {
    pub ticker: String,
    pub error: String,
}

/// The evaluation of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Tickers evaluated (every family has each), in input order.
    pub tickers: Vec<String>,
    /// Tickers that failed to load or to train, in input order.
    pub failed: Vec<Failed>,
    /// In the order asked for.
    pub families: Vec<FamilyEval>,
}

/// One ticker's rows under one family, with the reference forecast
/// (training base rate of the row's fold) of each row.
struct Scored {
    rows: Vec<OosRow>,
    reference: Vec<f64>,
}

/// The training base rate of each row's fold (NaN where unknown: an error
/// later if the row has a label).
pub fn reference_forecast(rows: &[OosRow], base_rate: &BTreeMap<i32, f64>) -> Vec<f64> {
    rows.iter()
        .map(|r| base_rate.get(&r.fold_year).copied().unwrap_or(f64::NAN))
        .collect()
}

/// [`EvalMetrics`] of one v2 ticker (its own rows and training base rates).
pub fn v2_ticker_metrics(t: &V2TickerResult) -> Result<EvalMetrics, ModelError> {
    let reference = reference_forecast(&t.rows, &t.train_base_rate);
    score(&t.rows, &reference)
}

fn score(rows: &[OosRow], reference: &[f64]) -> Result<EvalMetrics, ModelError> {
    let (p, y) = p_and_y(rows);
    eval_metrics(&p, &y, reference)
}

fn p_and_y(rows: &[OosRow]) -> (Vec<f64>, Vec<f64>) {
    rows.iter().map(|r| (r.p_rally, r.label)).unzip()
}

fn classic_scored(wf: &WalkForward) -> Scored {
    let rates: BTreeMap<i32, f64> = wf
        .folds
        .iter()
        .filter_map(|f| f.train_base_rate().map(|r| (f.year, r)))
        .collect();
    Scored {
        reference: reference_forecast(&wf.rows, &rates),
        rows: wf.rows.clone(),
    }
}

fn v2_scored(t: &V2TickerResult) -> Scored {
    Scored {
        reference: reference_forecast(&t.rows, &t.train_base_rate),
        rows: t.rows.clone(),
    }
}

/// Median of the finite values (mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

fn family_eval(
    family: Family,
    names: &[String],
    scored: &[Scored],
) -> Result<FamilyEval, ModelError> {
    let tickers = names
        .iter()
        .zip(scored)
        .map(|(t, s)| {
            Ok(TickerEval {
                ticker: t.clone(),
                metrics: score(&s.rows, &s.reference)?,
            })
        })
        .collect::<Result<Vec<_>, ModelError>>()?;
    let med =
        |f: fn(&EvalMetrics) -> Option<f64>| median(tickers.iter().filter_map(|t| f(&t.metrics)));
    let median = MedianMetrics {
        auc: med(|m| m.auc),
        brier: med(|m| m.brier),
        brier_skill: med(|m| m.brier_skill),
        log_loss: med(|m| m.log_loss),
        ece: med(|m| m.ece),
        p_extreme_share: med(|m| m.p_extreme_share),
    };
    let (mut p, mut y, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for s in scored {
        let (sp, sy) = p_and_y(&s.rows);
        p.extend(sp);
        y.extend(sy);
        r.extend_from_slice(&s.reference);
    }
    Ok(FamilyEval {
        family,
        tickers,
        median,
        pooled: eval_metrics(&p, &y, &r)?,
        reliability: reliability_table(&p, &y)?,
    })
}

/// Evaluate `families` on prepared tickers (the v2 pool is all of them).
/// `comp_threshold` only sets the v2 models' thresholds, which no figure
/// here uses. A ticker that fails in any family is left out of every one
/// and listed in `failed`.
pub fn evaluate(
    tickers: &[V2Ticker],
    families: &[Family],
    comp_threshold: f64,
) -> Result<Evaluation, ResearchError> {
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let want = |f: Family| families.contains(&f);
    let classic: Vec<Option<WalkForward>> = if want(Family::Classic) {
        let runs: Vec<Result<WalkForward, ModelError>> = tickers
            .par_iter()
            .map(|t| walk_forward(&t.inputs().classic))
            .collect();
        runs.into_iter()
            .zip(tickers)
            .map(|(r, t)| match r {
                Ok(wf) => Some(wf),
                Err(e) => {
                    let e = PipelineError::from(e).for_ticker(t.ticker());
                    failed.insert(t.ticker().to_owned(), e.to_string());
                    None
                }
            })
            .collect()
    } else {
        vec![None; tickers.len()]
    };
    let v2 = if want(Family::V2) {
        let wf = walk_forward_v2(tickers, comp_threshold)?;
        failed.extend(wf.failed.iter().cloned());
        Some(wf)
    } else {
        None
    };
    let v2_of: BTreeMap<&str, &V2TickerResult> = v2
        .iter()
        .flat_map(|wf| wf.tickers.iter().map(|t| (t.ticker.as_str(), t)))
        .collect();

    let mut names = Vec::new();
    let mut per_family: Vec<Vec<Scored>> = families.iter().map(|_| Vec::new()).collect();
    for (t, c) in tickers.iter().zip(&classic) {
        let name = t.ticker();
        if failed.contains_key(name) {
            continue;
        }
        let c = c.as_ref();
        let v = v2_of.get(name).copied();
        if let (Some(c), Some(v)) = (c, v) {
            check_same_rows(name, &c.rows, &v.rows)?;
        }
        for (k, f) in families.iter().enumerate() {
            let s = match f {
                Family::Classic => c.map(classic_scored),
                Family::V2 => v.map(v2_scored),
            };
            match s {
                Some(s) => per_family[k].push(s),
                None => {
                    return Err(ResearchError::Missing {
                        ticker: name.to_owned(),
                        family: f.as_str(),
                    });
                }
            }
        }
        names.push(name.to_owned());
    }
    let families = families
        .iter()
        .zip(&per_family)
        .map(|(f, s)| family_eval(*f, &names, s).map_err(PipelineError::from))
        .collect::<Result<Vec<_>, PipelineError>>()?;
    Ok(Evaluation {
        tickers: names,
        failed: in_order(tickers.iter().map(V2Ticker::ticker), failed),
        families,
    })
}

/// The failures of `all` in the order of `order`.
fn in_order<'a>(
    order: impl Iterator<Item = &'a str>,
    mut all: BTreeMap<String, String>,
) -> Vec<Failed> {
    order
        .filter_map(|t| {
            all.remove(t).map(|error| Failed {
                ticker: t.to_owned(),
                error,
            })
        })
        .collect()
}

impl Evaluation {
    /// `retrainer evaluate --json`: one pretty-printed JSON document, keys
    /// sorted (serde_json's map is ordered), numbers in shortest round-trip
    /// form: identical bytes for identical results.
    pub fn to_json(&self) -> Result<String, PipelineError> {
        let v = serde_json::to_value(self).map_err(PipelineError::json("evaluation JSON"))?;
        serde_json::to_string_pretty(&v).map_err(PipelineError::json("evaluation JSON"))
    }
}

/// Both families must be scored on identical rows (same bars, folds and
/// labels); anything else is a bug worth stopping for.
fn check_same_rows(ticker: &str, a: &[OosRow], b: &[OosRow]) -> Result<(), ResearchError> {
    let key = |r: &OosRow| (r.t, r.fold_year, r.label.to_bits());
    if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| key(x) != key(y)) {
        return Err(ResearchError::RowsDiffer {
            ticker: ticker.to_owned(),
            classic: a.len(),
            v2: b.len(),
        });
    }
    Ok(())
}

/// `retrainer evaluate`: load `tickers` from `source` and [`evaluate`]
/// them. Failed loads are listed in `failed` (in input order with the
/// others).
pub fn evaluate_source(
    source: &dyn rally_data::Source,
    tickers: &[String],
    families: &[Family],
    comp_threshold: f64,
) -> Result<Evaluation, ResearchError> {
    let (ready, load_failed) = load_v2_tickers(source, tickers)?;
    let mut ev = evaluate(&ready, families, comp_threshold)?;
    let mut all: BTreeMap<String, String> = load_failed.into_iter().collect();
    all.extend(ev.failed.drain(..).map(|f| (f.ticker, f.error)));
    ev.failed = in_order(tickers.iter().map(String::as_str), all);
    Ok(ev)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_and_empty() {
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median([f64::NAN]), None);
        assert_eq!(median([]), None);
    }
}
