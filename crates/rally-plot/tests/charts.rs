//! Each chart renders a valid PNG of the documented size from small synthetic
//! inputs; bad inputs give typed errors and write nothing.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate, Weekday};
use rally_plot::{
    HEIGHT, PlotError, ReliabilityPoint, ReliabilitySeries, WIDTH, equity_chart, price_chart,
    reliability_chart, reliability_compare_chart,
};
use rally_trade::{ClosedTrade, ExitReason};

/// Deterministic uniform(0, 1) stream (no rand dependency for a test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A synthetic backtest: weekday dates, a random-walk close, P(rally) with a
/// NaN warm-up, trades taken when P crosses the threshold, the strategy's
/// equity and the buy-and-hold close.
struct Synthetic {
    dates: Vec<NaiveDate>,
    close: Vec<f64>,
    p: Vec<f64>,
    trades: Vec<ClosedTrade>,
    equity: Vec<f64>,
}

const THRESHOLD: f64 = 0.6;

fn synthetic(start: NaiveDate, bars: usize, warmup: usize) -> Synthetic {
    let mut rng = Lcg(42);
    let dates: Vec<NaiveDate> = start
        .iter_days()
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .take(bars)
        .collect();
    let mut close = Vec::with_capacity(bars);
    let mut price = 250.0;
    for _ in 0..bars {
        price *= 1.0 + 0.0004 + 0.012 * (rng.next() - 0.5) * 3.4;
        close.push(price);
    }
    let mut z = 0.0_f64;
    let p: Vec<f64> = (0..bars)
        .map(|i| {
            z = 0.93 * z + 0.45 * (rng.next() - 0.5) * 3.4;
            if i < warmup {
                f64::NAN
            } else {
                1.0 / (1.0 + (-(z - 0.3)).exp())
            }
        })
        .collect();

    let mut trades = Vec::new();
    let mut equity = Vec::with_capacity(bars);
    let mut cash = 100_000.0;
    let mut open: Option<(usize, f64, f64)> = None; // (entry bar, fill, shares)
    for i in 0..bars {
        if let Some((entry, fill, shares)) = open {
            if i - entry >= 12 || i == bars - 1 {
                let exit_price = close[i];
                let ret = exit_price / fill - 1.0;
                cash += shares * exit_price;
                trades.push(ClosedTrade {
                    signal_date: dates[entry - 1],
                    entry_date: dates[entry],
                    exit_date: dates[i],
                    entry_fill: fill,
                    exit_price,
                    stop: fill * 0.95,
                    target: fill * 1.08,
                    size: 1.0,
                    shares,
                    p_rally: p[entry - 1],
                    reason: if i == bars - 1 {
                        ExitReason::End
                    } else {
                        ExitReason::Time
                    },
                    bars_held: u32::try_from(i - entry).unwrap(),
                    ret,
                    proceeds: shares * exit_price,
                });
                open = None;
            }
        } else if i > 0 && i + 1 < bars && p[i - 1] >= THRESHOLD {
            let fill = close[i] * 1.001;
            let shares = cash / fill;
            cash = 0.0;
            open = Some((i, fill, shares));
        }
        let held = open.map_or(0.0, |(_, _, shares)| shares * close[i]);
        equity.push(cash + held);
    }
    Synthetic {
        dates,
        close,
        p,
        trades,
        equity,
    }
}

fn ten_bins() -> Vec<ReliabilityPoint> {
    (0..10)
        .map(|k| {
            let lo = f64::from(k) / 10.0;
            let hi = lo + 0.1;
            // Bin 9 is empty, like a model that never says > 0.9.
            if k == 9 {
                return ReliabilityPoint {
                    lo,
                    hi,
                    n: 0,
                    mean_p: None,
                    frac_pos: None,
                };
            }
            let mean_p = lo + 0.05 + 0.01 * (f64::from(k) - 4.5) / 4.5;
            ReliabilityPoint {
                lo,
                hi,
                n: [40, 310, 520, 610, 480, 350, 220, 120, 45, 0][k as usize],
                mean_p: Some(mean_p),
                // Over-confident at the top, as real models tend to be.
                frac_pos: Some((mean_p * 0.85 + 0.04).min(1.0)),
            }
        })
        .collect()
}

