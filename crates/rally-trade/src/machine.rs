//! THE trade state machine of METHOD §7, shared by the backtest and by live
//! position tracking.
//!
//! The machine is a pure function [`step`] from `(book, bar, allow_signal,
//! config)` to `(new book, events, equity, in_position)`. A [`Book`] is the
//! cash plus the [`TradeState`] (`Flat`, `Pending(signal)` or
//! `Open(position)`); it is `Copy` and serde-serialisable, so a live tracker
//! can persist it between runs and feed it one new bar per day.
//!
//! Bar order inside one step (METHOD §7 / the reference):
//! 1. a pending entry fills at this bar's open (`fill = O·(1+cost)`,
//!    `shares = size·equity_at_signal/fill`, cash moves now);
//! 2. an open position (the entry bar included) advances its bar counter
//!    and is checked for exits, first match wins: stop, target, exhaustion,
//!    time;
//! 3. equity `= cash + shares·C` after exits;
//! 4. if flat and `allow_signal` and P and compression clear their
//!    thresholds: a new [`Signal`] (it fills on the next step), unless its
//!    levels are unusable (`stop < close < target`, all finite and positive,
//!    fails, e.g. from a negative or absurd ATR): then no signal, and the
//!    step reports the [`Refusal`].
//!
//! Bars held are counted with [`Position::bars_since_signal`], incremented
//! once per step, so no absolute bar index is needed: a signal at bar `t`
//! that exits at bar `j` has `bars_since_signal == j - t`.
//!
//! # Live tracking
//!
//! Keep one [`Book`] per (asset, config), created with [`Book::new`], in the
//! database. For each new daily bar, strictly once per bar and in date order:
//! `let out = step(book, &bar, true, &cfg);` store `out.book`, act on
//! `out.events` (a `Signal` = buy at the next open, `Fill`, `Exit`). Passing
//! `allow_signal = true` on the newest bar is what live tracking wants (the
//! backtest passes `false` only on the last bar because it cannot fill).
//! Do not call [`close_at_end`] live: positions stay open. Persist floats
//! losslessly (MessagePack, or serde_json with its `float_roundtrip`
//! feature) if the live book must stay bit-identical to a backtest.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::config::P_TOLERANCE;
use crate::config::TradeConfig;

/// One bar as the machine sees it: prices and the features it trades on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BarInput {
    /// Bar date.
    pub date: NaiveDate,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// ATR (METHOD §2).
    pub atr: f64,
    /// Realised volatility (METHOD §2).
    pub rv: f64,
    /// Percentile rank of RV (NaN when undefined: no exhaustion exit).
    pub rv_pctile: f64,
    /// Compression score (NaN when undefined: no signal).
    pub compression: f64,
    /// Out-of-sample P(rally); `None` (or non-finite) = no signal on this bar.
    pub p: Option<f64>,
}

/// A signal taken at the close of a bar; it fills at the next bar's open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Date of the signal bar `t`.
    pub signal_date: NaiveDate,
    /// P(rally) at the signal bar.
    pub p: f64,
    /// `C[t] - stop_atr_mult·ATR[t]`.
    pub stop: f64,
    /// `C[t] + profit_atr_mult·ATR[t]`.
    pub target: f64,
    /// Fraction of equity: `min(max_size, vol_target_k/RV[t])` (`max_size` if RV is 0).
    pub size: f64,
    /// Equity at the signal bar (after its exits), used for sizing.
    pub equity_at_signal: f64,
}

/// An open position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The signal that opened it.
    pub signal: Signal,
    /// Date of the fill bar (`t+1`).
    pub entry_date: NaiveDate,
    /// Fill price including cost: `O[t+1]·(1+cost)`.
    pub fill: f64,
    /// Shares held: `size·equity_at_signal/fill`.
    pub shares: f64,
    /// Bars since the signal bar (`j - t` on the last bar processed; 1 on the entry bar).
    pub bars_since_signal: u32,
}

/// The position part of the book.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TradeState {
    /// No position, no pending entry.
    #[default]
    Flat,
    /// A signal waiting to fill at the next bar's open.
    Pending {
        /// The signal.
        signal: Signal,
    },
    /// An open position.
    Open {
        /// The position.
        position: Position,
    },
}

/// Cash plus the trade state: everything the machine carries between bars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Book {
    /// Cash (capital at the start; moves at fills and exits).
    pub cash: f64,
    /// Flat, pending or open.
    pub state: TradeState,
}

impl Book {
    /// A flat book with `capital` in cash.
    pub fn new(capital: f64) -> Book {
        Book {
            cash: capital,
            state: TradeState::Flat,
        }
    }

    /// Shares held (0 unless open).
    pub fn shares(&self) -> f64 {
        match &self.state {
            TradeState::Open { position } => position.shares,
            _ => 0.0,
        }
    }

    /// `cash + shares·close`.
    pub fn equity(&self, close: f64) -> f64 {
        self.cash + self.shares() * close
    }
}

