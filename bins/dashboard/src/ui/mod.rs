//! Pure rendering of a [`Snapshot`] into a ratatui [`Frame`]: the tabbed
//! interactive screen ([`draw`]) and the one-frame dashboard of `--once`
//! ([`draw_once`]). Nothing here touches the terminal or the store.
//!
//! One module per panel; the styling they share lives in `style`.

mod benchmark;
mod equity;
mod health;
mod journal;
mod once;
mod overview;
mod positions;
mod signals;
mod style;
mod text;

pub use once::draw_once;
pub use style::reason_color;
pub use text::{buffer_to_ansi, buffer_to_plain};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use self::health::draw_health;
use self::journal::draw_journal;
use self::overview::draw_overview;
use self::positions::draw_positions;
use self::signals::draw_signals;
use self::style::{ACCENT, DIM, POPULATE, ts};
use crate::app::{App, Tab};
use crate::data::{Snapshot, StoreState};

/// Draws the interactive dashboard: title, tab bar, the current tab, help.
pub fn draw(frame: &mut Frame, app: &App) {
    let [title, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(title_line(&app.snapshot), title);

    let titles = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| Line::from(format!("{} {}", i + 1, t.title())));
    frame.render_widget(
        Tabs::new(titles)
            .select(app.tab.index())
            .style(Style::default().fg(Color::Gray))
            .highlight_style(
                Style::default()
                    .fg(Color::Black)
                    .bg(ACCENT)
                    .add_modifier(Modifier::BOLD),
            )
            .divider("│"),
        tabs,
    );

    draw_tab(frame, body, &app.snapshot, app.tab, Some(app.selected()));

    let help = "Tab/←→/1-5 switch · ↑↓ scroll · r reload · q quit";
    let line = match &app.status {
        Some(s) => Line::from(vec![
            Span::styled(help, Style::default().fg(DIM)),
            Span::raw("  "),
            Span::styled(s.clone(), Style::default().fg(Color::Yellow)),
        ]),
        None => Line::from(Span::styled(help, Style::default().fg(DIM))),
    };
    frame.render_widget(Paragraph::new(line), footer);
}

/// Draws one tab's content into `area`; `selected` highlights a table row.
pub fn draw_tab(frame: &mut Frame, area: Rect, s: &Snapshot, tab: Tab, selected: Option<usize>) {
    match tab {
        Tab::Overview => draw_overview(frame, area, s),
        Tab::Positions => draw_positions(frame, area, s, selected, true),
        Tab::Signals => draw_signals(frame, area, s, selected),
        Tab::Journal => draw_journal(frame, area, s, selected, true),
        Tab::Health => draw_health(frame, area, s, selected),
    }
}

fn title_line(s: &Snapshot) -> Paragraph<'static> {
    let mut spans = vec![
        Span::styled(
            " Rally detector ",
            Style::default()
                .fg(Color::Black)
                .bg(ACCENT)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(" "),
        Span::styled(s.database.clone(), Style::default().fg(Color::Gray)),
        Span::styled(" │ ", Style::default().fg(DIM)),
    ];
    match (&s.store, &s.last_scan) {
        (StoreState::Missing(_), _) => spans.push(Span::styled(
            format!("no state store yet — {POPULATE}"),
            Style::default().fg(Color::Yellow),
        )),
        (StoreState::Ok, None) => spans.push(Span::styled(
            format!("no scan yet — {POPULATE}"),
            Style::default().fg(Color::Yellow),
        )),
        (StoreState::Ok, Some(r)) => {
            spans.push(Span::raw(format!("last scan {} ({})", r.as_of, r.status)))
        }
    }
    spans.push(Span::styled(" │ ", Style::default().fg(DIM)));
    spans.push(Span::styled(
        format!("read {}", ts(s.loaded_at)),
        Style::default().fg(Color::Gray),
    ));
    Paragraph::new(Line::from(spans))
}
