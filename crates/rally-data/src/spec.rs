//! `--source` as the user wrote it ([`SourceSpec`]) and the factory that
//! opens the source it names ([`open_source`]): the one place that knows
//! every implementation.

use std::path::PathBuf;

use crate::error::DataError;
use crate::source::Source;
use crate::source::csv::CsvSource;
use crate::source::synthetic::SyntheticSource;

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
/// (`YahooSource::from_env`, with the `yahoo` feature); a `csv:` directory
/// must exist.
pub fn open_source(spec: &SourceSpec) -> Result<Box<dyn Source>, DataError> {
    Ok(match spec {
        #[cfg(feature = "yahoo")]
        SourceSpec::Yahoo => Box::new(crate::source::yahoo::YahooSource::from_env()?),
        #[cfg(not(feature = "yahoo"))]
        SourceSpec::Yahoo => {
            return Err(DataError::NotBuiltIn {
                name: "yahoo",
                feature: "yahoo",
            });
        }
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
}
