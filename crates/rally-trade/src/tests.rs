//! Unit tests of the trading rules, one rule per test.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use chrono::NaiveDate;

use crate::machine::{exit_check, signal_check};
use crate::*;

fn day(k: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(k)
}

fn cfg() -> TradeConfig {
    TradeConfig::baseline()
}

const COST: f64 = 0.0005;

/// A quiet bar: no exit trigger for the default position, no signal.
fn bar(k: i64, o: f64, h: f64, l: f64, c: f64) -> BarInput {
    BarInput {
        date: day(k),
        open: o,
        high: h,
        low: l,
        close: c,
        atr: 2.0,
        rv: 0.2,
        rv_pctile: 0.5,
        compression: 0.7,
        p: None,
    }
}

fn signal_bar(k: i64, c: f64) -> BarInput {
    BarInput {
        p: Some(0.9),
        ..bar(k, c, c, c, c)
    }
}

/// A position from a signal at close 100, ATR 2: stop 98, target 104.
fn open_book(bars_since_signal: u32) -> Book {
    let signal = Signal {
        signal_date: day(0),
        p: 0.9,
        stop: 98.0,
        target: 104.0,
        size: 0.25,
        equity_at_signal: 100_000.0,
    };
    let fill = 100.0 * (1.0 + COST);
    let shares = 0.25 * 100_000.0 / fill;
    Book {
        cash: 100_000.0 - shares * fill,
        state: TradeState::Open {
            position: Position {
                signal,
                entry_date: day(1),
                fill,
                shares,
                bars_since_signal,
            },
        },
    }
}

fn exits(out: &StepOutput) -> Vec<ClosedTrade> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::Exit(t) => Some(*t),
            _ => None,
        })
        .collect()
}

fn signals(out: &StepOutput) -> Vec<Signal> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::Signal(s) => Some(*s),
            _ => None,
        })
        .collect()
}

struct Cols {
    dates: Vec<NaiveDate>,
    o: Vec<f64>,
    h: Vec<f64>,
    l: Vec<f64>,
    c: Vec<f64>,
    atr: Vec<f64>,
    rv: Vec<f64>,
    rvp: Vec<f64>,
    comp: Vec<f64>,
    p: Vec<f64>,
}

impl Cols {
    fn from_bars(bars: &[BarInput]) -> Cols {
        Cols {
            dates: bars.iter().map(|b| b.date).collect(),
            o: bars.iter().map(|b| b.open).collect(),
            h: bars.iter().map(|b| b.high).collect(),
            l: bars.iter().map(|b| b.low).collect(),
            c: bars.iter().map(|b| b.close).collect(),
            atr: bars.iter().map(|b| b.atr).collect(),
            rv: bars.iter().map(|b| b.rv).collect(),
            rvp: bars.iter().map(|b| b.rv_pctile).collect(),
            comp: bars.iter().map(|b| b.compression).collect(),
            p: bars.iter().map(|b| b.p.unwrap_or(f64::NAN)).collect(),
        }
    }
    fn input(&self) -> BacktestInput<'_> {
        BacktestInput {
            dates: &self.dates,
            open: &self.o,
            high: &self.h,
            low: &self.l,
            close: &self.c,
            atr: &self.atr,
            rv: &self.rv,
            rv_pctile: &self.rvp,
            compression: &self.comp,
            p: &self.p,
        }
    }
}

fn run(bars: &[BarInput]) -> Option<Backtest> {
    let cols = Cols::from_bars(bars);
    backtest(&cols.input(), &cfg(), 100_000.0).unwrap()
}

// ---------- exits ----------

#[test]
fn gap_through_stop_exits_at_open() {
    let out = step(open_book(2), &bar(2, 95.0, 99.0, 94.0, 97.0), true, &cfg());
    let t = exits(&out);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].reason, ExitReason::Stop);
    assert_eq!(t[0].exit_price, 95.0);
    assert_eq!(t[0].bars_held, 3);
    assert!(!out.in_position);
    assert_eq!(out.book.state, TradeState::Flat);
}

#[test]
fn stop_touched_from_above_exits_at_stop() {
    let out = step(
        open_book(2),
        &bar(2, 100.0, 101.0, 97.5, 99.0),
        true,
        &cfg(),
    );
    let t = exits(&out);
    assert_eq!((t[0].reason, t[0].exit_price), (ExitReason::Stop, 98.0));
}

