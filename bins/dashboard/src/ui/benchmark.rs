//! The system beside its benchmarks (issue #26): every live figure of the
//! last scan — total return, CAGR, Sharpe, Sortino, max drawdown, exposure
//! of the system, buy-and-hold and every compressed bar — as a small
//! three-column table in the Overview tab. The lines are the bot's, the
//! cells the scan report's (`rally_pipeline::report::live_figure_lines`).

use rally_pipeline::report::{live_caption, live_figure_lines, live_note};
use rally_pipeline::scan::LiveBenchmark;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::style::{block, wrapped_rows};

/// Narrowest chart kept beside the panel; below it the panel goes above
/// the chart instead.
const MIN_CHART_W: u16 = 40;

/// The panel's lines: the table, what it covers, and why figures are
/// missing when they are.
pub(super) fn benchmark_lines(b: &LiveBenchmark) -> Vec<Line<'static>> {
    let gray = Style::default().fg(Color::Gray);
    let mut lines: Vec<Line<'static>> = live_figure_lines(b)
        .into_iter()
        .enumerate()
        .map(|(i, l)| match i {
            0 => Line::from(Span::styled(l, gray.add_modifier(Modifier::BOLD))),
            _ => Line::from(l),
        })
        .collect();
    lines.push(Line::from(Span::styled(live_caption(b), gray)));
    if let Some(note) = live_note(b) {
        lines.push(Line::from(Span::styled(note, gray)));
    }
    lines
}

/// The panel's width: the table's and its borders.
fn panel_width(b: &LiveBenchmark) -> u16 {
    let w = live_figure_lines(b)
        .first()
        .map_or(0, |l| l.chars().count());
    u16::try_from(w + 2).unwrap_or(u16::MAX)
}

/// Splits `area` between the equity chart and the benchmark panel: beside
/// it when both fit, else the panel above. Without a benchmark, the chart
/// keeps it all.
pub(super) fn split_for_benchmarks(area: Rect, b: Option<&LiveBenchmark>) -> (Rect, Option<Rect>) {
    let Some(b) = b else {
        return (area, None);
    };
    let w = panel_width(b);
    if area.width >= w + MIN_CHART_W {
        let [chart, panel] =
            Layout::horizontal([Constraint::Min(MIN_CHART_W), Constraint::Length(w)]).areas(area);
        return (chart, Some(panel));
    }
    let h = wrapped_rows(&benchmark_lines(b), area.width.saturating_sub(2)) + 2;
    let [panel, chart] = Layout::vertical([Constraint::Length(h), Constraint::Min(5)]).areas(area);
    (chart, Some(panel))
}

pub(super) fn draw_benchmarks(frame: &mut Frame, area: Rect, b: &LiveBenchmark) {
    frame.render_widget(
        Paragraph::new(benchmark_lines(b))
            .block(block("vs benchmarks"))
            .wrap(Wrap { trim: false }),
        area,
    );
}
