//! Dated line charts: equity (linear and log), drawdown, rolling Sharpe.
//!
//! Values that cannot be drawn (non-finite; not positive on a log scale)
//! break the line rather than being bridged, and are counted in a note
//! under the chart so the reader knows something is missing.

use chrono::NaiveDate;

use crate::charts::Figure;
use crate::style::{AXIS, series_color, series_width};
use crate::svg::{Frame, Svg, TOP_WITH_LEGEND, date_ticks, day, log_ticks, nice_ticks, tick_label};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 370.0;

/// How the y axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YScale {
    Linear,
    Log,
}

/// How y tick labels read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YFormat {
    /// Plain numbers: equity, Sharpe.
    Number,
    /// Fractions as percent: drawdown.
    Percent,
}

/// A dated line chart to draw.
#[derive(Debug)]
pub(crate) struct LineChart<'a> {
    pub id: String,
    /// Extra CSS class, e.g. `chart-equity`.
    pub class: &'a str,
    pub title: String,
    pub scale: YScale,
    pub format: YFormat,
    /// (legend name, points); colours follow the palette by position.
    pub series: Vec<(&'a str, Vec<(NaiveDate, f64)>)>,
    /// Draw a darker line at y = 0 when it is in range.
    pub zero_line: bool,
}

/// A run of drawable (day, value) points: a line without gaps.
type Run = Vec<(f64, f64)>;

