//! Performance metrics of METHOD §8 (null conditions as in the reference).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::TradeError;
use crate::equity::EquityPoint;
use crate::machine::ClosedTrade;

/// Annualisation factor `sqrt(252)`, for every series (crypto and portfolio too).
pub fn annualisation() -> f64 {
    252f64.sqrt()
}

/// The equity-series metrics (the whole of `portfolio_metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesMetrics {
    /// `E_end/E_0 - 1`.
    pub total_return: f64,
    /// `(E_end/E_0)^(1/years) - 1`; null when `years == 0`.
    pub cagr: Option<f64>,
    /// `mean(d)/std_sample(d)·sqrt(252)`; null with < 2 returns or std 0.
    pub sharpe: Option<f64>,
    /// `mean(d)/sqrt(mean(min(d,0)^2))·sqrt(252)`; null with no returns or no downside.
    pub sortino: Option<f64>,
    /// `min_t E[t]/max_{s<=t} E[s] - 1`.
    pub max_drawdown: f64,
}

/// Every metric of `metrics.json` `backtest` (METHOD §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfMetrics {
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
    /// Share of bars with a position open after the bar's exits.
    pub exposure: Option<f64>,
    /// Number of trades.
    pub trades: usize,
    /// Share of trades with `return > 0`; null with no trades.
    pub win_rate: Option<f64>,
    /// Mean trade return; null with no trades.
    pub avg_return: Option<f64>,
    /// Mean winning return; null with no win.
    pub avg_win: Option<f64>,
    /// Mean losing return (`return <= 0`); null with no loss.
    pub avg_loss: Option<f64>,
    /// `sum(wins)/|sum(losses)|`; null with no loss or a zero loss sum.
    pub profit_factor: Option<f64>,
    /// Mean bars held; null with no trades.
    pub avg_bars_held: Option<f64>,
    /// Count per exit reason that occurred.
    pub exit_reasons: BTreeMap<String, usize>,
    /// Buy-and-hold return over the period, no costs.
    pub buy_hold_return: f64,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Simple returns `E[k]/E[k-1] - 1`, `k = 1..n-1`.
pub fn returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// Sharpe of a return series (sample std, ddof 1).
pub fn sharpe(d: &[f64]) -> Option<f64> {
    if d.len() < 2 {
        return None;
    }
    let m = mean(d);
    let var = d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (d.len() - 1) as f64;
    let sd = var.sqrt();
    (sd > 0.0).then(|| m / sd * annualisation())
}

/// Sortino of a return series (downside deviation over all returns).
pub fn sortino(d: &[f64]) -> Option<f64> {
    if d.is_empty() {
        return None;
    }
    let down = d.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / d.len() as f64;
    (down > 0.0).then(|| mean(d) / down.sqrt() * annualisation())
}

/// Maximum drawdown `min_t E[t]/max_{s<=t} E[s] - 1` (0 for an empty series).
pub fn max_drawdown(equity: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut mdd = f64::INFINITY;
    for &e in equity {
        if e > peak {
            peak = e;
        }
        let dd = e / peak - 1.0;
        if dd < mdd {
            mdd = dd;
        }
    }
    if mdd.is_finite() { mdd } else { 0.0 }
}

impl SeriesMetrics {
    /// Metrics of an equity series with its dates (same length, at least one row).
    pub fn compute(dates: &[NaiveDate], equity: &[f64]) -> Result<SeriesMetrics, TradeError> {
        if dates.len() != equity.len() {
            return Err(TradeError::LengthMismatch {
                column: "equity",
                len: equity.len(),
                expected: dates.len(),
            });
        }
        let (Some(&d0), Some(&d1), Some(&e0), Some(&e1)) =
            (dates.first(), dates.last(), equity.first(), equity.last())
        else {
            return Err(TradeError::EmptySeries);
        };
        let ratio = e1 / e0;
        let years = (d1 - d0).num_days() as f64 / 365.25;
        let d = returns(equity);
        Ok(SeriesMetrics {
            total_return: ratio - 1.0,
            cagr: (years > 0.0).then(|| ratio.powf(1.0 / years) - 1.0),
            sharpe: sharpe(&d),
            sortino: sortino(&d),
            max_drawdown: max_drawdown(equity),
        })
    }
}

