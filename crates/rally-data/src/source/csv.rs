//! The `csv:DIR` source: one Yahoo-layout CSV file per ticker in a
//! directory; `VIX.csv` is the VIX.

use std::path::{Path, PathBuf};

use crate::clean::parse_yahoo_csv;
use crate::error::DataError;
use crate::source::{Loaded, Source};
use crate::universe::normalise_symbol;

/// One Yahoo-layout CSV file per ticker in a directory; `VIX.csv` is the VIX.
#[derive(Debug, Clone)]
pub struct CsvSource {
    dir: PathBuf,
}

impl CsvSource {
    pub fn new(dir: impl Into<PathBuf>) -> CsvSource {
        CsvSource { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a ticker is read from (`^VIX` -> `VIX.csv`, `BRK.B` -> `BRK-B.csv`).
    pub fn path_for(&self, ticker: &str) -> PathBuf {
        let name = normalise_symbol(ticker);
        let name = name.trim_start_matches('^');
        self.dir.join(format!("{name}.csv"))
    }
}

impl Source for CsvSource {
    fn describe(&self) -> String {
        format!("csv:{}", self.dir.display())
    }

    fn load(&self, ticker: &str) -> Result<Loaded, DataError> {
        let path = self.path_for(ticker);
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DataError::NotFound {
                ticker: ticker.to_owned(),
                path: path.clone(),
            },
            _ => DataError::Io {
                ticker: ticker.to_owned(),
                path: path.clone(),
                source: e,
            },
        })?;
        let (series, report) = parse_yahoo_csv(ticker, &path, &bytes)?;
        if report.fixes() > 0 {
            tracing::warn!(ticker, file = %path.display(), "cleaned: {}", report.summary());
        }
        Ok(Loaded { series, report })
    }

    fn cacheable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_paths() {
        let s = CsvSource::new("/d");
        assert_eq!(s.path_for("^VIX"), PathBuf::from("/d/VIX.csv"));
        assert_eq!(s.path_for("brk.b"), PathBuf::from("/d/BRK-B.csv"));
    }

    #[test]
    fn missing_file_names_ticker_and_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let e = CsvSource::new(dir.path())
            .load("NOPE")
            .expect_err("missing")
            .to_string();
        assert!(e.starts_with("NOPE: "), "{e}");
        assert!(e.contains("NOPE.csv: no such file"), "{e}");
    }
}
