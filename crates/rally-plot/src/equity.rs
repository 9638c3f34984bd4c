//! Strategy equity against buy-and-hold, with the strategy's drawdown.
//!
//! Both lines are drawn as growth of their own starting value on a log
//! scale, labelled as cumulative return in %: a buy-and-hold that grew
//! twentyfold would otherwise flatten a strategy that made 50% into a line
//! along the floor, while on a log scale equal relative moves take equal
//! height whatever the level.

use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::{
    DateAxis, KeyedAxis, decimals_for, finite_bounds, finite_runs, format_number, padded,
};
use crate::style::{self, BLUE, GREY, GRID, GRID_LIGHT, RED};
use crate::{FONT, PlotError, check_len, render};

/// Share of the chart body given to the equity panel (the rest is drawdown).
const TOP_SHARE: f64 = 0.7;

/// Writes the equity chart to `path` (a `.png`): strategy `equity` and
/// `buy_hold` on top as cumulative return (%) from each one's first value,
/// on a log scale, and the strategy's drawdown (%) underneath as a filled
/// area.
///
/// `equity` and `buy_hold` hold one value per date; `buy_hold` may be empty
/// (no benchmark line). Non-finite values, and values at or below zero
/// (which a log scale cannot show), leave gaps. Errors on empty `dates`,
/// mismatched lengths, or a series with no positive finite value to rebase
/// from.
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
    let strategy = log_growth(equity).ok_or(PlotError::InvalidData {
        what: "equity",
        reason: "no positive finite value to start from",
    })?;
    let benchmark = if buy_hold.is_empty() {
        Vec::new()
    } else {
        log_growth(buy_hold).ok_or(PlotError::InvalidData {
            what: "buy_hold",
            reason: "no positive finite value to rebase from",
        })?
    };
    let drawdown = drawdown_pct(equity);

    let (first, last) = date_bounds(dates);
    let axis = DateAxis::new(first, last);
    let growth_axis = ReturnAxis::covering(strategy.iter().chain(&benchmark));
    let panel = Panels {
        title,
        axis: &axis,
        growth_axis: &growth_axis,
        strategy: finite_runs(dates, &strategy),
        benchmark: finite_runs(dates, &benchmark),
        drawdown: finite_runs(dates, &drawdown),
        strategy_return: total_return(equity),
        benchmark_return: total_return(buy_hold),
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

/// `ln(value / first positive value)` per value: the growth of one unit
/// on a log scale (0 at the start). NaN where the value is not finite or
/// not positive. `None` when no value is positive and finite.
fn log_growth(values: &[f64]) -> Option<Vec<f64>> {
    let start = first_positive(values)?;
    Some(
        values
            .iter()
            .map(|&v| {
                if v.is_finite() && v > 0.0 {
                    (v / start).ln()
                } else {
                    f64::NAN
                }
            })
            .collect(),
    )
}

/// Most decimals of a return tick label.
const MAX_LABEL_DECIMALS: usize = 4;
/// Most labelled ticks wanted on the return axis.
const MAX_RETURN_TICKS: usize = 9;
/// Above this growth ratio (top over bottom of the axis) the ticks are
/// round growth factors (x2, x5, x10 ...) instead of round returns.
const FACTOR_TICKS_ABOVE: f64 = 4.0;

/// The y axis of the equity panel: `ln(growth)` (growth = value / its first
/// value), labelled as the cumulative return in % the level stands for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReturnAxis {
    /// y range, in `ln(growth)` (never empty).
    pub range: Range<f64>,
    /// Labelled ticks, in `ln(growth)`, ascending.
    pub ticks: Vec<f64>,
}

