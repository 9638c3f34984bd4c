#![doc = r#"
What a backtest result is worth (issue #26): the statistics that discount a
Sharpe ratio for sample length, non-normal returns and the number of
configurations that were tried before it was picked.

What it is: the return moments the corrections need ([`moments`]), the
Probabilistic Sharpe Ratio of Bailey & López de Prado (2012) ([`psr`],
[`psr_of_returns`]), their Deflated Sharpe Ratio (2014) with the expected
maximum Sharpe of N trials ([`expected_max_sharpe`], [`dsr`],
[`deflated_sharpe`]), and the Probability of Backtest Overfitting by
combinatorially symmetric cross-validation of Bailey, Borwein, López de Prado
& Zhu (2017) ([`pbo`]). Every function is a pure, deterministic computation on
the caller's numbers.

What it is not: no I/O, no reporting, no annualisation policy and no risk-free
rate. Sharpe ratios here are **per period** (the mean of the per-period simple
returns over their sample standard deviation), because the variance of the
Sharpe estimator is stated per observation. An annualised figure, such as
buy-and-hold's Sharpe in a report, must be brought to per period first with
[`per_period_sharpe`] (÷ √periods-per-year, √252 for daily bars). Returns are
taken as given: excess over a risk-free rate, if wanted, is the caller's job.
"#]

mod dsr;
mod moments;
mod pbo;
mod psr;

pub use dsr::{DeflatedSharpe, deflated_sharpe, dsr, expected_max_sharpe};
pub use moments::{ReturnMoments, moments};
pub use pbo::{CombinationOutcome, DEFAULT_BLOCKS, MAX_BLOCKS, Overfitting, pbo};
pub use psr::{per_period_sharpe, psr, psr_of_returns};

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Too few observations for the statistic (a sample standard deviation
    /// needs 2, skewness and kurtosis are meaningless below 3).
    #[error("{n} returns given, at least {min} are needed")]
    TooFewReturns { n: usize, min: usize },
    /// An input value is NaN or infinite.
    #[error("non-finite {what} at index {index}")]
    NonFinite { what: &'static str, index: usize },
    /// The returns do not vary, so no Sharpe ratio (or higher moment) exists.
    #[error("the returns are constant (zero standard deviation), the Sharpe ratio is undefined")]
    ZeroVariance,
    /// The expected maximum of N Sharpe ratios needs at least 2 trials
    /// (Φ⁻¹(1 − 1/N) is −∞ for N = 1).
    #[error("{n} trials given, the deflated Sharpe ratio needs at least 2")]
    TooFewTrials { n: usize },
    /// A variance argument is negative or non-finite.
    #[error("{what} must be finite and non-negative, got {value}")]
    InvalidVariance { what: &'static str, value: f64 },
    /// `1 − γ3·SR + (γ4 − 1)/4·SR²` is not positive: the skewness/kurtosis
    /// pair is not one a sample can have (sample moments satisfy
    /// γ4 ≥ 1 + γ3², which keeps the term ≥ 0).
    #[error(
        "the Sharpe estimator variance term 1 - skew*SR + (kurt-1)/4*SR^2 = {value} is not positive (skew {skewness}, kurt {kurtosis})"
    )]
    DegenerateMoments {
        value: f64,
        skewness: f64,
        kurtosis: f64,
    },
    /// The CSCV block count must be even (the halves are in- and
    /// out-of-sample) and between 2 and [`MAX_BLOCKS`].
    #[error("block count {blocks} must be even and between 2 and {max}")]
    InvalidBlockCount { blocks: usize, max: usize },
    /// Every CSCV block needs at least 2 rows.
    #[error("{rows} rows cannot be cut into {blocks} blocks of at least 2 rows each")]
    TooFewRows { rows: usize, blocks: usize },
    /// PBO ranks a winner among its rivals: at least 2 configurations.
    #[error("{n} configurations (columns) given, at least 2 are needed")]
    TooFewConfigurations { n: usize },
}

/// Reject NaN/∞ with the offending index.
fn check_finite(values: &[f64], what: &'static str) -> Result<(), StatsError> {
    match values.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(StatsError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// Relative size below which a standard deviation counts as zero.
const FLAT_TOLERANCE: f64 = 1e-12;

/// Whether a series with (population) variance `variance` and mean square
/// `mean_square` (Σx²/n) is flat. Relative, not `== 0`, because a constant
/// non-zero series leaves a rounding-size variance (~1e-35) whose Sharpe
/// ratio would be a meaningless 1e15.
fn is_flat(variance: f64, mean_square: f64) -> bool {
    variance <= FLAT_TOLERANCE * FLAT_TOLERANCE * mean_square
}