#[test]
fn same_bar_stop_and_target_stop_wins() {
    let out = step(
        open_book(2),
        &bar(2, 101.0, 105.0, 97.0, 103.0),
        true,
        &cfg(),
    );
    let t = exits(&out);
    assert_eq!(t[0].reason, ExitReason::Stop);
    assert_eq!(t[0].exit_price, 98.0);
}

#[test]
fn target_gap_exits_at_open() {
    let out = step(
        open_book(2),
        &bar(2, 106.0, 107.0, 105.0, 106.5),
        true,
        &cfg(),
    );
    let t = exits(&out);
    assert_eq!((t[0].reason, t[0].exit_price), (ExitReason::Target, 106.0));
}

#[test]
fn target_touched_exits_at_target() {
    let out = step(
        open_book(2),
        &bar(2, 101.0, 104.5, 100.5, 102.0),
        true,
        &cfg(),
    );
    let t = exits(&out);
    assert_eq!((t[0].reason, t[0].exit_price), (ExitReason::Target, 104.0));
    let ret = 104.0 * (1.0 - COST) / (100.0 * (1.0 + COST)) - 1.0;
    assert_eq!(t[0].ret, ret);
}

#[test]
fn exhaustion_exits_at_close() {
    let mut b = bar(2, 100.0, 101.0, 99.0, 100.5);
    b.rv_pctile = 0.80;
    let out = step(open_book(2), &b, true, &cfg());
    let t = exits(&out);
    assert_eq!(
        (t[0].reason, t[0].exit_price),
        (ExitReason::Exhaustion, 100.5)
    );
    // just below and NaN: no exit
    b.rv_pctile = 0.7999999;
    assert!(exits(&step(open_book(2), &b, true, &cfg())).is_empty());
    b.rv_pctile = f64::NAN;
    assert!(exits(&step(open_book(2), &b, true, &cfg())).is_empty());
}

#[test]
fn time_stop_at_time_stop_bars() {
    let b = bar(10, 100.0, 101.0, 99.0, 100.25);
    // bars_since_signal 8 -> 9 after the step: no exit
    assert!(exits(&step(open_book(8), &b, true, &cfg())).is_empty());
    // 9 -> 10 = time_stop_bars: exit at close
    let out = step(open_book(9), &b, true, &cfg());
    let t = exits(&out);
    assert_eq!(
        (t[0].reason, t[0].exit_price, t[0].bars_held),
        (ExitReason::Time, 100.25, 10)
    );
}

#[test]
fn exit_priority_stop_target_exhaustion_time() {
    let c = cfg();
    let pos = match open_book(10).state {
        TradeState::Open { position } => position,
        _ => unreachable!(),
    };
    let mut b = bar(3, 100.0, 105.0, 97.0, 100.0);
    b.rv_pctile = 0.9;
    assert_eq!(exit_check(&pos, &b, &c).unwrap().1, ExitReason::Stop);
    b.low = 99.0;
    assert_eq!(exit_check(&pos, &b, &c).unwrap().1, ExitReason::Target);
    b.high = 101.0;
    assert_eq!(exit_check(&pos, &b, &c).unwrap().1, ExitReason::Exhaustion);
    b.rv_pctile = 0.1;
    assert_eq!(exit_check(&pos, &b, &c).unwrap().1, ExitReason::Time);
}

#[test]
fn exit_on_entry_bar() {
    let c = cfg();
    let flat = Book::new(100_000.0);
    let s = step(flat, &signal_bar(0, 100.0), true, &c);
    assert!(matches!(s.book.state, TradeState::Pending { .. }));
    // entry bar opens at 99 and drops through the stop (98)
    let out = step(s.book, &bar(1, 99.0, 99.5, 97.0, 97.5), true, &c);
    assert!(matches!(out.events[0], Event::Fill(_)));
    let t = exits(&out);
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].reason, t[0].exit_price, t[0].bars_held),
        (ExitReason::Stop, 98.0, 1)
    );
    assert_eq!(t[0].entry_date, day(1));
    assert_eq!(t[0].exit_date, day(1));
    assert!(!out.in_position);
    let fill = 99.0 * (1.0 + COST);
    let shares = 0.25 * 100_000.0 / fill;
    let cash = 100_000.0 - shares * fill + shares * 98.0 * (1.0 - COST);
    assert_eq!(out.book.cash, cash);
    assert_eq!(out.equity, cash);
}

