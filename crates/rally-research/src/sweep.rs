//! Research backtests over many tickers and configs: the walk-forward runs
//! once per ticker, then every trade config is backtested on its
//! out-of-sample P(rally). Only what the reports need is kept per ticker,
//! so a 500-ticker universe fits in memory.

use chrono::NaiveDate;
use rally_data::Series;
use rally_model::walkforward::{BarrierRule, OosRow};
use rally_model::{ClassMetrics, ReliabilityBin, reliability_table};
use rally_trade::{
    Backtest, DEFAULT_CAPITAL, EquityPoint, Portfolio, TradeConfig, buy_and_hold, every_compressed,
    portfolio,
};
use rayon::prelude::*;
use std::collections::BTreeMap;

use crate::v2::{V2Fold, V2Ticker, V2TickerResult, walk_forward_v2_with};

use crate::analysis::{Prepared, backtest_input, backtest_p, walk_forward_rule};
use rally_pipeline::PipelineError;
use rally_pipeline::data::DataAccess;

/// The sleeve portfolio of the non-empty equity series (`None` without one).
fn sleeves<'a>(series: impl Iterator<Item = &'a [EquityPoint]>) -> Option<Portfolio> {
    let sleeves: Vec<&[EquityPoint]> = series.filter(|e| !e.is_empty()).collect();
    (!sleeves.is_empty()).then(|| portfolio(&sleeves, DEFAULT_CAPITAL))
}

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
    /// Benchmark: buy-and-hold of the asset over the strategy's bars
    /// (empty when it has no out-of-sample P).
    pub buy_hold: Vec<EquityPoint>,
    /// Benchmark per config: every bar where the strategy could enter,
    /// entered, under the same exits and sizing.
    pub every_compressed: Vec<Option<Backtest>>,
    pub detail: Option<Detail>,
}

/// Results of a sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub configs: Vec<TradeConfig>,
    /// The P threshold was learned per fold (model v2) and the configs'
    /// `p_threshold` was not used.
    pub entry_learned: bool,
    pub assets: Vec<AssetRun>,
    pub failed: Vec<(String, String)>,
}

impl Sweep {
    /// The P rule of config `k`, as reports print it.
    pub fn p_rule(&self, k: usize) -> String {
        match (self.entry_learned, self.configs.get(k)) {
            (true, _) => "P >= fold's 80th pct".to_owned(),
            (false, Some(c)) => format!("P >= {:.2}", c.p_threshold),
            (false, None) => String::new(),
        }
    }

    /// The sleeve portfolio of config `k` (None with fewer than one sleeve).
    pub fn portfolio(&self, k: usize) -> Option<Portfolio> {
        sleeves(
            self.assets
                .iter()
                .filter_map(|a| a.backtests.get(k)?.as_ref())
                .map(|b| b.equity.as_slice()),
        )
    }

    /// The buy-and-hold portfolio of the same sleeves over the same bars.
    pub fn buy_hold_portfolio(&self) -> Option<Portfolio> {
        sleeves(self.assets.iter().map(|a| a.buy_hold.as_slice()))
    }

    /// The "every compressed bar" portfolio of config `k`.
    pub fn every_compressed_portfolio(&self, k: usize) -> Option<Portfolio> {
        sleeves(
            self.assets
                .iter()
                .filter_map(|a| a.every_compressed.get(k)?.as_ref())
                .map(|b| b.equity.as_slice()),
        )
    }

    /// Bars processed.
    pub fn bars(&self) -> usize {
        self.assets.iter().map(|a| a.bars).sum()
    }
}

/// From which date each ticker may trade: index members only from the day
/// they joined, against survivorship bias (`backtest --member-since`).
/// A ticker without a date trades over its whole history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeFrom(BTreeMap<String, NaiveDate>);

impl TradeFrom {
    pub fn new(since: BTreeMap<String, NaiveDate>) -> TradeFrom {
        TradeFrom(since)
    }

    /// The date `ticker` may trade from, if one is known.
    pub fn since(&self, ticker: &str) -> Option<NaiveDate> {
        self.0.get(ticker).copied()
    }

