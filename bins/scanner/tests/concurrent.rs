//! Concurrent scans of one state for consecutive days, as real processes:
//! whatever the interleaving, the state ends exactly as a sequential run
//! ends — with both days (the older committed first) or, when the newer
//! day won the race, with the older one refused by the store (exit 2, one
//! line) and nothing of it written. No trade whose alert was queued is
//! ever missing from the journal.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const DAYS: [&str; 3] = ["2026-08-19", "2026-08-20", "2026-08-21"];

fn market(dir: &Path, until: &str) {
    rally_testkit::synthetic_csv_market(dir, SEED, TICKERS, date(until)).unwrap();
}

/// A state directory holding the prepared models and no database yet.
fn fresh_state() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let models = d.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    for e in std::fs::read_dir(prepared().join("models")).unwrap() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "msgpack") {
            std::fs::copy(e.path(), models.join(e.file_name())).unwrap();
        }
    }
    d
}

fn scan_day(root: &Path, markets: &Path, day: &str) -> Command {
    let mut c = scanner(root);
    c.arg("--tickers")
        .args(TICKERS)
        .args(["--source", &format!("csv:{}", markets.join(day).display())])
        .args([
            "--no-alerts",
            "--json",
            "--now",
            &format!("{day}T21:30:00Z"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The state's content (the migrations table records install times, not
/// state).
fn state_of(root: &Path) -> Dump {
    let mut d = dump(root);
    d.tables.remove("_sqlx_migrations");
    d
}

fn sequential(markets: &Path, days: &[&str]) -> Dump {
    let s = fresh_state();
    for d in days {
        run_ok(scan_day(s.path(), markets, d));
    }
    state_of(s.path())
}

#[test]
fn concurrent_scans_end_as_sequential_scans() {
    let markets = tempfile::tempdir().unwrap();
    for d in DAYS {
        std::fs::create_dir(markets.path().join(d)).unwrap();
        market(&markets.path().join(d), d);
    }
    let all = sequential(markets.path(), &DAYS);
    let without_first = sequential(markets.path(), &DAYS[1..]);
    assert!(!all.rows("closed_trades").is_empty() || !all.rows("positions").is_empty());

    for (trial, offset_ms) in [0u64, 0, 40, 120, 300, 0].into_iter().enumerate() {
        let s = fresh_state();
        // Older day first or newer day first, a few milliseconds apart.
        let (first, second) = if trial % 2 == 0 {
            (DAYS[0], DAYS[1])
        } else {
            (DAYS[1], DAYS[0])
        };
        let a = scan_day(s.path(), markets.path(), first).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(offset_ms));
        let b = scan_day(s.path(), markets.path(), second).spawn().unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let (older, newer) = if first == DAYS[0] { (a, b) } else { (b, a) };
        assert!(
            newer.status.success(),
            "trial {trial}: newer day failed: {}",
            String::from_utf8_lossy(&newer.stderr)
        );
        run_ok(scan_day(s.path(), markets.path(), DAYS[2]));
        let got = state_of(s.path());
        if older.status.success() {
            got.assert_same(&all, &format!("trial {trial} (both days committed)"));
        } else {
            let err = String::from_utf8_lossy(&older.stderr);
            assert_eq!(older.status.code(), Some(2), "trial {trial}: {err}");
            assert!(err.contains("older than"), "trial {trial}: {err}");
            got.assert_same(
                &without_first,
                &format!("trial {trial} (older day refused)"),
            );
        }
    }
}

/// Scans started at the same instant on a state whose database does not
/// exist yet (a timer and a manual run on a fresh install) all succeed: one
/// creates and migrates the store while the others wait for it, one
/// commits the day, the others find it recorded.
#[test]
fn simultaneous_scans_of_a_new_store_all_succeed() {
    let markets = tempfile::tempdir().unwrap();
    let day = DAYS[2];
    std::fs::create_dir(markets.path().join(day)).unwrap();
    market(&markets.path().join(day), day);
    for round in 0..8 {
        let s = fresh_state();
        let runs = (0..5)
            .map(|_| scan_day(s.path(), markets.path(), day))
            .collect();
        scans_at_once_record_the_day_once(runs, &format!("round {round}"));
    }
}
