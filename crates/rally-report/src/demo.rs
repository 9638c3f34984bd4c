//! A demo report from synthetic data: five years of deterministic random
//! walks (strategy, buy & hold, every compressed bar), trades and
//! calibration bins. For the browser test, the screenshot in the docs and
//! anyone who wants to see the page without running a backtest.
//!
//! Nothing here is a result: the numbers are made up, and the report says so.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::compute::{ROWS_PER_YEAR, drawdown};
use crate::model::{ReliabilityBin, ReliabilityCurve, Report, Section, Series, Table, Trade};

/// SplitMix64: tiny, deterministic on every platform, no dependency.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Approximately standard normal (Irwin–Hall, twelve uniforms).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}

/// Weekdays from `start`, `n` of them.
fn weekdays(start: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let mut d = start;
    while out.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d = d + Days::new(1);
    }
    out
}

/// CAGR, Sharpe and max drawdown of an equity series, formatted: enough
/// for the demo's metrics table.
fn metrics(points: &[(NaiveDate, f64)]) -> [String; 3] {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return ["n/a".into(), "n/a".into(), "n/a".into()];
    };
    let years = (last.0 - first.0).num_days() as f64 / 365.25;
    let cagr = (last.1 / first.1).powf(1.0 / years) - 1.0;
    let rets: Vec<f64> = points.windows(2).map(|w| w[1].1 / w[0].1 - 1.0).collect();
    let n = rets.len() as f64;
    let mean = rets.iter().sum::<f64>() / n;
    let sd = (rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let sharpe = mean / sd * (ROWS_PER_YEAR as f64).sqrt();
    let mdd = drawdown(points).iter().map(|(_, v)| *v).fold(0.0, f64::min);
    [
        rally_text::percent(cagr, 1),
        format!("{sharpe:.2}"),
        rally_text::percent(mdd, 1),
    ]
}

