//! Reliability diagram: predicted P against observed frequency per bin.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::style::{self, BLUE, GREY, GRID, GRID_LIGHT};
use crate::{FONT, PlotError, render};

/// Share of the chart body given to the diagram (the rest is bin counts).
const TOP_SHARE: f64 = 0.7;

/// One bin of a reliability table, as the model metrics compute it (the same
/// fields as `rally_model::ReliabilityBin`, kept here so this crate depends
/// on no model code).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilityPoint {
    /// Lower edge of the bin on the P axis.
    pub lo: f64,
    /// Upper edge of the bin on the P axis.
    pub hi: f64,
    /// Rows in the bin.
    pub n: usize,
    /// Mean predicted P in the bin (`None` when empty).
    pub mean_p: Option<f64>,
    /// Observed fraction of positive labels (`None` when empty).
    pub frac_pos: Option<f64>,
}

/// One model's reliability table, drawn as one coloured series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReliabilitySeries<'a> {
    /// Legend name of the series.
    pub name: &'a str,
    /// Its bins (same edges for every series of a chart).
    pub bins: &'a [ReliabilityPoint],
}

/// Series colours, in order.
const COLOURS: [RGBColor; 4] = [BLUE, style::ORANGE, style::GREEN, style::PURPLE];

/// Writes the reliability diagram to `path` (a `.png`): each non-empty bin's
/// mean predicted P against its observed fraction positive, the diagonal of
/// perfect calibration, and the rows per bin as bars underneath.
///
/// Bins with no rows, a missing mean or non-finite edges are not drawn.
/// Errors on empty `bins`.
pub fn reliability_chart(
    path: impl AsRef<Path>,
    title: &str,
    bins: &[ReliabilityPoint],
) -> Result<(), PlotError> {
    reliability_compare_chart(
        path,
        title,
        &[ReliabilitySeries {
            name: "Model",
            bins,
        }],
    )
}

/// [`reliability_chart`] of several models on one chart (one colour each,
/// named in the legend; their row counts side by side in each bin).
/// Errors when there is no series or a series has no bins.
pub fn reliability_compare_chart(
    path: impl AsRef<Path>,
    title: &str,
    series: &[ReliabilitySeries<'_>],
) -> Result<(), PlotError> {
    if series.is_empty() {
        return Err(PlotError::Empty { what: "series" });
    }
    let mut lines = Vec::with_capacity(series.len());
    for (k, s) in series.iter().enumerate() {
        if s.bins.is_empty() {
            return Err(PlotError::Empty { what: "bins" });
        }
        let points = s
            .bins
            .iter()
            .filter(|b| b.n > 0)
            .filter_map(|b| Some((b.mean_p?, b.frac_pos?)))
            .filter(|(p, f)| p.is_finite() && f.is_finite())
            .collect();
        let bars = s
            .bins
            .iter()
            .filter(|b| b.lo.is_finite() && b.hi.is_finite())
            .map(|b| (b.lo, b.hi, b.n))
            .collect();
        lines.push(Line {
            name: s.name.to_owned(),
            colour: COLOURS[k % COLOURS.len()],
            points,
            bars,
        });
    }
    let diagram = Diagram { title, lines };
    render(path.as_ref(), |root| diagram.draw(root))
}

/// One series as drawn.
struct Line {
    name: String,
    colour: RGBColor,
    /// `(mean_p, frac_pos)` of the bins with rows.
    points: Vec<(f64, f64)>,
    /// `(lo, hi, n)` of every bin.
    bars: Vec<(f64, f64, usize)>,
}

/// Everything the two panels draw.
struct Diagram<'a> {
    title: &'a str,
    lines: Vec<Line>,
}

/// A bar's count label: exact for one series, compact (`12k`) when several
/// share a bin.
fn count_label(n: usize, compact: bool) -> String {
    if compact && n >= 10_000 {
        format!("{}k", (n + 500) / 1000)
    } else {
        n.to_string()
    }
}

impl Diagram<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (top, bottom) = crate::titled_panes(root, self.title, TOP_SHARE)?;
        self.draw_diagram(&top)?;
        self.draw_counts(&bottom)
    }

    fn draw_diagram<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let mut chart = ChartBuilder::on(area)
            .margin_top(10)
            .margin_right(30)
            .margin_left(10)
            // The counts panel below carries the P labels.
            .x_label_area_size(0)
            .y_label_area_size(style::Y_LABEL_AREA)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .x_labels(11)
            .y_labels(11)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| format!("{v:.1}"))
            .y_desc("Observed fraction positive")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                10,
                6,
                GREY.stroke_width(2),
            ))?
            .label("Perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GREY.stroke_width(3)));
        for l in &self.lines {
            let colour = l.colour;
            chart
                .draw_series(LineSeries::new(
                    l.points.iter().copied(),
                    colour.stroke_width(2),
                ))?
                .label(l.name.as_str())
                .legend(move |(x, y)| {
                    EmptyElement::at((x + 12, y))
                        + PathElement::new(vec![(-12, 0), (12, 0)], colour.stroke_width(2))
                        + Circle::new((0, 0), 5, colour.filled())
                });
            chart.draw_series(l.points.iter().map(|&p| Circle::new(p, 6, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, style::LEGEND))
            .draw()
    }

    fn draw_counts<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let max_n = self
            .lines
            .iter()
            .flat_map(|l| l.bars.iter().map(|b| b.2))
            .max()
            .unwrap_or(0);
        // Room above the tallest bar for its count label; never a zero range.
        let top = (max_n as f64 * 1.25).max(1.0);
        let mut chart = ChartBuilder::on(area)
            .margin_top(8)
            .margin_right(30)
            .margin_left(10)
            .margin_bottom(10)
            .x_label_area_size(60)
            .y_label_area_size(style::Y_LABEL_AREA)
            .build_cartesian_2d(0.0..1.0, 0.0..top)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .x_labels(11)
            .y_labels(4)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("Predicted P(rally)")
            .y_desc("Rows")
            .label_style((FONT, style::TICK))
            .axis_desc_style((FONT, style::AXIS_DESC))
            .draw()?;

        // Several series share each bin side by side.
        let k = self.lines.len().max(1);
        let compact = k > 1;
        let label_style = TextStyle::from((FONT, style::TICK).into_font())
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        for (j, l) in self.lines.iter().enumerate() {
            let part = |lo: f64, hi: f64| {
                let w = (hi - lo) / k as f64;
                (lo + w * j as f64, lo + w * (j + 1) as f64)
            };
            chart.draw_series(l.bars.iter().map(|&(lo, hi, n)| {
                let (a, b) = part(lo, hi);
                Rectangle::new([(a, 0.0), (b, n as f64)], l.colour.mix(0.45).filled())
            }))?;
            chart.draw_series(l.bars.iter().map(|&(lo, hi, n)| {
                let (a, b) = part(lo, hi);
                Rectangle::new([(a, 0.0), (b, n as f64)], WHITE.stroke_width(2))
            }))?;
            chart.draw_series(l.bars.iter().map(|&(lo, hi, n)| {
                let (a, b) = part(lo, hi);
                Text::new(
                    count_label(n, compact),
                    ((a + b) / 2.0, n as f64),
                    label_style.clone(),
                )
            }))?;
        }
        Ok(())
    }
}
