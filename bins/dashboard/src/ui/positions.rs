//! The open positions table (Positions tab and `--once`).

use rally_text::{percent, price, probability, signed_percent, whole};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::overview::live_line;
use super::style::{
    DIM, POPULATE, RED, accent_bold, block, hint, never_scanned, selected_row, signed_color,
};
use crate::data::Snapshot;

pub(super) fn draw_positions(
    frame: &mut Frame,
    area: Rect,
    s: &Snapshot,
    selected: Option<usize>,
    with_footer: bool,
) {
    let title = format!("Open positions ({})", s.positions.len());
    if s.positions.is_empty() {
        let text = if never_scanned(s) {
            format!("No positions yet — {POPULATE}.")
        } else {
            match &s.last_scan {
                Some(r) => format!(
                    "No open positions after the scan of {}. New entries appear here when a signal fills.",
                    r.as_of
                ),
                None => "No open positions.".to_owned(),
            }
        };
        frame.render_widget(hint(text).block(block(title)), area);
        return;
    }
    let header = Row::new([
        "Ticker",
        "Entry date",
        "Entry",
        "Last",
        "P&L %",
        "Stop",
        "Target",
        "Bars",
        "To stop",
        "To target",
        "P(rally)",
        "Size",
    ])
    .style(accent_bold());
    let rows =
        s.positions.iter().map(|p| {
            let (last, _, live) = s.mark(p);
            let last_cell = Cell::from(if live {
                format!("{}*", price(last))
            } else {
                price(last)
            });
            let (entry_date, entry, pnl) = match (p.entry_date, p.entry_fill) {
                (Some(d), Some(e)) => {
                    let r = last / e - 1.0;
                    (
                        Cell::from(d.to_string()),
                        Cell::from(price(e)),
                        Cell::from(signed_percent(r)).style(Style::default().fg(signed_color(r))),
                    )
                }
                _ => (
                    Cell::from("pending").style(Style::default().fg(Color::Yellow)),
                    Cell::from("-"),
                    Cell::from("-"),
                ),
            };
            let to_stop = (p.stop / last) - 1.0;
            let to_target = (p.target / last) - 1.0;
            Row::new(vec![
                Cell::from(p.ticker.clone()).style(Style::default().add_modifier(Modifier::BOLD)),
                entry_date,
                entry,
                last_cell,
                pnl,
                Cell::from(price(p.stop)),
                Cell::from(price(p.target)),
                Cell::from(p.bars_held.to_string()),
                Cell::from(signed_percent(to_stop))
                    .style(Style::default().fg(if to_stop > -0.02 { RED } else { Color::Reset })),
                Cell::from(signed_percent(to_target)),
                Cell::from(probability(p.p_rally)),
                Cell::from(percent(p.size, 1)),
            ])
        });
    let widths = [
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(6),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(selected_row());
    let [table_area, foot] = if with_footer {
        Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table.block(block(title)), table_area, &mut state);
    if with_footer {
        let unreal = s.unrealised_pnl();
        let lines = vec![
            Line::from(vec![
                Span::raw(format!(
                    " Exposure {} · unrealised P&L ",
                    whole(s.marked_exposure(), false)
                )),
                Span::styled(
                    whole(unreal, true),
                    Style::default().fg(signed_color(unreal)),
                ),
                Span::styled(
                    " · \"To stop/target\" = distance from the last price · * = live price",
                    Style::default().fg(DIM),
                ),
            ]),
            live_line(s),
        ];
        frame.render_widget(Paragraph::new(lines), foot);
    }
}
