//! Pure rendering of a [`Snapshot`] into a ratatui [`Frame`]: the tabbed
//! interactive screen ([`draw`]) and the one-frame dashboard of `--once`
//! ([`draw_once`]). Nothing here touches the terminal or the store.

use chrono::{DateTime, Utc};
use rally_pipeline::health::ModelStatus;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Axis, Block, BorderType, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table,
    TableState, Tabs, Wrap,
};

use rally_text::{percent, price, probability, signed_percent, whole};

use crate::app::{App, Tab};
use crate::data::{Live, Snapshot, StoreState, failure_summary};

const POPULATE: &str = "run `scanner` (or `scanner --demo`) to populate";
const GREEN: Color = Color::Green;
const RED: Color = Color::Red;
const DIM: Color = Color::DarkGray;
const ACCENT: Color = Color::Cyan;
/// Longest failure reason shown (a wrapped line or two, not a screenful).
const MAX_REASON: usize = 120;

// ---------------------------------------------------------------------------
// Formatting (numbers: `rally_text`, the one home of human formatting)
// ---------------------------------------------------------------------------

/// At most `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
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

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn signed_color(x: f64) -> Color {
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
fn accent_bold() -> Style {
    Style::default().fg(ACCENT).add_modifier(Modifier::BOLD)
}

/// The selected row of a table.
fn selected_row() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// Fixed column widths of a table.
fn lengths<const N: usize>(widths: [u16; N]) -> [Constraint; N] {
    widths.map(Constraint::Length)
}

fn block(title: impl Into<String>) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(DIM))
        .title(Span::styled(format!(" {} ", title.into()), accent_bold()))
}

fn hint(text: impl Into<String>) -> Paragraph<'static> {
    Paragraph::new(text.into())
        .style(Style::default().fg(Color::Gray))
        .wrap(Wrap { trim: true })
}

/// Whether the store has never been filled by a scan.
fn never_scanned(s: &Snapshot) -> bool {
    matches!(s.store, StoreState::Missing(_)) || s.is_empty()
}

// ---------------------------------------------------------------------------
// Interactive screen
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------

fn draw_overview(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let (portfolio, market) = (portfolio_lines(s, false), market_lines(s));
    // Both panels as tall as the taller needs once wrapped (a long reason
    // why live quotes are unavailable), within bounds.
    let inner_w = (area.width / 2).saturating_sub(2);
    let top_h = (wrapped_rows(&portfolio.lines, inner_w).max(wrapped_rows(&market.lines, inner_w))
        + 2)
    .clamp(10, 14);
    let [top, chart] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(5)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    frame.render_widget(
        Paragraph::new(portfolio)
            .block(block("Portfolio"))
            .wrap(Wrap { trim: false }),
        left,
    );
    frame.render_widget(
        Paragraph::new(market)
            .block(block("Market (last scan)"))
            .wrap(Wrap { trim: false }),
        right,
    );
    draw_equity_chart(frame, chart, s);
}

fn kv(key: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<15} "), Style::default().fg(Color::Gray)),
        value,
    ])
}

fn portfolio_lines(s: &Snapshot, compact: bool) -> Text<'static> {
    if never_scanned(s) {
        return Text::from(vec![
            Line::from("No portfolio yet."),
            Line::from(""),
            Line::from(format!(
                "Equity, exposure and P&L appear here after the first scan — {POPULATE}."
            )),
        ]);
    }
    let last = s.equity.last();
    let equity = last.map(|e| e.equity);
    let exposure = if matches!(s.live, Live::Quotes(_)) || last.is_none() {
        s.marked_exposure()
    } else {
        // The snapshot stores exposure as a fraction of equity.
        last.map_or(0.0, |e| e.exposure * e.equity)
    };
    let unreal = s.unrealised_pnl();
    let pending = s
        .positions
        .iter()
        .filter(|p| p.entry_date.is_none())
        .count();
    let cash = last.map_or_else(|| "n/a".to_owned(), |e| whole(e.cash, false));
    let mut lines = vec![kv(
        "Equity",
        Span::styled(
            equity.map_or_else(|| "n/a".to_owned(), |e| whole(e, false)),
            Style::default().add_modifier(Modifier::BOLD),
        ),
    )];
    if compact {
        lines[0].spans.push(Span::raw(format!(" (cash {cash})")));
    } else {
        lines.push(kv("Cash", Span::raw(cash)));
    }
    lines.extend([
        kv(
            "Exposure",
            Span::raw(match equity {
                Some(eq) if eq > 0.0 => {
                    format!(
                        "{} ({} of equity)",
                        whole(exposure, false),
                        percent(exposure / eq, 1)
                    )
                }
                _ => whole(exposure, false),
            }),
        ),
        kv(
            "Open positions",
            Span::raw(if pending > 0 {
                format!("{} ({pending} pending entry)", s.positions.len())
            } else {
                s.positions.len().to_string()
            }),
        ),
        kv(
            "Realised P&L",
            Span::styled(
                format!(
                    "{} ({} closed trades)",
                    whole(s.realised_pnl, true),
                    s.closed_count
                ),
                Style::default().fg(signed_color(s.realised_pnl)),
            ),
        ),
        kv(
            "Unrealised P&L",
            Span::styled(
                whole(unreal, true),
                Style::default().fg(signed_color(unreal)),
            ),
        ),
    ]);
    if let (Some(first), Some(last)) = (s.equity.first(), s.equity.last())
        && first.equity > 0.0
        && s.equity.len() > 1
    {
        let ch = last.equity / first.equity - 1.0;
        lines.push(kv(
            &format!("Change {}d", s.equity.len()),
            Span::styled(signed_percent(ch), Style::default().fg(signed_color(ch))),
        ));
    }
    lines.push(live_line(s));
    Text::from(lines)
}

