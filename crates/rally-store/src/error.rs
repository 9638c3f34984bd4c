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
    /// The database URL is neither a SQLite URL or path nor a PostgreSQL
    /// URL. The URL itself is not echoed: it may carry credentials.
    #[error(
        "unsupported database URL (use a file path, sqlite:PATH or postgres://USER@HOST/DB): {0}"
    )]
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
    /// The file exists but is not this application's state store (another
    /// application's database, or not SQLite at all). Nothing was written.
    #[error(
        "{} is not a rally state store ({reason}); refusing to use or change it",
        path.display()
    )]
    ForeignDatabase {
        /// The database file.
        path: PathBuf,
        /// What was found instead.
        reason: ForeignReason,
    },
    /// SQLite could not open (or first read) the database file.
    #[error("cannot open the state store {}: {}", path.display(), sqlx_text(error))]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        error: sqlx::Error,
    },
    /// A read-only open found no database file.
    #[error(
        "the state store {} does not exist yet (the scanner creates it on its first run)",
        path.display()
    )]
    Missing {
        /// The database file looked for.
        path: PathBuf,
    },
    /// A read-only open found a store whose schema is older than this
    /// version's; read-only openers never migrate.
    #[error(
        "the state store {} has schema version {}, this version needs {required}; \
         run `scanner` once to upgrade it",
        path.display(),
        applied.map_or_else(|| "none".to_owned(), |v| v.to_string())
    )]
    SchemaOutdated {
        /// The database file.
        path: PathBuf,
        /// Newest migration applied, `None` if none is.
        applied: Option<i64>,
        /// Newest migration this version embeds.
        required: i64,
    },
    /// The PostgreSQL server could not be reached or refused the
    /// connection. `server` is `postgres://host:port/database`, without
    /// user or password.
    #[error("cannot connect to PostgreSQL ({server}): {}", sqlx_text(error))]
    ServerOpen {
        /// The server and database, without credentials.
        server: String,
        /// The driver's error.
        error: sqlx::Error,
    },
    /// The PostgreSQL database holds tables that are not the store's.
    /// Nothing was written.
    #[error("{server} is not a rally state store ({reason}); refusing to use or change it")]
    ForeignServer {
        /// The server and database, without credentials.
        server: String,
        /// What was found instead.
        reason: ForeignReason,
    },
    /// A read-only open found a PostgreSQL store whose schema is older
    /// than this version's (or no store at all); read-only openers never
    /// migrate.
    #[error(
        "the state store {server} has schema version {}, this version needs {required}; \
         run `scanner` once to create or upgrade it",
        applied.map_or_else(|| "none".to_owned(), |v| v.to_string())
    )]
    ServerSchemaOutdated {
        /// The server and database, without credentials.
        server: String,
        /// Newest migration applied, `None` if none is.
        applied: Option<i64>,
        /// Newest migration this version embeds.
        required: i64,
    },
    /// A blocking export task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// Why a database file is not this application's state store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForeignReason {
    /// The file is not a SQLite database.
    #[error("not a SQLite database")]
    NotSqlite,
    /// The database carries another application's `PRAGMA application_id`.
    #[error("application id {0:#010x}, not the store's")]
    OtherApplication(i32),
    /// The database has tables (or other schema objects) but none of this
    /// application's migrations.
    #[error("it holds {} and no rally migrations", list_objects(objects))]
    UnknownSchema {
        /// Names of its schema objects (tables first).
        objects: Vec<String>,
    },
}

/// At most five names, then how many more.
fn list_objects(objects: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = objects
        .iter()
        .take(SHOWN)
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if objects.len() > SHOWN {
        text.push_str(&format!(" and {} more", objects.len() - SHOWN));
    }
    text
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

/// The text of a sqlx error, once. A database error is shown as the
/// database's message and code (SQLite's result code or PostgreSQL's
/// SQLSTATE), without sqlx's "error returned from database" preamble.
fn sqlx_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            let dialect = if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                "SQLSTATE"
            } else {
                "SQLite code"
            };
            match db.code() {
                Some(code) => format!("{} ({dialect} {code})", db.message()),
                None => db.message().to_owned(),
            }
        }
        other => other.to_string(),
    }
}

impl StoreError {
    /// Whether SQLite reported the database busy or locked by another
    /// connection (result codes 5 and 6, extended codes included): a
    /// moment's contention, not a fault of the file.
    pub fn is_busy(&self) -> bool {
        let code = match self {
            StoreError::Open { error, .. } | StoreError::Db(error) => {
                crate::identity::sqlite_code(error)
            }
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(error)) => {
                crate::identity::sqlite_code(error)
            }
            _ => None,
        };
        code.is_some_and(|c| matches!(c & 0xff, 5 | 6))
    }
}
