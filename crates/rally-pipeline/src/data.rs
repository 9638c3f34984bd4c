//! Getting bars for many tickers at once: through the cache when the source
//! benefits from one, in parallel when loading is CPU-bound, batched when
//! the source is remote.

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::{Cache, DataError, Series, Source, VIX_TICKER};
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
    fn one(&self, ticker: &str) -> Result<Series, DataError> {
        match self.cache {
            Some(c) => c.refresh(self.source, ticker, self.now),
            None => self.source.load(ticker),
        }
        .map(|l| self.cut(l.series))
    }

    fn cut(&self, mut s: Series) -> Series {
        if let Some(d) = self.until {
            s.truncate_to(d);
        }
        s
    }

    /// The VIX series.
    pub fn vix(&self) -> Result<Series, PipelineError> {
        Ok(self.one(VIX_TICKER)?)
    }

    /// Every ticker's series, in order; failures stay per ticker.
    pub fn load(&self, tickers: &[String]) -> Vec<Result<Series, PipelineError>> {
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
                    Ok(self.cut(l.series))
                })
                .collect();
        }
        tickers
            .par_iter()
            .map(|t| self.one(t).map_err(PipelineError::from))
            .collect()
    }
}
