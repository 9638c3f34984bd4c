//! Getting bars for many tickers at once: through the cache when the source
//! benefits from one, in parallel when loading is CPU-bound, batched when
//! the source is remote. Every series passes the data-quality guard
//! (`rally_data::guard`) here, after the replay cut-off and against the
//! run's clock: bad prints and far-future rows are dropped, and a ticker the
//! guard quarantines is a per-ticker error for the whole run.

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::{Cache, DataError, Loaded, Series, Source, VIX_TICKER};
use rayon::prelude::*;

use crate::error::PipelineError;

/// How to reach the data.
#[derive(Debug, Clone, Copy)]
pub struct DataAccess<'a> {
    pub source: &'a dyn Source,
    /// `None` bypasses the cache (`--no-cache`).
    pub cache: Option<&'a Cache>,
    pub now: DateTime<Utc>,
    /// Drop bars after this date (replaying history: `--demo`, tests).
    pub until: Option<NaiveDate>,
}

impl DataAccess<'_> {
    fn fetch_one(&self, ticker: &str) -> Result<Loaded, DataError> {
        match self.cache {
            Some(c) => c.refresh(self.source, ticker, self.now),
            None => self.source.load(ticker),
        }
    }

    /// Replay cut-off first (the guard must not see bars after `until`),
    /// then the guard against the run's clock.
    fn guarded(&self, l: Loaded) -> Loaded {
        let Loaded { mut series, report } = l;
        if let Some(d) = self.until {
            series.truncate_to(d);
        }
        Loaded { series, report }.guarded(self.now.date_naive())
    }

    /// A guarded ticker, unless the guard quarantined it.
    fn check(&self, l: Loaded) -> Result<Loaded, PipelineError> {
        let l = self.guarded(l);
        if l.report.guard.quarantined {
            return Err(PipelineError::Quarantined {
                ticker: l.series.ticker.clone(),
                reason: l.report.guard.describe(),
            });
        }
        Ok(l)
    }

    /// The VIX series. The guard's repairs apply; its quarantine does not,
    /// since every ticker's features need the VIX: it is logged instead.
    pub fn vix(&self) -> Result<Series, PipelineError> {
        let l = self.guarded(self.fetch_one(VIX_TICKER)?);
        if l.report.guard.quarantined {
            tracing::warn!(
                "{VIX_TICKER}: the data guard would quarantine it ({}); used as repaired",
                l.report.guard.describe()
            );
        }
        Ok(l.series)
    }

    /// Every ticker's series, in order; failures stay per ticker.
    pub fn load(&self, tickers: &[String]) -> Vec<Result<Series, PipelineError>> {
        self.load_checked(tickers)
            .into_iter()
            .map(|r| r.map(|l| l.series))
            .collect()
    }

    /// Like [`Self::load`], with each ticker's cleaning report (the guard's
    /// decisions in `report.guard`).
    pub fn load_checked(&self, tickers: &[String]) -> Vec<Result<Loaded, PipelineError>> {
        if self.source.prefers_batch() {
            let describe = self.source.describe();
            return self
                .source
                .load_many(tickers)
                .into_iter()
                .zip(tickers)
                .map(|(r, t)| {
                    let l = r?;
                    let l = match self.cache {
                        Some(c) => c.merge(&describe, t, l, self.now)?,
                        None => l,
                    };
                    self.check(l)
                })
                .collect();
        }
        tickers
            .par_iter()
            .map(|t| self.check(self.fetch_one(t)?))
            .collect()
    }
}
