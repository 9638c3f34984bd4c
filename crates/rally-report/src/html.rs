//! The page itself: escaping, the header, one `<section>` per report
//! section, tables, and the footer.
//!
//! Output is a pure function of the [`Report`]: no clock, no randomness,
//! no hash-map iteration, so the same report gives byte-identical HTML and
//! reports diff cleanly between runs.

use crate::MAX_TRADE_ROWS;
use crate::charts::{Figure, heatmap, line, reliability};
use crate::compute::{ROWS_PER_YEAR, drawdown, rolling_sharpe};
use crate::model::{ReliabilityCurve, Report, Section, Series, Table, Trade};
use crate::style::CSS;

/// Text as HTML: the five characters that could end an element or an
/// attribute become entities. Safe in element content and in quoted
/// attribute values alike.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether a cell reads as a number (right-aligned): `12.3%`, `-$5.00`,
/// `+0.41`, `1,234`, `n/a`.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    t == rally_text::NOT_A_NUMBER
        || (t.chars().any(|c| c.is_ascii_digit())
            && t.chars()
                .all(|c| c.is_ascii_digit() || "+-−$%.,×x ".contains(c)))
}

fn heading(title: &str) -> String {
    format!("<h2>{}</h2>\n", escape(title))
}

fn figure(f: &Figure) -> String {
    let mut out = format!("<figure class=\"chart-figure\">\n{}\n", f.svg);
    for n in &f.notes {
        out.push_str(&format!("<p class=\"chart-note\">{}</p>\n", escape(n)));
    }
    out.push_str("</figure>\n");
    out
}

/// A table with an id and class; cells escaped, numbers right-aligned,
/// short rows padded so columns line up.
fn table(id: &str, class: &str, header: &[String], rows: &[Vec<String>]) -> String {
    table_with(id, class, header, rows, |_, _| "")
}

