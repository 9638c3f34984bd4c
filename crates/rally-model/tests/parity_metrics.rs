//! Golden parity of the walk-forward classification metrics (METHOD §8):
//! `golden/TICKER/walkforward.csv` (p_rally, label) -> `metrics.json`
//! `walk_forward`.
// `!(d <= tol)` on purpose: a NaN difference must fail.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::unwrap_used,
    clippy::print_stdout
)]

use rally_golden::{Table, golden_dir, read_json, tickers};
use rally_model::class_metrics;

const TOL: f64 = 1e-6;

#[test]
fn walk_forward_metrics_match_golden() {
    let Some(golden) = golden_dir("walk_forward_metrics_match_golden") else {
        return;
    };
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let mut worst = 0.0f64;
    for t in tickers(&golden) {
        let path = golden.join(&t).join("walkforward.csv");
        if !path.is_file() {
            continue;
        }
        let tab = Table::read(&path);
        let p = tab.f64_col("p_rally");
        let y = tab.f64_col("label");
        let want = &read_json(&golden.join(&t).join("metrics.json"))["walk_forward"];
        let got = match class_metrics(&p, &y) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{t}: class_metrics failed: {e}"));
                continue;
            }
        };
        let mut line = format!("{t:8} n={}", got.n);
        if want["n"].as_u64() != Some(got.n as u64) {
            failures.push(format!("{t}: n = {}, golden {}", got.n, want["n"]));
        }
        let fields = [
            ("auc", got.auc),
            ("brier", got.brier),
            ("log_loss", got.log_loss),
            ("base_rate", got.base_rate),
        ];
        for (name, v) in fields {
            match (v, want.get(name).and_then(|g| g.as_f64())) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    let d = (a - b).abs();
                    let tol = if name == "base_rate" { 0.0 } else { TOL };
                    if !(d <= tol) {
                        failures.push(format!(
                            "{t}: {name} = {a:.17}, golden {b:.17} (diff {d:e})"
                        ));
                    }
                    if name != "base_rate" {
                        worst = worst.max(d);
                    }
                    line.push_str(&format!(" {name} {d:.1e}"));
                }
                (a, b) => failures.push(format!("{t}: {name} = {a:?}, golden {b:?}")),
            }
        }
        println!("{line}");
        checked += 1;
    }
    println!("checked {checked} tickers; worst |diff| auc/brier/log_loss {worst:.2e}");
    assert!(checked > 0, "no golden ticker was checked");
    assert!(
        failures.is_empty(),
        "{} walk-forward metrics parity failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
