//! The retrainer's command line: raw flags as clap parses them. The data,
//! config and thread flags are the shared ones of `rally-cli`; each
//! subcommand offers only the flags that mean something for it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use rally_cli::{ConfigArg, DataArgs, JobsArg, ModelArg, ModelFamily};
use rally_trade::TradeConfig;

/// The ~520-name universe shipped with the project.
pub const DEFAULT_UNIVERSE_FILE: &str = "fixtures/universe/us_large_caps.csv";

#[derive(Debug, Parser)]
#[command(
    name = "retrainer",
    version,
    about = "Train rally-detector models and run research",
    long_about = "Train rally-detector models and run research.\n\nWithout a subcommand, `retrainer [FLAGS]` is `retrainer train [FLAGS]`: the weekly job.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub train: TrainArgs,
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Train the live models (the weekly job; the default).
    Train(TrainArgs),
    /// Write the research files (golden layout) for each ticker into DIR.
    Export {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArg,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        jobs: JobsArg,
    },
    /// How good is P(rally)? Walk-forward AUC, Brier skill, ECE and
    /// reliability of the model families on the same out-of-sample rows.
    Evaluate {
        /// Model families to compare, comma-separated (v2 is pooled over
        /// the run's tickers).
        #[arg(long = "model", value_enum, value_delimiter = ',', default_values_t = [ModelFamily::Classic, ModelFamily::V2])]
        models: Vec<ModelFamily>,
        /// Print one JSON document (sorted keys) instead of the tables.
        #[arg(long)]
        json: bool,
        /// Also draw every family's reliability diagram into this PNG.
        #[arg(long, value_name = "PATH.png")]
        plot: Option<PathBuf>,
        /// Also write the comparison as one self-contained HTML page.
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        jobs: JobsArg,
    },
    /// Backtest the out-of-sample P(rally).
    Backtest {
        /// One asset.
        #[arg(long)]
        asset: Option<String>,
        /// The 14-asset default basket as a portfolio.
        #[arg(long)]
        run_all: bool,
        /// Every ticker of the universe (default: the shipped ~520 names).
        #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_UNIVERSE_FILE)]
        universe: Option<PathBuf>,
        /// Comma-separated config names (default: --config).
        #[arg(long, value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(TradeConfig::NAMES))]
        configs: Vec<String>,
        /// Write PNG charts into plots/.
        #[arg(long)]
        plot: bool,
        /// Print one JSON document (every config beside its benchmarks)
        /// instead of the tables.
        #[arg(long)]
        json: bool,
        /// Also write one self-contained HTML page (with several configs,
        /// one page each: FILE-<config>.html).
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArg,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        jobs: JobsArg,
    },
    /// Sweep the named configs and a threshold grid over a basket.
    Optimize {
        /// Print one JSON document (every trial, DSR, PBO) instead of the
        /// table.
        #[arg(long)]
        json: bool,
        /// Also write one self-contained HTML page.
        #[arg(long, value_name = "FILE.html")]
        report: Option<PathBuf>,
        #[command(flatten)]
        model: ModelArg,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        jobs: JobsArg,
    },
    /// Auto-calibrated vs hand-tuned barriers side by side (walk-forward
    /// AUC, Brier, backtest Sharpe); exit 1 if any ticker fails.
    Validate {
        #[command(flatten)]
        model: ModelArg,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        jobs: JobsArg,
    },
    /// Universe-scale timings on the synthetic market (stage table).
    Bench {
        /// Share of the universe to use (e.g. 0.25, 0.5, 1).
        #[arg(long, default_value_t = 1.0)]
        fraction: f64,
        /// Years of synthetic history.
        #[arg(long, default_value_t = 26)]
        years: u32,
        /// Scratch directory for models, cache and database.
        #[arg(long, default_value = "target/bench-state")]
        state: PathBuf,
        /// Universe file (default: the shipped ~520 names).
        #[arg(long = "universe-file")]
        universe_file: Option<PathBuf>,
        /// Database the scan stage commits to (default: a SQLite file in
        /// --state). To time PostgreSQL, name an empty scratch database:
        /// the bench writes a scan into it. DATABASE_URL is never used here.
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[command(flatten)]
        jobs: JobsArg,
    },
}

/// `retrainer [train]`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    /// Retrain even models younger than 7 days.
    #[arg(long)]
    pub force: bool,
    /// Also run the walk-forward and store its metrics in each model.
    #[arg(long)]
    pub walk_forward: bool,
    /// Do not record or send the "retrain complete" alert.
    #[arg(long)]
    pub no_alerts: bool,
    #[command(flatten)]
    pub model: ModelArg,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub jobs: JobsArg,
}
