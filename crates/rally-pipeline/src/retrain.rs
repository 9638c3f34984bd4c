//! `retrainer`: train the live model of every ticker in parallel and save
//! it to `models/TICKER.msgpack`. A failing ticker never stops the others;
//! results are identical whatever the number of worker threads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use rally_model::Family;
use rally_model::live::{LiveModel, train_live};
use rally_notify::Event;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::DataAccess;
use crate::error::PipelineError;
use crate::health::HealthReport;
use crate::models::{ModelLoad, load_model};
use crate::prepared::{Prepared, walk_forward_par};
use crate::state::StateDir;

pub use crate::models::SKIP_FRESH_DAYS;
pub use crate::retrain_v2::{PoolSummary, retrain_v2};

#[derive(Debug, Clone)]
pub struct RetrainOptions {
    pub force: bool,
    /// Also run the walk-forward and store its metrics in the artefact.
    pub walk_forward: bool,
    /// The clock (injectable for tests).
    pub now: DateTime<Utc>,
}

/// What happened to one ticker.
#[derive(Debug, Clone, Serialize)]
pub enum RetrainOutcome {
    Trained {
        auc: Option<f64>,
        brier_skill: Option<f64>,
    },
    SkippedFresh {
        age_days: i64,
    },
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RetrainReport {
    /// The model family trained.
    pub family: Family,
    /// Model v2: the pool that was fitted (`None` for classic, or when no
    /// pool was fitted).
    pub pool: Option<PoolSummary>,
    pub trained: Vec<String>,
    pub skipped_fresh: Vec<String>,
    pub failed: Vec<(String, String)>,
    pub elapsed_secs: f64,
    /// Mean walk-forward AUC of the models trained with a walk-forward in
    /// this run (`None` without `--walk-forward` or without any AUC).
    pub walk_forward_auc: Option<f64>,
    /// Median walk-forward Brier skill (against each ticker-fold's training
    /// base rate) of the same models.
    pub walk_forward_brier_skill: Option<f64>,
}

impl RetrainReport {
    /// The "retrain complete" alert of this run; `health` is the model
    /// health after it.
    pub fn complete_event(&self, health: &HealthReport) -> Event {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Event::RetrainComplete {
            trained: count(self.trained.len()),
            skipped_fresh: count(self.skipped_fresh.len()),
            failed: count(self.failed.len()),
            fresh: count(health.fresh),
            stale: count(health.stale),
            elapsed_secs: self.elapsed_secs,
            walk_forward_auc: self.walk_forward_auc,
            walk_forward_brier_skill: self.walk_forward_brier_skill,
            model_family: Some(self.family.to_string()),
        }
    }

