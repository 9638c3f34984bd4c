//! Shared styling of every panel: the palette, panel blocks, hints,
//! key-value lines, and the small text helpers (numbers go through
//! `rally_text`, the one home of human number formatting).

use chrono::{DateTime, Utc};
use ratatui::layout::Constraint;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::data::{Snapshot, StoreState};

/// What every empty panel tells a first-time user to run.
pub(super) const POPULATE: &str = "run `scanner` (or `scanner --demo`) to populate";

// The palette: gains/targets, losses/stops, borders and hints, titles.
pub(super) const GREEN: Color = Color::Green;
pub(super) const RED: Color = Color::Red;
pub(super) const DIM: Color = Color::DarkGray;
pub(super) const ACCENT: Color = Color::Cyan;

/// Longest failure reason shown (a wrapped line or two, not a screenful).
pub(super) const MAX_REASON: usize = 120;

/// At most `max` characters, with an ellipsis when cut.
pub(super) fn short(text: &str, max: usize) -> String {
    // A transport error's URL adds nothing for the reader.
    let text = text.split(" for url (").next().unwrap_or(text);
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) fn signed_color(x: f64) -> Color {
    if x > 0.0 {
        GREEN
    } else if x < 0.0 {
        RED
    } else {
        Color::Reset
    }
}

/// Colour of a journal exit reason.
pub fn reason_color(reason: &str) -> Color {
    match reason {
        "target" => GREEN,
        "stop" => RED,
        "exhaustion" => Color::Yellow,
        _ => Color::Gray,
    }
}

/// Titles and table headers: the accent colour, bold.
pub(super) fn accent_bold() -> Style {
    Style::default().fg(ACCENT).add_modifier(Modifier::BOLD)
}

/// The selected row of a table.
pub(super) fn selected_row() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// Fixed column widths of a table.
pub(super) fn lengths<const N: usize>(widths: [u16; N]) -> [Constraint; N] {
    widths.map(Constraint::Length)
}

pub(super) fn block(title: impl Into<String>) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(DIM))
        .title(Span::styled(format!(" {} ", title.into()), accent_bold()))
}

pub(super) fn hint(text: impl Into<String>) -> Paragraph<'static> {
    Paragraph::new(text.into())
        .style(Style::default().fg(Color::Gray))
        .wrap(Wrap { trim: true })
}

/// Whether the store has never been filled by a scan.
pub(super) fn never_scanned(s: &Snapshot) -> bool {
    matches!(s.store, StoreState::Missing(_)) || s.is_empty()
}

pub(super) fn kv(key: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<15} "), Style::default().fg(Color::Gray)),
        value,
    ])
}

pub(super) trait PatchSpans {
    fn patch_spans(self, other: Line<'static>) -> Line<'static>;
}

impl PatchSpans for Line<'static> {
    fn patch_spans(mut self, other: Line<'static>) -> Line<'static> {
        self.spans.extend(other.spans);
        self
    }
}

/// Rows `lines` take when wrapped at `width` columns: each line's width
/// over the row width, rounded up, plus one for any wrapped line (word
/// wrapping leaves ragged ends).
pub(super) fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let rows: usize = lines
        .iter()
        .map(|l| {
            let n = l.width();
            if n <= w { 1 } else { n.div_ceil(w) + 1 }
        })
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}
