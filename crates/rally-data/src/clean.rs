//! Parsing and cleaning of Yahoo-layout CSV files (METHOD §1).
//!
//! Every fix is counted in a [`CleanReport`]; nothing is repaired silently.
//! A file with no usable row is a [`DataError`] naming the ticker and file.

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::guard::GuardReport;
use crate::series::{Bar, Series};

/// What cleaning did to one ticker's file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleanReport {
    /// Data lines read (header and blank lines excluded).
    pub rows_read: usize,
    /// Rows kept after cleaning.
    pub rows_kept: usize,
    /// Rows dropped for a date that is not `YYYY-MM-DD`.
    pub bad_date: usize,
    /// Rows dropped for a missing, non-numeric, non-finite or non-positive price.
    pub bad_price: usize,
    /// Rows dropped because a later row had the same date (last wins).
    pub duplicate_dates: usize,
    /// Whether the rows had to be sorted by date.
    pub resorted: bool,
    /// Bars whose high was raised to cover open/close.
    pub high_repaired: usize,
    /// Bars whose low was lowered to cover open/close.
    pub low_repaired: usize,
    /// Volumes that were missing, bad or negative and became 0.
    pub volume_zeroed: usize,
    /// The first dropped line, for messages: `line N: reason`.
    pub first_problem: Option<String>,
    /// The data-quality guard's decisions ([`crate::guard`]); empty until
    /// the guard ran ([`crate::Loaded::guarded`]).
    #[serde(default)]
    pub guard: GuardReport,
}

impl CleanReport {
    /// Total number of fixes (dropped rows and repaired values).
    pub fn fixes(&self) -> usize {
        self.bad_date
            + self.bad_price
            + self.duplicate_dates
            + self.high_repaired
            + self.low_repaired
            + self.volume_zeroed
            + usize::from(self.resorted)
            + self.guard.events.len()
    }

    /// The guard quarantined this ticker: leave it out of the run.
    pub fn quarantined(&self) -> bool {
        self.guard.quarantined
    }

    /// One-line human summary, empty when nothing was fixed.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        };
        add(self.bad_date, "bad dates dropped");
        add(self.bad_price, "bad prices dropped");
        add(self.duplicate_dates, "duplicate dates dropped");
        add(self.high_repaired, "highs repaired");
        add(self.low_repaired, "lows repaired");
        add(self.volume_zeroed, "volumes zeroed");
        if self.resorted {
            parts.push("rows re-sorted".into());
        }
        if let Some(p) = &self.first_problem {
            parts.push(format!("first problem {p}"));
        }
        if !self.guard.is_clean() {
            parts.push(self.guard.describe());
        }
        parts.join(", ")
    }
}

struct Columns {
    date: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    adj: Option<usize>,
    volume: Option<usize>,
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

fn find(header: &[&str], name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| unquote(h).eq_ignore_ascii_case(name))
}

fn columns(header: &[&str], ticker: &str, path: &Path) -> Result<Columns, DataError> {
    let need = |name: &'static str| {
        find(header, name).ok_or_else(|| DataError::MissingColumn {
            ticker: ticker.to_owned(),
            path: path.to_owned(),
            column: name,
        })
    };
    Ok(Columns {
        date: need("Date")?,
        open: need("Open")?,
        high: need("High")?,
        low: need("Low")?,
        close: need("Close")?,
        adj: find(header, "Adj Close"),
        volume: find(header, "Volume"),
    })
}

