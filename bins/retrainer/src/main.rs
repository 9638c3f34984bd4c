//! `retrainer`: trains the live models (the weekly job), and owns research:
//! export, backtests, optimisation, barrier validation, benchmarks.
//! Thin: parse arguments, call the pipeline, render its result.
#![allow(clippy::print_stdout)]

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use rally_data::{Cache, SourceSpec, Universe, open_source};
use rally_features::Barriers;
use rally_model::walkforward::BarrierRule;
use rally_pipeline::data::DataAccess;
use rally_pipeline::report;
use rally_pipeline::retrain::{RetrainOptions, retrain};
use rally_pipeline::state::StateDir;
use rally_pipeline::sweep::{optimisation_grid, sweep};
use rally_trade::TradeConfig;

/// The ~520-name universe shipped with the project.
const DEFAULT_UNIVERSE_FILE: &str = "fixtures/universe/us_large_caps.csv";

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
    /// Tickers to work on (default: the 14-asset basket).
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
    /// Retrain even models younger than 7 days.
    #[arg(long)]
    force: bool,
    /// Also run the walk-forward and store its metrics in each model.
    #[arg(long)]
    walk_forward: bool,
    /// Print auto-calibrated vs hand-tuned barriers side by side.
    #[arg(long)]
    validate: bool,
    /// Bypass the data cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Pretend the time is this RFC 3339 instant.
    #[arg(long, global = true, env = "RALLY_NOW")]
    now: Option<DateTime<Utc>>,
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
        #[arg(long, value_delimiter = ',')]
        configs: Vec<String>,
        /// Write PNG charts into plots/.
        #[arg(long)]
        plot: bool,
    },
    /// Sweep the named configs and a threshold grid over a basket.
    Optimize,
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
    },
}

fn tickers(cli: &Cli) -> Result<Vec<String>> {
    Ok(
        Universe::selected(&cli.tickers, cli.universe_file.as_deref())?
            .unwrap_or_else(Universe::default_basket)
            .tickers,
    )
}

fn configs(cli: &Cli, names: &[String]) -> Result<Vec<TradeConfig>> {
    if names.is_empty() {
        return Ok(vec![TradeConfig::named(&cli.config)?]);
    }
    names
        .iter()
        .map(|n| TradeConfig::named(n.trim()).map_err(Into::into))
        .collect()
}

