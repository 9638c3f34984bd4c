//! The binaries driven together the way users and timers run them, on each
//! data source a user can name — the synthetic market, a `csv:` directory,
//! and Yahoo (a local stand-in serving the same market): the weekly
//! `retrainer`, the daily `scanner`, `dashboard --once`, then the bot's
//! commands reading the same store. Every step sees what the one before it
//! wrote, and the three sources give the same scan.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rally_bot::commands::{CommandContext, health, signals};
use rally_pipeline::state::StateDir;
use rally_store::Store;
use rally_testkit::FakeYahoo;
use serde_json::Value;

const TICKERS: &[&str] = &["SPY", "QQQ", "AAPL", "BTC-USD", "XLE", "GS", "MCD"];
const DAY: &str = "2026-08-21";
const NOW: &str = "2026-08-21T21:30:00Z";

/// A workspace binary, built next to this test by `cargo test --workspace`.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run the workspace's tests (`cargo test --workspace`), which build every binary",
        path.display()
    );
    path
}

fn run(name: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(binary(name));
    c.current_dir(cwd)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_NOW")
        .env_remove("WEBHOOK_URL")
        .env_remove("DISCORD_WEBHOOK_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{name} {args:?} failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// retrain -> scan -> dashboard -> bot, in a fresh state directory.
fn journey(source: &str, env: &[(&str, &str)]) -> Value {
    let state = tempfile::tempdir().unwrap();
    let cwd = state.path();
    let mut args = vec!["--source", source, "--now", NOW, "--no-alerts", "--tickers"];
    args.extend_from_slice(TICKERS);
    let trained = run("retrainer", cwd, &args, env);
    let text = String::from_utf8_lossy(&trained.stdout);
    assert!(
        text.contains(&format!("{} trained", TICKERS.len())),
        "{text}"
    );

    let mut args = vec![
        "--source",
        source,
        "--now",
        NOW,
        "--no-alerts",
        "--json",
        "--tickers",
    ];
    args.extend_from_slice(TICKERS);
    let scan: Value = serde_json::from_slice(&run("scanner", cwd, &args, env).stdout).unwrap();
    assert_eq!(scan["as_of"], DAY, "{source}");
    assert_eq!(scan["scanned"], TICKERS.len(), "{source}: {scan:#}");
    assert_eq!(scan["committed"], true);

    // The dashboard shows the scan the scanner just recorded.
    let frame = run("dashboard", cwd, &["--once"], env);
    let frame = String::from_utf8_lossy(&frame.stdout);
    assert!(frame.contains(&format!("last scan {DAY}")), "{frame}");

    // The bot's commands read the same store.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let st = StateDir::new(cwd);
        let store = Store::open(&st.database_url(false)).await.unwrap();
        let universe = TICKERS.iter().map(|s| (*s).to_owned()).collect();
        let ctx = CommandContext::new(store.clone(), st, universe);
        let health = health(&ctx, "4242").await.unwrap();
        let all = format!("{health:?}");
        assert!(
            all.contains(DAY),
            "bot health does not show the scan: {all}"
        );
        let signals = signals(&ctx, "4242").await.unwrap();
        for s in scan["signals"].as_array().unwrap() {
            let t = s["ticker"].as_str().unwrap();
            assert!(format!("{signals:?}").contains(t), "/signals misses {t}");
        }
        store.close().await;
    });
    scan
}

#[test]
fn every_source_gives_the_same_journey() {
    let synthetic = journey("synthetic:42", &[]);

    let market = tempfile::tempdir().unwrap();
    rally_testkit::synthetic_csv_market(market.path(), 42, TICKERS, DAY.parse().unwrap()).unwrap();
    let csv = journey(&format!("csv:{}", market.path().display()), &[]);

    let yahoo = FakeYahoo::start(42, Some(DAY.parse().unwrap())).unwrap();
    let on_yahoo = journey("yahoo", &[("YAHOO_API_BASE", yahoo.base())]);

    for (name, got) in [("csv", &csv), ("yahoo", &on_yahoo)] {
        for key in ["ranking", "signals", "watchlist", "breadth", "positions"] {
            assert_eq!(
                got[key], synthetic[key],
                "{name}: {key} differs from the synthetic run"
            );
        }
    }
}
