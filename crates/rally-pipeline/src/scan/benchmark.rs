//! The live system beside its two benchmarks over the same dates (issue
//! #26), from the first recorded equity: buy-and-hold of the scanned
//! tickers, and every compressed bar entered under the scan's exits and
//! sizing (the machine without the P filter). Equal weight, like the
//! system's sleeves. Each line's figures (total return, CAGR, Sharpe,
//! Sortino, max drawdown, exposure) come from `rally_trade`'s portfolio,
//! the one home of them. Pure.

use chrono::NaiveDate;
use rally_data::Series;
use rally_features::FeatureFrame;
use rally_store::EquitySnapshot;
use rally_trade::{
    DEFAULT_CAPITAL, EquityPoint, Portfolio, PortfolioFigures, PortfolioPoint, TradeConfig,
    buy_and_hold, every_compressed, portfolio,
};

use crate::prepared::backtest_input;

use super::{LiveBenchmark, LiveFigures, SYSTEM_CAPITAL};

/// Fewest equity dates, and fewest calendar days between the first and the
/// last, for CAGR, Sharpe and Sortino. A live record of a few days would
/// compound a day's move into an absurd CAGR and give a Sharpe from a
/// handful of returns: below about a month of daily scans they are not
/// shown (the returns, drawdown and exposure are).
pub const MIN_ANNUALISED_DATES: usize = 20;
/// See [`MIN_ANNUALISED_DATES`].
pub const MIN_ANNUALISED_DAYS: i64 = 28;

/// One ticker's equity curves in the benchmarks since `since`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sleeve {
    pub(super) buy_hold: Vec<EquityPoint>,
    /// Empty when the ticker has no bar with usable features since then.
    pub(super) every_compressed: Vec<EquityPoint>,
}

/// The sleeve of `series` from bar `from` on; `frame` holds its features
/// from `from` (or earlier) on. `None` when there is no bar from `from` or
/// its prices give no finite buy-and-hold.
pub(super) fn sleeve(
    series: &Series,
    frame: &FeatureFrame,
    from: usize,
    cfg: &TradeConfig,
) -> Option<Sleeve> {
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
    let buy_hold = buy_and_hold(&input, from, DEFAULT_CAPITAL);
    if buy_hold.is_empty() || !buy_hold.iter().all(|e| e.equity.is_finite()) {
        return None;
    }
    let every_compressed = every_compressed(&input, cfg, DEFAULT_CAPITAL)
        .ok()
        .flatten()
        .map(|b| b.equity)
        .filter(|e| e.iter().all(|x| x.equity.is_finite()))
        .unwrap_or_default();
    Some(Sleeve {
        buy_hold,
        every_compressed,
    })
}

/// A non-empty `curve` on `dates` (increasing): on each date its latest
/// point not after it; before its first point, the starting capital out
/// of the market (as the portfolio counts a sleeve that has not started).
/// Sampling every line on the system's dates makes their figures cover
/// exactly the same dates.
fn on_dates(curve: &[EquityPoint], dates: &[NaiveDate]) -> Vec<EquityPoint> {
    if curve.is_empty() {
        return Vec::new();
    }
    let mut k = 0;
    dates
        .iter()
        .map(|&date| {
            while curve.get(k).is_some_and(|p| p.date <= date) {
                k += 1;
            }
            match k.checked_sub(1).and_then(|i| curve.get(i)) {
                Some(p) => EquityPoint { date, ..*p },
                None => EquityPoint {
                    date,
                    equity: DEFAULT_CAPITAL,
                    in_position: false,
                },
            }
        })
        .collect()
}

/// The equal-weight portfolio of `curves` on `dates`; `None` with no curve.
fn benchmark_on(curves: &[&[EquityPoint]], dates: &[NaiveDate]) -> Option<Portfolio> {
    let sampled: Vec<Vec<EquityPoint>> = curves.iter().map(|c| on_dates(c, dates)).collect();
    let refs: Vec<&[EquityPoint]> = sampled.iter().map(Vec::as_slice).collect();
    let p = portfolio(&refs, DEFAULT_CAPITAL);
    (p.sleeves > 0).then_some(p)
}