/// Splits points into drawable runs, counting what was left out:
/// (runs, non-finite count, non-positive-on-log count).
fn runs(points: &[(NaiveDate, f64)], scale: YScale) -> (Vec<Run>, usize, usize) {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|(d, _)| *d);
    let (mut out, mut cur) = (Vec::new(), Vec::new());
    let (mut nonfinite, mut nonpositive) = (0, 0);
    for (d, v) in sorted {
        let bad = if !v.is_finite() {
            nonfinite += 1;
            true
        } else if scale == YScale::Log && v <= 0.0 {
            nonpositive += 1;
            true
        } else {
            false
        };
        if bad {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push((day(d), v));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    (out, nonfinite, nonpositive)
}

/// Keeps, per pixel column, the first, lowest, highest and last point:
/// the drawn shape is the same at this resolution, and a 30-year daily
/// series stays a few kilobytes.
fn thin(px: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if px.len() <= 2 * WIDTH as usize {
        return px.to_vec();
    }
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut i = 0;
    while i < px.len() {
        let col = px[i].0.round();
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < px.len() && px[j].0.round() == col {
            if px[j].1 < px[lo].1 {
                lo = j;
            }
            if px[j].1 > px[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo.min(hi), lo.max(hi), j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(px[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

fn y_label(v: f64, step: f64, format: YFormat) -> String {
    match format {
        YFormat::Number => tick_label(v, step),
        YFormat::Percent => {
            let decimals = if step >= 0.01 {
                0
            } else if step >= 0.001 {
                1
            } else {
                2
            };
            rally_text::percent(v, decimals)
        }
    }
}

/// Draws the chart; notes say what could not be drawn.
pub(crate) fn render(chart: &LineChart<'_>) -> Figure {
    let mut notes = Vec::new();
    let mut drawn: Vec<(usize, &str, Vec<Run>)> = Vec::new();
    for (i, (name, points)) in chart.series.iter().enumerate() {
        let (r, nonfinite, nonpositive) = runs(points, chart.scale);
        if nonfinite > 0 {
            notes.push(format!(
                "{name}: {} not drawn (not a number).",
                rally_text::count(nonfinite, "value")
            ));
        }
        if nonpositive > 0 {
            notes.push(format!(
                "{name}: {} at or below zero cannot be shown on a log scale and are left out.",
                rally_text::count(nonpositive, "value")
            ));
        }
        drawn.push((i, name, r));
    }
    let all = || drawn.iter().flat_map(|(_, _, r)| r.iter().flatten());
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all() {
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(y);
        ymax = ymax.max(y);
    }
    let empty = !xmin.is_finite();
    if empty {
        (xmin, xmax) = (0.0, 1.0);
    } else if xmax == xmin {
        // A single date: a week either side so the point sits mid-chart.
        (xmin, xmax) = (xmin - 7.0, xmax + 7.0);
    }
    let mut frame = Frame {
        width: WIDTH,
        height: HEIGHT,
        left: 72.0,
        right: 18.0,
        top: TOP_WITH_LEGEND,
        bottom: 30.0,
        x0: xmin,
        x1: xmax,
        y0: 0.0,
        y1: 1.0,
        log: false,
    };
    let yticks: Vec<(f64, String)> = if empty {
        Vec::new()
    } else if chart.scale == YScale::Log {
        let (lo, hi) = if ymax > ymin {
            (ymin / 1.03, ymax * 1.03)
        } else {
            (ymin / 1.1, ymax * 1.1)
        };
        (frame.y0, frame.y1, frame.log) = (lo, hi, true);
        let ticks = log_ticks(lo, hi);
        let gap = ticks
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        let gap = if gap.is_finite() { gap } else { lo };
        ticks
            .into_iter()
            .map(|v| (v, y_label(v, gap, chart.format)))
            .collect()
    } else {
        let (lo, hi, step, ticks) = nice_ticks(ymin, ymax, 5);
        (frame.y0, frame.y1) = (lo, hi);
        ticks
            .into_iter()
            .map(|v| (v, y_label(v, step, chart.format)))
            .collect()
    };
    let xticks = if empty {
        Vec::new()
    } else {
        date_ticks(xmin, xmax)
    };

    let mut svg = Svg::open(&chart.id, chart.class, WIDTH, HEIGHT, &chart.title);
    svg.title(&frame, &chart.title);
    svg.axes(&frame, &yticks, &xticks);
    if chart.zero_line && !frame.log && frame.y0 < 0.0 && frame.y1 > 0.0 {
        let y = frame.py(0.0);
        svg.line(
            frame.plot_left(),
            y,
            frame.plot_right(),
            y,
            AXIS,
            " stroke-dasharray=\"4 3\"",
        );
    }
    if empty {
        svg.message(&frame, "no data to draw");
    }
    // Benchmarks first, the strategy last: it is drawn on top.
    for (i, _, runs) in drawn.iter().rev() {
        for run in runs {
            let px: Vec<(f64, f64)> = run
                .iter()
                .map(|&(x, y)| (frame.px(x), frame.py(y)))
                .collect();
            svg.polyline(&thin(&px), series_color(*i), series_width(*i), "series");
        }
    }
    let legend: Vec<(&str, &str, bool)> = drawn
        .iter()
        .map(|(i, name, _)| (*name, series_color(*i), false))
        .collect();
    svg.legend(&frame, &legend);
    Figure {
        svg: svg.finish(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 1, 1).expect("date") + chrono::Days::new(u64::from(n))
    }

    fn chart<'a>(series: Vec<(&'a str, Vec<(NaiveDate, f64)>)>, scale: YScale) -> LineChart<'a> {
        LineChart {
            id: "t".into(),
            class: "chart-test",
            title: "Test".into(),
            scale,
            format: YFormat::Number,
            series,
            zero_line: true,
        }
    }

    #[test]
    fn degenerate_inputs_draw_without_panicking() {
        for scale in [YScale::Linear, YScale::Log] {
            let empty = render(&chart(vec![], scale));
            assert!(empty.svg.contains("no data to draw"));
            let no_points = render(&chart(vec![("s", vec![])], scale));
            assert!(no_points.svg.contains("no data to draw"));
            let single = render(&chart(vec![("s", vec![(d(0), 5.0)])], scale));
            assert!(single.svg.contains("<circle"), "{}", single.svg);
            let flat = render(&chart(vec![("s", vec![(d(0), 5.0), (d(1), 5.0)])], scale));
            assert!(flat.svg.contains("<polyline"));
            let nan = render(&chart(
                vec![("s", vec![(d(0), f64::NAN), (d(1), f64::INFINITY)])],
                scale,
            ));
            assert!(nan.svg.contains("no data to draw"));
            assert_eq!(
                nan.notes,
                vec!["s: 2 values not drawn (not a number).".to_string()]
            );
            assert!(
                !nan.svg.contains("NaN")
                    && !flat.svg.contains("NaN")
                    && !single.svg.contains("NaN")
            );
        }
    }

    #[test]
    fn log_scale_skips_non_positive_values_and_says_so() {
        let pts = vec![
            (d(0), 1.0),
            (d(1), 2.0),
            (d(2), 0.0),
            (d(3), -1.0),
            (d(4), 4.0),
            (d(5), 8.0),
        ];
        let f = render(&chart(vec![("equity", pts.clone())], YScale::Log));
        assert_eq!(
            f.svg.matches("<polyline").count(),
            2,
            "the gap breaks the line"
        );
        assert_eq!(f.notes.len(), 1);
        assert!(f.notes[0].contains("2 values at or below zero"));
        let lin = render(&chart(vec![("equity", pts)], YScale::Linear));
        assert_eq!(lin.svg.matches("<polyline").count(), 1);
        assert!(lin.notes.is_empty());
        assert!(!f.svg.contains("NaN") && !f.svg.contains("inf"));
    }

    #[test]
    fn long_series_are_thinned_per_pixel_column() {
        let pts: Vec<_> = (0..20_000)
            .map(|i| (d(i), 100.0 + f64::from(i % 37)))
            .collect();
        let f = render(&chart(vec![("s", pts)], YScale::Linear));
        let coords = f.svg.split("points=\"").nth(1).map_or(0, |s| {
            s.split('"').next().map_or(0, |p| p.split(' ').count())
        });
        assert!(coords > 100 && coords <= 4 * 900, "{coords}");
    }
}