// ---------- fills, sizing, equity ----------

#[test]
fn fill_at_next_open_moves_cash_and_equity_marks_to_close() {
    let c = cfg();
    let s = step(Book::new(100_000.0), &signal_bar(0, 100.0), true, &c);
    let sig = signals(&s)[0];
    assert_eq!(
        (sig.stop, sig.target, sig.size, sig.equity_at_signal),
        (98.0, 104.0, 0.25, 100_000.0)
    );
    assert_eq!(s.book.cash, 100_000.0, "a signal moves no cash");
    assert_eq!(s.equity, 100_000.0);
    assert!(!s.in_position);
    let out = step(s.book, &bar(1, 101.0, 102.0, 100.0, 101.5), true, &c);
    let fill = 101.0 * (1.0 + COST);
    let shares = 0.25 * 100_000.0 / fill;
    match out.events[0] {
        Event::Fill(f) => assert_eq!((f.fill, f.shares, f.date), (fill, shares, day(1))),
        _ => panic!("expected a fill"),
    }
    assert_eq!(out.book.cash, 100_000.0 - shares * fill);
    assert_eq!(out.equity, 100_000.0 - shares * fill + shares * 101.5);
    assert!(out.in_position);
    match out.book.state {
        TradeState::Open { position } => assert_eq!(position.bars_since_signal, 1),
        _ => panic!("expected open"),
    }
}

#[test]
fn rv_zero_sizes_at_max_size() {
    let mut b = signal_bar(0, 100.0);
    b.rv = 0.0;
    assert_eq!(signal_check(&b, 1.0, &cfg()).unwrap().unwrap().size, 0.25);
}

#[test]
fn vol_target_caps_size() {
    let mut b = signal_bar(0, 100.0);
    b.rv = 0.8;
    assert_eq!(
        signal_check(&b, 1.0, &cfg()).unwrap().unwrap().size,
        0.10 / 0.8
    );
    b.rv = 0.1;
    assert_eq!(signal_check(&b, 1.0, &cfg()).unwrap().unwrap().size, 0.25);
}

// ---------- signals ----------

#[test]
fn p_threshold_has_1e9_tolerance() {
    let c = cfg();
    let mut b = signal_bar(0, 100.0);
    b.p = Some(0.5 - 5e-10);
    assert!(signal_check(&b, 1.0, &c).unwrap().is_some());
    b.p = Some(0.5 - 1e-9);
    assert!(signal_check(&b, 1.0, &c).unwrap().is_some());
    b.p = Some(0.5 - 2e-9);
    assert!(signal_check(&b, 1.0, &c).unwrap().is_none());
    b.p = Some(f64::NAN);
    assert!(signal_check(&b, 1.0, &c).unwrap().is_none());
    b.p = None;
    assert!(signal_check(&b, 1.0, &c).unwrap().is_none());
}

#[test]
fn compression_threshold_and_nan() {
    let c = cfg();
    let mut b = signal_bar(0, 100.0);
    b.compression = 0.55;
    assert!(signal_check(&b, 1.0, &c).unwrap().is_some());
    b.compression = 0.5499999;
    assert!(signal_check(&b, 1.0, &c).unwrap().is_none());
    b.compression = f64::NAN;
    assert!(signal_check(&b, 1.0, &c).unwrap().is_none());
}

#[test]
fn signal_on_an_exit_bar_is_allowed() {
    let mut b = bar(2, 106.0, 107.0, 105.0, 106.5);
    b.p = Some(0.9);
    let out = step(open_book(2), &b, true, &cfg());
    assert_eq!(exits(&out)[0].reason, ExitReason::Target);
    let s = signals(&out);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].equity_at_signal, out.book.cash);
    assert!(matches!(out.book.state, TradeState::Pending { .. }));
    assert!(matches!(out.events[..], [Event::Exit(_), Event::Signal(_)]));
}

#[test]
fn no_signal_while_open() {
    let mut b = bar(2, 100.0, 101.0, 99.0, 100.0);
    b.p = Some(0.9);
    let out = step(open_book(2), &b, true, &cfg());
    assert!(signals(&out).is_empty());
}

