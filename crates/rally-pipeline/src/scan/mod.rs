//! The daily scan (METHOD §9): score the latest bar of every ticker with its
//! live model, advance the system's positions with the **same trade state
//! machine as the backtest** (`rally_trade::step`), and commit the result to
//! the state store in one transaction.
//!
//! Three steps, I/O only at the edges ([`run_scan`] does the reading):
//! 1. [`score`]: features and P(rally) for the bars the scan needs —
//!    parallel and pure;
//! 2. [`plan`]: ranking, watchlist, the state machine on every new bar,
//!    alerts and equity — pure, from the stored state, the scores and the
//!    config (testable without a database);
//! 3. [`commit`]: one transaction, against the state the scan read.
//!
//! Idempotent and crash-safe by construction: a second run on the same data
//! finds the as-of date committed and changes nothing; a run killed before
//! the commit left nothing behind and is simply redone; a run that lost a
//! race to a concurrent scan computes again from the new state.

pub mod benchmark;
mod commit;
mod models;
mod plan;
mod score;

pub use models::{POOL_NAME, ScanThresholds, family_config};

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::Series;
use rally_model::Family;
use rally_store::{ClosedTradeRow, EquitySnapshot, PositionRow, Store};
use rally_trade::{EntrySignal, PortfolioFigures, TradeConfig};
use serde::{Deserialize, Serialize};

use crate::data::DataAccess;
use crate::error::PipelineError;
use crate::models::resolve_family;
use crate::state::StateDir;

/// Total notional capital of the system's live book; each ticker's sleeve
/// gets an equal share (as in the backtest portfolio).
pub const SYSTEM_CAPITAL: f64 = 100_000.0;
/// Lower edge of the watchlist band (METHOD §9).
pub const WATCH_P: f64 = 0.35;
/// A ticker whose last bar is more than this many calendar days older than
/// the scan's as-of date has stale data (covers weekends and holidays).
pub const FRESH_DATA_DAYS: u64 = 5;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub config: TradeConfig,
    /// The clock (injectable for tests): stamps the scan run and its events.
    pub now: DateTime<Utc>,
    /// Alert backends to record deliveries for (empty = record none).
    pub backends: Vec<String>,
    /// Allow a scan older than the newest stored one (`--backfill`); by
    /// default the store refuses it, so a late or concurrent run can never
    /// rewrite newer state.
    pub backfill: bool,
    /// The model family to score with; `None`: the one the retrainer
    /// trained last (classic if none was recorded).
    pub model: Option<Family>,
}

/// One row of the ranking / watchlist.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RankRow {
    pub ticker: String,
    pub date: NaiveDate,
    pub p_rally: f64,
    pub compression: f64,
    pub close: f64,
    /// Model v2: share (percent) of the pool's compressed training setups
    /// with a P at least this high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_top_pct: Option<f64>,
}

/// An open (or pending) system position after the scan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PositionOut {
    pub ticker: String,
    /// `pending` (fills at the next open) or `open`.
    pub status: String,
    pub signal_date: NaiveDate,
    pub entry_date: Option<NaiveDate>,
    pub entry_fill: Option<f64>,
    pub last_price: f64,
    pub last_date: NaiveDate,
    pub pnl_pct: Option<f64>,
    pub stop: f64,
    pub target: f64,
    pub size: f64,
    pub bars_held: u32,
}

/// A trade the scan closed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClosedOut {
    pub ticker: String,
    pub signal_date: NaiveDate,
    pub entry_date: NaiveDate,
    pub exit_date: NaiveDate,
    pub entry_fill: f64,
    pub exit_price: f64,
    pub reason: String,
    pub bars_held: u32,
    #[serde(rename = "return")]
    pub ret: f64,
    pub pnl: f64,
}

impl From<&ClosedTradeRow> for ClosedOut {
    fn from(r: &ClosedTradeRow) -> ClosedOut {
        ClosedOut {
            ticker: r.ticker.clone(),
            signal_date: r.signal_date,
            entry_date: r.entry_date,
            exit_date: r.exit_date,
            entry_fill: r.entry_fill,
            exit_price: r.exit_price,
            reason: r.reason.clone(),
            bars_held: u32::try_from(r.bars_held).unwrap_or(0),
            ret: r.trade_return,
            pnl: r.pnl,
        }
    }
}

/// Market breadth over the scanned universe (METHOD §9).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Breadth {
    pub n: usize,
    pub above_sma50: Option<f64>,
    pub above_sma200: Option<f64>,
    pub golden_crosses: Vec<String>,
    pub vix: Option<f64>,
    pub vix_label: Option<String>,
}

