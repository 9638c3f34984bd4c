//! The scanner on its default source, Yahoo, end to end: the real binary
//! against a local server standing in for Yahoo's chart API
//! (`YAHOO_API_BASE`), serving the synthetic market the prepared state was
//! trained on.
//!
//! * A scan from inside the async binary works (it used to abort with
//!   "Cannot start a runtime from within a runtime") and equals the scan of
//!   the same bars from the synthetic source.
//! * A symbol Yahoo does not know, a rate limit (429) and a hanging request
//!   cost only that ticker (or nothing, once the 429 clears), each named.
//! * `scanner auto` on a weekday scans from Yahoo, on a Sunday retrains from it.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use rally_testkit::{Behaviour, FakeYahoo};
use serde_json::Value;

use common::*;

/// The scanner with the default source (no `--source`, no `RALLY_SOURCE`),
/// pointed at `yahoo`, with timeouts short enough that a hang costs seconds
/// and long enough that a loaded machine never times out a real answer.
fn yahoo_scanner(cwd: &std::path::Path, yahoo: &FakeYahoo) -> Command {
    let mut c = scanner(cwd);
    c.env("YAHOO_API_BASE", yahoo.base())
        .env("YAHOO_TIMEOUT_SECS", "3")
        .env("YAHOO_RETRIES", "2");
    c
}

fn tickers_of(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ticker"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn default_source_scan_matches_the_synthetic_scan_and_isolates_failures() {
    let yahoo = FakeYahoo::start(SEED, Some(date(LAST_DAY))).unwrap();
    yahoo.set("GS", Behaviour::NotFound);
    yahoo.set("QQQ", Behaviour::RateLimited(2));
    yahoo.set("MCD", Behaviour::Hang);
    yahoo.set("SQ", Behaviour::ServerError);

    let dir = prepared_copy();
    let mut c = yahoo_scanner(dir.path(), &yahoo);
    c.arg("--tickers")
        .args(TICKERS)
        .args(["--no-alerts", "--positions", "--json", "--now", NOW]);
    let out = run_ok(c);
    let got = json_of(&out);
    assert_eq!(got["source"], "yahoo");
    assert_eq!(got["as_of"], LAST_DAY);

    // GS, MCD and SQ fail, each named with its cause; QQQ got through the 429s.
    let errors = &got["data_errors"];
    let reason = |t: &str| {
        errors
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["ticker"] == t)
            .map(|p| p["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{t} not among the data errors: {errors}"))
    };
    assert!(reason("GS").contains("No data found"), "{}", reason("GS"));
    assert!(reason("MCD").contains("timed out"), "{}", reason("MCD"));
    assert!(reason("SQ").contains("HTTP 500"), "{}", reason("SQ"));
    assert_eq!(errors.as_array().unwrap().len(), 3, "{errors}");
    assert_eq!(yahoo.count("QQQ"), 3, "two 429s, then the bars");
    assert_eq!(yahoo.count("GS"), 1, "a 404 is not retried");
    assert_eq!(got["scanned"], TICKERS.len() - 3);

    // The same scan from the synthetic source, without the failed tickers,
    // ranks and signals exactly alike: Yahoo's JSON carried the bars exactly.
    let dir2 = prepared_copy();
    let ok: Vec<&str> = TICKERS
        .iter()
        .copied()
        .filter(|t| !["GS", "MCD", "SQ"].contains(t))
        .collect();
    let mut c = scanner(dir2.path());
    c.arg("--tickers").args(&ok).args([
        "--source",
        SOURCE,
        "--no-alerts",
        "--positions",
        "--json",
        "--now",
        NOW,
    ]);
    let want = json_of(&run_ok(c));
    for key in ["ranking", "signals", "watchlist", "breadth"] {
        assert_eq!(
            got[key], want[key],
            "{key} differs between yahoo and synthetic"
        );
    }
    assert_eq!(tickers_of(&got, "ranking").len(), ok.len());
}

#[test]
fn a_vix_rate_limit_that_never_clears_is_a_clear_failure() {
    let yahoo = FakeYahoo::start(SEED, Some(date(LAST_DAY))).unwrap();
    yahoo.set("^VIX", Behaviour::AlwaysRateLimited);
    let dir = prepared_copy();
    let mut c = yahoo_scanner(dir.path(), &yahoo);
    c.args(["--tickers", "SPY", "--no-alerts", "--now", NOW]);
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(101), "panicked: {stderr}");
    assert!(stderr.contains("^VIX"), "{stderr}");
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert_eq!(yahoo.count("^VIX"), 3, "first try and two retries");
}

#[test]
fn auto_scans_from_yahoo_on_a_weekday_and_retrains_on_sunday() {
    let yahoo = FakeYahoo::start(SEED, Some(date(LAST_DAY))).unwrap();
    let dir = prepared_copy();
    // 2026-08-21 is a Friday: the daily scan.
    let mut c = yahoo_scanner(dir.path(), &yahoo);
    c.args(["auto", "--tickers", "SPY", "AAPL", "--now", NOW]);
    let out = run_ok(c);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(LAST_DAY), "{text}");
    assert!(yahoo.count("SPY") >= 1 && yahoo.count("^VIX") >= 1);

    // Sunday: a retrain (models older than a week are trained again).
    let fresh = tempfile::tempdir().unwrap();
    let mut c = yahoo_scanner(fresh.path(), &yahoo);
    c.args(["auto", "--tickers", "SPY", "--now", "2026-08-23T23:00:00Z"]);
    let out = run_ok(c);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 trained"), "{text}");
    let state = rally_pipeline::state::StateDir::new(fresh.path());
    assert_eq!(state.model_tickers(), ["SPY"]);
}
