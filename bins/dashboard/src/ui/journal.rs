//! The trade journal (Journal tab and `--once`).

use rally_text::{price, probability, signed_percent, whole};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::style::{
    GREEN, POPULATE, RED, accent_bold, block, hint, never_scanned, reason_color, selected_row,
    signed_color,
};
use crate::data::Snapshot;

pub(super) fn draw_journal(
    frame: &mut Frame,
    area: Rect,
    s: &Snapshot,
    selected: Option<usize>,
    wide: bool,
) {
    let title = format!(
        "Journal — {} of {} closed trades, newest first",
        s.journal.len(),
        s.closed_count
    );
    if s.journal.is_empty() {
        let text = if never_scanned(s) {
            format!("No closed trades yet — {POPULATE}.")
        } else {
            "No closed trades yet. Trades appear here, newest first, when a position exits (target, stop, exhaustion or time).".to_owned()
        };
        frame.render_widget(hint(text).block(block("Journal")), area);
        return;
    }
    let rows = s.journal.iter().map(|t| {
        let c = signed_color(t.trade_return);
        let mut cells = vec![
            Cell::from(t.exit_date.to_string()),
            Cell::from(t.ticker.clone()).style(Style::default().add_modifier(Modifier::BOLD)),
            Cell::from(t.entry_date.to_string()),
            Cell::from(price(t.entry_fill)),
            Cell::from(price(t.exit_price)),
            Cell::from(signed_percent(t.trade_return)).style(Style::default().fg(c)),
            Cell::from(whole(t.pnl, true)).style(Style::default().fg(c)),
            Cell::from(t.reason.clone()).style(Style::default().fg(reason_color(&t.reason))),
            Cell::from(t.bars_held.to_string()),
        ];
        if wide {
            cells.push(Cell::from(probability(t.p_rally)));
        }
        Row::new(cells)
    });
    let mut header = vec![
        "Exit date",
        "Ticker",
        "Entry date",
        "Entry",
        "Exit",
        "Return",
        "P&L",
        "Reason",
        "Bars",
    ];
    let w = u16::from(wide);
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(7 + w),
        Constraint::Length(10),
        Constraint::Length(8 + w),
        Constraint::Length(8 + w),
        Constraint::Length(8),
        Constraint::Length(7 + 2 * w),
        Constraint::Length(10),
        Constraint::Length(4),
    ];
    if wide {
        header.push("P(rally)");
        widths.push(Constraint::Length(8));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(accent_bold()))
        .row_highlight_style(selected_row());
    if wide {
        let [table_area, foot] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        let mut state = TableState::default().with_selected(selected);
        frame.render_stateful_widget(table.block(block(title)), table_area, &mut state);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(format!(" Realised P&L over {} trades: ", s.closed_count)),
                Span::styled(
                    whole(s.realised_pnl, true),
                    Style::default().fg(signed_color(s.realised_pnl)),
                ),
                Span::raw("   exit reasons: "),
                Span::styled("target", Style::default().fg(GREEN)),
                Span::raw(" "),
                Span::styled("stop", Style::default().fg(RED)),
                Span::raw(" "),
                Span::styled("exhaustion", Style::default().fg(Color::Yellow)),
                Span::raw(" "),
                Span::styled("time/end", Style::default().fg(Color::Gray)),
            ])),
            foot,
        );
    } else {
        let mut state = TableState::default().with_selected(selected);
        frame.render_stateful_widget(table.block(block(title)), area, &mut state);
    }
}
