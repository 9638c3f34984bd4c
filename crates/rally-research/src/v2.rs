//! The model v2 walk-forward of a run (MODEL-V2.md): every ticker is
//! prepared first, then each fold year gets one pooled fit over all the
//! run's tickers, which scores each ticker's classic out-of-sample rows.
//!
//! Unlike classic, tickers are not independent: the pool of a fold is the
//! run's tickers, so a different ticker list gives different numbers.
//! Ticker-folds run in parallel on the rayon pool, then the fold years;
//! results are reassembled in ticker and year order, so the output never
//! depends on `--jobs`.

use std::collections::BTreeMap;

use rally_data::Series;
use rally_features::ExtraFeatures;
use rally_model::v2::{
    PooledModel, Thresholds, TickerFold, V2Inputs, V2Row, fit_pooled, thresholds_at,
    ticker_fold_rule,
};
use rally_model::walkforward::{BarrierRule, FoldWindow, OosRow, fold_windows};
use rally_model::{ClassMetrics, ModelError, class_metrics};
use rally_pipeline::PipelineError;
use rally_pipeline::prepared::Prepared;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One ticker ready for v2: bars, classic features, HMM observations and
/// the fold-independent extras.
#[derive(Debug, Clone)]
pub struct V2Ticker {
    pub series: Series,
    pub prepared: Prepared,
    pub extras: ExtraFeatures,
}

impl V2Ticker {
    /// Prepare a ticker (fails on a series too short to use).
    pub fn new(series: Series, vix: &Series) -> Result<V2Ticker, PipelineError> {
        let prepared = Prepared::new(&series, vix)?;
        let f = &prepared.frame;
        let extras = ExtraFeatures::compute(
            &series.high,
            &series.low,
            &series.close,
            &f.log_return,
            &f.atr,
            &f.rv,
        );
        Ok(V2Ticker {
            series,
            prepared,
            extras,
        })
    }

    pub fn ticker(&self) -> &str {
        &self.series.ticker
    }

    pub fn inputs(&self) -> V2Inputs<'_> {
        V2Inputs {
            classic: self.prepared.inputs(&self.series),
            extras: &self.extras,
        }
    }
}

/// Tickers that failed, with the reason, in input order.
pub type Failures = Vec<(String, String)>;

/// Load and prepare `tickers` from `source` (in parallel; batch-loaded
/// when the source prefers it). Returns the ready tickers in input order
/// and, separately, each one that failed with its reason; only a failed
/// VIX load is an error.
pub fn load_v2_tickers(
    source: &dyn rally_data::Source,
    tickers: &[String],
) -> Result<(Vec<V2Ticker>, Failures), PipelineError> {
    let vix = source.load_vix()?.series;
    let one = |l: Result<rally_data::Loaded, rally_data::DataError>| {
        let s = l?.series;
        let ticker = s.ticker.clone();
        V2Ticker::new(s, &vix).map_err(|e| e.for_ticker(&ticker))
    };
    let loaded: Vec<Result<V2Ticker, PipelineError>> = if source.prefers_batch() {
        source.load_many(tickers).into_par_iter().map(one).collect()
    } else {
        tickers.par_iter().map(|t| one(source.load(t))).collect()
    };
    let mut failed = Vec::new();
    let mut ready = Vec::with_capacity(loaded.len());
    for (t, r) in tickers.iter().zip(loaded) {
        match r {
            Ok(v) => ready.push(v),
            Err(e) => {
                tracing::info!("{e}");
                failed.push((t.clone(), e.to_string()));
            }
        }
    }
    Ok((ready, failed))
}

/// One fold year's pooled model (`pooled.json`), or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V2Fold {
    pub year: i32,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub model: Option<PooledModel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Thresholds for each compression cut the run asked for (see
    /// [`walk_forward_v2_with`]), in that order; empty without a model.
    #[serde(skip)]
    pub thresholds_by_comp: Vec<Option<Thresholds>>,
}

/// One ticker's v2 out-of-sample rows (classic's rows, v2's P).
#[derive(Debug, Clone, PartialEq)]
pub struct V2TickerResult {
    pub ticker: String,
    pub rows: Vec<OosRow>,
    /// The 22 raw features of each of `rows` (same order).
    pub features: Vec<V2Row>,
    /// Mean label of the ticker's training rows per fold year (METHOD §6,
    /// all of them; years without training rows are absent): the reference
    /// forecast of the Brier skill.
    pub train_base_rate: BTreeMap<i32, f64>,
    /// AUC, Brier, log loss and base rate on the `rows` with a label.
    pub metrics: ClassMetrics,
}

/// The v2 walk-forward of a run.
#[derive(Debug, Clone, Default)]
pub struct V2WalkForward {
    /// Tickers that took part, in input order.
    pub tickers: Vec<V2TickerResult>,
    /// Fold years in order.
    pub folds: Vec<V2Fold>,
    /// Tickers left out of the pool (their fold failed), with the reason.
    pub failed: Vec<(String, String)>,
}

/// A pool too small to fit (no row, or one class) skips the fold year;
/// anything else is an error.
fn skip_reason(e: &ModelError) -> Option<String> {
    match e.root() {
        ModelError::EmptyInput(_) | ModelError::InvalidParameter(_) => Some(e.to_string()),
        _ => None,
    }
}