fn progress_bar(total_hint: usize) -> impl Fn(usize, usize, &str) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |done: usize, total: usize, ticker: &str| {
        if tty {
            let total = total.max(total_hint).max(1);
            let w = 30;
            let filled = done * w / total;
            eprint!(
                "\r[{}{}] {done}/{total} {ticker:<10}",
                "#".repeat(filled),
                "-".repeat(w - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let now = cli.now.unwrap_or_else(Utc::now);
    let state = StateDir::cwd();
    let spec = SourceSpec::parse(&cli.source)?;
    let source = open_source(&spec)?;
    let cache = Cache::new(state.cache());
    let data = DataAccess {
        source: source.as_ref(),
        cache: (!cli.no_cache).then_some(&cache),
        now,
        until: None,
    };
    match &cli.cmd {
        Some(Cmd::Export { out }) => {
            let t0 = std::time::Instant::now();
            let cfg = TradeConfig::named(&cli.config)?;
            let report =
                rally_pipeline::export::export_all(source.as_ref(), &tickers(&cli)?, out, &cfg)?;
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
        Some(Cmd::Backtest {
            asset,
            run_all,
            universe,
            configs: names,
            plot,
        }) => {
            let list = match (asset, run_all, universe) {
                (Some(a), false, None) => vec![rally_data::normalise_symbol(a)],
                (None, true, None) => Universe::default_basket().tickers,
                (None, false, Some(f)) => Universe::from_csv(f)?.tickers,
                (None, false, None) if !cli.tickers.is_empty() => tickers(&cli)?,
                _ => bail!("choose one of --asset T, --run-all, --universe [FILE] (or --tickers)"),
            };
            let cfgs = configs(&cli, names)?;
            let t0 = std::time::Instant::now();
            let s = sweep(&data, &list, &cfgs, BarrierRule::Auto, *plot)?;
            for k in 0..cfgs.len() {
                print!("{}", report::backtest_text(&s, k));
                println!();
                if *plot {
                    let files = rally_pipeline::plots::write_plots(&state.plots(), &s, k)?;
                    println!(
                        "wrote {} charts into {}",
                        files.len(),
                        state.plots().display()
                    );
                }
            }
            eprintln!(
                "{} tickers in {:.2}s",
                list.len(),
                t0.elapsed().as_secs_f64()
            );
            Ok(if s.assets.is_empty() { 1 } else { 0 })
        }
        Some(Cmd::Optimize) => {
            let s = sweep(
                &data,
                &tickers(&cli)?,
                &optimisation_grid(),
                BarrierRule::Auto,
                false,
            )?;
            print!("{}", report::optimize_text(&s));
            Ok(0)
        }
        Some(Cmd::Bench {
            fraction,
            years,
            state: dir,
        }) => {
            let universe = match &cli.universe_file {
                Some(f) => Universe::from_csv(f)?,
                None => Universe::from_csv(std::path::Path::new(DEFAULT_UNIVERSE_FILE))?,
            };
            let n = ((universe.tickers.len() as f64 * fraction.clamp(0.0, 1.0)).round() as usize)
                .max(1);
            let list = &universe.tickers[..n.min(universe.tickers.len())];
            let _ = std::fs::remove_dir_all(dir);
            let bench_state = StateDir::new(dir);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let stages =
                rt.block_on(rally_pipeline::bench::run_bench(&bench_state, list, *years))?;
            let mut t = report::Table::new(
                &format!(
                    "Bench: {} tickers x {} years (synthetic), {} worker threads",
                    list.len(),
                    years,
                    rayon::current_num_threads()
                ),
                &["stage", "wall s", "tickers/s", "bars/s", "peak RSS MiB"],
            );
            for s in &stages {
                t.row(vec![
                    s.stage.clone(),
                    format!("{:.2}", s.wall_secs),
                    format!("{:.0}", s.tickers as f64 / s.wall_secs.max(1e-9)),
                    if s.bars > 0 {
                        format!("{:.0}", s.bars as f64 / s.wall_secs.max(1e-9))
                    } else {
                        "-".into()
                    },
                    report::num(s.peak_rss_mib, 0),
                ]);
            }
            print!("{}", t.render());
            Ok(0)
        }
        None if cli.validate => {
            let list = tickers(&cli)?;
            let base = vec![TradeConfig::named(&cli.config)?];
            let auto = sweep(&data, &list, &base, BarrierRule::Auto, false)?;
            let hand = sweep(
                &data,
                &list,
                &base,
                BarrierRule::Fixed(Barriers::HAND_TUNED),
                false,
            )?;
            print!("{}", report::validate_text(&auto, &hand));
            Ok(0)
        }
        None => {
            let list = tickers(&cli)?;
            let opts = RetrainOptions {
                force: cli.force,
                walk_forward: cli.walk_forward,
                now,
            };
            let bar = progress_bar(list.len());
            let r = retrain(&state, &data, &list, &opts, &bar)?;
            print!("{}", report::retrain_text(&r));
            Ok(if r.trained.is_empty() && r.skipped_fresh.is_empty() {
                1
            } else {
                0
            })
        }
    }
}

fn main() {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let _guard = rally_pipeline::logging::init(Some(&StateDir::cwd().logs()));
    if let Some(j) = cli.jobs
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global()
    {
        eprintln!("error: worker threads: {e}");
        std::process::exit(2);
    }
    match run(cli).context("retrainer") {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