impl PerfMetrics {
    /// All §8 backtest metrics from the equity series, the closed trades and
    /// the buy-and-hold return.
    pub fn compute(
        equity: &[EquityPoint],
        trades: &[ClosedTrade],
        buy_hold_return: f64,
    ) -> Result<PerfMetrics, TradeError> {
        let dates: Vec<NaiveDate> = equity.iter().map(|e| e.date).collect();
        let values: Vec<f64> = equity.iter().map(|e| e.equity).collect();
        let s = SeriesMetrics::compute(&dates, &values)?;
        let exposure = equity.iter().filter(|e| e.in_position).count() as f64 / equity.len() as f64;

        let rets: Vec<f64> = trades.iter().map(|t| t.ret).collect();
        let wins: Vec<f64> = rets.iter().copied().filter(|r| *r > 0.0).collect();
        let losses: Vec<f64> = rets.iter().copied().filter(|r| *r <= 0.0).collect();
        let any = !rets.is_empty();
        let loss_sum: f64 = losses.iter().sum();
        let mut exit_reasons = BTreeMap::new();
        for t in trades {
            *exit_reasons.entry(t.reason.to_string()).or_insert(0) += 1;
        }
        let bars: Vec<f64> = trades.iter().map(|t| f64::from(t.bars_held)).collect();
        Ok(PerfMetrics {
            total_return: s.total_return,
            cagr: s.cagr,
            sharpe: s.sharpe,
            sortino: s.sortino,
            max_drawdown: s.max_drawdown,
            exposure: Some(exposure),
            trades: rets.len(),
            win_rate: any.then(|| wins.len() as f64 / rets.len() as f64),
            avg_return: any.then(|| mean(&rets)),
            avg_win: (!wins.is_empty()).then(|| mean(&wins)),
            avg_loss: (!losses.is_empty()).then(|| mean(&losses)),
            profit_factor: (!losses.is_empty() && loss_sum != 0.0)
                .then(|| wins.iter().sum::<f64>() / loss_sum.abs()),
            avg_bars_held: any.then(|| mean(&bars)),
            exit_reasons,
            buy_hold_return,
        })
    }