/// Why a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Low touched the stop.
    Stop,
    /// High touched the target.
    Target,
    /// `rv_pctile >= rv_exit_pct`.
    Exhaustion,
    /// Time stop.
    Time,
    /// End of the backtest data.
    End,
}

impl ExitReason {
    /// `stop`, `target`, `exhaustion`, `time` or `end`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::Stop => "stop",
            ExitReason::Target => "target",
            ExitReason::Exhaustion => "exhaustion",
            ExitReason::Time => "time",
            ExitReason::End => "end",
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A pending entry filled at a bar's open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// Fill date.
    pub date: NaiveDate,
    /// Fill price including cost.
    pub fill: f64,
    /// Shares bought.
    pub shares: f64,
    /// Cash paid (`shares·fill`).
    pub cash_paid: f64,
}

/// A closed trade: one row of `trades.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClosedTrade {
    /// Signal bar date.
    pub signal_date: NaiveDate,
    /// Fill bar date.
    pub entry_date: NaiveDate,
    /// Exit bar date.
    pub exit_date: NaiveDate,
    /// Fill price including cost.
    pub entry_fill: f64,
    /// Exit price before cost.
    pub exit_price: f64,
    /// Stop level.
    pub stop: f64,
    /// Target level.
    pub target: f64,
    /// Size (fraction of equity).
    pub size: f64,
    /// Shares.
    pub shares: f64,
    /// P(rally) at the signal.
    pub p_rally: f64,
    /// Exit reason.
    pub reason: ExitReason,
    /// `j - t`.
    pub bars_held: u32,
    /// `exit_price·(1-cost)/entry_fill - 1`.
    #[serde(rename = "return")]
    pub ret: f64,
    /// Cash received (`shares·exit_price·(1-cost)`).
    pub proceeds: f64,
}

/// Something that happened during one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The pending entry filled at this bar's open.
    Fill(Fill),
    /// The open position exited on this bar.
    Exit(ClosedTrade),
    /// A new signal at this bar's close (fills at the next open).
    Signal(Signal),
}

/// Why a signal that cleared the P and compression thresholds was not taken.
/// The levels are those the signal would have had; `price` is the signal
/// bar's close.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// A level is NaN, infinite, zero or negative.
    NotFinitePositive {
        /// Signal bar date.
        date: NaiveDate,
        /// Stop level.
        stop: f64,
        /// Close of the signal bar.
        price: f64,
        /// Target level.
        target: f64,
    },
    /// The levels are not ordered `stop < price < target`.
    Unordered {
        /// Signal bar date.
        date: NaiveDate,
        /// Stop level.
        stop: f64,
        /// Close of the signal bar.
        price: f64,
        /// Target level.
        target: f64,
    },
}

impl Refusal {
    /// `Ok` when `stop < price < target` and all three are finite and
    /// positive, else why not.
    pub fn check(date: NaiveDate, stop: f64, price: f64, target: f64) -> Result<(), Refusal> {
        let usable = |v: f64| v.is_finite() && v > 0.0;
        if !(usable(stop) && usable(price) && usable(target)) {
            Err(Refusal::NotFinitePositive {
                date,
                stop,
                price,
                target,
            })
        } else if !(stop < price && price < target) {
            Err(Refusal::Unordered {
                date,
                stop,
                price,
                target,
            })
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFinitePositive {
                date,
                stop,
                price,
                target,
            } => write!(
                f,
                "signal on {date} refused: stop {stop}, price {price} and target {target} \
                 must all be finite and positive"
            ),
            Refusal::Unordered {
                date,
                stop,
                price,
                target,
            } => write!(
                f,
                "signal on {date} refused: stop {stop}, price {price} and target {target} \
                 are not ordered stop < price < target"
            ),
        }
    }
}

/// The result of one [`step`].
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutput {
    /// The book after the bar.
    pub book: Book,
    /// Events in the order they happened (fill, exit, signal; at most one each).
    pub events: Vec<Event>,
    /// `cash + shares·C` after this bar's exits (before the new signal, which moves no cash).
    pub equity: f64,
    /// A position is open after this bar's exits.
    pub in_position: bool,
    /// The signal this bar would have given, refused for unusable levels.
    pub refused: Option<Refusal>,
}

fn close_trade(
    pos: &Position,
    date: NaiveDate,
    price: f64,
    reason: ExitReason,
    cost: f64,
) -> ClosedTrade {
    ClosedTrade {
        signal_date: pos.signal.signal_date,
        entry_date: pos.entry_date,
        exit_date: date,
        entry_fill: pos.fill,
        exit_price: price,
        stop: pos.signal.stop,
        target: pos.signal.target,
        size: pos.signal.size,
        shares: pos.shares,
        p_rally: pos.signal.p,
        reason,
        bars_held: pos.bars_since_signal,
        ret: price * (1.0 - cost) / pos.fill - 1.0,
        proceeds: pos.shares * price * (1.0 - cost),
    }
}

