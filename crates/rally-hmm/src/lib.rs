#![doc = r#"
Regime HMM of METHOD §4: a 3-state Gaussian hidden Markov model with diagonal
covariances on the daily observation `(log return, log range)`.

What it is: the observation builder, a deterministic fit (standardisation,
grouping initialisation, Baum–Welch EM reproducing hmmlearn 0.3.3
`GaussianHMM(covariance_type="diag")` with its default priors, relabelling by
volatility), a *causal* normalised forward filter and the three features
`hmm_p_low`, `hmm_p_high`, `hmm_age` built from it.

What it is not: no smoothing (the filter never looks ahead), no model
selection, no choice of fit window (the caller slices it), no I/O.
"#]

mod em;
mod fastexp;
mod filter;
mod obs;

pub use em::{fit, fit_traced, log_prior};
pub use filter::{features, filter};
pub use obs::observations;

/// Number of hidden states (quiet, normal, volatile after relabelling).
pub const N_STATES: usize = 3;
/// Observation dimension: (log return, log range).
pub const N_DIM: usize = 2;
/// EM iteration cap (hmmlearn `n_iter`).
pub const MAX_ITER: usize = 100;
/// EM convergence tolerance on the log-likelihood gain (hmmlearn `tol`).
pub const TOL: f64 = 1e-2;
/// hmmlearn's default `covars_prior` (the additive numerator term of the
/// covariance M-step).
pub const COVARS_PRIOR: f64 = 1e-2;

/// Fitted 3-state diagonal Gaussian HMM after relabelling (state 0 = quiet ... 2 = volatile).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HmmParams {
    /// Fit-window mean of the raw observations (standardisation).
    pub mu: [f64; 2],
    /// Fit-window population std of the raw observations (standardisation).
    pub sd: [f64; 2],
    /// Initial state distribution.
    pub startprob: [f64; 3],
    /// Transition matrix, rows = from-state.
    pub transmat: [[f64; 3]; 3],
    /// State means in standardised units.
    pub means: [[f64; 2]; 3],
    /// Diagonal state variances in standardised units.
    pub covars: [[f64; 2]; 3],
    /// Number of EM iterations run (M-steps); `MAX_ITER` when the cap was hit.
    pub n_iter: usize,
    /// Log-likelihood of the standardised fit window, computed in each
    /// iteration's E-step (before its M-step); `n_iter` entries.
    pub history: Vec<f64>,
}

/// Why a fit could not be produced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HmmError {
    /// A dimension of the fit window has zero population std, so it cannot be
    /// standardised.
    #[error("{} is constant over the fit window ({}), so it cannot be standardised", dim_name(*dim), dim_cause(*dim))]
    ZeroVariance { dim: usize },
    /// Fewer rows than states: the initialisation would have empty groups.
    #[error("fit window has {n} usable bars, at least 3 are needed")]
    TooFewRows { n: usize },
    /// The fit window holds a NaN or infinite observation.
    #[error(
        "non-finite observation at fit-window row {row} (a zero, negative or non-finite price)"
    )]
    NonFinite { row: usize },
    /// EM produced non-finite parameters or log-likelihood (e.g. a state lost
    /// all posterior mass).
    #[error("EM degenerated at iteration {iter} (non-finite parameters or log-likelihood)")]
    Degenerate { iter: usize },
}

/// Observation dimension `dim` in words.
fn dim_name(dim: usize) -> &'static str {
    match dim {
        0 => "the daily log return ln(C[t]/C[t-1])",
        1 => "the daily log range ln(H/L)",
        _ => "an observation dimension",
    }
}

/// What a constant observation dimension `dim` means for the prices.
fn dim_cause(dim: usize) -> &'static str {
    match dim {
        0 => "the close grew by the same factor, e.g. not at all, on every bar",
        1 => "every bar's high/low ratio is the same, e.g. constant prices",
        _ => "no variation",
    }
}
