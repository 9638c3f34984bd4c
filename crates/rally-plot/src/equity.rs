//! Strategy equity against buy-and-hold, with the strategy's drawdown.

use std::path::Path;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::{DateAxis, decimals_for, finite_bounds, finite_runs, format_number, padded};
use crate::style::{self, BLUE, GREY, GRID, GRID_LIGHT, RED};
use crate::{FONT, PlotError, check_len, render};

/// Share of the chart body given to the equity panel (the rest is drawdown).
const TOP_SHARE: f64 = 0.7;

/// Writes the equity chart to `path` (a `.png`): strategy `equity` and
/// `buy_hold` on top, both rebased to the strategy's first value, and the
/// strategy's drawdown (%) underneath as a filled area.
///
/// `equity` and `buy_hold` hold one value per date; `buy_hold` may be empty
/// (no benchmark line). Non-finite values leave gaps. Errors on empty
/// `dates`, mismatched lengths, or a series with no positive finite value to
/// rebase from.
pub fn equity_chart(
    path: impl AsRef<Path>,
    title: &str,
    dates: &[NaiveDate],
    equity: &[f64],
    buy_hold: &[f64],
) -> Result<(), PlotError> {
    if dates.is_empty() {
        return Err(PlotError::Empty { what: "dates" });
    }
    check_len("equity", dates.len(), equity.len())?;
    if !buy_hold.is_empty() {
        check_len("buy_hold", dates.len(), buy_hold.len())?;
    }
    let start = first_positive(equity).ok_or(PlotError::InvalidData {
        what: "equity",
        reason: "no positive finite value to start from",
    })?;
    let benchmark = if buy_hold.is_empty() {
        Vec::new()
    } else {
        let bh0 = first_positive(buy_hold).ok_or(PlotError::InvalidData {
            what: "buy_hold",
            reason: "no positive finite value to rebase from",
        })?;
        // Same starting capital as the strategy, so the two lines compare.
        buy_hold.iter().map(|v| v / bh0 * start).collect()
    };
    let drawdown = drawdown_pct(equity);

    let (first, last) = date_bounds(dates);
    let axis = DateAxis::new(first, last);
    let panel = Panels {
        title,
        axis: &axis,
        strategy: finite_runs(dates, equity),
        benchmark: finite_runs(dates, &benchmark),
        drawdown: finite_runs(dates, &drawdown),
        strategy_return: total_return(equity),
        benchmark_return: total_return(&benchmark),
    };
    render(path.as_ref(), |root| panel.draw(root))
}

/// Earliest and latest date (inputs are normally sorted, but need not be).
pub(crate) fn date_bounds(dates: &[NaiveDate]) -> (NaiveDate, NaiveDate) {
    let first = dates.iter().min().copied().unwrap_or_default();
    let last = dates.iter().max().copied().unwrap_or_default();
    (first, last)
}

/// First finite value above zero (a rebase divisor must be positive).
fn first_positive(values: &[f64]) -> Option<f64> {
    values.iter().copied().find(|v| v.is_finite() && *v > 0.0)
}

/// Last finite value over first positive one, minus one, in %.
fn total_return(values: &[f64]) -> Option<f64> {
    let first = first_positive(values)?;
    let last = values.iter().rev().copied().find(|v| v.is_finite())?;
    Some((last / first - 1.0) * 100.0)
}

