//! Model health, scan status and the alert outbox (Health tab, and the
//! compact panel of `--once`).

use rally_pipeline::health::ModelStatus;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::style::{
    GREEN, POPULATE, PatchSpans, RED, accent_bold, block, hint, kv, lengths, selected_row, ts,
};
use crate::data::{Snapshot, StoreState};

fn status_style(st: &ModelStatus) -> (String, Color) {
    match st {
        ModelStatus::Fresh => ("fresh".into(), GREEN),
        ModelStatus::Stale => ("stale".into(), Color::Yellow),
        ModelStatus::Missing => ("missing".into(), RED),
        ModelStatus::Corrupt { reason } => (format!("corrupt: {reason}"), RED),
    }
}

fn health_summary(s: &Snapshot) -> Line<'static> {
    let h = &s.health;
    Line::from(vec![
        Span::styled(format!("{} fresh", h.fresh), Style::default().fg(GREEN)),
        Span::raw(" · "),
        Span::styled(
            format!("{} stale", h.stale),
            Style::default().fg(if h.stale > 0 {
                Color::Yellow
            } else {
                Color::Reset
            }),
        ),
        Span::raw(" · "),
        Span::styled(
            format!("{} missing", h.missing),
            Style::default().fg(if h.missing > 0 { RED } else { Color::Reset }),
        ),
        Span::raw(" · "),
        Span::styled(
            format!("{} corrupt", h.corrupt),
            Style::default().fg(if h.corrupt > 0 { RED } else { Color::Reset }),
        ),
    ])
}

fn scan_lines(s: &Snapshot) -> Vec<Line<'static>> {
    let h = &s.health;
    let mut lines = vec![
        kv("Models", Span::raw(String::new())).patch_spans(health_summary(s)),
        kv(
            "Last data",
            Span::raw(
                h.last_data_date
                    .map_or_else(|| "n/a".to_owned(), |d| d.to_string()),
            ),
        ),
        kv("Models dir", Span::raw(s.models_dir.display().to_string())),
        kv(
            "Judged at",
            Span::raw(if s.scan_clock {
                format!("{} (clock of the last scan)", ts(s.health_at))
            } else {
                ts(s.health_at)
            }),
        ),
    ];
    match &s.last_scan {
        Some(r) => {
            lines.push(kv(
                "Last scan",
                Span::raw(format!("{} ({})", r.as_of, r.status)),
            ));
            lines.push(kv(
                "  ran",
                Span::raw(format!(
                    "{} → {}",
                    ts(r.started_at),
                    r.finished_at.format("%H:%M:%S")
                )),
            ));
            lines.push(kv(
                "  scanned",
                Span::raw(format!("{} tickers, {} signals", r.n_scanned, r.n_signals)),
            ));
        }
        None => lines.push(kv(
            "Last scan",
            Span::styled(
                format!("none — {POPULATE}"),
                Style::default().fg(Color::Yellow),
            ),
        )),
    }
    lines.push(kv(
        "State store",
        match &s.store {
            StoreState::Ok => {
                Span::styled(format!("ok ({})", s.database), Style::default().fg(GREEN))
            }
            StoreState::Missing(p) => Span::styled(
                format!("not created yet ({})", p.display()),
                Style::default().fg(Color::Yellow),
            ),
        },
    ));
    lines
}

fn draw_outbox(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let title = format!("Alert outbox ({} dead)", s.dead_events);
    if s.outbox.is_empty() {
        frame.render_widget(
            hint("No alerts queued yet (no backend configured, or nothing sent).")
                .block(block(title)),
            area,
        );
        return;
    }
    let rows = s.outbox.iter().map(|o| {
        Row::new(vec![
            Cell::from(o.backend.clone()),
            Cell::from(o.pending.to_string()).style(Style::default().fg(if o.pending > 0 {
                Color::Yellow
            } else {
                Color::Reset
            })),
            Cell::from(o.delivered.to_string()).style(Style::default().fg(GREEN)),
            Cell::from(o.dead.to_string()).style(Style::default().fg(if o.dead > 0 {
                RED
            } else {
                Color::Reset
            })),
        ])
    });
    let table = Table::new(rows, lengths([10, 8, 10, 5]))
        .header(Row::new(["Backend", "Pending", "Delivered", "Dead"]).style(accent_bold()))
        .block(block(title));
    frame.render_widget(table, area);
}

pub(super) fn draw_health(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>) {
    let top_h = (s.outbox.len() as u16 + 4).max(9);
    let [top, models] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(4)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    frame.render_widget(Paragraph::new(scan_lines(s)).block(block("System")), left);
    draw_outbox(frame, right, s);

    let title = format!("Models ({})", s.health.models.len());
    if s.health.models.is_empty() {
        frame.render_widget(
            hint(format!(
                "No model files in {} — run `retrainer` (or `scanner --demo`, which trains what it lacks).",
                s.models_dir.display()
            ))
            .block(block(title)),
            models,
        );
        return;
    }
    let status_w = s
        .health
        .models
        .iter()
        .map(|m| status_style(&m.status).0.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 60) as u16;
    let rows = s.health.models.iter().map(|m| {
        let (st, c) = status_style(&m.status);
        Row::new(vec![
            Cell::from(m.ticker.clone()),
            Cell::from(st).style(Style::default().fg(c)),
            Cell::from(m.trained_at.map_or_else(|| "-".to_owned(), ts)),
            Cell::from(m.age_days.map_or_else(|| "-".to_owned(), |a| a.to_string())),
            Cell::from(m.data_end.map_or_else(|| "-".to_owned(), |d| d.to_string())),
        ])
    });
    let table = Table::new(rows, lengths([9, status_w, 20, 8, 10]))
        .header(
            Row::new(["Ticker", "Status", "Trained", "Age (d)", "Data end"]).style(accent_bold()),
        )
        .row_highlight_style(selected_row())
        .block(block(title));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, models, &mut state);
}

pub(super) fn draw_health_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let mut summary = health_summary(s).spans;
    // "a fresh · b stale" on the first line, "c missing · d corrupt" below.
    let rest = summary.split_off(summary.len().min(4));
    summary.truncate(3);
    let mut lines = vec![
        Line::from("Models ").patch_spans(Line::from(summary)),
        Line::from("       ").patch_spans(Line::from(rest)),
        Line::from(format!(
            "Last data {}",
            s.health
                .last_data_date
                .map_or_else(|| "n/a".to_owned(), |d| d.to_string())
        )),
    ];
    match &s.last_scan {
        Some(r) => lines.push(Line::from(format!(
            "Last scan {} {} ({} tickers)",
            r.as_of, r.status, r.n_scanned
        ))),
        None => lines.push(Line::from("Last scan: none yet")),
    }
    let (p, d, x) = s.outbox.iter().fold((0, 0, 0), |(p, d, x), o| {
        (p + o.pending, d + o.delivered, x + o.dead)
    });
    lines.push(if s.outbox.is_empty() {
        Line::from("Outbox empty")
    } else {
        Line::from(format!("Outbox {p} pending · {d} sent · {x} dead"))
    });
    frame.render_widget(
        Paragraph::new(lines)
            .block(block("Health"))
            .wrap(Wrap { trim: false }),
        area,
    );
}
