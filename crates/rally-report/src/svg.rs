//! SVG primitives shared by the charts: a string builder, the plot frame
//! that maps data to pixels (linear or log y, date or number x), nice tick
//! values, axes with gridlines, and the legend.
//!
//! Charts are drawn in a fixed viewBox and scaled by CSS, so coordinates
//! are written with one decimal: finer adds bytes, not sharpness.

use chrono::NaiveDate;

use crate::html::escape;
use crate::style::{AXIS, GRID, MUTED};

/// A coordinate or size with at most one decimal and no `-0`.
pub(crate) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        return "0".into();
    }
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Round `raw` up to 1, 2, 2.5 or 5 × a power of ten: the step between
/// ticks that people read easily.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let pow = 10f64.powf(raw.log10().floor());
    let f = raw / pow;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * pow
}

/// Linear ticks covering `[min, max]` with about `target` intervals: the
/// axis is widened to whole steps. A zero-width range is widened around
/// its value first so a flat series still gets an axis.
/// Returns (axis min, axis max, step, ticks).
pub(crate) fn nice_ticks(min: f64, max: f64, target: usize) -> (f64, f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if min.is_finite() && max.is_finite() && min <= max {
        (min, max)
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    // Multiples of the step rather than repeated addition: no drift, so
    // 0.3 prints as 0.3, not 0.30000000000000004.
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (first as f64 * step, last as f64 * step, step, ticks)
}

/// Ticks for a log axis over positive `[min, max]`: 1-2-5 multiples of
/// powers of ten, thinned to powers of ten when there are too many; when
/// the range spans too little for four of those, linear nice ticks.
pub(crate) fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    if !(min > 0.0 && max >= min && max.is_finite()) {
        return Vec::new();
    }
    let mut ticks = Vec::new();
    let (e0, e1) = (min.log10().floor() as i32, max.log10().ceil() as i32);
    for e in e0..=e1 {
        for k in [1.0, 2.0, 5.0] {
            let v = k * 10f64.powi(e);
            if v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9) {
                ticks.push(v);
            }
        }
    }
    if ticks.len() > 9 {
        ticks.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
    }
    // Within a decade or so 1-2-5 leaves the eye too few lines: linear
    // nice ticks inside the range read better there.
    if ticks.len() < 4 {
        let (_, _, _, lin) = nice_ticks(min, max, 5);
        let lin: Vec<f64> = lin.into_iter().filter(|v| *v >= min && *v <= max).collect();
        if lin.len() > ticks.len() {
            ticks = lin;
        }
    }
    ticks
}

/// A tick label for `v` with as many decimals as the step needs, thousands
/// grouped.
pub(crate) fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step > 0.0 && step.is_finite() {
        (-step.log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        2
    };
    // 2.5 × 10^k steps need one more digit than their power of ten.
    let scaled = step * 10f64.powi(decimals as i32);
    let decimals = if step > 0.0 && (scaled - scaled.round()).abs() > 1e-6 {
        decimals + 1
    } else {
        decimals
    };
    if decimals == 0 {
        rally_text::whole(v, false)
    } else {
        let s = format!("{v:.decimals$}");
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    }
}

/// Day number of a date, the x coordinate of date charts.
pub(crate) fn day(d: NaiveDate) -> f64 {
    f64::from(chrono::Datelike::num_days_from_ce(&d))
}

fn from_day(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n).ok()?)
}

/// Ticks on a date axis from day `min` to day `max`: year starts for
/// spans of years, month starts for spans of months, else days. At most
/// about ten labels.
pub(crate) fn date_ticks(min: f64, max: f64) -> Vec<(f64, String)> {
    use chrono::Datelike;
    let (Some(a), Some(b)) = (from_day(min.ceil() as i64), from_day(max.floor() as i64)) else {
        return Vec::new();
    };
    let span = max - min;
    let mut out = Vec::new();
    if span >= 3.0 * 365.0 {
        let years = f64::from(b.year() - a.year() + 1);
        let step = [1, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .find(|s| years / f64::from(*s) <= 10.0)
            .unwrap_or(100);
        for y in a.year()..=b.year() {
            if y.rem_euclid(step) == 0
                && let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1)
                && d >= a
                && d <= b
            {
                out.push((day(d), y.to_string()));
            }
        }
    } else if span >= 60.0 {
        let months = f64::from((b.year() - a.year()) * 12) + f64::from(b.month())
            - f64::from(a.month())
            + 1.0;
        let step = [1u32, 2, 3, 6, 12]
            .into_iter()
            .find(|s| months / f64::from(*s) <= 10.0)
            .unwrap_or(12);
        let (mut y, mut m) = (a.year(), a.month());
        while let Some(d) = NaiveDate::from_ymd_opt(y, m, 1) {
            if d > b {
                break;
            }
            if d >= a && (m - 1) % step == 0 {
                out.push((day(d), d.format("%Y-%m").to_string()));
            }
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
    } else {
        let step = nice_step(span.max(1.0) / 6.0).max(1.0).round();
        let mut k = (min / step).ceil() * step;
        while k <= max {
            if let Some(d) = from_day(k as i64) {
                out.push((k, d.format("%Y-%m-%d").to_string()));
            }
            k += step;
        }
    }
    out
}

/// Baseline of the legend's first row, under the title.
pub(crate) const LEGEND_Y: f64 = 40.0;

/// Top margin of a chart with a title and up to two legend rows.
pub(crate) const TOP_WITH_LEGEND: f64 = 62.0;

/// The plot area of a chart and the mapping from data to pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// Data x range.
    pub x0: f64,
    pub x1: f64,
    /// Data y range (positive when `log`).
    pub y0: f64,
    pub y1: f64,
    pub log: bool,
}