/// The prices line: stored, live as of, or offline.
fn live_line(s: &Snapshot) -> Line<'static> {
    match &s.live {
        Live::Off => kv(
            "Prices",
            Span::styled(
                match &s.last_scan {
                    Some(r) => format!("stored, scan of {}", r.as_of),
                    None => "stored".to_owned(),
                },
                Style::default().fg(Color::Gray),
            ),
        ),
        Live::Fetching { since } => kv(
            "Prices",
            Span::styled(
                format!(
                    "fetching live quotes since {}…",
                    since.format("%H:%M:%S UTC")
                ),
                Style::default().fg(Color::Yellow),
            ),
        ),
        Live::Quotes(q) => {
            let text = format!("live as of {} ({})", ts(q.as_of), q.source);
            match failure_summary(&q.errors) {
                None => kv("Prices", Span::styled(text, Style::default().fg(GREEN))),
                Some(failed) => kv(
                    "Prices",
                    Span::styled(text, Style::default().fg(Color::Yellow)),
                )
                .patch_spans(Line::from(Span::styled(
                    format!("; no quote: {}", short(&failed, MAX_REASON)),
                    Style::default().fg(RED),
                ))),
            }
        }
        Live::Offline { reason, at } => kv(
            "Prices",
            Span::styled(
                format!(
                    "live quotes unavailable ({}): {}; stored prices shown",
                    at.format("%H:%M UTC"),
                    short(reason, MAX_REASON),
                ),
                Style::default().fg(RED),
            ),
        ),
    }
}

fn market_lines(s: &Snapshot) -> Text<'static> {
    let Some(run) = &s.last_scan else {
        return Text::from(vec![
            Line::from("No scan yet."),
            Line::from(""),
            Line::from(format!(
                "VIX and breadth appear here after a scan — {POPULATE}."
            )),
        ]);
    };
    let m = &s.market;
    let vix = match (m.vix, &m.vix_label) {
        (Some(v), Some(l)) => format!("{v:.2} ({l})"),
        (Some(v), None) => format!("{v:.2}"),
        (None, _) => "n/a (run scanner)".to_owned(),
    };
    let vix_color = match m.vix_label.as_deref() {
        Some("calm") => GREEN,
        Some("normal") => Color::Reset,
        Some("elevated") => Color::Yellow,
        Some("fear") => RED,
        _ => Color::Reset,
    };
    let mut lines = vec![
        kv("As of", Span::raw(run.as_of.to_string())),
        kv(
            "Scanned",
            Span::raw(format!(
                "{} tickers, {} signals ({})",
                run.n_scanned, run.n_signals, run.status
            )),
        ),
        kv("VIX", Span::styled(vix, Style::default().fg(vix_color))),
        kv("Watchlist", Span::raw(watchlist_brief(s))),
    ];
    if m.breadth.is_empty() {
        lines.push(kv(
            "Breadth",
            Span::styled("n/a (run scanner)", Style::default().fg(Color::Gray)),
        ));
    } else {
        for (k, v) in &m.breadth {
            lines.push(kv(&format!("  {k}"), Span::raw(v.clone())));
        }
    }
    Text::from(lines)
}