/// Run the v2 walk-forward over `tickers` (the pool). A ticker whose fold
/// fails (e.g. a zero-variance HMM window) is left out of every fold and
/// reported in `failed`; the others go on.
pub fn walk_forward_v2(
    tickers: &[V2Ticker],
    comp_threshold: f64,
) -> Result<V2WalkForward, PipelineError> {
    walk_forward_v2_with(tickers, &[comp_threshold], BarrierRule::Auto)
}

/// [`walk_forward_v2`] under a barrier rule, with the thresholds of several
/// compression cuts (one per config of a sweep) in each fold's
/// `thresholds_by_comp`; the model's own `thresholds` use `comps[0]`.
pub fn walk_forward_v2_with(
    tickers: &[V2Ticker],
    comps: &[f64],
    rule: BarrierRule,
) -> Result<V2WalkForward, PipelineError> {
    let comp_threshold =
        comps
            .first()
            .copied()
            .ok_or(PipelineError::from(ModelError::EmptyInput(
                "compression thresholds",
            )))?;
    // 1. Every ticker-fold, in parallel (the HMM fits are the cost).
    let jobs: Vec<(usize, FoldWindow)> = tickers
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            fold_windows(&t.inputs().classic)
                .into_iter()
                .map(move |w| (i, w))
        })
        .collect();
    let done: Vec<(usize, Result<TickerFold, ModelError>)> = jobs
        .par_iter()
        .map(|&(i, w)| (i, ticker_fold_rule(&tickers[i].inputs(), w, rule)))
        .collect();
    let mut per_ticker: Vec<Result<Vec<TickerFold>, ModelError>> =
        tickers.iter().map(|_| Ok(Vec::new())).collect();
    for (i, r) in done {
        match (&mut per_ticker[i], r) {
            (Ok(v), Ok(f)) => v.push(f),
            (slot @ Ok(_), Err(e)) => *slot = Err(e),
            (Err(_), _) => {}
        }
    }
    let mut out = V2WalkForward::default();
    let mut kept: Vec<(usize, Vec<TickerFold>)> = Vec::new();
    for (i, r) in per_ticker.into_iter().enumerate() {
        match r {
            Ok(folds) => kept.push((i, folds)),
            Err(e) => {
                let e = PipelineError::from(e).for_ticker(tickers[i].ticker());
                tracing::info!("{e}");
                out.failed
                    .push((tickers[i].ticker().to_owned(), e.to_string()));
            }
        }
    }

    // 2. One pooled fit per fold year, over the kept tickers in input order.
    let mut by_year: BTreeMap<i32, Vec<&TickerFold>> = BTreeMap::new();
    for (_, folds) in &kept {
        for f in folds {
            by_year.entry(f.year).or_default().push(f);
        }
    }
    let years: Vec<(i32, Vec<&TickerFold>)> = by_year.into_iter().collect();
    let fits: Vec<Result<V2Fold, ModelError>> = years
        .par_iter()
        .map(
            |(year, parts)| match fit_pooled(*year, parts, comp_threshold) {
                Ok(m) => Ok(V2Fold {
                    year: *year,
                    thresholds_by_comp: comps
                        .iter()
                        .map(|&c| thresholds_at(&m, parts, c))
                        .collect(),
                    model: Some(m),
                    skipped: None,
                }),
                Err(e) => match skip_reason(&e) {
                    Some(why) => Ok(V2Fold {
                        year: *year,
                        model: None,
                        skipped: Some(why),
                        thresholds_by_comp: Vec::new(),
                    }),
                    None => Err(e),
                },
            },
        )
        .collect();
    for f in fits {
        out.folds.push(f?);
    }

    // 3. Score each ticker's test rows with its fold year's model.
    let model_of: BTreeMap<i32, &PooledModel> = out
        .folds
        .iter()
        .filter_map(|f| f.model.as_ref().map(|m| (f.year, m)))
        .collect();
    for (i, folds) in &kept {
        let scored: Vec<(OosRow, V2Row)> = folds
            .iter()
            .filter_map(|f| model_of.get(&f.year).map(|m| (f, m)))
            .flat_map(|(f, m)| {
                f.test.iter().map(|r| {
                    let row = OosRow {
                        t: r.t,
                        date: r.date,
                        fold_year: f.year,
                        p_rally: m.predict(&r.x),
                        label: r.label,
                    };
                    (row, r.x)
                })
            })
            .collect();
        let (rows, features): (Vec<OosRow>, Vec<V2Row>) = scored.into_iter().unzip();
        let train_base_rate = folds
            .iter()
            .filter_map(|f| f.train_base_rate().map(|r| (f.year, r)))
            .collect();
        let p: Vec<f64> = rows.iter().map(|r| r.p_rally).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.label).collect();
        let metrics = class_metrics(&p, &y).map_err(PipelineError::from)?;
        out.tickers.push(V2TickerResult {
            ticker: tickers[*i].ticker().to_owned(),
            rows,
            features,
            train_base_rate,
            metrics,
        });
    }
    Ok(out)
}