impl Frame {
    /// Pixel x of data x.
    pub fn px(&self, x: f64) -> f64 {
        let span = self.x1 - self.x0;
        let t = if span > 0.0 {
            (x - self.x0) / span
        } else {
            0.5
        };
        self.left + t * (self.width - self.left - self.right)
    }

    /// Pixel y of data y (up is larger).
    pub fn py(&self, y: f64) -> f64 {
        let (a, b, v) = if self.log {
            (self.y0.log10(), self.y1.log10(), y.log10())
        } else {
            (self.y0, self.y1, y)
        };
        let t = if b > a { (v - a) / (b - a) } else { 0.5 };
        self.height - self.bottom - t * (self.height - self.top - self.bottom)
    }

    pub fn plot_left(&self) -> f64 {
        self.left
    }
    pub fn plot_right(&self) -> f64 {
        self.width - self.right
    }
    pub fn plot_top(&self) -> f64 {
        self.top
    }
    pub fn plot_bottom(&self) -> f64 {
        self.height - self.bottom
    }
}

/// An SVG document under construction.
#[derive(Debug)]
pub(crate) struct Svg {
    buf: String,
}

impl Svg {
    /// Opens `<svg>` with the id and class a test or a stylesheet finds it
    /// by, and an accessible `<title>`.
    pub fn open(id: &str, class: &str, width: f64, height: f64, title: &str) -> Self {
        let mut buf = String::with_capacity(16 * 1024);
        buf.push_str(&format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{}\" class=\"chart {}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
            escape(id),
            escape(class),
            num(width),
            num(height),
            escape(title),
            escape(title),
        ));
        Self { buf }
    }

    pub fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        self.buf.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"{extra}/>\n",
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        ));
    }

    /// Text; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, size: f64, fill: &str, s: &str) {
        self.buf.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"{}\" fill=\"{fill}\">{}</text>\n",
            num(x),
            num(y),
            num(size),
            escape(s)
        ));
    }

    /// A polyline through pixel points; a lone point becomes a dot so it
    /// stays visible.
    pub fn polyline(&mut self, pts: &[(f64, f64)], stroke: &str, width: &str, class: &str) {
        match pts {
            [] => {}
            [(x, y)] => self.circle(*x, *y, 2.5, stroke, ""),
            _ => {
                let coords: Vec<String> = pts
                    .iter()
                    .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
                    .collect();
                self.buf.push_str(&format!(
                    "<polyline class=\"{class}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\" stroke-linejoin=\"round\" points=\"{}\"/>\n",
                    coords.join(" ")
                ));
            }
        }
    }

    /// A dot; `tip` (when not empty) shows on hover.
    pub fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str, tip: &str) {
        if tip.is_empty() {
            self.buf.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\"/>\n",
                num(x),
                num(y),
                num(r)
            ));
        } else {
            self.buf.push_str(&format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\" fill-opacity=\"0.8\"><title>{}</title></circle>\n",
                num(x),
                num(y),
                num(r),
                escape(tip)
            ));
        }
    }

    /// The chart title, top left.
    pub fn title(&mut self, f: &Frame, s: &str) {
        self.text(f.plot_left(), 20.0, "start", 15.0, AXIS, s);
    }

    /// A grey message in the middle of the plot area: "no data".
    pub fn message(&mut self, f: &Frame, s: &str) {
        let x = (f.plot_left() + f.plot_right()) / 2.0;
        let y = (f.plot_top() + f.plot_bottom()) / 2.0;
        self.text(x, y, "middle", 14.0, MUTED, s);
    }

    /// Horizontal gridlines with labels at `ticks` (data y), vertical ones
    /// at `xticks` (data x, label), and the frame's left and bottom axes.
    pub fn axes(&mut self, f: &Frame, yticks: &[(f64, String)], xticks: &[(f64, String)]) {
        for (v, label) in yticks {
            let y = f.py(*v);
            self.line(f.plot_left(), y, f.plot_right(), y, GRID, "");
            self.text(f.plot_left() - 6.0, y + 4.0, "end", 11.5, AXIS, label);
        }
        for (v, label) in xticks {
            let x = f.px(*v);
            self.line(x, f.plot_top(), x, f.plot_bottom(), GRID, "");
            self.text(x, f.plot_bottom() + 17.0, "middle", 11.5, AXIS, label);
        }
        self.line(
            f.plot_left(),
            f.plot_bottom(),
            f.plot_right(),
            f.plot_bottom(),
            AXIS,
            "",
        );
        self.line(
            f.plot_left(),
            f.plot_top(),
            f.plot_left(),
            f.plot_bottom(),
            AXIS,
            "",
        );
    }

    /// Legend entries (name, colour, dashed) in a row under the title, wrapping
    /// at the plot's right edge; widths are estimated from the label
    /// length (no font metrics here). Charts leave room for two rows.
    pub fn legend(&mut self, f: &Frame, items: &[(&str, &str, bool)]) {
        if items.is_empty() {
            return;
        }
        let (mut x, mut y) = (f.plot_left(), LEGEND_Y);
        self.raw("<g class=\"legend\">\n");
        for (name, color, dashed) in items {
            // Generous per-glyph width: an overlap is worse than a gap.
            let w = 34.0 + 7.6 * name.chars().count() as f64;
            if x > f.plot_left() && x + w > f.plot_right() {
                (x, y) = (f.plot_left(), y + 16.0);
            }
            let style = if *dashed {
                " stroke-width=\"2\" stroke-dasharray=\"5 4\""
            } else {
                " stroke-width=\"3\""
            };
            self.line(x, y - 4.0, x + 18.0, y - 4.0, color, style);
            self.text(x + 23.0, y, "start", 12.5, AXIS, name);
            x += w;
        }
        self.raw("</g>\n");
    }

    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_ticks() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(23.0), 25.0);
        assert_eq!(nice_step(3.1), 5.0);
        assert_eq!(nice_step(0.0), 1.0);
        let (lo, hi, step, t) = nice_ticks(0.03, 0.97, 5);
        assert_eq!((lo, hi, step), (0.0, 1.0, 0.2));
        assert_eq!(t.len(), 6);
        assert_eq!(tick_label(t[3], step), "0.6");
        let (lo, hi, _, t) = nice_ticks(9_500.0, 23_400.0, 5);
        assert_eq!((lo, hi), (5_000.0, 25_000.0));
        assert_eq!(t, vec![5_000.0, 10_000.0, 15_000.0, 20_000.0, 25_000.0]);
        assert_eq!(tick_label(10_000.0, 5_000.0), "10,000");
        assert_eq!(tick_label(-0.25, 0.25), "-0.25");
        assert_eq!(tick_label(-0.0, 0.5), "0.0");
        // Degenerate ranges still give an axis.
        let (lo, hi, _, t) = nice_ticks(5.0, 5.0, 5);
        assert!(lo < 5.0 && hi > 5.0 && t.len() >= 2);
        let (lo, hi, _, _) = nice_ticks(f64::NAN, 1.0, 5);
        assert_eq!((lo, hi), (0.0, 1.0));
        let (lo, hi, _, _) = nice_ticks(0.0, 0.0, 5);
        assert!(lo < 0.0 && hi > 0.0);
    }

    #[test]
    fn log_ticks_are_1_2_5_decades() {
        assert_eq!(log_ticks(0.8, 12.0), vec![1.0, 2.0, 5.0, 10.0]);
        assert_eq!(log_ticks(8_600.0, 28_000.0), vec![1e4, 1.5e4, 2e4, 2.5e4]);
        let wide = log_ticks(1.0, 1e6);
        assert_eq!(wide.len(), 7);
        // A narrow range falls back to linear ticks inside it.
        let narrow = log_ticks(10_100.0, 10_900.0);
        assert!(narrow.len() >= 2 && narrow.iter().all(|v| (10_100.0..=10_900.0).contains(v)));
        assert!(log_ticks(0.0, 10.0).is_empty());
        assert!(log_ticks(-1.0, 10.0).is_empty());
    }

    #[test]
    fn date_ticks_pick_years_months_days() {
        let d = |y, m, dd| day(NaiveDate::from_ymd_opt(y, m, dd).expect("date"));
        let years = date_ticks(d(2015, 3, 1), d(2024, 6, 1));
        assert_eq!(years.first().map(|t| t.1.as_str()), Some("2016"));
        assert_eq!(years.len(), 9);
        let months = date_ticks(d(2020, 1, 15), d(2020, 12, 20));
        assert_eq!(
            months.first().map(|t| t.1.as_str()),
            Some("2020-03"),
            "every other month from Jan"
        );
        assert!(months.len() <= 10);
        let days = date_ticks(d(2020, 1, 1), d(2020, 1, 20));
        assert!(!days.is_empty() && days.len() <= 10);
        assert!(date_ticks(d(2020, 1, 1), d(2020, 1, 1)).len() <= 1);
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(num(1.04), "1");
        assert_eq!(num(1.06), "1.1");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(120.0), "120");
    }
}
