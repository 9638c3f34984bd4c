//! The exchange's list of Nasdaq-listed securities (nasdaqtrader.com
//! `nasdaqlisted.txt`): pipe-delimited, a header line, one security per
//! line, and a last line `File Creation Time: ...`.
//!
//! The file carries no market capitalisation, so it cannot say which
//! listings are the largest. What the refresh takes from it: common stocks
//! of the Nasdaq Global Select Market (market category `Q`, the tier with
//! the highest listing standards) that are not test issues, not ETFs and
//! in normal financial standing, in the file's order (alphabetical).

use super::{IndexList, ListingError, Member};
use crate::universe::Universe;

/// One line of the file, as the exchange wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NasdaqListing {
    pub symbol: String,
    pub name: String,
    /// `Q` Global Select, `G` Global Market, `S` Capital Market.
    pub market_category: String,
    pub test_issue: bool,
    /// `N` normal; `D` deficient, `E` delinquent, `Q` bankrupt, ...
    pub financial_status: String,
    pub etf: bool,
}

/// The columns the parser needs, by header name.
const NEEDED: [&str; 6] = [
    "Symbol",
    "Security Name",
    "Market Category",
    "Test Issue",
    "Financial Status",
    "ETF",
];

/// Words in a security's name that mark it as something other than a
/// common share (the file has no security-type column). Whole words only:
/// "United" is not "Unit".
const NOT_COMMON: [&str; 11] = [
    "Warrant",
    "Warrants",
    "Right",
    "Rights",
    "Unit",
    "Units",
    "Preferred",
    "Note",
    "Notes",
    "Debenture",
    "Debentures",
];

/// Every security line of the file at `url` (the footer is skipped).
pub fn parse_nasdaq_listed(text: &str, url: &str) -> Result<Vec<NasdaqListing>, ListingError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split('|')
        .map(|h| h.trim().to_owned())
        .collect();
    let mut at = [0usize; NEEDED.len()];
    for (slot, name) in at.iter_mut().zip(NEEDED) {
        *slot = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .ok_or_else(|| ListingError::FieldMissing {
                url: url.to_owned(),
                column: name,
                found: header.clone(),
            })?;
    }
    let [sym, name, cat, test, status, etf] = at;
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with("File Creation Time") {
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        let field = |i: usize| f.get(i).copied().unwrap_or_default();
        if field(sym).is_empty() {
            continue;
        }
        out.push(NasdaqListing {
            symbol: field(sym).to_owned(),
            name: field(name).to_owned(),
            market_category: field(cat).to_owned(),
            test_issue: field(test) == "Y",
            financial_status: field(status).to_owned(),
            etf: field(etf) == "Y",
        });
    }
    Ok(out)
}

impl NasdaqListing {
    /// A common stock of the Global Select Market in normal standing.
    pub fn is_global_select_common(&self) -> bool {
        self.market_category == "Q"
            && !self.test_issue
            && !self.etf
            && self.financial_status == "N"
            && !self
                .name
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| NOT_COMMON.contains(&w))
    }
}

/// The Global Select common stocks of a parsed file, as universe members.
pub fn global_select_members(listings: &[NasdaqListing], url: &str) -> Vec<Member> {
    let mut out = Vec::new();
    for l in listings.iter().filter(|l| l.is_global_select_common()) {
        let u = Universe::from_symbols([l.symbol.as_str()]);
        for r in &u.rejected {
            tracing::warn!("{url}: {r}");
        }
        if let Some(symbol) = u.tickers.into_iter().next() {
            out.push(Member {
                symbol,
                name: l.name.clone(),
                lists: vec![IndexList::NasdaqGlobalSelect],
                date_added: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares
AAPL|Apple Inc. - Common Stock|Q|N|N|100|N|N
ZAZZT|Tick Pilot Test Stock Class A Common Stock|Q|Y|N|100|N|N
QQQ|Invesco QQQ Trust, Series 1|G|N|N|100|Y|N
ABCW|ABC Corp - Warrant|Q|N|N|100|N|N
ABCU|ABC Corp - Units|Q|N|N|100|N|N
UAL|United Airlines Holdings, Inc. - Common Stock|Q|N|N|100|N|N
SICK|Sick Co - Common Stock|Q|N|D|100|N|N
SMAL|Small Co - Common Stock|S|N|N|100|N|N
MSFT|Microsoft Corporation - Common Stock|Q|N|N|100|N|N
File Creation Time: 0821202621:30|||||||
";

    #[test]
    fn keeps_global_select_common_stocks_in_file_order() {
        let rows = parse_nasdaq_listed(FILE, "u").expect("parse");
        assert_eq!(rows.len(), 9, "the footer is not a security");
        let m = global_select_members(&rows, "u");
        let syms: Vec<&str> = m.iter().map(|m| m.symbol.as_str()).collect();
        assert_eq!(syms, ["AAPL", "UAL", "MSFT"]);
        assert_eq!(m[0].name, "Apple Inc. - Common Stock");
    }

    #[test]
    fn a_changed_header_names_the_missing_field() {
        let e = parse_nasdaq_listed(
            "Symbol|Name|Market Category\nAAPL|Apple|Q\n",
            "http://x/l.txt",
        )
        .expect_err("layout changed");
        assert_eq!(
            e.to_string(),
            "http://x/l.txt: no \"Security Name\" field in the header (found: Symbol | Name | Market Category); the file layout changed"
        );
        assert!(parse_nasdaq_listed("", "u").is_err());
    }
}
