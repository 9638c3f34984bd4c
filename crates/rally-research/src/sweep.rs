//! Research backtests over many tickers and configs: the walk-forward runs
//! once per ticker, then every trade config is backtested on its
//! out-of-sample P(rally). Only what the reports need is kept per ticker,
//! so a 500-ticker universe fits in memory.

use rally_data::Series;
use rally_model::walkforward::BarrierRule;
use rally_model::{ClassMetrics, ReliabilityBin, reliability_table};
use rally_trade::{Backtest, DEFAULT_CAPITAL, EquityPoint, Portfolio, TradeConfig, portfolio};
use rayon::prelude::*;

use crate::analysis::{Prepared, backtest_p, walk_forward_rule};
use rally_pipeline::PipelineError;
use rally_pipeline::data::DataAccess;

/// Per-ticker details kept for plots.
#[derive(Debug, Clone)]
pub struct Detail {
    pub series: Series,
    pub p: Vec<f64>,
    pub reliability: Vec<ReliabilityBin>,
}

/// One ticker's results.
#[derive(Debug, Clone)]
pub struct AssetRun {
    pub ticker: String,
    pub bars: usize,
    pub wf: Option<ClassMetrics>,
    /// One backtest per config (same order as [`Sweep::configs`]); `None`
    /// when the ticker has no out-of-sample P.
    pub backtests: Vec<Option<Backtest>>,
    pub detail: Option<Detail>,
}

/// Results of a sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub configs: Vec<TradeConfig>,
    pub assets: Vec<AssetRun>,
    pub failed: Vec<(String, String)>,
}

impl Sweep {
    /// The sleeve portfolio of config `k` (None with fewer than one sleeve).
    pub fn portfolio(&self, k: usize) -> Option<Portfolio> {
        let sleeves: Vec<&[EquityPoint]> = self
            .assets
            .iter()
            .filter_map(|a| a.backtests.get(k)?.as_ref())
            .map(|b| b.equity.as_slice())
            .filter(|e| !e.is_empty())
            .collect();
        (!sleeves.is_empty()).then(|| portfolio(&sleeves, DEFAULT_CAPITAL))
    }

    /// Bars processed.
    pub fn bars(&self) -> usize {
        self.assets.iter().map(|a| a.bars).sum()
    }
}

fn run_one(
    series: Series,
    vix: &Series,
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
) -> Result<AssetRun, PipelineError> {
    let ticker = series.ticker.clone();
    let prepared = Prepared::new(&series, vix)?;
    let inp = prepared.inputs(&series);
    let wf = walk_forward_rule(&inp, rule).map_err(|e| e.for_ticker(&ticker))?;
    let p = wf.p_series(series.len());
    let backtests = configs
        .iter()
        .map(|c| backtest_p(&series, &prepared.frame, &p, c))
        .collect::<Result<Vec<_>, _>>()?;
    let detail = if keep_detail {
        let ps: Vec<f64> = wf.rows.iter().map(|r| r.p_rally).collect();
        let ys: Vec<f64> = wf.rows.iter().map(|r| r.label).collect();
        Some(Detail {
            reliability: reliability_table(&ps, &ys)?,
            p,
            series: series.clone(),
        })
    } else {
        None
    };
    Ok(AssetRun {
        ticker,
        bars: series.len(),
        wf: wf.metrics,
        backtests,
        detail,
    })
}

/// Walk-forward every ticker once, backtest every config. Tickers run in
/// parallel; results come back in request order.
pub fn sweep(
    data: &DataAccess<'_>,
    tickers: &[String],
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
) -> Result<Sweep, PipelineError> {
    let vix = data.vix()?;
    let loaded = data.load(tickers);
    let runs: Vec<Result<AssetRun, PipelineError>> = loaded
        .into_par_iter()
        .map(|l| run_one(l?, &vix, configs, rule, keep_detail))
        .collect();
    let mut out = Sweep {
        configs: configs.to_vec(),
        assets: Vec::new(),
        failed: Vec::new(),
    };
    for (t, r) in tickers.iter().zip(runs) {
        match r {
            Ok(a) => out.assets.push(a),
            Err(e) => {
                tracing::info!("{e}");
                out.failed.push((t.clone(), e.to_string()));
            }
        }
    }
    Ok(out)
}

/// The named configs plus a grid of `p_threshold` x `comp_threshold` around
/// the baseline (for `retrainer optimize`).
pub fn optimisation_grid() -> Vec<TradeConfig> {
    let mut out = TradeConfig::all();
    let base = TradeConfig::baseline();
    for p in [0.45, 0.50, 0.55, 0.60] {
        for c in [0.45, 0.55, 0.65] {
            let mut cfg = base.clone();
            cfg.name = format!("grid p>={p:.2} comp>={c:.2}");
            cfg.p_threshold = p;
            cfg.comp_threshold = c;
            out.push(cfg);
        }
    }
    out
}
