//! The universe sources' parsers on recorded pages (`tests/fixtures/listings`):
//! the S&P 500 and Nasdaq-100 tables of Wikipedia, the exchange's
//! listed-symbols file, their union, and a page whose layout changed.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use rally_data::listings::nasdaqtrader::{global_select_members, parse_nasdaq_listed};
use rally_data::listings::wikipedia::{nasdaq100_members, sp500_members};
use rally_data::listings::{IndexList, Listing, ListingError};

fn fixture(name: &str) -> String {
    let p = format!(
        "{}/tests/fixtures/listings/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn sp500_page_gives_every_member_normalised_with_its_date_added() {
    let m = sp500_members(&fixture("sp500.html"), "sp").unwrap();
    let syms: Vec<&str> = m.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(
        syms,
        [
            "MMM", "AOS", "ABT", "ABBV", "ACN", "ADBE", "AMD", "AAPL", "BRK-B", "BF-B", "CTAS",
            "CSCO", "PLTR"
        ],
        "the changes table after it is not read"
    );
    let by = |s: &str| m.iter().find(|m| m.symbol == s).unwrap();
    assert_eq!(by("BRK-B").name, "Berkshire Hathaway");
    assert_eq!(by("BRK-B").date_added, Some(date("2010-02-16")));
    assert_eq!(by("BF-B").name, "Brown–Forman");
    // The footnote mark after the date is not part of it.
    assert_eq!(by("PLTR").date_added, Some(date("2024-09-23")));
    assert!(
        m.iter()
            .all(|m| m.lists == [IndexList::Sp500] && m.date_added.is_some())
    );
}

#[test]
fn nasdaq100_page_gives_ticker_and_company() {
    let m = nasdaq100_members(&fixture("nasdaq100.html"), "n100").unwrap();
    assert_eq!(m.len(), 12);
    assert_eq!(
        (m[3].symbol.as_str(), m[3].name.as_str()),
        ("GOOGL", "Alphabet Inc. (Class A)")
    );
    assert!(m.iter().all(|m| m.date_added.is_none()));
}

#[test]
fn listed_file_gives_global_select_common_stocks_only() {
    let rows = parse_nasdaq_listed(&fixture("nasdaqlisted.txt"), "listed").unwrap();
    assert_eq!(rows.len(), 20);
    let m = global_select_members(&rows, "listed");
    let syms: Vec<&str> = m.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(
        syms,
        [
            "AAPL", "ACGL", "ADBE", "ADI", "AFRM", "AKAM", "ALNY", "ASML", "BIDU", "FWONA", "HOOD",
            "UAL", "ZBRA"
        ]
    );
}

#[test]
fn the_union_of_the_three_sources_has_each_symbol_once() {
    let sp = sp500_members(&fixture("sp500.html"), "sp").unwrap();
    let n100 = nasdaq100_members(&fixture("nasdaq100.html"), "n100").unwrap();
    let listed = parse_nasdaq_listed(&fixture("nasdaqlisted.txt"), "listed").unwrap();
    let more = global_select_members(&listed, "listed");
    let at = "2026-08-21T21:30:00Z".parse().unwrap();
    let l = Listing::assemble(sp, n100, more, 15, at);
    let syms: Vec<&str> = l.members.iter().map(|m| m.symbol.as_str()).collect();
    let mut unique = syms.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), syms.len(), "{syms:?}");
    // 13 S&P members; Nasdaq: 12 Nasdaq-100 + 3 more Global Select (cap 15),
    // of which ADBE, AMD, AAPL and CSCO are S&P members already.
    assert_eq!(l.members.len(), 13 + 15 - 4, "{syms:?}");
    let aapl = l.members.iter().find(|m| m.symbol == "AAPL").unwrap();
    assert_eq!(
        aapl.lists,
        [
            IndexList::Sp500,
            IndexList::Nasdaq100,
            IndexList::NasdaqGlobalSelect
        ]
    );
    assert_eq!(aapl.date_added, Some(date("1982-11-30")));
    // ACGL, ADI and AFRM fill the Nasdaq part up to 15 (AAPL, ADBE are in the Nasdaq-100).
    assert_eq!(&syms[syms.len() - 3..], ["ACGL", "ADI", "AFRM"]);
}

#[test]
fn a_changed_layout_is_an_error_naming_the_page_and_what_is_missing() {
    let e = sp500_members(&fixture("sp500_layout_changed.html"), "http://h/sp").unwrap_err();
    assert!(
        matches!(
            e,
            ListingError::ColumnMissing {
                column: "Symbol",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("http://h/sp: the table id=\"constituents\" has no \"Symbol\" column (its header: Code | Security | GICS Sector"), "{e}");

    let no_id = fixture("sp500.html").replace("id=\"constituents\"", "id=\"components\"");
    let e = sp500_members(&no_id, "http://h/sp").unwrap_err();
    assert_eq!(
        e.to_string(),
        "http://h/sp: no table id=\"constituents\" on the page; the page layout changed"
    );
    let e = nasdaq100_members(
        "<html><body>Service unavailable</body></html>",
        "http://h/n",
    )
    .unwrap_err();
    assert!(matches!(e, ListingError::TableMissing { .. }), "{e}");
}