/// The system's equity snapshots as a portfolio of `n_tickers` sleeves:
/// its exposure is the mean share of sleeves holding an open position,
/// as the benchmarks' is. The sleeve count is today's scan's (the stored
/// snapshots do not record theirs).
fn system_portfolio(snapshots: &[EquitySnapshot], n_tickers: usize) -> Portfolio {
    let n = n_tickers.max(1) as f64;
    let held: f64 = snapshots
        .iter()
        .map(|e| (e.n_open.max(0) as f64 / n).min(1.0))
        .sum();
    Portfolio {
        sleeves: n_tickers,
        capital: SYSTEM_CAPITAL,
        equity: snapshots
            .iter()
            .map(|e| PortfolioPoint {
                date: e.date,
                equity: e.equity,
            })
            .collect(),
        exposure: (!snapshots.is_empty()).then(|| held / snapshots.len() as f64),
    }
}

/// The system's record as this scan sees it: the stored snapshots before
/// the scan's date, then the scan's own (a re-run replaces the stored one
/// of its date; a backfill ignores the later ones).
fn system_record(history: &[EquitySnapshot], now: &EquitySnapshot) -> Vec<EquitySnapshot> {
    history
        .iter()
        .filter(|e| e.date < now.date)
        .chain(std::iter::once(now))
        .cloned()
        .collect()
}

/// Whether a record over `dates` is long enough for annualised figures
/// ([`MIN_ANNUALISED_DATES`], [`MIN_ANNUALISED_DAYS`]).
pub fn annualised_ok(dates: &[NaiveDate]) -> bool {
    match (dates.first(), dates.last()) {
        (Some(&a), Some(&b)) => {
            dates.len() >= MIN_ANNUALISED_DATES && (b - a).num_days() >= MIN_ANNUALISED_DAYS
        }
        _ => false,
    }
}

/// A line's figures, without the annualised ones on a short record;
/// `None` when they cannot be stated (no series, a non-finite figure).
fn figures_of(p: &Portfolio, annualised: bool) -> Option<PortfolioFigures> {
    let f = p.figures().ok()?;
    let f = if annualised {
        f
    } else {
        f.without_annualised()
    };
    f.is_finite().then_some(f)
}

/// The system since its first recorded equity (`history`, oldest first,
/// and this scan's snapshot `now`) beside the scanned tickers'
/// benchmarks (their `sleeves`), every line on the system's dates. `None` on a first scan,
/// with no priced ticker, or a first equity that is not positive.
pub(super) fn live_benchmark(
    sleeves: &[&Sleeve],
    history: &[EquitySnapshot],
    now: &EquitySnapshot,
    n_tickers: usize,
) -> Option<LiveBenchmark> {
    let since = history.first()?;
    if since.equity <= 0.0 {
        return None;
    }
    let record = system_record(history, now);
    let dates: Vec<NaiveDate> = record.iter().map(|e| e.date).collect();
    let annualised = annualised_ok(&dates);
    let bh: Vec<&[EquityPoint]> = sleeves.iter().map(|s| s.buy_hold.as_slice()).collect();
    let every: Vec<&[EquityPoint]> = sleeves
        .iter()
        .map(|s| s.every_compressed.as_slice())
        .collect();
    let buy_hold = figures_of(&benchmark_on(&bh, &dates)?, annualised)?;
    let system = figures_of(&system_portfolio(&record, n_tickers), annualised)?;
    let every_compressed = benchmark_on(&every, &dates).and_then(|p| figures_of(&p, annualised));
    Some(LiveBenchmark {
        since: since.date,
        system_return: system.total_return,
        buy_hold_return: buy_hold.total_return,
        every_compressed_return: every_compressed.map(|f| f.total_return),
        tickers: sleeves.len(),
        figures: Some(LiveFigures {
            dates: dates.len(),
            annualised,
            system,
            buy_hold,
            every_compressed,
        }),
    })
}

#[cfg(test)]
#[path = "benchmark_tests.rs"]
mod tests;
