//! Universe lists: the default 14-asset basket, CSV files with a `Symbol`
//! column, and Yahoo symbol normalisation.

use std::path::Path;

use crate::error::DataError;

/// The built-in default basket.
pub const DEFAULT_BASKET: [&str; 14] = [
    "SPY", "QQQ", "IWM", "DIA", "GLD", "TLT", "XLE", "XLF", "XLK", "AAPL", "MSFT", "NVDA",
    "BTC-USD", "ETH-USD",
];

/// Yahoo spelling of a symbol: upper case, share classes with `-` (`BRK.B` -> `BRK-B`).
pub fn normalise_symbol(s: &str) -> String {
    s.trim().to_ascii_uppercase().replace(['.', '/'], "-")
}

/// Why a name is not a ticker symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolProblem {
    #[error("blank")]
    Blank,
    #[error("{len} characters (at most {MAX_SYMBOL_LEN})")]
    TooLong { len: usize },
    #[error("character {0:?} is not allowed (letters A-Z, digits, '-', '^', '=')")]
    BadChar(char),
    #[error("must start with a letter, a digit or '^'")]
    BadStart,
}

/// The longest symbol accepted (Yahoo's longest are ~12, e.g. `BTC-USD`, `^GSPC`).
pub const MAX_SYMBOL_LEN: usize = 15;

/// Checks a normalised symbol: 1..=15 of ASCII letters, digits, `-`, `^`,
/// `=`, starting with a letter, digit or `^`. A symbol names files in the
/// state directory, so nothing else gets through.
pub fn check_symbol(s: &str) -> Result<(), SymbolProblem> {
    let Some(first) = s.chars().next() else {
        return Err(SymbolProblem::Blank);
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '^' | '=')))
    {
        return Err(SymbolProblem::BadChar(c));
    }
    let len = s.chars().count();
    if len > MAX_SYMBOL_LEN {
        return Err(SymbolProblem::TooLong { len });
    }
    if !(first.is_ascii_alphanumeric() || first == '^') {
        return Err(SymbolProblem::BadStart);
    }
    Ok(())
}

/// Whether a normalised symbol looks like a ticker ([`check_symbol`]).
pub fn is_valid_symbol(s: &str) -> bool {
    check_symbol(s).is_ok()
}

/// A name given as a ticker that is not one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// As the user wrote it.
    pub given: String,
    pub problem: SymbolProblem,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ticker {:?} skipped: {}", self.given, self.problem)
    }
}

/// An ordered, de-duplicated list of tickers, and the names that were not
/// tickers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Universe {
    pub tickers: Vec<String>,
    pub rejected: Vec<Rejected>,
}

impl Universe {
    pub fn default_basket() -> Universe {
        Universe::from_symbols(DEFAULT_BASKET.iter().copied())
    }

    /// Normalise, drop repeated symbols, keep first-seen order; names that
    /// are not symbols go to [`Universe::rejected`] with the reason.
    pub fn from_symbols<'a>(symbols: impl IntoIterator<Item = &'a str>) -> Universe {
        let mut seen = std::collections::HashSet::new();
        let mut u = Universe {
            tickers: Vec::new(),
            rejected: Vec::new(),
        };
        for given in symbols {
            let s = normalise_symbol(given);
            match check_symbol(&s) {
                Ok(()) if seen.insert(s.clone()) => u.tickers.push(s),
                Ok(()) => {}
                Err(problem) => u.rejected.push(Rejected {
                    given: given.to_owned(),
                    problem,
                }),
            }
        }
        u
    }

    /// Read a CSV file with a `Symbol` column (other columns ignored).
    pub fn from_csv(path: &Path) -> Result<Universe, DataError> {
        let err = |message: String| DataError::Universe {
            path: path.to_owned(),
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| err(e.to_string()))?;
        let headers = rdr.headers().map_err(|e| err(e.to_string()))?.clone();
        let col = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case("symbol"))
            .ok_or_else(|| err("no Symbol column".into()))?;
        let mut symbols = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| err(e.to_string()))?;
            if let Some(s) = rec.get(col) {
                symbols.push(s.to_owned());
            }
        }
        let u = Universe::from_symbols(symbols.iter().map(String::as_str));
        if u.tickers.is_empty() {
            return Err(err("no symbols".into()));
        }
        Ok(u)
    }

    /// What a command should work on: `--tickers` if given, else the
    /// `--universe-file`, else `None` (the command picks its own default).
    pub fn selected(
        tickers: &[String],
        file: Option<&Path>,
    ) -> Result<Option<Universe>, DataError> {
        if !tickers.is_empty() {
            return Ok(Some(Universe::from_symbols(
                tickers.iter().map(String::as_str),
            )));
        }
        file.map(Universe::from_csv).transpose()
    }

    /// Union of several universes, in order.
    pub fn union(parts: &[Universe]) -> Universe {
        Universe::from_symbols(
            parts
                .iter()
                .flat_map(|u| u.tickers.iter().map(String::as_str)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_yahoo_symbols() {
        assert_eq!(normalise_symbol(" brk.b "), "BRK-B");
        assert_eq!(normalise_symbol("BF/B"), "BF-B");
        assert!(is_valid_symbol("^VIX"));
        assert!(!is_valid_symbol("DROP TABLE"));
    }

    #[test]
    fn names_that_are_not_tickers_are_kept_with_the_reason() {
        let long = "A".repeat(40);
        let u = Universe::from_symbols([
            "SPY",
            "../../etc/passwd",
            "$(id)",
            "ÄÖÜ",
            &long,
            "  ",
            "-X",
            "spy",
        ]);
        assert_eq!(u.tickers, ["SPY"]);
        let why: Vec<(String, SymbolProblem)> = u
            .rejected
            .iter()
            .map(|r| (r.given.clone(), r.problem.clone()))
            .collect();
        assert_eq!(
            why,
            [
                (
                    "../../etc/passwd".to_owned(),
                    SymbolProblem::TooLong { len: 16 }
                ),
                ("$(id)".to_owned(), SymbolProblem::BadChar('$')),
                ("ÄÖÜ".to_owned(), SymbolProblem::BadChar('Ä')),
                (long.clone(), SymbolProblem::TooLong { len: 40 }),
                ("  ".to_owned(), SymbolProblem::Blank),
                ("-X".to_owned(), SymbolProblem::BadStart),
            ]
        );
        assert_eq!(
            u.rejected[1].to_string(),
            "ticker \"$(id)\" skipped: character '$' is not allowed (letters A-Z, digits, '-', '^', '=')"
        );
        // A path can never come out of a symbol.
        assert!(!is_valid_symbol("../X") && !is_valid_symbol("..-X"));
    }

    #[test]
    fn reads_symbol_column_dedups_and_keeps_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("u.csv");
        std::fs::write(
            &p,
            "#,Symbol,Name\n1,MSFT,\"Microsoft, Inc\"\n2,brk.b,B\n3,MSFT,x\n",
        )
        .expect("write");
        let u = Universe::from_csv(&p).expect("read");
        assert_eq!(u.tickers, vec!["MSFT", "BRK-B"]);
        std::fs::write(&p, "Ticker\nMSFT\n").expect("write");
        assert!(Universe::from_csv(&p).is_err());
    }
}
