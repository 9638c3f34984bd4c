//! Where bars come from: the [`Source`] trait, and one module per source
//! (`csv:DIR`, `synthetic[:SEED]`, and `yahoo` behind the `yahoo` cargo
//! feature, which the binaries enable). Which source a `--source` names is
//! decided in [`crate::spec`], not here: this module knows no implementation.
//!
//! Sources are synchronous from the caller's point of view; the Yahoo source
//! runs its own bounded-concurrency async fetch inside `load_many`.

pub mod csv;
#[cfg(feature = "yahoo")]
pub(crate) mod http;
pub mod synthetic;
#[cfg(feature = "yahoo")]
pub mod yahoo;

use chrono::NaiveDate;

use crate::clean::CleanReport;
use crate::error::DataError;
use crate::series::Series;

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

impl Loaded {
    /// This ticker's bars after [`crate::guard::guard`], its decisions in `report.guard`.
    pub fn guarded(self, now: NaiveDate) -> Loaded {
        let Loaded { series, mut report } = self;
        let (series, g) = crate::guard::guard(series, now);
        report.rows_kept = series.len();
        report.guard = g;
        if !report.guard.is_clean() {
            tracing::warn!(
                ticker = %series.ticker,
                quarantined = report.guard.quarantined,
                "guard: {}",
                report.guard.describe()
            );
        }
        Loaded { series, report }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_guarded_fills_the_clean_report() {
        use crate::source::synthetic::{Fault, SyntheticSource, default_end};
        let src = SyntheticSource::with_range(7, 10, default_end()).with_faults([(
            "LDG".to_owned(),
            Fault::Spike {
                at: 300,
                days: 1,
                factor: 1e5,
            },
        )]);
        let bad = src.series("LDG");
        let n = bad.len();
        let loaded = Loaded {
            series: bad,
            report: crate::clean::CleanReport {
                rows_read: n,
                rows_kept: n,
                ..Default::default()
            },
        };
        let l = loaded.guarded(default_end());
        assert_eq!(l.report.rows_kept, n - 1);
        assert_eq!(l.report.fixes(), 1);
        assert!(!l.report.quarantined());
        assert!(
            l.report.summary().contains("bad print"),
            "{}",
            l.report.summary()
        );
    }
}
