//! The two benchmarks a strategy figure is shown next to (issue #26):
//! - buy-and-hold: the same asset held from the strategy's first bar to its
//!   last, no costs, no rebalancing (a sleeve of the same portfolio shape);
//! - every compressed bar: the same machine, exits and sizing with the P
//!   filter removed, so it has the strategy's kind of exposure. If a model's
//!   P is worth anything, the strategy beats this one.

use crate::TradeError;
use crate::backtest::{Backtest, BacktestInput, backtest_with_entry};
use crate::config::TradeConfig;
use crate::equity::EquityPoint;

/// Buy-and-hold equity of `input`'s asset from bar `start` (the strategy's
/// first bar) to the last: `capital · C[t] / C[start]`, always in position.
/// Empty when `start` is out of range.
pub fn buy_and_hold(input: &BacktestInput<'_>, start: usize, capital: f64) -> Vec<EquityPoint> {
    let Some(&c0) = input.close.get(start) else {
        return Vec::new();
    };
    input.dates[start..]
        .iter()
        .zip(&input.close[start..])
        .map(|(&date, &c)| EquityPoint {
            date,
            equity: capital * c / c0,
            in_position: true,
        })
        .collect()
}

/// The backtest that enters on every bar where the strategy could have
/// entered (a P exists and compression clears `cfg`), whatever P says.
pub fn every_compressed(
    input: &BacktestInput<'_>,
    cfg: &TradeConfig,
    capital: f64,
) -> Result<Option<Backtest>, TradeError> {
    let entry: Vec<f64> = input
        .p
        .iter()
        .map(|p| {
            if p.is_finite() {
                f64::NEG_INFINITY
            } else {
                f64::NAN
            }
        })
        .collect();
    backtest_with_entry(input, cfg, capital, Some(&entry))
}
