//! What the system tells people: an entry signal of one ticker as the scan
//! reports it, alerts announce it and the store records it. One record for
//! all of them (the store row adds the scan date; alerts and the scan's
//! JSON carry it as is).

use serde::{Deserialize, Serialize};

/// A new entry signal of a ticker: enter at the next open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntrySignal {
    /// Ticker symbol.
    pub ticker: String,
    /// Calibrated P(rally), 0..1.
    pub p_rally: f64,
    /// Compression measure at the signal.
    pub compression: f64,
    /// Signal price (the last close).
    pub price: f64,
    /// Stop price.
    pub stop: f64,
    /// Target price.
    pub target: f64,
    /// Suggested size as a fraction of equity, 0..1.
    pub size: f64,
    /// Model v2: the share (percent) of the model's compressed training
    /// setups whose P is at least this one ("top 12% of setups"); `None`
    /// for classic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_top_pct: Option<f64>,
}
