//! Where bars come from: the [`Source`] trait and the `csv:DIR` source.
//!
//! Sources are synchronous from the caller's point of view; the Yahoo source
//! runs its own bounded-concurrency async fetch inside `load_many`.

use std::path::{Path, PathBuf};

use crate::clean::{CleanReport, parse_yahoo_csv};
use crate::error::DataError;
use crate::series::Series;
use crate::synthetic::SyntheticSource;
use crate::universe::normalise_symbol;
use crate::yahoo::YahooSource;

/// The VIX ticker as Yahoo spells it; the CSV source reads it from `VIX.csv`.
pub const VIX_TICKER: &str = "^VIX";

/// One ticker's cleaned series and what cleaning did to it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub series: Series,
    pub report: CleanReport,
}

/// A provider of daily bars.
pub trait Source: Send + Sync {
    /// How the user names this source (`csv:DIR`, `yahoo`, `synthetic:42`).
    fn describe(&self) -> String;

    /// Bars of one ticker (already normalised, e.g. `BRK-B`).
    fn load(&self, ticker: &str) -> Result<Loaded, DataError>;

    /// The VIX series (METHOD §1.3).
    fn load_vix(&self) -> Result<Loaded, DataError> {
        self.load(VIX_TICKER)
    }

    /// Several tickers; one result per ticker, in order. A failure never
    /// stops the others.
    fn load_many(&self, tickers: &[String]) -> Vec<Result<Loaded, DataError>> {
        tickers.iter().map(|t| self.load(t)).collect()
    }

    /// Whether `load_many` is much cheaper than separate `load`s (remote sources).
    fn prefers_batch(&self) -> bool {
        false
    }

    /// Whether results can be cached across runs (a CSV snapshot is its own
    /// cache; remote and synthetic sources benefit).
    fn cacheable(&self) -> bool {
        true
    }
}

impl std::fmt::Debug for dyn Source + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `--source` as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    Yahoo,
    Csv(PathBuf),
    Synthetic(u64),
}

impl SourceSpec {
    /// Default seed of the synthetic market.
    pub const DEFAULT_SEED: u64 = 42;

    pub fn parse(s: &str) -> Result<SourceSpec, DataError> {
        let s = s.trim();
        if s == "yahoo" {
            Ok(SourceSpec::Yahoo)
        } else if let Some(dir) = s.strip_prefix("csv:") {
            Ok(SourceSpec::Csv(PathBuf::from(dir)))
        } else if s == "synthetic" {
            Ok(SourceSpec::Synthetic(Self::DEFAULT_SEED))
        } else if let Some(seed) = s.strip_prefix("synthetic:") {
            seed.parse()
                .map(SourceSpec::Synthetic)
                .map_err(|_| DataError::UnknownSource(s.to_owned()))
        } else {
            Err(DataError::UnknownSource(s.to_owned()))
        }
    }
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceSpec::Yahoo => write!(f, "yahoo"),
            SourceSpec::Csv(d) => write!(f, "csv:{}", d.display()),
            SourceSpec::Synthetic(s) => write!(f, "synthetic:{s}"),
        }
    }
}

/// Build the source a spec names: Yahoo as the environment configures it
/// ([`YahooSource::from_env`]); a `csv:` directory must exist.
pub fn open_source(spec: &SourceSpec) -> Result<Box<dyn Source>, DataError> {
    Ok(match spec {
        SourceSpec::Yahoo => Box::new(YahooSource::from_env()?),
        SourceSpec::Csv(dir) => {
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(DataError::NotADirectory { path: dir.clone() }),
                Err(_) => return Err(DataError::MissingSourceDir { path: dir.clone() }),
            }
            Box::new(CsvSource::new(dir))
        }
        SourceSpec::Synthetic(seed) => Box::new(SyntheticSource::new(*seed)),
    })
}

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
    fn parses_source_specs() {
        assert_eq!(SourceSpec::parse("yahoo").ok(), Some(SourceSpec::Yahoo));
        assert_eq!(
            SourceSpec::parse("csv:/tmp/x").ok(),
            Some(SourceSpec::Csv("/tmp/x".into()))
        );
        assert_eq!(
            SourceSpec::parse("synthetic").ok(),
            Some(SourceSpec::Synthetic(42))
        );
        assert_eq!(
            SourceSpec::parse("synthetic:7").ok(),
            Some(SourceSpec::Synthetic(7))
        );
        assert!(SourceSpec::parse("synthetic:x").is_err());
        assert!(SourceSpec::parse("ftp").is_err());
    }

    #[test]
    fn a_missing_csv_directory_says_so() {
        let dir = tempfile::tempdir().expect("tmp");
        let gone = dir.path().join("market");
        let e = open_source(&SourceSpec::Csv(gone.clone())).expect_err("missing dir");
        assert!(matches!(&e, DataError::MissingSourceDir { path } if *path == gone));
        assert!(e.to_string().contains("does not exist"), "{e}");
        let file = dir.path().join("f.csv");
        std::fs::write(&file, "x").expect("write");
        let e = open_source(&SourceSpec::Csv(file)).expect_err("a file");
        assert!(matches!(e, DataError::NotADirectory { .. }));
        assert!(open_source(&SourceSpec::Csv(dir.path().to_owned())).is_ok());
    }

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
