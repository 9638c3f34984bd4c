//! Model v2 live, with the real binaries: `retrainer --model v2` on the
//! default source (Yahoo, a local stand-in) and on the synthetic market,
//! then `scanner` with the family given (`--model v2`) and implied (the
//! family the retrainer trained last): the JSON names the family, uses the
//! pool's thresholds and ranks every P among the training setups; a ticker
//! outside the pool is still scored; the artefacts do not depend on
//! `--jobs`; a corrupt pool is one clear line and the exit code of a scan
//! that scored nothing.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rally_testkit::FakeYahoo;
use serde_json::Value;

const POOLED: &[&str] = &["SPY", "QQQ", "AAPL", "GS", "MCD"];
const DAY: &str = "2026-08-21";
const NOW: &str = "2026-08-21T21:30:00Z";

fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    dir.join(name)
}

fn run(name: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(binary(name));
    c.current_dir(cwd)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_NOW")
        .env_remove("RALLY_MODEL")
        .env_remove("WEBHOOK_URL")
        .env_remove("DISCORD_WEBHOOK_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", show(&out));
    out
}

fn args<'a>(head: &[&'a str], tickers: &[&'a str]) -> Vec<&'a str> {
    let mut a = head.to_vec();
    a.extend_from_slice(&["--now", NOW, "--no-alerts", "--tickers"]);
    a.extend_from_slice(tickers);
    a
}

fn train_v2(cwd: &Path, source: &[&str], env: &[(&str, &str)], jobs: &str) -> String {
    let mut head = vec!["--model", "v2", "--jobs", jobs];
    head.extend_from_slice(source);
    let out = ok(run("retrainer", cwd, &args(&head, POOLED), env));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scan_json(cwd: &Path, head: &[&str], tickers: &[&str], env: &[(&str, &str)]) -> Value {
    let mut h = head.to_vec();
    h.push("--json");
    let out = run("scanner", cwd, &args(&h, tickers), env);
    assert!(out.status.code() == Some(0), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What every v2 scan document says.
fn assert_v2_scan(doc: &Value, scanned: usize) {
    assert_eq!(doc["model_family"], "v2", "{doc}");
    assert_eq!(doc["scanned"], scanned, "{doc}");
    let th = &doc["thresholds"];
    assert_eq!(th["from"], "v2 pool");
    let (entry, watch) = (th["entry"].as_f64().unwrap(), th["watch"].as_f64().unwrap());
    assert!(0.0 < watch && watch < entry && entry < 1.0, "{th}");
    let ranking = doc["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), scanned);
    for r in ranking {
        let p = r["p_rally"].as_f64().unwrap();
        let top = r["setup_top_pct"].as_f64().unwrap();
        assert!(p > 0.0 && p < 1.0, "never a bare 0 or 1: {r}");
        assert!((0.0..=100.0).contains(&top), "{r}");
    }
    // Higher P, better rank.
    for w in ranking.windows(2) {
        assert!(w[0]["setup_top_pct"].as_f64() <= w[1]["setup_top_pct"].as_f64());
    }
    // The watchlist floor is the pool's.
    for r in doc["watchlist"].as_array().unwrap() {
        assert!(r["p_rally"].as_f64().unwrap() >= watch - 1e-9, "{r}");
    }
}

#[test]
fn v2_on_yahoo_then_scans_given_and_implied() {
    let yahoo = FakeYahoo::start(42, Some(DAY.parse().unwrap())).unwrap();
    let env = [
        ("YAHOO_API_BASE", yahoo.base()),
        ("YAHOO_TIMEOUT_SECS", "10"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let text = train_v2(cwd, &[], &env, "2");
    assert!(text.contains("Retrain (v2 models): 5 trained"), "{text}");
    assert!(text.contains("Pool: 5 tickers pooled"), "{text}");
    assert!(cwd.join("models/v2/pool.msgpack").exists());
    for t in POOLED {
        assert!(cwd.join(format!("models/v2/{t}.msgpack")).exists(), "{t}");
    }
    assert!(!cwd.join("models/SPY.msgpack").exists(), "no classic model");

    // Implied: the family trained last. XLE is outside the pool.
    let mut with_new = POOLED.to_vec();
    with_new.push("XLE");
    let doc = scan_json(cwd, &[], &with_new, &env);
    assert_v2_scan(&doc, 6);
    assert_eq!(doc["outside_pool"], serde_json::json!(["XLE"]));
    assert!(
        doc["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ticker"] == "XLE")
    );

    // Given: the text report states the family, the thresholds and ranks.
    let out = ok(run("scanner", cwd, &args(&["--model", "v2"], POOLED), &env));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("— model v2 —"), "{text}");
    assert!(
        text.contains("Thresholds from the v2 pool: entry P >= "),
        "{text}"
    );
    assert!(text.contains("of setups"), "{text}");

    // Health reads the v2 artefacts.
    let out = run("scanner", cwd, &["health", "--now", NOW], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Model health (v2 models)"), "{}", show(&out));
    assert!(text.contains("v2 pool"), "{text}");
    assert!(
        text.contains("6 fresh, 0 stale, 0 missing, 0 corrupt"),
        "{text}"
    );

    // Classic given explicitly: no classic models, nothing scanned.
    let out = run(
        "scanner",
        cwd,
        &args(&["--model", "classic", "--json"], POOLED),
        &env,
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["model_family"], "classic");
    assert_eq!(
        doc["missing_models"].as_array().unwrap().len(),
        POOLED.len()
    );
}

#[test]
fn v2_on_synthetic_with_the_env_and_a_fresh_pool_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let env = [("RALLY_MODEL", "v2")];
    let out = ok(run(
        "retrainer",
        cwd,
        &args(&["--source", "synthetic:42"], POOLED),
        &env,
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Retrain (v2 models): 5 trained"), "{text}");
    let doc = scan_json(cwd, &["--source", "synthetic:42"], POOLED, &[]);
    assert_v2_scan(&doc, 5);
    assert_eq!(doc["outside_pool"], serde_json::json!([]));
    // Fresh: skipped; --force: trained again.
    let out = ok(run(
        "retrainer",
        cwd,
        &args(&["--source", "synthetic:42"], POOLED),
        &env,
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 trained, 5 skipped (fresh)"), "{text}");
    // A ticker the pool lacks makes the pool stale for this universe.
    let mut more = POOLED.to_vec();
    more.push("XLE");
    let out = ok(run(
        "retrainer",
        cwd,
        &args(&["--source", "synthetic:42"], &more),
        &env,
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("6 trained"), "{text}");
}

fn v2_files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("models/v2"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn v2_artefacts_are_the_same_bytes_for_any_jobs() {
    let csv = tempfile::tempdir().unwrap();
    let mut all = POOLED.to_vec();
    all.push("XLE");
    rally_testkit::synthetic_csv_market(csv.path(), 42, &all, DAY.parse().unwrap()).unwrap();
    let source = format!("csv:{}", csv.path().display());
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    train_v2(a.path(), &["--source", &source], &[], "1");
    train_v2(b.path(), &["--source", &source], &[], "2");
    let (fa, fb) = (v2_files(a.path()), v2_files(b.path()));
    assert_eq!(fa.len(), POOLED.len() + 1);
    // Same clock (--now), so the whole files compare, trained_at included.
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        assert!(ba == bb, "{na} differs between --jobs 1 and --jobs 2");
    }
    // And a scan from either gives the same P.
    let da = scan_json(a.path(), &["--source", &source], &all, &[]);
    let db = scan_json(b.path(), &["--source", &source], &all, &[]);
    assert_eq!(da["ranking"], db["ranking"]);
    assert_v2_scan(&da, 6);
}

#[test]
fn a_corrupt_pool_is_one_clear_line_and_nothing_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    train_v2(cwd, &["--source", "synthetic:42"], &[], "2");
    std::fs::write(
        cwd.join("models/v2/pool.msgpack"),
        b"RALLYMDL\x01\0\0\0garbage",
    )
    .unwrap();
    let out = run(
        "scanner",
        cwd,
        &args(&["--source", "synthetic:42"], POOLED),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("pool.msgpack"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("v2 pool:") && lines[0].contains("corrupt model file"),
        "{text}"
    );
    let out = run(
        "scanner",
        cwd,
        &args(&["--source", "synthetic:42", "--json"], POOLED),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["corrupt_models"][0]["ticker"], "v2 pool");
    assert_eq!(doc["scanned"], 0);
    // Health says so too, and fails.
    let out = run("scanner", cwd, &["health", "--now", NOW], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    // The retrainer trains a corrupt pool again, without --force.
    let out = ok(run(
        "retrainer",
        cwd,
        &args(&["--model", "v2", "--source", "synthetic:42"], POOLED),
        &[],
    ));
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 trained"));
}
