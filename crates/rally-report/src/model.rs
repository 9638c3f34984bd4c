//! The report's data model: plain, serialisable values that the research
//! and trading crates fill in and [`crate::render`] turns into one page.
//!
//! Everything is already-decided content: the model holds equity values,
//! trades and preformatted table cells, never a reference to how they were
//! computed, so a report can be rebuilt from its JSON alone.

use chrono::NaiveDate;
use serde::Serialize;

/// One HTML report: a header that says what run it describes, then
/// sections in the order given.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The page's heading and `<title>`.
    pub title: String,
    /// The command or run this report describes, e.g.
    /// `retrainer backtest --run-all --model v2`.
    pub generated_for: String,
    /// The run's parameters as (name, value): config, model family, data
    /// source, ticker count... Shown in the given order.
    pub parameters: Vec<(String, String)>,
    /// First and last date of the data the run used, when known.
    pub data_range: Option<(NaiveDate, NaiveDate)>,
    /// The body, in order.
    pub sections: Vec<Section>,
}

/// A named series of dated values, e.g. an equity curve.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Legend label: `strategy`, `buy & hold`, `every compressed bar`.
    pub name: String,
    /// (date, value), in date order. Non-finite values are skipped when
    /// drawn and when computing returns.
    pub points: Vec<(NaiveDate, f64)>,
}

impl Series {
    /// A series from its name and points.
    pub fn new(name: impl Into<String>, points: Vec<(NaiveDate, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

/// One part of the report, with its own heading.
///
/// Series-based sections take *equity* and compute what they show
/// (drawdown, monthly and rolling returns) here, so every caller gets the
/// same definitions. By convention the first series is the strategy and the
/// rest are its benchmarks (buy & hold, every compressed bar).
#[derive(Debug, Clone, Serialize)]
pub enum Section {
    /// Equity curves, drawn twice: on a linear and on a log scale.
    Equity { title: String, series: Vec<Series> },
    /// Drawdown from the running peak, computed from each equity series.
    Drawdown { title: String, series: Vec<Series> },
    /// Year × month table of returns computed from one equity series:
    /// month-end equity / previous month-end − 1; the first month is
    /// measured from the first value.
    MonthlyReturns { title: String, equity: Series },
    /// Rolling one-year Sharpe ratio of each equity series: a window of
    /// 252 simple row-to-row returns, mean / sample std × √252.
    RollingSharpe { title: String, series: Vec<Series> },
    /// Trades, at most [`crate::MAX_TRADE_ROWS`] rows, with a line saying
    /// how many were left out.
    Trades { title: String, trades: Vec<Trade> },
    /// P(rally) reliability diagram: observed rally rate against mean
    /// predicted P per bin, one curve per model, with the diagonal.
    Reliability {
        title: String,
        curves: Vec<ReliabilityCurve>,
    },
    /// A table of preformatted cells: statistics, side-by-side metrics.
    Table(Table),
    /// Free text paragraphs, e.g. what the signal is and is not.
    Text {
        title: String,
        paragraphs: Vec<String>,
    },
}

/// A generic table: callers format the cells (with `rally-text`), so any
/// figure fits.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    /// Rows of cells; a row shorter than the header is padded with blanks.
    pub rows: Vec<Vec<String>>,
    /// Lines printed under the table: definitions, caveats.
    pub notes: Vec<String>,
}

impl Table {
    /// A statistics table: rows of (name, value, note) under the header
    /// `Statistic | Value | Note`.
    pub fn statistics(title: impl Into<String>, rows: Vec<(String, String, String)>) -> Self {
        Self {
            title: title.into(),
            header: vec!["Statistic".into(), "Value".into(), "Note".into()],
            rows: rows.into_iter().map(|(a, b, c)| vec![a, b, c]).collect(),
            notes: Vec::new(),
        }
    }
}

/// One trade as the trade table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Trade {
    pub ticker: String,
    /// The bar whose close raised the signal.
    pub signal_date: NaiveDate,
    pub entry_date: NaiveDate,
    pub entry_price: f64,
    /// `None` while the trade is still open.
    pub exit_date: Option<NaiveDate>,
    pub exit_price: Option<f64>,
    /// P(rally) at the signal, when the model gives one.
    pub p: Option<f64>,
    /// Return of the trade as a fraction (`0.05` = +5%).
    pub return_frac: f64,
    /// Why it closed: `target`, `stop`, `time`, `open`...
    pub exit_reason: String,
    pub bars_held: u32,
}

/// A model's calibration: its P bins.
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityCurve {
    /// Legend label, e.g. `v2 pooled`.
    pub model: String,
    pub bins: Vec<ReliabilityBin>,
}

/// One bin of predicted P.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReliabilityBin {
    /// Mean predicted P of the setups in the bin.
    pub mean_p: f64,
    /// Share of those setups that rallied.
    pub observed_rate: f64,
    /// Setups in the bin.
    pub n: u64,
}
