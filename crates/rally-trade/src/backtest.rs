//! Single-asset backtest: the state machine folded over history (METHOD §7).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::TradeError;
use crate::config::TradeConfig;
use crate::equity::EquityPoint;
use crate::machine::{BarInput, Book, ClosedTrade, Event, close_at_end, step};
use crate::metrics::PerfMetrics;

/// Default starting capital.
pub const DEFAULT_CAPITAL: f64 = 100_000.0;

/// The full history of one asset as parallel columns (all the same length).
/// `p` is the out-of-sample P(rally), NaN where there is none.
#[derive(Debug, Clone, Copy)]
pub struct BacktestInput<'a> {
    /// Bar dates, increasing.
    pub dates: &'a [NaiveDate],
    /// Opens.
    pub open: &'a [f64],
    /// Highs.
    pub high: &'a [f64],
    /// Lows.
    pub low: &'a [f64],
    /// Closes.
    pub close: &'a [f64],
    /// ATR.
    pub atr: &'a [f64],
    /// RV.
    pub rv: &'a [f64],
    /// RV percentile.
    pub rv_pctile: &'a [f64],
    /// Compression score.
    pub compression: &'a [f64],
    /// P(rally), NaN = no P.
    pub p: &'a [f64],
}

impl BacktestInput<'_> {
    /// Number of bars.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// No bars.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    fn check(&self) -> Result<(), TradeError> {
        let n = self.dates.len();
        let cols: [(&'static str, usize); 9] = [
            ("open", self.open.len()),
            ("high", self.high.len()),
            ("low", self.low.len()),
            ("close", self.close.len()),
            ("atr", self.atr.len()),
            ("rv", self.rv.len()),
            ("rv_pctile", self.rv_pctile.len()),
            ("compression", self.compression.len()),
            ("p", self.p.len()),
        ];
        for (column, len) in cols {
            if len != n {
                return Err(TradeError::LengthMismatch {
                    column,
                    len,
                    expected: n,
                });
            }
        }
        Ok(())
    }

    /// Bar `t` as the machine sees it (a non-finite P becomes `None`).
    /// Panics if `t` is out of range; callers iterate `0..len()`.
    pub fn bar(&self, t: usize) -> BarInput {
        let p = self.p[t];
        BarInput {
            date: self.dates[t],
            open: self.open[t],
            high: self.high[t],
            low: self.low[t],
            close: self.close[t],
            atr: self.atr[t],
            rv: self.rv[t],
            rv_pctile: self.rv_pctile[t],
            compression: self.compression[t],
            p: p.is_finite().then_some(p),
        }
    }
}

/// A finished backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Starting capital.
    pub capital: f64,
    /// Index (into the input) of the first bar with a P.
    pub start: usize,
    /// Closed trades, in exit order.
    pub trades: Vec<ClosedTrade>,
    /// One row per bar from `start` to the last bar.
    pub equity: Vec<EquityPoint>,
    /// `C[N-1]/C[start] - 1`, no costs.
    pub buy_hold_return: f64,
}

impl Backtest {
    /// The METHOD §8 metrics of this backtest.
    pub fn metrics(&self) -> Result<PerfMetrics, TradeError> {
        PerfMetrics::compute(&self.equity, &self.trades, self.buy_hold_return)
    }
}

/// Run the single-asset backtest of METHOD §7 from the first row with a
/// finite P to the last bar. `Ok(None)` when no row has a P (no backtest).
pub fn backtest(
    input: &BacktestInput<'_>,
    cfg: &TradeConfig,
    capital: f64,
) -> Result<Option<Backtest>, TradeError> {
    backtest_with_entry(input, cfg, capital, None)
}

/// [`backtest`] with the P threshold set bar by bar: a model that learns
/// its own entry threshold per fold (model v2) hands the fold's threshold
/// for each bar; everything else comes from `cfg`. A NaN threshold takes
/// no entry on that bar; `-inf` lets any P through. `None` is exactly [`backtest`].
pub fn backtest_with_entry(
    input: &BacktestInput<'_>,
    cfg: &TradeConfig,
    capital: f64,
    entry: Option<&[f64]>,
) -> Result<Option<Backtest>, TradeError> {
    input.check()?;
    let n = input.len();
    if let Some(e) = entry
        && e.len() != n
    {
        return Err(TradeError::LengthMismatch {
            column: "entry threshold",
            len: e.len(),
            expected: n,
        });
    }
    let mut bar_cfg = cfg.clone();
    let Some(start) = input.p.iter().position(|p| p.is_finite()) else {
        return Ok(None);
    };
    let mut book = Book::new(capital);
    let mut trades = Vec::new();
    let mut equity = Vec::with_capacity(n - start);
    for t in start..n {
        let bar = input.bar(t);
        if let Some(e) = entry {
            bar_cfg.p_threshold = if e[t].is_nan() { f64::INFINITY } else { e[t] };
        }
        let out = step(book, &bar, t + 1 < n, &bar_cfg);
        for ev in &out.events {
            if let Event::Exit(trade) = ev {
                trades.push(*trade);
            }
        }
        equity.push(EquityPoint {
            date: bar.date,
            equity: out.equity,
            in_position: out.in_position,
        });
        book = out.book;
    }
    let last = n - 1;
    let (closed, end_trade) = close_at_end(book, input.dates[last], input.close[last], cfg);
    if let Some(trade) = end_trade {
        trades.push(trade);
        if let Some(row) = equity.last_mut() {
            row.equity = closed.cash;
            row.in_position = false;
        }
    }
    Ok(Some(Backtest {
        capital,
        start,
        trades,
        equity,
        buy_hold_return: input.close[last] / input.close[start] - 1.0,
    }))
}
