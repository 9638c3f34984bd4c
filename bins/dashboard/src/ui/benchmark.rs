//! The system beside its benchmarks (issue #26): every live figure of the
//! last scan — total return, CAGR, Sharpe, Sortino, max drawdown, exposure
//! of the system, buy-and-hold and every compressed bar — as a small
//! three-column table in the Overview tab. The cells are the scan report's
//! and the bot's (`rally_pipeline::report::live_figure_rows`).

use rally_pipeline::report::{LIVE_LINES, live_caption, live_figure_rows, live_note};
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

/// The table's text lines: a header, then one row per figure, every column
/// as wide as its widest cell (numbers right-aligned).
fn table_rows(b: &LiveBenchmark) -> (String, Vec<String>) {
    let rows = live_figure_rows(b);
    let name_w = rows.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..LIVE_LINES.len())
        .map(|i| {
            rows.iter()
                .map(|(_, c)| c[i].chars().count())
                .chain([LIVE_LINES[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |name: &str, cells: &[&str]| {
        let mut s = format!("{name:<name_w$}");
        for (c, w) in cells.iter().zip(&widths) {
            s.push_str(&format!("  {c:>w$}"));
        }
        s
    };
    let header = line("", &LIVE_LINES);
    let body = rows
        .iter()
        .map(|(n, c)| line(n, &c.each_ref().map(String::as_str)))
        .collect();
    (header, body)
}

/// The panel's lines: the table, what it covers, and why figures are
/// missing when they are.
pub(super) fn benchmark_lines(b: &LiveBenchmark) -> Vec<Line<'static>> {
    let (header, body) = table_rows(b);
    let gray = Style::default().fg(Color::Gray);
    let mut lines = vec![Line::from(Span::styled(
        header,
        gray.add_modifier(Modifier::BOLD),
    ))];
    lines.extend(body.into_iter().map(Line::from));
    lines.push(Line::from(Span::styled(live_caption(b), gray)));
    if let Some(note) = live_note(b) {
        lines.push(Line::from(Span::styled(note, gray)));
    }
    lines
}

/// The panel's width: the table's and its borders.
fn panel_width(b: &LiveBenchmark) -> u16 {
    let (header, _) = table_rows(b);
    u16::try_from(header.chars().count() + 2).unwrap_or(u16::MAX)
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
    let [panel, chart] =
        Layout::vertical([Constraint::Length(h), Constraint::Min(5)]).areas(area);
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
