//! Shared helpers of the scanner's integration tests: a prepared state
//! directory (models trained and several days replayed through the pipeline
//! library), running the real `scanner` binary in a state directory, and
//! dumping the state (every table of `models/rally.db` plus the CSV exports)
//! for exact comparisons.
#![allow(clippy::unwrap_used, dead_code)]

pub mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rally_data::{Source, SyntheticSource};
use rally_pipeline::data::DataAccess;
use rally_pipeline::retrain::{RetrainOptions, retrain};
use rally_pipeline::scan::{ScanOptions, run_scan};
use rally_pipeline::state::StateDir;
use rally_store::Store;
use rally_trade::TradeConfig;

/// Seed of the synthetic market every test uses.
pub const SEED: u64 = 42;
/// `--source` of the synthetic market.
pub const SOURCE: &str = "synthetic:42";
/// The small universe of the tests: a few index/crypto names plus names the
/// synthetic market (seed 42) gives trades in the last weeks, so the replay
/// leaves open positions and a journal, and the last day moves them.
pub const TICKERS: &[&str] = &[
    "SPY", "QQQ", "AAPL", "BTC-USD", "XLE", "CVS", "TSLA", "GS", "MCD", "SQ",
];
/// Trading days replayed through the library before the binary's own day.
pub const REPLAY_DAYS: usize = 20;
/// The binary's scan day: the last day of the synthetic history (a Friday).
pub const LAST_DAY: &str = "2026-08-21";
/// `--now` of every binary run (the close of [`LAST_DAY`]).
pub const NOW: &str = "2026-08-21T21:30:00Z";

