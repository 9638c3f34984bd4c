//! The scanner on bad input, its `--json` contract, `scanner health` and
//! `scanner auto`.
//!
//! * A universe with a corrupt model, an unreadable CSV, a ticker with only
//!   30 bars and a ticker without a model scans everyone else completely,
//!   lists each problem, and exits 0; a universe where nothing can be
//!   scanned exits non-zero.
//! * Every `--json` document validates against `docs/scan-json-schema.json`
//!   and stdout holds that one document only.
//! * `scanner health` exits 0 with fresh models and 1 with a stale or corrupt
//!   one; `scanner auto` does nothing on a Saturday.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use chrono::{DateTime, Utc};
use rally_data::{Series, Source, SyntheticSource};
use rally_pipeline::state::StateDir;
use serde_json::{Value, json};

use common::schema::{assert_valid, scan_schema, validate};
use common::*;

/// Tickers with a model in the bad-input state (MSFT has none).
const MODELLED: &[&str] = &["SPY", "QQQ", "AAPL", "BTC-USD", "XLE", "MCD"];
/// The scan universe of the bad-input test, problems in the middle.
const UNIVERSE: &[&str] = &["SPY", "QQQ", "AAPL", "MSFT", "BTC-USD", "XLE", "MCD"];
/// What the bad-input scan must rank completely.
const GOOD: &[&str] = &["SPY", "BTC-USD", "MCD"];

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

/// A Yahoo-layout CSV of (the last `last_n` bars of) a series.
fn write_csv(path: &Path, s: &Series, last_n: Option<usize>) {
    let from = last_n.map_or(0, |n| s.len().saturating_sub(n));
    std::fs::write(path, rally_testkit::yahoo_csv(s, from)).unwrap();
}

/// A state dir with models for [`MODELLED`] (QQQ's then overwritten with
/// garbage) and a CSV dir for [`UNIVERSE`] where AAPL's file is garbage and
/// XLE has only its last 30 bars.
struct BadInput {
    state: tempfile::TempDir,
    csv: tempfile::TempDir,
}

fn bad_input() -> BadInput {
    let state = tempfile::tempdir().unwrap();
    let csv = tempfile::tempdir().unwrap();
    train(
        &StateDir::new(state.path()),
        &strings(MODELLED),
        date(LAST_DAY),
        now(),
    );
    std::fs::write(
        state.path().join("models").join("QQQ.msgpack"),
        b"\x00\x01 this is not a model \xff\xfe",
    )
    .unwrap();
    let src = SyntheticSource::new(SEED);
    write_csv(
        &csv.path().join("VIX.csv"),
        &src.load("^VIX").unwrap().series,
        None,
    );
    for t in UNIVERSE {
        let path = csv.path().join(format!("{t}.csv"));
        match *t {
            "AAPL" => std::fs::write(
                &path,
                "<html>rate limited</html>\n\u{1}\u{2}garbage;;;\nmore garbage,,,\n",
            )
            .unwrap(),
            "XLE" => write_csv(&path, &src.load(t).unwrap().series, Some(30)),
            _ => write_csv(&path, &src.load(t).unwrap().series, None),
        }
    }
    BadInput { state, csv }
}

fn csv_scan(b: &BadInput, tickers: &[&str]) -> std::process::Output {
    let mut c = scanner(b.state.path());
    c.arg("--source")
        .arg(format!("csv:{}", b.csv.path().display()))
        .arg("--tickers")
        .args(tickers)
        .args(["--no-alerts", "--positions", "--json"]);
    c.output().unwrap()
}

fn problem<'a>(doc: &'a Value, list: &str, ticker: &str) -> Option<&'a str> {
    doc[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ticker"] == ticker)
        .map(|p| p["reason"].as_str().unwrap())
}

fn ranked(doc: &Value) -> Vec<&str> {
    doc["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ticker"].as_str().unwrap())
        .collect()
}

