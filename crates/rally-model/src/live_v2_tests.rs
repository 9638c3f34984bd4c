#![allow(clippy::unwrap_used)]

use super::*;
use crate::v2::test_market::{Owned, owned};

fn now() -> DateTime<Utc> {
    "2026-01-05T22:00:00Z".parse().unwrap()
}

fn pool_of(names: &[&str]) -> (Vec<Owned>, Vec<LivePart>, V2Pool) {
    let data: Vec<Owned> = names.iter().map(|t| owned(t)).collect();
    let parts: Vec<LivePart> = names
        .iter()
        .zip(&data)
        .map(|(t, o)| train_live_part(t, &o.inputs(), now()).unwrap())
        .collect();
    let pool = fit_pool(&parts, 0.55, now()).unwrap();
    (data, parts, pool)
}

#[test]
fn pool_round_trips_and_states_its_provenance() {
    let (_, parts, pool) = pool_of(&["SPY", "QQQ", "AAPL"]);
    assert_eq!(pool.family, Family::V2);
    assert_eq!(pool.tickers, ["SPY", "QQQ", "AAPL"]);
    let rows: usize = parts.iter().map(|p| p.part.n_train).sum();
    assert_eq!(pool.n_rows(), rows);
    assert_eq!(pool.rows_per_ticker.iter().sum::<usize>(), rows);
    assert_eq!(pool.setup_quantiles.len(), N_SETUP_QUANTILES);
    assert!(pool.watch() < pool.entry());
    let path = Path::new("pool.msgpack");
    let bytes = pool.to_bytes().unwrap();
    assert_eq!(V2Pool::from_bytes(path, &bytes).unwrap(), pool);
    let part = &parts[0].part;
    let pb = part.to_bytes().unwrap();
    assert_eq!(&V2TickerPart::from_bytes(path, &pb).unwrap(), part);
    // A pool is not a part and vice versa; damage and versions are typed.
    assert!(matches!(
        V2Pool::from_bytes(path, &pb),
        Err(ArtefactError::Corrupt { .. })
    ));
    let mut other = bytes.clone();
    other[8] = 9;
    assert!(matches!(
        V2Pool::from_bytes(path, &other),
        Err(ArtefactError::Version { found: 9, .. })
    ));
    assert!(matches!(
        V2Pool::from_bytes(path, &bytes[..bytes.len() / 2]),
        Err(ArtefactError::Corrupt { .. })
    ));
}

#[test]
fn rank_among_setups_matches_the_thresholds() {
    let (_, _, pool) = pool_of(&["SPY", "MSFT"]);
    let top = |p: f64| pool.setup_top_pct(p).unwrap();
    assert!(
        (top(pool.entry()) - 20.0).abs() < 0.2,
        "{}",
        top(pool.entry())
    );
    assert!(
        (top(pool.watch()) - 40.0).abs() < 0.2,
        "{}",
        top(pool.watch())
    );
    assert_eq!(top(0.0), 100.0);
    assert_eq!(top(1.0), 0.0);
    assert_eq!(pool.setup_top_pct(f64::NAN), None);
    let mut last = 100.0;
    for i in 0..=200 {
        let t = top(i as f64 / 200.0);
        assert!(t <= last, "monotone");
        last = t;
    }
}

#[test]
fn thresholds_of_other_compression_cuts_are_those_of_a_pool_fitted_there() {
    let (_, parts, mut pool) = pool_of(&["SPY", "MSFT"]);
    pool.add_thresholds(&parts, &[0.45, 0.55, 0.60, 0.45]);
    assert_eq!(
        pool.thresholds_by_comp.len(),
        2,
        "0.55 is the pool's own; no repeats"
    );
    for c in [0.45, 0.55, 0.60] {
        let direct = fit_pool(&parts, c, now()).unwrap();
        assert_eq!(pool.thresholds_for(c), direct.model.thresholds, "cut {c}");
    }
    assert_eq!(pool.thresholds_for(0.7), None);
    // Stored with the pool.
    let back = V2Pool::from_bytes(std::path::Path::new("pool"), &pool.to_bytes().unwrap()).unwrap();
    assert_eq!(back, pool);
}

#[test]
fn a_part_fitted_at_scan_time_is_the_trained_one() {
    let o = owned("NVDA");
    let inp = o.inputs();
    let trained = train_live_part("NVDA", &inp, now()).unwrap().part;
    let fitted = fit_part("NVDA", &inp.classic, now()).unwrap();
    assert_eq!(fitted.hmm, trained.hmm);
    assert_eq!(fitted.barriers, trained.barriers);
    assert_eq!(fitted.sd_day.to_bits(), trained.sd_day.to_bits());
    assert_eq!(fitted.window_start, trained.window_start);
    assert_eq!(fitted.n_train, 0);
    assert!(trained.n_train > 500);
}

#[test]
fn scores_are_probabilities_never_bounds() {
    let (data, parts, pool) = pool_of(&["SPY", "IWM"]);
    let inp = data[1].inputs();
    let n = inp.classic.len();
    let p = pool.score_from(&parts[1].part, &inp, n - 300);
    assert!(p[..n - 300].iter().all(|v| v.is_nan()));
    let tail: Vec<f64> = p[n - 300..]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    assert!(tail.len() > 250);
    assert!(tail.iter().all(|v| *v > 0.0 && *v < 1.0));
}

#[test]
fn families_parse_and_print() {
    assert_eq!("v2".parse::<Family>(), Ok(Family::V2));
    assert_eq!("classic".parse::<Family>(), Ok(Family::Classic));
    assert!("v3".parse::<Family>().is_err());
    assert_eq!(Family::V2.to_string(), "v2");
}