/// VIX regime label.
pub fn vix_label(v: f64) -> &'static str {
    if v < 15.0 {
        "calm"
    } else if v < 20.0 {
        "normal"
    } else if v < 30.0 {
        "elevated"
    } else {
        "fear"
    }
}

/// Everything a scan found, also the `--json` document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    pub as_of: Option<NaiveDate>,
    pub config: String,
    /// The model family that scored this scan.
    pub model_family: Family,
    /// The entry threshold and watchlist floor used, and where they came
    /// from.
    pub thresholds: Option<ScanThresholds>,
    /// Model v2: tickers outside the pool, scored with a part fitted from
    /// their own data at scan time.
    pub outside_pool: Vec<String>,
    /// Remarks on the models (e.g. a stale v2 pool).
    pub model_notes: Vec<String>,
    pub source: String,
    /// False when this as-of date was already committed (nothing changed).
    pub committed: bool,
    pub scanned: usize,
    pub breadth: Breadth,
    pub signals: Vec<EntrySignal>,
    pub watchlist: Vec<RankRow>,
    pub ranking: Vec<RankRow>,
    pub positions: Vec<PositionOut>,
    pub closed: Vec<ClosedOut>,
    pub equity: Option<EquitySnapshot>,
    /// The system against buy-and-hold of the same tickers since its first
    /// recorded equity.
    pub benchmark: Option<LiveBenchmark>,
    pub missing_models: Vec<String>,
    pub corrupt_models: Vec<Problem>,
    pub data_errors: Vec<Problem>,
    pub stale_data: Vec<Problem>,
    /// Signals the trade state machine refused because their stop, price
    /// and target were not finite, positive and ordered (never stored,
    /// alerted or opened).
    pub refused_signals: Vec<Problem>,
    /// What the data guard repaired (bars dropped, values reset), one line
    /// per ticker; the ticker was scanned on the repaired bars.
    pub data_repairs: Vec<Problem>,
    /// Weekdays between `as_of` and the day of the run
    /// ([`crate::health::weekdays_behind`]); old data are reported, not hidden.
    pub data_lag_weekdays: Option<i64>,
}

/// A ticker that could not be scanned and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub ticker: String,
    pub reason: String,
}

/// How the scan went, as stored with its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    /// Every ticker with a model was scanned.
    Ok,
    /// Some tickers could not be loaded, scored or read (listed in the report).
    Partial,
}

impl ScanStatus {
    /// The stored spelling (`scan_runs.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Ok => "ok",
            ScanStatus::Partial => "partial",
        }
    }
}

impl std::fmt::Display for ScanStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The market context of a scan, stored with its run (`summary_json`) for
/// readers such as the dashboard: the one contract between the writer and
/// them, serde both ways. Every field defaults, so a summary written by an
/// older version still reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ScanSummary {
    pub vix: Option<f64>,
    pub vix_label: Option<String>,
    pub breadth: Breadth,
    pub watchlist: Vec<RankRow>,
    /// Absent in summaries stored before it existed (and on a first scan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<LiveBenchmark>,
}

/// The live system beside buy-and-hold of the tickers it scanned, over the
/// same dates: equal weight, from each ticker's first close on or after
/// `since` (the first recorded equity) to its last close, no costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveBenchmark {
    pub since: NaiveDate,
    /// System equity now / equity on `since` − 1.
    pub system_return: f64,
    pub buy_hold_return: f64,
    /// Every bar where the scan's config could enter, entered, under its
    /// exits and sizing (the machine without the P filter); `None` when no
    /// ticker had usable features.
    #[serde(default)]
    pub every_compressed_return: Option<f64>,
    /// Tickers in the buy-and-hold basket.
    pub tickers: usize,
    /// Every line's figures side by side; `None` in summaries stored
    /// before they existed (those show the returns alone).
    #[serde(default)]
    pub figures: Option<LiveFigures>,
}

/// The figures of the system and its two benchmarks on the system's
/// equity dates since `since` (this scan's included). The returns above
/// are these lines' total returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveFigures {
    /// Equity dates the figures span.
    pub dates: usize,
    /// False when the record is too short for CAGR, Sharpe and Sortino
    /// ([`benchmark::MIN_ANNUALISED_DATES`] dates over
    /// [`benchmark::MIN_ANNUALISED_DAYS`] days): they are then null.
    pub annualised: bool,
    /// The system's exposure is the mean share of its sleeves (today's
    /// scanned tickers) with an open position.
    pub system: PortfolioFigures,
    pub buy_hold: PortfolioFigures,
    /// `None` when no ticker had usable features.
    pub every_compressed: Option<PortfolioFigures>,
}

