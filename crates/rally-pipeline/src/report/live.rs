//! The live benchmarks as text: the system beside buy-and-hold and every
//! compressed bar, figure by figure — the one formatting of them for the
//! scan report, the dashboard and the bot.

use std::fmt::Write as _;

use rally_trade::PortfolioFigures;

use super::{Table, num, pct, spct};
use crate::scan::LiveBenchmark;
use crate::scan::benchmark::{MIN_ANNUALISED_DATES, MIN_ANNUALISED_DAYS};

/// The live figures' columns: the system and its two benchmarks.
pub const LIVE_LINES: [&str; 3] = ["system", "buy & hold", "every compr."];

/// A live figure that is absent (too short a record, undefined, or not in
/// an older stored summary).
const NOT_AVAILABLE: &str = "n/a";

/// One row of the live figures: the figure's name and one cell per line
/// of [`LIVE_LINES`].
pub type LiveRow = (&'static str, [String; 3]);

fn live_row(
    name: &'static str,
    lines: [Option<&PortfolioFigures>; 3],
    figure: fn(&PortfolioFigures) -> Option<f64>,
    show: fn(Option<f64>) -> String,
) -> LiveRow {
    let cell = |f: Option<&PortfolioFigures>| match f.and_then(figure) {
        Some(v) if v.is_finite() => show(Some(v)),
        _ => NOT_AVAILABLE.to_owned(),
    };
    (name, lines.map(cell))
}

/// The live benchmarks as rows of figures, side by side: the one
/// formatting of them for the scan report, the dashboard and the bot. A
/// summary stored before the figures existed gives its returns alone.
pub fn live_figure_rows(b: &LiveBenchmark) -> Vec<LiveRow> {
    let total = (
        "total",
        [
            spct(Some(b.system_return)),
            spct(Some(b.buy_hold_return)),
            b.every_compressed_return
                .map_or_else(|| NOT_AVAILABLE.to_owned(), |r| spct(Some(r))),
        ],
    );
    let Some(f) = &b.figures else {
        return vec![total];
    };
    let lines = [
        Some(&f.system),
        Some(&f.buy_hold),
        f.every_compressed.as_ref(),
    ];
    vec![
        live_row("total", lines, |f| Some(f.total_return), spct),
        live_row("CAGR", lines, |f| f.cagr, spct),
        live_row("Sharpe", lines, |f| f.sharpe, |x| num(x, 2)),
        live_row("Sortino", lines, |f| f.sortino, |x| num(x, 2)),
        live_row("max DD", lines, |f| Some(f.max_drawdown), pct),
        live_row("exposure", lines, |f| f.exposure, pct),
    ]
}

/// The live figures as aligned plain-text lines: a header of
/// [`LIVE_LINES`], then one line per figure, every column as wide as its
/// widest cell (numbers right-aligned) — for monospace views without a
/// table widget (the dashboard's panel, the bot's embed).
pub fn live_figure_lines(b: &LiveBenchmark) -> Vec<String> {
    let rows = live_figure_rows(b);
    let name_w = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let widths = LIVE_LINES.map(|h| h.chars().count());
    let widths: Vec<usize> = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            rows.iter()
                .map(|(_, c)| c[i].chars().count())
                .fold(w, usize::max)
        })
        .collect();
    let line = |name: &str, cells: [&str; 3]| {
        let mut s = format!("{name:<name_w$}");
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(s, "  {c:>w$}");
        }
        s
    };
    std::iter::once(line("", LIVE_LINES))
        .chain(
            rows.iter()
                .map(|(n, c)| line(n, c.each_ref().map(String::as_str))),
        )
        .collect()
}

/// What the live figures cover: since when, how many equity dates and
/// tickers.
pub fn live_caption(b: &LiveBenchmark) -> String {
    let dates = b
        .figures
        .as_ref()
        .map(|f| format!(" · {}", rally_text::count(f.dates, "equity date")))
        .unwrap_or_default();
    format!(
        "since {}{dates} · {}, equal weight",
        b.since,
        rally_text::count(b.tickers, "ticker")
    )
}

/// Why some live figures are missing, when they are.
pub fn live_note(b: &LiveBenchmark) -> Option<String> {
    match &b.figures {
        None => Some("returns only (stored before the full figures existed)".to_owned()),
        Some(f) if !f.annualised => Some(format!(
            "CAGR, Sharpe, Sortino: n/a until {MIN_ANNUALISED_DATES} equity dates over \
             {MIN_ANNUALISED_DAYS} days"
        )),
        Some(_) => None,
    }
}

/// The scan report's table of the system beside its benchmarks.
pub(super) fn live_benchmark_text(b: &LiveBenchmark) -> String {
    let title = format!(
        "\nAgainst buy & hold and every compressed bar (same exits and sizing, no costs), {}",
        live_caption(b)
    );
    let mut headers = vec![""];
    headers.extend(LIVE_LINES);
    let mut t = Table::new(&title, &headers);
    for (name, cells) in live_figure_rows(b) {
        let mut row = vec![name.to_owned()];
        row.extend(cells);
        t.row(row);
    }
    let mut out = t.render();
    if let Some(note) = live_note(b) {
        let _ = writeln!(out, "{note}");
    }
    out
}
