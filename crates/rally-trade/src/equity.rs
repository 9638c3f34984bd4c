//! The equity curve's point: shared by the backtest that writes it and the
//! metrics and portfolio that read it (its own module, so neither of those
//! depends on the other for it).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One row of `equity.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// Date.
    pub date: NaiveDate,
    /// `cash + shares·C` after the bar's exits (last row: cash after the `end` close).
    pub equity: f64,
    /// A position is open after the bar's exits (written as 1/0).
    pub in_position: bool,
}
