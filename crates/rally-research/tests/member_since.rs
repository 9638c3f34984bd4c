//! Survivorship (`retrainer backtest --universe --member-since`): a ticker
//! restricted to its index membership has no trade, sleeve or benchmark
//! bar before the date it joined; a ticker without a date keeps its whole
//! history. Both model families.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::SyntheticSource;
use rally_model::walkforward::BarrierRule;
use rally_pipeline::data::DataAccess;
use rally_research::sweep::{AssetRun, Sweep, TradeFrom, sweep_v2_with, sweep_with};
use rally_trade::TradeConfig;

fn now() -> DateTime<Utc> {
    "2026-08-21T21:30:00Z".parse().unwrap()
}

/// The year SPY "joined" in these tests.
fn joined() -> NaiveDate {
    NaiveDate::from_ymd_opt(2016, 1, 1).unwrap()
}

/// Every date the asset traded or held a sleeve or benchmark bar on.
fn first_dates(a: &AssetRun) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    for bt in a.backtests.iter().chain(&a.every_compressed).flatten() {
        out.extend(bt.trades.iter().map(|t| t.entry_date));
        out.extend(bt.equity.first().map(|e| e.date));
    }
    out.extend(a.buy_hold.first().map(|e| e.date));
    out
}

fn asset<'s>(s: &'s Sweep, t: &str) -> &'s AssetRun {
    s.assets.iter().find(|a| a.ticker == t).unwrap()
}

fn check(run: impl Fn(&TradeFrom) -> Sweep) {
    let whole = run(&TradeFrom::default());
    let since = TradeFrom::new(BTreeMap::from([("SPY".to_owned(), joined())]));
    let member = run(&since);

    let before = |a: &AssetRun| first_dates(a).into_iter().filter(|d| *d < joined()).count();
    assert!(
        before(asset(&whole, "SPY")) > 0,
        "the unrestricted run trades before the join"
    );
    assert_eq!(
        before(asset(&member, "SPY")),
        0,
        "{:?}",
        first_dates(asset(&member, "SPY"))
    );
    let trades = |a: &AssetRun| {
        a.backtests
            .iter()
            .flatten()
            .map(|b| b.trades.len())
            .sum::<usize>()
    };
    assert!(
        trades(asset(&member, "SPY")) > 0,
        "SPY still trades after it joined"
    );
    // QQQ has no date: its whole history, exactly as without the restriction.
    assert_eq!(
        first_dates(asset(&member, "QQQ")),
        first_dates(asset(&whole, "QQQ"))
    );
    assert_eq!(trades(asset(&member, "QQQ")), trades(asset(&whole, "QQQ")));
}

fn data(src: &SyntheticSource) -> DataAccess<'_> {
    DataAccess {
        source: src,
        cache: None,
        now: now(),
        until: None,
    }
}

#[test]
fn classic_backtest_trades_a_member_only_from_the_year_it_joined() {
    let src = SyntheticSource::new(42);
    let names = ["SPY", "QQQ"].map(str::to_owned);
    let cfgs = [TradeConfig::named("aggressive").unwrap()];
    check(|tf| sweep_with(&data(&src), &names, &cfgs, BarrierRule::Auto, false, tf).unwrap());
}

#[test]
fn v2_backtest_trades_a_member_only_from_the_year_it_joined() {
    let src = SyntheticSource::new(42);
    let names = ["SPY", "QQQ", "XLE"].map(str::to_owned);
    let cfgs = [TradeConfig::named("aggressive").unwrap()];
    check(|tf| sweep_v2_with(&data(&src), &names, &cfgs, BarrierRule::Auto, false, tf).unwrap());
}

#[test]
fn restrict_hides_only_the_bars_before_the_date() {
    let d = |day| NaiveDate::from_ymd_opt(2020, 1, day).unwrap();
    let dates = [d(1), d(2), d(3)];
    let tf = TradeFrom::new(BTreeMap::from([("A".to_owned(), d(2))]));
    let mut p = [0.1, 0.2, 0.3];
    tf.restrict("A", &dates, &mut p);
    assert!(p[0].is_nan() && p[1] == 0.2 && p[2] == 0.3);
    let mut q = [0.1, 0.2, 0.3];
    tf.restrict("B", &dates, &mut q);
    assert_eq!(q, [0.1, 0.2, 0.3]);
}
