//! Typed errors of the model crate.

/// Everything that can go wrong while fitting or evaluating the model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// An input that must hold at least one row was empty.
    #[error("empty input: {0}")]
    EmptyInput(&'static str),

    /// An input held a NaN or an infinity where a finite number is required.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Flat index of the first offending value.
        index: usize,
    },

    /// Two inputs whose lengths must agree do not.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },

    /// A parameter outside its domain (e.g. `C <= 0`, labels not in {0, 1}).
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),

    /// The optimiser did not reach the required accuracy.
    #[error("solver failure: {0}")]
    Solver(String),

    /// The regime HMM could not be fitted on the window.
    #[error("HMM: {0}")]
    Hmm(#[from] rally_hmm::HmmError),

    /// Training on the window `first..=last` failed (HMM, regression or
    /// calibration); callers add the ticker.
    #[error("training window {first}..={last}: {source}")]
    InWindow {
        /// First date of the window.
        first: chrono::NaiveDate,
        /// Last date of the window.
        last: chrono::NaiveDate,
        /// What failed.
        #[source]
        source: Box<ModelError>,
    },

    /// Fitting the pooled model v2 of fold year `year` failed.
    #[error("pooled model of fold {year}: {source}")]
    InFold {
        /// Test year of the fold.
        year: i32,
        /// What failed.
        #[source]
        source: Box<ModelError>,
    },
}

impl ModelError {
    /// The error with its training-window or fold context (if any) removed.
    pub fn root(&self) -> &ModelError {
        match self {
            ModelError::InWindow { source, .. } | ModelError::InFold { source, .. } => {
                source.root()
            }
            e => e,
        }
    }
}
