//! Model v2 (MODEL-V2.md): parity of the pooled walk-forward over the 38
//! shared tickers with `../shared/golden-v2/` (P within 1e-6 on at least
//! 99.9% of rows, same rows and labels), and no look-ahead: truncating the
//! data at a date changes no P before it.
//!
//! Market data from `$RALLY_SHARED_DATA` (the shared `data/` folder or its
//! `market/`), else `$RALLY_DATA_DIR`, else `../shared/data/market`;
//! references from `$RALLY_GOLDEN_V2_DIR`, else `../shared/golden-v2`.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::Datelike;
use rally_data::{CsvSource, Series, Source, SyntheticSource, synthetic::default_end};
use rally_golden::{Table, data_dir, golden_v2_dir};
use rally_model::walkforward::OosRow;
use rally_research::v2::{V2Ticker, walk_forward_v2};
use rally_trade::TradeConfig;

/// Ticker folders of the golden-v2 set, sorted.
fn golden_tickers(golden: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(golden)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("walkforward.csv").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// `ticker -> (labelled rows, v2 AUC)` of `../spec/model-v2-reference.csv`
/// beside the golden folder (empty, with a note, when it is absent).
fn reference_auc(golden: &Path) -> HashMap<String, (usize, f64)> {
    let path = golden.join("../spec/model-v2-reference.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "note: {} is absent; per-ticker AUC not checked",
            path.display()
        );
        return HashMap::new();
    };
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (ct, cr, ca) = (col("ticker"), col("rows"), col("v2_auc"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[ct].to_owned(),
                (f[cr].parse().unwrap(), f[ca].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn v2_matches_golden() {
    let (Some(data), Some(golden)) = (
        data_dir("v2_matches_golden"),
        golden_v2_dir("v2_matches_golden"),
    ) else {
        return;
    };
    let tickers = golden_tickers(&golden);
    assert_eq!(tickers.len(), 38, "the golden-v2 pool is 38 tickers");
    let out = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let report = rally_research::export::export_v2(
        &CsvSource::new(&data),
        &tickers,
        out.path(),
        &TradeConfig::baseline(),
    )
    .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.analysed, tickers);

    let (mut n, mut within, mut worst, mut worst_at) = (0usize, 0usize, 0f64, String::new());
    let mut structural = Vec::new();
    let mut auc_off = Vec::new();
    let reference = reference_auc(&golden);
    let (mut all_p, mut all_y, mut aucs) = (Vec::new(), Vec::new(), Vec::new());
    for t in &tickers {
        let ours = Table::read(&out.path().join(t).join("walkforward.csv"));
        let gold = Table::read(&golden.join(t).join("walkforward.csv"));
        assert_eq!(ours.header, gold.header, "{t}");
        if ours.len() != gold.len() {
            structural.push(format!("{t}: {} rows vs golden {}", ours.len(), gold.len()));
            continue;
        }
        let (od, gd) = (ours.str_col("date"), gold.str_col("date"));
        let (oy, gy) = (ours.str_col("fold_year"), gold.str_col("fold_year"));
        let (ol, gl) = (ours.f64_col("label"), gold.f64_col("label"));
        let (op, gp) = (ours.f64_col("p_rally"), gold.f64_col("p_rally"));
        // The per-ticker AUC of MODEL-V2.md's reference table follows.
        let (p, y): (Vec<f64>, Vec<f64>) = op
            .iter()
            .zip(&ol)
            .filter(|(_, y)| y.is_finite())
            .map(|(p, y)| (*p, *y))
            .unzip();
        let auc = rally_model::auc_tol(&p, &y, 1e-9).unwrap();
        aucs.push(auc);
        if let Some(&(rows, want)) = reference.get(t)
            && (rows != y.len() || (auc - want).abs() > 1e-6)
        {
            auc_off.push(format!(
                "{t}: {} rows AUC {auc:.6} vs reference {rows} rows {want:.6}",
                y.len()
            ));
        }
        all_p.extend(p);
        all_y.extend(y);
        for i in 0..ours.len() {
            let same_label = ol[i] == gl[i] || (ol[i].is_nan() && gl[i].is_nan());
            if ((&od[i], &oy[i]) != (&gd[i], &gy[i]) || !same_label) && structural.len() < 20 {
                structural.push(format!(
                    "{t} row {i}: {} {} {} vs golden {} {} {}",
                    od[i], oy[i], ol[i], gd[i], gy[i], gl[i]
                ));
            }
            let d = (op[i] - gp[i]).abs();
            n += 1;
            if d <= 1e-6 {
                within += 1;
            }
            if d > worst || d.is_nan() {
                worst = d;
                worst_at = format!("{t} {}", gd[i]);
            }
        }
    }
    let share = within as f64 / n as f64;
    aucs.sort_by(f64::total_cmp);
    let median_auc = (aucs[aucs.len() / 2 - 1] + aucs[aucs.len() / 2]) / 2.0;
    let pooled_auc = rally_model::auc_tol(&all_p, &all_y, 1e-9).unwrap();
    println!(
        "v2 AUC: median {median_auc:.6} (MODEL-V2.md 0.621598), pooled {pooled_auc:.6} (0.630230) over {} labelled rows",
        all_y.len()
    );
    println!(
        "v2 parity: {within}/{n} rows within 1e-6 ({:.4}%), worst |dP| {worst:.3e} at {worst_at}; export of {} tickers {secs:.1} s",
        100.0 * share,
        tickers.len()
    );
    assert!(structural.is_empty(), "{structural:#?}");
    assert!(auc_off.is_empty(), "{auc_off:#?}");
    if !reference.is_empty() {
        assert!((median_auc - 0.621598).abs() < 1e-6, "{median_auc}");
        assert!((pooled_auc - 0.630230).abs() < 1e-6, "{pooled_auc}");
    }
    assert!(
        share >= 0.999,
        "only {:.4}% of rows within 1e-6",
        100.0 * share
    );
    let pooled: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("pooled.json")).unwrap()).unwrap();
    let folds = pooled.as_array().unwrap();
    assert!(!folds.is_empty());
    for f in folds {
        assert_eq!(f["features"].as_array().unwrap().len(), 22, "{f}");
        assert_eq!(f["weights"].as_array().unwrap().len(), 22);
        let th = &f["thresholds"];
        assert!(th["watch"].as_f64().unwrap() <= th["entry"].as_f64().unwrap());
    }
}

/// `series` without its bars dated on or after `d`.
fn truncated(s: &Series, d: chrono::NaiveDate) -> Series {
    let k = s.dates.partition_point(|x| *x < d);
    Series {
        ticker: s.ticker.clone(),
        dates: s.dates[..k].to_vec(),
        open: s.open[..k].to_vec(),
        high: s.high[..k].to_vec(),
        low: s.low[..k].to_vec(),
        close: s.close[..k].to_vec(),
        volume: s.volume[..k].to_vec(),
    }
}

fn run(src: &SyntheticSource, cut: Option<chrono::NaiveDate>) -> Vec<(String, Vec<OosRow>)> {
    let vix = src.load_vix().unwrap().series;
    let ready: Vec<V2Ticker> = ["SPY", "AAPL", "BTC-USD", "XLE"]
        .iter()
        .map(|t| {
            let s = src.load(t).unwrap().series;
            let s = cut.map_or(s.clone(), |d| truncated(&s, d));
            V2Ticker::new(s, &vix).unwrap()
        })
        .collect();
    let wf = walk_forward_v2(&ready, 0.55).unwrap();
    assert!(wf.failed.is_empty(), "{:?}", wf.failed);
    wf.tickers.into_iter().map(|t| (t.ticker, t.rows)).collect()
}

#[test]
fn truncating_the_data_changes_no_earlier_p() {
    let src = SyntheticSource::with_range(5, 10, default_end());
    let full = run(&src, None);
    let cut = chrono::NaiveDate::from_ymd_opt(default_end().year() - 1, 7, 1).unwrap();
    let short = run(&src, Some(cut));
    let mut compared = 0;
    for ((t, f), (t2, s)) in full.iter().zip(&short) {
        assert_eq!(t, t2);
        let before: Vec<&OosRow> = f.iter().filter(|r| r.date < cut).collect();
        assert_eq!(s.len(), before.len(), "{t}");
        for (i, (a, b)) in s.iter().zip(&before).enumerate() {
            assert_eq!((a.date, a.fold_year), (b.date, b.fold_year), "{t}");
            assert_eq!(a.p_rally.to_bits(), b.p_rally.to_bits(), "{t} {}", a.date);
            // The last h bars before the cut lose their label (their
            // horizon crosses it); every other label stays.
            if i + 10 < s.len() {
                assert_eq!(a.label.to_bits(), b.label.to_bits(), "{t} {}", a.date);
            } else {
                assert!(a.label.is_nan(), "{t} {}", a.date);
            }
            compared += 1;
        }
        assert!(s.iter().any(|r| r.date.year() == cut.year()));
    }
    assert!(compared > 1000, "{compared}");
}
