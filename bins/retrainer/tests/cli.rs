//! The retrainer as users run it: the weekly job on the default source
//! (Yahoo, here a local stand-in) announcing itself through the outbox,
//! research commands on tickers without data, the `validate` subcommand
//! and its failures, and the config names it offers.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rally_testkit::{Behaviour, FakeYahoo, Recorder};

fn retrainer(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retrainer"));
    c.current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_NOW")
        .env_remove("WEBHOOK_URL")
        .env_remove("DISCORD_WEBHOOK_URL")
        .env_remove("TELEGRAM_BOT_TOKEN")
        .env_remove("SMTP_HOST")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

const NOW: &str = "2026-08-21T21:30:00Z";

#[test]
fn weekly_job_on_yahoo_trains_and_sends_retrain_complete() {
    let yahoo = FakeYahoo::start(42, Some("2026-08-21".parse().unwrap())).unwrap();
    yahoo.set("XLE", Behaviour::NotFound);
    let hook = Recorder::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .env("YAHOO_TIMEOUT_SECS", "10")
        .env("WEBHOOK_URL", format!("{}/hook/abc", hook.base()))
        .args(["--tickers", "SPY", "BTC-USD", "XLE", "--now", NOW])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("2 trained"), "{stdout}");
    assert!(stdout.contains("failed XLE"), "{stdout}");
    assert!(stdout.contains("No data found"), "{stdout}");

    let got = hook.received();
    assert_eq!(got.len(), 1, "one retrain alert: {got:?}");
    assert_eq!(got[0].path, "/hook/abc");
    assert!(got[0].body.contains("Retrain complete"), "{}", got[0].body);
    // The alert went through the durable outbox: the database records it.
    assert!(dir.path().join("models").join("rally.db").exists());

    // The same run again a minute later skips the fresh models and says so.
    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .args([
            "--tickers",
            "SPY",
            "--no-alerts",
            "--now",
            "2026-08-21T21:31:00Z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(text(&out.stdout).contains("1 skipped"), "{}", show(&out));
    assert_eq!(hook.received().len(), 1, "--no-alerts sends nothing");
}

#[test]
fn walk_forward_auc_reaches_the_retrain_alert() {
    let hook = Recorder::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = retrainer(dir.path())
        .env("WEBHOOK_URL", format!("{}/hook/wf", hook.base()))
        .args(["train", "--walk-forward", "--source", "synthetic:42"])
        .args(["--tickers", "SPY", "--now", NOW])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let got = hook.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].body.contains("Walk-forward AUC"), "{}", got[0].body);
    assert!(
        got[0].body.contains("Walk-forward Brier skill"),
        "{}",
        got[0].body
    );
}

#[test]
fn a_ticker_without_data_is_a_clear_failure_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let market = dir.path().join("market");
    std::fs::create_dir(&market).unwrap();
    std::fs::write(
        market.join("VIX.csv"),
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,13,14,12,13,13,0\n",
    )
    .unwrap();
    let source = format!("csv:{}", market.display());
    let out = retrainer(dir.path())
        .args(["backtest", "--asset", "FOOBAR", "--source", &source])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked: {}", show(&out));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(none)"), "{stdout}");
    assert!(stdout.contains("failed FOOBAR"), "{stdout}");
    assert!(stdout.contains("FOOBAR.csv: no such file"), "{stdout}");
}

