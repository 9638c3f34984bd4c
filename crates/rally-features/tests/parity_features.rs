//! Parity of the base features, ATR, RV, compression and the live-barrier
//! label with the golden reference (`$RALLY_GOLDEN_DIR`, inputs from
//! `$RALLY_DATA_DIR`): 1e-9 absolute and an identical NaN pattern.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use rally_data::{CsvSource, Source, align_asof, years_before};
use rally_features::{BASE_FEATURES, Barriers, FORWARD_HORIZON, FeatureFrame, rally_labels};
use rally_golden::{Table, abs_diff, data_dir, golden_dir, tickers};

const TOL: f64 = 1e-9;

/// First row where `ours` and `theirs` differ by more than `TOL` (or in NaN
/// pattern), and the largest difference seen.
fn compare(ours: &[f64], theirs: &[f64]) -> (Option<usize>, f64) {
    let mut worst = 0.0f64;
    if ours.len() != theirs.len() {
        return (Some(ours.len().min(theirs.len())), f64::INFINITY);
    }
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let d = abs_diff(*a, *b);
        worst = worst.max(d);
        if d > TOL {
            return (Some(i), worst);
        }
    }
    (None, worst)
}

#[test]
fn comparison_catches_a_1e6_perturbation_and_nan_changes() {
    let golden = vec![1.0, f64::NAN, 0.25, 3.0];
    assert_eq!(compare(&golden, &golden).0, None);
    let mut ours = golden.clone();
    ours[2] += 1e-6;
    assert_eq!(compare(&ours, &golden).0, Some(2));
    let mut ours = golden.clone();
    ours[1] = 0.0;
    assert_eq!(compare(&ours, &golden).0, Some(1));
}

#[test]
fn features_match_golden() {
    let (Some(golden), Some(data)) = (
        golden_dir("features_match_golden"),
        data_dir("features_match_golden"),
    ) else {
        return;
    };
    let src = CsvSource::new(&data);
    let vix = src.load_vix().unwrap().series;
    let names = tickers(&golden);
    assert!(
        !names.is_empty(),
        "no golden tickers in {}",
        golden.display()
    );
    let mut failures = Vec::new();
    for t in &names {
        let g = Table::read(&golden.join(t).join("features.csv"));
        let s = src.load(t).unwrap().series;
        let dates: Vec<String> = s.dates.iter().map(|d| d.to_string()).collect();
        if dates != g.str_col("date") {
            failures.push(format!("{t}: dates differ"));
            continue;
        }
        let vixa = align_asof(&s.dates, &vix.dates, &vix.close);
        let f = FeatureFrame::compute(&s.high, &s.low, &s.close, &s.volume, &vixa);
        let last = *s.dates.last().unwrap();
        let lo = s.dates.partition_point(|d| *d <= years_before(last, 5));
        let b = Barriers::calibrate(&f.rv[lo..]);
        let label = rally_labels(&s.high, &s.low, &s.close, b, FORWARD_HORIZON);
        let mut cols: Vec<(&str, &[f64])> = vec![
            ("O", &s.open),
            ("H", &s.high),
            ("L", &s.low),
            ("C", &s.close),
            ("V", &s.volume),
            ("ATR", &f.atr),
            ("RV", &f.rv),
            ("compression", &f.compression),
            ("label", &label),
        ];
        for (k, name) in BASE_FEATURES.iter().enumerate() {
            cols.push((name, &f.base[k]));
        }
        let mut worst = (0.0f64, "");
        for (name, ours) in cols {
            let theirs = g.f64_col(name);
            let (bad, w) = compare(ours, &theirs);
            if w > worst.0 {
                worst = (w, name);
            }
            if let Some(i) = bad {
                failures.push(format!(
                    "{t} {name} row {i} ({}): ours {:e} golden {:e}",
                    dates[i], ours[i], theirs[i]
                ));
            }
        }
        println!(
            "{t:8} rows {:5}  max |diff| {:.3e} ({})",
            s.len(),
            worst.0,
            worst.1
        );
    }
    assert!(
        failures.is_empty(),
        "feature parity failed on {} columns:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
