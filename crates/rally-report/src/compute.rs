//! The few figures the report derives from equity itself: drawdown,
//! monthly returns and the rolling one-year Sharpe ratio.
//!
//! They live here (not in the callers) so that every report measures them
//! the same way. Equity rows that are non-finite or not positive carry no
//! return and are skipped.

use chrono::{Datelike, NaiveDate};

/// Trading rows in a year: the rolling Sharpe window and its annualiser.
pub const ROWS_PER_YEAR: usize = 252;

/// Equity rows that can carry a return: finite and positive, in date
/// order (stable, so rows on the same date keep their order).
fn usable(equity: &[(NaiveDate, f64)]) -> Vec<(NaiveDate, f64)> {
    let mut rows: Vec<_> = equity
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .collect();
    rows.sort_by_key(|(d, _)| *d);
    rows
}

/// Drawdown from the running peak: `value / max(value so far) − 1`, so
/// 0 at a new high and −0.25 a quarter below it.
pub(crate) fn drawdown(equity: &[(NaiveDate, f64)]) -> Vec<(NaiveDate, f64)> {
    let mut peak = f64::NEG_INFINITY;
    usable(equity)
        .into_iter()
        .map(|(d, v)| {
            peak = peak.max(v);
            (d, v / peak - 1.0)
        })
        .collect()
}

/// One cell of the monthly returns table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct MonthlyReturn {
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    pub ret: f64,
}

/// Month-end equity / previous month-end − 1; the first month is measured
/// from the first value. A month without rows has no cell, and the next
/// month is measured from the last month-end that exists.
pub(crate) fn monthly_returns(equity: &[(NaiveDate, f64)]) -> Vec<MonthlyReturn> {
    let rows = usable(equity);
    let Some(&(_, first)) = rows.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut base = first;
    let mut i = 0;
    while i < rows.len() {
        let (y, m) = (rows[i].0.year(), rows[i].0.month());
        let mut last = rows[i].1;
        while i < rows.len() && rows[i].0.year() == y && rows[i].0.month() == m {
            last = rows[i].1;
            i += 1;
        }
        out.push(MonthlyReturn {
            year: y,
            month: m,
            ret: last / base - 1.0,
        });
        base = last;
    }
    out
}

/// Compounded return of each year from its monthly returns.
pub(crate) fn yearly_from_monthly(months: &[MonthlyReturn]) -> Vec<(i32, f64)> {
    let mut out: Vec<(i32, f64)> = Vec::new();
    for m in months {
        match out.last_mut() {
            Some((y, growth)) if *y == m.year => *growth *= 1.0 + m.ret,
            _ => out.push((m.year, 1.0 + m.ret)),
        }
    }
    out.into_iter().map(|(y, g)| (y, g - 1.0)).collect()
}

