//! rally-model — the statistical model of the rally detector (METHOD §6, §8).
//!
//! What it is: the L2-penalised logistic regression (solved to the exact
//! optimum), the increasing isotonic calibration (scikit-learn compatible),
//! feature standardisation, the walk-forward procedure, the live model
//! artefact and the classification metrics (AUC, Brier, log loss, base rate,
//! reliability table; ECE, Brier skill and the share of P at 0 or 1 in
//! [`skill`]), and model v2: the pooled 22-feature regression
//! ([`v2`]).
//!
//! What it is not: it does no I/O (data loading, feature engineering and the
//! HMM live in their own crates) except serialising the live model artefact;
//! it does not trade or backtest.

pub mod artefact;
pub mod error;
pub mod isotonic;
pub mod live;
pub mod live_v2;
pub mod logistic;
pub mod metrics;
pub mod skill;
pub mod v2;
pub mod walkforward;

pub use error::ModelError;
pub use isotonic::{Calibration, Isotonic, single_class};
pub use live_v2::Family;
pub use logistic::{
    LogisticFit, LogisticOptions, Standardiser, fit_logistic, fit_logistic_with, sigmoid,
};
pub use metrics::{
    ClassMetrics, ReliabilityBin, auc_tol, class_metrics, reliability_bin, reliability_table,
};
pub use skill::{EvalMetrics, brier_skill, ece, eval_metrics, extreme_share};
