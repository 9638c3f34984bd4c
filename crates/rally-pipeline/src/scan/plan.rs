//! Step 2 of the scan: from the stored state, the scores and the config,
//! everything the scan will write — ranking and watchlist, the state
//! machine on every bar since each position's last update, the alerts, the
//! equity snapshot — and the report's view of it. Pure: no store, no clock
//! but the one in the options.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rally_data::{Series, VIX_TICKER};
use rally_model::live_v2::V2Pool;
use rally_notify::Event;
use rally_store::{ClosedTradeRow, EquitySnapshot, NewOutboxEvent, PositionRow};
use rally_trade::EntrySignal;
use rally_trade::machine::P_TOLERANCE;
use rally_trade::{BarInput, Book, Event as TradeEvent, TradeState, step};

use super::benchmark::{Sleeve, live_benchmark};
use super::score::{Scored, breadth};
use super::{
    ClosedOut, FRESH_DATA_DAYS, PositionOut, Problem, RankRow, SYSTEM_CAPITAL, ScanOptions,
    ScanReport, ScanStatus, ScanSummary,
};
use crate::error::PipelineError;

/// What the plan needs besides the report it fills.
pub(super) struct PlanInputs<'a> {
    pub(super) scored: Vec<Scored>,
    /// Model v2: the pool (ranks P among its training setups).
    pub(super) pool: Option<&'a V2Pool>,
    /// Lower edge of the watchlist band.
    pub(super) watch_p: f64,
    pub(super) stored: &'a BTreeMap<String, PositionRow>,
    pub(super) vix: &'a Series,
    /// Realised P&L of the journal before this scan.
    pub(super) realised_before: f64,
    /// The stored equity snapshots, oldest first.
    pub(super) equity_history: &'a [EquitySnapshot],
    /// Tickers of the scan (each trades a sleeve of `SYSTEM_CAPITAL / n`).
    pub(super) n_tickers: usize,
    pub(super) opts: &'a ScanOptions,
}

/// Everything one scan writes.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) as_of: NaiveDate,
    pub(super) positions: BTreeMap<String, PositionRow>,
    pub(super) closed: Vec<ClosedTradeRow>,
    pub(super) events: Vec<NewOutboxEvent>,
    pub(super) equity: EquitySnapshot,
    pub(super) summary: ScanSummary,
    pub(super) status: ScanStatus,
}

/// Plans the scan and fills `report`; `None` when no ticker could be scored.
pub(super) fn plan(
    inputs: PlanInputs<'_>,
    report: &mut ScanReport,
) -> Result<Option<Plan>, PipelineError> {
    let PlanInputs {
        scored: mut ok,
        pool,
        watch_p,
        stored,
        vix,
        realised_before,
        equity_history,
        n_tickers,
        opts,
    } = inputs;
    let cfg = &opts.config;
    let rank = |p: f64| pool.and_then(|pool| pool.setup_top_pct(p));
    let Some(as_of) = ok.iter().filter_map(|s| s.last().map(|b| b.date)).max() else {
        return Ok(None);
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
    let sleeve = SYSTEM_CAPITAL / n_tickers.max(1) as f64;
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
                setup_top_pct: rank(p),
            };
            // The entry rule is the state machine's own (`TradeConfig`).
            let above = cfg.p_clears(p);
            let compressed = cfg.compression_clears(last.compression);
            if (p >= watch_p - P_TOLERANCE && !above) || (above && !compressed) {
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
                        let row = ClosedTradeRow::from_trade(&s.ticker, &t);
                        let alert = Event::Exit {
                            ticker: s.ticker.clone(),
                            reason: row.reason.clone(),
                            pnl_pct: t.ret * 100.0,
                            bars_held: t.bars_held,
                            entry: t.entry_fill,
                            exit: t.exit_price,
                        };
                        events.push(
                            alert
                                .to_outbox(format!("exit:{}:{}", s.ticker, t.signal_date))
                                .map_err(PipelineError::json("an exit alert"))?,
                        );
                        closed_rows.push(row);
                    }
                    TradeEvent::Signal(sig) => report.signals.push(EntrySignal {
                        ticker: s.ticker.clone(),
                        p_rally: sig.p,
                        compression: bar.compression,
                        price: bar.close,
                        stop: sig.stop,
                        target: sig.target,
                        size: sig.size,
                        setup_top_pct: rank(sig.p),
                    }),
                    TradeEvent::Fill(_) => {}
                }
            }
        }
        if !todo.is_empty() {
            match position_row(&s.ticker, &book, &last, as_of)? {
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
        events.push(
            Event::Signals(report.signals.clone())
                .to_outbox(format!("signals:{as_of}"))
                .map_err(PipelineError::json("the signal alert"))?,
        );
    }

    // Equity: capital + realised P&L + open positions marked to market.
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
    report.closed = closed_rows.iter().map(ClosedOut::from).collect();
    report.equity = Some(snapshot.clone());
    let sleeves: Vec<&Sleeve> = ok.iter().filter_map(|s| s.sleeve.as_ref()).collect();
    report.benchmark = live_benchmark(&sleeves, equity_history, &snapshot, n_tickers);
    let summary = ScanSummary {
        vix: report.breadth.vix,
        vix_label: report.breadth.vix_label.clone(),
        breadth: report.breadth.clone(),
        watchlist: report.watchlist.clone(),
        benchmark: report.benchmark.clone(),
    };
    let status = if report.data_errors.is_empty() && report.corrupt_models.is_empty() {
        ScanStatus::Ok
    } else {
        ScanStatus::Partial
    };
    Ok(Some(Plan {
        as_of,
        positions,
        closed: closed_rows,
        events,
        equity: snapshot,
        summary,
        status,
    }))
}

fn book_of(row: &PositionRow) -> Result<Book, PipelineError> {
    serde_json::from_str(&row.state_json).map_err(|error| PipelineError::StoredPosition {
        ticker: row.ticker.clone(),
        error,
    })
}

/// The stored row of a ticker's book after the scan (`None` when flat).
/// A book that cannot be serialised is an error, never a silently closed
/// position.
fn position_row(
    ticker: &str,
    book: &Book,
    last: &BarInput,
    as_of: NaiveDate,
) -> Result<Option<PositionRow>, PipelineError> {
    if matches!(book.state, TradeState::Flat) {
        return Ok(None);
    }
    let state_json =
        serde_json::to_string(book).map_err(PipelineError::json("a position's state"))?;
    Ok(match book.state {
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
    })
}

pub(super) fn position_out(row: &PositionRow) -> PositionOut {
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
