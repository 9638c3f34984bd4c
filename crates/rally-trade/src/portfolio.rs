//! The sleeve portfolio of several assets (METHOD §7), and the figures a
//! portfolio line is compared on beside its benchmarks (issue #26): the
//! one home of them for the research reports and the live views.

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

/// The figures of one portfolio line shown side by side with its
/// benchmarks' (issue #26): the series metrics and the exposure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PortfolioFigures {
    /// `E_end/E_0 - 1`.
    pub total_return: f64,
    /// Null when the series spans 0 days.
    pub cagr: Option<f64>,
    /// Null with < 2 returns or zero std.
    pub sharpe: Option<f64>,
    /// Null with no returns or zero downside.
    pub sortino: Option<f64>,
    /// Maximum drawdown (<= 0).
    pub max_drawdown: f64,
    /// Mean share of sleeves holding a position.
    pub exposure: Option<f64>,
}

impl PortfolioFigures {
    /// The same figures without the annualised ones (CAGR, Sharpe,
    /// Sortino), for a record too short for them to mean anything.
    pub fn without_annualised(self) -> PortfolioFigures {
        PortfolioFigures {
            cagr: None,
            sharpe: None,
            sortino: None,
            ..self
        }
    }

    /// Every figure that is present is finite (a JSON number: serde_json
    /// writes NaN and infinities as null, which would not read back).
    pub fn is_finite(&self) -> bool {
        [self.total_return, self.max_drawdown]
            .into_iter()
            .chain(self.cagr)
            .chain(self.sharpe)
            .chain(self.sortino)
            .chain(self.exposure)
            .all(f64::is_finite)
    }
}

impl Portfolio {
    /// `total_return, cagr, sharpe, sortino, max_drawdown` of the series.
    pub fn metrics(&self) -> Result<SeriesMetrics, TradeError> {
        let dates: Vec<NaiveDate> = self.equity.iter().map(|p| p.date).collect();
        let values: Vec<f64> = self.equity.iter().map(|p| p.equity).collect();
        SeriesMetrics::compute(&dates, &values)
    }

    /// The series metrics and the exposure, as lines are compared.
    pub fn figures(&self) -> Result<PortfolioFigures, TradeError> {
        let m = self.metrics()?;
        Ok(PortfolioFigures {
            total_return: m.total_return,
            cagr: m.cagr,
            sharpe: m.sharpe,
            sortino: m.sortino,
            max_drawdown: m.max_drawdown,
            exposure: self.exposure,
        })
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

    /// Two sleeves over a year: A doubles (holding on its middle day), B
    /// halves then recovers to 100; the portfolio ends at 150 from 100.
    #[test]
    fn figures_of_a_hand_made_portfolio() {
        let day = |m: u32, dd: u32| NaiveDate::from_ymd_opt(2021, m, dd).unwrap();
        let jan1 = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let pt = |date, equity, in_position| EquityPoint {
            date,
            equity,
            in_position,
        };
        let a = [
            pt(jan1, 100.0, false),
            pt(day(1, 1), 100.0, true),
            pt(day(12, 31), 200.0, false),
        ];
        let b = [
            pt(jan1, 100.0, false),
            pt(day(1, 1), 50.0, false),
            pt(day(12, 31), 100.0, false),
        ];
        let p = portfolio(&[&a, &b], 100.0);
        let f = p.figures().unwrap();
        // 100 -> 75 -> 150 over 730 days (2020 is a leap year).
        assert_eq!(f.total_return, 0.5);
        let years = 730.0 / 365.25;
        assert!((f.cagr.unwrap() - (1.5f64.powf(1.0 / years) - 1.0)).abs() < 1e-15);
        assert_eq!(f.max_drawdown, 75.0 / 100.0 - 1.0);
        // Held by one sleeve of two on one date of three.
        assert_eq!(f.exposure, Some(0.5 / 3.0));
        let m = p.metrics().unwrap();
        assert_eq!((f.sharpe, f.sortino), (m.sharpe, m.sortino));
        assert!(f.is_finite());
        let short = f.without_annualised();
        assert_eq!(
            (short.cagr, short.sharpe, short.sortino),
            (None, None, None)
        );
        assert_eq!(
            (short.total_return, short.max_drawdown, short.exposure),
            (f.total_return, f.max_drawdown, f.exposure)
        );
        let broken = PortfolioFigures {
            sharpe: Some(f64::NAN),
            ..f
        };
        assert!(!broken.is_finite());
    }

    #[test]
    fn no_sleeve_empty_portfolio() {
        let p = portfolio(&[], 100.0);
        assert_eq!((p.sleeves, p.equity.len()), (0, 0));
        assert_eq!(p.metrics(), Err(TradeError::EmptySeries));
        assert_eq!(p.figures(), Err(TradeError::EmptySeries));
    }
}