#[test]
fn bad_input_in_the_middle_of_a_universe_is_listed_not_fatal() {
    let b = bad_input();
    let out = csv_scan(&b, UNIVERSE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let doc = json_of(&out);
    assert_valid(&scan_schema(), &doc, "bad-input scan");
    eprintln!("{doc:#}");

    assert_eq!(
        doc["as_of"], LAST_DAY,
        "freshness is judged against the data"
    );
    assert_eq!(doc["committed"], true);
    assert_eq!(doc["missing_models"], json!(["MSFT"]));

    let corrupt =
        problem(&doc, "corrupt_models", "QQQ").expect("QQQ's model is not listed as corrupt");
    assert!(!corrupt.is_empty());
    assert_eq!(doc["corrupt_models"].as_array().unwrap().len(), 1);

    let aapl = problem(&doc, "data_errors", "AAPL").expect("AAPL's unreadable CSV is not listed");
    let aapl_path = b.csv.path().join("AAPL.csv");
    assert!(
        aapl.contains("AAPL") && aapl.contains(&aapl_path.display().to_string()),
        "the data error must name the ticker and the file: {aapl:?}"
    );

    // The 30-bar ticker cannot be scored: it must be listed as a problem,
    // not silently left out of the ranking.
    let short = problem(&doc, "data_errors", "XLE").or_else(|| problem(&doc, "stale_data", "XLE"));
    assert!(
        short.is_some(),
        "XLE (30 bars) is not listed among data_errors or stale_data; ranking {:?}, scanned {}",
        ranked(&doc),
        doc["scanned"]
    );

    // Everyone else: a complete report.
    let mut r = ranked(&doc);
    r.sort_unstable();
    let mut good = GOOD.to_vec();
    good.sort_unstable();
    assert_eq!(
        r, good,
        "the ranking must hold exactly the scannable tickers"
    );
    assert_eq!(doc["scanned"], GOOD.len());
    assert_eq!(doc["breadth"]["n"], GOOD.len());
    for row in doc["ranking"].as_array().unwrap() {
        assert_eq!(row["date"], LAST_DAY, "{row}");
        assert!(row["p_rally"].as_f64().unwrap().is_finite());
    }
    assert!(doc["equity"].is_object());
    assert!(doc["breadth"]["vix"].is_number());
    // The run's status in the store says it was partial.
    let dump = dump(b.state.path());
    let runs = dump.rows("scan_runs");
    assert_eq!(runs.len(), 1);
    assert!(runs[0].contains("status=\"partial\""), "{runs:?}");
}

#[test]
fn nothing_scannable_exits_non_zero() {
    let b = bad_input();
    let out = csv_scan(&b, &["QQQ", "AAPL", "MSFT"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "nothing could be scanned, yet exit 0"
    );
    let doc = json_of(&out);
    assert_valid(&scan_schema(), &doc, "nothing-scanned run");
    assert_eq!(doc["scanned"], 0);
    assert_eq!(doc["as_of"], Value::Null);
    assert_eq!(doc["committed"], false);
    assert!(problem(&doc, "corrupt_models", "QQQ").is_some());
    assert!(problem(&doc, "data_errors", "AAPL").is_some());
    assert_eq!(doc["missing_models"], json!(["MSFT"]));
}

/// The checker must be able to fail: mutated documents are rejected.
#[test]
fn schema_checker_rejects_wrong_documents() {
    let schema = scan_schema();
    let b = bad_input();
    let doc = json_of(&csv_scan(&b, UNIVERSE));
    assert!(validate(&schema, &doc).is_empty());
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "missing top-level key",
            Box::new(|d| drop(d.as_object_mut().unwrap().remove("ranking"))),
        ),
        ("unknown top-level key", Box::new(|d| d["extra"] = json!(1))),
        ("wrong type", Box::new(|d| d["scanned"] = json!("3"))),
        ("negative count", Box::new(|d| d["scanned"] = json!(-1))),
        ("bad date", Box::new(|d| d["as_of"] = json!("21/08/2026"))),
        (
            "null number in an item",
            Box::new(|d| d["ranking"][0]["p_rally"] = Value::Null),
        ),
        (
            "missing item key",
            Box::new(|d| drop(d["ranking"][0].as_object_mut().unwrap().remove("close"))),
        ),
        (
            "problem without reason",
            Box::new(|d| {
                drop(
                    d["data_errors"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("reason"),
                )
            }),
        ),
        (
            "equity not an object",
            Box::new(|d| d["equity"] = json!([])),
        ),
        (
            "bad vix label",
            Box::new(|d| d["breadth"]["vix_label"] = json!("panic")),
        ),
    ];
    for (what, m) in mutations {
        let mut bad = doc.clone();
        m(&mut bad);
        assert!(
            !validate(&schema, &bad).is_empty(),
            "the checker accepted: {what}"
        );
    }
}

fn health(root: &Path, at: &str) -> std::process::Output {
    let mut c = scanner(root);
    c.args(["health", "--tickers"])
        .args(MODELLED)
        .args(["--now", at]);
    c.output().unwrap()
}

#[test]
fn health_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Models stamped with NOW (the close of the last day).
    train(
        &StateDir::new(root),
        &strings(MODELLED),
        date(LAST_DAY),
        now(),
    );

    let fresh = health(root, "2026-08-24T12:00:00Z");
    let text = String::from_utf8_lossy(&fresh.stdout);
    assert_eq!(
        fresh.status.code(),
        Some(0),
        "fresh models:\n{text}{}",
        String::from_utf8_lossy(&fresh.stderr)
    );

    let mut c = scanner(root);
    c.args(["health", "--tickers"]).args(MODELLED).args([
        "--now",
        "2026-08-24T12:00:00Z",
        "--json",
    ]);
    let j = json_of(&c.output().unwrap());
    assert_eq!(j["models"]["fresh"], MODELLED.len(), "{j:#}");
    assert_eq!(j["state_store_ok"], true, "{j:#}");

    let stale = health(root, "2026-09-20T21:30:00Z");
    assert_eq!(
        stale.status.code(),
        Some(1),
        "stale models:\n{}",
        String::from_utf8_lossy(&stale.stdout)
    );

    std::fs::write(root.join("models").join("XLE.msgpack"), b"garbage").unwrap();
    let corrupt = health(root, "2026-08-24T12:00:00Z");
    let text = String::from_utf8_lossy(&corrupt.stdout);
    assert_eq!(corrupt.status.code(), Some(1), "corrupt model:\n{text}");
    assert!(text.contains("XLE"), "{text}");
}

#[test]
fn auto_on_saturday_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut c = scanner(root);
    // 2026-08-22 is a Saturday.
    c.args(["auto", "--source", SOURCE, "--now", "2026-08-22T21:30:00Z"]);
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.contains("nothing to do"), "{text}");
    // Nothing was trained or scanned.
    assert!(!root.join("models").join("rally.db").exists());
    assert!(StateDir::new(root).model_tickers().is_empty());
}

/// The full example in `docs/scan-json.md` (its first JSON block) is a
/// valid document too.
#[test]
fn documented_example_matches_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/scan-json.md");
    let md = std::fs::read_to_string(path).unwrap();
    let start = md
        .find("```json\n")
        .expect("no JSON example in docs/scan-json.md")
        + 8;
    let end = start + md[start..].find("\n```").unwrap();
    let doc: Value = serde_json::from_str(&md[start..end]).unwrap();
    assert_valid(&scan_schema(), &doc, "docs/scan-json.md example");
    assert!(!doc["positions"].as_array().unwrap().is_empty());
}
