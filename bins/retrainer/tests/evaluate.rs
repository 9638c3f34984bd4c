//! `retrainer evaluate` end to end on the synthetic market: `--json` is one
//! sorted-key document with both families on the same rows, identical for
//! any `--jobs`; `--plot` writes the PNG; the text report says what the
//! figures mean.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn retrainer(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retrainer"));
    c.current_dir(cwd)
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_MODEL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const TICKERS: [&str; 3] = ["SPY", "QQQ", "BTC-USD"];

fn evaluate(cwd: &Path, extra: &[&str]) -> Output {
    let out = retrainer(cwd)
        .args([
            "evaluate",
            "--source",
            "synthetic:42",
            "--no-cache",
            "--tickers",
        ])
        .args(TICKERS)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    out
}

#[test]
fn evaluate_json_has_both_families_and_the_plot_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("charts/reliability.png");
    let run = evaluate(
        dir.path(),
        &["--json", "--jobs", "1", "--plot", png.to_str().unwrap()],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.len() > 1000 && bytes.starts_with(b"\x89PNG"),
        "not a PNG"
    );

    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(doc["tickers"], serde_json::json!(TICKERS));
    assert_eq!(doc["failed"], serde_json::json!([]));
    let fams = doc["families"].as_array().unwrap();
    let names: Vec<&str> = fams.iter().map(|f| f["family"].as_str().unwrap()).collect();
    assert_eq!(names, ["classic", "v2"]);
    for f in fams {
        let per = f["tickers"].as_array().unwrap();
        assert_eq!(per.len(), 3);
        for k in [
            "auc",
            "brier",
            "brier_skill",
            "log_loss",
            "ece",
            "p_extreme_share",
        ] {
            assert!(f["pooled"][k].is_f64(), "{k}: {}", f["pooled"]);
            assert!(f["median"][k].is_f64(), "{k}: {}", f["median"]);
        }
        assert_eq!(f["reliability"].as_array().unwrap().len(), 10);
        let n: u64 = f["reliability"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["n"].as_u64().unwrap())
            .sum();
        assert_eq!(n, f["pooled"]["n"].as_u64().unwrap());
    }
    // The same rows for both families; v2 never says exactly 0 or 1.
    assert_eq!(fams[0]["pooled"]["n"], fams[1]["pooled"]["n"]);
    assert_eq!(fams[1]["pooled"]["p_extreme_share"], 0.0);
    // Keys sorted, so scripts can diff runs.
    let text = String::from_utf8(run.stdout.clone()).unwrap();
    let top: Vec<usize> = ["\"failed\"", "\"families\"", "\"tickers\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(top.windows(2).all(|w| w[0] < w[1]), "{text:.200}");

    // Identical output for another thread count.
    let again = evaluate(dir.path(), &["--json", "--jobs", "2"]);
    assert!(again.stdout == run.stdout, "--jobs 1 and 2 differ");

    // One family only.
    let v2 = evaluate(dir.path(), &["--json", "--model", "v2"]);
    let doc: Value = serde_json::from_slice(&v2.stdout).unwrap();
    assert_eq!(doc["families"].as_array().unwrap().len(), 1);
    assert_eq!(doc["families"][0], fams[1]);
}

#[test]
fn evaluate_text_says_what_the_figures_mean() {
    let dir = tempfile::tempdir().unwrap();
    let run = evaluate(dir.path(), &["--model", "classic,v2"]);
    let text = String::from_utf8(run.stdout).unwrap();
    for want in [
        "classic — per ticker",
        "v2 — per ticker",
        "MEDIAN",
        "POOLED",
        "median Brier skill",
        "Reliability",
        "Brier skill > 0 = better than always saying the training base rate",
        "not a profitable strategy",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
}