/// The demo report. Deterministic: the same bytes every call.
pub fn demo_report() -> Report {
    let mut rng = Rng(26);
    let days = weekdays(
        NaiveDate::from_ymd_opt(2019, 1, 2).unwrap_or_default(),
        5 * ROWS_PER_YEAR + 10,
    );
    let (mut bh, mut strat, mut every) = (10_000.0, 10_000.0, 10_000.0);
    let (mut bh_pts, mut strat_pts, mut every_pts) = (Vec::new(), Vec::new(), Vec::new());
    let mut in_trade = 0u32;
    for (i, d) in days.iter().enumerate() {
        if i > 0 {
            // A market with a crash about a year in, like the real ones.
            let shock = if (300..330).contains(&i) { -0.007 } else { 0.0 };
            let market = 0.0006 + shock + 0.011 * rng.normal();
            if in_trade == 0 && rng.uniform() < 0.06 {
                in_trade = 5 + (rng.uniform() * 15.0) as u32;
            }
            let exposed = in_trade > 0;
            in_trade = in_trade.saturating_sub(1);
            bh *= 1.0 + market;
            strat *= 1.0
                + if exposed {
                    1.1 * market + 0.0012
                } else {
                    0.00008
                };
            every *= 1.0
                + if rng.uniform() < 0.5 {
                    market + 0.0002
                } else {
                    0.00008
                };
        }
        bh_pts.push((*d, bh));
        strat_pts.push((*d, strat));
        every_pts.push((*d, every));
    }
    let tickers = [
        "AAPL", "MSFT", "NVDA", "AMZN", "META", "JPM", "XOM", "KO", "PG", "SPY", "QQQ", "IWM",
    ];
    let reasons = ["target", "stop", "time"];
    let mut trades = Vec::new();
    for k in 0..640usize {
        let i = (k * 2 + (rng.uniform() * 2.0) as usize).min(days.len() - 30);
        let held = 3 + (rng.uniform() * 20.0) as u32;
        let ret = 0.004 + 0.045 * rng.normal();
        let entry = 20.0 + rng.uniform() * 400.0;
        let open = k >= 637;
        trades.push(Trade {
            ticker: tickers[k % tickers.len()].into(),
            signal_date: days[i],
            entry_date: days[i + 1],
            entry_price: entry,
            exit_date: (!open).then(|| days[i + 1 + held as usize]),
            exit_price: (!open).then_some(entry * (1.0 + ret)),
            p: Some(0.3 + 0.5 * rng.uniform()),
            return_frac: ret,
            exit_reason: if open {
                "open".into()
            } else {
                reasons[k % 3].into()
            },
            bars_held: held,
        });
    }
    let curve = |model: &str, bias: f64, rng: &mut Rng| ReliabilityCurve {
        model: model.into(),
        bins: (0..10)
            .map(|b| {
                let mean_p = 0.05 + 0.1 * f64::from(b);
                let n = (2_000.0 * (-(mean_p - 0.3f64).powi(2) * 12.0).exp()) as u64 + 5;
                ReliabilityBin {
                    mean_p,
                    observed_rate: (mean_p * bias + 0.03 * rng.normal()).clamp(0.0, 1.0),
                    n,
                }
            })
            .collect(),
    };
    let curves = vec![
        curve("v2 pooled", 0.9, &mut rng),
        curve("classic per-ticker", 0.7, &mut rng),
    ];
    let series = vec![
        Series::new("strategy", strat_pts.clone()),
        Series::new("buy & hold", bh_pts.clone()),
        Series::new("every compressed bar", every_pts.clone()),
    ];
    let metric_row = |name: &str, pts: &[(NaiveDate, f64)], exposure: &str| {
        let [cagr, sharpe, mdd] = metrics(pts);
        vec![name.to_string(), cagr, sharpe, mdd, exposure.to_string()]
    };
    let first = days.first().copied().unwrap_or_default();
    let last = days.last().copied().unwrap_or_default();
    Report {
        title: "Demo backtest report (synthetic data)".into(),
        generated_for: "cargo run -p rally-report --example demo_report".into(),
        parameters: vec![
            ("config".into(), "demo".into()),
            ("model family".into(), "v2 (synthetic)".into()),
            ("data source".into(), "deterministic random walk, seed 26".into()),
            ("tickers".into(), tickers.len().to_string()),
            ("trades".into(), trades.len().to_string()),
        ],
        data_range: Some((first, last)),
        sections: vec![
            Section::Text {
                title: "What this is".into(),
                paragraphs: vec![
                    "Every number on this page is made up: a seeded random walk drawn to show what a report looks like. It says nothing about any market.".into(),
                    "The signal is a volatility-compression setup scored with P(rally); the benchmarks are buy & hold and taking every compressed bar without the model.".into(),
                ],
            },
            Section::Table(Table {
                title: "Strategy against its benchmarks".into(),
                header: ["", "CAGR", "Sharpe", "Max drawdown", "Exposure"].iter().map(|s| (*s).to_string()).collect(),
                rows: vec![
                    metric_row("strategy", &strat_pts, "31%"),
                    metric_row("buy & hold", &bh_pts, "100%"),
                    metric_row("every compressed bar", &every_pts, "50%"),
                ],
                notes: vec!["Sharpe: daily returns, no risk-free rate, × √252.".into()],
            }),
            Section::Equity { title: "Equity".into(), series: series.clone() },
            Section::Drawdown { title: "Drawdown".into(), series: series.clone() },
            Section::MonthlyReturns { title: "Monthly returns of the strategy".into(), equity: series[0].clone() },
            Section::RollingSharpe { title: "Rolling one-year Sharpe".into(), series },
            Section::Reliability { title: "Is P(rally) calibrated?".into(), curves },
            Section::Table(Table::statistics(
                "Statistics",
                vec![
                    ("Trades".into(), trades.len().to_string(), "closed and open".into()),
                    ("Probabilistic Sharpe".into(), rally_text::probability(0.912), "P(true Sharpe > 0)".into()),
                    ("Deflated Sharpe".into(), rally_text::probability(0.64), "after 24 configs tried".into()),
                ],
            )),
            Section::Trades { title: "Trades".into(), trades },
        ],
    }
}
