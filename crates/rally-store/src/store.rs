//! Opening the database: URL/path resolution, connection options, migrations.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Result, StoreError};

/// How long a connection waits for another writer (the bot, the scanner)
/// before SQLite reports "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections are plenty for readers.
const MAX_CONNECTIONS: u32 = 4;

/// Handle to the state store. Cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    path: Option<PathBuf>,
}

impl Store {
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

    /// Opens (creating if needed, parent directories included) the database at
    /// `url_or_path` — a `sqlite:` URL or a plain file path — and applies the
    /// embedded migrations.
    ///
    /// Connections use WAL journaling (readers never block the writer), a 5 s
    /// busy timeout (concurrent writers wait instead of failing), foreign keys
    /// and `synchronous=NORMAL` (durable at WAL checkpoints, safe against
    /// process crashes).
    pub async fn open(url_or_path: &str) -> Result<Store> {
        let (opts, in_memory) = connect_options(url_or_path)?;
        let path = if in_memory {
            None
        } else {
            let file = opts.get_filename().to_path_buf();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|error| StoreError::Io {
                    path: dir.to_path_buf(),
                    error,
                })?;
            }
            Some(file)
        };
        let opts = opts
            .create_if_missing(true)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Normal);
        // Every connection of an in-memory database is a separate database:
        // keep exactly one so the schema and data are shared.
        let max = if in_memory { 1 } else { MAX_CONNECTIONS };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        let store = Store { pool, path };
        store.migrate().await?;
        tracing::debug!(path = ?store.path, "state store open");
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = sqlx::migrate!("./migrations");
        match migrator.run(&self.pool).await {
            Ok(()) => Ok(()),
            // Two processes opening a fresh database at the same moment may
            // race on the first migration; the loser sees it applied on retry.
            Err(first) => {
                tracing::debug!(error = %first, "migration failed once, retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                migrator.run(&self.pool).await.map_err(StoreError::from)
            }
        }
    }

    /// The database file, `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying pool, for read-only queries this crate does not offer.
    /// Writes should go through the typed methods to keep the invariants.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A cheap liveness check (`SELECT 1`), for health reports.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish (checkpoints the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction with `BEGIN IMMEDIATE`: it takes the write
    /// lock up front (waiting up to the busy timeout), so a transaction that
    /// reads before it writes cannot fail with SQLITE_BUSY on lock upgrade —
    /// the classic "database is locked" of deferred transactions under WAL.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Parses a `sqlite:` URL or a file path. Returns the options and whether the
/// database is in memory.
fn connect_options(url_or_path: &str) -> Result<(SqliteConnectOptions, bool)> {
    let s = url_or_path.trim();
    if s.is_empty() {
        return Err(StoreError::InvalidInput("empty database URL".into()));
    }
    if s.starts_with("sqlite:") {
        let in_memory = s.contains(":memory:") || s.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(s)?;
        return Ok((opts, in_memory));
    }
    if let Some((scheme, _)) = s.split_once("://") {
        // Only the scheme is reported: the rest may hold credentials.
        return Err(StoreError::UnsupportedUrl(format!("scheme `{scheme}`")));
    }
    Ok((SqliteConnectOptions::new().filename(s), false))
}