/// `equity / running peak - 1` in %, NaN where equity is not finite or no
/// positive peak has been seen yet.
fn drawdown_pct(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&e| {
            if !e.is_finite() {
                return f64::NAN;
            }
            peak = peak.max(e);
            if peak > 0.0 {
                (e / peak - 1.0) * 100.0
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Legend label with the total return when it is known.
fn with_return(name: &str, ret: Option<f64>) -> String {
    match ret {
        Some(r) => format!("{name} ({r:+.1}%)"),
        None => name.to_string(),
    }
}

/// Everything the two panels draw, already in plot coordinates.
struct Panels<'a> {
    title: &'a str,
    axis: &'a DateAxis,
    strategy: Vec<Vec<(i32, f64)>>,
    benchmark: Vec<Vec<(i32, f64)>>,
    drawdown: Vec<Vec<(i32, f64)>>,
    strategy_return: Option<f64>,
    benchmark_return: Option<f64>,
}

impl Panels<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (top, bottom) = crate::titled_panes(root, self.title, TOP_SHARE)?;
        self.draw_equity(&top)?;
        self.draw_drawdown(&bottom)
    }

    fn draw_equity<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let values = self.strategy.iter().chain(&self.benchmark).flatten();
        let (lo, hi) = finite_bounds(values.map(|(_, v)| v)).unwrap_or((0.0, 1.0));
        let y = padded(lo, hi, 0.05);
        let decimals = decimals_for(y.end - y.start);

        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(30)
            .margin_left(10)
            // The drawdown panel below carries the date labels.
            .x_label_area_size(0)
            .y_label_area_size(style::Y_LABEL_AREA)
            .build_cartesian_2d(
                self.axis
                    .range
                    .clone()
                    .with_key_points(self.axis.ticks.clone()),
                y,
            )?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| format_number(*v, decimals))
            .y_desc("Equity")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        let benchmark_label = with_return("Buy & hold", self.benchmark_return);
        draw_runs(&mut chart, &self.benchmark, GREY, &benchmark_label)?;
        let strategy_label = with_return("Strategy", self.strategy_return);
        draw_runs(&mut chart, &self.strategy, BLUE, &strategy_label)?;

        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, style::LEGEND))
            .draw()
    }

    fn draw_drawdown<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let deepest = finite_bounds(self.drawdown.iter().flatten().map(|(_, v)| v))
            .map_or(0.0, |(lo, _)| lo.min(0.0));
        // Never a zero-height range, and a little room below the trough.
        let floor = if deepest < 0.0 { deepest * 1.1 } else { -1.0 };
        let y = floor..0.0;
        let decimals = decimals_for(-floor).saturating_sub(1);

        let mut chart = ChartBuilder::on(area)
            .margin_top(8)
            .margin_right(30)
            .margin_left(10)
            .margin_bottom(10)
            .x_label_area_size(60)
            .y_label_area_size(style::Y_LABEL_AREA)
            .build_cartesian_2d(
                self.axis
                    .range
                    .clone()
                    .with_key_points(self.axis.ticks.clone()),
                y,
            )?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .y_labels(5)
            .x_label_formatter(&|x| self.axis.label(*x))
            .y_label_formatter(&|v| format!("{}%", format_number(*v, decimals)))
            .x_desc("Date")
            .y_desc("Drawdown (%)")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        for run in &self.drawdown {
            chart.draw_series(
                AreaSeries::new(run.iter().copied(), 0.0, RED.mix(0.3).filled())
                    .border_style(RED.stroke_width(1)),
            )?;
        }
        Ok(())
    }
}

/// Draws each run of a series as a line; only the first run gets the legend
/// entry so the series is listed once.
pub(crate) fn draw_runs<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    runs: &[Vec<(i32, f64)>],
    color: RGBColor,
    label: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = i32>,
    Y: Ranged<ValueType = f64>,
{
    let width = style::line_width(runs.iter().map(Vec::len).sum());
    for (i, run) in runs.iter().enumerate() {
        let series = chart.draw_series(LineSeries::new(
            run.iter().copied(),
            color.stroke_width(width),
        ))?;
        if i == 0 {
            series.label(label).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_tracks_the_running_peak() {
        let dd = drawdown_pct(&[100.0, 110.0, 99.0, f64::NAN, 121.0]);
        assert_eq!(dd[0], 0.0);
        assert_eq!(dd[1], 0.0);
        assert!((dd[2] - -10.0).abs() < 1e-12);
        assert!(dd[3].is_nan());
        assert_eq!(dd[4], 0.0);
    }

    #[test]
    fn total_return_uses_first_positive_and_last_finite() {
        let r = total_return(&[f64::NAN, 100.0, 150.0, f64::NAN]);
        assert_eq!(r, Some(50.0));
        assert_eq!(total_return(&[]), None);
    }
}
