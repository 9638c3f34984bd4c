//! The monthly returns heat map: a table of years × months, each cell
//! coloured by its return and printing it, plus the year's compounded
//! return. A table rather than an SVG so the numbers stay crisp, copyable
//! and readable by screen readers.

use crate::charts::Figure;
use crate::compute::{monthly_returns, yearly_from_monthly};
use crate::html::escape;
use crate::model::Series;
use crate::style::heat_color;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One coloured cell.
fn cell(r: f64, scale: f64, class: &str) -> String {
    let (bg, light) = heat_color(r, scale);
    let class = match (light, class.is_empty()) {
        (true, true) => " class=\"light-text\"".to_string(),
        (true, false) => format!(" class=\"light-text {class}\""),
        (false, true) => String::new(),
        (false, false) => format!(" class=\"{class}\""),
    };
    format!(
        "<td{class} style=\"background:{bg}\" title=\"{}\">{}</td>",
        escape(&rally_text::signed_percent(r)),
        escape(&rally_text::percent(r, 1))
    )
}

/// The heat map of `equity`'s monthly returns.
pub(crate) fn render(id: &str, equity: &Series) -> Figure {
    let months = monthly_returns(&equity.points);
    if months.is_empty() {
        return Figure {
            svg: format!(
                "<table id=\"{}\" class=\"chart heatmap\"><tr><td class=\"empty\">no monthly returns: {} has no positive, finite values</td></tr></table>",
                escape(id),
                escape(&equity.name)
            ),
            notes: Vec::new(),
        };
    }
    // Full colour at the largest move, but never so low that a quiet
    // strategy's ±0.3% months look like crashes, nor so high that all is pale.
    let scale = months
        .iter()
        .map(|m| m.ret.abs())
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max)
        .clamp(0.02, 0.15);
    let years = yearly_from_monthly(&months);
    let mut out = format!(
        "<div class=\"table-wrap\"><table id=\"{}\" class=\"chart heatmap\">\n<thead><tr><th>Year</th>",
        escape(id)
    );
    for m in MONTHS {
        out.push_str(&format!("<th>{m}</th>"));
    }
    out.push_str("<th>Year</th></tr></thead>\n<tbody>\n");
    for (year, total) in &years {
        out.push_str(&format!("<tr><th>{year}</th>"));
        for month in 1..=12u32 {
            match months.iter().find(|m| m.year == *year && m.month == month) {
                Some(m) => out.push_str(&cell(m.ret, scale, "")),
                None => out.push_str("<td class=\"empty\"></td>"),
            }
        }
        out.push_str(&cell(*total, scale * 3.0, "year-total"));
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>");
    Figure {
        svg: out,
        notes: vec![format!(
            "{}: month-end equity over the previous month-end, the first month from the first value; the last column compounds the year's months.",
            equity.name
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn cells_print_returns_and_blank_missing_months() {
        let d = |m, dd| NaiveDate::from_ymd_opt(2021, m, dd).expect("date");
        let s = Series::new(
            "strategy",
            vec![(d(1, 4), 100.0), (d(1, 29), 110.0), (d(3, 31), 99.0)],
        );
        let f = render("hm", &s);
        assert!(f.svg.contains(">10.0%<"), "{}", f.svg);
        assert!(f.svg.contains(">-10.0%<"));
        assert_eq!(f.svg.matches("class=\"empty\"").count(), 10);
        let none = render("hm", &Series::new("x <y>", vec![]));
        assert!(none.svg.contains("x &lt;y&gt;"));
    }
}