impl ScanSummary {
    /// The stored text: keys sorted at every level, as stored summaries
    /// have always been written (byte-identical across versions).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_value(self).and_then(|v| serde_json::to_string(&v))
    }

    /// Reads a stored summary.
    pub fn from_json(text: &str) -> Result<ScanSummary, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// How many times a scan recomputes after losing a race to a concurrent
/// scan before giving up.
const SCAN_ATTEMPTS: usize = 5;

/// One attempt of [`run_scan`].
enum Attempt {
    Done(Box<ScanReport>),
    /// Another scan committed between our read and our commit.
    Lost,
}

/// Run one scan over `tickers` and commit it.
///
/// The scan reads the stored state (newest scan, open positions) in one
/// transaction and commits against it: if another scan committed in
/// between, the store refuses the commit and the scan is computed again
/// from the new state (the data come from the cache the first attempt
/// filled). So concurrent scans end exactly as if they had run one after
/// the other, and a scan older than the newest stored one is refused
/// unless [`ScanOptions::backfill`].
pub async fn run_scan(
    state: &StateDir,
    store: &Store,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &ScanOptions,
) -> Result<ScanReport, PipelineError> {
    for attempt in 1..=SCAN_ATTEMPTS {
        match scan_once(state, store, data, tickers, opts).await? {
            Attempt::Done(r) => return Ok(*r),
            Attempt::Lost => {
                tracing::info!(attempt, "another scan committed meanwhile; scanning again");
            }
        }
    }
    Err(PipelineError::ScanContention {
        attempts: SCAN_ATTEMPTS,
    })
}

/// Read everything the scan needs, score, plan, commit.
async fn scan_once(
    state: &StateDir,
    store: &Store,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &ScanOptions,
) -> Result<Attempt, PipelineError> {
    let family = resolve_family(state, opts.model);
    let mut report = ScanReport {
        config: opts.config.name.clone(),
        source: data.source.describe(),
        model_family: family,
        ..ScanReport::default()
    };
    // Models: missing and corrupt ones are listed, not fatal.
    let (models, pool) = models::select(state, family, tickers, opts.now, &mut report);
    let (config, thresholds) = family_config(&opts.config, pool.as_ref());
    let watch_p = thresholds.watch;
    report.thresholds = Some(thresholds);
    let opts = &ScanOptions {
        config,
        ..opts.clone()
    };
    let base = store.scan_base().await?;
    let stored: BTreeMap<String, PositionRow> = base
        .positions
        .into_iter()
        .map(|r| (r.ticker.clone(), r))
        .collect();
    let realised_before: f64 = store.closed_trades(None).await?.iter().map(|r| r.pnl).sum();
    // The live benchmarks start at the first recorded equity; the
    // system's figures need its whole record.
    let equity_history = store.equity_history(None).await?;
    let names: Vec<String> = models.iter().map(|(t, _)| t.clone()).collect();
    let vix = data.vix()?;
    let loaded: Vec<Result<Series, PipelineError>> = data
        .load_checked(&names)
        .into_iter()
        .map(|r| {
            r.map(|l| {
                if let Some(line) = l.report.guard.line() {
                    report.data_repairs.push(Problem {
                        ticker: l.series.ticker.clone(),
                        reason: line,
                    });
                }
                l.series
            })
        })
        .collect();

    let scored = score::score_all(
        &models,
        pool.as_ref(),
        loaded,
        &vix,
        &score::ScoreContext {
            positions: &stored,
            since: equity_history.first().map(|e| e.date),
            config: &opts.config,
            now: opts.now,
        },
        &mut report,
    );
    let inputs = plan::PlanInputs {
        scored,
        pool: pool.as_ref(),
        watch_p,
        stored: &stored,
        vix: &vix,
        realised_before,
        equity_history: &equity_history,
        n_tickers: tickers.len(),
        opts,
    };
    let Some(plan) = plan::plan(inputs, &mut report)? else {
        return Ok(Attempt::Done(Box::new(report)));
    };
    commit::commit(state, store, plan, base.newest, opts, report).await
}

#[cfg(test)]
#[path = "summary_tests.rs"]
pub(crate) mod summary_tests;
