//! The scanner's state guarantees with `DATABASE_URL=postgres://…`, on real
//! `scanner` processes and a real PostgreSQL server
//! (`RALLY_TEST_POSTGRES_URL`; each test says so and returns when unset).
//! Every run is held against the same run on SQLite: no difference a user
//! can see.
//!
//! * On the default source (a local Yahoo stand-in), a scan ends in exactly
//!   the state the SQLite scan ends in, and a second scan changes nothing.
//! * A scan killed before or after its commit, or at a random moment, and
//!   run again ends in the state of one uninterrupted run.
//! * Scanners started at the same instant: one records the day, the others
//!   find it recorded; never a double commit.
//! * Alerts are delivered once, and never again after a recorded success.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rally_testkit::{FakeYahoo, TestDatabase};

use common::*;

/// `scanner` on the default source (the Yahoo stand-in), on the database `url`.
fn scan_on(root: &std::path::Path, url: &str, yahoo: &FakeYahoo) -> Command {
    let mut c = scanner(root);
    c.env("DATABASE_URL", url)
        .env("YAHOO_API_BASE", yahoo.base())
        .env("YAHOO_TIMEOUT_SECS", "10")
        .arg("--tickers")
        .args(TICKERS)
        .args(["--no-alerts", "--positions", "--json", "--now", NOW]);
    c
}

fn yahoo() -> &'static FakeYahoo {
    static YAHOO: OnceLock<FakeYahoo> = OnceLock::new();
    YAHOO.get_or_init(|| FakeYahoo::start(SEED, Some(date(LAST_DAY))).unwrap())
}

/// The reference: the same scan on the SQLite state, and how long it took.
fn on_sqlite() -> &'static (Dump, Duration) {
    static CLEAN: OnceLock<(Dump, Duration)> = OnceLock::new();
    CLEAN.get_or_init(|| {
        let dir = prepared_copy();
        let url = format!("sqlite://{}", dir.path().join("models/rally.db").display());
        let t0 = Instant::now();
        run_ok(scan_on(dir.path(), &url, yahoo()));
        let took = t0.elapsed();
        (dump(dir.path()), took)
    })
}

fn pg_state(test: &str) -> Option<(tempfile::TempDir, TestDatabase)> {
    prepared_on_postgres(test)
}

#[test]
fn a_scan_on_postgres_ends_as_on_sqlite_and_a_rerun_changes_nothing() {
    let Some((dir, db)) = pg_state("a_scan_on_postgres_ends_as_on_sqlite") else {
        return;
    };
    let root = dir.path();
    let before = dump_db(&db.url, root);
    let first = json_of(&run_ok(scan_on(root, &db.url, yahoo())));
    assert_eq!(first["committed"], true);
    assert_eq!(first["source"], "yahoo");
    let after = dump_db(&db.url, root);
    assert_ne!(after.tables, before.tables, "the scan changed the state");
    after.assert_same(&on_sqlite().0, "PostgreSQL scan vs SQLite scan");
    assert!(
        !root.join("models/rally.db").exists(),
        "no SQLite file was made"
    );

    let second = json_of(&run_ok(scan_on(root, &db.url, yahoo())));
    assert_eq!(second["committed"], false);
    dump_db(&db.url, root).assert_same(&after, "second scan of the same day");
}

