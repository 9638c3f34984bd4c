//! One ticker, end to end, for research: features -> walk-forward ->
//! live model -> backtest of the out-of-sample P(rally).
//!
//! This is what `retrainer export` and `retrainer backtest` run per ticker.
//! Folds of a ticker run in parallel on the rayon pool; their results are
//! reassembled in year order, so the output never depends on `--jobs`.

use rally_data::Series;
use rally_features::FeatureFrame;
use rally_model::walkforward::{TickerInputs, TrainedWindow, WalkForward};
use rally_model::{ClassMetrics, live::train_live};
use rally_pipeline::PipelineError;
pub use rally_pipeline::prepared::{
    Prepared, backtest_input, features_for, walk_forward_par, walk_forward_rule,
};
use rally_trade::{Backtest, DEFAULT_CAPITAL, TradeConfig, backtest_with_entry};
use rayon::prelude::*;

/// Everything computed for one ticker.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub series: Series,
    pub frame: FeatureFrame,
    pub obs: Vec<[f64; 2]>,
    pub wf: WalkForward,
    /// The live window's training (HMM features over the whole series,
    /// labels under the live barriers, the model or its skip reason).
    pub live: TrainedWindow,
    /// Backtest of the out-of-sample P; `None` when no row has a P.
    pub backtest: Option<Backtest>,
}

impl Analysis {
    pub fn inputs(&self) -> TickerInputs<'_> {
        TickerInputs {
            dates: &self.series.dates,
            high: &self.series.high,
            low: &self.series.low,
            close: &self.series.close,
            frame: &self.frame,
            obs: &self.obs,
        }
    }

    pub fn metrics(&self) -> Option<&ClassMetrics> {
        self.wf.metrics.as_ref()
    }
}

/// Backtest a P(rally) series over a ticker's bars; `entry` sets the P
/// threshold bar by bar (model v2's per-fold thresholds) instead of `cfg`'s.
pub fn backtest_p(
    series: &Series,
    frame: &FeatureFrame,
    p: &[f64],
    cfg: &TradeConfig,
    entry: Option<&[f64]>,
) -> Result<Option<Backtest>, PipelineError> {
    let input = backtest_input(series, frame, p);
    Ok(backtest_with_entry(&input, cfg, DEFAULT_CAPITAL, entry)?)
}

/// The whole research job for one ticker.
pub fn analyse(series: Series, vix: &Series, cfg: &TradeConfig) -> Result<Analysis, PipelineError> {
    let Prepared { frame, obs } = Prepared::new(&series, vix)?;
    let inp = TickerInputs {
        dates: &series.dates,
        high: &series.high,
        low: &series.low,
        close: &series.close,
        frame: &frame,
        obs: &obs,
    };
    let ticker = series.ticker.clone();
    let tag = |e: PipelineError| e.for_ticker(&ticker);
    let (wf, live) = rayon::join(|| walk_forward_par(&inp), || train_live(&inp));
    let wf = wf.map_err(tag)?;
    let live = live.map_err(|e| tag(e.into()))?;
    let p = wf.p_series(series.len());
    let bt = backtest_p(&series, &frame, &p, cfg, None).map_err(tag)?;
    Ok(Analysis {
        series,
        frame,
        obs,
        wf,
        live,
        backtest: bt,
    })
}

/// Outcome of a multi-ticker research run.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Tickers analysed, in request order.
    pub analysed: Vec<String>,
    /// Tickers that failed, with the one-line reason (names ticker and file).
    pub failed: Vec<(String, String)>,
}

/// Load VIX and the tickers, analyse each in parallel and hand every
/// success to `sink` on the same worker (so writing output is parallel too).
/// Results come back in request order; a failing ticker never stops the others.
pub fn analyse_many<T: Send>(
    source: &dyn rally_data::Source,
    tickers: &[String],
    cfg: &TradeConfig,
    sink: impl Fn(Analysis) -> Result<T, PipelineError> + Sync,
) -> Result<(RunReport, Vec<T>), PipelineError> {
    let vix = source.load_vix()?.series;
    let one =
        |l: Result<rally_data::Loaded, rally_data::DataError>| sink(analyse(l?.series, &vix, cfg)?);
    let results: Vec<Result<T, PipelineError>> = if source.prefers_batch() {
        source.load_many(tickers).into_par_iter().map(one).collect()
    } else {
        tickers.par_iter().map(|t| one(source.load(t))).collect()
    };
    let mut report = RunReport::default();
    let mut out = Vec::with_capacity(results.len());
    for (t, r) in tickers.iter().zip(results) {
        match r {
            Ok(v) => {
                report.analysed.push(t.clone());
                out.push(v);
            }
            Err(e) => {
                tracing::info!("{e}");
                report.failed.push((t.clone(), e.to_string()));
            }
        }
    }
    Ok((report, out))
}