/// The exit rule of METHOD §7 on one bar for a position whose
/// `bars_since_signal` is already `j - t`: `(price, reason)` of the first
/// rule that matches, or `None`.
pub fn exit_check(pos: &Position, bar: &BarInput, cfg: &TradeConfig) -> Option<(f64, ExitReason)> {
    let stop = pos.signal.stop;
    let target = pos.signal.target;
    if bar.low <= stop {
        Some((bar.open.min(stop), ExitReason::Stop))
    } else if bar.high >= target {
        Some((bar.open.max(target), ExitReason::Target))
    } else if bar.rv_pctile.is_finite() && bar.rv_pctile >= cfg.rv_exit_pct {
        Some((bar.close, ExitReason::Exhaustion))
    } else if pos.bars_since_signal >= cfg.time_stop_bars {
        Some((bar.close, ExitReason::Time))
    } else {
        None
    }
}

/// The signal rule of METHOD §7 on a bar where the book is flat and
/// signalling is allowed, with `equity` the equity at this bar after exits:
/// `Ok(None)` when P or compression do not clear their thresholds, `Err`
/// when they do but the levels are unusable ([`Refusal::check`]).
pub fn signal_check(
    bar: &BarInput,
    equity: f64,
    cfg: &TradeConfig,
) -> Result<Option<Signal>, Refusal> {
    let Some(p) = bar.p.filter(|p| p.is_finite()) else {
        return Ok(None);
    };
    let take = cfg.p_clears(p) && cfg.compression_clears(bar.compression);
    if !take {
        return Ok(None);
    }
    let stop = bar.close - cfg.stop_atr_mult * bar.atr;
    let target = bar.close + cfg.profit_atr_mult * bar.atr;
    Refusal::check(bar.date, stop, bar.close, target)?;
    let size = if bar.rv == 0.0 {
        cfg.max_size
    } else {
        // Python's min(max_size, k/rv): the second only when strictly smaller.
        let v = cfg.vol_target_k / bar.rv;
        if v < cfg.max_size { v } else { cfg.max_size }
    };
    Ok(Some(Signal {
        signal_date: bar.date,
        p,
        stop,
        target,
        size,
        equity_at_signal: equity,
    }))
}

/// One bar of the state machine (pure).
///
/// `allow_signal` is `t < N-1` in a backtest (no signal on the last bar,
/// it could never fill); a live tracker passes `true` on the newest bar so
/// the signal fills on the next day's bar. Sizing uses the book's equity
/// after this bar's exits (`cash + shares·C`, i.e. the cash when flat).
pub fn step(book: Book, bar: &BarInput, allow_signal: bool, cfg: &TradeConfig) -> StepOutput {
    let cost = cfg.cost();
    let mut cash = book.cash;
    let mut state = book.state;
    let mut events = Vec::new();

    // 1. pending entry fills at this bar's open
    if let TradeState::Pending { signal } = state {
        let fill = bar.open * (1.0 + cost);
        let shares = signal.size * signal.equity_at_signal / fill;
        let paid = shares * fill;
        cash -= paid;
        events.push(Event::Fill(Fill {
            date: bar.date,
            fill,
            shares,
            cash_paid: paid,
        }));
        state = TradeState::Open {
            position: Position {
                signal,
                entry_date: bar.date,
                fill,
                shares,
                bars_since_signal: 0,
            },
        };
    }

    // 2. exits (the entry bar included)
    if let TradeState::Open { mut position } = state {
        position.bars_since_signal = position.bars_since_signal.saturating_add(1);
        state = TradeState::Open { position };
        if let Some((price, reason)) = exit_check(&position, bar, cfg) {
            let trade = close_trade(&position, bar.date, price, reason, cost);
            cash += trade.proceeds;
            events.push(Event::Exit(trade));
            state = TradeState::Flat;
        }
    }

    // 3. equity after exits
    let after = Book { cash, state };
    let equity = after.equity(bar.close);
    let in_position = matches!(state, TradeState::Open { .. });

    // 4. new signal if flat (or a refusal if its levels are unusable)
    let mut refused = None;
    if matches!(state, TradeState::Flat) && allow_signal {
        match signal_check(bar, equity, cfg) {
            Ok(Some(signal)) => {
                events.push(Event::Signal(signal));
                state = TradeState::Pending { signal };
            }
            Ok(None) => {}
            Err(r) => refused = Some(r),
        }
    }

    StepOutput {
        book: Book { cash, state },
        events,
        equity,
        in_position,
        refused,
    }
}

/// Close an open position at `close` on `date` with reason `end` (end of a
/// backtest's data), proceeds net of cost. Bars held is the position's
/// `bars_since_signal` (`N-1-t` after the last bar's step). A flat or pending
/// book is returned unchanged with `None`.
pub fn close_at_end(
    book: Book,
    date: NaiveDate,
    close: f64,
    cfg: &TradeConfig,
) -> (Book, Option<ClosedTrade>) {
    match book.state {
        TradeState::Open { position } => {
            let trade = close_trade(&position, date, close, ExitReason::End, cfg.cost());
            (
                Book {
                    cash: book.cash + trade.proceeds,
                    state: TradeState::Flat,
                },
                Some(trade),
            )
        }
        _ => (book, None),
    }
}
