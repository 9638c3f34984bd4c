//! `dashboard`: the rally detector's terminal dashboard. Reads the state
//! store (never writes it) and shows positions, signals, equity, journal and
//! model health in tabs; `--once` prints one frame for scripts and docs.

#![allow(clippy::print_stdout)]

use std::io::{IsTerminal as _, Write as _};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use crossterm::event::{self, Event};
use dashboard::app::{Action, App};
use dashboard::data::{self, Live, LoadOptions, Snapshot};
use dashboard::ui;
use rally_data::SourceSpec;
use rally_pipeline::state::StateDir;

/// Terminal dashboard of the rally detector.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
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
        interactive(&args, &opts, spec)
    }
}

fn position_tickers(s: &Snapshot) -> Vec<String> {
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

fn interactive(args: &Args, opts: &LoadOptions, spec: SourceSpec) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("stdout is not a terminal; use --once to print one frame");
    }
    // Load before taking over the terminal, so a failure prints cleanly.
    let snapshot = data::load(opts)?;
    let mut app = App::new(snapshot);
    let mut live_rx = None;
    if args.live {
        live_rx = Some(data::spawn_live_fetch(
            spec.clone(),
            position_tickers(&app.snapshot),
        ));
        app.snapshot.live = Live::Fetching {
            since: chrono::Utc::now(),
        };
    }

    // Raw mode + alternate screen, and a panic hook that restores both
    // before the panic message is printed.
    let mut terminal = ratatui::try_init().context("cannot initialise the terminal")?;
    let result = event_loop(&mut terminal, &mut app, args, opts, &spec, &mut live_rx);
    ratatui::restore();
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    args: &Args,
    opts: &LoadOptions,
    spec: &SourceSpec,
    live_rx: &mut Option<mpsc::Receiver<Live>>,
) -> anyhow::Result<()> {
    loop {
        if let Some(rx) = live_rx.as_ref() {
            match rx.try_recv() {
                Ok(live) => {
                    app.snapshot.live = live;
                    *live_rx = None;
                }
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    app.snapshot.live = Live::Offline {
                        reason: "the fetch stopped".into(),
                        at: chrono::Utc::now(),
                    };
                    *live_rx = None;
                }
            }
        }
        terminal.draw(|f| ui::draw(f, app))?;
        // Test hook of the end-to-end check: the terminal must be restored
        // even when the UI panics.
        if std::env::var_os("DASHBOARD_TEST_PANIC").is_some() {
            panic!("test panic requested by DASHBOARD_TEST_PANIC");
        }
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        let action = match event::read()? {
            Event::Key(k) => app.on_key(k),
            _ => Action::None,
        };
        match action {
            Action::Quit => return Ok(()),
            Action::None => {}
            Action::Reload => match data::load(opts) {
                Ok(mut snap) => {
                    // Keep the quotes we have; refresh them in the background.
                    snap.live = app.snapshot.live.clone();
                    if args.live && live_rx.is_none() {
                        *live_rx = Some(data::spawn_live_fetch(
                            spec.clone(),
                            position_tickers(&snap),
                        ));
                    }
                    app.set_snapshot(snap);
                    app.status = Some(format!(
                        "reloaded {}",
                        app.snapshot.loaded_at.format("%H:%M:%S UTC")
                    ));
                }
                Err(e) => app.status = Some(format!("reload failed: {e:#}")),
            },
        }
    }
}
