//! The scanner's state guarantees, on a real `scanner` process:
//!
//! * idempotence: scanning twice on the same data changes nothing the second
//!   time (no duplicate positions, journal rows, snapshots, signals or outbox
//!   events; byte-identical CSV exports) and the re-run says so;
//! * crash safety: a scan killed at any moment (fault points, random
//!   SIGKILLs) and re-run ends in exactly the state of one uninterrupted run;
//! * the `--json` document of a run with signals, fills, exits and open
//!   positions validates against `docs/scan-json-schema.json`.
//!
//! Every run starts from a copy of the same prepared state (20 trading days
//! replayed through the pipeline library, models retrained weekly) and scans
//! the last day of the synthetic market with a fixed `--now`, so even the
//! wall-clock columns agree.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::schema::{assert_valid, scan_schema};
use common::*;

// ---------------------------------------------------------------- idempotence
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

// ---------------------------------------------------------------- JSON schema

/// stdout is exactly one JSON document, and it validates against the
/// documented schema with every array populated (signals, fills, exits,
/// open and pending positions); so does the re-run's document.
#[test]
fn json_of_a_full_scan_matches_the_schema() {
    let schema = scan_schema();
    let dir = prepared_copy();
    let out = run_ok(scan_cmd(dir.path()));
    let doc = json_of(&out);
    for key in ["signals", "watchlist", "ranking", "positions", "closed"] {
        assert!(
            !doc[key].as_array().unwrap().is_empty(),
            "`{key}` is empty: the schema check would not see its items"
        );
    }
    let statuses: Vec<&str> = doc["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"open") && statuses.contains(&"pending"),
        "{statuses:?}"
    );
    assert_valid(&schema, &doc, "first run");
    let again = json_of(&run_ok(scan_cmd(dir.path())));
    assert_valid(&schema, &again, "re-run");
}

// ---------------------------------------------------------------- crash safety

const LIMIT: Duration = Duration::from_secs(60);

/// The reference: one uninterrupted run from the prepared state, and how
/// long it took.
fn clean() -> &'static (Dump, Duration) {
    static CLEAN: OnceLock<(Dump, Duration)> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let dir = prepared_copy();
        let t0 = Instant::now();
        let out = run_ok(scan_cmd(dir.path()));
        let took = t0.elapsed();
        assert_eq!(json_of(&out)["committed"], true);
        let d = dump(dir.path());
        // The last day must change the trading state, or a lost commit
        // would go unnoticed.
        let before = dump(prepared());
        for t in ["positions", "closed_trades", "signals", "outbox"] {
            assert_ne!(d.rows(t), before.rows(t), "the last day leaves `{t}` alone");
        }
        (d, took)
    })
}

/// Re-run normally after an interruption and compare with the clean run.
fn rerun_and_compare(root: &Path, what: &str) {
    let out = run_ok(scan_cmd(root));
    let v = json_of(&out);
    assert_eq!(v["as_of"], LAST_DAY, "{what}: {v:#}");
    dump(root).assert_same(&clean().0, what);
}

