//! `scanner`: the daily job. Scores the latest bar of every ticker, advances
//! the system's positions, records everything in the state store, sends the
//! alerts. Also `scanner health`, `scanner auto` and `scanner alerts test`.
//! Thin: arguments, logging, one pipeline call, rendering.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Utc, Weekday};
use clap::{Parser, Subcommand};
use rally_data::{Cache, SourceSpec, Universe, open_source};
use rally_notify::{DeliveryPolicy, NotifySettings, build_notifiers, deliver_outbox, send_test};
use rally_pipeline::data::DataAccess;
use rally_pipeline::retrain::{RetrainOptions, retrain};
use rally_pipeline::scan::{ScanOptions, run_scan};
use rally_pipeline::state::StateDir;
use rally_pipeline::{health, report};
use rally_store::Store;
use rally_trade::TradeConfig;

#[derive(Debug, Parser)]
#[command(
    name = "scanner",
    version,
    about = "Daily rally scan: signals, positions, alerts"
)]
struct Cli {
    /// Data source: yahoo, csv:DIR or synthetic[:SEED].
    #[arg(long, global = true, env = "RALLY_SOURCE", default_value = "yahoo")]
    source: String,
    /// Tickers to scan (default: every ticker with a model, else the default basket).
    #[arg(long, global = true, num_args = 1..)]
    tickers: Vec<String>,
    /// Universe file (CSV with a Symbol column).
    #[arg(long = "universe-file", global = true)]
    universe_file: Option<PathBuf>,
    /// Trade config name (baseline, conservative, aggressive, concentrated).
    #[arg(long, global = true, default_value = "baseline")]
    config: String,
    /// Also show open positions (advanced through the trade state machine).
    #[arg(long)]
    positions: bool,
    /// Print one JSON document on stdout (logs go to stderr).
    #[arg(long, global = true)]
    json: bool,
    /// Do not send alerts (and record no deliveries).
    #[arg(long)]
    no_alerts: bool,
    /// Bypass the data cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// Run the whole product on the synthetic market in ./demo (no network).
    #[arg(long)]
    demo: bool,
    /// Worker threads (default: all cores).
    #[arg(long, global = true)]
    jobs: Option<usize>,
    /// Pretend the time is this RFC 3339 instant (for `auto` and tests).
    #[arg(long, global = true, env = "RALLY_NOW")]
    now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Model freshness, last data date, state store; exit 1 if stale or corrupt.
    Health,
    /// Sunday: retrain; Monday-Friday: scan; Saturday: nothing.
    Auto,
    /// Alert backends.
    Alerts {
        #[command(subcommand)]
        cmd: AlertsCmd,
    },
}

#[derive(Debug, Subcommand)]
enum AlertsCmd {
    /// Send one test message to every configured backend.
    Test,
}

fn tickers(cli: &Cli, state: &StateDir) -> Result<Vec<String>> {
    if let Some(u) = Universe::selected(&cli.tickers, cli.universe_file.as_deref())? {
        return Ok(u.tickers);
    }
    // Default: whatever the retrainer trained, else the default basket.
    let have = state.model_tickers();
    Ok(if have.is_empty() {
        Universe::default_basket().tickers
    } else {
        have
    })
}

fn emit_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

async fn scan(cli: &Cli, state: &StateDir, now: DateTime<Utc>) -> Result<i32> {
    let spec = SourceSpec::parse(&cli.source)?;
    let source = open_source(&spec)?;
    let cache = Cache::new(state.cache());
    let data = DataAccess {
        source: source.as_ref(),
        cache: (!cli.no_cache).then_some(&cache),
        now,
        until: None,
    };
    let cfg = TradeConfig::named(&cli.config)?;
    let store = Store::open(&state.database_url(true))
        .await
        .context("opening the state store")?;
    let settings = NotifySettings::from_env()?;
    let notifiers = if cli.no_alerts {
        Vec::new()
    } else {
        build_notifiers(&settings)?
    };
    let backends = notifiers.iter().map(|n| n.name().to_owned()).collect();
    let tickers = tickers(cli, state)?;
    let opts = ScanOptions {
        config: cfg,
        now,
        backends,
    };
    let r = run_scan(state, &store, &data, &tickers, &opts).await?;
    if !notifiers.is_empty() {
        let d = deliver_outbox(&store, &notifiers, &DeliveryPolicy::default()).await?;
        tracing::info!(?d, "alerts delivered");
    }
    store.close().await;
    if cli.json {
        emit_json(&r)?;
    } else {
        print!("{}", report::scan_text(&r, cli.positions));
    }
    Ok(if r.scanned == 0 { 1 } else { 0 })
}

