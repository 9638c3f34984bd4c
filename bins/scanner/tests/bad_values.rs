//! Bad values that are finite, through the real binary on real files: a
//! far-future row, absurd volumes, constant prices, a VIX that stops
//! early, names that are not tickers, and a scan older than the stored
//! state. Each is reported with the ticker and the reason, and none
//! reaches the store.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use rally_data::{Series, SyntheticSource};

use common::*;

fn write_csv(path: &Path, s: &Series) {
    rally_testkit::write_yahoo_csv(path, s).unwrap();
}

/// The synthetic market cut at `until`, as CSV files, VIX included.
fn market(dir: &Path, until: &str) {
    rally_testkit::synthetic_csv_market(dir, SEED, TICKERS, date(until)).unwrap();
}

fn scan_csv(root: &Path, market: &Path, now: &str) -> std::process::Command {
    let mut c = scanner(root);
    c.arg("--tickers")
        .args(TICKERS)
        .args(["--source", &format!("csv:{}", market.display())])
        .args(["--no-alerts", "--json", "--now", now]);
    c
}

fn reasons(v: &serde_json::Value, key: &str, ticker: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ticker"] == ticker)
        .map(|p| p["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_far_future_row_never_becomes_the_as_of_date() {
    let state = prepared_copy();
    let m = tempfile::tempdir().unwrap();
    market(m.path(), LAST_DAY);
    let spy = m.path().join("SPY.csv");
    let mut text = std::fs::read_to_string(&spy).unwrap();
    text.push_str("9999-12-31,500,510,490,505,505,1000000\n");
    std::fs::write(&spy, text).unwrap();

    let got = json_of(&run_ok(scan_csv(state.path(), m.path(), NOW)));
    assert_eq!(got["as_of"], LAST_DAY, "{got:#}");
    assert_eq!(
        got["scanned"],
        TICKERS.len(),
        "nobody marked stale: {}",
        got["stale_data"]
    );
    let why = reasons(&got, "data_repairs", "SPY");
    assert!(
        why.iter().any(|r| r.contains("far-future row 9999-12-31")),
        "{why:?}"
    );
    // Nothing dated after the clock reached the store (the date itself:
    // a figure such as 0.39999999999999997 may well contain "9999").
    let d = dump(state.path());
    assert!(
        d.rows("scan_runs")
            .iter()
            .all(|r| !r.contains("9999-12-31")),
        "{:?}",
        d.rows("scan_runs")
    );
}

#[test]
fn absurd_volumes_constant_prices_and_a_short_vix_are_named() {
    let state = prepared_copy();
    let m = tempfile::tempdir().unwrap();
    market(m.path(), LAST_DAY);
    // AAPL: one 1e308 volume a month ago. GS: the last 60 bars frozen.
    let src = SyntheticSource::new(SEED);
    let mut aapl = src.series("AAPL");
    aapl.truncate_to(date(LAST_DAY));
    let k = aapl.len() - 20;
    aapl.volume[k] = 1e308;
    write_csv(&m.path().join("AAPL.csv"), &aapl);
    let mut gs = src.series("GS");
    gs.truncate_to(date(LAST_DAY));
    let n = gs.len();
    let c = gs.close[n - 61];
    for i in n - 60..n {
        (gs.open[i], gs.high[i], gs.low[i], gs.close[i]) = (c, c, c, c);
    }
    write_csv(&m.path().join("GS.csv"), &gs);
    // The VIX stops three weeks before the scan.
    let mut vix = src.series("^VIX");
    vix.truncate_to(date("2026-07-31"));
    write_csv(&m.path().join("VIX.csv"), &vix);

    let got = json_of(&run_ok(scan_csv(state.path(), m.path(), NOW)));
    let aapl = reasons(&got, "data_repairs", "AAPL");
    assert!(aapl.iter().any(|r| r.contains("absurd volume")), "{got:#}");
    assert!(
        got["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ticker"] == "AAPL")
    );
    let gs = reasons(&got, "data_errors", "GS");
    assert!(gs.iter().any(|r| r.contains("constant price")), "{got:#}");
    let vix = reasons(&got, "stale_data", "^VIX");
    assert!(vix.iter().any(|r| r.contains("2026-07-31")), "{got:#}");
}

#[test]
fn names_that_are_not_tickers_are_each_named() {
    let state = prepared_copy();
    let long = "X".repeat(40);
    let mut c = scanner(state.path());
    c.args([
        "--tickers",
        "SPY",
        "../../etc/passwd",
        "$(id)",
        "ÄÖÜ",
        &long,
        " ",
    ])
    .args(["--source", SOURCE, "--no-alerts", "--json", "--now", NOW]);
    let out = run_ok(c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["../../etc/passwd", "$(id)", "ÄÖÜ", long.as_str()] {
        assert!(
            stderr.contains(&format!("{name:?}")),
            "{name} not named:\n{stderr}"
        );
    }
    assert_eq!(json_of(&out)["scanned"], 1);

    let mut c = scanner(state.path());
    c.args(["--tickers", "$(id)", "--source", SOURCE, "--now", NOW]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("none of the 1 names given is a ticker"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("\u{1b}["),
        "colour codes on a pipe: {stderr:?}"
    );
}

#[test]
fn a_scan_older_than_the_stored_one_is_refused_unless_backfill() {
    let state = prepared_copy();
    run_ok(scan_cmd(state.path()));
    let before = dump(state.path());
    // Data of a day before the replayed weeks, run late: refused, nothing
    // changes (an already-recorded day would be a no-op instead).
    let m = tempfile::tempdir().unwrap();
    market(m.path(), "2026-07-01");
    let out = scan_csv(state.path(), m.path(), "2026-07-01T21:30:00Z")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2026-08-21"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    dump(state.path()).assert_same(&before, "after a refused older scan");

    // An explicit back-fill records it.
    let mut c = scan_csv(state.path(), m.path(), "2026-07-01T21:30:00Z");
    c.arg("--backfill");
    let got = json_of(&run_ok(c));
    assert_eq!(got["as_of"], "2026-07-01");
    assert_eq!(got["committed"], true);
}
