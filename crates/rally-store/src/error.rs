//! The store's error type.
//!
//! Every variant's `Display` is self-contained: it already includes the text
//! of the underlying error, and no variant exposes that error again through
//! `source()`. sqlx's own errors embed their sources in their text, so
//! chaining them as well made `{:#}` (anyhow) print "database is locked"
//! three or four times. The underlying errors stay reachable by matching the
//! variants.

use std::path::PathBuf;

use chrono::NaiveDate;

/// Everything that can go wrong in the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A database operation failed (including "database is locked" after the
    /// busy timeout, constraint violations and I/O inside SQLite).
    #[error("database error: {}", sqlx_text(.0))]
    Db(sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("schema migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// A filesystem operation outside SQLite failed (creating the state
    /// directory, writing a CSV export).
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// The database URL is not a SQLite URL or path. The URL itself is not
    /// echoed: a foreign URL may carry credentials.
    #[error("unsupported database URL (only sqlite: URLs or file paths are supported): {0}")]
    UnsupportedUrl(String),
    /// A caller passed a value the store refuses to persist.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Writing a CSV export failed.
    #[error("csv export: {0}")]
    Csv(csv::Error),
    /// A scan commit's as-of date is older than the newest stored scan and
    /// the commit is not a backfill; nothing was written. Committing it would
    /// replace today's positions with an older day's.
    #[error(
        "scan as of {as_of} is older than the newest stored scan ({newest}); \
         nothing written (a deliberate re-run of a past day must be a backfill)"
    )]
    OlderThanStored {
        /// The refused scan's as-of date.
        as_of: NaiveDate,
        /// The newest as-of date stored.
        newest: NaiveDate,
    },
    /// A blocking export task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

impl From<csv::Error> for StoreError {
    fn from(e: csv::Error) -> Self {
        StoreError::Csv(e)
    }
}

/// The text of a sqlx error, once. A database error is shown as SQLite's
/// message and result code, without sqlx's "error returned from database"
/// preamble.
fn sqlx_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (SQLite code {code})", db.message()),
            None => db.message().to_owned(),
        },
        other => other.to_string(),
    }
}