    /// Hides the P of `ticker`'s bars before its date. Every trade, sleeve
    /// and benchmark of a backtest starts at the first bar with a P, so
    /// this is the one cut they all follow; the walk-forward still trains
    /// on the whole history.
    pub fn restrict(&self, ticker: &str, dates: &[NaiveDate], p: &mut [f64]) {
        if let Some(since) = self.since(ticker) {
            for (x, d) in p.iter_mut().zip(dates) {
                if *d < since {
                    *x = f64::NAN;
                }
            }
        }
    }
}

fn run_one(
    series: Series,
    vix: &Series,
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
    trade_from: &TradeFrom,
) -> Result<AssetRun, PipelineError> {
    let ticker = series.ticker.clone();
    let prepared = Prepared::new(&series, vix)?;
    let inp = prepared.inputs(&series);
    let wf = walk_forward_rule(&inp, rule).map_err(|e| e.for_ticker(&ticker))?;
    let mut p = wf.p_series(series.len());
    trade_from.restrict(&ticker, &series.dates, &mut p);
    let backtests = configs
        .iter()
        .map(|c| backtest_p(&series, &prepared.frame, &p, c, None))
        .collect::<Result<Vec<_>, _>>()?;
    let (buy_hold, every_compressed) = benchmarks(&series, &prepared.frame, &p, configs)?;
    let detail = keep_detail
        .then(|| detail(&series, &wf.rows, p))
        .transpose()?;
    Ok(AssetRun {
        ticker,
        bars: series.len(),
        wf: wf.metrics,
        backtests,
        buy_hold,
        every_compressed,
        detail,
    })
}

/// The two benchmarks of a ticker's P series: buy-and-hold from its first
/// bar with a P, and "every compressed bar" per config.
fn benchmarks(
    series: &Series,
    frame: &rally_features::FeatureFrame,
    p: &[f64],
    configs: &[TradeConfig],
) -> Result<(Vec<EquityPoint>, Vec<Option<Backtest>>), PipelineError> {
    let input = backtest_input(series, frame, p);
    let buy_hold = p
        .iter()
        .position(|x| x.is_finite())
        .map_or_else(Vec::new, |start| {
            buy_and_hold(&input, start, DEFAULT_CAPITAL)
        });
    let every = configs
        .iter()
        .map(|c| every_compressed(&input, c, DEFAULT_CAPITAL))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((buy_hold, every))
}

