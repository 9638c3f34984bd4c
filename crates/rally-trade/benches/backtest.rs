//! One baseline backtest over 6,700 synthetic deterministic bars.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use rally_trade::{BacktestInput, TradeConfig, backtest};

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

/// Deterministic pseudo-random bars (an LCG), P from bar 1,500 on.
fn synth(n: usize) -> Cols {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut u = move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let d0 = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
    let mut x = 100.0f64;
    let mut cols = Cols {
        dates: Vec::with_capacity(n),
        o: Vec::with_capacity(n),
        h: Vec::with_capacity(n),
        l: Vec::with_capacity(n),
        c: Vec::with_capacity(n),
        atr: Vec::with_capacity(n),
        rv: Vec::with_capacity(n),
        rvp: Vec::with_capacity(n),
        comp: Vec::with_capacity(n),
        p: Vec::with_capacity(n),
    };
    for k in 0..n {
        let o = x * (1.0 + 0.004 * (u() - 0.5));
        let c = o * (1.0 + 0.03 * (u() - 0.5));
        cols.dates.push(d0 + chrono::Duration::days(k as i64));
        cols.o.push(o);
        cols.h.push(o.max(c) * (1.0 + 0.01 * u()));
        cols.l.push(o.min(c) * (1.0 - 0.01 * u()));
        cols.c.push(c);
        cols.atr.push(0.015 * c);
        cols.rv.push(0.1 + 0.3 * u());
        cols.rvp.push(u());
        cols.comp.push(u());
        cols.p.push(if k >= 1_500 { u() } else { f64::NAN });
        x = c;
    }
    cols
}

fn bench(cr: &mut Criterion) {
    let cols = synth(6_700);
    let input = BacktestInput {
        dates: &cols.dates,
        open: &cols.o,
        high: &cols.h,
        low: &cols.l,
        close: &cols.c,
        atr: &cols.atr,
        rv: &cols.rv,
        rv_pctile: &cols.rvp,
        compression: &cols.comp,
        p: &cols.p,
    };
    let cfg = TradeConfig::baseline();
    cr.bench_function("backtest_6700_bars", |b| {
        b.iter(|| backtest(black_box(&input), &cfg, 100_000.0).unwrap())
    });
    cr.bench_function("backtest_6700_bars_with_metrics", |b| {
        b.iter(|| {
            let bt = backtest(black_box(&input), &cfg, 100_000.0)
                .unwrap()
                .unwrap();
            bt.metrics().unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
