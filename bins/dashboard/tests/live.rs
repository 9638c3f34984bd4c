//! `dashboard --once --live` on its default source, Yahoo, end to end: the
//! real binary against a local stand-in for Yahoo's chart API
//! (`YAHOO_API_BASE`) serving the synthetic market.
//!
//! * Live quotes mark the open positions (the Yahoo source used to abort
//!   the dashboard with "Cannot start a runtime from within a runtime").
//! * When Yahoo hangs, does not know the symbols or fails, the frame still
//!   renders on the stored prices and says, once, why there are no quotes.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use chrono::NaiveDate;
use rally_data::{Source as _, SyntheticSource};
use rally_testkit::{Behaviour, FakeYahoo};

const BIN: &str = env!("CARGO_BIN_EXE_dashboard");
const SEED: u64 = 42;
/// The positions of the filled store.
const HELD: [&str; 3] = ["AAPL", "MSFT", "NVDA"];

fn until() -> NaiveDate {
    common::d(2026, 6, 1)
}

/// `dashboard --once --live` in a directory holding the filled store, with
/// the default source pointed at `yahoo`, no retries, and a request
/// timeout short only where a test needs a hang to end (a loaded CI machine
/// must not turn a slow answer into a failure).
fn run_live(yahoo: &FakeYahoo) -> (tempfile::TempDir, Output) {
    run_live_with(yahoo, "15")
}

fn run_live_with(yahoo: &FakeYahoo, timeout_secs: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(dir.path());
    let out = Command::new(BIN)
        .args(["--once", "--live", "--live-timeout", "30"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("RALLY_SOURCE")
        .env("YAHOO_API_BASE", yahoo.base())
        .env("YAHOO_TIMEOUT_SECS", timeout_secs)
        .env("YAHOO_RETRIES", "0")
        .output()
        .unwrap();
    (dir, out)
}

fn frame_of(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Cannot start a runtime"), "{err}");
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The row of `ticker` in the positions table.
fn position_row<'a>(screen: &'a str, ticker: &str) -> &'a str {
    let start = format!("│{ticker} ");
    screen
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no row of {ticker} in\n{screen}"))
}

/// The text of the `--once` Overview panel, its wrapped lines joined.
fn overview(screen: &str) -> String {
    screen
        .lines()
        .skip_while(|l| !l.contains("Overview"))
        .skip(1)
        .take_while(|l| !l.starts_with('╰'))
        .filter_map(|l| l.split('│').nth(1))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last synthetic close of `ticker` on or before [`until`].
fn last_close(ticker: &str) -> f64 {
    let mut s = SyntheticSource::new(SEED).load(ticker).unwrap().series;
    s.truncate_to(until());
    *s.close.last().unwrap()
}

#[test]
fn live_quotes_from_yahoo_mark_the_positions() {
    let yahoo = FakeYahoo::start(SEED, Some(until())).unwrap();
    let (_dir, out) = run_live(&yahoo);
    let text = frame_of(&out);
    for t in HELD {
        assert_eq!(
            yahoo.count(t),
            1,
            "{t} fetched once: {:?}",
            yahoo.requests()
        );
        let want = format!("{}*", rally_text::price(last_close(t)));
        assert!(
            position_row(&text, t).contains(&want),
            "{t}: {want}\n{text}"
        );
    }
    let panel = overview(&text);
    assert!(panel.contains("live as of"), "{panel}");
    assert!(panel.contains("(yahoo)"), "{panel}");
    assert!(!panel.contains("no quote"), "{panel}");
}

/// Every position's symbol misbehaving the same way: the frame renders on
/// stored prices and names the one reason.
fn unavailable(b: Behaviour, reason: &str) {
    let yahoo = FakeYahoo::start(SEED, Some(until())).unwrap();
    for t in HELD {
        yahoo.set(t, b.clone());
    }
    let timeout = if b == Behaviour::Hang { "1" } else { "15" };
    let (_dir, out) = run_live_with(&yahoo, timeout);
    let text = frame_of(&out);
    let panel = overview(&text);
    assert!(
        panel.contains("live quotes unavailable ("),
        "{b:?}: {panel}"
    );
    assert!(
        panel.contains(&format!(
            "{reason} for AAPL, MSFT, NVDA; stored prices shown"
        )),
        "{b:?}: {panel}"
    );
    // Stored prices, unmarked.
    assert!(position_row(&text, "AAPL").contains("189.90"), "{text}");
    assert!(!position_row(&text, "AAPL").contains('*'), "{text}");
    // One reason, said once.
    assert_eq!(panel.matches(reason).count(), 1, "{panel}");
    assert!(!text.contains("no quote"), "{text}");
}

#[test]
fn hanging_yahoo_leaves_stored_prices_and_says_why() {
    unavailable(
        Behaviour::Hang,
        "yahoo: request timed out (gave up after 1 attempt)",
    );
}

#[test]
fn unknown_symbols_leave_stored_prices_and_say_why() {
    unavailable(
        Behaviour::NotFound,
        "yahoo: HTTP 404: Not Found: No data found, symbol may be delisted",
    );
}

#[test]
fn server_errors_leave_stored_prices_and_say_why() {
    unavailable(
        Behaviour::ServerError,
        "yahoo: HTTP 500 (gave up after 1 attempt)",
    );
}

#[test]
fn one_failing_symbol_is_named_and_the_others_are_live() {
    let yahoo = FakeYahoo::start(SEED, Some(until())).unwrap();
    yahoo.set("MSFT", Behaviour::NotFound);
    let (_dir, out) = run_live(&yahoo);
    let text = frame_of(&out);
    let want = format!("{}*", rally_text::price(last_close("AAPL")));
    assert!(position_row(&text, "AAPL").contains(&want), "{text}");
    assert!(position_row(&text, "MSFT").contains("409.50"), "{text}");
    let panel = overview(&text);
    assert!(panel.contains("live as of"), "{panel}");
    assert!(
        panel.contains(
            "no quote: yahoo: HTTP 404: Not Found: No data found, symbol may be delisted for MSFT"
        ),
        "the failing symbol is named with its cause: {panel}"
    );
}
