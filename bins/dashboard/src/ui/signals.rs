//! Entry signals and the watchlist: the Signals tab's tables and the
//! compact ones of `--once`.

use rally_text::{p_cell, percent, price, signed_percent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::style::{
    GREEN, POPULATE, accent_bold, block, hint, lengths, never_scanned, selected_row,
};
use crate::data::{Snapshot, WatchItem};

pub(super) fn draw_signals(frame: &mut Frame, area: Rect, s: &Snapshot, selected: Option<usize>) {
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
    let rows = wl.iter().map(watch_row);
    let pw = p_width(wl.iter().any(|w| w.setup_top_pct.is_some()), 9);
    let table = Table::new(rows, lengths([9, pw, 12, 10]))
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
            Cell::from(p_cell(x.p_rally, x.setup_top_pct)).style(Style::default().fg(GREEN)),
            Cell::from(format!("{:.3}", x.compression)),
            Cell::from(price(x.price)),
            Cell::from(price(x.stop)),
            Cell::from(price(x.target)),
            Cell::from(signed_percent(risk)),
            Cell::from(signed_percent(reward)),
            Cell::from(percent(x.size, 1)),
        ])
    });
    let pw = p_width(s.signals.iter().any(|x| x.setup_top_pct.is_some()), 9);
    let table = Table::new(rows, lengths([9, pw, 12, 10, 10, 10, 8, 9, 6]))
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

pub(super) fn draw_signals_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
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
            p_cell(x.p_rally, x.setup_top_pct),
            format!("{:.3}", x.compression),
            price(x.price),
        ])
    });
    let table = Table::new(
        rows,
        compact_widths(s.signals.iter().any(|x| x.setup_top_pct.is_some())),
    )
    .header(Row::new(["Ticker", "P(rally)", "Compr.", "Price"]).style(accent_bold()))
    .block(block(title));
    frame.render_widget(table, area);
}

pub(super) fn draw_watchlist_compact(frame: &mut Frame, area: Rect, s: &Snapshot) {
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
    let rows = wl.iter().map(watch_row);
    let table = Table::new(
        rows,
        compact_widths(wl.iter().any(|w| w.setup_top_pct.is_some())),
    )
    .header(Row::new(["Ticker", "P(rally)", "Compr.", "Price"]).style(accent_bold()))
    .block(block(title));
    frame.render_widget(table, area);
}

/// Columns of the narrow side tables: a ranked P (model v2) takes the
/// price's room, so the rank is never cut.
fn compact_widths(ranked: bool) -> Vec<Constraint> {
    if ranked {
        lengths([7, 18, 6]).to_vec()
    } else {
        lengths([7, 8, 6, 9]).to_vec()
    }
}

/// Width of a P column: room for `0.340 · bottom 48%` when any row is
/// ranked (model v2), else the plain width.
fn p_width(ranked: bool, plain: u16) -> u16 {
    if ranked { 18 } else { plain }
}

/// One watchlist entry as a table row (both watchlist tables).
fn watch_row(w: &WatchItem) -> Row<'static> {
    let opt = |x: Option<f64>, f: fn(f64) -> String| x.map_or_else(|| "-".to_owned(), f);
    Row::new(vec![
        w.ticker.clone(),
        w.p_rally
            .map_or_else(|| "-".to_owned(), |p| p_cell(p, w.setup_top_pct)),
        opt(w.compression, |x| format!("{x:.3}")),
        opt(w.price, price),
    ])
}