impl ReturnAxis {
    /// The axis covering the finite `ln(growth)` values (flat at 0% when
    /// there is none), padded so no line sits on the frame.
    pub(crate) fn covering<'a>(values: impl IntoIterator<Item = &'a f64>) -> ReturnAxis {
        let (lo, hi) = finite_bounds(values).unwrap_or((0.0, 0.0));
        // A flat line gets a band of about ±1% around it.
        let range = if hi - lo < 1e-9 {
            (lo - 0.01)..(hi + 0.01)
        } else {
            padded(lo, hi, 0.05)
        };
        let (g_lo, g_hi) = (range.start.exp(), range.end.exp());
        let growths = if g_hi / g_lo > FACTOR_TICKS_ABOVE {
            factor_ticks(g_lo, g_hi)
        } else {
            return_ticks(g_lo, g_hi)
        };
        let ticks = growths
            .into_iter()
            .map(f64::ln)
            .filter(|y| range.contains(y))
            .collect();
        ReturnAxis { range, ticks }
    }

    /// Label of tick `y`: its cumulative return with the decimals it needs
    /// (at most [`MAX_LABEL_DECIMALS`]): `+100%`, `+2.5%`, `0%`, `-99.9%`.
    pub(crate) fn label(&self, y: f64) -> String {
        let pct = y.exp_m1() * 100.0;
        let decimals = (0..MAX_LABEL_DECIMALS)
            .find(|&d| {
                let scaled = pct * 10f64.powi(d as i32);
                (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
            })
            .unwrap_or(MAX_LABEL_DECIMALS);
        let text = format_number(pct, decimals);
        let zero = !text.chars().any(|c| matches!(c, '1'..='9'));
        if pct > 0.0 && !zero {
            format!("+{text}%")
        } else if zero {
            "0%".to_owned()
        } else {
            format!("{text}%")
        }
    }

    /// Share of the axis height the `ln(growth)` values span.
    #[cfg(test)]
    fn height_share(&self, values: &[f64]) -> f64 {
        finite_bounds(values).map_or(0.0, |(lo, hi)| {
            (hi - lo) / (self.range.end - self.range.start)
        })
    }
}

/// Round returns (1, 2, 2.5 or 5 times a power of ten, in %) inside growth
/// `lo..hi`, as growth factors.
fn return_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (r_lo, r_hi) = ((lo - 1.0) * 100.0, (hi - 1.0) * 100.0);
    let span = r_hi - r_lo;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    let magnitude = 10f64.powf((span / MAX_RETURN_TICKS as f64).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| span / step <= MAX_RETURN_TICKS as f64)
        .unwrap_or(10.0 * magnitude);
    let first = (r_lo / step).ceil() as i64;
    let last = (r_hi / step).floor() as i64;
    (first..=last)
        .map(|k| 1.0 + k as f64 * step / 100.0)
        .filter(|g| *g > 0.0)
        .collect()
}

