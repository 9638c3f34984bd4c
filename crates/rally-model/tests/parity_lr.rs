//! Golden parity of the live model's logistic regression and isotonic
//! calibration (METHOD §6) against `golden/TICKER/model.json`.
//!
//! The live model's training rows are rebuilt from the golden
//! `TICKER/features.csv` (whose `hmm_*` columns and `label` are the live
//! model's), so this test exercises exactly this crate: standardisation,
//! the LR solver and the isotonic fit.
// `!(d <= tol)` on purpose: a NaN difference must fail.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::expect_used
)]

use chrono::{Datelike, NaiveDate};
use rally_golden::{Table, golden_dir, json_f64s, read_json, rel_diff, tickers};
use rally_model::{Isotonic, Standardiser, fit_logistic, sigmoid, single_class};

const FEATS: [&str; 13] = [
    "atr_pctile",
    "bbw_pctile",
    "rv_pctile",
    "range_pos",
    "range_width",
    "trap",
    "trend",
    "volume",
    "macd",
    "vix",
    "hmm_p_low",
    "hmm_p_high",
    "hmm_age",
];
const H: usize = 10;
const TOL_LR: f64 = 1e-5;
const TOL_SCALE: f64 = 1e-10;
const TOL_ISO: f64 = 1e-9;

/// Same month/day five years earlier; 29 Feb -> 28 Feb.
fn five_years_before(d: NaiveDate) -> NaiveDate {
    let y = d.year() - 5;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), 28))
        .unwrap()
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| rel_diff(*x, *y))
        .fold(0.0, f64::max)
}