    /// The outbox key of this run's alert: one alert per retrain minute,
    /// so a re-run a minute later is announced again but a crash-and-retry
    /// of the same run is not.
    pub fn dedupe_key(now: DateTime<Utc>) -> String {
        format!("retrain:{}", now.format("%Y-%m-%dT%H:%M"))
    }
}

/// Whether `ticker` has a model younger than [`SKIP_FRESH_DAYS`].
/// A missing or corrupt model is never fresh: it is trained again.
fn fresh_age(state: &StateDir, ticker: &str, now: DateTime<Utc>) -> Option<i64> {
    match load_model(state, ticker) {
        ModelLoad::Ready(m) => Some(m.age_days(now)).filter(|age| *age < SKIP_FRESH_DAYS),
        ModelLoad::Missing | ModelLoad::Corrupt(_) => None,
    }
}

fn train_one(
    state: &StateDir,
    series: rally_data::Series,
    vix: &rally_data::Series,
    opts: &RetrainOptions,
) -> Result<(Option<f64>, Option<f64>), PipelineError> {
    let ticker = series.ticker.clone();
    let prepared = Prepared::new(&series, vix).map_err(|e| e.for_ticker(&ticker))?;
    let inp = prepared.inputs(&series);
    let (wf, skill) = if opts.walk_forward {
        let wf = walk_forward_par(&inp).map_err(|e| e.for_ticker(&ticker))?;
        let skill = walk_forward_brier_skill(&wf);
        (wf.metrics, skill)
    } else {
        (None, None)
    };
    let w = train_live(&inp).map_err(|e| PipelineError::from(e).for_ticker(&ticker))?;
    let Some(model) = LiveModel::from_window(&ticker, &inp, &w, wf, opts.now) else {
        return Err(PipelineError::NotTrained {
            why: w
                .info
                .skipped
                .as_deref()
                .unwrap_or("no usable rows")
                .to_owned(),
            ticker,
        });
    };
    model.save(&state.model_path(&ticker))?;
    Ok((model.walk_forward.as_ref().and_then(|m| m.auc), skill))
}

/// Brier skill of a walk-forward's labelled rows against each row's fold
/// training base rate (MODEL-V2.md "How the reference figures are
/// computed"); `None` when undefined.
fn walk_forward_brier_skill(wf: &rally_model::walkforward::WalkForward) -> Option<f64> {
    let base: std::collections::BTreeMap<i32, f64> = wf
        .folds
        .iter()
        .filter_map(|f| Some((f.year, f.train_base_rate()?)))
        .collect();
    let p: Vec<f64> = wf.rows.iter().map(|r| r.p_rally).collect();
    let y: Vec<f64> = wf.rows.iter().map(|r| r.label).collect();
    let reference: Vec<f64> = wf
        .rows
        .iter()
        .map(|r| base.get(&r.fold_year).copied().unwrap_or(f64::NAN))
        .collect();
    rally_model::brier_skill(&p, &y, &reference).ok().flatten()
}

/// Median of the finite values (`None` without one).
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Retrain `tickers` with the models of `family`, then record the family
/// as the one trained last (when anything is trained or still fresh), so
/// a scan without `--model` uses it.
pub fn retrain_family(
    family: Family,
    state: &StateDir,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &RetrainOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<RetrainReport, PipelineError> {
    let r = match family {
        Family::Classic => retrain(state, data, tickers, opts, progress)?,
        Family::V2 => retrain_v2(state, data, tickers, opts, progress)?,
    };
    if !r.trained.is_empty() || !r.skipped_fresh.is_empty() {
        state
            .record_family(family)
            .map_err(|e| PipelineError::io(state.family_path(), e))?;
    }
    Ok(r)
}

/// Retrain `tickers` (classic). `progress` is called after each ticker with
/// `(done, total, ticker)` (for a progress bar).
pub fn retrain(
    state: &StateDir,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &RetrainOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<RetrainReport, PipelineError> {
    let t0 = Instant::now();
    std::fs::create_dir_all(state.models()).map_err(|e| PipelineError::io(state.models(), e))?;
    let mut outcomes: Vec<Option<RetrainOutcome>> = tickers
        .iter()
        .map(|t| {
            if opts.force {
                return None;
            }
            fresh_age(state, t, opts.now).map(|age_days| RetrainOutcome::SkippedFresh { age_days })
        })
        .collect();
    let todo: Vec<usize> = (0..tickers.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();
    let todo_names: Vec<String> = todo.iter().map(|&i| tickers[i].clone()).collect();
    if !todo.is_empty() {
        let vix = data.vix()?;
        let loaded = data.load(&todo_names);
        let done = AtomicUsize::new(0);
        let total = todo.len();
        let results: Vec<RetrainOutcome> = loaded
            .into_par_iter()
            .zip(todo_names.par_iter())
            .map(|(l, t)| {
                let r = l.and_then(|s| train_one(state, s, &vix, opts));
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total, t);
                match r {
                    Ok((auc, brier_skill)) => RetrainOutcome::Trained { auc, brier_skill },
                    Err(e) => {
                        tracing::info!("{e}");
                        RetrainOutcome::Failed {
                            reason: e.to_string(),
                        }
                    }
                }
            })
            .collect();
        for (i, r) in todo.into_iter().zip(results) {
            outcomes[i] = Some(r);
        }
    }
    let mut report = RetrainReport::default();
    let mut aucs = Vec::new();
    let mut skills = Vec::new();
    for (t, o) in tickers.iter().zip(outcomes) {
        match o {
            Some(RetrainOutcome::Trained { auc, brier_skill }) => {
                aucs.extend(auc.filter(|a| a.is_finite()));
                skills.extend(brier_skill);
                report.trained.push(t.clone());
            }
            Some(RetrainOutcome::SkippedFresh { .. }) => report.skipped_fresh.push(t.clone()),
            Some(RetrainOutcome::Failed { reason }) => report.failed.push((t.clone(), reason)),
            None => report.failed.push((t.clone(), "not processed".into())),
        }
    }
    report.walk_forward_auc =
        (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64);
    report.walk_forward_brier_skill = median(skills);
    report.elapsed_secs = t0.elapsed().as_secs_f64();
    Ok(report)
}
