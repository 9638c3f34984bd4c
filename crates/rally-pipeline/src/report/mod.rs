//! Plain-text reports: aligned tables for the terminal. Pure functions from
//! results to `String`; the binaries decide where to print them.

mod live;

use std::fmt::Write as _;

use crate::health::{HealthReport, ModelStatus};
use crate::retrain::RetrainReport;
use crate::scan::{POOL_NAME, ScanReport};
use rally_model::Family;

use live::live_benchmark_text;
pub use live::{LIVE_LINES, LiveRow, live_caption, live_figure_lines, live_figure_rows, live_note};

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// An aligned text table with a title and a header rule.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(title: &str, headers: &[&str]) -> Table {
        Table {
            title: title.to_owned(),
            headers: headers.iter().map(|s| (*s).to_owned()).collect(),
            align: headers
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { Align::Left } else { Align::Right })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The placeholder row of a table without rows.
    const NONE: &'static str = "(none)";

    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut w: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(c.chars().count());
            }
        }
        if let Some(w0) = w.first_mut().filter(|_| self.rows.is_empty()) {
            *w0 = (*w0).max(Self::NONE.chars().count());
        }
        let line = |cells: &[String]| {
            let mut s = String::from("│");
            for (i, wi) in w.iter().enumerate() {
                let c = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = wi.saturating_sub(c.chars().count());
                match self.align.get(i).copied().unwrap_or(Align::Right) {
                    Align::Left => {
                        let _ = write!(s, " {c}{} │", " ".repeat(pad));
                    }
                    Align::Right => {
                        let _ = write!(s, " {}{c} │", " ".repeat(pad));
                    }
                }
            }
            s
        };
        let rule = |l: &str, m: &str, r: &str| {
            let mut s = String::from(l);
            for (i, wi) in w.iter().enumerate() {
                s.push_str(&"─".repeat(wi + 2));
                s.push_str(if i + 1 == n { r } else { m });
            }
            s
        };
        let mut out = String::new();
        if !self.title.is_empty() {
            let _ = writeln!(out, "{}", self.title);
        }
        let _ = writeln!(out, "{}", rule("┌", "┬", "┐"));
        let _ = writeln!(out, "{}", line(&self.headers));
        let _ = writeln!(out, "{}", rule("├", "┼", "┤"));
        if self.rows.is_empty() {
            let _ = writeln!(out, "{}", line(&[Self::NONE.to_owned()]));
        }
        for r in &self.rows {
            let _ = writeln!(out, "{}", line(r));
        }
        let _ = writeln!(out, "{}", rule("└", "┴", "┘"));
        out
    }
}

/// Failures listed one per line up to this many; a universe run with a
/// thousand missing files gets a summary line (the binary writes the list).
pub const LISTED_FAILURES: usize = 10;

/// `  failed T: reason` lines, at most [`LISTED_FAILURES`], then one line
/// with the count of the rest.
pub fn failures_text(failed: &[(String, String)]) -> String {
    let mut out = String::new();
    for (t, e) in failed.iter().take(LISTED_FAILURES) {
        let _ = writeln!(out, "  failed {t}: {}", without_ticker(t, e));
    }
    if failed.len() > LISTED_FAILURES {
        let _ = writeln!(
            out,
            "  ... and {} more failed ({} in all)",
            failed.len() - LISTED_FAILURES,
            failed.len()
        );
    }
    out
}

/// A reason without the ticker prefix the error may already carry.
fn without_ticker<'a>(ticker: &str, reason: &'a str) -> &'a str {
    reason
        .strip_prefix(ticker)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or(reason)
}

/// A missing or non-finite figure in a table.
const MISSING: &str = "-";

/// `f(x)` for a finite `x`, else `-`.
fn finite(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.filter(|v| v.is_finite())
        .map_or_else(|| MISSING.to_owned(), f)
}

/// `0.1234` -> `12.34%`; `None`/NaN -> `-`.
pub fn pct(x: Option<f64>) -> String {
    finite(x, |v| rally_text::percent(v, 2))
}

/// Signed percent: `+1.20%`.
pub fn spct(x: Option<f64>) -> String {
    finite(x, rally_text::signed_percent)
}