/// The watchlist on one line: `NFLX 0.583 · CRM 0.561` (the Signals tab
/// has the full table).
fn watchlist_brief(s: &Snapshot) -> String {
    if s.market.watchlist.is_empty() {
        return "none".to_owned();
    }
    s.market
        .watchlist
        .iter()
        .map(|w| match w.p_rally {
            Some(p) => format!("{} {}", w.ticker, probability(p)),
            None => w.ticker.clone(),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn draw_equity_chart(frame: &mut Frame, area: Rect, s: &Snapshot) {
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

// ---------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------

fn draw_positions(
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

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

fn draw_signals(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>) {
    let n_sig = s.signals.len();
    let watch_h = if s.market.watchlist.is_empty() {
        4
    } else {
        (s.market.watchlist.len() as u16 + 3).min(area.height / 2)
    };
    let [top, bottom] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(watch_h)]).areas(area);
    draw_signal_table(frame, top, s, selected.filter(|&i| i < n_sig));

    let wl = &s.market.watchlist;
    let title = format!("Watchlist ({})", wl.len());
    if wl.is_empty() {
        let text = if never_scanned(s) {
            format!("No watchlist yet — {POPULATE}.")
        } else {
            "No watchlist recorded by the last scan (near-signals: P(rally) close to the threshold, or compression not yet low enough). `scanner` prints the full ranking.".to_owned()
        };
        frame.render_widget(hint(text).block(block(title)), bottom);
        return;
    }
    let opt = |x: Option<f64>, f: fn(f64) -> String| x.map_or_else(|| "-".to_owned(), f);
    let rows = wl.iter().map(|w| {
        Row::new(vec![
            w.ticker.clone(),
            opt(w.p_rally, probability),
            opt(w.compression, |x| format!("{x:.3}")),
            opt(w.price, price),
        ])
    });
    let table = Table::new(rows, lengths([9, 9, 12, 10]))
        .header(Row::new(["Ticker", "P(rally)", "Compression", "Price"]).style(accent_bold()))
        .row_highlight_style(selected_row())
        .block(block(title));
    let mut state =
        TableState::default().with_selected(selected.and_then(|i| i.checked_sub(n_sig)));
    frame.render_stateful_widget(table, bottom, &mut state);
}

fn draw_signal_table(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>) {
    let as_of = s
        .signals
        .first()
        .map(|x| x.as_of)
        .or(s.last_scan.as_ref().map(|r| r.as_of));
    let title = match as_of {
        Some(d) => format!("Entry signals of {d} ({})", s.signals.len()),
        None => "Entry signals".to_owned(),
    };
    if s.signals.is_empty() {
        let text = if never_scanned(s) {
            format!("No signals yet — {POPULATE}.")
        } else {
            "No entry signals in the last scan.".to_owned()
        };
        frame.render_widget(hint(text).block(block(title)), area);
        return;
    }
    let rows = s.signals.iter().map(|x| {
        let risk = if x.price > 0.0 {
            x.stop / x.price - 1.0
        } else {
            f64::NAN
        };
        let reward = if x.price > 0.0 {
            x.target / x.price - 1.0
        } else {
            f64::NAN
        };
        Row::new(vec![
            Cell::from(x.ticker.clone()).style(Style::default().add_modifier(Modifier::BOLD)),
            Cell::from(probability(x.p_rally)).style(Style::default().fg(GREEN)),
            Cell::from(format!("{:.3}", x.compression)),
            Cell::from(price(x.price)),
            Cell::from(price(x.stop)),
            Cell::from(price(x.target)),
            Cell::from(signed_percent(risk)),
            Cell::from(signed_percent(reward)),
            Cell::from(percent(x.size, 1)),
        ])
    });
    let table = Table::new(rows, lengths([9, 9, 12, 10, 10, 10, 8, 9, 6]))
        .header(
            Row::new([
                "Ticker",
                "P(rally)",
                "Compression",
                "Price",
                "Stop",
                "Target",
                "To stop",
                "To target",
                "Size",
            ])
            .style(accent_bold()),
        )
        .row_highlight_style(selected_row())
        .block(block(title));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

// ---------------------------------------------------------------------------
// Journal
// ---------------------------------------------------------------------------

fn draw_journal(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>, wide: bool) {
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

// ---------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------

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

trait PatchSpans {
    fn patch_spans(self, other: Line<'static>) -> Line<'static>;
}

impl PatchSpans for Line<'static> {
    fn patch_spans(mut self, other: Line<'static>) -> Line<'static> {
        self.spans.extend(other.spans);
        self
    }
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

fn draw_health(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>) {
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

// ---------------------------------------------------------------------------
// --once: one frame with everything
// ---------------------------------------------------------------------------

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

/// Rows `lines` take when wrapped at `width` columns: each line's width
/// over the row width, rounded up, plus one for any wrapped line (word
/// wrapping leaves ragged ends).
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
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

fn draw_watchlist_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let wl = &s.market.watchlist;
    let title = match s.last_scan.as_ref() {
        Some(r) => format!("Watchlist {} ({})", r.as_of, wl.len()),
        None => "Watchlist".to_owned(),
    };
    if wl.is_empty() {
        let text = if never_scanned(s) {
            format!("No watchlist yet — {POPULATE}.")
        } else {
            "No near-signals in the last scan.".to_owned()
        };
        frame.render_widget(hint(text).block(block(title)), area);
        return;
    }
    let opt = |x: Option<f64>, f: fn(f64) -> String| x.map_or_else(|| "-".to_owned(), f);
    let rows = wl.iter().map(|w| {
        Row::new(vec![
            w.ticker.clone(),
            opt(w.p_rally, probability),
            opt(w.compression, |x| format!("{x:.3}")),
            opt(w.price, price),
        ])
    });
    let table = Table::new(rows, lengths([7, 8, 6, 9]))
        .header(Row::new(["Ticker", "P(rally)", "Compr.", "Price"]).style(accent_bold()))
        .block(block(title));
    frame.render_widget(table, area);
}

fn draw_signals_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
    let title = match s.last_scan.as_ref() {
        Some(r) => format!("Signals {} ({})", r.as_of, s.signals.len()),
        None => "Signals".to_owned(),
    };
    if s.signals.is_empty() {
        let text = if never_scanned(s) {
            format!("No signals yet — {POPULATE}.")
        } else {
            "No entry signals in the last scan.".to_owned()
        };
        frame.render_widget(hint(text).block(block(title)), area);
        return;
    }
    let rows = s.signals.iter().map(|x| {
        Row::new(vec![
            x.ticker.clone(),
            probability(x.p_rally),
            format!("{:.3}", x.compression),
            price(x.price),
        ])
    });
    let table = Table::new(rows, lengths([7, 8, 6, 9]))
        .header(Row::new(["Ticker", "P(rally)", "Compr.", "Price"]).style(accent_bold()))
        .block(block(title));
    frame.render_widget(table, area);
}

fn draw_health_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
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

// ---------------------------------------------------------------------------
// Buffer to text
// ---------------------------------------------------------------------------

/// The buffer as plain text lines, trailing spaces trimmed.
pub fn buffer_to_plain(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            let w = unicode_width::UnicodeWidthStr::width(sym);
            line.push_str(sym);
            skip = w.saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn sgr_color(c: Color, bg: bool) -> String {
    let base = if bg { 40 } else { 30 };
    let bright = if bg { 100 } else { 90 };
    match c {
        Color::Reset => format!("{}", base + 9),
        Color::Black => format!("{base}"),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{bright}"),
        Color::LightRed => format!("{}", bright + 1),
        Color::LightGreen => format!("{}", bright + 2),
        Color::LightYellow => format!("{}", bright + 3),
        Color::LightBlue => format!("{}", bright + 4),
        Color::LightMagenta => format!("{}", bright + 5),
        Color::LightCyan => format!("{}", bright + 6),
        Color::White => format!("{}", bright + 7),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    }
}

fn sgr(fg: Color, bg: Color, m: Modifier) -> String {
    let mut codes = vec!["0".to_owned()];
    for (flag, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::REVERSED, "7"),
    ] {
        if m.contains(flag) {
            codes.push(code.to_owned());
        }
    }
    if fg != Color::Reset {
        codes.push(sgr_color(fg, false));
    }
    if bg != Color::Reset {
        codes.push(sgr_color(bg, true));
    }
    format!("\x1b[{}m", codes.join(";"))
}

/// The buffer as lines with ANSI colours (for `--once` on a terminal).
pub fn buffer_to_ansi(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        // Trailing cells that are plain spaces are dropped.
        let mut end = area.right();
        while end > area.left() {
            let c = &buf[(end - 1, y)];
            if c.symbol() == " " && c.bg == Color::Reset && !c.modifier.contains(Modifier::REVERSED)
            {
                end -= 1;
            } else {
                break;
            }
        }
        let mut cur: Option<(Color, Color, Modifier)> = None;
        let mut skip = 0usize;
        for x in area.left()..end {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let c = &buf[(x, y)];
            let st = (c.fg, c.bg, c.modifier);
            if cur != Some(st) {
                out.push_str(&sgr(st.0, st.1, st.2));
                cur = Some(st);
            }
            let sym = c.symbol();
            out.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str("\x1b[0m\n");
    }
    out
}
