//! The live system beside its two benchmarks over the same dates (issue
//! #26), from the first recorded equity: buy-and-hold of the scanned
//! tickers, and every compressed bar entered under the scan's exits and
//! sizing (the machine without the P filter). Equal weight, like the
//! system's sleeves. Pure.

use chrono::NaiveDate;
use rally_data::Series;
use rally_features::FeatureFrame;
use rally_trade::{DEFAULT_CAPITAL, TradeConfig, every_compressed};

use crate::prepared::backtest_input;

use super::LiveBenchmark;
use super::score::Scored;

/// One ticker's share of the benchmarks since `since`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sleeve {
    pub(super) buy_hold_return: f64,
    /// `None` when the ticker has no bar with usable features since then.
    pub(super) every_compressed_return: Option<f64>,
}

/// The sleeve of `series` from bar `from` on; `frame` holds its features
/// from `from` (or earlier) on.
pub(super) fn sleeve(
    series: &Series,
    frame: &FeatureFrame,
    from: usize,
    cfg: &TradeConfig,
) -> Option<Sleeve> {
    let (c0, c1) = (*series.close.get(from)?, *series.close.last()?);
    let buy_hold_return = c1 / c0 - 1.0;
    if !buy_hold_return.is_finite() {
        return None;
    }
    // Any finite P lets `every_compressed` enter: its threshold is -inf.
    let p: Vec<f64> = (0..series.len())
        .map(|t| {
            if t >= from && frame.compression[t].is_finite() {
                0.5
            } else {
                f64::NAN
            }
        })
        .collect();
    let input = backtest_input(series, frame, &p);
    let every_compressed_return = every_compressed(&input, cfg, DEFAULT_CAPITAL)
        .ok()
        .flatten()
        .and_then(|b| b.equity.last().map(|e| e.equity / b.capital - 1.0))
        .filter(|r| r.is_finite());
    Some(Sleeve {
        buy_hold_return,
        every_compressed_return,
    })
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = xs.collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The system since `since` (equity then and now) beside the scanned
/// tickers' benchmarks; `None` with no priced ticker or a first equity
/// that is not positive.
pub(super) fn live_benchmark(
    scored: &[Scored],
    since: NaiveDate,
    equity_then: f64,
    equity_now: f64,
) -> Option<LiveBenchmark> {
    let sleeves: Vec<Sleeve> = scored.iter().filter_map(|s| s.sleeve).collect();
    let buy_hold_return = mean(sleeves.iter().map(|s| s.buy_hold_return))?;
    (equity_then > 0.0).then(|| LiveBenchmark {
        since,
        system_return: equity_now / equity_then - 1.0,
        buy_hold_return,
        every_compressed_return: mean(sleeves.iter().filter_map(|s| s.every_compressed_return)),
        tickers: sleeves.len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rally_data::{Source, SyntheticSource};

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
        assert_eq!(got.buy_hold_return, s.close[n - 1] / s.close[from] - 1.0);
        let every = got.every_compressed_return.unwrap();
        assert!(every != 0.0, "a year of compressed bars trades");
        // A compression no bar reaches: never in the market, flat equity.
        let mut never = cfg.clone();
        never.comp_threshold = 2.0;
        let flat = sleeve(&s, &frame, from, &never).unwrap();
        assert_eq!(flat.every_compressed_return, Some(0.0));
        // A start after the last bar has nothing to hold.
        assert_eq!(sleeve(&s, &frame, n, &cfg), None);
    }
}
