//! `scanner --demo`: the whole product on the synthetic market, with no
//! network, in its own state directory (`demo/`).
//!
//! It replays the last weeks of the synthetic market day by day the way the
//! systemd timers would run it: a retrain when models are a week old, then
//! the daily scan after each close. The result is a store with signals, open
//! positions and a trade journal. The clock is simulated (each scan is
//! stamped at 21:30 UTC of its day), so a rerun reproduces the same state and
//! an interrupted demo resumes where it stopped.

use chrono::{NaiveDate, TimeZone, Utc};
use rally_data::{Source, SyntheticSource, Universe};
use rally_model::Family;
use rally_store::Store;
use rally_trade::TradeConfig;
use serde::Serialize;

use crate::data::DataAccess;
use crate::error::PipelineError;
use crate::models::resolve_family;
use crate::retrain::{RetrainOptions, retrain_family};
use crate::scan::{ScanOptions, ScanReport, run_scan};
use crate::state::StateDir;

/// Seed of the demo market.
pub const DEMO_SEED: u64 = 42;
/// Trading days replayed.
pub const DEMO_DAYS: usize = 30;
/// Large caps added to the default basket so a few weeks of scans produce
/// a lively book.
pub const DEMO_EXTRA: [&str; 12] = [
    "AMZN", "GOOGL", "META", "JPM", "XOM", "UNH", "HD", "COST", "AVGO", "AMD", "NFLX", "CRM",
];

/// One replayed day.
#[derive(Debug, Clone, Serialize)]
pub struct DemoDay {
    pub date: NaiveDate,
    pub retrained: usize,
    pub signals: usize,
    pub closed: usize,
    pub open: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub days: Vec<DemoDay>,
    pub last: ScanReport,
}

fn at_close(d: NaiveDate) -> chrono::DateTime<Utc> {
    let t = d.and_hms_opt(21, 30, 0).unwrap_or_default();
    Utc.from_utc_datetime(&t)
}

/// Run (or resume) the demo in `state` and return the last scan's report.
/// `model`: the family to train and scan with (`None`: the one the demo
/// trained last, else classic).
pub async fn run_demo(
    state: &StateDir,
    cfg: &TradeConfig,
    model: Option<Family>,
) -> Result<DemoReport, PipelineError> {
    let family = resolve_family(state, model);
    let source = SyntheticSource::new(DEMO_SEED);
    let tickers = Universe::from_symbols(
        rally_data::DEFAULT_BASKET
            .iter()
            .chain(DEMO_EXTRA.iter())
            .copied(),
    )
    .tickers;
    std::fs::create_dir_all(state.models()).map_err(|e| PipelineError::io(state.models(), e))?;
    let store = Store::open(&state.database_url(false)).await?;
    let calendar = source.load("SPY")?.series.dates;
    let days: Vec<NaiveDate> = calendar[calendar.len().saturating_sub(DEMO_DAYS)..].to_vec();
    let done = store.last_scan_run().await?.map(|r| r.as_of);
    let mut out = Vec::new();
    let mut last = None;
    for (i, &day) in days.iter().enumerate() {
        let is_last = i + 1 == days.len();
        if done.is_some_and(|d| day <= d) && !is_last {
            continue;
        }
        let now = at_close(day);
        let data = DataAccess {
            source: &source,
            cache: None,
            now,
            until: Some(day),
        };
        let rt = retrain_family(
            family,
            state,
            &data,
            &tickers,
            &RetrainOptions {
                force: false,
                walk_forward: false,
                now,
            },
            &|_, _, _| {},
        )?;
        let opts = ScanOptions {
            config: cfg.clone(),
            now,
            backends: Vec::new(),
            backfill: false,
            model: Some(family),
        };
        let report = run_scan(state, &store, &data, &tickers, &opts).await?;
        tracing::info!(%day, signals = report.signals.len(), closed = report.closed.len(), "demo scan");
        out.push(DemoDay {
            date: day,
            retrained: rt.trained.len(),
            signals: report.signals.len(),
            closed: report.closed.len(),
            open: report.positions.len(),
        });
        last = Some(report);
    }
    store.close().await;
    let last = last.ok_or(PipelineError::NoTradingDays)?;
    Ok(DemoReport { days: out, last })
}
