//! The retrainer's command line: raw flags as clap parses them. The data,
//! config and thread flags are the shared ones of `rally-cli`; each
//! subcommand offers only the flags that mean something for it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use rally_cli::{ConfigArg, DataArgs, JobsArg, ModelArg, ModelFamily};
use rally_data::listings::refresh::{
    DEFAULT_NASDAQ_LISTED_URL, DEFAULT_NASDAQ100_URL, DEFAULT_SP500_URL,
};
use rally_data::listings::{
    DEFAULT_NASDAQ_MAX, MIN_NASDAQ_LISTED_ROWS, MIN_NASDAQ100_ROWS, MIN_SP500_ROWS,
};
use rally_trade::TradeConfig;

#[derive(Debug, Parser)]
#[command(
    name = "retrainer",
    version,
    about = "Train rally-detector models and run research",
    long_about = "Train rally-detector models and run research.\n\nWithout a subcommand, `retrainer [FLAGS]` is `retrainer train [FLAGS]`: the weekly job.\n\nThe universe (`backtest --universe`, `bench`) is --universe-file when given, else the list `retrainer universe refresh` wrote to data_cache/universe.csv, else the shipped list (fixtures/universe/us_large_caps.csv, built in).",
    after_help = rally_cli::DATABASE_HELP,
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
        /// Every ticker of the universe: FILE, else --universe-file, else the
        /// refreshed list (data_cache/universe.csv), else the shipped ~520
        /// names. The list used is named on stderr with its date.
        #[arg(long, num_args = 0..=1, value_name = "FILE")]
        universe: Option<Option<PathBuf>>,
        /// With --universe: each ticker trades (and holds a sleeve) only
        /// from the date it joined the S&P 500, as the list's "Date added"
        /// says, against survivorship bias. Tickers without a date keep
        /// their whole history (said on stderr). The models still train on
        /// the whole history.
        #[arg(long, requires = "universe")]
        member_since: bool,
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
        /// Universe file (default: the refreshed list, else the shipped
        /// ~520 names).
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
    /// The universe list: refresh it from public sources, or show which
    /// list runs use.
    Universe {
        #[command(subcommand)]
        cmd: UniverseCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum UniverseCmd {
    /// Rebuild the universe list from public sources into
    /// data_cache/universe.csv.
    #[command(long_about = REFRESH_ABOUT)]
    Refresh(RefreshArgs),
    /// Name the list a run would use (and its date) without running.
    Show {
        /// Universe file (wins over the refreshed and shipped lists).
        #[arg(long = "universe-file")]
        universe_file: Option<PathBuf>,
    },
}

const REFRESH_ABOUT: &str = "Rebuild the universe list from public sources into data_cache/universe.csv.

Sources: the S&P 500 member table of Wikipedia's \"List of S&P 500 companies\" (table id constituents: Symbol, Security, Date added), the components table of Wikipedia's \"Nasdaq-100\" (Ticker, Company) and, to fill the Nasdaq part up to --nasdaq-max, the exchange's nasdaqlisted.txt. That file has no market capitalisation, so the Nasdaq part is not \"the largest\" listings: it is the Nasdaq-100 first, then common stocks of the Nasdaq Global Select Market (not test issues, ETFs, warrants, units, rights, preferreds or notes; normal financial status) in the file's alphabetical order.

Symbols are written the Yahoo way (BRK.B -> BRK-B) and each appears once. The file (Symbol, Name, Lists, Date added, Refreshed) is replaced atomically, and only when every source was fetched and read: a page whose layout changed (no table id constituents, no Symbol column) or with too few rows is an error naming its URL, and the previous list stays as it was. Runs then use: --universe-file > this list > the shipped list.";

/// `retrainer universe refresh`: where the sources are and what is accepted.
#[derive(Debug, Clone, clap::Args)]
pub struct RefreshArgs {
    /// The S&P 500 page.
    #[arg(long, env = "RALLY_SP500_URL", default_value = DEFAULT_SP500_URL)]
    pub sp500_url: String,
    /// The Nasdaq-100 page.
    #[arg(long, env = "RALLY_NASDAQ100_URL", default_value = DEFAULT_NASDAQ100_URL)]
    pub nasdaq100_url: String,
    /// The exchange's listed-symbols file (pipe-delimited).
    #[arg(long, env = "RALLY_NASDAQ_LISTED_URL", default_value = DEFAULT_NASDAQ_LISTED_URL)]
    pub nasdaq_listed_url: String,
    /// At most this many Nasdaq names: the Nasdaq-100, then Global Select
    /// common stocks (alphabetical, not by size). 100 or less: the
    /// listed-symbols file is not fetched.
    #[arg(long, env = "RALLY_NASDAQ_MAX", default_value_t = DEFAULT_NASDAQ_MAX)]
    pub nasdaq_max: usize,
    /// Refuse a S&P 500 table with fewer rows (the universe must not shrink
    /// because a page lost rows).
    #[arg(long, default_value_t = MIN_SP500_ROWS)]
    pub min_sp500_rows: usize,
    /// Refuse a Nasdaq-100 table with fewer rows.
    #[arg(long, default_value_t = MIN_NASDAQ100_ROWS)]
    pub min_nasdaq100_rows: usize,
    /// Refuse a listed-symbols file with fewer securities.
    #[arg(long, default_value_t = MIN_NASDAQ_LISTED_ROWS)]
    pub min_nasdaq_listed_rows: usize,
    /// Seconds per request.
    #[arg(long, default_value_t = 30)]
    pub timeout_secs: u64,
    /// Stamp the list with this RFC 3339 instant instead of the clock.
    #[arg(long, env = "RALLY_NOW")]
    pub now: Option<DateTime<Utc>>,
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
