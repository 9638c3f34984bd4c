//! `retrainer backtest/optimize/validate --model v2`: the sweep trades the
//! v2 P with each fold's learned entry threshold (for the config's
//! compression cut), not the config's `p_threshold`; a ticker that cannot
//! be pooled is reported and the others go on.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use rally_data::{Fault, Source, SyntheticSource};
use rally_model::walkforward::BarrierRule;
use rally_pipeline::data::DataAccess;
use rally_research::sweep::sweep_v2;
use rally_research::v2::{V2Ticker, walk_forward_v2_with};
use rally_trade::TradeConfig;

fn now() -> DateTime<Utc> {
    "2026-08-21T21:30:00Z".parse().unwrap()
}

#[test]
fn trades_clear_their_folds_learned_entry_threshold() {
    let src =
        SyntheticSource::new(42).with_faults([("FLAT".to_owned(), Fault::Frozen { at: 400 })]);
    let data = DataAccess {
        source: &src,
        cache: None,
        now: now(),
        until: None,
    };
    let names = ["SPY", "FLAT", "QQQ", "XLE"].map(str::to_owned);
    let configs = [
        TradeConfig::named("baseline").unwrap(),
        TradeConfig::named("aggressive").unwrap(),
    ];
    let s = sweep_v2(&data, &names, &configs, BarrierRule::Auto, false).unwrap();
    assert!(s.entry_learned);
    assert_eq!(s.failed.len(), 1, "{:?}", s.failed);
    assert_eq!(s.failed[0].0, "FLAT");
    let analysed: Vec<&str> = s.assets.iter().map(|a| a.ticker.as_str()).collect();
    assert_eq!(analysed, ["SPY", "QQQ", "XLE"]);

    // The thresholds of the same pool, computed on their own.
    let vix = src.load_vix().unwrap().series;
    let pool: Vec<V2Ticker> = ["SPY", "QQQ", "XLE"]
        .iter()
        .map(|t| V2Ticker::new(src.load(t).unwrap().series, &vix).unwrap())
        .collect();
    let comps: Vec<f64> = configs.iter().map(|c| c.comp_threshold).collect();
    let wf = walk_forward_v2_with(&pool, &comps, BarrierRule::Auto).unwrap();
    let entry: BTreeMap<(i32, usize), f64> = wf
        .folds
        .iter()
        .flat_map(|f| {
            f.thresholds_by_comp
                .iter()
                .enumerate()
                .filter_map(move |(k, t)| Some(((f.year, k), t.as_ref()?.entry)))
        })
        .collect();

    let mut below_config = 0;
    for (k, cfg) in configs.iter().enumerate() {
        let mut trades = 0;
        for a in &s.assets {
            let bt = a.backtests[k].as_ref().unwrap();
            for t in &bt.trades {
                let e = entry[&(t.signal_date.year(), k)];
                assert!(
                    t.p_rally >= e - 1e-9,
                    "{} {}: P {} < entry {e}",
                    a.ticker,
                    t.signal_date,
                    t.p_rally
                );
                below_config += usize::from(t.p_rally < cfg.p_threshold);
                trades += 1;
            }
        }
        assert!(trades > 50, "config {}: {trades} trades", cfg.name);
    }
    assert!(below_config > 0, "the configs' own p_threshold was applied");
    // Each config's own compression cut (and its thresholds) was used.
    assert_ne!(
        s.assets[0].backtests[0].as_ref().unwrap().trades.len(),
        s.assets[0].backtests[1].as_ref().unwrap().trades.len()
    );
}
