//! Deflated Sharpe Ratio (Bailey & López de Prado 2014, "The Deflated Sharpe
//! Ratio: Correcting for Selection Bias, Backtest Overfitting and
//! Non-Normality", Journal of Portfolio Management 40(5)): the PSR of the
//! selected configuration against the Sharpe ratio the best of N skill-less
//! trials would be expected to reach.

use ndarray::ArrayView1;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::{StatsError, check_finite, moments, psr};

/// Euler–Mascheroni constant γ (the Gumbel location of the normal maximum).
const EULER_MASCHERONI: f64 = 0.577_215_664_901_532_9;

/// Expected maximum of `n_trials` Sharpe ratios of skill-less strategies
/// whose estimates have variance `sharpe_variance` (DSR paper, eq. for SR0):
///
/// `SR0 = √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))`
///
/// `sharpe_variance` is the variance of the trials' Sharpe ratios in the
/// unit the result is wanted in (per period for [`dsr`]). The result is the
/// false-positive threshold the winner has to beat; it grows with N.
///
/// Errors: `n_trials < 2` (Φ⁻¹(0) = −∞), a negative or non-finite variance.
pub fn expected_max_sharpe(sharpe_variance: f64, n_trials: usize) -> Result<f64, StatsError> {
    if n_trials < 2 {
        return Err(StatsError::TooFewTrials { n: n_trials });
    }
    if !(sharpe_variance.is_finite() && sharpe_variance >= 0.0) {
        return Err(StatsError::InvalidVariance {
            what: "variance of the trials' Sharpe ratios",
            value: sharpe_variance,
        });
    }
    let normal = Normal::standard();
    let n = n_trials as f64;
    let quantiles = (1.0 - EULER_MASCHERONI) * normal.inverse_cdf(1.0 - 1.0 / n)
        + EULER_MASCHERONI * normal.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E));
    Ok(sharpe_variance.sqrt() * quantiles)
}

/// Deflated Sharpe Ratio from scalars: `PSR(SR̂; SR0)` with `SR0` =
/// [`expected_max_sharpe`]`(sharpe_variance, n_trials)`.
///
/// - `sr_hat`: the selected configuration's per-period Sharpe ratio;
/// - `n`, `skewness`, `kurtosis`: its return count, γ3 and non-excess γ4;
/// - `sharpe_variance`: variance of the per-period Sharpe ratios across the
///   trials;
/// - `n_trials`: number of (independent) trials, ≥ 2. Pass an effective
///   number when the trials are strongly correlated.
///
/// Returns a probability in [0, 1].
pub fn dsr(
    sr_hat: f64,
    n: usize,
    skewness: f64,
    kurtosis: f64,
    sharpe_variance: f64,
    n_trials: usize,
) -> Result<f64, StatsError> {
    let sr0 = expected_max_sharpe(sharpe_variance, n_trials)?;
    psr(sr_hat, sr0, n, skewness, kurtosis)
}

/// The Deflated Sharpe Ratio and what it was computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeflatedSharpe {
    /// Probability that the winner's true Sharpe ratio exceeds `sr0`.
    pub dsr: f64,
    /// The winner's per-period Sharpe ratio SR̂.
    pub sharpe: f64,
    /// Expected maximum per-period Sharpe ratio of `n_trials` skill-less
    /// trials (the deflated benchmark SR0).
    pub sr0: f64,
    /// Sample variance (ddof = 1) of the trials' per-period Sharpe ratios.
    pub sharpe_variance: f64,
    /// Number of trials N.
    pub n_trials: usize,
    /// Moments of the winner's returns.
    pub moments: crate::ReturnMoments,
}

/// Deflated Sharpe Ratio of a selected configuration.
///
/// - `winner_returns`: per-period returns of the configuration that was
///   picked;
/// - `trial_sharpes`: per-period Sharpe ratios of **all** trials (the winner
///   included); their sample variance (ddof = 1) is `V[SR_n]` and their count
///   is N.
///
/// Errors: those of [`crate::moments`] and [`dsr`], fewer than 2 trial
/// Sharpes, a non-finite trial Sharpe.
pub fn deflated_sharpe(
    winner_returns: &[f64],
    trial_sharpes: &[f64],
) -> Result<DeflatedSharpe, StatsError> {
    let n_trials = trial_sharpes.len();
    if n_trials < 2 {
        return Err(StatsError::TooFewTrials { n: n_trials });
    }
    check_finite(trial_sharpes, "trial Sharpe ratio")?;
    let m = moments(winner_returns)?;
    let sharpe_variance = ArrayView1::from(trial_sharpes).var(1.0);
    let sr0 = expected_max_sharpe(sharpe_variance, n_trials)?;
    let sharpe = m.sharpe();
    Ok(DeflatedSharpe {
        dsr: psr(sharpe, sr0, m.n, m.skewness, m.kurtosis)?,
        sharpe,
        sr0,
        sharpe_variance,
        n_trials,
        moments: m,
    })
}