/// Strict ISO `YYYY-MM-DD` (digits read directly: chrono's format parser
/// was a tenth of the time of loading a file).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// Parse and clean one Yahoo-layout CSV (`Date,Open,High,Low,Close[,Adj Close][,Volume]`).
///
/// `path` is only used to name the file in errors.
pub fn parse_yahoo_csv(
    ticker: &str,
    path: &Path,
    bytes: &[u8],
) -> Result<(Series, CleanReport), DataError> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(DataError::NotText {
            ticker: ticker.to_owned(),
            path: path.to_owned(),
            offset,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DataError::NotText {
        ticker: ticker.to_owned(),
        path: path.to_owned(),
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = loop {
        match lines.next() {
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l.split(',').collect(),
            None => {
                return Err(DataError::NoUsableRows {
                    ticker: ticker.to_owned(),
                    path: path.to_owned(),
                    detail: "empty file".into(),
                });
            }
        }
    };
    let cols = columns(&header, ticker, path)?;
    let mut report = CleanReport::default();
    let mut raw = Vec::with_capacity(text.len() / 48);
    let mut fields: Vec<&str> = Vec::with_capacity(header.len());
    for (lineno, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(line.split(','));
        let get = |i: usize| fields.get(i).map(|s| unquote(s));
        let num = |i: usize| get(i).and_then(|s| s.parse::<f64>().ok());
        let date_text = get(cols.date).unwrap_or("");
        let date = parse_date(date_text);
        raw.push(RawRow {
            line: lineno + 1,
            date,
            date_text: if date.is_none() {
                date_text.to_owned()
            } else {
                String::new()
            },
            open: num(cols.open),
            high: num(cols.high),
            low: num(cols.low),
            close: num(cols.close),
            adj_close: match cols.adj {
                Some(i) => num(i),
                None => num(cols.close),
            },
            volume: cols.volume.map(num),
        });
    }
    report.rows_read = raw.len();
    clean_rows(ticker, path, raw, report)
}

/// One input row before cleaning, as any source delivers it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// Line number in the file (1-based), or the row's position for non-file sources.
    pub line: usize,
    pub date: Option<NaiveDate>,
    /// The unparsable date text, for the report.
    pub date_text: String,
    pub open: Option<f64>,
    pub high: Option<f64>,
    pub low: Option<f64>,
    pub close: Option<f64>,
    pub adj_close: Option<f64>,
    /// `None` when the source has no volume column at all; `Some(None)` when this row's is bad.
    pub volume: Option<Option<f64>>,
}

fn positive(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite() && *v > 0.0)
}

