//! What a new user hits first, through the real binary: a ticker without
//! data, a `csv:` directory that does not exist, flags that mean nothing
//! for a subcommand, and data that are old by the clock.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_ticker_without_data_is_reported_not_a_panic() {
    let state = prepared_copy();
    let market = tempfile::tempdir().unwrap();
    std::fs::write(
        market.path().join("VIX.csv"),
        "Date,Open,High,Low,Close,Adj Close,Volume\n2026-08-21,13,14,12,13,13,0\n",
    )
    .unwrap();
    let mut c = scanner(state.path());
    c.args(["--tickers", "FOOBAR", "--no-alerts", "--now", NOW])
        .args(["--source", &format!("csv:{}", market.path().display())]);
    let out = c.output().unwrap();
    let stdout = text(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(101),
        "panicked: {}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("(none)"), "{stdout}");
    assert!(stdout.contains("FOOBAR: no model"), "{stdout}");
}

#[test]
fn a_missing_csv_directory_says_so() {
    let state = tempfile::tempdir().unwrap();
    let mut c = scanner(state.path());
    c.args([
        "--tickers",
        "SPY",
        "--source",
        "csv:/no/such/market",
        "--now",
        NOW,
    ]);
    let out = c.output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("directory /no/such/market does not exist"),
        "{stderr}"
    );
    assert!(!stderr.contains("VIX.csv"), "{stderr}");
}

#[test]
fn subcommands_offer_only_their_own_flags() {
    let state = tempfile::tempdir().unwrap();
    for args in [
        &["alerts", "test", "--tickers", "SPY"][..],
        &["health", "--source", "yahoo"][..],
        &["health", "--positions"][..],
    ] {
        let out = scanner(state.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} accepted");
        assert!(
            text(&out.stderr).contains("unexpected argument"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = scanner(state.path())
        .args(["--config", "turbo"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("concentrated"),
        "config names listed: {stderr}"
    );
}

#[test]
fn health_says_when_data_are_old_by_the_clock() {
    // Models trained today, on data that ends on `until`.
    let health = |until: &str| {
        let dir = tempfile::tempdir().unwrap();
        let now = "2026-08-24T12:00:00Z";
        let state = rally_pipeline::state::StateDir::new(dir.path());
        train(&state, &tickers()[..2], date(until), now.parse().unwrap());
        let out = scanner(dir.path())
            .args(["health", "--tickers", TICKERS[0], TICKERS[1], "--now", now])
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout))
    };
    let (code, stdout) = health("2026-08-21");
    assert_eq!(code, Some(0), "{stdout}");
    // Fresh models, three-month-old data: not healthy, and said so.
    let (code, stdout) = health("2026-05-20");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("DATA OLD: the newest bar is 2026-05-20"),
        "{stdout}"
    );
}

#[test]
fn temporary_files_of_killed_runs_are_cleaned_at_start() {
    let state = prepared_copy();
    let models = state.path().join("models");
    // Leftovers of a killed process (a pid above Linux's pid_max) and an
    // old `tempfile` export.
    let stale = models.join(".SPY.msgpack.4194400.tmp");
    std::fs::write(&stale, b"half a model").unwrap();
    run_ok(scan_cmd(state.path()));
    if std::path::Path::new("/proc/self").exists() {
        assert!(!stale.exists(), "stale temp file left in place");
    }
    assert!(models.join("SPY.msgpack").exists());
}

#[test]
fn health_names_the_cause_of_an_unavailable_store_and_leaves_foreign_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("customers.db");
    let rt = runtime();
    rt.block_on(async {
        use sqlx::ConnectOptions;
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&foreign)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let before = std::fs::read(&foreign).unwrap();
    let out = scanner(dir.path())
        .env("DATABASE_URL", foreign.display().to_string())
        .args(["health", "--tickers", "SPY", "--now", NOW])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("state store: UNAVAILABLE ("))
        .unwrap_or_else(|| panic!("no cause given:\n{stdout}"));
    assert!(line.contains("customers"), "{line}");
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the foreign file changed"
    );
}
