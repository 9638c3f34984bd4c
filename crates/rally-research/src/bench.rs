//! `retrainer bench`: the universe-scale performance stages, end to end on
//! the synthetic market: walk-forward + baseline backtest, live retrain,
//! live v2 retrain (per-ticker parts in parallel, one pooled fit), scan
//! from cache and saved models. Reports wall time, throughput and the
//! process's peak RSS after each stage.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use rally_data::{Cache, SyntheticSource, synthetic::default_end};
use rally_model::walkforward::BarrierRule;
use rally_store::Store;
use rally_trade::TradeConfig;
use serde::Serialize;

use crate::sweep::sweep;
use rally_model::Family;
use rally_pipeline::PipelineError;
use rally_pipeline::data::DataAccess;
use rally_pipeline::retrain::{RetrainOptions, retrain_family};
use rally_pipeline::scan::{ScanOptions, run_scan};
use rally_pipeline::state::StateDir;

/// One measured stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageResult {
    pub stage: String,
    pub tickers: usize,
    pub bars: usize,
    pub wall_secs: f64,
    pub peak_rss_mib: Option<f64>,
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Run the three stages over `tickers` of a synthetic market of `years`
/// years, keeping state in `state` (a scratch directory) and the scan's
/// commit in the store at `database_url` (a scratch database: SQLite in
/// `state` by default, or PostgreSQL to time that backend).
pub async fn run_bench(
    state: &StateDir,
    database_url: &str,
    tickers: &[String],
    years: u32,
) -> Result<Vec<StageResult>, PipelineError> {
    let source = SyntheticSource::with_range(42, years, default_end());
    let cache = Cache::new(state.cache());
    let now = Utc.from_utc_datetime(&default_end().and_hms_opt(22, 0, 0).unwrap_or_default());
    let data = DataAccess {
        source: &source,
        cache: Some(&cache),
        now,
        until: None,
    };
    let mut out = Vec::new();
    // Warm the cache (not timed: stands in for the daily download).
    let _ = data.vix()?;
    let _ = data.load(tickers);

    let t0 = Instant::now();
    let s = sweep(
        &data,
        tickers,
        &[TradeConfig::baseline()],
        BarrierRule::Auto,
        false,
    )?;
    out.push(StageResult {
        stage: "walk-forward + baseline backtest".into(),
        tickers: s.assets.len(),
        bars: s.bars(),
        wall_secs: t0.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
    });
    drop(s);

    // Classic per-ticker models, then the pooled v2 model; the scan below
    // scores with the classic ones, as this bench always has.
    for (stage, family) in [
        ("live-model retrain", Family::Classic),
        ("live v2 retrain (pooled)", Family::V2),
    ] {
        let t0 = Instant::now();
        let opts = RetrainOptions {
            force: true,
            walk_forward: false,
            now,
        };
        let r = retrain_family(family, state, &data, tickers, &opts, &|_, _, _| {})?;
        out.push(StageResult {
            stage: stage.into(),
            tickers: r.trained.len(),
            bars: 0,
            wall_secs: t0.elapsed().as_secs_f64(),
            peak_rss_mib: peak_rss_mib(),
        });
    }

    let store = Store::open(database_url).await?;
    let t0 = Instant::now();
    let rep = run_scan(
        state,
        &store,
        &data,
        tickers,
        &ScanOptions {
            config: TradeConfig::baseline(),
            now,
            backends: Vec::new(),
            backfill: false,
            model: Some(Family::Classic),
        },
    )
    .await?;
    out.push(StageResult {
        stage: "scan (cache + saved models)".into(),
        tickers: rep.scanned,
        bars: 0,
        wall_secs: t0.elapsed().as_secs_f64(),
        peak_rss_mib: peak_rss_mib(),
    });
    store.close().await;
    Ok(out)
}
