//! The index member tables of two Wikipedia pages: "List of S&P 500
//! companies" and "Nasdaq-100", both `<table id="constituents">`.
//!
//! Columns are found by their header text, not their position (the pages
//! have reordered them before). A page without the table, or whose table
//! lacks the symbol column, is an error naming the page and what is
//! missing: the refresh then stops and the previous list stays.

use chrono::NaiveDate;

use super::html::{Table, table_by_id};
use super::{IndexList, ListingError, Member};
use crate::universe::Universe;

/// The id both pages give their member table.
pub const TABLE_ID: &str = "constituents";

/// Which headers name each column of one page's table (compared without
/// case, first match wins).
#[derive(Debug)]
struct Columns {
    symbol: &'static [&'static str],
    name: &'static [&'static str],
    date_added: &'static [&'static str],
}

const SP500_COLUMNS: Columns = Columns {
    symbol: &["Symbol", "Ticker"],
    name: &["Security", "Company"],
    date_added: &["Date added", "Date first added"],
};

const NASDAQ100_COLUMNS: Columns = Columns {
    symbol: &["Ticker", "Symbol"],
    name: &["Company", "Security"],
    date_added: &[],
};

/// The S&P 500 members of the page at `url`, with the date each was added.
pub fn sp500_members(html: &str, url: &str) -> Result<Vec<Member>, ListingError> {
    members(html, url, &SP500_COLUMNS, IndexList::Sp500)
}

/// The Nasdaq-100 members of the page at `url`.
pub fn nasdaq100_members(html: &str, url: &str) -> Result<Vec<Member>, ListingError> {
    members(html, url, &NASDAQ100_COLUMNS, IndexList::Nasdaq100)
}

fn members(
    html: &str,
    url: &str,
    cols: &Columns,
    list: IndexList,
) -> Result<Vec<Member>, ListingError> {
    let table = table_by_id(html, TABLE_ID).ok_or_else(|| ListingError::TableMissing {
        url: url.to_owned(),
        id: TABLE_ID,
    })?;
    let (header_at, header) =
        header_row(&table, cols).ok_or_else(|| ListingError::ColumnMissing {
            url: url.to_owned(),
            column: cols.symbol[0],
            found: table.rows.first().cloned().unwrap_or_default(),
        })?;
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (sym_col, name_col, date_col) = (find(cols.symbol), find(cols.name), find(cols.date_added));
    let sym_col = sym_col.ok_or_else(|| ListingError::ColumnMissing {
        url: url.to_owned(),
        column: cols.symbol[0],
        found: header.clone(),
    })?;
    let mut out = Vec::new();
    for row in &table.rows[header_at + 1..] {
        let Some(given) = row.get(sym_col).filter(|s| !s.is_empty()) else {
            continue;
        };
        let u = Universe::from_symbols([given.as_str()]);
        for r in &u.rejected {
            tracing::warn!("{url}: {r}");
        }
        let Some(symbol) = u.tickers.into_iter().next() else {
            continue;
        };
        let text = |c: Option<usize>| c.and_then(|c| row.get(c)).cloned().unwrap_or_default();
        let date_added = date_col.and_then(|c| row.get(c)).and_then(|d| {
            let parsed = parse_date_added(d);
            if parsed.is_none() && !d.is_empty() {
                tracing::warn!("{url}: {symbol}: date added {d:?} is not a date; kept without one");
            }
            parsed
        });
        out.push(Member {
            symbol,
            name: text(name_col),
            lists: vec![list],
            date_added,
        });
    }
    Ok(out)
}

/// The first row that names the symbol column, and where it is.
fn header_row<'t>(table: &'t Table, cols: &Columns) -> Option<(usize, &'t Vec<String>)> {
    table.rows.iter().enumerate().find(|(_, r)| {
        r.iter()
            .any(|h| cols.symbol.iter().any(|n| h.eq_ignore_ascii_case(n)))
    })
}

/// `1957-03-04`, possibly followed by a note (`1957-03-04 (1926)`).
fn parse_date_added(s: &str) -> Option<NaiveDate> {
    let head = s.split_whitespace().next()?;
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_added_with_a_note_keeps_the_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date_added("1957-03-04"), d(1957, 3, 4));
        assert_eq!(parse_date_added("1976-08-09 (1957-03-04)"), d(1976, 8, 9));
        assert_eq!(parse_date_added("March 1957"), None);
        assert_eq!(parse_date_added(""), None);
    }

    #[test]
    fn columns_are_found_by_header_in_any_order() {
        let html = "<table id=\"constituents\"><tr><th>Company</th><th>Ticker</th></tr>\
<tr><td>Apple Inc.</td><td>AAPL</td></tr><tr><td>Fox</td><td>foxa</td></tr></table>";
        let m = nasdaq100_members(html, "u").expect("parse");
        let got: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.symbol.as_str(), m.name.as_str()))
            .collect();
        assert_eq!(got, [("AAPL", "Apple Inc."), ("FOXA", "Fox")]);
        assert!(
            m.iter()
                .all(|m| m.date_added.is_none() && m.lists == [IndexList::Nasdaq100])
        );
    }

    #[test]
    fn a_table_without_the_symbol_column_names_what_it_found() {
        let html = "<table id=\"constituents\"><tr><th>Code</th><th>Security</th></tr>\
<tr><td>MMM</td><td>3M</td></tr></table>";
        let e = sp500_members(html, "http://x/sp").expect_err("no Symbol column");
        assert!(
            matches!(
                &e,
                ListingError::ColumnMissing {
                    column: "Symbol",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "http://x/sp: the table id=\"constituents\" has no \"Symbol\" column (its header: Code | Security); the page layout changed"
        );
    }
}
