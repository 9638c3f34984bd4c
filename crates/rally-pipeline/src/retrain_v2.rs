//! `retrainer --model v2`: the live model v2 of the run's universe
//! (MODEL-V2.md "Live"). Every ticker's live window (HMM, barriers,
//! `sd_day`, 22-feature training rows) is built in parallel; then one
//! pooled fit runs over all of them in ticker order, so the artefacts are
//! bit-identical whatever the number of worker threads. The parts are
//! saved first, the pool last (the pool names the parts it was fitted
//! with).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use rally_data::Series;
use rally_model::Family;
use rally_model::live_v2::{LivePart, fit_pool, train_live_part};
use rally_model::v2::V2Inputs;
use rally_trade::TradeConfig;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::DataAccess;
use crate::error::PipelineError;
use crate::models::{Loaded, SKIP_FRESH_DAYS, load_part, load_pool};
use crate::prepared::{Prepared, extras_for};
use crate::retrain::{RetrainOptions, RetrainReport};
use crate::state::StateDir;

/// What the summary says about a fitted pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolSummary {
    pub tickers: usize,
    pub rows: usize,
    pub compressed_rows: usize,
    pub entry: f64,
    pub watch: f64,
}

/// The compression cut of the pool's thresholds: the baseline config's
/// (the named configs keep their other parameters).
pub fn pool_comp_threshold() -> f64 {
    TradeConfig::baseline().comp_threshold
}

/// Age of the pool when it is fresh and covers every ticker of the run
/// with a readable part; anything else retrains the whole pool (its rows
/// are the union of every ticker's).
fn fresh_pool_age(state: &StateDir, tickers: &[String], now: DateTime<Utc>) -> Option<i64> {
    let Loaded::Ready(pool) = load_pool(state) else {
        return None;
    };
    let age = pool.age_days(now);
    let covered = tickers
        .iter()
        .all(|t| pool.contains(t) && matches!(load_part(state, t), Loaded::Ready(_)));
    (age < SKIP_FRESH_DAYS && covered).then_some(age)
}

fn part_one(series: Series, vix: &Series, now: DateTime<Utc>) -> Result<LivePart, PipelineError> {
    let ticker = series.ticker.clone();
    let prepared = Prepared::new(&series, vix).map_err(|e| e.for_ticker(&ticker))?;
    let extras = extras_for(&series, &prepared.frame);
    let inp = V2Inputs {
        classic: prepared.inputs(&series),
        extras: &extras,
    };
    train_live_part(&ticker, &inp, now).map_err(|e| PipelineError::from(e).for_ticker(&ticker))
}

/// Retrain the live v2 model of `tickers` (the pool). `progress` is called
/// after each ticker's part with `(done, total, ticker)`.
pub fn retrain_v2(
    state: &StateDir,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &RetrainOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<RetrainReport, PipelineError> {
    let t0 = Instant::now();
    let mut report = RetrainReport {
        family: Family::V2,
        ..RetrainReport::default()
    };
    let dir = state.v2_models();
    std::fs::create_dir_all(&dir).map_err(|e| PipelineError::io(&dir, e))?;
    if !opts.force
        && let Some(age) = fresh_pool_age(state, tickers, opts.now)
    {
        tracing::info!(age_days = age, "the v2 pool is fresh; nothing to train");
        report.skipped_fresh = tickers.to_vec();
        report.elapsed_secs = t0.elapsed().as_secs_f64();
        return Ok(report);
    }
    let vix = data.vix()?;
    let loaded = data.load(tickers);
    let done = AtomicUsize::new(0);
    let total = tickers.len();
    let results: Vec<Result<LivePart, PipelineError>> = loaded
        .into_par_iter()
        .zip(tickers.par_iter())
        .map(|(l, t)| {
            let r = l.and_then(|s| part_one(s, &vix, opts.now));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total, t);
            r
        })
        .collect();
    // Ticker order, whatever the threads did.
    let mut parts = Vec::with_capacity(results.len());
    for (t, r) in tickers.iter().zip(results) {
        match r {
            Ok(p) => parts.push(p),
            Err(e) => {
                tracing::info!("{e}");
                report.failed.push((t.clone(), e.to_string()));
            }
        }
    }
    if !parts.is_empty() {
        match fit_pool(&parts, pool_comp_threshold(), opts.now) {
            Ok(mut pool) => {
                let comps: Vec<f64> = TradeConfig::all()
                    .iter()
                    .map(|c| c.comp_threshold)
                    .collect();
                pool.add_thresholds(&parts, &comps);
                for p in &parts {
                    p.part.save(&state.v2_part_path(&p.part.ticker))?;
                }
                pool.save(&state.v2_pool_path())?;
                report.pool = Some(PoolSummary {
                    tickers: pool.tickers.len(),
                    rows: pool.n_rows(),
                    compressed_rows: pool.model.thresholds.map_or(0, |t| t.n_compressed),
                    entry: pool.entry(),
                    watch: pool.watch(),
                });
                report.trained = pool.tickers;
            }
            Err(e) => {
                let why = format!("pooled v2 fit: {e}");
                tracing::warn!("{why}");
                report
                    .failed
                    .extend(parts.iter().map(|p| (p.part.ticker.clone(), why.clone())));
            }
        }
    }
    report.elapsed_secs = t0.elapsed().as_secs_f64();
    Ok(report)
}
