//! Trading layer of the rally detector: the named trade configurations, the
//! one trade state machine (shared by the backtest and by live position
//! tracking), the single-asset backtest, the sleeve portfolio and the
//! performance metrics of METHOD §7–§8.
//!
//! What it is not: no I/O (no files, no database, no network), no model and
//! no features — callers hand in prices, features and P(rally) as slices or
//! bars and get plain data back.
//!
//! - [`config`](mod@config): [`TradeConfig`] and the four named configs.
//! - [`machine`](mod@machine): the pure [`step`] function over a serde-serialisable [`Book`].
//! - [`backtest`](mod@backtest): [`backtest()`](fn@backtest) folds the machine over history.
//! - [`equity`](mod@equity): [`EquityPoint`], the curve both of them read.
//! - [`metrics`](mod@metrics): [`PerfMetrics`], [`SeriesMetrics`].
//! - [`portfolio`](mod@portfolio): [`portfolio()`](fn@portfolio) of equal-capital sleeves, and
//!   the [`PortfolioFigures`] a line is compared on beside its benchmarks.
//! - [`published`](mod@published): [`EntrySignal`], the signal as scans, alerts and the store carry it.

pub mod backtest;
pub mod benchmark;
pub mod config;
pub mod equity;
pub mod machine;
pub mod metrics;
pub mod portfolio;
pub mod published;

#[cfg(test)]
mod tests;

pub use backtest::{Backtest, BacktestInput, DEFAULT_CAPITAL, backtest, backtest_with_entry};
pub use benchmark::{buy_and_hold, every_compressed};
pub use config::TradeConfig;
pub use equity::EquityPoint;
pub use machine::{
    BarInput, Book, ClosedTrade, Event, ExitReason, Fill, Position, Refusal, Signal, StepOutput,
    TradeState, close_at_end, step,
};
pub use metrics::{PerfMetrics, SeriesMetrics};
pub use portfolio::{Portfolio, PortfolioFigures, PortfolioPoint, portfolio};
pub use published::EntrySignal;

/// Errors of the trading layer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TradeError {
    /// A config name that is not one of [`TradeConfig::NAMES`].
    #[error("unknown trade config {name:?}; valid names: {valid}")]
    UnknownConfig {
        /// The name asked for.
        name: String,
        /// The valid names, comma-separated.
        valid: String,
    },
    /// Input columns of different lengths.
    #[error("column {column} has {len} rows, expected {expected}")]
    LengthMismatch {
        /// The offending column.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The length of `dates`.
        expected: usize,
    },
    /// Metrics of an empty equity series.
    #[error("empty equity series")]
    EmptySeries,
}