/// A number with `d` decimals; `-` when missing.
pub fn num(x: Option<f64>, d: usize) -> String {
    finite(x, |v| format!("{v:.d$}"))
}

/// The scanner's printed report.
pub fn scan_text(r: &ScanReport, with_positions: bool) -> String {
    let mut out = String::new();
    let as_of = r.as_of.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "Rally scan as of {as_of} — model {} — config {} — source {} — {} scanned{}\n",
        r.model_family,
        r.config,
        r.source,
        r.scanned,
        if r.committed {
            ""
        } else {
            " (already recorded; state unchanged)"
        }
    );
    if let (Some(d), Some(lag)) = (r.as_of, r.data_lag_weekdays)
        && lag > crate::health::MAX_DATA_LAG_WEEKDAYS
    {
        let _ = writeln!(out, "{}\n", old_data_line(d, lag));
    }
    if let Some(th) = &r.thresholds
        && r.model_family == Family::V2
    {
        let _ = writeln!(
            out,
            "Thresholds from the {}: entry P >= {}, watchlist P >= {} (80th / 60th percentile of its compressed training setups)",
            th.from,
            rally_text::probability(th.entry),
            rally_text::probability(th.watch),
        );
    }
    for note in &r.model_notes {
        let _ = writeln!(out, "Note: {note}");
    }
    if !r.outside_pool.is_empty() {
        let _ = writeln!(
            out,
            "Outside the v2 pool, fitted from their own data at scan time: {}",
            r.outside_pool.join(" ")
        );
    }
    if r.model_family == Family::V2 {
        out.push('\n');
    }
    let b = &r.breadth;
    let mut t = Table::new("Market breadth", &["measure", "value"]);
    t.row(vec!["tickers".into(), b.n.to_string()]);
    t.row(vec!["close > SMA50".into(), pct(b.above_sma50)]);
    t.row(vec!["close > SMA200".into(), pct(b.above_sma200)]);
    t.row(vec![
        "golden crosses (5 bars)".into(),
        if b.golden_crosses.is_empty() {
            "none".into()
        } else {
            b.golden_crosses.join(" ")
        },
    ]);
    t.row(vec![
        "VIX".into(),
        match (b.vix, &b.vix_label) {
            (Some(v), Some(l)) => format!("{v:.2} ({l})"),
            _ => "-".into(),
        },
    ]);
    out.push_str(&t.render());
    let mut t = Table::new(
        "\nNew signals (enter at next open)",
        &[
            "ticker",
            "P(rally)",
            "compression",
            "price",
            "stop",
            "target",
            "size",
        ],
    );
    for s in &r.signals {
        t.row(vec![
            s.ticker.clone(),
            p_cell(s.p_rally, s.setup_top_pct),
            num(Some(s.compression), 3),
            num(Some(s.price), 2),
            num(Some(s.stop), 2),
            num(Some(s.target), 2),
            pct(Some(s.size)),
        ]);
    }
    out.push_str(&t.render());
    let mut t = Table::new(
        "\nWatchlist",
        &["ticker", "P(rally)", "compression", "close"],
    );
    for s in &r.watchlist {
        t.row(vec![
            s.ticker.clone(),
            p_cell(s.p_rally, s.setup_top_pct),
            num(Some(s.compression), 3),
            num(Some(s.close), 2),
        ]);
    }
    out.push_str(&t.render());
    let mut t = Table::new(
        "\nRanking",
        &["#", "ticker", "date", "P(rally)", "compression", "close"],
    );
    t.align[1] = Align::Left;
    for (i, s) in r.ranking.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            s.ticker.clone(),
            s.date.to_string(),
            p_cell(s.p_rally, s.setup_top_pct),
            num(Some(s.compression), 3),
            num(Some(s.close), 2),
        ]);
    }
    out.push_str(&t.render());
    if with_positions {
        let mut t = Table::new(
            "\nOpen positions",
            &[
                "ticker", "status", "signal", "entry", "fill", "last", "P&L", "stop", "target",
                "bars",
            ],
        );
        t.align[1] = Align::Left;
        for p in &r.positions {
            t.row(vec![
                p.ticker.clone(),
                p.status.clone(),
                p.signal_date.to_string(),
                p.entry_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                num(p.entry_fill, 2),
                num(Some(p.last_price), 2),
                spct(p.pnl_pct),
                num(Some(p.stop), 2),
                num(Some(p.target), 2),
                p.bars_held.to_string(),
            ]);
        }
        out.push_str(&t.render());
        let mut t = Table::new(
            "\nClosed by this scan",
            &[
                "ticker",
                "entry",
                "exit",
                "fill",
                "exit price",
                "reason",
                "bars",
                "return",
                "P&L $",
            ],
        );
        t.align[5] = Align::Left;
        for c in &r.closed {
            t.row(vec![
                c.ticker.clone(),
                c.entry_date.to_string(),
                c.exit_date.to_string(),
                num(Some(c.entry_fill), 2),
                num(Some(c.exit_price), 2),
                c.reason.clone(),
                c.bars_held.to_string(),
                spct(Some(c.ret)),
                num(Some(c.pnl), 2),
            ]);
        }
        out.push_str(&t.render());
        if let Some(e) = &r.equity {
            let _ = writeln!(
                out,
                "\nEquity {:.2}  cash {:.2}  exposure {}  open {}",
                e.equity,
                e.cash,
                pct(Some(e.exposure)),
                e.n_open
            );
        }
        if let Some(b) = &r.benchmark {
            out.push_str(&live_benchmark_text(b));
        }
    }
    let problems: Vec<String> = r
        .missing_models
        .iter()
        .map(|t| {
            if t == POOL_NAME {
                format!("{t}: no model v2 pool (run `retrainer --model v2`)")
            } else {
                format!("{t}: no model (run `retrainer --tickers {t}`)")
            }
        })
        .chain(
            r.corrupt_models
                .iter()
                .chain(&r.data_errors)
                .chain(&r.stale_data)
                .map(|p| format!("{}: {}", p.ticker, without_ticker(&p.ticker, &p.reason))),
        )
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\nNot scanned ({}):", problems.len());
        for p in problems.iter().take(LISTED_FAILURES) {
            let _ = writeln!(out, "  {p}");
        }
        if problems.len() > LISTED_FAILURES {
            let _ = writeln!(
                out,
                "  ... and {} more (`--json` lists every one)",
                problems.len() - LISTED_FAILURES
            );
        }
    }
    for p in &r.refused_signals {
        let _ = writeln!(out, "\nSignal refused for {}: {}", p.ticker, p.reason);
    }
    if !r.data_repairs.is_empty() {
        let _ = writeln!(
            out,
            "\nRepaired by the data guard ({}):",
            r.data_repairs.len()
        );
        for p in r.data_repairs.iter().take(LISTED_FAILURES) {
            let _ = writeln!(out, "  {}", p.reason);
        }
        if r.data_repairs.len() > LISTED_FAILURES {
            let _ = writeln!(
                out,
                "  ... and {} more (`--json` lists every one)",
                r.data_repairs.len() - LISTED_FAILURES
            );
        }
    }
    out
}

