//! `retrainer`: trains the live models, and owns research (export,
//! backtests, optimisation). Thin: parse arguments, call the pipeline,
//! render its result.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rally_data::{SourceSpec, Universe, open_source};
use rally_trade::TradeConfig;

#[derive(Debug, Parser)]
#[command(
    name = "retrainer",
    version,
    about = "Train rally-detector models and run research"
)]
struct Cli {
    /// Data source: yahoo, csv:DIR or synthetic[:SEED].
    #[arg(long, global = true, env = "RALLY_SOURCE", default_value = "yahoo")]
    source: String,
    /// Tickers to work on (default: the universe).
    #[arg(long, global = true, num_args = 1..)]
    tickers: Vec<String>,
    /// Universe file (CSV with a Symbol column).
    #[arg(long = "universe-file", global = true)]
    universe_file: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    jobs: Option<usize>,
    /// Trade config name.
    #[arg(long, global = true, default_value = "baseline")]
    config: String,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write the research files (golden layout) for each ticker into DIR.
    Export {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

fn tickers(cli: &Cli) -> Result<Vec<String>> {
    if !cli.tickers.is_empty() {
        return Ok(Universe::from_symbols(cli.tickers.iter().map(String::as_str)).tickers);
    }
    if let Some(f) = &cli.universe_file {
        return Ok(Universe::from_csv(f)?.tickers);
    }
    Ok(Universe::default_basket().tickers)
}

fn run(cli: Cli) -> Result<i32> {
    if let Some(j) = cli.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
            .context("setting up worker threads")?;
    }
    let spec = SourceSpec::parse(&cli.source)?;
    let source = open_source(&spec)?;
    let cfg = TradeConfig::named(&cli.config)?;
    let tickers = tickers(&cli)?;
    match &cli.cmd {
        Some(Cmd::Export { out }) => {
            let t0 = std::time::Instant::now();
            let report = rally_pipeline::export::export_all(source.as_ref(), &tickers, out, &cfg)?;
            for (t, e) in &report.failed {
                eprintln!("error: {t}: {e}");
            }
            eprintln!(
                "exported {} tickers to {} ({} failed) in {:.2}s",
                report.analysed.len(),
                out.display(),
                report.failed.len(),
                t0.elapsed().as_secs_f64()
            );
            Ok(if report.analysed.is_empty() { 1 } else { 0 })
        }
        None => anyhow::bail!("training is not wired yet; use `retrainer export`"),
    }
}

fn main() {
    rally_pipeline::logging::init(None);
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