#[test]
fn no_signal_on_the_last_bar() {
    let out = step(Book::new(1.0), &signal_bar(0, 100.0), false, &cfg());
    assert!(out.events.is_empty());
    assert_eq!(out.book.state, TradeState::Flat);
    // in a backtest: P on the last bar only -> no trade, flat equity
    let bars = [bar(0, 100.0, 100.0, 100.0, 100.0), signal_bar(1, 100.0)];
    let mut bars = bars.to_vec();
    bars[0].p = Some(0.1);
    let bt = run(&bars).unwrap();
    assert!(bt.trades.is_empty());
    assert_eq!(bt.equity.len(), 2);
    assert!(
        bt.equity
            .iter()
            .all(|e| e.equity == 100_000.0 && !e.in_position)
    );
}

// ---------- backtest ----------

#[test]
fn end_of_data_close_and_last_equity_row() {
    let bars = vec![
        signal_bar(0, 100.0),
        bar(1, 100.0, 101.0, 99.0, 100.5),
        bar(2, 100.5, 101.5, 99.5, 101.0),
    ];
    let bt = run(&bars).unwrap();
    assert_eq!(bt.trades.len(), 1);
    let t = bt.trades[0];
    assert_eq!(
        (t.reason, t.exit_price, t.bars_held),
        (ExitReason::End, 101.0, 2)
    );
    assert_eq!(t.exit_date, day(2));
    let fill = 100.0 * (1.0 + COST);
    let shares = 0.25 * 100_000.0 / fill;
    let cash = 100_000.0 - shares * fill + shares * 101.0 * (1.0 - COST);
    let last = bt.equity.last().unwrap();
    assert_eq!((last.equity, last.in_position), (cash, false));
    // the row before was still in position, marked to close
    assert!(bt.equity[1].in_position);
    assert_eq!(
        bt.equity[1].equity,
        100_000.0 - shares * fill + shares * 100.5
    );
    assert_eq!(bt.buy_hold_return, 101.0 / 100.0 - 1.0);
}

#[test]
fn rows_without_p_still_manage_an_open_position() {
    let bars = vec![
        signal_bar(0, 100.0),
        bar(1, 100.0, 101.0, 99.0, 100.5),
        bar(2, 100.5, 101.0, 97.0, 98.5),
        bar(3, 98.5, 99.0, 98.0, 98.5),
    ];
    let bt = run(&bars).unwrap();
    assert_eq!(bt.trades.len(), 1);
    assert_eq!(
        (bt.trades[0].reason, bt.trades[0].bars_held),
        (ExitReason::Stop, 2)
    );
    assert_eq!(
        bt.equity.iter().map(|e| e.in_position).collect::<Vec<_>>(),
        [false, true, false, false]
    );
}

#[test]
fn backtest_starts_at_first_row_with_p() {
    let mut bars = vec![
        signal_bar(0, 100.0),
        signal_bar(1, 100.0),
        bar(2, 100.0, 100.0, 100.0, 100.0),
        bar(3, 100.0, 100.0, 100.0, 100.0),
    ];
    bars[0].p = None;
    bars[1].p = Some(0.2);
    let bt = run(&bars).unwrap();
    assert_eq!(bt.start, 1);
    assert_eq!(bt.equity.len(), 3);
    assert_eq!(bt.equity[0].date, day(1));
}

#[test]
fn no_p_at_all_no_backtest() {
    let bars = vec![bar(0, 1.0, 1.0, 1.0, 1.0), bar(1, 1.0, 1.0, 1.0, 1.0)];
    assert!(run(&bars).is_none());
}

#[test]
fn length_mismatch_is_an_error() {
    let bars = vec![signal_bar(0, 100.0), bar(1, 1.0, 1.0, 1.0, 1.0)];
    let mut cols = Cols::from_bars(&bars);
    cols.rv.pop();
    let e = backtest(&cols.input(), &cfg(), 1.0).unwrap_err();
    assert!(matches!(e, TradeError::LengthMismatch { column: "rv", .. }));
}

