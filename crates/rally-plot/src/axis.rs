//! Date axis and number formatting helpers.
//!
//! Dates are plotted as `i32` days from the common era so that every chart has
//! one concrete coordinate type; the ticks are chosen here (first of a year or
//! month) and labelled back as dates.

use std::ops::Range;

use chrono::{Datelike, NaiveDate};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// Most labelled ticks wanted on a date axis (1200 px leaves ~100 px a label).
const MAX_DATE_TICKS: i64 = 12;

/// Day number of `d`, the x coordinate of every date.
pub(crate) fn day(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

/// A date axis: the x range, its labelled ticks and how to format them.
#[derive(Debug, Clone)]
pub(crate) struct DateAxis {
    /// x range in day numbers (never empty).
    pub range: Range<i32>,
    /// Labelled tick positions.
    pub ticks: Vec<i32>,
    /// `chrono` format of the tick labels.
    pub format: &'static str,
}

impl DateAxis {
    /// Axis covering `first..=last` (`first <= last` is the caller's duty;
    /// the two are swapped otherwise).
    pub(crate) fn new(first: NaiveDate, last: NaiveDate) -> Self {
        let (first, last) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        let (x0, x1) = (day(first), day(last));
        // A one-day range would be degenerate for plotters: pad by a day.
        let range = if x1 > x0 { x0..x1 } else { x0 - 1..x1 + 1 };
        let span_days = i64::from(x1 - x0);

        let (ticks, format) = if span_days > 3 * 365 {
            (year_ticks(first, last), "%Y")
        } else if span_days > 62 {
            (month_ticks(first, last), "%Y-%m")
        } else {
            (day_ticks(first, last), "%Y-%m-%d")
        };
        // Short or awkward spans may hold no aligned tick: label the ends.
        let ticks = if ticks.is_empty() {
            vec![range.start, range.end]
        } else {
            ticks
        };
        Self {
            range,
            ticks,
            format,
        }
    }

    /// Label of tick `x`.
    pub(crate) fn label(&self, x: i32) -> String {
        NaiveDate::from_num_days_from_ce_opt(x)
            .map(|d| d.format(self.format).to_string())
            .unwrap_or_default()
    }
}

/// Smallest step from `steps` giving at most [`MAX_DATE_TICKS`] ticks over
/// `span` units (the last step if none does).
fn pick_step(span: i64, steps: &[i64]) -> i64 {
    steps
        .iter()
        .copied()
        .find(|&s| span / s < MAX_DATE_TICKS)
        .or_else(|| steps.last().copied())
        .unwrap_or(1)
}

/// 1 January of every `step`-th year inside the range.
fn year_ticks(first: NaiveDate, last: NaiveDate) -> Vec<i32> {
    let (y0, y1) = (first.year(), last.year());
    let step = pick_step(i64::from(y1 - y0), &[1, 2, 5, 10, 20, 50, 100]);
    (y0..=y1)
        .filter(|y| i64::from(*y).rem_euclid(step) == 0)
        .filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1))
        .filter(|d| (first..=last).contains(d))
        .map(day)
        .collect()
}

/// The first of every `step`-th month (aligned to January) inside the range.
fn month_ticks(first: NaiveDate, last: NaiveDate) -> Vec<i32> {
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let (m0, m1) = (index(first), index(last));
    let step = pick_step(m1 - m0, &[1, 2, 3, 6, 12]);
    (m0..=m1)
        .filter(|m| m.rem_euclid(step) == 0)
        .filter_map(|m| {
            let year = i32::try_from(m.div_euclid(12)).ok()?;
            let month = u32::try_from(m.rem_euclid(12) + 1).ok()?;
            NaiveDate::from_ymd_opt(year, month, 1)
        })
        .filter(|d| (first..=last).contains(d))
        .map(day)
        .collect()
}

/// Every `step`-th day from `first`.
fn day_ticks(first: NaiveDate, last: NaiveDate) -> Vec<i32> {
    let (x0, x1) = (day(first), day(last));
    let step = pick_step(i64::from(x1 - x0), &[1, 2, 5, 7, 14, 30]);
    let step = usize::try_from(step).unwrap_or(1);
    (x0..=x1).step_by(step).collect()
}

