//! The command-line vocabulary the binaries share.
//!
//! Raw flags ([`DataArgs`], [`ConfigArg`], [`JobsArg`]) are declared once
//! here and flattened into each subcommand that means them, so a flag is
//! offered only where it does something. They are resolved once into what
//! a run needs ([`DataSetup`]: the source, the cache, the clock), the way
//! ripgrep turns its low-level arguments into high-level ones; `main`
//! dispatches and renders.
//!
//! What it is not: no business logic, nothing printed.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;
use rally_data::{Cache, DataError, Source, SourceSpec, Universe, open_source};
use rally_pipeline::data::DataAccess;
use rally_pipeline::state::StateDir;
use rally_trade::{TradeConfig, TradeError};

/// Where the bars come from and which tickers.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Data source: yahoo, csv:DIR or synthetic[:SEED].
    #[arg(long, env = "RALLY_SOURCE", default_value = "yahoo")]
    pub source: String,
    /// Tickers to work on (space- or comma-separated).
    #[arg(long, num_args = 1.., value_delimiter = ',')]
    pub tickers: Vec<String>,
    /// Universe file (CSV with a Symbol column).
    #[arg(long = "universe-file")]
    pub universe_file: Option<PathBuf>,
    /// Bypass the data cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Pretend the time is this RFC 3339 instant.
    #[arg(long, env = "RALLY_NOW")]
    pub now: Option<DateTime<Utc>>,
}

/// Which tickers, for commands that load no bars (`scanner health`).
#[derive(Debug, Clone, Args)]
pub struct TickerArgs {
    /// Tickers to check (space- or comma-separated).
    #[arg(long, num_args = 1.., value_delimiter = ',')]
    pub tickers: Vec<String>,
    /// Universe file (CSV with a Symbol column).
    #[arg(long = "universe-file")]
    pub universe_file: Option<PathBuf>,
    /// Pretend the time is this RFC 3339 instant.
    #[arg(long, env = "RALLY_NOW")]
    pub now: Option<DateTime<Utc>>,
}

/// A named trade configuration.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// Trade config.
    #[arg(long, default_value = "baseline", value_parser = clap::builder::PossibleValuesParser::new(TradeConfig::NAMES))]
    pub config: String,
}

impl ConfigArg {
    pub fn resolve(&self) -> Result<TradeConfig, TradeError> {
        TradeConfig::named(&self.config)
    }
}

/// Which model family trains and scores (MODEL-V2.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelFamily {
    /// Per-ticker logistic regression + isotonic (METHOD §6; the golden files).
    Classic,
    /// One pooled logistic regression over the run's tickers, 22 features,
    /// raw sigmoid (MODEL-V2.md).
    V2,
}

/// The model family of a command.
#[derive(Debug, Clone, Args)]
pub struct ModelArg {
    /// Model family.
    #[arg(long, env = "RALLY_MODEL", value_enum, default_value_t = ModelFamily::Classic)]
    pub model: ModelFamily,
}

impl From<ModelFamily> for rally_model::Family {
    fn from(f: ModelFamily) -> rally_model::Family {
        match f {
            ModelFamily::Classic => rally_model::Family::Classic,
            ModelFamily::V2 => rally_model::Family::V2,
        }
    }
}

impl ModelArg {
    /// The family as the pipeline names it.
    pub fn family(&self) -> rally_model::Family {
        self.model.into()
    }
}

/// The model family of a scan: given, or the one the retrainer trained
/// last.
#[derive(Debug, Clone, Args)]
pub struct ScanModelArg {
    /// Model family to score with (default: the family the retrainer
    /// trained last, else classic).
    #[arg(long, env = "RALLY_MODEL", value_enum)]
    pub model: Option<ModelFamily>,
}

impl ScanModelArg {
    /// The family asked for, if any.
    pub fn family(&self) -> Option<rally_model::Family> {
        self.model.map(Into::into)
    }
}

/// Worker threads of the numeric work.
#[derive(Debug, Clone, Args)]
pub struct JobsArg {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
}

