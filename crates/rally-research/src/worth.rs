//! What a strategy figure is worth (issue #26). Every portfolio figure is
//! shown beside the same figures of two benchmarks over the same sleeves
//! and dates — buy-and-hold, and "every compressed bar" (the strategy's
//! exits and sizing without the P filter) — with the probabilistic Sharpe
//! ratio (Bailey & López de Prado 2012) against 0 and against buy-and-hold.
//! For a sweep, the deflated Sharpe ratio of each trial given the spread of
//! Sharpe across all trials (2014) and the probability of backtest
//! overfitting by combinatorially symmetric cross-validation (2015).
//!
//! Sharpe ratios inside the statistics are per row of the portfolio
//! series (daily, weekends included when a crypto sleeve trades them);
//! the reported Sharpe is annualised as METHOD §8 does it.

use ndarray::Array2;
use rally_stats::{
    DEFAULT_BLOCKS, ReturnMoments, StatsError, dsr, expected_max_sharpe, moments, psr,
};
use rally_trade::metrics::returns;
use rally_trade::{Portfolio, PortfolioFigures};
use serde::Serialize;

use crate::sweep::Sweep;

/// DSR below this marks a trial as not distinguishable from the best of
/// that many lucky tries.
pub const DSR_OK: f64 = 0.95;

/// The figures of one portfolio line: the series figures every view
/// shares ([`PortfolioFigures`], flattened into the JSON), and the
/// statistics of the research reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineFigures {
    pub name: String,
    #[serde(flatten)]
    pub series: PortfolioFigures,
    /// Closed trades (none for buy-and-hold).
    pub trades: Option<usize>,
    /// Of the per-row returns (non-excess kurtosis, 3 for a normal).
    pub skewness: Option<f64>,
    pub kurtosis: Option<f64>,
    /// P(true Sharpe > 0).
    pub psr_vs_zero: Option<f64>,
    /// P(true Sharpe > buy-and-hold's observed Sharpe).
    pub psr_vs_buy_hold: Option<f64>,
}

/// A strategy and its benchmarks, same sleeves and dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub config: String,
    pub strategy: Option<LineFigures>,
    pub every_compressed: Option<LineFigures>,
    pub buy_hold: Option<LineFigures>,
}

fn row_returns(p: &Portfolio) -> Vec<f64> {
    returns(&p.equity.iter().map(|x| x.equity).collect::<Vec<_>>())
}

/// Moments of a series, `None` when they are undefined (too short, flat).
fn moments_of(r: &[f64]) -> Option<ReturnMoments> {
    moments(r).ok()
}

fn psr_against(m: Option<&ReturnMoments>, benchmark: Option<f64>) -> Option<f64> {
    let m = m?;
    psr(m.sharpe(), benchmark?, m.n, m.skewness, m.kurtosis).ok()
}

fn line(
    name: &str,
    p: &Portfolio,
    trades: Option<usize>,
    bh_sharpe: Option<f64>,
) -> Option<LineFigures> {
    let f = p.figures().ok()?;
    let mo = moments_of(&row_returns(p));
    Some(LineFigures {
        name: name.to_owned(),
        series: f,
        trades,
        skewness: mo.map(|x| x.skewness),
        kurtosis: mo.map(|x| x.kurtosis),
        psr_vs_zero: psr_against(mo.as_ref(), Some(0.0)),
        psr_vs_buy_hold: psr_against(mo.as_ref(), bh_sharpe),
    })
}

fn trades_of(s: &Sweep, k: usize, every: bool) -> usize {
    s.assets
        .iter()
        .filter_map(|a| {
            if every {
                a.every_compressed.get(k)?.as_ref()
            } else {
                a.backtests.get(k)?.as_ref()
            }
        })
        .map(|b| b.trades.len())
        .sum()
}