/// A linear `f64` axis whose labelled ticks are given (plotters'
/// `with_key_points` leaves an `f64` axis without a label formatter).
#[derive(Debug, Clone)]
pub(crate) struct KeyedAxis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl KeyedAxis {
    /// `range`, labelled at `ticks`.
    pub(crate) fn new(range: Range<f64>, ticks: Vec<f64>) -> Self {
        Self { range, ticks }
    }
}

impl Ranged for KeyedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(self.range.clone()).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Labelled ticks only: no light (unlabelled) grid lines.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// `min..max` of the finite values, `None` when there is none.
pub(crate) fn finite_bounds<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// `lo..hi` widened by `frac` of its span on each side (by 1% of the value,
/// or 1, when the span is zero) so lines do not sit on the frame.
pub(crate) fn padded(lo: f64, hi: f64, frac: f64) -> Range<f64> {
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * frac
    } else if lo != 0.0 {
        lo.abs() * 0.01
    } else {
        1.0
    };
    (lo - pad)..(hi + pad)
}

/// Decimals that tell ticks `span` apart (about 5-10 ticks over the span).
pub(crate) fn decimals_for(span: f64) -> usize {
    match span {
        s if !s.is_finite() || s >= 50.0 => 0,
        s if s >= 5.0 => 1,
        s if s >= 0.5 => 2,
        s if s >= 0.05 => 3,
        _ => 4,
    }
}

/// `v` with `decimals` decimals and thousands separators (`1,234,567.5`).
pub(crate) fn format_number(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 1);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    // `-0` would read oddly on an axis: only non-zero negatives get a sign.
    let negative = v < 0.0 && s.chars().any(|c| matches!(c, '1'..='9'));
    let sign = if negative { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The finite `(day, value)` points of a series split into runs at the
/// non-finite values, so a gap (NaN) breaks the line instead of bridging it.
pub(crate) fn finite_runs(dates: &[NaiveDate], values: &[f64]) -> Vec<Vec<(i32, f64)>> {
    let mut runs: Vec<Vec<(i32, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (d, &v) in dates.iter().zip(values) {
        if v.is_finite() {
            current.push((day(*d), v));
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default()
    }

    #[test]
    fn long_spans_get_year_ticks() {
        let axis = DateAxis::new(d(2000, 3, 1), d(2024, 6, 30));
        assert_eq!(axis.format, "%Y");
        assert!(axis.ticks.len() <= 13 && axis.ticks.len() >= 4);
        assert_eq!(axis.label(axis.ticks[0]), "2005");
    }

    #[test]
    fn medium_spans_get_month_ticks() {
        let axis = DateAxis::new(d(2023, 1, 15), d(2024, 6, 30));
        assert_eq!(axis.format, "%Y-%m");
        assert_eq!(axis.label(axis.ticks[0]), "2023-03");
        assert!(axis.ticks.len() <= 12);
    }

    #[test]
    fn one_day_is_padded() {
        let axis = DateAxis::new(d(2023, 1, 15), d(2023, 1, 15));
        assert!(axis.range.end > axis.range.start);
        assert!(!axis.ticks.is_empty());
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(format_number(1_234_567.25, 1), "1,234,567.2");
        assert_eq!(format_number(100.0, 0), "100");
        assert_eq!(format_number(-12_000.0, 0), "-12,000");
        assert_eq!(format_number(-0.0001, 2), "0.00");
        assert_eq!(format_number(-0.5, 2), "-0.50");
    }

    #[test]
    fn runs_split_at_nan() {
        let dates: Vec<NaiveDate> = (1..=5).map(|i| d(2024, 1, i)).collect();
        let runs = finite_runs(&dates, &[f64::NAN, 1.0, f64::NAN, 2.0, 3.0]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 1);
        assert_eq!(runs[1].len(), 2);
    }
}
