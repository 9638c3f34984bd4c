//! The daily scan (METHOD §9): score the latest bar of every ticker with its
//! live model, advance the system's positions with the **same trade state
//! machine as the backtest** (`rally_trade::step`), and commit the result to
//! the state store in one transaction.
//!
//! Idempotent and crash-safe by construction: the new state is computed from
//! the stored state and the data, and written by a single `commit_scan`
//! keyed by the scan's as-of date. A second run on the same data finds the
//! as-of date committed and changes nothing; a run killed before the commit
//! left nothing behind and is simply redone.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rally_data::{Series, VIX_TICKER};
use rally_model::live::LiveModel;
use rally_model::walkforward::TickerInputs;
use rally_notify::{Event, SignalAlert};
use rally_store::{
    ClosedTradeRow, CommitOutcome, EquitySnapshot, NewOutboxEvent, PositionRow, ScanCommit,
    SignalRow, Store,
};
use rally_trade::{
    BarInput, Book, ClosedTrade, Event as TradeEvent, TradeConfig, TradeState, step,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::DataAccess;
use crate::error::PipelineError;
use crate::state::StateDir;

/// Total notional capital of the system's live book; each ticker's sleeve
/// gets an equal share (as in the backtest portfolio).
pub const SYSTEM_CAPITAL: f64 = 100_000.0;
/// Lower edge of the watchlist band (METHOD §9).
pub const WATCH_P: f64 = 0.35;
/// A ticker whose last bar is more than this many calendar days older than
/// the scan's as-of date has stale data (covers weekends and holidays).
pub const FRESH_DATA_DAYS: u64 = 5;
/// Bars kept per ticker for the scan (breadth needs 6; positions need the
/// bars since their last update).
const MIN_TAIL: usize = 6;

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

/// One row of the ranking / watchlist.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RankRow {
    pub ticker: String,
    pub date: NaiveDate,
    pub p_rally: f64,
    pub compression: f64,
    pub close: f64,
}

/// A new entry signal.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SignalOut {
    pub ticker: String,
    pub p_rally: f64,
    pub compression: f64,
    pub price: f64,
    pub stop: f64,
    pub target: f64,
    pub size: f64,
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

/// Market breadth over the scanned universe (METHOD §9).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
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
    pub source: String,
    /// False when this as-of date was already committed (nothing changed).
    pub committed: bool,
    pub scanned: usize,
    pub breadth: Breadth,
    pub signals: Vec<SignalOut>,
    pub watchlist: Vec<RankRow>,
    pub ranking: Vec<RankRow>,
    pub positions: Vec<PositionOut>,
    pub closed: Vec<ClosedOut>,
    pub equity: Option<EquitySnapshot>,
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

/// A ticker's scored tail: the bars the scan may need, with P(rally).
#[derive(Debug, Clone)]
struct Scored {
    ticker: String,
    bars: Vec<BarInput>,
    sma50: Vec<f64>,
    sma200: Vec<f64>,
    /// Why the newest bar has no P, when it has none.
    unscored: Option<String>,
}

impl Scored {
    fn last(&self) -> Option<&BarInput> {
        self.bars.last()
    }
}