/// METHOD §1 cleaning of raw rows: drop bad rows, last duplicate wins, sort,
/// adjust, repair ranges, zero bad volumes. The single home of these rules.
pub fn clean_rows(
    ticker: &str,
    path: &Path,
    raw: Vec<RawRow>,
    mut report: CleanReport,
) -> Result<(Series, CleanReport), DataError> {
    // (date, input order, bar) so duplicates resolve to the last row.
    let mut rows: Vec<(NaiveDate, usize, Bar)> = Vec::with_capacity(raw.len());
    for r in raw {
        let problem = |report: &mut CleanReport, why: String| {
            if report.first_problem.is_none() {
                report.first_problem = Some(format!("line {}: {why}", r.line));
            }
        };
        let Some(date) = r.date else {
            report.bad_date += 1;
            problem(&mut report, format!("bad date {:?}", r.date_text));
            continue;
        };
        let (Some(o), Some(h), Some(l), Some(c), Some(adj)) = (
            positive(r.open),
            positive(r.high),
            positive(r.low),
            positive(r.close),
            positive(r.adj_close),
        ) else {
            report.bad_price += 1;
            problem(&mut report, "missing or invalid price".into());
            continue;
        };
        let volume = match r.volume {
            None => 0.0,
            Some(Some(v)) if v.is_finite() && v >= 0.0 => v,
            Some(_) => {
                report.volume_zeroed += 1;
                0.0
            }
        };
        let f = adj / c;
        let (o, h, l, c) = (o * f, h * f, l * f, adj);
        let hi = h.max(o).max(c);
        let lo = l.min(o).min(c);
        report.high_repaired += usize::from(hi != h);
        report.low_repaired += usize::from(lo != l);
        let bar = Bar {
            date,
            open: o,
            high: hi,
            low: lo,
            close: c,
            volume,
        };
        rows.push((date, rows.len(), bar));
    }
    if !rows.windows(2).all(|w| w[0].0 <= w[1].0) {
        report.resorted = true;
        rows.sort_by_key(|r| (r.0, r.1));
    }
    let mut series = Series::with_capacity(ticker, rows.len());
    for (i, (date, _, bar)) in rows.iter().enumerate() {
        if rows.get(i + 1).is_some_and(|next| next.0 == *date) {
            report.duplicate_dates += 1;
            continue;
        }
        series.push(*bar);
    }
    report.rows_kept = series.len();
    if series.is_empty() {
        let detail = if report.rows_read == 0 {
            "header only".to_owned()
        } else {
            format!(
                "all {} rows dropped; {}",
                report.rows_read,
                report.first_problem.as_deref().unwrap_or("")
            )
        };
        return Err(DataError::NoUsableRows {
            ticker: ticker.to_owned(),
            path: path.to_owned(),
            detail,
        });
    }
    Ok((series, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(Series, CleanReport), DataError> {
        parse_yahoo_csv("T", Path::new("T.csv"), s.as_bytes())
    }

    const HDR: &str = "Date,Open,High,Low,Close,Adj Close,Volume\n";

    #[test]
    fn date_parser_agrees_with_chrono_format() {
        let chrono = |s: &str| {
            let b = s.as_bytes();
            (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
                .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .flatten()
        };
        let mut d = NaiveDate::from_ymd_opt(1899, 12, 1).expect("date");
        for _ in 0..50_000 {
            let s = d.to_string();
            assert_eq!(parse_date(&s), Some(d));
            d = d.succ_opt().expect("date");
        }
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-1-015",
            "20240-1-01",
            "2024/01/02",
            "2024-01-0a",
            "2024-01-02 ",
            "",
        ] {
            assert_eq!(parse_date(bad), chrono(bad), "{bad:?}");
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        assert_eq!(parse_date("2024-02-29"), chrono("2024-02-29"));
        // Stricter than chrono, which reads a signed year here.
        assert_eq!(parse_date("+024-01-02"), None);
    }

    #[test]
    fn adjusts_prices_by_adj_close_ratio() {
        let (s, r) = parse(&format!("{HDR}2024-01-02,10,12,9,11,5.5,100\n")).expect("ok");
        assert_eq!(s.open, vec![10.0 * 0.5]);
        assert_eq!(s.high, vec![12.0 * 0.5]);
        assert_eq!(s.low, vec![9.0 * 0.5]);
        assert_eq!(s.close, vec![5.5]);
        assert_eq!(s.volume, vec![100.0]);
        assert_eq!(r.fixes(), 0);
    }

    #[test]
    fn drops_bad_rows_and_counts_them() {
        let csv = format!(
            "{HDR}2024-01-02,10,12,9,11,11,100\nnot-a-date,1,1,1,1,1,1\n2024-01-03,nan,1,1,1,1,1\n2024-01-04,-1,1,1,1,1,1\n2024-01-05,1,1,1,1,,1\n2024-01-08,10,12,9,11,11,-5\n"
        );
        let (s, r) = parse(&csv).expect("ok");
        assert_eq!(s.len(), 2);
        assert_eq!(r.bad_date, 1);
        assert_eq!(r.bad_price, 3);
        assert_eq!(r.volume_zeroed, 1);
        assert_eq!(s.volume[1], 0.0);
        assert_eq!(
            r.first_problem.as_deref(),
            Some("line 3: bad date \"not-a-date\"")
        );
    }

    #[test]
    fn duplicates_keep_last_and_unsorted_rows_are_sorted() {
        let csv = format!(
            "{HDR}2024-01-03,1,1,1,3,3,0\n2024-01-02,1,1,1,1,1,0\n2024-01-03,1,1,1,4,4,0\n"
        );
        let (s, r) = parse(&csv).expect("ok");
        assert_eq!(s.close, vec![1.0, 4.0]);
        assert!(r.resorted);
        assert_eq!(r.duplicate_dates, 1);
    }

    #[test]
    fn inverted_range_is_repaired() {
        let (s, r) = parse(&format!("{HDR}2024-01-02,10,9,11,10.5,10.5,1\n")).expect("ok");
        assert_eq!(s.high[0], 10.5);
        assert_eq!(s.low[0], 10.0);
        assert_eq!((r.high_repaired, r.low_repaired), (1, 1));
    }

    #[test]
    fn missing_optional_columns() {
        let (s, _) = parse("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n").expect("ok");
        assert_eq!(s.close, vec![1.5]);
        assert_eq!(s.volume, vec![0.0]);
    }

    #[test]
    fn unusable_files_are_errors_naming_ticker_and_file() {
        for (input, needle) in [
            ("", "empty file"),
            (HDR, "header only"),
            ("Date,Open,High\n2024-01-02,1,1\n", "missing column \"Low\""),
            (&format!("{HDR}garbage\n"), "no usable rows"),
        ] {
            let e = parse(input).expect_err("must fail").to_string();
            assert!(e.contains("T: T.csv"), "{e}");
            assert!(e.contains(needle), "{e}");
        }
        let e =
            parse_yahoo_csv("T", Path::new("T.csv"), b"\x89PNG\r\n\x1a\n\0\0").expect_err("binary");
        assert!(e.to_string().contains("not a text CSV"), "{e}");
    }
}