/// Round growth factors (x1.5, x2, x5, x10 ..., and 0.5, 0.2 ... below the
/// start) inside growth `lo..hi`: the densest ladder giving at most
/// [`MAX_RETURN_TICKS`] ticks, else every n-th power of ten.
fn factor_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const LADDERS: [&[f64]; 4] = [
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 3.0],
        &[1.0],
    ];
    let (d_lo, d_hi) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |ladder: &[f64], every: i32| -> Vec<f64> {
        (d_lo..=d_hi)
            .filter(|d| d.rem_euclid(every) == 0)
            .flat_map(|d| ladder.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|g| (lo..=hi).contains(g))
            .collect()
    };
    LADDERS
        .iter()
        .map(|ladder| within(ladder, 1))
        .find(|t| t.len() <= MAX_RETURN_TICKS)
        .unwrap_or_else(|| {
            let decades = usize::try_from(d_hi - d_lo).unwrap_or(1).max(1);
            let every = decades.div_ceil(MAX_RETURN_TICKS).max(1);
            within(&[1.0], i32::try_from(every).unwrap_or(1))
        })
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
    growth_axis: &'a ReturnAxis,
    /// `ln(growth)` runs.
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
        let y = KeyedAxis::new(
            self.growth_axis.range.clone(),
            self.growth_axis.ticks.clone(),
        );
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
            .y_label_formatter(&|v| self.growth_axis.label(*v))
            .y_desc("Return (%, log scale)")
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
#[allow(clippy::unwrap_used)]
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

    /// Equity that ends `end` times its start, dipping `dip` on the way.
    fn path(end: f64, dip: f64) -> Vec<f64> {
        (0..=100)
            .map(|i| {
                let t = f64::from(i) / 100.0;
                let trend = end.powf(t);
                100.0
                    * trend
                    * if (40..60).contains(&i) {
                        1.0 - dip
                    } else {
                        1.0
                    }
            })
            .collect()
    }

    fn labels(axis: &ReturnAxis) -> Vec<String> {
        axis.ticks.iter().map(|y| axis.label(*y)).collect()
    }

    #[test]
    fn a_small_strategy_stays_legible_next_to_a_large_buy_and_hold() {
        // +50% with a 10% dip against a twentyfold buy-and-hold: on a
        // linear axis the strategy spans under 3% of the height.
        let strategy = log_growth(&path(1.5, 0.1)).unwrap();
        let benchmark = log_growth(&path(20.0, 0.3)).unwrap();
        let axis = ReturnAxis::covering(strategy.iter().chain(&benchmark));
        let share = axis.height_share(&strategy);
        assert!(share > 0.12, "strategy spans {share:.3} of the height");
        assert!(axis.height_share(&benchmark) > 0.8);
        // Both start at 0% (growth 1), inside the axis.
        assert!(axis.range.contains(&0.0));
    }

    #[test]
    fn a_wide_axis_is_labelled_in_round_growth_factors_as_returns() {
        let benchmark = log_growth(&path(20.0, 0.3)).unwrap();
        let axis = ReturnAxis::covering(&benchmark);
        let l = labels(&axis);
        assert!(l.len() >= 3 && l.len() <= MAX_RETURN_TICKS, "{l:?}");
        for want in ["0%", "+100%", "+900%"] {
            assert!(l.iter().any(|x| x == want), "{want} in {l:?}");
        }
        assert!(axis.ticks.windows(2).all(|w| w[0] < w[1]), "{l:?}");
        assert!(axis.ticks.iter().all(|y| axis.range.contains(y)));
    }

    #[test]
    fn a_narrow_axis_is_labelled_in_round_returns() {
        let strategy = log_growth(&path(1.12, 0.12)).unwrap();
        let axis = ReturnAxis::covering(&strategy);
        let l = labels(&axis);
        assert!(l.len() >= 3 && l.len() <= MAX_RETURN_TICKS, "{l:?}");
        assert!(l.iter().any(|x| x == "0%"), "{l:?}");
        assert!(l.iter().any(|x| x == "+10%"), "{l:?}");
        assert!(l.iter().any(|x| x.starts_with('-')), "the dip: {l:?}");
    }

    #[test]
    fn losses_and_flat_lines_get_readable_axes() {
        let ruin = log_growth(&[100.0, 50.0, 1.0, 0.05]).unwrap();
        let axis = ReturnAxis::covering(&ruin);
        let l = labels(&axis);
        assert!(l.iter().any(|x| x == "-99%"), "{l:?}");
        assert!(l.iter().any(|x| x == "-99.9%"), "{l:?}");
        let flat = log_growth(&[100.0, 100.0, 100.0]).unwrap();
        let axis = ReturnAxis::covering(&flat);
        assert!(axis.range.start < 0.0 && axis.range.end > 0.0);
        assert!(
            labels(&axis).iter().any(|x| x == "0%"),
            "{:?}",
            labels(&axis)
        );
        // Zero and negative equity cannot sit on a log scale: gaps.
        let g = log_growth(&[100.0, 0.0, -5.0, 200.0]).unwrap();
        assert!(g[1].is_nan() && g[2].is_nan());
        assert!((g[3] - 2f64.ln()).abs() < 1e-12);
        assert_eq!(log_growth(&[0.0, f64::NAN]), None);
    }

    #[test]
    fn total_return_uses_first_positive_and_last_finite() {
        let r = total_return(&[f64::NAN, 100.0, 150.0, f64::NAN]);
        assert_eq!(r, Some(50.0));
        assert_eq!(total_return(&[]), None);
    }
}
