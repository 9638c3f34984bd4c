//! The live benchmarks on hand-made records: every line on the system's
//! dates, known returns, CAGR, drawdown and exposure, and no annualised
//! figure on a short record.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use chrono::{Days, NaiveDate};
use rally_data::{Source, SyntheticSource};

use super::*;

fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, dd).unwrap()
}

fn pt(date: NaiveDate, units: f64, in_position: bool) -> EquityPoint {
    EquityPoint {
        date,
        equity: units * DEFAULT_CAPITAL,
        in_position,
    }
}

fn snap(date: NaiveDate, equity: f64, n_open: i64) -> EquitySnapshot {
    EquitySnapshot {
        date,
        equity,
        cash: equity,
        exposure: 0.0,
        n_open,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

#[test]
fn a_sleeve_holds_from_since_and_enters_every_compressed_bar() {
    let src = SyntheticSource::new(42);
    let s = src.load("SPY").unwrap().series;
    let vix = src.load_vix().unwrap().series;
    let n = s.len();
    let from = n - 250;
    let v = rally_data::align_asof(&s.dates, &vix.dates, &vix.close);
    let frame = FeatureFrame::compute_from(&s.high, &s.low, &s.close, &s.volume, &v, from);
    let cfg = TradeConfig::baseline();
    let got = sleeve(&s, &frame, from, &cfg).unwrap();
    let (first, last) = (got.buy_hold[0], *got.buy_hold.last().unwrap());
    assert_eq!((first.date, last.date), (s.dates[from], s.dates[n - 1]));
    assert_eq!(
        last.equity / first.equity - 1.0,
        s.close[n - 1] / s.close[from] - 1.0
    );
    let every = &got.every_compressed;
    assert!(every.iter().all(|e| e.date >= s.dates[from]));
    assert!(
        every.iter().any(|e| e.in_position),
        "a year of compressed bars trades"
    );
    // A compression no bar reaches: never in the market, flat equity.
    let mut never = cfg.clone();
    never.comp_threshold = 2.0;
    let flat = sleeve(&s, &frame, from, &never).unwrap();
    assert!(!flat.every_compressed.is_empty());
    assert!(
        flat.every_compressed
            .iter()
            .all(|e| e.equity == DEFAULT_CAPITAL && !e.in_position)
    );
    // A start after the last bar has nothing to hold.
    assert_eq!(sleeve(&s, &frame, n, &cfg), None);
}

#[test]
fn a_curve_on_other_dates_carries_its_latest_point() {
    let curve = [pt(d(2024, 1, 2), 1.0, true), pt(d(2024, 1, 4), 3.0, false)];
    let dates = [
        d(2024, 1, 1),
        d(2024, 1, 2),
        d(2024, 1, 3),
        d(2024, 1, 4),
        d(2024, 1, 5),
    ];
    let got = on_dates(&curve, &dates);
    assert_eq!(
        got,
        [
            pt(d(2024, 1, 1), 1.0, false),
            pt(d(2024, 1, 2), 1.0, true),
            pt(d(2024, 1, 3), 1.0, true),
            pt(d(2024, 1, 4), 3.0, false),
            pt(d(2024, 1, 5), 3.0, false),
        ]
    );
    assert!(on_dates(&[], &dates).is_empty(), "no curve is no sleeve");
}

/// 20 stored snapshots 36 days apart from 2023-01-01 and today's on
/// 2025-01-01 (731 days): 100k, a trough of 80k on the sixth, 121k today.
fn year_two_record() -> (Vec<EquitySnapshot>, EquitySnapshot) {
    let start = d(2023, 1, 1);
    let history = (0..20u64)
        .map(|k| {
            let date = start.checked_add_days(Days::new(36 * k)).unwrap();
            let equity = match k {
                0..5 => 100_000.0,
                5 => 80_000.0,
                _ => 90_000.0,
            };
            snap(date, equity, if k % 2 == 0 { 1 } else { 0 })
        })
        .collect();
    (history, snap(d(2025, 1, 1), 121_000.0, 2))
}

/// A doubles; B starts six weeks late and ends at 0.8; only B has an
/// every-compressed curve.
fn two_sleeves() -> [Sleeve; 2] {
    [
        Sleeve {
            buy_hold: vec![
                pt(d(2023, 1, 1), 1.0, true),
                pt(d(2024, 1, 10), 1.5, true),
                pt(d(2025, 1, 1), 2.0, true),
            ],
            every_compressed: Vec::new(),
        },
        Sleeve {
            buy_hold: vec![pt(d(2023, 2, 15), 1.0, true), pt(d(2025, 1, 1), 0.8, true)],
            every_compressed: vec![
                pt(d(2023, 3, 1), 1.0, false),
                pt(d(2023, 6, 1), 1.1, true),
                pt(d(2024, 12, 31), 1.05, false),
            ],
        },
    ]
}

#[test]
fn every_line_has_its_figures_on_the_systems_dates() {
    let (history, now) = year_two_record();
    let sleeves = two_sleeves();
    let refs: Vec<&Sleeve> = sleeves.iter().collect();
    let b = live_benchmark(&refs, &history, &now, 4).unwrap();
    assert_eq!((b.since, b.tickers), (d(2023, 1, 1), 2));
    let f = b.figures.clone().unwrap();
    assert_eq!((f.dates, f.annualised), (21, true));

    // System: 100k -> 121k over 731 days, trough 80k.
    assert!(close(f.system.total_return, 0.21));
    assert!(close(f.system.cagr.unwrap(), 0.099_928_291_531_823_37));
    assert!(close(f.system.max_drawdown, -0.2));
    assert!(f.system.sharpe.is_some() && f.system.sortino.is_some());
    // One of 4 sleeves open on the 10 even snapshots, 2 of 4 today.
    assert!(close(
        f.system.exposure.unwrap(),
        (10.0 * 0.25 + 0.5) / 21.0
    ));

    // Buy-and-hold: (2.0 + 0.8) / 2 at the end; B is not held on the two
    // dates before its first bar.
    assert!(close(f.buy_hold.total_return, 0.4));
    assert!(close(f.buy_hold.exposure.unwrap(), 20.0 / 21.0));
    assert_eq!(f.buy_hold.max_drawdown, 0.0);

    // Every compressed bar: B's sleeve alone, its last point carried.
    let every = f.every_compressed.unwrap();
    assert!(close(every.total_return, 0.05));
    assert!(close(every.max_drawdown, 1.05 / 1.1 - 1.0));

    // The returns are the lines' total returns.
    assert_eq!(b.system_return, f.system.total_return);
    assert_eq!(b.buy_hold_return, f.buy_hold.total_return);
    assert_eq!(b.every_compressed_return, Some(every.total_return));
}

#[test]
fn a_short_record_has_returns_but_no_annualised_figure() {
    let history = [snap(d(2024, 5, 1), 100_000.0, 0)];
    let now = snap(d(2024, 5, 10), 102_000.0, 1);
    // B's first bar comes a day after `since`.
    let sleeves = [
        Sleeve {
            buy_hold: vec![pt(d(2024, 5, 1), 1.0, true), pt(d(2024, 5, 10), 1.1, true)],
            every_compressed: vec![pt(d(2024, 5, 1), 1.0, false)],
        },
        Sleeve {
            buy_hold: vec![pt(d(2024, 5, 2), 1.0, true), pt(d(2024, 5, 9), 0.95, true)],
            every_compressed: Vec::new(),
        },
    ];
    let refs: Vec<&Sleeve> = sleeves.iter().collect();
    let b = live_benchmark(&refs, &history, &now, 2).unwrap();
    let f = b.figures.unwrap();
    assert_eq!((f.dates, f.annualised), (2, false));
    let every = f.every_compressed.unwrap();
    for line in [f.system, f.buy_hold, every] {
        assert_eq!((line.cagr, line.sharpe, line.sortino), (None, None, None));
        assert!(line.exposure.is_some());
    }
    assert!(close(f.system.total_return, 0.02));
    assert!(close(f.system.exposure.unwrap(), 0.25));
    // B's last point (the 9th) carried to the 10th.
    assert!(close(f.buy_hold.total_return, (1.1 + 0.95) / 2.0 - 1.0));
    assert!(close(f.buy_hold.exposure.unwrap(), 0.75));
    assert_eq!((every.total_return, every.exposure), (0.0, Some(0.0)));
}

#[test]
fn the_record_is_the_stored_one_before_today_and_todays() {
    let history = [
        snap(d(2024, 5, 1), 100_000.0, 0),
        snap(d(2024, 5, 2), 50_000.0, 0),
        // A re-run of today: today's snapshot replaces the stored one; a
        // backfill ignores the later ones.
        snap(d(2024, 5, 3), 1.0, 0),
        snap(d(2024, 5, 4), 1.0, 0),
    ];
    let now = snap(d(2024, 5, 3), 110_000.0, 0);
    let got = system_record(&history, &now);
    let dates: Vec<NaiveDate> = got.iter().map(|e| e.date).collect();
    assert_eq!(dates, [d(2024, 5, 1), d(2024, 5, 2), d(2024, 5, 3)]);
    assert_eq!(got[2].equity, 110_000.0);
}

#[test]
fn no_benchmark_on_a_first_scan_without_a_sleeve_or_a_first_equity() {
    let sleeves = two_sleeves();
    let refs: Vec<&Sleeve> = sleeves.iter().collect();
    let now = snap(d(2024, 5, 10), 100_000.0, 0);
    assert_eq!(live_benchmark(&refs, &[], &now, 2), None);
    let history = [snap(d(2024, 5, 1), 100_000.0, 0)];
    assert_eq!(live_benchmark(&[], &history, &now, 2), None);
    let broke = [snap(d(2024, 5, 1), 0.0, 0)];
    assert_eq!(live_benchmark(&refs, &broke, &now, 2), None);
}

#[test]
fn annualised_figures_need_twenty_dates_over_four_weeks() {
    let days = |n: u64, step: u64| -> Vec<NaiveDate> {
        (0..n)
            .map(|k| d(2024, 1, 1).checked_add_days(Days::new(k * step)).unwrap())
            .collect()
    };
    assert!(annualised_ok(&days(20, 2)));
    assert!(!annualised_ok(&days(19, 2)), "too few dates");
    assert!(!annualised_ok(&days(20, 1)), "19 days");
    assert!(!annualised_ok(&[]));
}
