//! The MessagePack bar cache in `data_cache/TICKER.msgpack`.
//!
//! Writes go to a temporary file in the same directory and are renamed into
//! place, so a killed process leaves either the old or the new file, never a
//! torn one. A cache file that cannot be decoded is reported and refetched.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::series::Series;
use crate::source::{Loaded, Source};

/// Bump when the cached layout changes; older files are refetched.
pub const CACHE_VERSION: u32 = 2;
/// A cached series fetched less than this long ago is used as is: data
/// changes once a day, and a second run the same evening needs no download.
pub const MAX_AGE_HOURS: i64 = 6;

/// One cached ticker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedSeries {
    pub version: u32,
    /// The source that produced it (`yahoo`, `synthetic:42`): a cache from
    /// another source is never mixed in.
    pub source: String,
    pub fetched_at: DateTime<Utc>,
    pub series: Series,
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// Write `bytes` to `path` atomically and durably (temp file in the same
/// dir, fsync, rename).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_file(path, bytes, true)
}

/// Write `bytes` to `path` atomically: readers see the old or the new file,
/// never a torn one. `sync` also flushes to disk before the rename (state
/// that must survive a power cut); research exports skip it.
pub fn replace_file(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_all()?;
        }
    }
    std::fs::rename(&tmp, path)
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn path_for(&self, ticker: &str) -> PathBuf {
        self.dir
            .join(format!("{}.msgpack", ticker.trim_start_matches('^')))
    }

    /// The cached series, `None` when absent, an error when unreadable.
    pub fn get(&self, ticker: &str) -> Result<Option<CachedSeries>, DataError> {
        let path = self.path_for(ticker);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(DataError::Cache {
                    path,
                    message: e.to_string(),
                });
            }
        };
        let c: CachedSeries = rmp_serde::from_slice(&bytes).map_err(|e| DataError::Cache {
            path: path.clone(),
            message: format!("corrupt: {e}"),
        })?;
        if c.version != CACHE_VERSION {
            return Err(DataError::Cache {
                path,
                message: format!("version {} (expected {CACHE_VERSION})", c.version),
            });
        }
        Ok(Some(c))
    }

    pub fn put(&self, ticker: &str, c: &CachedSeries) -> Result<(), DataError> {
        let path = self.path_for(ticker);
        let bytes = rmp_serde::to_vec(c).map_err(|e| DataError::Cache {
            path: path.clone(),
            message: e.to_string(),
        })?;
        atomic_write(&path, &bytes).map_err(|e| DataError::Cache {
            path,
            message: e.to_string(),
        })
    }

    /// Bars of `ticker` through the cache: fetch only what is newer than the
    /// cached last date and append it. Sources that are not cacheable (a CSV
    /// snapshot) are read directly.
    pub fn refresh(
        &self,
        source: &dyn Source,
        ticker: &str,
        now: DateTime<Utc>,
    ) -> Result<Loaded, DataError> {
        if !source.cacheable() {
            return source.load(ticker);
        }
        let cached = self.usable(&source.describe(), ticker);
        if let Some(c) = &cached {
            let age = now - c.fetched_at;
            if age >= chrono::Duration::zero() && age < chrono::Duration::hours(MAX_AGE_HOURS) {
                let report = crate::clean::CleanReport {
                    rows_read: c.series.len(),
                    rows_kept: c.series.len(),
                    ..Default::default()
                };
                return Ok(Loaded {
                    series: c.series.clone(),
                    report,
                });
            }
        }
        let newer = source.load(ticker)?;
        self.merge_into(cached, &source.describe(), ticker, newer, now)
    }

    /// The cached series of `ticker` if it came from `source`; a damaged
    /// file is reported and treated as absent (it will be refetched).
    fn usable(&self, source: &str, ticker: &str) -> Option<CachedSeries> {
        match self.get(ticker) {
            Ok(Some(c)) if c.source == source => Some(c),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("{e}; refetching");
                None
            }
        }
    }

    /// Merge freshly fetched bars into the cached series of `ticker` (bars
    /// after the cached last date are appended) and store the result.
    pub fn merge(
        &self,
        source: &str,
        ticker: &str,
        newer: Loaded,
        now: DateTime<Utc>,
    ) -> Result<Loaded, DataError> {
        let cached = self.usable(source, ticker);
        self.merge_into(cached, source, ticker, newer, now)
    }

    fn merge_into(
        &self,
        cached: Option<CachedSeries>,
        source: &str,
        ticker: &str,
        newer: Loaded,
        now: DateTime<Utc>,
    ) -> Result<Loaded, DataError> {
        let loaded = match cached {
            Some(mut c) => {
                let last: Option<NaiveDate> = c.series.last_date();
                let added = c.series.extend_after(&newer.series);
                tracing::debug!(ticker, added, ?last, "incremental refresh");
                Loaded {
                    series: c.series,
                    report: newer.report,
                }
            }
            None => newer,
        };
        self.put(
            ticker,
            &CachedSeries {
                version: CACHE_VERSION,
                source: source.to_owned(),
                fetched_at: now,
                series: loaded.series.clone(),
            },
        )?;
        Ok(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticSource;

    #[test]
    fn roundtrip_and_incremental_refresh() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = Cache::new(dir.path());
        let src = SyntheticSource::new(3);
        let full = src.series("ABC");
        // Seed the cache with a truncated history, as if fetched earlier.
        let mut old = full.clone();
        old.truncate_to(full.dates[full.len() - 20]);
        cache
            .put(
                "ABC",
                &CachedSeries {
                    version: CACHE_VERSION,
                    source: src.describe(),
                    fetched_at: Utc::now() - chrono::Duration::days(1),
                    series: old,
                },
            )
            .expect("put");
        let got = cache.refresh(&src, "ABC", Utc::now()).expect("refresh");
        assert_eq!(got.series, full);
        assert_eq!(cache.get("ABC").expect("get").expect("some").series, full);
        // Fetched moments ago: served from the cache without a download.
        let again = cache.refresh(&src, "ABC", Utc::now()).expect("refresh");
        assert_eq!(again.series, full);
    }

    #[test]
    fn corrupt_cache_is_an_error_and_refresh_recovers() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = Cache::new(dir.path());
        std::fs::write(cache.path_for("ABC"), b"garbage").expect("write");
        assert!(cache.get("ABC").is_err());
        let src = SyntheticSource::new(3);
        let got = cache.refresh(&src, "ABC", Utc::now()).expect("refresh");
        assert_eq!(got.series, src.series("ABC"));
        assert!(cache.get("ABC").expect("readable now").is_some());
    }
}
