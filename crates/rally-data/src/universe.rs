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

/// Whether a normalised symbol looks like a ticker (letters, digits, `-`, `^`, `=`, 1..=15 chars).
pub fn is_valid_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '^' | '='))
}

/// An ordered, de-duplicated list of tickers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Universe {
    pub tickers: Vec<String>,
}

impl Universe {
    pub fn default_basket() -> Universe {
        Universe::from_symbols(DEFAULT_BASKET.iter().copied())
    }

    /// Normalise, drop invalid and repeated symbols, keep first-seen order.
    pub fn from_symbols<'a>(symbols: impl IntoIterator<Item = &'a str>) -> Universe {
        let mut seen = std::collections::HashSet::new();
        let tickers = symbols
            .into_iter()
            .map(normalise_symbol)
            .filter(|s| is_valid_symbol(s) && seen.insert(s.clone()))
            .collect();
        Universe { tickers }
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
