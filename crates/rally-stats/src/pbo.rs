//! Probability of Backtest Overfitting by combinatorially symmetric
//! cross-validation (CSCV; Bailey, Borwein, López de Prado & Zhu 2017, "The
//! Probability of Backtest Overfitting", Journal of Computational Finance
//! 20(4)): how often the configuration that wins in-sample ends up in the
//! bottom half out-of-sample, over every way of splitting time blocks in two.

use ndarray::{ArrayView2, Axis, Slice};

use crate::{StatsError, is_flat};

/// Block count S of the paper's examples: C(16, 8) = 12,870 splits.
pub const DEFAULT_BLOCKS: usize = 16;
/// Largest block count accepted: C(24, 12) ≈ 2.7 million splits already;
/// beyond that the run time, not the statistic, is what grows.
pub const MAX_BLOCKS: usize = 24;

/// One CSCV split: the in-sample winner and how it fared out of sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CombinationOutcome {
    /// Bit `b` set ⇔ block `b` is in-sample (S/2 bits set).
    pub in_sample_blocks: u32,
    /// Column index n* with the highest in-sample Sharpe ratio (ties: the
    /// lowest index).
    pub winner: usize,
    /// n*'s per-period Sharpe ratio on the in-sample rows.
    pub is_sharpe: f64,
    /// n*'s per-period Sharpe ratio on the out-of-sample rows.
    pub oos_sharpe: f64,
    /// ω = (rank of n*'s out-of-sample Sharpe among all N, 1 = worst, ties
    /// at their mid-rank) / (N + 1), in (0, 1).
    pub relative_rank: f64,
    /// λ = ln(ω / (1 − ω)); ≤ 0 means n* did no better than the median
    /// configuration out of sample.
    pub logit: f64,
}

/// Result of [`pbo`].
#[derive(Debug, Clone, PartialEq)]
pub struct Overfitting {
    /// Probability of backtest overfitting: share of splits with λ ≤ 0.
    pub pbo: f64,
    /// Number of splits C(S, S/2).
    pub combinations: usize,
    /// Block count S used.
    pub blocks: usize,
    /// Mean of the logits λ (negative: selection tends to pick losers).
    pub mean_logit: f64,
    /// Share of splits whose winner has a negative out-of-sample Sharpe.
    pub prob_oos_loss: f64,
    /// Performance degradation: OLS slope of the winner's out-of-sample
    /// Sharpe on its in-sample Sharpe across splits (paper §4; negative or
    /// near 0 means in-sample merit does not carry over). `None` when the
    /// in-sample Sharpe of the winner is the same in every split.
    pub degradation_slope: Option<f64>,
    /// Intercept of that regression (`None` with the slope).
    pub degradation_intercept: Option<f64>,
    /// Every split, in increasing order of `in_sample_blocks`.
    pub outcomes: Vec<CombinationOutcome>,
}