/// [`table`] with an extra class for some cells: `tone(row, column)`
/// returns it with a leading space, or `""`.
fn table_with(
    id: &str,
    class: &str,
    header: &[String],
    rows: &[Vec<String>],
    tone: impl Fn(usize, usize) -> &'static str,
) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\"><table id=\"{}\" class=\"data-table {class}\">\n",
        escape(id)
    );
    if !header.is_empty() {
        out.push_str("<thead><tr>");
        for h in header {
            out.push_str(&format!("<th>{}</th>", escape(h)));
        }
        out.push_str("</tr></thead>\n");
    }
    out.push_str("<tbody>\n");
    let width = rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(header.len());
    for (r, row) in rows.iter().enumerate() {
        out.push_str("<tr>");
        for i in 0..width {
            let c = row.get(i).map_or("", String::as_str);
            let num = if i > 0 && looks_numeric(c) { "num" } else { "" };
            let class = format!("{num}{}", tone(r, i));
            let class = class.trim();
            if class.is_empty() {
                out.push_str(&format!("<td>{}</td>", escape(c)));
            } else {
                out.push_str(&format!("<td class=\"{class}\">{}</td>", escape(c)));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn notes(lines: &[String], class: &str) -> String {
    lines
        .iter()
        .map(|n| format!("<p class=\"{class}\">{}</p>\n", escape(n)))
        .collect()
}

fn line_chart(
    id: String,
    class: &str,
    title: String,
    scale: line::YScale,
    format: line::YFormat,
    series: Vec<(&str, Vec<(chrono::NaiveDate, f64)>)>,
) -> String {
    figure(&line::render(&line::LineChart {
        id,
        class,
        title,
        scale,
        format,
        series,
        zero_line: true,
    }))
}

fn equity(sid: &str, title: &str, series: &[Series]) -> String {
    let pts = || {
        series
            .iter()
            .map(|s| (s.name.as_str(), s.points.clone()))
            .collect()
    };
    let mut out = heading(title);
    out.push_str(&line_chart(
        format!("{sid}-equity-linear"),
        "chart-equity",
        format!("{title} (linear scale)"),
        line::YScale::Linear,
        line::YFormat::Number,
        pts(),
    ));
    out.push_str(&line_chart(
        format!("{sid}-equity-log"),
        "chart-equity chart-log",
        format!("{title} (log scale: equal slopes are equal growth rates)"),
        line::YScale::Log,
        line::YFormat::Number,
        pts(),
    ));
    out
}

fn drawdowns(sid: &str, title: &str, series: &[Series]) -> String {
    let mut out = heading(title);
    out.push_str(&line_chart(
        format!("{sid}-drawdown"),
        "chart-drawdown",
        format!("{title}: fall from the running peak"),
        line::YScale::Linear,
        line::YFormat::Percent,
        series
            .iter()
            .map(|s| (s.name.as_str(), drawdown(&s.points)))
            .collect(),
    ));
    out
}

fn sharpe(sid: &str, title: &str, series: &[Series]) -> String {
    let mut out = heading(title);
    let mut short = Vec::new();
    let lines = series
        .iter()
        .map(|s| {
            let r = rolling_sharpe(&s.points, ROWS_PER_YEAR);
            if r.is_empty() {
                short.push(format!(
                    "{}: no value — a one-year window needs more than {ROWS_PER_YEAR} rows of positive equity with some movement; it has {}.",
                    s.name,
                    s.points.len()
                ));
            }
            (s.name.as_str(), r)
        })
        .collect();
    let mut f = line::render(&line::LineChart {
        id: format!("{sid}-rolling-sharpe"),
        class: "chart-sharpe",
        title: format!("{title}: {ROWS_PER_YEAR}-row window, mean / sample std × √{ROWS_PER_YEAR}"),
        scale: line::YScale::Linear,
        format: line::YFormat::Number,
        series: lines,
        zero_line: true,
    });
    f.notes.extend(short);
    out.push_str(&figure(&f));
    out
}

fn trades(sid: &str, title: &str, trades: &[Trade]) -> String {
    let mut out = heading(title);
    let n = trades.len();
    let finite: Vec<f64> = trades
        .iter()
        .map(|t| t.return_frac)
        .filter(|r| r.is_finite())
        .collect();
    let winners = finite.iter().filter(|r| **r > 0.0).count();
    if !finite.is_empty() {
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        out.push_str(&format!(
            "<p class=\"table-note\">{}; {} winners ({}); mean return {}.</p>\n",
            escape(&rally_text::count(n, "trade")),
            winners,
            escape(&rally_text::percent(
                winners as f64 / finite.len() as f64,
                1
            )),
            escape(&rally_text::signed_percent(mean)),
        ));
    }
    let header: Vec<String> = [
        "Ticker",
        "Signal",
        "Entry date",
        "Entry",
        "Exit date",
        "Exit",
        "P",
        "Return",
        "Exit reason",
        "Bars",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let date =
        |d: Option<chrono::NaiveDate>| d.map_or_else(|| "open".to_string(), |d| d.to_string());
    let rows: Vec<Vec<String>> = trades
        .iter()
        .take(MAX_TRADE_ROWS)
        .map(|t| {
            vec![
                t.ticker.clone(),
                t.signal_date.to_string(),
                t.entry_date.to_string(),
                rally_text::dollars(t.entry_price),
                date(t.exit_date),
                t.exit_price
                    .map_or_else(|| "—".to_string(), rally_text::dollars),
                t.p.map_or_else(|| "—".to_string(), rally_text::probability),
                rally_text::signed_percent(t.return_frac),
                t.exit_reason.clone(),
                t.bars_held.to_string(),
            ]
        })
        .collect();
    // Colour the return column: the eye finds the losers first.
    let tone = |row: usize, col: usize| -> &'static str {
        match trades.get(row).map(|t| t.return_frac) {
            Some(r) if col == 7 && r > 0.0 => " pos",
            Some(r) if col == 7 && r < 0.0 => " neg",
            _ => "",
        }
    };
    out.push_str(&table_with(
        &format!("{sid}-trades"),
        "trades",
        &header,
        &rows,
        tone,
    ));
    if n > MAX_TRADE_ROWS {
        out.push_str(&format!(
            "<p class=\"omitted\">{} more not shown: the table lists the first {MAX_TRADE_ROWS} of {n} in the order given.</p>\n",
            escape(&rally_text::count(n - MAX_TRADE_ROWS, "trade")),
        ));
    }
    out
}

fn reliability_section(sid: &str, title: &str, curves: &[ReliabilityCurve]) -> String {
    let mut out = heading(title);
    out.push_str(&figure(&reliability::render(
        &format!("{sid}-reliability"),
        "Observed rally rate by bin of predicted P (dot area: setups in the bin)",
        curves,
    )));
    let header: Vec<String> = ["Model", "Mean P", "Observed rate", "n"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    let rows: Vec<Vec<String>> = curves
        .iter()
        .flat_map(|c| {
            c.bins.iter().map(|b| {
                vec![
                    c.model.clone(),
                    rally_text::probability(b.mean_p),
                    rally_text::probability(b.observed_rate),
                    rally_text::whole(b.n as f64, false),
                ]
            })
        })
        .collect();
    out.push_str("<details><summary>Bins</summary>\n");
    out.push_str(&table(
        &format!("{sid}-reliability-bins"),
        "reliability-bins",
        &header,
        &rows,
    ));
    out.push_str("</details>\n");
    out
}

fn generic_table(sid: &str, t: &Table) -> String {
    let mut out = heading(&t.title);
    out.push_str(&table(
        &format!("{sid}-table"),
        "generic",
        &t.header,
        &t.rows,
    ));
    out.push_str(&notes(&t.notes, "table-note"));
    out
}

fn text(title: &str, paragraphs: &[String]) -> String {
    let mut out = heading(title);
    out.push_str(&notes(paragraphs, "text"));
    out
}

/// A section's title, for the contents line.
fn section_title(s: &Section) -> &str {
    match s {
        Section::Equity { title, .. }
        | Section::Drawdown { title, .. }
        | Section::MonthlyReturns { title, .. }
        | Section::RollingSharpe { title, .. }
        | Section::Trades { title, .. }
        | Section::Reliability { title, .. }
        | Section::Text { title, .. } => title,
        Section::Table(t) => &t.title,
    }
}

fn header(r: &Report) -> String {
    let mut out = String::from("<header class=\"report-head\">\n");
    out.push_str(&format!("<h1>{}</h1>\n", escape(&r.title)));
    if !r.generated_for.is_empty() {
        out.push_str(&format!(
            "<p class=\"generated-for\">Generated for <code>{}</code></p>\n",
            escape(&r.generated_for)
        ));
    }
    if let Some((a, b)) = r.data_range {
        let days = (b - a).num_days();
        out.push_str(&format!(
            "<p class=\"data-range\">Data from {a} to {b} ({}, {} years)</p>\n",
            escape(&rally_text::count(
                usize::try_from(days).unwrap_or(0),
                "calendar day"
            )),
            format_args!("{:.1}", days as f64 / 365.25)
        ));
    }
    if !r.parameters.is_empty() {
        out.push_str("<dl class=\"parameters\">\n");
        for (k, v) in &r.parameters {
            out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(k), escape(v)));
        }
        out.push_str("</dl>\n");
    }
    if r.sections.len() > 1 {
        out.push_str("<nav class=\"toc\">");
        for (i, s) in r.sections.iter().enumerate() {
            out.push_str(&format!(
                "<a href=\"#s{}\">{}</a>",
                i + 1,
                escape(section_title(s))
            ));
        }
        out.push_str("</nav>\n");
    }
    out.push_str("</header>\n");
    out
}

/// The whole page.
pub(crate) fn page(r: &Report) -> String {
    let mut out = String::with_capacity(256 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&r.title)
    ));
    out.push_str(&header(r));
    for (i, s) in r.sections.iter().enumerate() {
        let sid = format!("s{}", i + 1);
        let kind = match s {
            Section::Equity { .. } => "equity",
            Section::Drawdown { .. } => "drawdown",
            Section::MonthlyReturns { .. } => "monthly-returns",
            Section::RollingSharpe { .. } => "rolling-sharpe",
            Section::Trades { .. } => "trades",
            Section::Reliability { .. } => "reliability",
            Section::Table(_) => "table",
            Section::Text { .. } => "text",
        };
        out.push_str(&format!(
            "<section id=\"{sid}\" class=\"report-section section-{kind}\">\n"
        ));
        out.push_str(&match s {
            Section::Equity { title, series } => equity(&sid, title, series),
            Section::Drawdown { title, series } => drawdowns(&sid, title, series),
            Section::MonthlyReturns { title, equity } => {
                let mut h = heading(title);
                h.push_str(&figure(&heatmap::render(
                    &format!("{sid}-monthly-returns"),
                    equity,
                )));
                h
            }
            Section::RollingSharpe { title, series } => sharpe(&sid, title, series),
            Section::Trades { title, trades: t } => trades(&sid, title, t),
            Section::Reliability { title, curves } => reliability_section(&sid, title, curves),
            Section::Table(t) => generic_table(&sid, t),
            Section::Text { title, paragraphs } => text(title, paragraphs),
        });
        out.push_str("</section>\n");
    }
    out.push_str("<footer>One self-contained file: charts are inline SVG, nothing is fetched when it opens.</footer>\n");
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("P ≥ 0.4 · ok"), "P ≥ 0.4 · ok");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn numeric_cells_are_recognised() {
        for s in ["12.3%", "-$5.00", "+0.41", "1,234", "n/a", "0"] {
            assert!(looks_numeric(s), "{s}");
        }
        for s in ["strategy", "", "2020-01-02 to x", "top 12%"] {
            assert!(!looks_numeric(s), "{s}");
        }
    }
}
