//! The scanner's jobs: each builds what it needs from its flags, makes one
//! pipeline call and renders the result (text or `--json`).

use anyhow::{Context, Result};
use chrono::Utc;
use rally_cli::{DataSetup, TickerArgs, live_tickers, live_tickers_for, select_tickers};
use rally_notify::{NotifySettings, build_notifiers, send_test};
use rally_pipeline::announce::deliver;
use rally_pipeline::calendar::{Job, job_on};
use rally_pipeline::models::resolve_family;
use rally_pipeline::retrain::{RetrainOptions, retrain_family};
use rally_pipeline::scan::{ScanOptions, run_scan};
use rally_pipeline::state::StateDir;
use rally_pipeline::{health, report};
use rally_store::Store;

use crate::args::ScanArgs;

fn emit_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Scan tickers: `--tickers`, `--universe-file`, else whatever the
/// retrainer trained, else the default basket.
fn scan_tickers(args: &ScanArgs, state: &StateDir) -> Result<Vec<String>> {
    let data = &args.data;
    let family = resolve_family(state, args.model.family());
    Ok(select_tickers(
        &data.tickers,
        data.universe_file.as_deref(),
        || live_tickers_for(state, family),
    )?)
}

pub async fn scan(args: &ScanArgs, state: &StateDir) -> Result<i32> {
    state.remove_stale_temp_files();
    let setup = DataSetup::new(&args.data, state)?;
    let cfg = args.config.resolve()?;
    let store = Store::open(&state.database_url(true))
        .await
        .context("opening the state store")?;
    let notifiers = if args.no_alerts {
        Vec::new()
    } else {
        build_notifiers(&NotifySettings::from_env()?)?
    };
    let tickers = scan_tickers(args, state)?;
    let opts = ScanOptions {
        config: cfg,
        now: setup.now,
        backends: notifiers.iter().map(|n| n.name().to_owned()).collect(),
        backfill: args.backfill,
        model: args.model.family(),
    };
    let r = run_scan(state, &store, &setup.access(), &tickers, &opts).await?;
    deliver(&store, &notifiers).await?;
    store.close().await;
    if args.json {
        emit_json(&r)?;
    } else {
        print!("{}", report::scan_text(&r, args.positions));
    }
    Ok(if r.scanned == 0 { 1 } else { 0 })
}

pub async fn demo(args: &ScanArgs) -> Result<i32> {
    let state = StateDir::demo();
    let cfg = args.config.resolve()?;
    let r = rally_pipeline::demo::run_demo(&state, &cfg, args.model.family()).await?;
    if args.json {
        emit_json(&r)?;
    } else {
        println!(
            "Demo: replayed {} of the synthetic market into ./demo",
            rally_text::count(r.days.len(), "trading day")
        );
        for d in &r.days {
            println!(
                "  {}  retrained {:2}  signals {}  closed {}  open {}",
                d.date, d.retrained, d.signals, d.closed, d.open
            );
        }
        println!();
        print!("{}", report::scan_text(&r.last, true));
        println!("\nNext: `dashboard --demo` to browse it, `dashboard --demo --once` to print it.");
    }
    Ok(0)
}

pub async fn health_cmd(t: &TickerArgs, json: bool, state: &StateDir) -> Result<i32> {
    let now = t.now.unwrap_or_else(Utc::now);
    let universe = select_tickers(&t.tickers, t.universe_file.as_deref(), || {
        live_tickers(state)
    })?;
    let store = Store::open(&state.database_url(true)).await;
    let (store_status, last_scan, dead) = match &store {
        Ok(s) => (
            s.ping().await.map_err(|e| e.to_string()),
            s.last_scan_run().await.ok().flatten(),
            s.dead_events().await.map(|d| d.len()).unwrap_or(0),
        ),
        Err(e) => (Err(e.to_string()), None, 0),
    };
    let h = health::check(state, &universe, now)
        .with_last_scan(last_scan.as_ref().map(|s| s.as_of), now);
    let store_ok = store_status.is_ok();
    if json {
        emit_json(&serde_json::json!({
            "models": h, "state_store_ok": store_ok,
            "state_store_error": store_status.as_ref().err(),
            "last_scan": last_scan, "dead_alerts": dead,
        }))?;
    } else {
        print!("{}", report::health_text(&h));
        println!(
            "state store: {}; last scan: {}; dead alerts: {dead}",
            match &store_status {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("UNAVAILABLE ({e})"),
            },
            last_scan
                .map(|s| s.as_of.to_string())
                .unwrap_or_else(|| "never".into())
        );
    }
    Ok(if h.is_healthy() && store_ok { 0 } else { 1 })
}

pub async fn auto(args: &ScanArgs, state: &StateDir) -> Result<i32> {
    let now = args.data.now.unwrap_or_else(Utc::now);
    match job_on(now.date_naive()) {
        Some(Job::Scan) => scan(args, state).await,
        Some(Job::Retrain) => {
            let setup = DataSetup::new(&args.data, state)?;
            let t = scan_tickers(args, state)?;
            let opts = RetrainOptions {
                force: false,
                walk_forward: false,
                now,
            };
            let family = resolve_family(state, args.model.family());
            let r = retrain_family(family, state, &setup.access(), &t, &opts, &|_, _, _| {})?;
            print!("{}", report::retrain_text(&r));
            Ok(0)
        }
        None => {
            println!("auto: {} — nothing to do", now.format("%A"));
            Ok(0)
        }
    }
}

pub async fn alerts_test() -> Result<i32> {
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

/// `scanner store migrate`: copies the state at `from` into the empty
/// store at `to` and says what moved. The source is opened read-only, so
/// it is left exactly as it was whatever happens.
pub async fn store_migrate(from: &str, to: &str) -> Result<i32> {
    if from.trim() == to.trim() {
        anyhow::bail!("--to names the source database itself; nothing to move");
    }
    let source = Store::open_read_only(from)
        .await
        .context("opening the source state store")?;
    let target = Store::open(to)
        .await
        .context("opening the target state store")?;
    let report = source.copy_into(&target).await.with_context(|| {
        format!(
            "moving the state from {} to {}",
            source.location(),
            target.location()
        )
    })?;
    source.close().await;
    target.close().await;
    println!(
        "moved the state from {} to {}:",
        source.location(),
        target.location()
    );
    for (table, n) in &report.counts {
        println!("  {table:<17} {n:>6} rows");
    }
    println!("every row read back equal; set DATABASE_URL to the target to use it");
    Ok(0)
}