    /// The five series metrics.
    pub fn series(&self) -> SeriesMetrics {
        SeriesMetrics {
            total_return: self.total_return,
            cagr: self.cagr,
            sharpe: self.sharpe,
            sortino: self.sortino,
            max_drawdown: self.max_drawdown,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use crate::machine::ExitReason;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    fn trade(ret: f64, bars_held: u32, reason: ExitReason) -> ClosedTrade {
        let d0 = d(2020, 1, 1);
        ClosedTrade {
            signal_date: d0,
            entry_date: d0,
            exit_date: d0,
            entry_fill: 1.0,
            exit_price: 1.0,
            stop: 0.0,
            target: 2.0,
            size: 0.25,
            shares: 1.0,
            p_rally: 0.5,
            reason,
            bars_held,
            ret,
            proceeds: 1.0,
        }
    }

    fn points(rows: &[(NaiveDate, f64, bool)]) -> Vec<EquityPoint> {
        rows.iter()
            .map(|&(date, equity, in_position)| EquityPoint {
                date,
                equity,
                in_position,
            })
            .collect()
    }

    /// E = 100, 110, 99, 121 over 366 days: d = 0.1, -0.1, 2/9.
    #[test]
    fn series_metrics_hand_computed() {
        let dates = [d(2020, 1, 1), d(2020, 1, 2), d(2020, 1, 3), d(2021, 1, 1)];
        let e = [100.0, 110.0, 99.0, 121.0];
        let m = SeriesMetrics::compute(&dates, &e).unwrap();
        assert!(close(m.total_return, 0.21));
        // (1.21)^(365.25/366) - 1
        assert!(close(m.cagr.unwrap(), 0.209_527_447_555_049_48));
        let mean: f64 = 2.0 / 27.0;
        let sd = (((0.1 - mean).powi(2) + (-0.1 - mean).powi(2) + (2.0 / 9.0 - mean).powi(2))
            / 2.0)
            .sqrt();
        assert!(close(m.sharpe.unwrap(), mean / sd * 252f64.sqrt()));
        assert!(close(m.sharpe.unwrap(), 7.228_765_761_341_866));
        // downside: sqrt(0.01/3)
        assert!(close(
            m.sortino.unwrap(),
            mean / (0.01f64 / 3.0).sqrt() * 252f64.sqrt()
        ));
        assert!(close(m.sortino.unwrap(), 20.367_003_088_692_65));
        assert!(close(m.max_drawdown, 99.0 / 110.0 - 1.0));
    }

    #[test]
    fn single_row_nulls() {
        let m = SeriesMetrics::compute(&[d(2020, 1, 1)], &[5.0]).unwrap();
        assert_eq!(m.total_return, 0.0);
        assert_eq!((m.cagr, m.sharpe, m.sortino), (None, None, None));
        assert_eq!(m.max_drawdown, 0.0);
    }

    #[test]
    fn one_return_sharpe_null_sortino_defined_when_negative() {
        let dates = [d(2020, 1, 1), d(2020, 1, 2)];
        let m = SeriesMetrics::compute(&dates, &[100.0, 90.0]).unwrap();
        assert_eq!(m.sharpe, None);
        // mean(d) / |d| * sqrt(252) = -sqrt(252)
        assert!(close(m.sortino.unwrap(), -(252f64.sqrt())));
        assert!(m.cagr.is_some());
        let up = SeriesMetrics::compute(&dates, &[100.0, 110.0]).unwrap();
        assert_eq!((up.sharpe, up.sortino), (None, None));
    }

    #[test]
    fn flat_series_zero_std_and_no_downside_are_null() {
        let dates = [d(2020, 1, 1), d(2020, 1, 2), d(2020, 1, 3)];
        let m = SeriesMetrics::compute(&dates, &[7.0, 7.0, 7.0]).unwrap();
        assert_eq!((m.sharpe, m.sortino), (None, None));
        assert_eq!((m.total_return, m.max_drawdown), (0.0, 0.0));
        // only gains: sortino null, sharpe defined
        let g = SeriesMetrics::compute(&dates, &[1.0, 2.0, 3.0]).unwrap();
        assert!(g.sharpe.is_some());
        assert_eq!(g.sortino, None);
        assert_eq!(g.max_drawdown, 0.0);
    }

    #[test]
    fn zero_days_cagr_null() {
        let dates = [d(2020, 1, 1), d(2020, 1, 1)];
        let m = SeriesMetrics::compute(&dates, &[1.0, 2.0]).unwrap();
        assert_eq!(m.cagr, None);
        assert_eq!(m.total_return, 1.0);
    }

    #[test]
    fn empty_series_is_an_error() {
        assert_eq!(
            SeriesMetrics::compute(&[], &[]),
            Err(TradeError::EmptySeries)
        );
    }

    #[test]
    fn trade_statistics_hand_computed() {
        let eq = points(&[
            (d(2020, 1, 1), 100.0, false),
            (d(2020, 1, 2), 101.0, true),
            (d(2020, 1, 3), 102.0, true),
            (d(2020, 1, 4), 103.0, false),
        ]);
        let trades = [
            trade(0.1, 2, ExitReason::Target),
            trade(-0.05, 1, ExitReason::Stop),
            trade(0.0, 10, ExitReason::Time),
            trade(0.2, 3, ExitReason::Target),
        ];
        let m = PerfMetrics::compute(&eq, &trades, 0.5).unwrap();
        assert_eq!(m.exposure, Some(0.5));
        assert_eq!(m.trades, 4);
        assert_eq!(m.win_rate, Some(0.5));
        assert!(close(m.avg_return.unwrap(), 0.0625));
        assert!(close(m.avg_win.unwrap(), 0.15));
        assert!(close(m.avg_loss.unwrap(), -0.025));
        assert!(close(m.profit_factor.unwrap(), 6.0));
        assert_eq!(m.avg_bars_held, Some(4.0));
        let reasons: Vec<(&str, usize)> = m
            .exit_reasons
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        assert_eq!(reasons, [("stop", 1), ("target", 2), ("time", 1)]);
        assert_eq!(m.buy_hold_return, 0.5);
        assert!(close(m.total_return, 0.03));
        assert_eq!(m.max_drawdown, 0.0);
    }

    #[test]
    fn zero_trades_null_statistics() {
        let eq = points(&[(d(2020, 1, 1), 100.0, false), (d(2020, 1, 2), 100.0, false)]);
        let m = PerfMetrics::compute(&eq, &[], 0.0).unwrap();
        assert_eq!(m.trades, 0);
        assert_eq!(
            (
                m.win_rate,
                m.avg_return,
                m.avg_win,
                m.avg_loss,
                m.profit_factor,
                m.avg_bars_held
            ),
            (None, None, None, None, None, None)
        );
        assert!(m.exit_reasons.is_empty());
        assert_eq!(m.exposure, Some(0.0));
        let j = serde_json::to_value(&m).unwrap();
        assert!(j["profit_factor"].is_null() && j["sharpe"].is_null());
        assert_eq!(j["exit_reasons"], serde_json::json!({}));
    }

    #[test]
    fn profit_factor_null_without_loss_or_with_zero_loss_sum() {
        let eq = points(&[(d(2020, 1, 1), 100.0, false)]);
        let wins = [trade(0.1, 1, ExitReason::Target)];
        let m = PerfMetrics::compute(&eq, &wins, 0.0).unwrap();
        assert_eq!((m.profit_factor, m.avg_loss), (None, None));
        assert_eq!(m.win_rate, Some(1.0));
        // a zero return is a loss, but a zero loss sum leaves the factor null
        let zero = [
            trade(0.1, 1, ExitReason::Target),
            trade(0.0, 1, ExitReason::Time),
        ];
        let m = PerfMetrics::compute(&eq, &zero, 0.0).unwrap();
        assert_eq!(m.avg_loss, Some(0.0));
        assert_eq!(m.profit_factor, None);
        assert_eq!(m.win_rate, Some(0.5));
        // only losses: avg_win null, factor 0
        let losses = [trade(-0.1, 1, ExitReason::Stop)];
        let m = PerfMetrics::compute(&eq, &losses, 0.0).unwrap();
        assert_eq!((m.avg_win, m.profit_factor), (None, Some(0.0)));
    }

    #[test]
    fn max_drawdown_running_peak() {
        assert!(close(
            max_drawdown(&[1.0, 2.0, 1.5, 3.0, 1.0, 2.5]),
            1.0 / 3.0 - 1.0
        ));
        assert_eq!(max_drawdown(&[]), 0.0);
    }
}