#[test]
fn killed_scans_on_postgres_end_as_one_uninterrupted_run() {
    let (reference, typical) = on_sqlite();
    let mut cases: Vec<(String, Option<Duration>)> = ["before-commit", "after-commit"]
        .iter()
        .map(|p| (format!("{p}:pause"), None))
        .collect();
    for frac in [0.3, 0.6, 0.9] {
        cases.push(("random".into(), Some(typical.mul_f64(frac))));
    }
    for (what, delay) in cases {
        let Some((dir, db)) = pg_state("killed_scans_on_postgres") else {
            return;
        };
        let root = dir.path();
        let marker = root.join("fault-reached");
        let mut cmd = scan_on(root, &db.url, yahoo());
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        if delay.is_none() {
            cmd.env("RALLY_FAULT", &what)
                .env("RALLY_FAULT_MARKER", &marker);
        }
        let mut child = cmd.spawn().unwrap();
        match delay {
            Some(d) => std::thread::sleep(d),
            None => {
                let t0 = Instant::now();
                while !marker.exists() {
                    assert!(child.try_wait().unwrap().is_none(), "{what}: exited early");
                    assert!(
                        t0.elapsed() < Duration::from_secs(60),
                        "{what}: never reached"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        let _ = child.kill();
        child.wait().unwrap();
        run_ok(scan_on(root, &db.url, yahoo()));
        dump_db(&db.url, root).assert_same(
            reference,
            &format!("re-run after a kill ({what} {delay:?})"),
        );
    }
}

#[test]
fn scanners_started_at_once_on_postgres_record_the_day_once() {
    let (reference, _) = on_sqlite();
    for round in 0..3 {
        let Some((dir, db)) = pg_state("scanners_started_at_once_on_postgres") else {
            return;
        };
        let root = dir.path();
        let runs = (0..4).map(|_| scan_on(root, &db.url, yahoo())).collect();
        scans_at_once_record_the_day_once(runs, &format!("round {round}"));
        dump_db(&db.url, root).assert_same(reference, &format!("round {round}"));
    }
}

/// `scanner store migrate` moves a SQLite state into PostgreSQL: row counts
/// and contents equal, the source untouched, a second move refused.
#[test]
fn store_migrate_moves_a_state_into_postgres() {
    let Some(db) = runtime().block_on(TestDatabase::create("store_migrate_moves_a_state")) else {
        return;
    };
    let dir = prepared_copy();
    let root = dir.path();
    run_ok(scan_on(
        root,
        &format!("sqlite://{}", root.join("models/rally.db").display()),
        yahoo(),
    ));
    let source = dump(root);
    let secret_url = db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let out = run_ok({
        let mut c = scanner(root);
        c.args(["store", "migrate", "--to", &secret_url]);
        c
    });
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("hunter2"), "{text}");
    for (table, rows) in &source.tables {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{table} ")));
        let line = line.unwrap_or_else(|| panic!("{table} missing from:\n{text}"));
        assert!(line.contains(&format!(" {} rows", rows.len())), "{line}");
    }
    dump_db(&db.url, root).assert_same(&source, "moved state");
    dump(root).assert_same(&source, "the source is left as it was");
    // Once there is a state, a second move is refused with one line.
    let again = scanner(root)
        .args(["store", "migrate", "--to", &secret_url])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("already holds a state") && !err.contains("hunter2"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Alerts on PostgreSQL: a scan with a webhook delivers each of its events
/// once and records the success; a re-run of the day sends nothing again
/// and changes no outbox row.
#[test]
fn alerts_are_delivered_once_and_never_again_on_postgres() {
    let Some((dir, db)) = pg_state("alerts_are_delivered_once_on_postgres") else {
        return;
    };
    let root = dir.path();
    let hook = rally_testkit::Recorder::start().unwrap();
    let with_alerts = |url: &str| {
        let mut c = scanner(root);
        c.env("DATABASE_URL", url)
            .env("YAHOO_API_BASE", yahoo().base())
            .env("WEBHOOK_URL", format!("{}/hook", hook.base()))
            .arg("--tickers")
            .args(TICKERS)
            .args(["--positions", "--json", "--now", NOW]);
        c
    };
    run_ok(with_alerts(&db.url));
    let sent = hook.received().len();
    assert!(sent >= 1, "the scan's alerts reached the webhook");
    let state = dump_db(&db.url, root);
    let delivered = state
        .rows("outbox_delivery")
        .iter()
        .filter(|r| r.contains("status=\"delivered\""))
        .count();
    assert!(delivered >= 1, "{:?}", state.rows("outbox_delivery"));
    assert!(
        state
            .rows("outbox_delivery")
            .iter()
            .all(|r| r.contains("status=\"delivered\"")),
        "{:?}",
        state.rows("outbox_delivery")
    );
    run_ok(with_alerts(&db.url));
    assert_eq!(hook.received().len(), sent, "a re-run sends nothing again");
    let again = dump_db(&db.url, root);
    assert_eq!(again.rows("outbox"), state.rows("outbox"));
    assert_eq!(again.rows("outbox_delivery"), state.rows("outbox_delivery"));
}
