//! `dashboard`: the rally detector's terminal dashboard. Reads the state
//! store (never writes it) and shows positions, signals, equity, journal and
//! model health in tabs; `--once` prints one frame for scripts and docs.

#![allow(clippy::print_stdout)]

use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use dashboard::data::{self, LoadOptions, Snapshot};
use rally_data::SourceSpec;
use rally_pipeline::state::StateDir;

/// Terminal dashboard of the rally detector.
mod terminal;

#[derive(Debug, Parser)]
#[command(version, about)]
pub(crate) struct Args {
    /// Fetch the latest prices of the open positions from the data source.
    #[arg(long)]
    live: bool,
    /// Closed trades to show in the journal.
    #[arg(long, value_name = "N", default_value_t = 50)]
    journal: u32,
    /// Days of equity history to chart.
    #[arg(long, value_name = "N", default_value_t = 90)]
    equity: u32,
    /// Render one frame to stdout and exit (plain text when stdout is not a terminal).
    #[arg(long)]
    once: bool,
    /// Read the state that `scanner --demo` keeps in `demo/`.
    #[arg(long)]
    demo: bool,
    /// Data source for `--live`: yahoo, csv:DIR, synthetic[:SEED]
    /// (default: yahoo, synthetic with --demo).
    #[arg(long, env = "RALLY_SOURCE", value_name = "SOURCE")]
    source: Option<String>,
    /// Seconds to wait for `--live` quotes with `--once`.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    live_timeout: u64,
}

fn main() {
    if let Err(e) = run() {
        // One clear line, and a non-zero exit.
        eprintln!("dashboard: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let args = Args::parse();
    let state = if args.demo {
        StateDir::demo()
    } else {
        StateDir::cwd()
    };
    let opts = LoadOptions {
        // The demo never reads the production database, whatever DATABASE_URL says.
        database_url: state.database_url(!args.demo),
        state,
        journal: args.journal,
        equity: args.equity,
        scan_clock: args.demo,
    };
    let source = match &args.source {
        Some(s) => s.clone(),
        None if args.demo => "synthetic".to_owned(),
        None => "yahoo".to_owned(),
    };
    let spec = SourceSpec::parse(&source).with_context(|| format!("--source {source}"))?;

    if args.once {
        // Logs go to stderr; stdout holds the frame only.
        let _log = rally_pipeline::logging::init(None);
        once(&args, &opts, spec)
    } else {
        // No console logging under the full-screen UI: it would garble it.
        terminal::interactive(&args, &opts, spec)
    }
}

pub(crate) fn position_tickers(s: &Snapshot) -> Vec<String> {
    s.positions.iter().map(|p| p.ticker.clone()).collect()
}

fn once(args: &Args, opts: &LoadOptions, spec: SourceSpec) -> anyhow::Result<()> {
    let mut snapshot = data::load(opts)?;
    if args.live {
        let rx = data::spawn_live_fetch(spec, position_tickers(&snapshot));
        snapshot.live = data::wait_live(&rx, Duration::from_secs(args.live_timeout));
    }
    let tty = std::io::stdout().is_terminal();
    let (w, h) = if tty {
        crossterm::terminal::size().unwrap_or((120, 40))
    } else {
        (120, 40)
    };
    let text = dashboard::render_once(&snapshot, w, h, tty)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")?;
    Ok(())
}
