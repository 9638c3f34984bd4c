//! The sleeve portfolio of several assets (METHOD §7).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::TradeError;
use crate::equity::EquityPoint;
use crate::metrics::SeriesMetrics;

/// One row of `portfolio_equity.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PortfolioPoint {
    /// Date (union of the sleeves' dates).
    pub date: NaiveDate,
    /// Sum of the sleeves' equities scaled by 1/N.
    pub equity: f64,
}

/// A sleeve portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    /// Number of sleeves `N` (assets whose backtest has at least one row).
    pub sleeves: usize,
    /// Total capital (each sleeve gets `capital/N`).
    pub capital: f64,
    /// The portfolio equity series.
    pub equity: Vec<PortfolioPoint>,
    /// Mean over the dates of the share of sleeves holding a position
    /// (a sleeve's state carried forward like its equity); `None` with no
    /// date.
    pub exposure: Option<f64>,
}

impl Portfolio {
    /// `total_return, cagr, sharpe, sortino, max_drawdown` of the series.
    pub fn metrics(&self) -> Result<SeriesMetrics, TradeError> {
        let dates: Vec<NaiveDate> = self.equity.iter().map(|p| p.date).collect();
        let values: Vec<f64> = self.equity.iter().map(|p| p.equity).collect();
        SeriesMetrics::compute(&dates, &values)
    }
}

/// Build the sleeve portfolio from each asset's single-asset equity series
/// (each run with starting capital `capital`, dates increasing). Empty
/// series are not sleeves and do not count in `N`. On every date of the
/// union, each sleeve contributes `equity/N` from its row on that date, else
/// its latest earlier row, else (before its first row) `capital/N`.
/// With no sleeve the portfolio is empty.
pub fn portfolio(series: &[&[EquityPoint]], capital: f64) -> Portfolio {
    let sleeves: Vec<&[EquityPoint]> = series.iter().copied().filter(|s| !s.is_empty()).collect();
    let n = sleeves.len();
    let dates: BTreeSet<NaiveDate> = sleeves
        .iter()
        .flat_map(|s| s.iter().map(|p| p.date))
        .collect();
    let mut cursor = vec![0usize; n];
    let mut current = vec![capital; n];
    let mut held = vec![false; n];
    let mut held_share = 0.0;
    let nf = n as f64;
    let mut equity = Vec::with_capacity(dates.len());
    for date in dates {
        let mut total = 0.0;
        for (k, sleeve) in sleeves.iter().enumerate() {
            while let Some(p) = sleeve.get(cursor[k]) {
                if p.date > date {
                    break;
                }
                current[k] = p.equity;
                held[k] = p.in_position;
                cursor[k] += 1;
            }
            total += current[k] / nf;
        }
        held_share += held.iter().filter(|h| **h).count() as f64 / nf;
        equity.push(PortfolioPoint {
            date,
            equity: total,
        });
    }
    Portfolio {
        sleeves: n,
        capital,
        exposure: (!equity.is_empty()).then(|| held_share / equity.len() as f64),
        equity,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn d(k: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, k).unwrap()
    }

    fn pts(rows: &[(u32, f64)]) -> Vec<EquityPoint> {
        rows.iter()
            .map(|&(k, equity)| EquityPoint {
                date: d(k),
                equity,
                in_position: false,
            })
            .collect()
    }

    #[test]
    fn exposure_is_the_mean_share_of_sleeves_holding() {
        let mut a = pts(&[(2, 100.0), (3, 100.0), (4, 100.0), (5, 100.0)]);
        a[1].in_position = true;
        a[2].in_position = true;
        // B holds from its first row (day 3) on, carried to day 5.
        let mut b = pts(&[(3, 100.0), (4, 100.0)]);
        b[0].in_position = true;
        b[1].in_position = true;
        let p = portfolio(&[&a, &b], 100.0);
        // day 2: 0/2, day 3: 2/2, day 4: 2/2, day 5: 1/2 -> 2.5 / 4
        assert_eq!(p.exposure, Some(2.5 / 4.0));
        assert_eq!(portfolio(&[], 100.0).exposure, None);
    }

    #[test]
    fn union_carry_forward_and_initial_capital() {
        // sleeve A trades weekdays 2..4, sleeve B (crypto) 3..6, C has no backtest
        let a = pts(&[(2, 100.0), (3, 110.0), (4, 120.0)]);
        let b = pts(&[(3, 100.0), (5, 90.0), (6, 80.0)]);
        let c: Vec<EquityPoint> = Vec::new();
        let p = portfolio(&[&a, &b, &c], 100.0);
        assert_eq!(p.sleeves, 2);
        let got: Vec<(NaiveDate, f64)> = p.equity.iter().map(|x| (x.date, x.equity)).collect();
        let want = [
            (d(2), 100.0 / 2.0 + 100.0 / 2.0), // B before its first row: capital/N
            (d(3), 110.0 / 2.0 + 100.0 / 2.0),
            (d(4), 120.0 / 2.0 + 100.0 / 2.0), // B carried forward
            (d(5), 120.0 / 2.0 + 90.0 / 2.0),  // A carried forward
            (d(6), 120.0 / 2.0 + 80.0 / 2.0),
        ];
        assert_eq!(got, want);
        let m = p.metrics().unwrap();
        assert_eq!(m.total_return, 100.0 / 100.0 - 1.0);
        assert_eq!(m.max_drawdown, 100.0 / 110.0 - 1.0); // peak 110 on day 4
    }

    #[test]
    fn no_sleeve_empty_portfolio() {
        let p = portfolio(&[], 100.0);
        assert_eq!((p.sleeves, p.equity.len()), (0, 0));
        assert_eq!(p.metrics(), Err(TradeError::EmptySeries));
    }
}