/// Config `k` of a sweep beside its two benchmarks.
pub fn compare(s: &Sweep, k: usize) -> Comparison {
    let bh = s.buy_hold_portfolio();
    let bh_sharpe = bh
        .as_ref()
        .and_then(|p| moments_of(&row_returns(p)))
        .map(|m| m.sharpe());
    Comparison {
        config: s.configs.get(k).map(|c| c.name.clone()).unwrap_or_default(),
        strategy: s
            .portfolio(k)
            .and_then(|p| line("strategy", &p, Some(trades_of(s, k, false)), bh_sharpe)),
        every_compressed: s.every_compressed_portfolio(k).and_then(|p| {
            line(
                "every compressed bar",
                &p,
                Some(trades_of(s, k, true)),
                bh_sharpe,
            )
        }),
        buy_hold: bh.and_then(|p| line("buy & hold", &p, None, bh_sharpe)),
    }
}

/// One configuration of a sweep, as `optimize` ranks and logs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    pub config: String,
    /// `None` when the threshold was learned per fold (model v2).
    pub p_threshold: Option<f64>,
    pub comp_threshold: f64,
    pub figures: LineFigures,
    /// Deflated Sharpe ratio given every trial of the sweep.
    pub dsr: Option<f64>,
}

/// The overfitting statistics of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepWorth {
    pub n_trials: usize,
    /// Trials in ranking order (portfolio Sharpe, best first).
    pub trials: Vec<Trial>,
    /// Variance of the per-row Sharpe across trials and the Sharpe the
    /// best of that many unskilled trials would show (per row).
    pub sharpe_variance: Option<f64>,
    pub expected_max_sharpe: Option<f64>,
    /// Probability of backtest overfitting (CSCV over the trials' daily
    /// portfolio returns), its block count and splits.
    pub pbo: Option<f64>,
    pub pbo_blocks: usize,
    pub pbo_combinations: usize,
    /// Why PBO (or DSR) could not be computed, when it could not.
    pub notes: Vec<String>,
}

fn sample_variance(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    Some(xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0))
}

/// Every trial of `s` with its DSR, and the sweep's PBO.
pub fn sweep_worth(s: &Sweep) -> SweepWorth {
    let mut notes = Vec::new();
    let portfolios: Vec<Option<Portfolio>> = (0..s.configs.len()).map(|k| s.portfolio(k)).collect();
    let rets: Vec<Option<Vec<f64>>> = portfolios
        .iter()
        .map(|p| p.as_ref().map(row_returns))
        .collect();
    let mo: Vec<Option<ReturnMoments>> = rets
        .iter()
        .map(|r| r.as_deref().and_then(moments_of))
        .collect();
    let sharpes: Vec<f64> = mo.iter().flatten().map(ReturnMoments::sharpe).collect();
    let n_trials = s.configs.len();
    let variance = sample_variance(&sharpes);
    let sr0 = variance.and_then(|v| expected_max_sharpe(v, n_trials).ok());
    let bh_sharpe = s
        .buy_hold_portfolio()
        .and_then(|p| moments_of(&row_returns(&p)))
        .map(|m| m.sharpe());
    let mut trials: Vec<Trial> = s
        .configs
        .iter()
        .enumerate()
        .filter_map(|(k, cfg)| {
            let p = portfolios[k].as_ref()?;
            let figures = line(&cfg.name, p, Some(trades_of(s, k, false)), bh_sharpe)?;
            let dsr = match (&mo[k], variance) {
                (Some(m), Some(v)) => {
                    dsr(m.sharpe(), m.n, m.skewness, m.kurtosis, v, n_trials).ok()
                }
                _ => None,
            };
            Some(Trial {
                config: cfg.name.clone(),
                p_threshold: (!s.entry_learned).then_some(cfg.p_threshold),
                comp_threshold: cfg.comp_threshold,
                figures,
                dsr,
            })
        })
        .collect();
    trials.sort_by(|a, b| {
        let key = |t: &Trial| t.figures.series.sharpe.unwrap_or(f64::NEG_INFINITY);
        key(b).total_cmp(&key(a))
    });
    let (pbo, combinations) = match pbo_of(&rets) {
        Ok(o) => (Some(o.pbo), o.combinations),
        Err(e) => {
            notes.push(format!("PBO not computed: {e}"));
            (None, 0)
        }
    };
    if variance.is_none() {
        notes.push("DSR not computed: fewer than two trials with a Sharpe ratio".to_owned());
    }
    SweepWorth {
        n_trials,
        trials,
        sharpe_variance: variance,
        expected_max_sharpe: sr0,
        pbo,
        pbo_blocks: DEFAULT_BLOCKS,
        pbo_combinations: combinations,
        notes,
    }
}