/// A live tracker that persists the book (MessagePack: exact f64 round trip;
/// serde_json needs its `float_roundtrip` feature for that) and sees one bar per day
/// reproduces the backtest's trades and equity.
#[test]
fn live_tracking_with_persisted_state_matches_backtest() {
    let mut bars = Vec::new();
    let mut x = 100.0;
    for k in 0..200i64 {
        let w = ((k * 37 % 23) as f64 - 11.0) / 10.0;
        let o = x;
        let c = x + w;
        let mut b = bar(k, o, o.max(c) + 0.7, o.min(c) - 0.6, c);
        b.p = Some(((k * 13 % 17) as f64) / 16.0);
        b.rv_pctile = ((k * 7 % 11) as f64) / 10.0;
        bars.push(b);
        x = c;
    }
    let bt = run(&bars).unwrap();
    assert!(bt.trades.len() > 5);
    let c = cfg();
    let mut stored = rmp_serde::to_vec(&Book::new(100_000.0)).unwrap();
    let mut trades = Vec::new();
    for (k, b) in bars.iter().enumerate() {
        let book: Book = rmp_serde::from_slice(&stored).unwrap();
        let out = step(book, b, k + 1 < bars.len(), &c);
        trades.extend(exits(&out));
        if k + 1 < bars.len() {
            assert_eq!(out.equity, bt.equity[k].equity);
        }
        stored = rmp_serde::to_vec(&out.book).unwrap();
    }
    let n = trades.len();
    assert_eq!(trades[..], bt.trades[..n]);
}

#[test]
fn state_and_events_serde() {
    let book = open_book(3);
    let s = serde_json::to_string(&book).unwrap();
    assert!(s.contains("\"state\":\"open\""), "{s}");
    assert_eq!(serde_json::from_str::<Book>(&s).unwrap(), book);
    assert_eq!(
        serde_json::to_string(&ExitReason::Exhaustion).unwrap(),
        "\"exhaustion\""
    );
    assert_eq!(ExitReason::Time.to_string(), "time");
    assert_eq!(ExitReason::End.to_string(), "end");
    let out = step(open_book(2), &bar(2, 95.0, 99.0, 94.0, 97.0), true, &cfg());
    let ev = serde_json::to_string(&out.events).unwrap();
    assert!(
        ev.contains("\"reason\":\"stop\"") && ev.contains("\"return\":"),
        "{ev}"
    );
}

#[test]
fn unusable_levels_are_refused_not_opened() {
    // With ATR 2 and the baseline multiples the levels are 98 < 100 < 104;
    // a negative, zero, NaN, infinite or absurd ATR breaks them.
    for atr in [-2.0, 0.0, f64::NAN, f64::INFINITY, 1e300] {
        let mut b = signal_bar(0, 100.0);
        b.atr = atr;
        let out = step(Book::new(100_000.0), &b, true, &cfg());
        assert!(signals(&out).is_empty(), "atr {atr}");
        assert_eq!(out.book.state, TradeState::Flat, "atr {atr}");
        let refusal = out
            .refused
            .unwrap_or_else(|| panic!("atr {atr}: no refusal"));
        let (stop, target) = (100.0 - atr, 100.0 + 2.0 * atr);
        let want = if atr.is_finite() && stop > 0.0 {
            Refusal::Unordered {
                date: day(0),
                stop,
                price: 100.0,
                target,
            }
        } else {
            Refusal::NotFinitePositive {
                date: day(0),
                stop,
                price: 100.0,
                target,
            }
        };
        // NaN levels never compare equal: compare the variants and text.
        assert_eq!(
            std::mem::discriminant(&refusal),
            std::mem::discriminant(&want),
            "atr {atr}"
        );
        assert_eq!(refusal.to_string(), want.to_string(), "atr {atr}");
        assert!(signal_check(&b, 1.0, &cfg()).is_err(), "atr {atr}");
    }
    // The next bar fills nothing: the refused signal was never pending.
    let mut b = signal_bar(0, 100.0);
    b.atr = -2.0;
    let out = step(Book::new(100_000.0), &b, true, &cfg());
    let next = step(out.book, &bar(1, 100.0, 101.0, 99.0, 100.0), true, &cfg());
    assert!(next.events.is_empty() && next.refused.is_none());
}

#[test]
fn usable_levels_are_not_refused() {
    let out = step(Book::new(100_000.0), &signal_bar(0, 100.0), true, &cfg());
    assert_eq!(out.refused, None);
    let s = signals(&out);
    assert_eq!((s[0].stop, s[0].target), (98.0, 104.0));
    assert!(Refusal::check(day(0), 98.0, 100.0, 104.0).is_ok());
    assert!(Refusal::check(day(0), 100.0, 100.0, 104.0).is_err());
    assert!(Refusal::check(day(0), 0.0, 100.0, 104.0).is_err());
}

