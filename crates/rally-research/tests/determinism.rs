//! The same data and config give bit-identical exports and models whatever
//! the number of worker threads (`--jobs`).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use rally_data::{SyntheticSource, synthetic::default_end};
use rally_pipeline::data::DataAccess;
use rally_pipeline::retrain::{RetrainOptions, retrain};
use rally_pipeline::state::StateDir;
use rally_trade::TradeConfig;

/// Every file under a directory: (relative path, bytes), sorted.
type Files = Vec<(String, Vec<u8>)>;

fn files(dir: &Path) -> Files {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x != "db" && x != "tmp") {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn run(threads: usize) -> (Files, Files) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let src = SyntheticSource::with_range(11, 12, default_end());
    let tickers: Vec<String> = ["SPY", "AAPL", "BTC-USD", "XLE"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let out = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    pool.install(|| {
        rally_research::export::export_all(&src, &tickers, out.path(), &TradeConfig::baseline())
            .unwrap();
        let now = Utc.with_ymd_and_hms(2026, 8, 21, 22, 0, 0).unwrap();
        let data = DataAccess {
            source: &src,
            cache: None,
            now,
            until: None,
        };
        let opts = RetrainOptions {
            force: true,
            walk_forward: true,
            now,
        };
        let r = retrain(
            &StateDir::new(state.path()),
            &data,
            &tickers,
            &opts,
            &|_, _, _| {},
        )
        .unwrap();
        assert_eq!(r.trained.len(), tickers.len(), "{:?}", r.failed);
    });
    (files(out.path()), files(&state.path().join("models")))
}

#[test]
fn exports_and_models_are_identical_for_any_number_of_threads() {
    let (export1, models1) = run(1);
    let (export2, models2) = run(2);
    let (export3, models3) = run(3);
    assert!(export1.len() > 20 && models1.len() == 4);
    for (a, b) in [
        (&export1, &export2),
        (&export1, &export3),
        (&models1, &models2),
        (&models1, &models3),
    ] {
        assert_eq!(a.len(), b.len());
        for ((na, ba), (nb, bb)) in a.iter().zip(b.iter()) {
            assert_eq!(na, nb);
            assert!(ba == bb, "{na} differs between thread counts");
        }
    }
}