/// Asserts `path` is a PNG of the documented size.
fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() > 1000,
        "suspiciously small PNG: {}",
        bytes.len()
    );
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (WIDTH, HEIGHT));
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn write_all(dir: &Path, data: &Synthetic) -> [PathBuf; 3] {
    let paths = [
        dir.join("equity.png"),
        dir.join("price.png"),
        dir.join("reliability.png"),
    ];
    equity_chart(
        &paths[0],
        "SPY - baseline: equity vs buy & hold",
        &data.dates,
        &data.equity,
        &data.close,
    )
    .unwrap();
    price_chart(
        &paths[1],
        "SPY - baseline: price, trades and P(rally)",
        &data.dates,
        &data.close,
        &data.p,
        &data.trades,
        THRESHOLD,
    )
    .unwrap();
    reliability_chart(
        &paths[2],
        "SPY - reliability of P(rally) (out of sample)",
        &ten_bins(),
    )
    .unwrap();
    paths
}

#[test]
fn charts_render_valid_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(d(2019, 1, 2), 400, 60);
    assert!(!data.trades.is_empty());
    for path in write_all(dir.path(), &data) {
        assert_png(&path);
    }
}

#[test]
fn short_and_long_spans_render() {
    let dir = tempfile::tempdir().unwrap();
    for (i, bars) in [1, 5, 40, 4000].into_iter().enumerate() {
        let data = synthetic(d(2000, 1, 3), bars, 0);
        let path = dir.path().join(format!("equity-{i}.png"));
        equity_chart(&path, "span", &data.dates, &data.equity, &data.close).unwrap();
        assert_png(&path);
        let path = dir.path().join(format!("price-{i}.png"));
        price_chart(&path, "span", &data.dates, &data.close, &data.p, &[], 0.5).unwrap();
        assert_png(&path);
    }
}

#[test]
fn nan_probabilities_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(d(2021, 6, 1), 120, 30);
    let mut p = data.p.clone();
    // A gap in the middle as well as the warm-up.
    for v in &mut p[60..70] {
        *v = f64::NAN;
    }
    let path = dir.path().join("gaps.png");
    price_chart(
        &path,
        "gaps",
        &data.dates,
        &data.close,
        &p,
        &data.trades,
        0.6,
    )
    .unwrap();
    assert_png(&path);

    let all_nan = vec![f64::NAN; data.dates.len()];
    let path = dir.path().join("all-nan.png");
    price_chart(&path, "none", &data.dates, &data.close, &all_nan, &[], 0.6).unwrap();
    assert_png(&path);
}

#[test]
fn benchmark_is_optional_and_equity_gaps_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let data = synthetic(d(2021, 6, 1), 120, 0);
    let mut equity = data.equity.clone();
    equity[50] = f64::NAN;
    let path = dir.path().join("no-bh.png");
    equity_chart(&path, "no benchmark", &data.dates, &equity, &[]).unwrap();
    assert_png(&path);
}

#[test]
fn empty_inputs_are_typed_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.png");
    let err = equity_chart(&path, "t", &[], &[], &[]).unwrap_err();
    assert!(matches!(err, PlotError::Empty { what: "dates" }), "{err}");
    let err = price_chart(&path, "t", &[], &[], &[], &[], 0.5).unwrap_err();
    assert!(matches!(err, PlotError::Empty { what: "dates" }), "{err}");
    let err = reliability_chart(&path, "t", &[]).unwrap_err();
    assert!(matches!(err, PlotError::Empty { what: "bins" }), "{err}");
    assert!(!path.exists());
}

