//! The Overview tab: portfolio, market of the last scan (with the
//! watchlist), the equity chart and the system beside its benchmarks.

use rally_text::{p_cell, percent, signed_percent, whole};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

use super::benchmark::{draw_benchmarks, split_for_benchmarks};
use super::equity::draw_equity_chart;
use super::style::{
    GREEN, MAX_REASON, POPULATE, PatchSpans, RED, block, kv, never_scanned, short, signed_color,
    ts, wrapped_rows,
};
use crate::data::{Live, Snapshot, failure_summary};

pub(super) fn draw_overview(frame: &mut Frame, area: Rect, s: &Snapshot) {
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
    let bench = s.market.benchmark.as_ref();
    let (chart, panel) = split_for_benchmarks(chart, bench);
    draw_equity_chart(frame, chart, s);
    if let (Some(panel), Some(b)) = (panel, bench) {
        draw_benchmarks(frame, panel, b);
    }
}

pub(super) fn portfolio_lines(s: &Snapshot, compact: bool) -> Text<'static> {
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
    // The Overview tab shows every figure in its own panel; the crowded
    // `--once` frame keeps the returns here. Never a strategy figure
    // without what holding the same tickers did, and what entering every
    // compressed bar did.
    if let Some(b) = s.market.benchmark.as_ref().filter(|_| compact) {
        lines.push(kv(
            "System vs B&H",
            Span::raw(format!(
                "{} vs {} since {}",
                signed_percent(b.system_return),
                signed_percent(b.buy_hold_return),
                b.since
            )),
        ));
        if let Some(every) = b.every_compressed_return {
            lines.push(kv(
                "Every compr.",
                Span::raw(format!(
                    "{} (same exits, no P filter)",
                    signed_percent(every)
                )),
            ));
        }
    }
    lines.push(live_line(s));
    Text::from(lines)
}

/// The prices line: stored, live as of, or offline.
pub(super) fn live_line(s: &Snapshot) -> Line<'static> {
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
            Some(p) => format!("{} {}", w.ticker, p_cell(p, w.setup_top_pct)),
            None => w.ticker.clone(),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