#[test]
fn validate_is_a_subcommand_and_a_failed_ticker_shows_and_fails_the_run() {
    let yahoo = FakeYahoo::start(42, None).unwrap();
    yahoo.set("NOPE", Behaviour::NotFound);
    let dir = tempfile::tempdir().unwrap();
    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .args(["validate", "--tickers", "SPY", "NOPE"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let row = stdout
        .lines()
        .find(|l| l.contains("NOPE") && l.contains("FAILED"))
        .unwrap_or_else(|| panic!("no FAILED row for NOPE:\n{stdout}"));
    assert!(row.contains("FAILED"), "{row}");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("SPY") && !l.contains("FAILED")),
        "{stdout}"
    );
    assert!(stdout.contains("NOPE (auto) failed:"), "{stdout}");

    // The old flag spelling is gone; research flags are not train flags.
    let out = retrainer(dir.path()).arg("--validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn config_names_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let out = retrainer(dir.path())
        .args(["backtest", "--run-all", "--config", "turbo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = text(&out.stderr);
    for name in ["baseline", "conservative", "aggressive", "concentrated"] {
        assert!(stderr.contains(name), "{stderr}");
    }
    let help = retrainer(dir.path())
        .args(["backtest", "--help"])
        .output()
        .unwrap();
    assert!(text(&help.stdout).contains("concentrated"));
}

#[test]
fn export_model_v2_writes_the_pooled_fit_and_never_a_p_of_zero_or_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v2");
    let run = retrainer(dir.path())
        .args(["export", "--model", "v2", "--source", "synthetic:42"])
        .args(["--tickers", "SPY", "QQQ", "BTC-USD", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", show(&run));
    let pooled: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("pooled.json")).unwrap()).unwrap();
    let folds = pooled.as_array().unwrap();
    assert!(
        folds
            .iter()
            .any(|f| f["weights"].as_array().is_some_and(|w| w.len() == 22))
    );
    let mut rows = 0;
    for t in ["SPY", "QQQ", "BTC-USD"] {
        let csv = std::fs::read_to_string(out.join(t).join("walkforward.csv")).unwrap();
        for line in csv.lines().skip(1) {
            let p: f64 = line.split(',').nth(2).unwrap().parse().unwrap();
            assert!(p > 0.0 && p < 1.0, "{t}: P {p} in {line}");
            rows += 1;
        }
    }
    assert!(rows > 1000, "{rows} out-of-sample rows");
    // The classic family stays the default.
    let help = retrainer(dir.path())
        .args(["export", "--help"])
        .output()
        .unwrap();
    assert!(
        text(&help.stdout).contains("[default: classic]"),
        "{}",
        text(&help.stdout)
    );
}

#[test]
fn research_commands_take_the_model_family_on_the_default_source() {
    let yahoo = FakeYahoo::start(42, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Comma-separated tickers, as users type them.
    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .args(["backtest", "--model", "v2", "--tickers", "SPY,QQQ,XLE"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stderr.contains("model: v2"), "{stderr}");
    assert!(stdout.contains("P >= fold's 80th pct"), "{stdout}");
    assert!(stdout.contains("PORTFOLIO (3 sleeves)"), "{stdout}");

    // RALLY_MODEL picks the family for optimize: the P column is learned.
    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .env("RALLY_MODEL", "v2")
        .args(["optimize", "--tickers", "SPY", "QQQ"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("learned"), "{stdout}");
    assert!(stdout.contains("grid comp>=0.65"), "{stdout}");
    assert!(!stdout.contains("grid p>="), "{stdout}");

    let out = retrainer(dir.path())
        .env("YAHOO_API_BASE", yahoo.base())
        .args(["validate", "--model", "v2", "--tickers", "SPY"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(text(&out.stderr).contains("model: v2"));
}

#[test]
fn research_reports_are_written_as_self_contained_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bt.html");
    let out = retrainer(dir.path())
        .args([
            "backtest",
            "--source",
            "synthetic:42",
            "--tickers",
            "SPY,QQQ,XLE",
            "--report",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    // The benchmarks, every chart, the trades and the honest note.
    for needle in [
        "Against the benchmarks",
        "every compressed bar",
        "buy &amp; hold",
        "s2-equity-linear",
        "s2-equity-log",
        "Drawdown",
        "Rolling one-year Sharpe",
        "Monthly returns",
        "P(rally) reliability",
        "Trades",
        "not a proven strategy",
        "synthetic:42",
    ] {
        assert!(html.contains(needle), "{needle} missing from the page");
    }
    // Nothing fetched at view time: no script, no link; the only URL is
    // the SVG namespace.
    let rest = html.replace("http://www.w3.org/2000/svg", "");
    assert!(!rest.contains("<script") && !rest.contains("<link") && !rest.contains("://"));
    // The terminal shows the same benchmark rows.
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Against the benchmarks"), "{stdout}");

    // optimize and evaluate write theirs too.
    for (args, needle) in [
        (vec!["optimize", "--tickers", "SPY", "QQQ"], "DSR"),
        (
            vec!["evaluate", "--tickers", "SPY", "QQQ"],
            "How good is P(rally)?",
        ),
    ] {
        let page = dir.path().join(format!("{}.html", args[0]));
        let out = retrainer(dir.path())
            .args(&args)
            .args(["--source", "synthetic:42", "--report"])
            .arg(&page)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", show(&out));
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(html.contains(needle), "{}: {needle}", args[0]);
        assert!(html.contains("<svg"), "{}: a chart", args[0]);
    }
}
