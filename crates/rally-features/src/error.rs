//! Why a row's base features are undefined, in words a user can act on
//! ([`crate::FeatureFrame::check_row`]).

use crate::params::{ATR_PERIOD, WARM_UP_ROWS};

/// Why the ten base features of a row are not all finite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// The row is past the end of the frame.
    #[error("row {row} is past the last bar (the frame has {len} rows)")]
    OutOfRange {
        /// Row asked for.
        row: usize,
        /// Rows in the frame.
        len: usize,
    },
    /// The row is within the warm-up: some feature window is not full yet.
    #[error(
        "row {row} is within the first {WARM_UP_ROWS} bars, before every feature window is full"
    )]
    WarmUp {
        /// Row asked for.
        row: usize,
    },
    /// ATR is 0 (prices did not move over its window), and the feature
    /// divides by it.
    #[error(
        "{feature} is undefined at row {row}: prices did not move over the last {ATR_PERIOD} bars (ATR is 0)"
    )]
    ConstantPrices {
        /// Feature name (one of [`crate::BASE_FEATURES`]).
        feature: &'static str,
        /// Row.
        row: usize,
    },
    /// A feature is NaN or infinite past the warm-up: its inputs hold a
    /// non-finite value, or values too large to compute with (e.g. 1e308
    /// volumes, whose averages overflow).
    #[error(
        "{feature} is {value} at row {row}: the {inputs} hold a non-finite value or one too large to compute with"
    )]
    NonFinite {
        /// Feature name (one of [`crate::BASE_FEATURES`]).
        feature: &'static str,
        /// Row.
        row: usize,
        /// The feature's value.
        value: f64,
        /// The inputs it is computed from, in words.
        inputs: &'static str,
    },
}
