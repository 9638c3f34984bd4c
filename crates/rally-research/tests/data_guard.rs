//! The data guard in research runs: a universe backtest over a market with
//! bad prints reports what the clean market reports, and a ticker whose
//! data look like an unadjusted split is quarantined: listed, and left out
//! of the portfolio aggregate. Built on the synthetic market's fault
//! injector, so the corpus is the project's own.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::{Fault, Source, SyntheticSource};
use rally_model::walkforward::BarrierRule;
use rally_pipeline::data::DataAccess;
use rally_research::sweep::{Sweep, sweep};
use rally_trade::TradeConfig;

const TICKERS: &[&str] = &["SPY", "QQQ", "XLE"];

fn now() -> DateTime<Utc> {
    "2026-08-21T21:30:00Z".parse().unwrap()
}

fn run(source: &dyn Source) -> Sweep {
    let data = DataAccess {
        source,
        cache: None,
        now: now(),
        until: None,
    };
    let tickers: Vec<String> = TICKERS.iter().map(|s| (*s).to_owned()).collect();
    let cfg = TradeConfig::named("baseline").unwrap();
    sweep(&data, &tickers, &[cfg], BarrierRule::Auto, false).unwrap()
}

fn total_return(s: &Sweep) -> f64 {
    s.portfolio(0).unwrap().metrics().unwrap().total_return
}

#[test]
fn bad_prints_are_dropped_and_the_portfolio_stays_what_it_was() {
    let clean = SyntheticSource::new(42);
    let n = clean.series("SPY").len();
    // 0.10 -> 19,900 -> normal, in the words: one- and two-day
    // spikes up and down, every ~4 months of the last 12 years, so some
    // land on entries and exits; plus one 1e20 tick.
    let mut faults: Vec<(String, Fault)> = (0..40)
        .flat_map(|k| {
            let at = n - 100 - 79 * k;
            let factor = if k % 2 == 0 { 1e4 } else { 1e-3 };
            TICKERS.iter().map(move |t| {
                (
                    (*t).to_owned(),
                    Fault::Spike {
                        at: at + k % 3,
                        days: 1 + k % 2,
                        factor,
                    },
                )
            })
        })
        .collect();
    faults.push((
        "XLE".to_owned(),
        Fault::Tick {
            at: n - 250,
            price: 1e20,
        },
    ));
    let faulty = SyntheticSource::new(42).with_faults(faults);
    let (a, b) = (run(&clean), run(&faulty));
    assert!(b.failed.is_empty(), "{:?}", b.failed);
    assert_eq!(b.assets.len(), TICKERS.len());
    let (ra, rb) = (total_return(&a), total_return(&b));
    assert!(
        rb.is_finite() && rb.abs() < 10.0,
        "faulty portfolio total return {rb}"
    );
    // Dropping a bar moves a few trades by a day, nothing more.
    assert!((ra - rb).abs() < 0.05, "clean {ra} vs repaired {rb}");
}

#[test]
fn a_split_like_level_shift_quarantines_the_ticker_out_of_the_portfolio() {
    let clean = SyntheticSource::new(42);
    let n = clean.series("XLE").len();
    let faulty = SyntheticSource::new(42).with_faults([(
        "XLE".to_owned(),
        Fault::UnadjustedSplit {
            at: n - 300,
            ratio: 2.0,
        },
    )]);
    let s = run(&faulty);
    let (t, why) = s.failed.first().unwrap_or_else(|| {
        panic!(
            "XLE not quarantined: {:?}",
            s.assets.iter().map(|a| &a.ticker).collect::<Vec<_>>()
        )
    });
    assert_eq!(t, "XLE");
    assert!(why.contains("quarantined"), "{why}");
    assert!(why.contains("split"), "{why}");
    assert!(s.assets.iter().all(|a| a.ticker != "XLE"));
    // The portfolio is built from the two others only.
    let clean_two = {
        let data = DataAccess {
            source: &clean,
            cache: None,
            now: now(),
            until: None,
        };
        let cfg = TradeConfig::named("baseline").unwrap();
        sweep(
            &data,
            &["SPY".to_owned(), "QQQ".to_owned()],
            &[cfg],
            BarrierRule::Auto,
            false,
        )
        .unwrap()
    };
    assert_eq!(total_return(&s), total_return(&clean_two));
}

#[test]
fn far_future_rows_never_reach_a_run() {
    let faulty = SyntheticSource::new(42)
        .with_faults([("SPY".to_owned(), Fault::FutureRow { days: 2_900_000 })]);
    let data = DataAccess {
        source: &faulty,
        cache: None,
        now: now(),
        until: None,
    };
    let got = data.load(&["SPY".to_owned()]).pop().unwrap().unwrap();
    let last = *got.dates.last().unwrap();
    assert!(
        last <= NaiveDate::from_ymd_opt(2026, 8, 22).unwrap(),
        "{last}"
    );
}

/// The guard leaves real-looking moves alone: the clean synthetic market
/// (GARCH volatility, squeezes, breakouts, crypto every day) passes every
/// bar of a hundred tickers unchanged.
#[test]
fn the_clean_synthetic_market_passes_untouched() {
    let market = SyntheticSource::new(42);
    let list = rally_data::Universe::from_csv(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/universe/us_large_caps.csv"
    )))
    .unwrap();
    let tickers = list
        .tickers
        .iter()
        .take(100)
        .map(String::as_str)
        .chain(["BTC-USD", "ETH-USD", "DOGE-USD", "^VIX"]);
    for t in tickers {
        let s = market.series(t);
        let (g, report) =
            rally_data::guard(s.clone(), NaiveDate::from_ymd_opt(2026, 8, 21).unwrap());
        assert!(report.is_clean(), "{t}: {}", report.describe());
        assert_eq!(g, s, "{t}");
    }
}