fn score_ticker(
    model: &LiveModel,
    series: &Series,
    vix: &Series,
    keep_after: Option<NaiveDate>,
) -> Scored {
    let n = series.len();
    let from_pos = keep_after.map_or(n, |d| series.dates.partition_point(|x| *x <= d));
    let start = from_pos.min(n.saturating_sub(MIN_TAIL));
    // Only the kept tail needs features and P; ranks there are exact.
    let v = rally_data::align_asof(&series.dates, &vix.dates, &vix.close);
    let frame = rally_features::FeatureFrame::compute_from(
        &series.high,
        &series.low,
        &series.close,
        &series.volume,
        &v,
        start,
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
    let p = model.score_from(&inp, start);
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
    Scored {
        ticker: series.ticker.clone(),
        bars,
        sma50: frame.sma50[start..].to_vec(),
        sma200: frame.sma200[start..].to_vec(),
        unscored,
    }
}

fn book_of(row: &PositionRow) -> Result<Book, PipelineError> {
    serde_json::from_str(&row.state_json).map_err(|e| {
        PipelineError::Invalid(format!(
            "{}: stored position state is unreadable: {e}",
            row.ticker
        ))
    })
}

fn position_row(
    ticker: &str,
    book: &Book,
    last: &BarInput,
    as_of: NaiveDate,
) -> Option<PositionRow> {
    let state_json = serde_json::to_string(book).ok()?;
    match book.state {
        TradeState::Flat => None,
        TradeState::Pending { signal } => Some(PositionRow {
            ticker: ticker.to_owned(),
            state_json,
            signal_date: signal.signal_date,
            entry_date: None,
            entry_fill: None,
            shares: None,
            size: signal.size,
            stop: signal.stop,
            target: signal.target,
            p_rally: signal.p,
            last_price: last.close,
            last_date: last.date,
            bars_held: 0,
            updated_as_of: as_of,
        }),
        TradeState::Open { position } => Some(PositionRow {
            ticker: ticker.to_owned(),
            state_json,
            signal_date: position.signal.signal_date,
            entry_date: Some(position.entry_date),
            entry_fill: Some(position.fill),
            shares: Some(position.shares),
            size: position.signal.size,
            stop: position.signal.stop,
            target: position.signal.target,
            p_rally: position.signal.p,
            last_price: last.close,
            last_date: last.date,
            bars_held: i64::from(position.bars_since_signal),
            updated_as_of: as_of,
        }),
    }
}

fn position_out(row: &PositionRow) -> PositionOut {
    PositionOut {
        ticker: row.ticker.clone(),
        status: if row.entry_date.is_some() {
            "open"
        } else {
            "pending"
        }
        .into(),
        signal_date: row.signal_date,
        entry_date: row.entry_date,
        entry_fill: row.entry_fill,
        last_price: row.last_price,
        last_date: row.last_date,
        pnl_pct: row.entry_fill.map(|f| row.last_price / f - 1.0),
        stop: row.stop,
        target: row.target,
        size: row.size,
        bars_held: u32::try_from(row.bars_held).unwrap_or(0),
    }
}

fn closed_row(ticker: &str, t: &ClosedTrade) -> ClosedTradeRow {
    ClosedTradeRow {
        ticker: ticker.to_owned(),
        signal_date: t.signal_date,
        entry_date: t.entry_date,
        exit_date: t.exit_date,
        entry_fill: t.entry_fill,
        exit_price: t.exit_price,
        stop: t.stop,
        target: t.target,
        size: t.size,
        shares: t.shares,
        p_rally: t.p_rally,
        reason: t.reason.to_string(),
        bars_held: i64::from(t.bars_held),
        trade_return: t.ret,
        pnl: t.proceeds - t.shares * t.entry_fill,
    }
}

fn breadth(scored: &[Scored], vix: Option<f64>) -> Breadth {
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

async fn scan_once(
    state: &StateDir,
    store: &Store,
    data: &DataAccess<'_>,
    tickers: &[String],
    opts: &ScanOptions,
) -> Result<Attempt, PipelineError> {
    let cfg = &opts.config;
    let mut report = ScanReport {
        config: cfg.name.clone(),
        source: data.source.describe(),
        ..ScanReport::default()
    };
    // Models: missing and corrupt ones are listed, not fatal.
    let mut models: Vec<(String, LiveModel)> = Vec::new();
    let loaded_models: Vec<_> = tickers
        .par_iter()
        .map(|t| LiveModel::load(&state.model_path(t)))
        .collect();
    for (t, m) in tickers.iter().zip(loaded_models) {
        match m {
            Ok(m) => models.push((t.clone(), m)),
            Err(rally_model::live::ArtefactError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                report.missing_models.push(t.clone())
            }
            Err(e) => report.corrupt_models.push(Problem {
                ticker: t.clone(),
                reason: e.to_string(),
            }),
        }
    }
    let base = store.scan_base().await?;
    let stored: BTreeMap<String, PositionRow> = base
        .positions
        .into_iter()
        .map(|r| (r.ticker.clone(), r))
        .collect();
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
            Ok(score_ticker(
                m,
                &s,
                &vix,
                stored.get(t).map(|r| r.last_date),
            ))
        })
        .collect();
    let mut ok: Vec<Scored> = Vec::new();
    for (t, r) in names.iter().zip(scored) {
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
    let Some(as_of) = ok.iter().filter_map(|s| s.last().map(|b| b.date)).max() else {
        return Ok(Attempt::Done(Box::new(report)));
    };
    report.as_of = Some(as_of);
    report.data_lag_weekdays = Some(crate::health::weekdays_behind(as_of, opts.now.date_naive()));
    let oldest_fresh = as_of
        .checked_sub_days(Days::new(FRESH_DATA_DAYS))
        .unwrap_or(as_of);
    // The VIX feeds every ticker's features as of its last value: a VIX
    // that stopped before the scan's data is reported like stale data.
    match vix.last_date() {
        Some(d) if d < oldest_fresh => report.stale_data.push(Problem {
            ticker: VIX_TICKER.to_owned(),
            reason: format!(
                "last bar {d} is older than the scan's as-of {as_of}; VIX features carry the value of {d}"
            ),
        }),
        _ => {}
    }
    ok.retain(|s| match s.last() {
        Some(b) if b.date >= oldest_fresh => true,
        Some(b) => {
            report.stale_data.push(Problem {
                ticker: s.ticker.clone(),
                reason: format!("last bar {} is older than the scan's as-of {as_of}", b.date),
            });
            false
        }
        None => false,
    });
    report.scanned = ok.len();
    report.breadth = breadth(
        &ok,
        vix.close
            .last()
            .copied()
            .filter(|_| vix.last_date().is_some_and(|d| d <= as_of)),
    );

    // Ranking, watchlist, and the state machine per ticker.
    let sleeve = SYSTEM_CAPITAL / tickers.len().max(1) as f64;
    let eps = rally_trade::machine::P_TOLERANCE;
    let mut positions: BTreeMap<String, PositionRow> = stored.clone();
    let mut closed_rows = Vec::new();
    let mut events: Vec<NewOutboxEvent> = Vec::new();
    for s in &ok {
        let Some(last) = s.last().copied() else {
            continue;
        };
        if let Some(p) = last.p {
            let row = RankRow {
                ticker: s.ticker.clone(),
                date: last.date,
                p_rally: p,
                compression: last.compression,
                close: last.close,
            };
            let above = p >= cfg.p_threshold - eps;
            // NaN compression counts as not compressed.
            let compressed = last.compression >= cfg.comp_threshold;
            if (p >= WATCH_P - eps && !above) || (above && !compressed) {
                report.watchlist.push(row.clone());
            }
            report.ranking.push(row);
        }
        let (mut book, after) = match stored.get(&s.ticker) {
            Some(row) => (book_of(row)?, Some(row.last_date)),
            None => (Book::new(sleeve), None),
        };
        let todo: Vec<&BarInput> = match after {
            Some(d) => s.bars.iter().filter(|b| b.date > d).collect(),
            None => vec![&last],
        };
        for bar in &todo {
            // Live, an entry is only taken on the newest bar of the scan.
            let out = step(book, bar, bar.date == last.date, cfg);
            book = out.book;
            if let Some(r) = out.refused {
                tracing::warn!(ticker = %s.ticker, "signal refused: {r}");
                report.refused_signals.push(Problem {
                    ticker: s.ticker.clone(),
                    reason: r.to_string(),
                });
            }
            for ev in out.events {
                match ev {
                    TradeEvent::Exit(t) => {
                        let row = closed_row(&s.ticker, &t);
                        let alert = Event::Exit {
                            ticker: s.ticker.clone(),
                            reason: row.reason.clone(),
                            pnl_pct: t.ret * 100.0,
                            bars_held: t.bars_held,
                            entry: t.entry_fill,
                            exit: t.exit_price,
                        };
                        if let Ok(e) =
                            alert.to_outbox(format!("exit:{}:{}", s.ticker, t.signal_date))
                        {
                            events.push(e);
                        }
                        closed_rows.push(row);
                    }
                    TradeEvent::Signal(sig) => report.signals.push(SignalOut {
                        ticker: s.ticker.clone(),
                        p_rally: sig.p,
                        compression: bar.compression,
                        price: bar.close,
                        stop: sig.stop,
                        target: sig.target,
                        size: sig.size,
                    }),
                    TradeEvent::Fill(_) => {}
                }
            }
        }
        if !todo.is_empty() {
            match position_row(&s.ticker, &book, &last, as_of) {
                Some(row) => {
                    positions.insert(s.ticker.clone(), row);
                }
                None => {
                    positions.remove(&s.ticker);
                }
            }
        }
    }
    report.ranking.sort_by(|a, b| {
        b.p_rally
            .total_cmp(&a.p_rally)
            .then(a.ticker.cmp(&b.ticker))
    });
    report.watchlist.sort_by(|a, b| {
        b.p_rally
            .total_cmp(&a.p_rally)
            .then(a.ticker.cmp(&b.ticker))
    });
    if !report.signals.is_empty() {
        let alerts = report
            .signals
            .iter()
            .map(|s| SignalAlert {
                ticker: s.ticker.clone(),
                p_rally: s.p_rally,
                compression: s.compression,
                price: s.price,
                stop: s.stop,
                target: s.target,
                size: s.size,
            })
            .collect();
        if let Ok(e) = Event::Signals(alerts).to_outbox(format!("signals:{as_of}")) {
            events.push(e);
        }
    }

    // Equity: capital + realised P&L + open positions marked to market.
    let realised_before: f64 = store.closed_trades(None).await?.iter().map(|r| r.pnl).sum();
    let realised_now: f64 = closed_rows.iter().map(|r| r.pnl).sum();
    let (mut value, mut cost) = (0.0, 0.0);
    for r in positions.values() {
        if let (Some(sh), Some(f)) = (r.shares, r.entry_fill) {
            value += sh * r.last_price;
            cost += sh * f;
        }
    }
    let equity = SYSTEM_CAPITAL + realised_before + realised_now + (value - cost);
    let snapshot = EquitySnapshot {
        date: as_of,
        equity,
        cash: equity - value,
        exposure: if equity > 0.0 { value / equity } else { 0.0 },
        n_open: positions
            .values()
            .filter(|r| r.entry_date.is_some())
            .count() as i64,
    };
    report.positions = positions.values().map(position_out).collect();
    report.closed = closed_rows
        .iter()
        .map(|r| ClosedOut {
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
        })
        .collect();
    report.equity = Some(snapshot.clone());

    let summary = serde_json::json!({
        "vix": report.breadth.vix,
        "vix_label": report.breadth.vix_label,
        "breadth": report.breadth,
        "watchlist": report.watchlist,
    });
    let commit = ScanCommit {
        as_of,
        started_at: opts.now,
        finished_at: opts.now,
        n_scanned: report.scanned as i64,
        status: if report.data_errors.is_empty() && report.corrupt_models.is_empty() {
            "ok".into()
        } else {
            "partial".into()
        },
        positions: positions.into_values().collect(),
        closed_trades: closed_rows,
        equity: Some(snapshot),
        signals: report
            .signals
            .iter()
            .map(|s| SignalRow {
                as_of,
                ticker: s.ticker.clone(),
                p_rally: s.p_rally,
                compression: s.compression,
                price: s.price,
                stop: s.stop,
                target: s.target,
                size: s.size,
            })
            .collect(),
        events,
        summary_json: Some(summary.to_string()),
        backends: opts.backends.clone(),
        base: base.newest,
        backfill: opts.backfill,
    };
    crate::fault::point("before-commit");
    let outcome = store.commit_scan(&commit).await?;
    crate::fault::point("after-commit");
    report.committed = match outcome {
        CommitOutcome::Committed { .. } => true,
        CommitOutcome::AlreadyDone => false,
        CommitOutcome::Conflict { .. } => return Ok(Attempt::Lost),
    };
    if !report.committed {
        // Report what the store holds for this date (the first run's result).
        report.positions = store
            .open_positions()
            .await?
            .iter()
            .map(position_out)
            .collect();
        report.closed.clear();
        report.signals = store
            .signals_on(as_of)
            .await?
            .into_iter()
            .map(|r| SignalOut {
                ticker: r.ticker,
                p_rally: r.p_rally,
                compression: r.compression,
                price: r.price,
                stop: r.stop,
                target: r.target,
                size: r.size,
            })
            .collect();
        report.equity = store
            .equity_history(None)
            .await?
            .into_iter()
            .find(|e| e.date == as_of);
    }
    // Exports are rewritten from the store every time, so a run killed
    // between the commit and here is repaired by the next run.
    store
        .export_all(&state.models())
        .await
        .map_err(|e| PipelineError::Invalid(format!("exporting CSVs: {e}")))?;
    crate::fault::point("after-export");
    Ok(Attempt::Done(Box::new(report)))
}