// ---------- per-bar entry thresholds (model v2) ----------

/// Quiet bars with a low P (0.3, below the baseline's 0.5) on bars 0 and
/// 16 (the first trade has left by its 10-bar time stop).
fn low_p_bars() -> Vec<BarInput> {
    (0..20)
        .map(|k| {
            let mut b = bar(k, 100.0, 100.5, 99.5, 100.0);
            if k == 0 || k == 16 {
                b.p = Some(0.3);
            }
            b
        })
        .collect()
}

fn signal_dates(bt: &Backtest) -> Vec<NaiveDate> {
    bt.trades.iter().map(|t| t.signal_date).collect()
}

#[test]
fn per_bar_entry_threshold_replaces_the_configs() {
    let cols = Cols::from_bars(&low_p_bars());
    let none = backtest(&cols.input(), &cfg(), 100_000.0).unwrap().unwrap();
    assert!(none.trades.is_empty(), "0.3 < baseline 0.5: no entry");

    // A threshold of 0.25 on every bar is the config with p_threshold 0.25.
    let low = vec![0.25; 20];
    let per_bar = backtest_with_entry(&cols.input(), &cfg(), 100_000.0, Some(&low))
        .unwrap()
        .unwrap();
    let mut c = cfg();
    c.p_threshold = 0.25;
    assert_eq!(
        Some(per_bar.clone()),
        backtest(&cols.input(), &c, 100_000.0).unwrap()
    );
    assert_eq!(signal_dates(&per_bar), vec![day(0), day(16)]);

    // Bar 16's threshold is NaN (no model that fold): only bar 0 enters.
    let mut gaps = low;
    gaps[16] = f64::NAN;
    let bt = backtest_with_entry(&cols.input(), &cfg(), 100_000.0, Some(&gaps))
        .unwrap()
        .unwrap();
    assert_eq!(signal_dates(&bt), vec![day(0)]);
    // `None` is exactly the plain backtest.
    assert_eq!(
        backtest_with_entry(&cols.input(), &cfg(), 100_000.0, None).unwrap(),
        Some(none)
    );
}

#[test]
fn entry_threshold_of_the_wrong_length_is_an_error() {
    let cols = Cols::from_bars(&low_p_bars());
    let e = backtest_with_entry(&cols.input(), &cfg(), 100_000.0, Some(&[0.2; 3])).unwrap_err();
    assert!(
        matches!(
            e,
            TradeError::LengthMismatch {
                column: "entry threshold",
                len: 3,
                expected: 20
            }
        ),
        "{e:?}"
    );
}

// ---------- benchmarks ----------

#[test]
fn buy_and_hold_runs_from_the_strategys_first_bar() {
    let bars: Vec<BarInput> = (0..5)
        .map(|k| bar(k, 100.0, 101.0, 99.0, 100.0 + k as f64))
        .collect();
    let cols = Cols::from_bars(&bars);
    let bh = buy_and_hold(&cols.input(), 2, 1000.0);
    let got: Vec<(NaiveDate, f64, bool)> = bh
        .iter()
        .map(|p| (p.date, p.equity, p.in_position))
        .collect();
    assert_eq!(
        got,
        vec![
            (day(2), 1000.0, true),
            (day(3), 1000.0 * 103.0 / 102.0, true),
            (day(4), 1000.0 * 104.0 / 102.0, true),
        ]
    );
    assert!(buy_and_hold(&cols.input(), 9, 1000.0).is_empty());
}

#[test]
fn every_compressed_enters_whatever_p_says_where_the_strategy_could() {
    let mut bars = low_p_bars();
    bars[16].compression = 0.2; // below the baseline's 0.55: no entry there
    let cols = Cols::from_bars(&bars);
    let strategy = backtest(&cols.input(), &cfg(), 100_000.0).unwrap().unwrap();
    assert!(strategy.trades.is_empty());
    let bench = every_compressed(&cols.input(), &cfg(), 100_000.0)
        .unwrap()
        .unwrap();
    assert_eq!(signal_dates(&bench), vec![day(0)]);
    assert_eq!(bench.start, strategy.start, "same first bar");
    assert_eq!(bench.equity.len(), strategy.equity.len());
}
