//! `export_v2` on a synthetic market: the files it writes, and a ticker
//! that fails (a frozen price series: zero-variance HMM window) is named,
//! left out of the pool, and changes nothing for the others.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use rally_data::SyntheticSource;
use rally_data::synthetic::{Fault, default_end};
use rally_trade::TradeConfig;
use serde_json::Value;

fn tickers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn failing_ticker_is_named_and_left_out_of_the_pool() {
    let src = SyntheticSource::with_range(3, 9, default_end())
        .with_faults([("FLAT".to_owned(), Fault::Frozen { at: 300 })]);
    let cfg = TradeConfig::baseline();
    let with = tempfile::tempdir().unwrap();
    let report = rally_research::export::export_v2(
        &src,
        &tickers(&["SPY", "FLAT", "AAPL"]),
        with.path(),
        &cfg,
    )
    .unwrap();
    assert_eq!(report.analysed, tickers(&["SPY", "AAPL"]));
    assert_eq!(report.failed.len(), 1);
    let (t, why) = &report.failed[0];
    assert_eq!(t, "FLAT");
    assert!(why.starts_with("FLAT: "), "{why}");
    assert!(!with.path().join("FLAT").exists());

    let without = tempfile::tempdir().unwrap();
    rally_research::export::export_v2(&src, &tickers(&["SPY", "AAPL"]), without.path(), &cfg)
        .unwrap();
    for f in [
        "SPY/walkforward.csv",
        "AAPL/walkforward.csv",
        "SPY/features.csv",
        "AAPL/metrics.json",
        "pooled.json",
    ] {
        assert_eq!(
            read(&with.path().join(f)),
            read(&without.path().join(f)),
            "{f}"
        );
    }

    let wf = String::from_utf8(read(&with.path().join("SPY/walkforward.csv"))).unwrap();
    assert!(wf.starts_with("date,fold_year,p_rally,label\n"));
    assert!(wf.lines().count() > 500);
    // features.csv: the date and the 22 inputs of each walkforward.csv row.
    let feats = String::from_utf8(read(&with.path().join("SPY/features.csv"))).unwrap();
    let mut lines = feats.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 23);
    assert_eq!(
        (header[0], header[1], header[14]),
        ("date", "atr_pctile", "ret1z")
    );
    assert_eq!(&header[1..], &rally_model::v2::V2_FEATURE_NAMES[..]);
    let wf_dates: Vec<&str> = wf.lines().skip(1).map(|l| &l[..10]).collect();
    let f_dates: Vec<&str> = lines.clone().map(|l| &l[..10]).collect();
    assert_eq!(wf_dates, f_dates);
    assert!(lines.all(|l| l.split(',').count() == 23));
    // metrics.json: the evaluation figures of the ticker.
    let m: Value = serde_json::from_slice(&read(&with.path().join("SPY/metrics.json"))).unwrap();
    let m = &m["walk_forward"];
    let labelled = wf.lines().skip(1).filter(|l| !l.ends_with(',')).count();
    assert_eq!(m["n"].as_u64().unwrap() as usize, labelled);
    for k in [
        "auc",
        "brier",
        "brier_skill",
        "ece",
        "log_loss",
        "p_extreme_share",
    ] {
        assert!(m[k].is_f64(), "{k}: {m}");
    }
    assert_eq!(m["p_extreme_share"], 0.0);

    let pooled: Value = serde_json::from_slice(&read(&with.path().join("pooled.json"))).unwrap();
    let folds = pooled.as_array().unwrap();
    assert!(!folds.is_empty());
    let mut last_year = 0;
    for f in folds {
        let year = f["year"].as_i64().unwrap();
        assert!(year > last_year, "years in order");
        last_year = year;
        assert_eq!(f["n_tickers"], 2, "{f}");
        assert_eq!(f["features"][13], "ret1z");
        for k in ["mean", "std", "weights"] {
            assert_eq!(f[k].as_array().unwrap().len(), 22, "{k}");
        }
        assert!(f["intercept"].is_f64());
        let n = f["n_rows"].as_u64().unwrap();
        assert!(n > f["n_positive"].as_u64().unwrap());
        assert_eq!(f["thresholds"]["comp_threshold"], 0.55);
    }
}

/// Every file under `dir`, sorted by relative path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.strip_prefix(dir).unwrap().display().to_string(), read(&p)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let src = SyntheticSource::with_range(11, 10, default_end());
    let names = tickers(&["SPY", "AAPL", "BTC-USD", "XLE"]);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        pool.install(|| {
            rally_research::export::export_v2(&src, &names, out.path(), &TradeConfig::baseline())
                .unwrap()
        });
        files(out.path())
    };
    let one = run(1);
    assert_eq!(
        one.len(),
        13,
        "four walkforward.csv, features.csv, metrics.json and pooled.json"
    );
    assert!(one == run(3), "1 and 3 threads differ");
}
