//! Price with trade markers, P(rally) and its threshold underneath.

use std::path::Path;

use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::element::ComposedElement;
use plotters::prelude::*;
use rally_trade::ClosedTrade;

use crate::axis::{DateAxis, day, decimals_for, finite_bounds, finite_runs, format_number, padded};
use crate::equity::{date_bounds, draw_runs};
use crate::style::{self, BLUE, GREEN, GRID, GRID_LIGHT, ORANGE, PURPLE, RED};
use crate::{FONT, PlotError, check_len, render};

/// Share of the chart body given to the price panel (the rest is P(rally)).
const TOP_SHARE: f64 = 0.68;
/// Marker half-size, pixels, for a chart with `trades` trades: smaller when
/// there are many so that neighbouring markers stay apart.
fn marker_size(trades: usize) -> i32 {
    match trades {
        0..=40 => 8,
        41..=120 => 6,
        _ => 5,
    }
}

/// Writes the price chart to `path` (a `.png`): `close` on top with a green
/// up-triangle at each trade's entry (`entry_date`, `entry_fill`) and a
/// down-triangle at its exit (`exit_date`, `exit_price`), green for a
/// non-negative return and red otherwise, each holding period lightly shaded;
/// `p_rally` underneath on [0, 1] with a dashed line at `p_threshold`.
///
/// `close` and `p_rally` hold one value per date; NaN in `p_rally` means no
/// probability (warm-up) and leaves a gap, likewise in `close`. Trades outside
/// the dates are not drawn. Errors on empty `dates`, mismatched lengths, a
/// `close` with no finite value or a threshold outside [0, 1].
pub fn price_chart(
    path: impl AsRef<Path>,
    title: &str,
    dates: &[NaiveDate],
    close: &[f64],
    p_rally: &[f64],
    trades: &[ClosedTrade],
    p_threshold: f64,
) -> Result<(), PlotError> {
    if dates.is_empty() {
        return Err(PlotError::Empty { what: "dates" });
    }
    check_len("close", dates.len(), close.len())?;
    check_len("p_rally", dates.len(), p_rally.len())?;
    if !(0.0..=1.0).contains(&p_threshold) {
        return Err(PlotError::InvalidData {
            what: "p_threshold",
            reason: "must be a probability in [0, 1]",
        });
    }
    let (first, last) = date_bounds(dates);
    let shown = |t: &&ClosedTrade| {
        t.entry_date >= first
            && t.exit_date <= last
            && t.entry_fill.is_finite()
            && t.exit_price.is_finite()
    };
    let trades: Vec<Marks> = trades
        .iter()
        .filter(shown)
        .map(|t| Marks {
            entry: (day(t.entry_date), t.entry_fill),
            exit: (day(t.exit_date), t.exit_price),
            // A NaN return is not a win: it is drawn as a loss.
            win: t.ret >= 0.0,
        })
        .collect();
    let marked = trades.iter().flat_map(|m| [&m.entry.1, &m.exit.1]);
    let (lo, hi) = finite_bounds(close.iter().chain(marked)).ok_or(PlotError::InvalidData {
        what: "close",
        reason: "no finite value",
    })?;

    let axis = DateAxis::new(first, last);
    let panels = Panels {
        title,
        axis: &axis,
        close: finite_runs(dates, close),
        price_range: padded(lo, hi, 0.05),
        p_rally: finite_runs(dates, p_rally),
        trades,
        p_threshold,
    };
    render(path.as_ref(), |root| panels.draw(root))
}

/// One trade in plot coordinates.
#[derive(Debug, Clone, Copy)]
struct Marks {
    entry: (i32, f64),
    exit: (i32, f64),
    win: bool,
}

/// Everything the two panels draw, already in plot coordinates.
struct Panels<'a> {
    title: &'a str,
    axis: &'a DateAxis,
    close: Vec<Vec<(i32, f64)>>,
    price_range: std::ops::Range<f64>,
    p_rally: Vec<Vec<(i32, f64)>>,
    trades: Vec<Marks>,
    p_threshold: f64,
}

/// Pixel outline of a marker triangle of half-size `r` pointing up (`up`)
/// or down.
fn triangle(r: i32, up: bool) -> Vec<(i32, i32)> {
    // Backend y grows downwards.
    let s = if up { 1 } else { -1 };
    vec![(-r, s * r), (r, s * r), (0, -s * r)]
}

/// A trade marker: a filled triangle and its outline, in pixel offsets from
/// the data point `C`.
type Marker<C, DB> = ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// A filled triangle with a thin dark outline so it stands out on the line.
fn marker<C, DB: DrawingBackend>(at: C, r: i32, up: bool, color: RGBColor) -> Marker<C, DB> {
    let mut outline = triangle(r, up);
    outline.extend(outline.first().copied());
    EmptyElement::at(at)
        + Polygon::new(triangle(r, up), color.filled())
        + PathElement::new(outline, BLACK.mix(0.7).stroke_width(1))
}

impl Panels<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (top, bottom) = crate::titled_panes(root, self.title, TOP_SHARE)?;
        self.draw_price(&top)?;
        self.draw_probability(&bottom)
    }

    fn draw_price<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let y = self.price_range.clone();
        let decimals = decimals_for(y.end - y.start);
        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(30)
            .margin_left(10)
            // The P(rally) panel below carries the date labels.
            .x_label_area_size(0)
            .y_label_area_size(style::Y_LABEL_AREA)
            .build_cartesian_2d(
                self.axis
                    .range
                    .clone()
                    .with_key_points(self.axis.ticks.clone()),
                y.clone(),
            )?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| format_number(*v, decimals))
            .y_desc("Price")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        // Holding periods first, under everything else.
        chart.draw_series(self.trades.iter().map(|m| {
            let color = if m.win { GREEN } else { RED };
            Rectangle::new(
                [(m.entry.0, y.start), (m.exit.0, y.end)],
                color.mix(0.08).filled(),
            )
        }))?;
        draw_runs(&mut chart, &self.close, BLUE, "Close")?;

        let r = marker_size(self.trades.len());
        let wins: Vec<_> = self.trades.iter().filter(|m| m.win).collect();
        let losses: Vec<_> = self.trades.iter().filter(|m| !m.win).collect();
        if !self.trades.is_empty() {
            chart
                .draw_series(self.trades.iter().map(|m| marker(m.entry, r, true, GREEN)))?
                .label("Entry")
                .legend(move |c| marker(c, 7, true, GREEN));
        }
        if !wins.is_empty() {
            chart
                .draw_series(wins.iter().map(|m| marker(m.exit, r, false, GREEN)))?
                .label("Exit, gain")
                .legend(move |c| marker(c, 7, false, GREEN));
        }
        if !losses.is_empty() {
            chart
                .draw_series(losses.iter().map(|m| marker(m.exit, r, false, RED)))?
                .label("Exit, loss")
                .legend(move |c| marker(c, 7, false, RED));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, style::LEGEND))
            .draw()
    }

    fn draw_probability<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
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
                0.0..1.0,
            )?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .y_labels(6)
            .x_label_formatter(&|x| self.axis.label(*x))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("Date")
            .y_desc("P(rally)")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        draw_runs(&mut chart, &self.p_rally, PURPLE, "P(rally)")?;
        let th = self.p_threshold;
        chart
            .draw_series(DashedLineSeries::new(
                [(self.axis.range.start, th), (self.axis.range.end, th)],
                10,
                6,
                ORANGE.stroke_width(2),
            ))?
            .label(format!("Threshold {th:.2}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], ORANGE.stroke_width(3)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, style::LEGEND))
            .draw()
    }
}
