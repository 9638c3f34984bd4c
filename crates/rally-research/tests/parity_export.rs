//! End-to-end parity: `export_all` on the golden inputs writes files that
//! match every golden file at the tolerances of `../shared/golden/README.md`.
//! Inputs from `$RALLY_DATA_DIR`, references from `$RALLY_GOLDEN_DIR`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;

use rally_data::CsvSource;
use rally_golden::{Table, abs_diff, data_dir, golden_dir, read_json, rel_diff, tickers};
use rally_trade::TradeConfig;
use serde_json::Value;

#[derive(Default)]
struct Report {
    failures: Vec<String>,
}

impl Report {
    fn fail(&mut self, msg: String) {
        if self.failures.len() < 200 {
            self.failures.push(msg);
        }
    }
}

/// Compare two JSON values: numbers by `rel_diff <= tol`, everything else exactly.
fn json_cmp(path: &str, ours: &Value, gold: &Value, tol: f64, worst: &mut f64, r: &mut Report) {
    match (ours, gold) {
        (Value::Number(a), Value::Number(b)) => {
            let d = rel_diff(a.as_f64().unwrap(), b.as_f64().unwrap());
            *worst = worst.max(d);
            if d > tol {
                r.fail(format!("{path}: ours {a} golden {b} (rel {d:.2e})"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                r.fail(format!("{path}: length {} vs golden {}", a.len(), b.len()));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                json_cmp(&format!("{path}[{i}]"), x, y, tol, worst, r);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<_> = a.keys().collect();
            let mut kb: Vec<_> = b.keys().collect();
            ka.sort();
            kb.sort();
            if ka != kb {
                r.fail(format!("{path}: keys {ka:?} vs golden {kb:?}"));
                return;
            }
            for k in ka {
                json_cmp(&format!("{path}.{k}"), &a[k], &b[k], tol, worst, r);
            }
        }
        (a, b) if a == b => {}
        (a, b) => r.fail(format!("{path}: ours {a} golden {b}")),
    }
}

/// Compare CSV columns: `exact` columns as strings, `num` columns with `tol`.
fn csv_cmp(
    what: &str,
    ours: &Path,
    gold: &Path,
    exact: &[&str],
    num: &[(&str, f64, bool)],
    r: &mut Report,
) -> f64 {
    let (a, b) = (Table::read(ours), Table::read(gold));
    if a.header != b.header {
        r.fail(format!(
            "{what}: header {:?} vs golden {:?}",
            a.header, b.header
        ));
        return f64::INFINITY;
    }
    if a.len() != b.len() {
        r.fail(format!("{what}: {} rows vs golden {}", a.len(), b.len()));
        return f64::INFINITY;
    }
    for c in exact {
        if let Some(i) = a
            .str_col(c)
            .iter()
            .zip(b.str_col(c))
            .position(|(x, y)| *x != y)
        {
            r.fail(format!(
                "{what}: column {c} row {i}: {:?} vs golden {:?}",
                a.str_col(c)[i],
                b.str_col(c)[i]
            ));
        }
    }
    let mut worst = 0.0f64;
    for (c, tol, relative) in num {
        for (i, (x, y)) in a.f64_col(c).iter().zip(b.f64_col(c)).enumerate() {
            let d = if *relative {
                rel_diff(*x, y)
            } else {
                abs_diff(*x, y)
            };
            worst = worst.max(d);
            if d > *tol {
                r.fail(format!(
                    "{what}: column {c} row {i}: {x:e} vs golden {y:e} (diff {d:.2e})"
                ));
                break;
            }
        }
    }
    worst
}

#[test]
fn export_matches_golden() {
    let (Some(golden), Some(data)) = (
        golden_dir("export_matches_golden"),
        data_dir("export_matches_golden"),
    ) else {
        return;
    };
    let names = tickers(&golden);
    let out = tempfile::tempdir().unwrap();
    let report = rally_research::export::export_all(
        &CsvSource::new(&data),
        &names,
        out.path(),
        &TradeConfig::baseline(),
    )
    .unwrap();
    let mut r = Report::default();
    for (t, e) in &report.failed {
        r.fail(format!("{t}: export failed: {e}"));
    }
    let hmm_cols: Vec<(&str, f64, bool)> = ["hmm_p_low", "hmm_p_high", "hmm_age"]
        .iter()
        .map(|c| (*c, 1e-6, false))
        .collect();
    let mut wf_rows = (0usize, 0usize, 0.0f64);
    for t in &report.analysed {
        let (o, g) = (out.path().join(t), golden.join(t));
        let mut w = [0.0f64; 8];
        w[0] = csv_cmp(
            &format!("{t}/features.csv hmm"),
            &o.join("features.csv"),
            &g.join("features.csv"),
            &["date"],
            &hmm_cols,
            &mut r,
        );
        let (oh, gh) = (
            read_json(&o.join("hmm.json")),
            read_json(&g.join("hmm.json")),
        );
        if oh["n_iter"] != gh["n_iter"] {
            r.fail(format!(
                "{t}/hmm.json n_iter {} vs golden {}",
                oh["n_iter"], gh["n_iter"]
            ));
        }
        json_cmp(&format!("{t}/hmm.json"), &oh, &gh, 1e-6, &mut w[1], &mut r);
        json_cmp(
            &format!("{t}/model.json"),
            &read_json(&o.join("model.json")),
            &read_json(&g.join("model.json")),
            1e-5,
            &mut w[2],
            &mut r,
        );
        json_cmp(
            &format!("{t}/folds.json"),
            &read_json(&o.join("folds.json")),
            &read_json(&g.join("folds.json")),
            1e-5,
            &mut w[3],
            &mut r,
        );
        // walkforward.csv: identical dates/folds/labels, p within 1e-5 on >= 99.9% of rows.
        let (a, b) = (
            Table::read(&o.join("walkforward.csv")),
            Table::read(&g.join("walkforward.csv")),
        );
        if a.len() != b.len()
            || a.str_col("date") != b.str_col("date")
            || a.str_col("fold_year") != b.str_col("fold_year")
        {
            r.fail(format!(
                "{t}/walkforward.csv: rows/dates/folds differ ({} vs {})",
                a.len(),
                b.len()
            ));
        } else {
            let (pa, pb) = (a.f64_col("p_rally"), b.f64_col("p_rally"));
            let bad = pa
                .iter()
                .zip(&pb)
                .filter(|(x, y)| abs_diff(**x, **y) > 1e-5)
                .count();
            let worst = pa
                .iter()
                .zip(&pb)
                .map(|(x, y)| abs_diff(*x, *y))
                .fold(0.0, f64::max);
            wf_rows = (wf_rows.0 + pa.len(), wf_rows.1 + bad, wf_rows.2.max(worst));
            w[4] = worst;
            if bad as f64 > 0.001 * pa.len() as f64 {
                r.fail(format!(
                    "{t}/walkforward.csv: {bad} of {} rows off by > 1e-5 (worst {worst:.2e})",
                    pa.len()
                ));
            }
            if a.str_col("label") != b.str_col("label") {
                r.fail(format!("{t}/walkforward.csv: labels differ"));
            }
        }
        let (om, gm) = (
            read_json(&o.join("metrics.json")),
            read_json(&g.join("metrics.json")),
        );
        json_cmp(
            &format!("{t}/metrics.json walk_forward"),
            &om["walk_forward"],
            &gm["walk_forward"],
            1e-6,
            &mut w[5],
            &mut r,
        );
        json_cmp(
            &format!("{t}/metrics.json backtest"),
            &om["backtest"],
            &gm["backtest"],
            1e-9,
            &mut w[5],
            &mut r,
        );
        let num = |c: &'static str| (c, 1e-9, true);
        w[6] = csv_cmp(
            &format!("{t}/trades.csv"),
            &o.join("trades.csv"),
            &g.join("trades.csv"),
            &[
                "signal_date",
                "entry_date",
                "exit_date",
                "reason",
                "bars_held",
            ],
            &[
                num("entry_fill"),
                num("exit_price"),
                num("stop"),
                num("target"),
                num("size"),
                num("shares"),
                num("p_rally"),
                num("return"),
            ],
            &mut r,
        );
        w[7] = csv_cmp(
            &format!("{t}/equity.csv"),
            &o.join("equity.csv"),
            &g.join("equity.csv"),
            &["date", "in_position"],
            &[num("equity")],
            &mut r,
        );
        println!(
            "{t:8} hmm_cols {:.1e} hmm {:.1e} model {:.1e} folds {:.1e} p {:.1e} metrics {:.1e} trades {:.1e} equity {:.1e}",
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]
        );
    }
    println!(
        "walk-forward rows {} off>1e-5 {} worst {:.2e}",
        wf_rows.0, wf_rows.1, wf_rows.2
    );
    let mut w = 0.0;
    csv_cmp(
        "portfolio_equity.csv",
        &out.path().join("portfolio_equity.csv"),
        &golden.join("portfolio_equity.csv"),
        &["date"],
        &[("equity", 1e-9, true)],
        &mut r,
    );
    json_cmp(
        "portfolio_metrics.json",
        &read_json(&out.path().join("portfolio_metrics.json")),
        &read_json(&golden.join("portfolio_metrics.json")),
        1e-9,
        &mut w,
        &mut r,
    );
    assert!(
        r.failures.is_empty(),
        "export parity failed:\n{}",
        r.failures.join("\n")
    );
}
