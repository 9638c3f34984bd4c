//! The full-screen session: takes over the terminal (restored on exit and
//! on panic), draws, reads keys, reloads on demand and picks up live quotes
//! from their background fetch.

use std::io::IsTerminal as _;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{self, Event};
use dashboard::app::{Action, App};
use dashboard::data::{self, Live, LoadOptions};
use dashboard::ui;
use rally_data::SourceSpec;

use crate::{Args, position_tickers};

pub fn interactive(args: &Args, opts: &LoadOptions, spec: SourceSpec) -> anyhow::Result<()> {
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
