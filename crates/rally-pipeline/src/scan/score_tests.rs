//! No look-ahead in the scanner (issue #25): the features, HMM-driven P and
//! moving averages the scan computes for a bar are bit-identical whether or
//! not later bars exist, for both model families.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::{Series, Source, SyntheticSource};
use rally_model::live::{LiveModel, train_live};
use rally_model::live_v2::{fit_pool, train_live_part};
use rally_model::v2::V2Inputs;

use super::{ScoreContext, score_ticker};
use crate::prepared::{Prepared, extras_for};
use crate::scan::models::TickerModel;

fn now() -> DateTime<Utc> {
    "2026-08-21T22:00:00Z".parse().unwrap()
}

fn cut(s: &Series, d: NaiveDate) -> Series {
    let mut s = s.clone();
    s.truncate_to(d);
    s
}

/// Every kept bar dated on or before `d`, and the moving averages beside
/// it, as text (Debug prints each f64 round-trip exactly).
fn upto(s: &super::Scored, d: NaiveDate) -> Vec<String> {
    s.bars
        .iter()
        .zip(s.sma50.iter().zip(&s.sma200))
        .filter(|(b, _)| b.date <= d)
        .map(|(b, m)| format!("{b:?} {m:?}"))
        .collect()
}

#[test]
fn scanned_bars_do_not_depend_on_later_bars() {
    let src = SyntheticSource::new(42);
    let s = src.load("SPY").unwrap().series;
    let vix = src.load_vix().unwrap().series;
    let n = s.len();
    // Models trained on data that ends before every cut below.
    let train = cut(&s, s.dates[n - 120]);
    let prepared = Prepared::new(&train, &vix).unwrap();
    let inp = prepared.inputs(&train);
    let w = train_live(&inp).unwrap();
    let classic = LiveModel::from_window("SPY", &inp, &w, None, now()).unwrap();
    let extras = extras_for(&train, &prepared.frame);
    let part = train_live_part(
        "SPY",
        &V2Inputs {
            classic: inp,
            extras: &extras,
        },
        now(),
    )
    .unwrap();
    let pool = fit_pool(std::slice::from_ref(&part), 0.55, now()).unwrap();
    let models = [
        TickerModel::Classic(Box::new(classic)),
        TickerModel::V2(Some(Box::new(part.part.clone()))),
        // A ticker outside the pool: its part is fitted from the data at hand.
        TickerModel::V2(None),
    ];
    let positions = std::collections::BTreeMap::new();
    let config = rally_trade::TradeConfig::baseline();
    let ctx = ScoreContext {
        positions: &positions,
        since: None,
        config: &config,
        now: now(),
    };
    for k in [n - 90, n - 41, n - 7] {
        let d = s.dates[k];
        let keep = Some(s.dates[k - 30]);
        let (short, short_vix) = (cut(&s, d), cut(&vix, d));
        for m in &models {
            let a = score_ticker(m, Some(&pool), &short, &short_vix, keep, &ctx).unwrap();
            let b = score_ticker(m, Some(&pool), &s, &vix, keep, &ctx).unwrap();
            let scored = a.bars.iter().filter(|x| x.p.is_some()).count();
            assert!(scored >= 25, "{d}: {scored} bars with a P");
            if matches!(m, TickerModel::V2(None)) {
                // Fitted on different windows (the live window ends at the
                // newest bar), so only the features are comparable.
                let f = |x: &super::Scored| {
                    x.bars
                        .iter()
                        .filter(|b| b.date <= d)
                        .map(|b| format!("{:?}", (b.atr, b.rv, b.rv_pctile, b.compression)))
                        .collect::<Vec<_>>()
                };
                assert_eq!(f(&a), f(&b), "features up to {d}");
            } else {
                assert_eq!(upto(&a, d), upto(&b, d), "bars up to {d}");
            }
        }
    }
}