/// CSCV probability of backtest overfitting.
///
/// - `returns`: T × N matrix, rows = periods (in time order), columns = the
///   N trials/configurations, entries = per-period returns;
/// - `blocks`: S, even, 2 ≤ S ≤ [`MAX_BLOCKS`] ([`DEFAULT_BLOCKS`] = 16).
///
/// Rows are cut into S contiguous blocks; when S does not divide T the first
/// `T mod S` blocks get one extra row (sizes differ by at most one). Every
/// choice of S/2 blocks is in-sample once, the other S/2 out-of-sample. The
/// performance measure is the per-period Sharpe ratio (mean / sample std) of
/// each column on those rows; a column flat on them (std ≤ 1e-12 of its RMS,
/// e.g. a configuration that never trades) scores 0. Deterministic: no
/// randomness, splits in a fixed order, ties broken by lowest column index.
///
/// Cost: O(T·N) once for per-block sums, then O(S·N) per split.
///
/// Errors: odd or out-of-range S, fewer than 2 rows per block, fewer than 2
/// columns, a non-finite return.
pub fn pbo(returns: ArrayView2<'_, f64>, blocks: usize) -> Result<Overfitting, StatsError> {
    if blocks < 2 || !blocks.is_multiple_of(2) || blocks > MAX_BLOCKS {
        return Err(StatsError::InvalidBlockCount {
            blocks,
            max: MAX_BLOCKS,
        });
    }
    let (rows, cols) = returns.dim();
    if cols < 2 {
        return Err(StatsError::TooFewConfigurations { n: cols });
    }
    if rows < 2 * blocks {
        return Err(StatsError::TooFewRows { rows, blocks });
    }
    for (index, x) in returns.iter().enumerate() {
        if !x.is_finite() {
            return Err(StatsError::NonFinite {
                what: "return (row-major index)",
                index,
            });
        }
    }

    let sums = BlockSums::new(returns, blocks);
    let half = blocks / 2;
    let mut is_acc = Accumulator::new(cols);
    let mut oos_acc = Accumulator::new(cols);
    let mut is_sharpe = vec![0.0; cols];
    let mut oos_sharpe = vec![0.0; cols];
    let mut outcomes = Vec::new();

    let mut mask: u32 = (1u32 << half) - 1;
    let end: u32 = 1u32 << blocks;
    while mask < end {
        is_acc.clear();
        oos_acc.clear();
        for b in 0..blocks {
            if mask & (1 << b) != 0 {
                is_acc.add(&sums, b);
            } else {
                oos_acc.add(&sums, b);
            }
        }
        is_acc.sharpes(&sums.column_mean, &mut is_sharpe);
        oos_acc.sharpes(&sums.column_mean, &mut oos_sharpe);
        outcomes.push(judge(mask, &is_sharpe, &oos_sharpe));
        mask = next_same_popcount(mask);
    }
    Ok(summarise(outcomes, blocks))
}

/// The split's winner by in-sample Sharpe, and its out-of-sample rank.
fn judge(mask: u32, is_sharpe: &[f64], oos_sharpe: &[f64]) -> CombinationOutcome {
    let mut winner = 0;
    for (j, &s) in is_sharpe.iter().enumerate() {
        // Strictly greater: ties keep the lowest index.
        if s > is_sharpe[winner] {
            winner = j;
        }
    }
    let w = oos_sharpe[winner];
    let below = oos_sharpe.iter().filter(|&&s| s < w).count() as f64;
    let equal = oos_sharpe.iter().filter(|&&s| s == w).count() as f64;
    // Mid-rank for ties, so a split where everything ties sits at ω = 1/2
    // instead of depending on column order.
    let rank = below + (equal + 1.0) / 2.0;
    let relative_rank = rank / (oos_sharpe.len() as f64 + 1.0);
    CombinationOutcome {
        in_sample_blocks: mask,
        winner,
        is_sharpe: is_sharpe[winner],
        oos_sharpe: w,
        relative_rank,
        logit: (relative_rank / (1.0 - relative_rank)).ln(),
    }
}

fn summarise(outcomes: Vec<CombinationOutcome>, blocks: usize) -> Overfitting {
    let count = outcomes.len();
    let c = count as f64;
    let overfit = outcomes.iter().filter(|o| o.logit <= 0.0).count() as f64;
    let losses = outcomes.iter().filter(|o| o.oos_sharpe < 0.0).count() as f64;
    let mean_logit = outcomes.iter().map(|o| o.logit).sum::<f64>() / c;
    let mean_is = outcomes.iter().map(|o| o.is_sharpe).sum::<f64>() / c;
    let mean_oos = outcomes.iter().map(|o| o.oos_sharpe).sum::<f64>() / c;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for o in &outcomes {
        let dx = o.is_sharpe - mean_is;
        sxy += dx * (o.oos_sharpe - mean_oos);
        sxx += dx * dx;
    }
    let slope = (sxx > 0.0).then(|| sxy / sxx);
    Overfitting {
        pbo: overfit / c,
        combinations: count,
        blocks,
        mean_logit,
        prob_oos_loss: losses / c,
        degradation_slope: slope,
        degradation_intercept: slope.map(|b| mean_oos - b * mean_is),
        outcomes,
    }
}