#[test]
fn bad_inputs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.png");
    let data = synthetic(d(2021, 6, 1), 20, 0);
    let n = data.dates.len();

    let err = equity_chart(&path, "t", &data.dates, &data.equity[1..], &[]).unwrap_err();
    assert!(
        matches!(
            err,
            PlotError::LengthMismatch {
                what: "equity",
                expected,
                got,
            } if expected == n && got == n - 1
        ),
        "{err}"
    );
    let err = equity_chart(&path, "t", &data.dates, &data.equity, &data.close[2..]).unwrap_err();
    assert!(matches!(
        err,
        PlotError::LengthMismatch {
            what: "buy_hold",
            ..
        }
    ));
    let err = equity_chart(&path, "t", &data.dates, &vec![f64::NAN; n], &[]).unwrap_err();
    assert!(matches!(err, PlotError::InvalidData { what: "equity", .. }));

    let err =
        price_chart(&path, "t", &data.dates, &data.close, &data.p[1..], &[], 0.5).unwrap_err();
    assert!(matches!(
        err,
        PlotError::LengthMismatch {
            what: "p_rally",
            ..
        }
    ));
    let err =
        price_chart(&path, "t", &data.dates, &data.close, &data.p, &[], f64::NAN).unwrap_err();
    assert!(matches!(
        err,
        PlotError::InvalidData {
            what: "p_threshold",
            ..
        }
    ));
    let err = price_chart(
        &path,
        "t",
        &data.dates,
        &vec![f64::NAN; n],
        &data.p,
        &[],
        0.5,
    )
    .unwrap_err();
    assert!(matches!(err, PlotError::InvalidData { what: "close", .. }));
    assert!(!path.exists());
}

#[test]
fn unwritable_path_is_a_draw_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("r.png");
    let err = reliability_chart(&path, "t", &ten_bins()).unwrap_err();
    assert!(matches!(err, PlotError::Draw { .. }), "{err}");
}

/// Renders the long and short sample sets. With `RALLY_PLOT_SAMPLES=DIR` the
/// PNGs are kept in DIR for a human to look at; otherwise a temp dir is used.
#[test]
fn write_samples() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("RALLY_PLOT_SAMPLES")
        .map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let long = synthetic(d(2018, 1, 2), 1650, 250);
    write_all(&dir, &long);
    let short = synthetic(d(2023, 9, 1), 200, 40);
    let short_dir = dir.join("short");
    std::fs::create_dir_all(&short_dir).unwrap();
    write_all(&short_dir, &short);
}

#[test]
fn two_models_share_one_reliability_chart() {
    let dir = tempfile::tempdir().unwrap();
    let a = ten_bins();
    // A second model: a different spread of rows, one big bin.
    let b: Vec<ReliabilityPoint> = a
        .iter()
        .enumerate()
        .map(|(k, p)| ReliabilityPoint {
            n: if k == 2 { 123_456 } else { p.n / 2 },
            frac_pos: p.frac_pos.map(|f| (f * 0.8).min(1.0)),
            ..*p
        })
        .collect();
    let path = dir.path().join("both.png");
    reliability_compare_chart(
        &path,
        "P(rally) calibration: classic vs v2",
        &[
            ReliabilitySeries {
                name: "classic",
                bins: &a,
            },
            ReliabilitySeries {
                name: "v2",
                bins: &b,
            },
        ],
    )
    .unwrap();
    assert_png(&path);
    let err = reliability_compare_chart(dir.path().join("none.png"), "t", &[]).unwrap_err();
    assert!(matches!(err, PlotError::Empty { what: "series" }), "{err}");
    let err = reliability_compare_chart(
        dir.path().join("empty.png"),
        "t",
        &[ReliabilitySeries {
            name: "x",
            bins: &[],
        }],
    )
    .unwrap_err();
    assert!(matches!(err, PlotError::Empty { what: "bins" }), "{err}");
    assert!(!dir.path().join("none.png").exists());
}
