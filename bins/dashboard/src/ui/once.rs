//! `--once`: one frame with everything.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::equity::draw_equity_chart;
use super::health::draw_health_compact;
use super::journal::draw_journal;
use super::overview::portfolio_lines;
use super::positions::draw_positions;
use super::signals::{draw_signals_compact, draw_watchlist_compact};
use super::style::{block, kv, wrapped_rows};
use super::title_line;
use crate::data::Snapshot;

/// Draws the one-frame dashboard of `--once`: summary and equity chart,
/// open positions, then the journal beside signals, watchlist and health.
pub fn draw_once(frame: &mut Frame, s: &Snapshot) {
    let area = frame.area();
    let lines = once_summary_lines(s);
    // The summary grows (a little) when a long line wraps, e.g. why live
    // quotes are unavailable, so nothing below it is cut.
    let summary_w = SUMMARY_W.min(area.width);
    let top_h = (wrapped_rows(&lines, summary_w.saturating_sub(2)) + 2).clamp(12, 15);
    let pos_rows = if s.positions.is_empty() {
        4
    } else {
        s.positions.len() as u16 + 3
    };
    let avail = area.height.saturating_sub(1 + top_h);
    let pos_h = pos_rows.min((avail / 2).max(4));
    let [title, top, positions, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(top_h),
        Constraint::Length(pos_h),
        Constraint::Min(5),
    ])
    .areas(area);
    frame.render_widget(title_line(s), title);

    let [summary, chart] =
        Layout::horizontal([Constraint::Length(SUMMARY_W), Constraint::Min(20)]).areas(top);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block("Overview"))
            .wrap(Wrap { trim: false }),
        summary,
    );
    draw_equity_chart(frame, chart, s);
    draw_positions(frame, positions, s, None, false);

    let [journal, side] =
        Layout::horizontal([Constraint::Min(60), Constraint::Length(38)]).areas(bottom);
    draw_journal(frame, journal, s, None, false);
    // Signals, then the watchlist, then health (which needs its 7 rows);
    // each table as tall as its rows, sharing what is left.
    let table_h = |n: usize| if n == 0 { 4 } else { n as u16 + 3 };
    let room = side.height.saturating_sub(HEALTH_H);
    let sig_h = table_h(s.signals.len()).min((room / 2).max(4));
    let watch_h = table_h(s.market.watchlist.len()).min(room.saturating_sub(sig_h).max(4));
    let [sig, watch, health] = Layout::vertical([
        Constraint::Length(sig_h),
        Constraint::Length(watch_h),
        Constraint::Min(4),
    ])
    .areas(side);
    draw_signals_compact(frame, sig, s);
    draw_watchlist_compact(frame, watch, s);
    draw_health_compact(frame, health, s);
}

/// Width of the `--once` summary panel.
const SUMMARY_W: u16 = 62;

/// Height of the `--once` health panel (five lines and the border).
const HEALTH_H: u16 = 7;

/// The `--once` summary: the portfolio, then VIX and breadth.
fn once_summary_lines(s: &Snapshot) -> Vec<Line<'static>> {
    let mut lines = portfolio_lines(s, true).lines;
    if let Some(run) = &s.last_scan {
        let m = &s.market;
        let vix = match (m.vix, &m.vix_label) {
            (Some(v), Some(l)) => format!("{v:.2} ({l}), scan of {}", run.as_of),
            (Some(v), None) => format!("{v:.2}, scan of {}", run.as_of),
            (None, _) => "n/a (run scanner)".to_owned(),
        };
        let breadth = if m.breadth.is_empty() {
            "n/a (run scanner)".to_owned()
        } else {
            m.breadth
                .iter()
                .map(|(k, v)| format!("{} {v}", k.trim_start_matches("above ")))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        lines.push(kv("VIX", Span::raw(vix)));
        lines.push(kv("Breadth", Span::raw(breadth)));
    }
    lines
}