#[test]
fn live_model_lr_and_isotonic_match_golden() {
    let Some(golden) = golden_dir("live_model_lr_and_isotonic_match_golden") else {
        return;
    };
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let (mut worst_lr, mut worst_scale, mut worst_iso_x, mut worst_iso_y) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for t in tickers(&golden) {
        let model = read_json(&golden.join(&t).join("model.json"));
        if let Some(reason) = model.get("skipped") {
            println!("{t:8} skipped in golden: {reason}");
            continue;
        }
        let tab = Table::read(&golden.join(&t).join("features.csv"));
        let dates: Vec<NaiveDate> = tab
            .str_col("date")
            .iter()
            .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
            .collect();
        let cols: Vec<Vec<f64>> = FEATS.iter().map(|c| tab.f64_col(c)).collect();
        let label = tab.f64_col("label");
        let cutoff = five_years_before(*dates.last().unwrap());
        let rows: Vec<usize> = (0..dates.len())
            .filter(|&i| {
                dates[i] > cutoff && label[i].is_finite() && cols.iter().all(|c| c[i].is_finite())
            })
            .collect();
        let n = rows.len();
        let m = (0.8 * n as f64).floor() as usize;
        let fit_rows = &rows[..m.saturating_sub(H)];
        let cal_rows = &rows[m..];
        let gather = |rs: &[usize]| -> Vec<f64> {
            rs.iter()
                .flat_map(|&i| cols.iter().map(move |c| c[i]))
                .collect()
        };
        let mut fail = |msg: String| failures.push(format!("{t}: {msg}"));

        let g_counts = ["n_train", "n_fit", "n_cal"].map(|k| model[k].as_u64().unwrap() as usize);
        let counts = [n, fit_rows.len(), cal_rows.len()];
        if counts != g_counts {
            fail(format!(
                "(n_train, n_fit, n_cal) = {counts:?}, golden {g_counts:?}"
            ));
            continue;
        }

        let x_fit = gather(fit_rows);
        let y_fit: Vec<f64> = fit_rows.iter().map(|&i| label[i]).collect();
        let sc = Standardiser::fit(&x_fit, FEATS.len()).unwrap();
        let d_mean = max_rel(&sc.mean, &json_f64s(&model["mean"]));
        let d_std = max_rel(&sc.std, &json_f64s(&model["std"]));
        let d_scale = d_mean.max(d_std);
        if !(d_scale <= TOL_SCALE) {
            fail(format!("mean/std max rel diff {d_scale:e} > {TOL_SCALE:e}"));
        }

        let xs = sc.transform(&x_fit);
        let fit = match fit_logistic(&xs, FEATS.len(), &y_fit, 1.0) {
            Ok(f) => f,
            Err(e) => {
                fail(format!("fit_logistic failed: {e}"));
                continue;
            }
        };
        let d_b = rel_diff(fit.intercept, model["intercept"].as_f64().unwrap());
        let d_w = max_rel(&fit.weights, &json_f64s(&model["weights"]));
        let d_lr = d_b.max(d_w);
        if !(d_lr <= TOL_LR) {
            fail(format!(
                "LR coefficients max rel diff {d_lr:e} > {TOL_LR:e}"
            ));
        }
        if !(fit.grad_norm <= 1e-8) {
            fail(format!("gradient norm {:e} > 1e-8", fit.grad_norm));
        }

        // Isotonic on raw scores of the calibration rows.
        let mut buf = vec![0.0; FEATS.len()];
        let raw: Vec<f64> = cal_rows
            .iter()
            .map(|&i| {
                let row: Vec<f64> = cols.iter().map(|c| c[i]).collect();
                sc.transform_row(&row, &mut buf);
                sigmoid(fit.decision(&buf))
            })
            .collect();
        let y_cal: Vec<f64> = cal_rows.iter().map(|&i| label[i]).collect();
        let (mut d_ix, mut d_iy) = (0.0, 0.0);
        let iso_desc;
        if model["iso_x"].is_null() {
            iso_desc = "identity".to_string();
            if !single_class(&y_cal) {
                fail("golden calibration is identity but cal rows hold two classes".into());
            }
        } else {
            let gx = json_f64s(&model["iso_x"]);
            let gy = json_f64s(&model["iso_y"]);
            if single_class(&y_cal) {
                fail("golden has isotonic thresholds but cal rows hold one class".into());
            }
            let iso = Isotonic::fit(&raw, &y_cal).unwrap();
            iso_desc = format!("{} thr", iso.x.len());
            if iso.x.len() != gx.len() {
                fail(format!(
                    "isotonic: {} thresholds, golden {}",
                    iso.x.len(),
                    gx.len()
                ));
                d_ix = f64::INFINITY;
                d_iy = f64::INFINITY;
            } else {
                d_ix = iso
                    .x
                    .iter()
                    .zip(&gx)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                d_iy = iso
                    .y
                    .iter()
                    .zip(&gy)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                if !(d_ix <= TOL_ISO && d_iy <= TOL_ISO) {
                    fail(format!(
                        "isotonic max abs diff x {d_ix:e}, y {d_iy:e} > {TOL_ISO:e}"
                    ));
                }
            }
        }
        worst_lr = worst_lr.max(d_lr);
        worst_scale = worst_scale.max(d_scale);
        worst_iso_x = worst_iso_x.max(d_ix);
        worst_iso_y = worst_iso_y.max(d_iy);
        checked += 1;
        println!(
            "{t:8} n={n} fit={} cal={} | mean/std {d_scale:.1e} | LR {d_lr:.1e} (grad {:.1e}, {} it) | iso {iso_desc}: x {d_ix:.1e} y {d_iy:.1e}",
            fit_rows.len(),
            cal_rows.len(),
            fit.grad_norm,
            fit.iterations
        );
    }
    println!(
        "checked {checked} tickers; worst: mean/std {worst_scale:.2e}, LR {worst_lr:.2e}, iso_x {worst_iso_x:.2e}, iso_y {worst_iso_y:.2e}"
    );
    assert!(checked > 0, "no golden ticker was checked");
    assert!(
        failures.is_empty(),
        "{} live-model parity failure(s):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
