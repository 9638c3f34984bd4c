//! Research runs of the rally detector, linked by the retrainer only:
//! one ticker end to end ([`analysis`]), the golden-layout export with its
//! exact `%.17g` writer ([`export`], [`format`]), backtest sweeps over
//! tickers and configs ([`sweep`]), their charts ([`plots`]), the
//! universe-scale bench ([`bench`]), the research reports ([`report`]) and
//! the pooled model v2 walk-forward ([`v2`], exported by [`export::export_v2`])
//! and the evaluation of both families' P on the same rows ([`evaluate`]).
//!
//! What it is not: the live system (retrain, scan, health: `rally-pipeline`).
//! Errors are the application's [`PipelineError`], plus [`ResearchError`]
//! where a chart is drawn.

pub mod analysis;
pub mod bench;
pub mod evaluate;
pub mod export;
pub mod format;
pub mod page;
pub mod plots;
pub mod report;
pub mod sweep;
pub mod v2;
pub mod worth;

pub use rally_pipeline::PipelineError;

/// An error of a research run that draws charts.
#[derive(Debug, thiserror::Error)]
pub enum ResearchError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("plot: {0}")]
    Plot(rally_plot::PlotError),
    /// The two families were scored on different out-of-sample rows (a bug:
    /// v2 scores exactly classic's rows).
    #[error(
        "{ticker}: classic has {classic} out-of-sample rows, v2 {v2}, or they differ in date, fold or label"
    )]
    RowsDiffer {
        ticker: String,
        classic: usize,
        v2: usize,
    },
    /// A ticker that did not fail has no result in a family (a bug).
    #[error("{ticker}: no {family} result")]
    Missing {
        ticker: String,
        family: &'static str,
    },
}
