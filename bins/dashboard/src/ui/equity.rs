//! The equity curve chart (Overview tab and `--once`).

use rally_text::whole;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

use super::style::{DIM, GREEN, POPULATE, RED, block, hint};
use crate::data::Snapshot;

pub(super) fn draw_equity_chart(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let title = format!("Equity — last {} days", s.equity.len().max(1));
    if s.equity.is_empty() {
        frame.render_widget(
            hint(format!("No equity history yet — {POPULATE}.")).block(block("Equity")),
            area,
        );
        return;
    }
    let points: Vec<(f64, f64)> = s
        .equity
        .iter()
        .enumerate()
        .map(|(i, e)| (i as f64, e.equity))
        .collect();
    let (mut lo, mut hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.1), hi.max(p.1))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 0.001).max(1.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let n = points.len();
    let xmax = (n.saturating_sub(1)).max(1) as f64;
    let first = s
        .equity
        .first()
        .map(|e| e.date.to_string())
        .unwrap_or_default();
    let mid = s
        .equity
        .get(n / 2)
        .map(|e| e.date.to_string())
        .unwrap_or_default();
    let last = s
        .equity
        .last()
        .map(|e| e.date.to_string())
        .unwrap_or_default();
    let x_labels: Vec<Line> = if n >= 3 && area.width >= 60 {
        vec![first.into(), mid.into(), last.into()]
    } else {
        vec![first.into(), last.into()]
    };
    let up = s
        .equity
        .last()
        .zip(s.equity.first())
        .is_none_or(|(l, f)| l.equity >= f.equity);
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::default().fg(if up { GREEN } else { RED }))
        .data(&points);
    let chart = Chart::new(vec![dataset])
        .block(block(title))
        .x_axis(
            Axis::default()
                .bounds([0.0, xmax])
                .labels(x_labels)
                .style(Style::default().fg(DIM)),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels([
                    Line::from(whole(lo, false)),
                    Line::from(whole((lo + hi) / 2.0, false)),
                    Line::from(whole(hi, false)),
                ])
                .style(Style::default().fg(DIM)),
        );
    frame.render_widget(chart, area);
}
