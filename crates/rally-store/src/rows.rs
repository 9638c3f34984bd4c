//! Plain typed rows of the tables. They double as the input of writes and the
//! output of reads, so what goes in is exactly what comes out.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One of the system's open positions (or a pending entry awaiting its fill).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PositionRow {
    /// Ticker symbol; one position per ticker.
    pub ticker: String,
    /// Serialised trade state machine state. Opaque to the store.
    pub state_json: String,
    /// Date of the bar that produced the entry signal.
    pub signal_date: NaiveDate,
    /// Date of the entry fill; `None` while the entry is pending.
    pub entry_date: Option<NaiveDate>,
    /// Entry fill price; `None` while pending.
    pub entry_fill: Option<f64>,
    /// Number of shares; `None` while pending.
    pub shares: Option<f64>,
    /// Position size as a fraction of equity.
    pub size: f64,
    /// Stop price.
    pub stop: f64,
    /// Target price.
    pub target: f64,
    /// Calibrated P(rally) at the signal.
    pub p_rally: f64,
    /// Last close seen by the scanner.
    pub last_price: f64,
    /// Date of `last_price`.
    pub last_date: NaiveDate,
    /// Bars held since the entry fill.
    pub bars_held: i64,
    /// As-of date of the scan that wrote this row.
    pub updated_as_of: NaiveDate,
}

/// One closed trade of the system's journal; `(ticker, signal_date)` is unique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ClosedTradeRow {
    /// Ticker symbol.
    pub ticker: String,
    /// Date of the signal bar.
    pub signal_date: NaiveDate,
    /// Date of the entry fill.
    pub entry_date: NaiveDate,
    /// Date of the exit.
    pub exit_date: NaiveDate,
    /// Entry fill price.
    pub entry_fill: f64,
    /// Exit price.
    pub exit_price: f64,
    /// Stop price at entry.
    pub stop: f64,
    /// Target price at entry.
    pub target: f64,
    /// Size as a fraction of equity.
    pub size: f64,
    /// Number of shares.
    pub shares: f64,
    /// P(rally) at the signal.
    pub p_rally: f64,
    /// Exit reason (stop, target, exhaustion, time, ...).
    pub reason: String,
    /// Bars held.
    pub bars_held: i64,
    /// Fractional return of the trade (0.05 = +5 %). Column `trade_return`.
    pub trade_return: f64,
    /// Profit and loss in money (equity units).
    pub pnl: f64,
}

/// Daily snapshot of the system's equity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct EquitySnapshot {
    /// Snapshot date (the scan's as-of date).
    pub date: NaiveDate,
    /// Total equity (cash + marked positions).
    pub equity: f64,
    /// Cash.
    pub cash: f64,
    /// Gross exposure as a fraction of equity (money in positions / equity).
    pub exposure: f64,
    /// Number of open positions.
    pub n_open: i64,
}

/// One entry signal of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SignalRow {
    /// As-of date of the scan.
    pub as_of: NaiveDate,
    /// Ticker symbol.
    pub ticker: String,
    /// Calibrated P(rally).
    pub p_rally: f64,
    /// Compression measure at the signal.
    pub compression: f64,
    /// Signal price (last close).
    pub price: f64,
    /// Stop price.
    pub stop: f64,
    /// Target price.
    pub target: f64,
    /// Suggested size as a fraction of equity.
    pub size: f64,
    /// Model v2: share of the training setups whose P is at least this
    /// one's, in percent; `None` for classic.
    #[sqlx(default)]
    pub setup_top_pct: Option<f64>,
}

impl ClosedTradeRow {
    /// The journal row of a trade the state machine closed.
    pub fn from_trade(ticker: &str, t: &rally_trade::ClosedTrade) -> ClosedTradeRow {
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
}

impl SignalRow {
    /// The stored row of a scan's signal.
    pub fn new(as_of: NaiveDate, s: &rally_trade::EntrySignal) -> SignalRow {
        SignalRow {
            as_of,
            ticker: s.ticker.clone(),
            p_rally: s.p_rally,
            compression: s.compression,
            price: s.price,
            stop: s.stop,
            target: s.target,
            size: s.size,
            setup_top_pct: s.setup_top_pct,
        }
    }

    /// The signal this row records.
    pub fn signal(&self) -> rally_trade::EntrySignal {
        rally_trade::EntrySignal {
            ticker: self.ticker.clone(),
            p_rally: self.p_rally,
            compression: self.compression,
            price: self.price,
            stop: self.stop,
            target: self.target,
            size: self.size,
            setup_top_pct: self.setup_top_pct,
        }
    }
}

/// One committed scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ScanRun {
    /// As-of date (newest bar among the scanned tickers); primary key.
    pub as_of: NaiveDate,
    /// When the scan started.
    pub started_at: DateTime<Utc>,
    /// When the scan committed.
    pub finished_at: DateTime<Utc>,
    /// Number of tickers scanned.
    pub n_scanned: i64,
    /// Number of new entry signals.
    pub n_signals: i64,
    /// Free-form status, e.g. `ok` or `partial`.
    pub status: String,
    /// Market context (VIX, breadth) as JSON; `None` for older rows.
    #[sqlx(default)]
    pub summary_json: Option<String>,
}

/// A Discord user of the bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UserRow {
    /// Discord user id (snowflake as text).
    pub discord_id: String,
    /// The user's capital, if set.
    pub capital: Option<f64>,
    /// First use.
    pub created_at: DateTime<Utc>,
}

/// One trade of a user's own journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct UserTradeRow {
    /// Row id.
    pub id: i64,
    /// Owner (Discord id).
    pub user_id: String,
    /// Ticker symbol.
    pub ticker: String,
    /// Entry price.
    pub entry_price: f64,
    /// Size as a fraction of the user's capital.
    pub size: f64,
    /// Stop price.
    pub stop: Option<f64>,
    /// Target price.
    pub target: Option<f64>,
    /// Entry time.
    pub entered_at: DateTime<Utc>,
    /// Exit price; `None` while open.
    pub exit_price: Option<f64>,
    /// Exit time; `None` while open.
    pub exited_at: Option<DateTime<Utc>>,
    /// Free-form notes given at exit.
    pub notes: Option<String>,
    /// P&L in percent, computed by the caller at exit.
    pub pnl_pct: Option<f64>,
    /// P&L in money, computed by the caller at exit (needs capital).
    pub pnl_usd: Option<f64>,
}

impl UserTradeRow {
    /// Whether the trade is still open.
    pub fn is_open(&self) -> bool {
        self.exit_price.is_none()
    }
}
