//! Scanning twice on the same data changes nothing the second time: no
//! duplicate positions, journal rows, snapshots, signals or outbox events,
//! byte-identical CSV exports, and the re-run says so (`"committed": false`).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use common::*;

/// The two runs of the same day on a copy of the prepared state.
struct TwoRuns {
    _dir: tempfile::TempDir,
    first: serde_json::Value,
    second: serde_json::Value,
    before_first: Dump,
    after_first: Dump,
    after_second: Dump,
}

fn two_runs() -> TwoRuns {
    let dir = prepared_copy();
    let root = dir.path();
    let before_first = dump(root);
    let t0 = Instant::now();
    let first = json_of(&run_ok(scan_cmd(root)));
    eprintln!("first scan: {:.2?}", t0.elapsed());
    let after_first = dump(root);
    let t0 = Instant::now();
    let second = json_of(&run_ok(scan_cmd(root)));
    eprintln!("second scan: {:.2?}", t0.elapsed());
    let after_second = dump(root);
    TwoRuns {
        _dir: dir,
        first,
        second,
        before_first,
        after_first,
        after_second,
    }
}

#[test]
fn second_scan_of_the_same_day_changes_no_state() {
    let r = two_runs();
    assert_eq!(
        r.before_first.rows("scan_runs").len(),
        REPLAY_DAYS,
        "the replay committed one scan per day"
    );
    assert_eq!(r.first["committed"], true, "{:#}", r.first);
    assert_eq!(r.first["as_of"], LAST_DAY);
    assert_eq!(r.first["scanned"], TICKERS.len());
    assert_ne!(
        r.after_first, r.before_first,
        "the first scan changed nothing"
    );
    assert_eq!(r.after_first.rows("scan_runs").len(), REPLAY_DAYS + 1);

    // The state must hold something for idempotence to protect, and the
    // last day must move it (fills, exits, a new signal).
    let n_pos = r.after_first.rows("positions").len();
    let n_closed = r.after_first.rows("closed_trades").len();
    eprintln!("end state: {n_pos} positions, {n_closed} closed trades");
    assert!(n_pos > 0 && n_closed > 0, "no position or no closed trade");
    assert!(!r.first["signals"].as_array().unwrap().is_empty());
    assert!(!r.first["closed"].as_array().unwrap().is_empty());
    assert!(!r.after_first.rows("outbox").is_empty());
    assert!(r.after_first.csvs.values().all(Option::is_some));

    assert_eq!(r.second["committed"], false, "{:#}", r.second);
    assert_eq!(r.second["as_of"], LAST_DAY);
    r.after_second
        .assert_same(&r.after_first, "second scan of the same day");
}

/// A re-run reports what the store holds for its date: the first run's
/// positions, signals and equity (the trades it closed are not repeated).
#[test]
fn second_scan_of_the_same_day_reports_the_stored_result() {
    let r = two_runs();
    assert_eq!(r.second["committed"], false);
    for key in [
        "as_of",
        "scanned",
        "breadth",
        "ranking",
        "watchlist",
        "positions",
    ] {
        assert_eq!(
            r.second[key], r.first[key],
            "re-run reports another `{key}`"
        );
    }
    assert_eq!(
        r.second["signals"], r.first["signals"],
        "re-run reports other signals than the ones stored for its date"
    );
    assert_eq!(
        r.second["equity"], r.first["equity"],
        "re-run reports another equity than the snapshot stored for its date"
    );
}
