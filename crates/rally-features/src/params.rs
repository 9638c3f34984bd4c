//! The feature windows of METHOD §3, and the warm-up they imply: shared
//! by the frame that computes the features and the errors that explain
//! an undefined row.

/// METHOD §3 parameters.
pub const ATR_PERIOD: usize = 20;
pub const BB_PERIOD: usize = 20;
pub const RV_PERIOD: usize = 20;
pub const PERCENTILE_WINDOW: usize = 252;
pub const RANGE_PERIOD: usize = 40;
pub const TRAP_RANGE_PERIOD: usize = 20;
pub const TRAP_LOOKFORWARD: usize = 5;
pub const RV_TRAP_PERCENTILE: f64 = 0.70;

/// Rows `0..WARM_UP_ROWS` never have all ten features: the RV percentile
/// needs `PERCENTILE_WINDOW` RV values, the first of which needs
/// `RV_PERIOD` log returns after the first close.
pub const WARM_UP_ROWS: usize = RV_PERIOD + PERCENTILE_WINDOW - 1;
