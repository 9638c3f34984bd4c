//! Model v2 (MODEL-V2.md): one pooled logistic regression per fold year
//! over every ticker's training rows, on 22 features (the 13 classic ones
//! plus the nine extras of `rally_features::extras`), scored as a raw
//! sigmoid with no separate calibrator.
//!
//! [`design`] builds what one ticker contributes to one fold (its training
//! rows and the classic out-of-sample rows it is scored on); [`pooled`]
//! fits the fold's model on the union of those contributions and derives
//! its entry / watchlist thresholds. Running folds and tickers in parallel
//! is the caller's business: every function here is pure and serial.

pub mod design;
pub mod pooled;
#[cfg(test)]
pub(crate) mod test_market;

pub use design::{
    TestRow, TickerFold, V2Inputs, ticker_fold, ticker_fold_rule, ticker_fold_window, ticker_folds,
};
pub use pooled::{
    ENTRY_PERCENTILE, PooledModel, Thresholds, WATCH_PERCENTILE, fit_pooled, percentile_linear,
    percentile_sorted, thresholds_at,
};

use rally_features::{EXTRA_FEATURES, N_EXTRA};

use crate::walkforward::{FEATURE_NAMES, N_FEATURES};

/// Model v2 inputs: the 13 classic features, then the nine extras.
pub const N_V2: usize = N_FEATURES + N_EXTRA;

/// One row of the v2 design, in raw units ([`V2_FEATURE_NAMES`] order).
pub type V2Row = [f64; N_V2];

/// Feature names in v2 column order.
pub const V2_FEATURE_NAMES: [&str; N_V2] = {
    let mut out = [""; N_V2];
    let mut i = 0;
    while i < N_V2 {
        out[i] = if i < N_FEATURES {
            FEATURE_NAMES[i]
        } else {
            EXTRA_FEATURES[i - N_FEATURES]
        };
        i += 1;
    }
    out
};

/// Logistic regression `C` of the pooled fit (the classic objective).
pub const V2_LR_C: f64 = 1.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_classic_then_extras() {
        assert_eq!(V2_FEATURE_NAMES[0], "atr_pctile");
        assert_eq!(V2_FEATURE_NAMES[12], "hmm_age");
        assert_eq!(V2_FEATURE_NAMES[13], "ret1z");
        assert_eq!(V2_FEATURE_NAMES[21], "latr_bar");
    }
}