/// Rolling Sharpe over `window` simple row-to-row returns, dated at the
/// window's last row: mean / sample std × √252 (no risk-free rate, as the
/// backtests report it). A flat window (std 0) has no value.
pub(crate) fn rolling_sharpe(equity: &[(NaiveDate, f64)], window: usize) -> Vec<(NaiveDate, f64)> {
    let rows = usable(equity);
    if window < 2 || rows.len() <= window {
        return Vec::new();
    }
    let rets: Vec<(NaiveDate, f64)> = rows
        .windows(2)
        .map(|w| (w[1].0, w[1].1 / w[0].1 - 1.0))
        .collect();
    let annualiser = (ROWS_PER_YEAR as f64).sqrt();
    let n = window as f64;
    rets.windows(window)
        .filter_map(|w| {
            // Two passes per window: windows are short and exactness beats
            // a running sum that drifts over decades of rows.
            let mean = w.iter().map(|(_, r)| r).sum::<f64>() / n;
            let var = w.iter().map(|(_, r)| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let sd = var.sqrt();
            let date = w[window - 1].0;
            (sd > 0.0 && sd.is_finite()).then(|| (date, mean / sd * annualiser))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn monthly_returns_by_hand() {
        // Jan: 100 -> 110 (first month from the first value): +10%.
        // Feb: month-end 99 over Jan's 110: -10%.
        // Mar: no rows. Apr: 118.8 over Feb's 99: +20%.
        // The NaN and the zero row carry no return and are skipped.
        let eq = vec![
            (d(2020, 1, 2), 100.0),
            (d(2020, 1, 15), f64::NAN),
            (d(2020, 1, 31), 110.0),
            (d(2020, 2, 3), 0.0),
            (d(2020, 2, 28), 99.0),
            (d(2020, 4, 30), 118.8),
        ];
        let m = monthly_returns(&eq);
        let got: Vec<(i32, u32, f64)> = m.iter().map(|r| (r.year, r.month, r.ret)).collect();
        let want = [(2020, 1, 0.10), (2020, 2, -0.10), (2020, 4, 0.20)];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0, g.1), (w.0, w.1));
            assert!((g.2 - w.2).abs() < 1e-12, "{g:?} vs {w:?}");
        }
        // Year: 1.1 × 0.9 × 1.2 − 1 = 0.188.
        let y = yearly_from_monthly(&m);
        assert_eq!(y.len(), 1);
        assert!((y[0].1 - 0.188).abs() < 1e-12);
    }

    #[test]
    fn monthly_returns_cross_years_and_empty() {
        let eq = vec![(d(2020, 12, 31), 100.0), (d(2021, 1, 29), 105.0)];
        let m = monthly_returns(&eq);
        assert_eq!(
            m[0],
            MonthlyReturn {
                year: 2020,
                month: 12,
                ret: 0.0
            }
        );
        assert_eq!((m[1].year, m[1].month), (2021, 1));
        assert!((m[1].ret - 0.05).abs() < 1e-12);
        assert!(monthly_returns(&[]).is_empty());
        assert!(monthly_returns(&[(d(2020, 1, 1), f64::INFINITY)]).is_empty());
    }

    #[test]
    fn rolling_sharpe_by_hand() {
        // Equity 100, 110, 99, 108.9: returns +0.1, -0.1, +0.1.
        // Window 3: mean 0.1/3 = 0.033333; deviations 0.066667, -0.133333,
        // 0.066667; squares sum 0.026667; / (3-1) = 0.013333; sd 0.115470.
        // Sharpe = 0.033333 / 0.115470 × √252 = 0.288675 × 15.874508 = 4.582576.
        let eq = vec![
            (d(2020, 1, 1), 100.0),
            (d(2020, 1, 2), 110.0),
            (d(2020, 1, 3), 99.0),
            (d(2020, 1, 6), 108.9),
        ];
        let s = rolling_sharpe(&eq, 3);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].0, d(2020, 1, 6));
        assert!((s[0].1 - 4.582576).abs() < 1e-5, "{}", s[0].1);
        // Too short for the window, flat, or empty: no values, no panic.
        assert!(rolling_sharpe(&eq[..3], 3).is_empty());
        let flat: Vec<_> = (1..=10).map(|i| (d(2020, 1, i), 100.0)).collect();
        assert!(rolling_sharpe(&flat, 3).is_empty());
        assert!(rolling_sharpe(&[], ROWS_PER_YEAR).is_empty());
    }

    #[test]
    fn drawdown_from_running_peak() {
        let eq = vec![
            (d(2020, 1, 1), 100.0),
            (d(2020, 1, 2), 120.0),
            (d(2020, 1, 3), 90.0),
            (d(2020, 1, 4), f64::NAN),
            (d(2020, 1, 5), 130.0),
        ];
        let dd: Vec<f64> = drawdown(&eq).into_iter().map(|(_, v)| v).collect();
        assert_eq!(dd.len(), 4);
        assert_eq!(dd[0], 0.0);
        assert_eq!(dd[1], 0.0);
        assert!((dd[2] + 0.25).abs() < 1e-12);
        assert_eq!(dd[3], 0.0);
    }
}
