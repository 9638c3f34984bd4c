//! Return moments: mean, sample standard deviation, skewness and (Pearson,
//! non-excess) kurtosis of a series of per-period returns, and its Sharpe
//! ratio. The moment estimators are the ones the PSR/DSR papers plug in.

use ndarray::ArrayView1;
use ndarray_stats::SummaryStatisticsExt;

use crate::{StatsError, check_finite, is_flat};

/// Fewest returns [`moments`] accepts: skewness and kurtosis of two points
/// are fixed by construction (0 and 1), not estimated.
const MIN_RETURNS: usize = 3;

/// The first four moments of a return series.
///
/// Estimators, for returns `r_1 … r_n` with mean `r̄` and central moments
/// `m_k = (1/n) Σ (r_i − r̄)^k`:
/// - `mean` = `r̄`;
/// - `std` = `√(Σ (r_i − r̄)² / (n − 1))`, the sample (ddof = 1) standard
///   deviation, the denominator of the Sharpe ratio;
/// - `skewness` = `m_3 / m_2^{3/2}` (the moment coefficient `g1`, scipy's
///   `skew(bias=True)`);
/// - `kurtosis` = `m_4 / m_2²` (Pearson, **not** excess: 3 for a normal;
///   scipy's `kurtosis(fisher=False, bias=True)`).
///
/// The skewness and kurtosis are the plain moment ratios that Bailey &
/// López de Prado plug into the PSR (γ̂3, γ̂4); with them γ4 ≥ 1 + γ3² holds for
/// every sample, which keeps the PSR's variance term non-negative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReturnMoments {
    /// Number of returns.
    pub n: usize,
    /// Arithmetic mean per period.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1) per period.
    pub std: f64,
    /// Moment coefficient of skewness `m3 / m2^1.5`.
    pub skewness: f64,
    /// Pearson (non-excess) kurtosis `m4 / m2²`.
    pub kurtosis: f64,
}

impl ReturnMoments {
    /// Per-period Sharpe ratio `mean / std` (no risk-free rate, not
    /// annualised).
    pub fn sharpe(&self) -> f64 {
        self.mean / self.std
    }
}

/// Moments of per-period returns (e.g. daily simple returns of an equity
/// curve); see [`ReturnMoments`] for the exact estimators.
///
/// Errors: fewer than 3 returns, a non-finite return, or constant returns
/// (zero variance, where skewness, kurtosis and the Sharpe ratio are 0/0).
pub fn moments(returns: &[f64]) -> Result<ReturnMoments, StatsError> {
    let n = returns.len();
    if n < MIN_RETURNS {
        return Err(StatsError::TooFewReturns {
            n,
            min: MIN_RETURNS,
        });
    }
    check_finite(returns, "return")?;
    let view = ArrayView1::from(returns);
    // central_moments shifts by the mean before raising to powers, so small
    // daily returns keep their precision.
    let central = view
        .central_moments(4)
        .map_err(|_| StatsError::TooFewReturns {
            n,
            min: MIN_RETURNS,
        })?;
    let (m2, m3, m4) = (central[2], central[3], central[4]);
    let nf = n as f64;
    let mean = view.sum() / nf;
    let mean_square = view.dot(&view) / nf;
    if is_flat(m2, mean_square) {
        return Err(StatsError::ZeroVariance);
    }
    Ok(ReturnMoments {
        n,
        mean,
        std: (m2 * nf / (nf - 1.0)).sqrt(),
        skewness: m3 / m2.powf(1.5),
        kurtosis: m4 / (m2 * m2),
    })
}
