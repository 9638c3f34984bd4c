//! Market data for the rally detector: daily bars, where they come from, and
//! how they are cleaned.
//!
//! This crate owns the [`Series`] domain type (adjusted daily OHLCV of one
//! ticker), the three [`Source`]s (`csv:DIR`, `yahoo`, `synthetic[:SEED]`),
//! the cleaning rules of METHOD §1 with a per-ticker [`CleanReport`], the
//! data-quality [`guard`] (bad prints, unadjusted splits, future rows), VIX as-of
//! alignment, the MessagePack [`cache`], and [`universe`] lists with their
//! refresh from public sources ([`listings`]).
//!
//! It is *not* where numbers are derived from bars: indicators and features
//! live in `rally-features`, models in `rally-model`.

pub mod cache;
pub mod clean;
mod error;
pub mod guard;
pub mod listings;
pub mod series;
pub mod source;
pub mod spec;
pub mod universe;

pub use source::synthetic;
#[cfg(feature = "yahoo")]
pub use source::yahoo;

pub use cache::{Cache, CachedSeries};
pub use clean::{CleanReport, RawRow, clean_rows, parse_yahoo_csv};
pub use error::DataError;
pub use guard::{GuardEvent, GuardReport, guard};
pub use series::{Bar, Series, align_asof, years_before};
pub use source::csv::CsvSource;
pub use source::{Loaded, Source, VIX_TICKER};
pub use spec::{SourceSpec, open_source};
pub use synthetic::{Fault, SyntheticSource};
pub use universe::{DEFAULT_BASKET, Universe, normalise_symbol};
#[cfg(feature = "yahoo")]
pub use yahoo::YahooSource;