/// A P(rally) cell: classic `0.734`; v2 with its rank among the pool's
/// training setups, `P 0.410 · top 12% of setups`.
fn p_cell(p: f64, setup_top_pct: Option<f64>) -> String {
    match setup_top_pct {
        Some(_) => rally_text::p_with_rank(p, setup_top_pct),
        None => rally_text::probability(p),
    }
}

/// The retrainer's summary.
pub fn retrain_text(r: &RetrainReport) -> String {
    let mut out = format!(
        "Retrain ({} models): {} trained, {} skipped (fresh), {} failed in {:.2}s\n",
        r.family,
        r.trained.len(),
        r.skipped_fresh.len(),
        r.failed.len(),
        r.elapsed_secs
    );
    if let Some(p) = &r.pool {
        let _ = writeln!(
            out,
            "Pool: {} pooled, {} training rows ({} compressed); entry P >= {}, watchlist P >= {}",
            rally_text::count(p.tickers, "ticker"),
            p.rows,
            p.compressed_rows,
            rally_text::probability(p.entry),
            rally_text::probability(p.watch),
        );
    }
    out.push_str(&failures_text(&r.failed));
    out
}

/// `scanner health`.
pub fn health_text(h: &HealthReport) -> String {
    let mut t = Table::new(
        &format!("Model health ({} models)", h.model_family),
        &["ticker", "status", "trained", "age (days)", "data end"],
    );
    t.align[1] = Align::Left;
    for m in &h.models {
        let status = match &m.status {
            ModelStatus::Fresh => "fresh".to_owned(),
            ModelStatus::Stale => "STALE".to_owned(),
            ModelStatus::Missing => "missing".to_owned(),
            ModelStatus::Corrupt { reason } => format!("CORRUPT: {reason}"),
        };
        t.row(vec![
            m.ticker.clone(),
            status,
            m.trained_at
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into()),
            m.age_days
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
            m.data_end
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = t.render();
    let _ = writeln!(
        out,
        "{} fresh, {} stale, {} missing, {} corrupt; newest bar {}",
        h.fresh,
        h.stale,
        h.missing,
        h.corrupt,
        h.newest_bar
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    if let (true, Some(d), Some(lag)) = (h.data_is_old(), h.newest_bar, h.data_lag_weekdays) {
        let _ = writeln!(out, "{}", old_data_line(d, lag));
    }
    out
}

/// The warning of data that is old by the clock.
pub fn old_data_line(newest: chrono::NaiveDate, lag_weekdays: i64) -> String {
    format!(
        "DATA OLD: the newest bar is {newest}, {lag_weekdays} weekdays before today; check the data source"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::HealthReport;
    use crate::retrain::RetrainReport;
    use crate::scan::ScanReport;

    /// Every line of every table of `text` has the width of its table's rule.
    fn assert_aligned(text: &str) {
        let mut width = None;
        for line in text.lines() {
            if line.starts_with('┌') {
                width = Some(line.chars().count());
            } else if line.starts_with('│') || line.starts_with('├') || line.starts_with('└')
            {
                assert_eq!(Some(line.chars().count()), width, "misaligned:\n{text}");
            }
        }
    }

    #[test]
    fn a_table_without_rows_and_a_narrow_header_renders() {
        // Used to panic: "capacity overflow" ("#" is narrower than "(none)").
        let t = Table::new("t", &["#", "x"]).render();
        assert!(t.contains("(none)"), "{t}");
        assert_aligned(&t);
    }

    #[test]
    fn every_report_renders_empty_results() {
        let failed = vec![(
            "FOOBAR".to_owned(),
            "FOOBAR: FOOBAR.csv: no such file".to_owned(),
        )];
        let texts = [
            scan_text(&ScanReport::default(), true),
            retrain_text(&RetrainReport::default()),
            retrain_text(&RetrainReport {
                failed: failed.clone(),
                ..RetrainReport::default()
            }),
            health_text(&HealthReport::default()),
        ];
        for text in &texts {
            assert_aligned(text);
        }
        assert!(
            texts[2].contains("failed FOOBAR: FOOBAR.csv: no such file"),
            "{}",
            texts[2]
        );
    }

    #[test]
    fn the_scan_report_shows_every_live_figure_side_by_side() {
        use crate::scan::summary_tests::sample_benchmark;
        let r = ScanReport {
            equity: Some(rally_store::EquitySnapshot {
                date: chrono::NaiveDate::MIN,
                equity: 101_030.0,
                cash: 90_000.0,
                exposure: 0.1,
                n_open: 2,
            }),
            benchmark: Some(sample_benchmark(true)),
            ..ScanReport::default()
        };
        let text = scan_text(&r, true);
        assert!(
            text.contains("since 2024-05-01 · 41 equity dates · 14 tickers, equal weight"),
            "{text}"
        );
        let header = text
            .lines()
            .find(|l| l.contains("every compr."))
            .unwrap_or_default();
        assert!(
            header.contains("system") && header.contains("buy & hold"),
            "{text}"
        );
        let cells = |name: &str| -> Vec<String> {
            row_of(&text, name)
                .split('│')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .skip(1)
                .collect()
        };
        assert_eq!(cells("total"), ["+1.03%", "+4.17%", "-0.52%"]);
        assert_eq!(cells("CAGR"), ["+2.06%", "+8.34%", "-1.04%"]);
        assert_eq!(cells("Sharpe"), ["0.84", "1.34", "-0.16"]);
        assert_eq!(cells("Sortino"), ["1.26", "2.01", "-0.24"]);
        assert_eq!(cells("max DD"), ["-3.10%", "-3.10%", "-3.10%"]);
        assert_eq!(cells("exposure"), ["21.40%", "100.00%", "30.00%"]);
        assert!(!text.contains("n/a until"), "{text}");

        // A short record: returns, drawdown and exposure, no annualised figure.
        let short = ScanReport {
            benchmark: Some(sample_benchmark(false)),
            ..r.clone()
        };
        let text = scan_text(&short, true);
        assert!(row_of(&text, "CAGR").matches("n/a").count() == 3, "{text}");
        assert!(
            row_of(&text, "Sharpe").matches("n/a").count() == 3,
            "{text}"
        );
        assert!(row_of(&text, "total").contains("+1.03%"), "{text}");
        assert!(
            text.contains("CAGR, Sharpe, Sortino: n/a until 20 equity dates over 28 days"),
            "{text}"
        );

        // A summary stored before the figures: its returns alone.
        let mut old = sample_benchmark(true);
        old.figures = None;
        let text = scan_text(
            &ScanReport {
                benchmark: Some(old),
                ..r
            },
            true,
        );
        assert!(row_of(&text, "total").contains("+4.17%"), "{text}");
        assert!(!text.contains("│ CAGR"), "{text}");
        assert!(text.contains("returns only"), "{text}");
    }

    #[test]
    fn the_live_figures_as_aligned_lines() {
        let b = crate::scan::summary_tests::sample_benchmark(true);
        let lines = live_figure_lines(&b);
        assert_eq!(lines[0], "          system  buy & hold  every compr.");
        assert_eq!(lines[1], "total     +1.03%      +4.17%        -0.52%");
        assert_eq!(lines[6], "exposure  21.40%     100.00%        30.00%");
        assert_eq!(lines.len(), 7);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
    }

    fn row_of<'a>(text: &'a str, name: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(&format!("│ {name} ")))
            .unwrap_or_default()
    }

    #[test]
    fn long_failure_lists_are_summarised() {
        let failed: Vec<(String, String)> = (0..1000)
            .map(|i| (format!("T{i}"), format!("T{i}: T{i}.csv: no such file")))
            .collect();
        let text = failures_text(&failed);
        assert_eq!(text.lines().count(), LISTED_FAILURES + 1, "{text}");
        assert!(
            text.ends_with("... and 990 more failed (1000 in all)\n"),
            "{text}"
        );
    }

    #[test]
    fn probabilities_near_zero_keep_their_digits() {
        let r = ScanReport {
            ranking: vec![crate::scan::RankRow {
                ticker: "SPY".into(),
                date: chrono::NaiveDate::MIN,
                p_rally: 0.00042,
                compression: 0.5,
                close: 1.0,
                setup_top_pct: None,
            }],
            ..ScanReport::default()
        };
        let text = scan_text(&r, false);
        assert!(text.contains("0.00042"), "{text}");
    }

    #[test]
    fn v2_scans_state_the_family_the_thresholds_and_the_rank() {
        let r = ScanReport {
            model_family: Family::V2,
            thresholds: Some(crate::scan::ScanThresholds {
                entry: 0.41,
                watch: 0.33,
                from: POOL_NAME.into(),
            }),
            outside_pool: vec!["NEWCO".into()],
            ranking: vec![crate::scan::RankRow {
                ticker: "SPY".into(),
                date: chrono::NaiveDate::MIN,
                p_rally: 0.41,
                compression: 0.7,
                close: 1.0,
                setup_top_pct: Some(12.2),
            }],
            ..ScanReport::default()
        };
        let text = scan_text(&r, false);
        assert!(text.contains("— model v2 —"), "{text}");
        assert!(text.contains("P 0.410 · top 12% of setups"), "{text}");
        assert!(
            text.contains("entry P >= 0.410, watchlist P >= 0.330"),
            "{text}"
        );
        assert!(text.contains("scan time: NEWCO"), "{text}");
    }
}
