//! One self-contained HTML report — equity, drawdown, monthly returns,
//! rolling Sharpe, trades, P(rally) calibration, tables and text — from a
//! plain data model that the research and trading crates fill in.
//!
//! The page needs nothing at view time: no network, no fonts, no
//! JavaScript; charts are inline SVG. [`render`] is pure and stable (same
//! [`Report`], byte-identical HTML); [`write`] puts it on disk atomically.
//!
//! ```
//! use rally_report::{Report, Section, Table};
//! let report = Report {
//!     title: "Backtest".into(),
//!     generated_for: "retrainer backtest --run-all".into(),
//!     parameters: vec![("model".into(), "v2".into())],
//!     data_range: None,
//!     sections: vec![Section::Table(Table::statistics(
//!         "Summary",
//!         vec![("CAGR".into(), "12.3%".into(), "after costs".into())],
//!     ))],
//! };
//! let html = rally_report::render(&report);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! ```

mod charts;
mod compute;
pub mod demo;
mod html;
mod model;
mod style;
mod svg;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use model::{ReliabilityBin, ReliabilityCurve, Report, Section, Series, Table, Trade};

/// The trade table shows at most this many rows and says how many more
/// there were: a page with 40,000 rows opens slowly and nobody reads it.
pub const MAX_TRADE_ROWS: usize = 500;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write report {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The report as one HTML document. Pure: the same report gives the same
/// bytes.
pub fn render(report: &Report) -> String {
    html::page(report)
}

/// Renders `report` and writes it to `path` atomically: into a temporary
/// file in the same directory, then renamed over `path`, so a reader (or a
/// browser reloading) never sees half a page.
pub fn write(report: &Report, path: &Path) -> Result<(), ReportError> {
    let html = render(report);
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| ReportError::Io { path: p, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map_or_else(
        || "report.html".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(err(&tmp))?;
        f.write_all(html.as_bytes()).map_err(err(&tmp))?;
        f.sync_all().map_err(err(&tmp))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(err(path))
    })();
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_report_same_bytes() {
        let r = demo::demo_report();
        let a = render(&r);
        let b = render(&r.clone());
        assert_eq!(a, b);
        assert!(!a.contains("NaN") && !a.contains("inf\""));
    }

    #[test]
    fn page_is_self_contained() {
        let html = render(&demo::demo_report());
        for bad in ["<script", "<link", "@import", "url(", "src=", "href=\"http"] {
            assert!(!html.contains(bad), "page contains {bad}");
        }
        // The only absolute URL is the SVG namespace, which is never fetched.
        assert_eq!(
            html.matches("http").count(),
            html.matches("http://www.w3.org/2000/svg").count()
        );
    }

    #[test]
    fn every_section_kind_renders_with_ids() {
        let html = render(&demo::demo_report());
        for id in [
            "-equity-linear\"",
            "-equity-log\"",
            "-drawdown\"",
            "-monthly-returns\"",
            "-rolling-sharpe\"",
            "-trades\"",
            "-reliability\"",
        ] {
            assert!(html.contains(id), "missing {id}");
        }
        assert!(
            html.contains("more not shown"),
            "the demo has more trades than the cap"
        );
        assert_eq!(
            html.matches("<svg").count(),
            5,
            "equity ×2, drawdown, rolling Sharpe, reliability"
        );
    }

    #[test]
    fn empty_and_hostile_reports_render() {
        let r = Report {
            title: "<script>alert('x')</script>".into(),
            generated_for: String::new(),
            parameters: vec![("a&b".into(), "\"q\"".into())],
            data_range: None,
            sections: vec![
                Section::Equity {
                    title: "E".into(),
                    series: vec![],
                },
                Section::Drawdown {
                    title: "D".into(),
                    series: vec![Series::new("s", vec![])],
                },
                Section::MonthlyReturns {
                    title: "M".into(),
                    equity: Series::new("s", vec![]),
                },
                Section::RollingSharpe {
                    title: "R".into(),
                    series: vec![Series::new("s", vec![])],
                },
                Section::Trades {
                    title: "T".into(),
                    trades: vec![],
                },
                Section::Reliability {
                    title: "C".into(),
                    curves: vec![],
                },
                Section::Table(Table {
                    title: "X".into(),
                    header: vec![],
                    rows: vec![vec!["1".into()], vec![]],
                    notes: vec![],
                }),
                Section::Text {
                    title: "P".into(),
                    paragraphs: vec![],
                },
            ],
        };
        let html = render(&r);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("a&amp;b") && html.contains("&quot;q&quot;"));
    }

    #[test]
    fn write_is_atomic_and_reports_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.html");
        let r = demo::demo_report();
        write(&r, &path).expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), render(&r));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
        let bad = dir.path().join("missing-dir").join("r.html");
        let e = write(&r, &bad).expect_err("no such directory");
        assert!(e.to_string().contains("cannot write report"), "{e}");
    }
}
