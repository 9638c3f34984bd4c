//! The store's error type.

use std::path::PathBuf;

/// Everything that can go wrong in the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A database operation failed (including "database is locked" after the
    /// busy timeout, constraint violations and I/O inside SQLite).
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A filesystem operation outside SQLite failed (creating the state
    /// directory, writing a CSV export).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
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
    Csv(#[from] csv::Error),
    /// A blocking export task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}