fn detail(series: &Series, rows: &[OosRow], p: Vec<f64>) -> Result<Detail, PipelineError> {
    let ps: Vec<f64> = rows.iter().map(|r| r.p_rally).collect();
    let ys: Vec<f64> = rows.iter().map(|r| r.label).collect();
    Ok(Detail {
        reliability: reliability_table(&ps, &ys)?,
        p,
        series: series.clone(),
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
    sweep_with(
        data,
        tickers,
        configs,
        rule,
        keep_detail,
        &TradeFrom::default(),
    )
}

/// [`sweep`] with each ticker trading only from its [`TradeFrom`] date.
pub fn sweep_with(
    data: &DataAccess<'_>,
    tickers: &[String],
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
    trade_from: &TradeFrom,
) -> Result<Sweep, PipelineError> {
    let vix = data.vix()?;
    let loaded = data.load(tickers);
    let runs: Vec<Result<AssetRun, PipelineError>> = loaded
        .into_par_iter()
        .map(|l| run_one(l?, &vix, configs, rule, keep_detail, trade_from))
        .collect();
    let mut out = Sweep {
        configs: configs.to_vec(),
        entry_learned: false,
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

/// [`sweep`] with model v2: the tickers are prepared, pooled per fold year
/// (the pool is this run's tickers), and each config is backtested with
/// its fold's learned entry threshold (80th percentile of the fold's
/// training P on rows at least as compressed as the config asks).
pub fn sweep_v2(
    data: &DataAccess<'_>,
    tickers: &[String],
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
) -> Result<Sweep, PipelineError> {
    sweep_v2_with(
        data,
        tickers,
        configs,
        rule,
        keep_detail,
        &TradeFrom::default(),
    )
}

/// [`sweep_v2`] with each ticker trading only from its [`TradeFrom`] date
/// (the pooled fits still see every ticker's whole history).
pub fn sweep_v2_with(
    data: &DataAccess<'_>,
    tickers: &[String],
    configs: &[TradeConfig],
    rule: BarrierRule,
    keep_detail: bool,
    trade_from: &TradeFrom,
) -> Result<Sweep, PipelineError> {
    let vix = data.vix()?;
    let prepared: Vec<Result<V2Ticker, PipelineError>> = data
        .load(tickers)
        .into_par_iter()
        .map(|l| {
            let s = l?;
            let t = s.ticker.clone();
            V2Ticker::new(s, &vix).map_err(|e| e.for_ticker(&t))
        })
        .collect();
    let mut failed = Vec::new();
    let mut ready = Vec::new();
    for (t, r) in tickers.iter().zip(prepared) {
        match r {
            Ok(v) => ready.push(v),
            Err(e) => failed.push((t.clone(), e.to_string())),
        }
    }
    let comps: Vec<f64> = configs.iter().map(|c| c.comp_threshold).collect();
    let wf = walk_forward_v2_with(&ready, &comps, rule)?;
    failed.extend(wf.failed.iter().cloned());
    let by_year: BTreeMap<i32, &V2Fold> = wf.folds.iter().map(|f| (f.year, f)).collect();
    let by_name: BTreeMap<&str, &V2Ticker> = ready.iter().map(|t| (t.ticker(), t)).collect();
    let assets: Vec<(String, Result<AssetRun, PipelineError>)> = wf
        .tickers
        .par_iter()
        .filter_map(|r| by_name.get(r.ticker.as_str()).map(|t| (r, *t)))
        .map(|(r, t)| {
            (
                r.ticker.clone(),
                v2_asset(r, t, configs, &by_year, keep_detail, trade_from),
            )
        })
        .collect();
    let mut out = Sweep {
        configs: configs.to_vec(),
        entry_learned: true,
        assets: Vec::new(),
        failed,
    };
    for (t, a) in assets {
        match a {
            Ok(a) => out.assets.push(a),
            Err(e) => {
                tracing::info!("{e}");
                out.failed.push((t, e.to_string()));
            }
        }
    }
    Ok(out)
}

/// One ticker of [`sweep_v2`]: its P series and one backtest per config
/// with the fold's entry threshold for that config's compression cut.
fn v2_asset(
    r: &V2TickerResult,
    t: &V2Ticker,
    configs: &[TradeConfig],
    by_year: &BTreeMap<i32, &V2Fold>,
    keep_detail: bool,
    trade_from: &TradeFrom,
) -> Result<AssetRun, PipelineError> {
    let n = t.series.len();
    let mut p = vec![f64::NAN; n];
    for row in &r.rows {
        p[row.t] = row.p_rally;
    }
    trade_from.restrict(&r.ticker, &t.series.dates, &mut p);
    let backtests = (0..configs.len())
        .map(|k| {
            let mut entry = vec![f64::NAN; n];
            for row in &r.rows {
                entry[row.t] = by_year
                    .get(&row.fold_year)
                    .and_then(|f| f.thresholds_by_comp.get(k).copied().flatten())
                    .map_or(f64::NAN, |th| th.entry);
            }
            backtest_p(&t.series, &t.prepared.frame, &p, &configs[k], Some(&entry))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.for_ticker(&r.ticker))?;
    let (buy_hold, every_compressed) = benchmarks(&t.series, &t.prepared.frame, &p, configs)
        .map_err(|e| e.for_ticker(&r.ticker))?;
    let detail = keep_detail
        .then(|| detail(&t.series, &r.rows, p))
        .transpose()?;
    Ok(AssetRun {
        ticker: r.ticker.clone(),
        bars: n,
        wf: Some(r.metrics.clone()),
        backtests,
        buy_hold,
        every_compressed,
        detail,
    })
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

/// The named configs plus a grid of `comp_threshold` around the baseline,
/// for model v2: its entry threshold is learned per fold, so a grid over
/// `p_threshold` would only repeat itself.
pub fn optimisation_grid_v2() -> Vec<TradeConfig> {
    let mut out = TradeConfig::all();
    let base = TradeConfig::baseline();
    for c in [0.45, 0.50, 0.55, 0.60, 0.65] {
        let mut cfg = base.clone();
        cfg.name = format!("grid comp>={c:.2}");
        cfg.comp_threshold = c;
        out.push(cfg);
    }
    out
}