/// Next larger integer with the same number of set bits (Gosper's hack):
/// walks all C(S, S/2) masks in increasing order without recursion.
fn next_same_popcount(x: u32) -> u32 {
    let lowest = x & x.wrapping_neg();
    let ripple = x.wrapping_add(lowest);
    // x ≥ 1 always here, so `lowest` ≥ 1 and the division is safe.
    ripple | (((x ^ ripple) >> 2) / lowest)
}

/// Per-block, per-column sums of the returns **centred on the column's
/// full-sample mean**. Centring keeps `Σx² − (Σx)²/n` from cancelling
/// catastrophically when daily means are tiny next to the squares; the mean
/// is added back when the Sharpe ratio is formed.
#[derive(Debug)]
struct BlockSums {
    /// Rows per block.
    rows: Vec<f64>,
    /// `s1[b * cols + j] = Σ_{t ∈ b} (x_tj − m_j)`.
    s1: Vec<f64>,
    /// `s2[b * cols + j] = Σ_{t ∈ b} (x_tj − m_j)²`.
    s2: Vec<f64>,
    /// Full-sample mean m_j of each column.
    column_mean: Vec<f64>,
    cols: usize,
}

impl BlockSums {
    fn new(returns: ArrayView2<'_, f64>, blocks: usize) -> Self {
        let (t, cols) = returns.dim();
        let column_mean: Vec<f64> = returns
            .mean_axis(Axis(0))
            .map(|m| m.to_vec())
            .unwrap_or_else(|| vec![0.0; cols]);
        let (base, extra) = (t / blocks, t % blocks);
        let mut rows = Vec::with_capacity(blocks);
        let mut s1 = vec![0.0; blocks * cols];
        let mut s2 = vec![0.0; blocks * cols];
        let mut start = 0;
        for b in 0..blocks {
            // The first `t mod S` blocks take one extra row each.
            let len = base + usize::from(b < extra);
            // `slice_axis`, not the `s!` macro: the macro expands to an
            // `allow(unsafe_code)` that the workspace's `forbid` rejects.
            for row in returns
                .slice_axis(Axis(0), Slice::from(start..start + len))
                .rows()
            {
                for (j, &x) in row.iter().enumerate() {
                    let d = x - column_mean[j];
                    s1[b * cols + j] += d;
                    s2[b * cols + j] += d * d;
                }
            }
            rows.push(len as f64);
            start += len;
        }
        BlockSums {
            rows,
            s1,
            s2,
            column_mean,
            cols,
        }
    }
}

/// Centred sums over a set of blocks, one entry per column.
#[derive(Debug)]
struct Accumulator {
    n: f64,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Accumulator {
    fn new(cols: usize) -> Self {
        Accumulator {
            n: 0.0,
            s1: vec![0.0; cols],
            s2: vec![0.0; cols],
        }
    }

    fn clear(&mut self) {
        self.n = 0.0;
        self.s1.fill(0.0);
        self.s2.fill(0.0);
    }

    fn add(&mut self, sums: &BlockSums, block: usize) {
        let off = block * sums.cols;
        self.n += sums.rows[block];
        for j in 0..sums.cols {
            self.s1[j] += sums.s1[off + j];
            self.s2[j] += sums.s2[off + j];
        }
    }

    /// Per-period Sharpe ratio (sample std, ddof = 1) of every column on the
    /// accumulated rows; 0 for a column flat on them.
    fn sharpes(&self, column_mean: &[f64], out: &mut [f64]) {
        let n = self.n;
        for (j, o) in out.iter_mut().enumerate() {
            let centred_mean = self.s1[j] / n;
            let ss = self.s2[j] - self.s1[j] * centred_mean;
            let mean = centred_mean + column_mean[j];
            // Σx²/n recovered from the centred sums, for the flatness test.
            let mean_square = self.s2[j] / n
                + 2.0 * column_mean[j] * centred_mean
                + column_mean[j] * column_mean[j];
            *o = if is_flat(ss / n, mean_square) {
                0.0
            } else {
                mean / (ss / (n - 1.0)).sqrt()
            };
        }
    }
}
