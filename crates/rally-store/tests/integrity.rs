//! The store never loses, poisons or leaks state: optimistic concurrency of
//! scan commits, refusal of foreign databases, read-only opening, and error
//! messages that say their cause once. Real SQLite files in temporary
//! directories; concurrency through separate pools and separate processes.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rally_store::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).unwrap()
}

fn db_path(dir: &tempfile::TempDir) -> String {
    dir.path().join("models/rally.db").display().to_string()
}

fn position(ticker: &str, as_of: &str) -> PositionRow {
    PositionRow {
        ticker: ticker.into(),
        state_json: format!(r#"{{"ticker":"{ticker}"}}"#),
        signal_date: d("2024-04-29"),
        entry_date: Some(d("2024-04-30")),
        entry_fill: Some(100.0),
        shares: Some(10.0),
        size: 0.1,
        stop: 95.0,
        target: 115.0,
        p_rally: 0.6,
        last_price: 101.0,
        last_date: d(as_of),
        bars_held: 1,
        updated_as_of: d(as_of),
    }
}

fn closed(ticker: &str, as_of: &str) -> ClosedTradeRow {
    ClosedTradeRow {
        ticker: ticker.into(),
        signal_date: d("2024-04-01"),
        entry_date: d("2024-04-02"),
        exit_date: d(as_of),
        entry_fill: 50.0,
        exit_price: 55.0,
        stop: 47.0,
        target: 56.0,
        size: 0.1,
        shares: 20.0,
        p_rally: 0.7,
        reason: "target".into(),
        bars_held: 5,
        trade_return: 0.1,
        pnl: 100.0,
    }
}

/// A scan of `as_of` computed from the state of scan `base`, holding
/// `tickers` open and closing `closes`.
fn scan(as_of: &str, _base: Option<&str>, tickers: &[&str], closes: &[&str]) -> ScanCommit {
    ScanCommit {
        as_of: d(as_of),
        started_at: t(21),
        finished_at: t(22),
        n_scanned: 3,
        status: "ok".into(),
        positions: tickers.iter().map(|x| position(x, as_of)).collect(),
        closed_trades: closes.iter().map(|x| closed(x, as_of)).collect(),
        equity: Some(EquitySnapshot {
            date: d(as_of),
            equity: 100_000.0,
            cash: 90_000.0,
            exposure: 10_000.0,
            n_open: tickers.len() as i64,
        }),
        signals: Vec::new(),
        events: vec![NewOutboxEvent {
            dedupe_key: format!("signals:{as_of}"),
            kind: "signals".into(),
            payload_json: "{}".into(),
        }],
        summary_json: None,
        backends: vec!["discord".into()],
    }
}

/// How often `needle` occurs in `hay`.
fn occurrences(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn sqlite_error_text_appears_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&db_path(&dir)).await.unwrap();
    // NaN binds as NULL: the NOT NULL constraint of `positions.size` fails.
    let mut bad = scan("2024-05-01", None, &["AAPL"], &[]);
    bad.positions[0].size = f64::NAN;
    let err = store.commit_scan(&bad).await.unwrap_err();
    let plain = err.to_string();
    let chained = format!("{:#}", anyhow::Error::from(err));
    assert_eq!(occurrences(&plain, "NOT NULL constraint failed"), 1, "{plain}");
    assert_eq!(
        occurrences(&chained, "NOT NULL constraint failed"),
        1,
        "{chained}"
    );
}

#[tokio::test]
async fn io_error_text_appears_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&db_path(&dir)).await.unwrap();
    // A regular file where the export directory should be.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let err = store
        .export_journal_csv(&blocker.join("journal.csv"))
        .await
        .unwrap_err();
    let chained = format!("{:#}", anyhow::Error::from(err));
    assert!(chained.contains("blocker"), "{chained}");
    assert_eq!(occurrences(&chained, "os error"), 1, "{chained}");
}