pub fn tickers() -> Vec<String> {
    TICKERS.iter().map(|s| (*s).to_owned()).collect()
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The simulated scan time of a day (21:30 UTC, after the US close).
pub fn at_close(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(21, 30, 0).unwrap())
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Train the live models of `tickers` into `state` on the synthetic market
/// cut at `until`, stamped `now`.
pub fn train(state: &StateDir, tickers: &[String], until: NaiveDate, now: DateTime<Utc>) {
    let source = SyntheticSource::new(SEED);
    let data = DataAccess {
        source: &source,
        cache: None,
        now,
        until: Some(until),
    };
    let r = retrain(
        state,
        &data,
        tickers,
        &RetrainOptions {
            force: true,
            walk_forward: false,
            now,
        },
        &|_, _, _| {},
    )
    .unwrap();
    assert!(r.failed.is_empty(), "training failed: {:?}", r.failed);
    assert_eq!(r.trained.len(), tickers.len());
}

/// The trading days the library replays: the last [`REPLAY_DAYS`] SPY days
/// before [`LAST_DAY`].
pub fn replay_days() -> Vec<NaiveDate> {
    let cal = SyntheticSource::new(SEED).load("SPY").unwrap().series.dates;
    let last = date(LAST_DAY);
    assert_eq!(
        cal.last().copied(),
        Some(last),
        "synthetic history end moved"
    );
    let before: Vec<NaiveDate> = cal.into_iter().filter(|d| *d < last).collect();
    before[before.len() - REPLAY_DAYS..].to_vec()
}

/// Build a state directory the way the daily timers would have left it the
/// evening before [`LAST_DAY`]: models trained on the first replayed day
/// and retrained weekly, and one committed scan per replayed day.
pub fn build_prepared(root: &Path) {
    let state = StateDir::new(root);
    let source = SyntheticSource::new(SEED);
    let tickers = tickers();
    let cfg = TradeConfig::named("baseline").unwrap();
    let rt = runtime();
    rt.block_on(async {
        let store = Store::open(&state.database_url(false)).await.unwrap();
        for day in replay_days() {
            let now = at_close(day);
            let data = DataAccess {
                source: &source,
                cache: None,
                now,
                until: Some(day),
            };
            retrain(
                &state,
                &data,
                &tickers,
                &RetrainOptions {
                    force: false,
                    walk_forward: false,
                    now,
                },
                &|_, _, _| {},
            )
            .unwrap();
            let opts = ScanOptions {
                config: cfg.clone(),
                now,
                backends: Vec::new(),
                backfill: false,
                model: None,
            };
            let r = run_scan(&state, &store, &data, &tickers, &opts)
                .await
                .unwrap();
            assert!(r.committed, "{day}: replay scan not committed");
            assert_eq!(r.as_of, Some(day));
            assert_eq!(r.scanned, tickers.len(), "{day}: {r:?}");
        }
        store.close().await;
    });
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The prepared state of this test process (built once, shared read-only;
/// tests copy it). It lives in the system temp dir, named by our pid;
/// leftovers of dead test processes are removed.
pub fn prepared() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = std::env::temp_dir();
        if let Ok(rd) = std::fs::read_dir(&tmp) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("rally-scanner-tests-")
                    && pid.parse::<u32>().is_ok_and(|p| !pid_alive(p))
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = tmp.join(format!("rally-scanner-tests-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let t0 = Instant::now();
        build_prepared(&dir);
        eprintln!("prepared state in {:.1?}", t0.elapsed());
        dir
    })
}

/// Recursive copy (the state directory has only files and directories).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// A fresh temp dir holding a copy of the prepared state.
pub fn prepared_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(prepared(), d.path());
    d
}

/// A copy of the prepared state whose database is a fresh PostgreSQL
/// database: the SQLite state moved in with `Store::copy_into` (the move
/// users make with `scanner store migrate`), then deleted, so a scanner
/// that ignored `DATABASE_URL` would not find it. `None` (after one line
/// saying so) when no test server is configured.
pub fn prepared_on_postgres(
    test: &str,
) -> Option<(tempfile::TempDir, rally_testkit::TestDatabase)> {
    let dir = prepared_copy();
    let file = dir.path().join("models").join("rally.db");
    let db = runtime().block_on(async {
        let db = rally_testkit::TestDatabase::create(test).await?;
        let source = Store::open_read_only(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let target = Store::open(&db.url).await.unwrap();
        source.copy_into(&target).await.unwrap();
        source.close().await;
        target.close().await;
        Some(db)
    })?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    Some((dir, db))
}

/// The scanner binary, run in `cwd` with a clean environment: no
/// `DATABASE_URL` (so `models/rally.db` is used), no fault injection, no
/// ambient `RALLY_*` settings.
pub fn scanner(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scanner"));
    c.current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_NOW")
        .env_remove("RALLY_FAULT")
        .env_remove("RALLY_FAULT_MARKER")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

/// `scanner --tickers <TICKERS> --source synthetic:42 --no-alerts
/// --positions --json --now <NOW>`.
pub fn scan_cmd(cwd: &Path) -> Command {
    let mut c = scanner(cwd);
    c.arg("--tickers")
        .args(TICKERS)
        .args(["--source", SOURCE, "--no-alerts", "--positions", "--json"])
        .args(["--now", NOW]);
    c
}

/// Run to completion; panics with stderr unless it exits 0.
pub fn run_ok(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "scanner failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// stdout parsed as exactly one JSON document (nothing before or after).
pub fn json_of(out: &Output) -> serde_json::Value {
    let text = std::str::from_utf8(&out.stdout).unwrap();
    let mut de = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    let v = de
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout: {text:?}"))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"));
    assert!(
        text[de.byte_offset()..].trim().is_empty(),
        "stdout holds more than one JSON document: {:?}",
        &text[de.byte_offset()..]
    );
    v
}

/// The complete persistent state of a run: every table of the database
/// (every column of every row, rows sorted) and the two CSV exports
/// (bytes; `None` when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dump {
    pub tables: BTreeMap<String, Vec<String>>,
    pub csvs: BTreeMap<String, Option<String>>,
}

impl Dump {
    pub fn rows(&self, table: &str) -> &[String] {
        self.tables.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Panics with a readable diff when the two states differ.
    pub fn assert_same(&self, other: &Dump, what: &str) {
        if self == other {
            return;
        }
        let mut msg = format!("{what}: states differ\n");
        let names: std::collections::BTreeSet<&String> =
            self.tables.keys().chain(other.tables.keys()).collect();
        for t in names {
            let (a, b) = (self.rows(t), other.rows(t));
            if a != b {
                msg.push_str(&format!("table {t}:\n"));
                for r in a.iter().filter(|r| !b.contains(r)) {
                    msg.push_str(&format!("  - {r}\n"));
                }
                for r in b.iter().filter(|r| !a.contains(r)) {
                    msg.push_str(&format!("  + {r}\n"));
                }
                if a.len() != b.len() {
                    msg.push_str(&format!("  ({} rows vs {} rows)\n", a.len(), b.len()));
                }
            }
        }
        for (f, a) in &self.csvs {
            let b = other.csvs.get(f).cloned().flatten();
            if a.as_ref() != b.as_ref() {
                msg.push_str(&format!(
                    "csv {f}:\n--- left\n{}\n--- right\n{}\n",
                    a.as_deref().unwrap_or("<absent>"),
                    b.as_deref().unwrap_or("<absent>")
                ));
            }
        }
        panic!("{msg}");
    }
}

/// Dump the state of the state directory `root` (its SQLite database).
pub fn dump(root: &Path) -> Dump {
    let db = root.join("models").join("rally.db");
    assert!(db.exists(), "{} does not exist", db.display());
    dump_db(&format!("sqlite://{}", db.display()), root)
}

/// Dump the state in the database `url`, with the CSV exports of the state
/// directory `root`. The rows are the store's canonical dump, the same
/// text on either backend: a PostgreSQL run compares with a SQLite one.
pub fn dump_db(url: &str, root: &Path) -> Dump {
    let tables = runtime().block_on(async {
        let store = Store::open_read_only(url).await.unwrap();
        let dump = store.dump().await.unwrap();
        store.close().await;
        let mut out = BTreeMap::new();
        for line in dump.lines() {
            let (table, row) = line.split_once(": ").unwrap();
            out.entry(table.to_owned())
                .or_insert_with(Vec::new)
                .push(row.to_owned());
        }
        for table in dump.tables.keys() {
            out.entry((*table).to_owned()).or_default();
        }
        for rows in out.values_mut() {
            rows.sort();
        }
        out
    });
    let mut csvs = BTreeMap::new();
    for f in [rally_store::JOURNAL_CSV, rally_store::EQUITY_CSV] {
        csvs.insert(
            f.to_owned(),
            std::fs::read_to_string(root.join("models").join(f)).ok(),
        );
    }
    Dump { tables, csvs }
}

/// Starts every command at once (stdout and stderr piped), waits for all,
/// and checks what simultaneous scans of one day must end in: every run
/// succeeds and exactly one records the day.
pub fn scans_at_once_record_the_day_once(cmds: Vec<Command>, what: &str) {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdout(Stdio::piped()).stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert!(
            o.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let committed = outs
        .iter()
        .filter(|o| json_of(o)["committed"] == true)
        .count();
    assert_eq!(committed, 1, "{what}: exactly one run records the day");
}

/// Wait for `child` up to `limit`; kills it and panics when it hangs.
pub fn wait_timeout(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scanner did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
