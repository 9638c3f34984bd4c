//! Probabilistic Sharpe Ratio (Bailey & López de Prado 2012, "The Sharpe
//! Ratio Efficient Frontier", Journal of Risk 15(2)): the probability that
//! the true Sharpe ratio exceeds a benchmark, given the estimate, the track
//! record length and the skewness and kurtosis of the returns.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::{StatsError, moments};

/// Converts an annualised Sharpe ratio to the per-period one the PSR/DSR
/// formulas take: `annual / √periods_per_year` (252 for daily bars, 12 for
/// monthly). Use it for a benchmark quoted annualised, e.g. buy-and-hold's
/// Sharpe in a report; the inverse is `per_period · √periods_per_year`.
///
/// The √-scaling is the i.i.d. convention every report uses; it is exact for
/// the mean/std ratio only without autocorrelation.
pub fn per_period_sharpe(annual_sharpe: f64, periods_per_year: f64) -> f64 {
    annual_sharpe / periods_per_year.sqrt()
}

/// Probabilistic Sharpe Ratio, `P(SR > SR*)`:
///
/// `PSR = Φ( (SR̂ − SR*)·√(n − 1) / √(1 − γ3·SR̂ + (γ4 − 1)/4·SR̂²) )`
///
/// - `sr_hat`: the observed **per-period** Sharpe ratio (mean / sample std);
/// - `sr_benchmark`: the benchmark SR*, per period (0 for "any skill";
///   convert an annualised one with [`per_period_sharpe`]);
/// - `n`: number of returns the estimate is built on (≥ 2);
/// - `skewness`, `kurtosis`: γ3 and the **non-excess** γ4 of those returns
///   (3 for normal returns), as [`crate::ReturnMoments`] defines them.
///
/// Returns a probability in [0, 1]; 0.5 exactly when `sr_hat == sr_benchmark`.
/// The variance term is evaluated at the observed SR̂, as in the paper (not
/// under the null).
///
/// Errors: `n < 2`, a non-finite argument, or a variance term ≤ 0 (moments
/// no sample can have).
pub fn psr(
    sr_hat: f64,
    sr_benchmark: f64,
    n: usize,
    skewness: f64,
    kurtosis: f64,
) -> Result<f64, StatsError> {
    if n < 2 {
        return Err(StatsError::TooFewReturns { n, min: 2 });
    }
    for (what, value) in [
        ("observed Sharpe ratio", sr_hat),
        ("benchmark Sharpe ratio", sr_benchmark),
        ("skewness", skewness),
        ("kurtosis", kurtosis),
    ] {
        if !value.is_finite() {
            return Err(StatsError::NonFinite { what, index: 0 });
        }
    }
    let variance_term = 1.0 - skewness * sr_hat + (kurtosis - 1.0) / 4.0 * sr_hat * sr_hat;
    if variance_term.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(StatsError::DegenerateMoments {
            value: variance_term,
            skewness,
            kurtosis,
        });
    }
    let z = (sr_hat - sr_benchmark) * ((n - 1) as f64).sqrt() / variance_term.sqrt();
    Ok(Normal::standard().cdf(z))
}

/// [`psr`] of a return series: its per-period Sharpe ratio, length, skewness
/// and kurtosis come from [`moments`] (per-period simple returns in,
/// probability out). `sr_benchmark` is per period.
///
/// Errors: those of [`moments`] and [`psr`].
pub fn psr_of_returns(returns: &[f64], sr_benchmark: f64) -> Result<f64, StatsError> {
    let m = moments(returns)?;
    psr(m.sharpe(), sr_benchmark, m.n, m.skewness, m.kurtosis)
}
