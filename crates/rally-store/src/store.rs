//! The store handle: which backend a URL names, and the two macros that run
//! one query body on either backend's pool or write transaction.
//!
//! Every query of the store is written once, in the SQL both SQLite and
//! PostgreSQL accept (`$n` parameters, `ON CONFLICT`, `RETURNING`), and
//! compiled once per backend by [`on_pool!`] and [`write_tx!`]: the two
//! implementations cannot drift apart, and what differs — opening,
//! recognising the store, locking writers — lives in `sqlite.rs` and
//! `postgres.rs`.

use std::path::{Path, PathBuf};

use sqlx::{PgPool, SqlitePool};

use crate::{Result, postgres, sqlite};

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the default, `models/rally.db`) or in-memory database.
    Sqlite,
    /// A PostgreSQL server (`DATABASE_URL=postgres://…`).
    Postgres,
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Where the store lives, as it may be shown to a user.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    File(PathBuf),
    Memory,
    /// `postgres://host:port/database`, without user, password or options.
    Server(String),
}

/// Handle to the state store. Cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    location: Location,
}

/// Runs `$body` with `$pool` bound to the store's concrete pool, whichever
/// the backend: the body is written once and compiled for each.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction `$tx` that holds the store's
/// single writer lock from its first statement: `BEGIN IMMEDIATE` on
/// SQLite, a transaction-scoped advisory lock on PostgreSQL. A transaction
/// that reads before it writes therefore sees the state it will change, on
/// both backends alike. The body commits or rolls back itself; dropping the
/// transaction on an early `?` rolls it back.
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            $crate::store::Pool::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $crate::postgres::lock_writers(&mut $tx).await?;
                $body
            }
        }
    };
}

pub(crate) use {on_pool, write_tx};

impl Store {
    pub(crate) fn new(pool: Pool, location: Location) -> Store {
        Store { pool, location }
    }

    /// The database URL to use: `DATABASE_URL` if set (and non-empty), else
    /// `<state_dir>/models/rally.db`.
    pub fn default_url(state_dir: &Path) -> String {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => state_dir
                .join("models")
                .join("rally.db")
                .display()
                .to_string(),
        }
    }

    /// Opens the store `url` names, creating and migrating it as needed:
    /// - `postgres://` or `postgresql://`: a PostgreSQL database (see
    ///   `postgres.rs` for how a database that is not the store's is
    ///   refused);
    /// - a `sqlite:` URL or a plain file path: a SQLite file, created with
    ///   its parent directories (see `sqlite.rs`).
    ///
    /// Any other scheme is [`crate::StoreError::UnsupportedUrl`], naming the
    /// scheme only: a URL may carry credentials.
    pub async fn open(url: &str) -> Result<Store> {
        match Backend::of_url(url) {
            Backend::Postgres => postgres::open(url).await,
            Backend::Sqlite => sqlite::open(url).await,
        }
    }

    /// Opens an existing store for reading only (the dashboard): never
    /// creates, migrates or marks anything. On SQLite it works in a
    /// directory the caller cannot write to; on PostgreSQL every
    /// transaction of the pool is read-only.
    ///
    /// Errors say the cause: [`crate::StoreError::Missing`] (no file yet),
    /// [`crate::StoreError::Io`], [`crate::StoreError::ForeignDatabase`],
    /// [`crate::StoreError::SchemaOutdated`] (the scanner must run once to
    /// migrate it), [`crate::StoreError::Open`], or their server forms.
    pub async fn open_read_only(url: &str) -> Result<Store> {
        match Backend::of_url(url) {
            Backend::Postgres => postgres::open_read_only(url).await,
            Backend::Sqlite => sqlite::open_read_only(url).await,
        }
    }

    /// Which database this store is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database file; `None` for an in-memory or server database.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::File(path) => Some(path),
            Location::Memory | Location::Server(_) => None,
        }
    }

    /// Where the store is, safe to print: the file path, `:memory:`, or the
    /// server's `postgres://host:port/database` without credentials.
    pub fn location(&self) -> String {
        match &self.location {
            Location::File(path) => path.display().to_string(),
            Location::Memory => ":memory:".to_owned(),
            Location::Server(url) => url.clone(),
        }
    }

    /// The SQLite pool, for read-only queries this crate does not offer;
    /// `None` on PostgreSQL. Writes should go through the typed methods to
    /// keep the invariants.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for read-only queries this crate does not
    /// offer; `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// A cheap liveness check (`SELECT 1`), for health reports.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish (on SQLite this
    /// checkpoints the WAL).
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// How `url` may be shown to a user or written to a log: a PostgreSQL URL
/// as `postgres://host:port/database` (no user, password or options), any
/// other without its query string.
pub fn shown_url(url: &str) -> String {
    match Backend::of_url(url) {
        Backend::Postgres => postgres::shown(url)
            .unwrap_or_else(|| "a malformed PostgreSQL URL (not shown)".to_owned()),
        Backend::Sqlite => url.split('?').next().unwrap_or(url).to_owned(),
    }
}

impl Backend {
    /// The backend a database URL names: PostgreSQL for `postgres://` and
    /// `postgresql://`, SQLite for everything else (which `sqlite.rs`
    /// refuses if it is another scheme).
    pub fn of_url(url: &str) -> Backend {
        let url = url.trim_start();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}