async fn run(cli: Cli) -> Result<i32> {
    let now = cli.now.unwrap_or_else(Utc::now);
    if cli.demo {
        let state = StateDir::demo();
        let cfg = TradeConfig::named(&cli.config)?;
        let r = rally_pipeline::demo::run_demo(&state, &cfg).await?;
        if cli.json {
            emit_json(&r)?;
        } else {
            println!(
                "Demo: replayed {} trading days of the synthetic market into ./demo",
                r.days.len()
            );
            for d in &r.days {
                println!(
                    "  {}  retrained {:2}  signals {}  closed {}  open {}",
                    d.date, d.retrained, d.signals, d.closed, d.open
                );
            }
            println!();
            print!("{}", report::scan_text(&r.last, true));
            println!(
                "\nNext: `dashboard --demo` to browse it, `dashboard --demo --once` to print it."
            );
        }
        return Ok(0);
    }
    let state = StateDir::cwd();
    match &cli.cmd {
        None => scan(&cli, &state, now).await,
        Some(Cmd::Health) => {
            let universe = tickers(&cli, &state)?;
            let h = health::check(&state, &universe, now);
            let store = Store::open(&state.database_url(true)).await;
            let (store_ok, last_scan, dead) = match &store {
                Ok(s) => (
                    s.ping().await.is_ok(),
                    s.last_scan_run().await.ok().flatten(),
                    s.dead_events().await.map(|d| d.len()).unwrap_or(0),
                ),
                Err(_) => (false, None, 0),
            };
            if cli.json {
                emit_json(&serde_json::json!({
                    "models": h, "state_store_ok": store_ok,
                    "last_scan": last_scan, "dead_alerts": dead,
                }))?;
            } else {
                print!("{}", report::health_text(&h));
                println!(
                    "state store: {}; last scan: {}; dead alerts: {dead}",
                    if store_ok { "ok" } else { "UNAVAILABLE" },
                    last_scan
                        .map(|s| s.as_of.to_string())
                        .unwrap_or_else(|| "never".into())
                );
            }
            Ok(if h.is_healthy() && store_ok { 0 } else { 1 })
        }
        Some(Cmd::Auto) => match now.weekday() {
            Weekday::Sun => {
                let spec = SourceSpec::parse(&cli.source)?;
                let source = open_source(&spec)?;
                let cache = Cache::new(state.cache());
                let data = DataAccess {
                    source: source.as_ref(),
                    cache: (!cli.no_cache).then_some(&cache),
                    now,
                    until: None,
                };
                let t = tickers(&cli, &state)?;
                let r = retrain(
                    &state,
                    &data,
                    &t,
                    &RetrainOptions {
                        force: false,
                        walk_forward: false,
                        now,
                    },
                    &|_, _, _| {},
                )?;
                print!("{}", report::retrain_text(&r));
                Ok(0)
            }
            Weekday::Sat => {
                println!("auto: Saturday — nothing to do");
                Ok(0)
            }
            _ => scan(&cli, &state, now).await,
        },
        Some(Cmd::Alerts {
            cmd: AlertsCmd::Test,
        }) => {
            let notifiers = build_notifiers(&NotifySettings::from_env()?)?;
            if notifiers.is_empty() {
                println!("no alert backend is configured (see .env.example)");
                return Ok(1);
            }
            let mut code = 0;
            for (name, r) in send_test(&notifiers).await {
                match r {
                    Ok(()) => println!("{name}: ok"),
                    Err(e) => {
                        code = 1;
                        println!("{name}: failed: {e}");
                    }
                }
            }
            Ok(code)
        }
    }
}

fn main() {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let logs = if cli.demo {
        StateDir::demo().logs()
    } else {
        StateDir::cwd().logs()
    };
    let _guard = rally_pipeline::logging::init(Some(&logs));
    if let Some(j) = cli.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(j.max(1))
            .build_global();
    }
    let result = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