/// CSCV over the trials' return series (rows = dates, columns = trials).
/// The trials share their dates (same sleeves, same bars); a trial without
/// a portfolio, or series of different lengths, make it undefined.
fn pbo_of(rets: &[Option<Vec<f64>>]) -> Result<rally_stats::Overfitting, String> {
    let cols: Vec<&Vec<f64>> = rets.iter().flatten().collect();
    let t = cols.first().map_or(0, |c| c.len());
    if cols.len() != rets.len() {
        return Err(format!(
            "{} of {} trials have no portfolio",
            rets.len() - cols.len(),
            rets.len()
        ));
    }
    if cols.iter().any(|c| c.len() != t) {
        return Err("the trials' portfolios cover different dates".to_owned());
    }
    let m = Array2::from_shape_fn((t, cols.len()), |(i, j)| cols[j][i]);
    rally_stats::pbo(m.view(), DEFAULT_BLOCKS).map_err(|e: StatsError| e.to_string())
}

/// One config of a backtest as `--json` writes it: the portfolio beside
/// its benchmarks, and each asset's METHOD §8 metrics.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestJson {
    pub config: rally_trade::TradeConfig,
    /// `"fold's 80th pct"` for model v2, else the config's threshold.
    pub p_rule: String,
    pub comparison: Comparison,
    pub assets: Vec<AssetJson>,
    pub failed: Vec<(String, String)>,
}

/// One asset of [`BacktestJson`].
#[derive(Debug, Clone, Serialize)]
pub struct AssetJson {
    pub ticker: String,
    pub auc: Option<f64>,
    /// `None` when the asset has no out-of-sample P.
    pub metrics: Option<rally_trade::PerfMetrics>,
}

/// Every config of a sweep, for `backtest --json`.
pub fn backtest_json(s: &Sweep) -> Vec<BacktestJson> {
    (0..s.configs.len())
        .map(|k| BacktestJson {
            config: s.configs[k].clone(),
            p_rule: s.p_rule(k),
            comparison: compare(s, k),
            assets: s
                .assets
                .iter()
                .map(|a| AssetJson {
                    ticker: a.ticker.clone(),
                    auc: a.wf.as_ref().and_then(|m| m.auc),
                    metrics: a
                        .backtests
                        .get(k)
                        .and_then(Option::as_ref)
                        .and_then(|b| b.metrics().ok()),
                })
                .collect(),
            failed: s.failed.clone(),
        })
        .collect()
}

/// `optimize --json`: every trial, the overfitting statistics and the
/// winner beside its benchmarks.
#[derive(Debug, Clone, Serialize)]
pub struct OptimizeJson {
    pub worth: SweepWorth,
    pub winner: Option<Comparison>,
    pub failed: Vec<(String, String)>,
}

/// The document `optimize --json` prints.
pub fn optimize_json(s: &Sweep) -> OptimizeJson {
    let worth = sweep_worth(s);
    let winner = worth
        .trials
        .first()
        .and_then(|best| s.configs.iter().position(|c| c.name == best.config))
        .map(|k| compare(s, k));
    OptimizeJson {
        worth,
        winner,
        failed: s.failed.clone(),
    }
}
