//! Crash safety: a scanner killed at any moment and re-run ends in exactly
//! the state of one uninterrupted run (database tables row by row, and the
//! CSV exports byte by byte).
//!
//! Every run starts from a copy of the same prepared state (20 days replayed
//! through the pipeline library) and scans the last day of the synthetic
//! market with a fixed `--now`, so even the wall-clock columns agree.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;

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
