//! `retrainer evaluate` against MODEL-V2.md's reference figures: classic
//! and v2 over the 38 shared tickers (the v2 pool), per ticker (labelled
//! rows, AUC, Brier skill, ECE of `model-v2-reference.csv`, within 1e-4:
//! the P of both models agree with the references to ~1e-6, far inside
//! that) and the medians / pooled figures of MODEL-V2.md's table to its
//! printed precision (and the table's own summary lines within 1e-4).
//!
//! Market data from `$RALLY_SHARED_DATA` / `$RALLY_DATA_DIR` (default
//! `../shared/data/market`), the reference table from `$RALLY_SPEC_DIR`
//! (default `../shared/spec`); without them the test says so and passes.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use rally_data::CsvSource;
use rally_golden::{data_dir, spec_dir};
use rally_research::evaluate::{Family, FamilyEval, evaluate_source};

/// Per-ticker tolerance on AUC, Brier skill and ECE.
const TOL: f64 = 1e-4;

struct RefRow {
    ticker: String,
    rows: usize,
    /// classic AUC, BSS, ECE, then v2 AUC, BSS, ECE.
    vals: [f64; 6],
}

fn reference(text: &str) -> Vec<RefRow> {
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let cols = [
        "classic_auc",
        "classic_bss",
        "classic_ece",
        "v2_auc",
        "v2_bss",
        "v2_ece",
    ]
    .map(col);
    let (ct, cr) = (col("ticker"), col("rows"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            RefRow {
                ticker: f[ct].to_owned(),
                rows: f[cr].parse().unwrap(),
                vals: cols.map(|c| f[c].parse().unwrap()),
            }
        })
        .collect()
}

/// The summary comment of a family in the reference table (`# v2: median
/// AUC 0.621598, median BSS 0.023807, ..., rows 175651`) as name -> value.
fn summary_line(text: &str, family: &str) -> Vec<(String, f64)> {
    let prefix = format!("# {family}: ");
    let Some(line) = text.lines().find_map(|l| l.strip_prefix(prefix.as_str())) else {
        return Vec::new();
    };
    line.split(", ")
        .filter_map(|part| {
            let (name, v) = part.rsplit_once(' ')?;
            Some((name.to_owned(), v.parse().ok()?))
        })
        .collect()
}

fn check_summary_line(f: &FamilyEval, text: &str, bad: &mut Vec<String>) {
    let name = f.family.as_str();
    let line = summary_line(text, name);
    if line.is_empty() {
        eprintln!("note: no `# {name}:` summary line in the reference table");
    }
    for (what, want) in line {
        let got = match what.as_str() {
            "median AUC" => f.median.auc,
            "median BSS" => f.median.brier_skill,
            "median ECE" => f.median.ece,
            "pooled AUC" => f.pooled.auc,
            "pooled ECE" => f.pooled.ece,
            "rows" => Some(f.pooled.n as f64),
            _ => continue,
        }
        .unwrap();
        if (got - want).abs() > TOL {
            bad.push(format!("{name} {what}: {got:.6} vs reference {want:.6}"));
        }
    }
}

/// `x` printed with 3 decimals is `want` (MODEL-V2.md's table).
fn printed(x: Option<f64>, want: &str, what: &str, bad: &mut Vec<String>) {
    let got = format!("{:.3}", x.unwrap());
    if got != want {
        bad.push(format!("{what}: {got} vs MODEL-V2.md {want}"));
    }
}

fn check_summary(f: &FamilyEval, want: [&str; 4], bad: &mut Vec<String>) {
    let name = f.family.as_str();
    printed(f.median.auc, want[0], &format!("{name} median AUC"), bad);
    printed(
        f.median.brier_skill,
        want[1],
        &format!("{name} median Brier skill"),
        bad,
    );
    printed(f.median.ece, want[2], &format!("{name} median ECE"), bad);
    printed(f.pooled.auc, want[3], &format!("{name} pooled AUC"), bad);
}

#[test]
fn evaluation_matches_model_v2_reference() {
    let (Some(data), Some(spec)) = (
        data_dir("evaluation_matches_model_v2_reference"),
        spec_dir("evaluation_matches_model_v2_reference"),
    ) else {
        return;
    };
    let path = spec.join("model-v2-reference.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIP evaluation_matches_model_v2_reference: {} is absent",
            path.display()
        );
        return;
    };
    let want = reference(&text);
    assert_eq!(want.len(), 38, "the reference pool is 38 tickers");
    let tickers: Vec<String> = want.iter().map(|r| r.ticker.clone()).collect();
    let t0 = Instant::now();
    let ev = evaluate_source(
        &CsvSource::new(&data),
        &tickers,
        &[Family::Classic, Family::V2],
        rally_trade::TradeConfig::baseline().comp_threshold,
    )
    .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert!(ev.failed.is_empty(), "{:?}", ev.failed);
    assert_eq!(ev.tickers, tickers);
    let (classic, v2) = (&ev.families[0], &ev.families[1]);
    assert_eq!((classic.family, v2.family), (Family::Classic, Family::V2));

    let mut bad = Vec::new();
    let mut worst = [0f64; 6];
    for (k, r) in want.iter().enumerate() {
        let (c, v) = (&classic.tickers[k].metrics, &v2.tickers[k].metrics);
        if c.n != r.rows || v.n != r.rows {
            bad.push(format!(
                "{}: rows {} / {} vs {}",
                r.ticker, c.n, v.n, r.rows
            ));
        }
        let got = [c.auc, c.brier_skill, c.ece, v.auc, v.brier_skill, v.ece].map(|x| x.unwrap());
        for j in 0..6 {
            let d = (got[j] - r.vals[j]).abs();
            worst[j] = worst[j].max(d);
            if d > TOL {
                bad.push(format!(
                    "{} column {j}: {:.6} vs reference {:.6}",
                    r.ticker, got[j], r.vals[j]
                ));
            }
        }
    }
    check_summary(classic, ["0.564", "-0.083", "0.095", "0.588"], &mut bad);
    check_summary(v2, ["0.622", "0.024", "0.037", "0.630"], &mut bad);
    check_summary_line(classic, &text, &mut bad);
    check_summary_line(v2, &text, &mut bad);
    // Classic's step-function P: ~10% of rows exactly 0 or 1; v2 none.
    let share = classic.pooled.p_extreme_share.unwrap();
    if !(0.05..0.15).contains(&share) {
        bad.push(format!("classic share of P in {{0,1}} {share}"));
    }
    if v2.pooled.p_extreme_share != Some(0.0) {
        bad.push(format!(
            "v2 share of P in {{0,1}} {:?}",
            v2.pooled.p_extreme_share
        ));
    }
    let worst: Vec<String> = worst.iter().map(|d| format!("{d:.1e}")).collect();
    println!(
        "evaluate: 38 tickers, {} rows per family, {secs:.1}s; worst |diff| vs reference \
         (classic AUC, BSS, ECE, v2 AUC, BSS, ECE): {}",
        classic.pooled.n,
        worst.join(" ")
    );
    assert!(
        bad.is_empty(),
        "{} differences:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
