//! Features and labels of the rally detector (METHOD §2, §3, §5).
//!
//! Pure, NaN-aware functions over slices: indicators ([`indicators`]), the
//! tie-tolerant rolling percentile rank ([`pctrank`]), the ten base features
//! and compression ([`FeatureFrame`]), the nine extras of model v2
//! ([`extras`]), and the RALLY_ST label with barrier
//! auto-calibration ([`label`]).
//!
//! Not here: reading bars (`rally-data`), the HMM features (`rally-hmm`), or
//! anything that fits a model.

pub mod error;
pub mod extras;
pub mod frame;
pub mod indicators;
pub mod label;
pub mod params;
pub mod pctrank;

pub use error::FeatureError;
pub use extras::{EXTRA_FEATURES, ExtraFeatures, N_EXTRA};
pub use frame::{BASE_FEATURES, FeatureFrame, N_BASE, WARM_UP_ROWS};
pub use label::{Barriers, FORWARD_HORIZON, median_daily_sd, rally_labels, rally_labels_in};
pub use pctrank::{pctrank, pctrank_from};