impl JobsArg {
    /// Sizes the global rayon pool (once per process, before any work).
    pub fn apply(&self) -> Result<(), rayon::ThreadPoolBuildError> {
        match self.jobs {
            Some(j) => rayon::ThreadPoolBuilder::new()
                .num_threads(j.max(1))
                .build_global(),
            None => Ok(()),
        }
    }
}

/// The tickers of a run: `--tickers`, else `--universe-file`, else
/// `default`. Each name that is not a ticker is named with the reason (a
/// warning, at most ten lines then a count); if no name at all is a
/// ticker, that is the error.
pub fn select_tickers(
    tickers: &[String],
    universe_file: Option<&std::path::Path>,
    default: impl FnOnce() -> Vec<String>,
) -> Result<Vec<String>, SelectError> {
    let Some(u) = Universe::selected(tickers, universe_file)? else {
        return Ok(default());
    };
    for line in rejected_lines(&u) {
        tracing::warn!("{line}");
    }
    if u.tickers.is_empty() {
        return Err(SelectError::NoTickers {
            rejected: u.rejected.len(),
        });
    }
    Ok(u.tickers)
}

/// Why no tickers could be selected.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("none of the {rejected} names given is a ticker (see the warnings above)")]
    NoTickers { rejected: usize },
}

/// One line per rejected name, at most ten, then a count.
pub fn rejected_lines(u: &Universe) -> Vec<String> {
    const SHOWN: usize = 10;
    let mut lines: Vec<String> = u
        .rejected
        .iter()
        .take(SHOWN)
        .map(|r| r.to_string())
        .collect();
    if u.rejected.len() > SHOWN {
        lines.push(format!(
            "... and {} more names that are not tickers",
            u.rejected.len() - SHOWN
        ));
    }
    lines
}

/// The tickers a live job works on by default: every ticker with a model,
/// else the default basket.
pub fn live_tickers(state: &StateDir) -> Vec<String> {
    live_tickers_for(state, state.last_family().unwrap_or_default())
}

/// [`live_tickers`] of a family: classic model files, or the tickers of
/// the v2 pool (its part files when the pool cannot be read).
pub fn live_tickers_for(state: &StateDir, family: rally_model::Family) -> Vec<String> {
    let have = match family {
        rally_model::Family::Classic => state.model_tickers(),
        rally_model::Family::V2 => match rally_pipeline::models::load_pool(state) {
            rally_pipeline::models::Loaded::Ready(p) => p.tickers,
            _ => state.v2_part_tickers(),
        },
    };
    if have.is_empty() {
        Universe::default_basket().tickers
    } else {
        have
    }
}

/// [`DataArgs`] resolved: the opened source, the state's cache, the clock.
#[derive(Debug)]
pub struct DataSetup {
    pub source: Box<dyn Source>,
    pub cache: Option<Cache>,
    pub now: DateTime<Utc>,
}

impl DataSetup {
    /// Opens the source the flags name, with the cache of `state` unless
    /// `--no-cache`.
    pub fn new(args: &DataArgs, state: &StateDir) -> Result<DataSetup, DataError> {
        let spec = SourceSpec::parse(&args.source)?;
        Ok(DataSetup {
            source: open_source(&spec)?,
            cache: (!args.no_cache).then(|| Cache::new(state.cache())),
            now: args.now.unwrap_or_else(Utc::now),
        })
    }

    /// How pipeline functions reach the data.
    pub fn access(&self) -> DataAccess<'_> {
        DataAccess {
            source: self.source.as_ref(),
            cache: self.cache.as_ref(),
            now: self.now,
            until: None,
        }
    }
}

/// Where the state lives, for every `--help` that touches it.
pub const DATABASE_HELP: &str = "\
State database (DATABASE_URL):
  unset                        ./models/rally.db (SQLite, the default)
  PATH or sqlite://PATH        a SQLite file
  postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=require]
                               PostgreSQL (postgresql:// works too)
Move an existing state: scanner store migrate --to postgres://...";