fn fault(point: &str, action: &str) {
    let what = format!("{point}:{action}");
    let dir = prepared_copy();
    let root = dir.path();
    let marker = root.join("fault-reached");
    let mut cmd = scan_cmd(root);
    cmd.env("RALLY_FAULT", &what)
        .env("RALLY_FAULT_MARKER", &marker)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    match action {
        "abort" => {
            let status = wait_timeout(&mut child, LIMIT);
            assert!(!status.success(), "{what}: the scanner did not abort");
        }
        "pause" => {
            let t0 = Instant::now();
            while !marker.exists() {
                if let Some(s) = child.try_wait().unwrap() {
                    panic!("{what}: the scanner exited ({s}) before reaching the point");
                }
                assert!(t0.elapsed() < LIMIT, "{what}: point never reached");
                std::thread::sleep(Duration::from_millis(5));
            }
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
        _ => unreachable!(),
    }
    // What the interruption left: nothing before the commit, the whole
    // commit after it.
    let left = dump(root);
    let (clean_state, _) = clean();
    match point {
        "before-commit" => {
            left.assert_same(&dump(prepared()), &format!("{what}, before the re-run"))
        }
        "after-commit" => assert_eq!(left.tables, clean_state.tables, "{what}: commit incomplete"),
        "after-export" => left.assert_same(clean_state, &format!("{what}, before the re-run")),
        _ => unreachable!(),
    }
    rerun_and_compare(root, &format!("re-run after {what}"));
}

#[test]
fn abort_before_commit() {
    fault("before-commit", "abort");
}

#[test]
fn abort_after_commit() {
    fault("after-commit", "abort");
}

#[test]
fn abort_after_export() {
    fault("after-export", "abort");
}

#[test]
fn kill_paused_before_commit() {
    fault("before-commit", "pause");
}

#[test]
fn kill_paused_after_commit() {
    fault("after-commit", "pause");
}

#[test]
fn kill_paused_after_export() {
    fault("after-export", "pause");
}

/// SplitMix64: a seeded, dependency-free RNG for the kill delays.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SIGKILL at random moments between the start and the typical run time.
#[test]
fn killed_at_random_moments() {
    let (_, typical) = *clean();
    let mut rng = 0x5CA7_0001_u64;
    let mut finished = 0;
    for i in 0..8 {
        let frac = (splitmix(&mut rng) >> 11) as f64 / (1u64 << 53) as f64;
        let delay = typical.mul_f64(frac);
        let dir = prepared_copy();
        let root = dir.path();
        let mut child = scan_cmd(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let killed = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        child.wait().unwrap();
        if !killed {
            finished += 1;
        }
        eprintln!(
            "kill {i}: after {delay:.2?} ({})",
            if killed { "killed" } else { "had finished" }
        );
        rerun_and_compare(root, &format!("re-run after a kill at {delay:?} (#{i})"));
    }
    assert!(finished < 8, "no run was actually interrupted");
}

/// Never a strategy figure without the benchmark: the scan states what
/// buy-and-hold of the same tickers did since the first recorded equity,
/// computed here on its own from the same synthetic market.
#[test]
fn the_scan_states_buy_and_hold_of_the_same_tickers() {
    use rally_data::{Source, SyntheticSource};
    let dir = prepared_copy();
    let doc = json_of(&run_ok(scan_cmd(dir.path())));
    let b = &doc["benchmark"];
    let since: chrono::NaiveDate = b["since"].as_str().unwrap().parse().unwrap();
    let as_of: chrono::NaiveDate = doc["as_of"].as_str().unwrap().parse().unwrap();
    assert!(since < as_of, "{since} {as_of}");
    let src = SyntheticSource::new(common::SEED);
    let scanned: Vec<String> = doc["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ticker"].as_str().unwrap().to_owned())
        .collect();
    let rets: Vec<f64> = scanned
        .iter()
        .map(|t| {
            let s = src.load(t).unwrap().series;
            let i = s.dates.partition_point(|d| *d < since);
            let j = s.dates.partition_point(|d| *d <= as_of) - 1;
            s.close[j] / s.close[i] - 1.0
        })
        .collect();
    let want = rets.iter().sum::<f64>() / rets.len() as f64;
    assert_eq!(b["tickers"].as_u64(), Some(rets.len() as u64));
    assert!(
        (b["buy_hold_return"].as_f64().unwrap() - want).abs() < 1e-12,
        "{b} vs {want}"
    );
    // The exposure-matched benchmark is there too (its machine is tested in
    // rally-pipeline's scan::benchmark and rally-trade).
    assert!(
        b["every_compressed_return"].as_f64().unwrap().is_finite(),
        "{b}"
    );
    // The system over the same dates: equity now against the first
    // recorded equity (the store's own export).
    let csv = std::fs::read_to_string(dir.path().join("models/equity_history.csv")).unwrap();
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with(&since.to_string()), "{first}");
    let e0: f64 = first.split(',').nth(1).unwrap().parse().unwrap();
    let eq = doc["equity"]["equity"].as_f64().unwrap();
    assert!(
        (b["system_return"].as_f64().unwrap() - (eq / e0 - 1.0)).abs() < 1e-12,
        "{b}"
    );
    // Every line's figures on the system's equity dates (the export lists
    // them all, today's included): the returns above are their totals, and
    // the system's drawdown and exposure follow from the export alone.
    let f = &b["figures"];
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(f["dates"].as_u64(), Some(rows.len() as u64), "{f}");
    let mut peak = f64::NEG_INFINITY;
    let mut max_dd = 0.0f64;
    for r in &rows {
        peak = peak.max(r[0]);
        max_dd = max_dd.min(r[0] / peak - 1.0);
    }
    let sys = &f["system"];
    assert!(
        (sys["max_drawdown"].as_f64().unwrap() - max_dd).abs() < 1e-12,
        "{f}"
    );
    let n_open: f64 = rows.iter().map(|r| r[3]).sum();
    let want_exposure = n_open / common::TICKERS.len() as f64 / rows.len() as f64;
    assert!(
        (sys["exposure"].as_f64().unwrap() - want_exposure).abs() < 1e-12,
        "{f}"
    );
    // 21 daily scans over 28 days: just long enough to annualise.
    assert_eq!(f["annualised"], true, "{f}");
    for (line, total) in [
        ("system", "system_return"),
        ("buy_hold", "buy_hold_return"),
        ("every_compressed", "every_compressed_return"),
    ] {
        assert_eq!(f[line]["total_return"], b[total], "{f}");
        for k in ["cagr", "sharpe", "sortino", "exposure"] {
            assert!(
                f[line][k].as_f64().is_some_and(f64::is_finite),
                "{line} {k}: {f}"
            );
        }
        assert!(f[line]["max_drawdown"].as_f64().unwrap() <= 0.0, "{f}");
    }
    // Buy-and-hold is always in the market once each sleeve has started.
    assert!(f["buy_hold"]["exposure"].as_f64().unwrap() > 0.9, "{f}");
    // The text report says it too.
    let mut c = scanner(dir.path());
    c.arg("--tickers").args(common::TICKERS).args([
        "--source",
        common::SOURCE,
        "--no-alerts",
        "--positions",
        "--now",
        common::NOW,
    ]);
    let text = String::from_utf8(run_ok(c).stdout).unwrap();
    assert!(
        text.contains(&format!("since {since} · {} equity dates", rows.len())),
        "{text}"
    );
    for row in [
        "│ total ",
        "│ CAGR ",
        "│ Sharpe ",
        "│ Sortino ",
        "│ max DD ",
        "│ exposure ",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
}
