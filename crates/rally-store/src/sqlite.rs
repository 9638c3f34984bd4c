//! The SQLite backend: opening a file (or in-memory) database, recognising
//! it as the store's own, WAL and busy-timeout settings, read-only opens and
//! migrations. The queries themselves are shared with PostgreSQL.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::identity::{self, Identity};
use crate::store::{Location, Pool};
use crate::{Result, Store, StoreError};

/// How long a connection waits for another writer (the bot, the scanner)
/// before SQLite reports "database is locked".
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections are plenty for readers.
const MAX_CONNECTIONS: u32 = 4;

/// Opens (creating if needed, parent directories included) the database at
/// `url_or_path` — a `sqlite:` URL or a plain file path — and applies the
/// embedded migrations.
///
/// An existing file is first inspected through a read-only connection:
/// unless it is empty, carries the store's marker ([`crate::APPLICATION_ID`]) or
/// is a store created before the marker existed, the open fails with
/// [`StoreError::ForeignDatabase`] and the file is left byte for byte as
/// it was. A new or pre-marker store gets the marker before migrating.
///
/// Connections use WAL journaling (readers never block the writer), a 5 s
/// busy timeout (concurrent writers wait instead of failing), foreign keys
/// and `synchronous=NORMAL` (durable at WAL checkpoints, safe against
/// process crashes).
///
/// Two processes opening a new store at the same instant can find the
/// file locked while the other switches it to WAL or migrates it (a
/// moment no busy handler covers): such an open is retried, with a
/// growing pause, for up to about five seconds.
pub(crate) async fn open(url_or_path: &str) -> Result<Store> {
    let mut pause = Duration::from_millis(25);
    let mut waited = Duration::ZERO;
    loop {
        match open_once(url_or_path).await {
            Err(e) if e.is_busy() && waited < BUSY_TIMEOUT => {
                tracing::debug!(error = %e, "state store busy while opening; retrying");
                tokio::time::sleep(pause).await;
                waited += pause;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            result => return result,
        }
    }
}

async fn open_once(url_or_path: &str) -> Result<Store> {
    let (opts, in_memory) = connect_options(url_or_path)?;
    let (path, identity) = if in_memory {
        (None, Identity::Empty)
    } else {
        let file = opts.get_filename().to_path_buf();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| StoreError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        }
        // Before anything below writes (the WAL switch included).
        let identity = identity::inspect(&file).await?;
        (Some(file), identity)
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
        .await
        .map_err(|e| match &path {
            Some(file) => identity::open_error(file, e),
            None => StoreError::Db(e),
        })?;
    if identity.needs_marker() {
        let mut conn = pool.acquire().await?;
        identity::stamp(&mut conn).await?;
    }
    migrate(&pool).await?;
    tracing::debug!(?path, "state store open");
    let location = path.map_or(Location::Memory, Location::File);
    Ok(Store::new(Pool::Sqlite(pool), location))
}

/// Opens an existing store for reading only (the dashboard): never
/// creates, migrates or marks anything, and works in a directory the
/// caller cannot write to.
///
/// Errors say the cause: [`StoreError::Missing`] (no file yet),
/// [`StoreError::Io`] (e.g. permission denied),
/// [`StoreError::ForeignDatabase`], [`StoreError::SchemaOutdated`]
/// (the scanner must run once to migrate it) or [`StoreError::Open`].
///
/// A WAL database whose directory is read-only cannot be opened by
/// SQLite's normal read-only mode when no `-wal` file exists (it must
/// create the shared-memory file). Then the file holds every committed
/// transaction, and it is opened `immutable` instead: a snapshot, which
/// suits a reader that reopens on each refresh.
pub(crate) async fn open_read_only(url_or_path: &str) -> Result<Store> {
    let (opts, in_memory) = connect_options(url_or_path)?;
    if in_memory {
        return Err(StoreError::InvalidInput(
            "an in-memory database cannot be opened read-only: it would always be empty".into(),
        ));
    }
    let file = opts.get_filename().to_path_buf();
    // SQLite reports a missing or unreadable file only as "unable to
    // open database file"; the filesystem says which.
    if let Err(error) = std::fs::File::open(&file) {
        return Err(if error.kind() == std::io::ErrorKind::NotFound {
            StoreError::Missing { path: file }
        } else {
            StoreError::Io { path: file, error }
        });
    }
    // Refuse a foreign file before the read-only pool, which would leave
    // `-wal`/`-shm` files next to a WAL database.
    if identity::inspect(&file).await? == Identity::Empty {
        return Err(StoreError::SchemaOutdated {
            path: file,
            applied: None,
            required: identity::required_version(),
        });
    }
    let opts = opts
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = match read_only_pool(opts.clone()).await {
        Ok(pool) => pool,
        Err(e) if needs_immutable(&file, &e) => {
            tracing::debug!(path = %file.display(), error = %e, "read-only open failed; opening immutable");
            read_only_pool(opts.immutable(true))
                .await
                .map_err(|e| identity::open_error(&file, e))?
        }
        Err(e) => return Err(identity::open_error(&file, e)),
    };
    if let Err(e) = check_schema(&pool, &file).await {
        pool.close().await;
        return Err(e);
    }
    tracing::debug!(path = %file.display(), "state store open (read-only)");
    Ok(Store::new(Pool::Sqlite(pool), Location::File(file)))
}

/// Refuses, for a read-only open, a store whose schema is older than
/// this version's (or a file that changed identity since it was
/// inspected).
async fn check_schema(pool: &SqlitePool, file: &Path) -> Result<()> {
    let path = file.to_path_buf();
    let mut conn = pool.acquire().await?;
    let applied = match identity::identify(&mut conn).await? {
        Err(reason) => return Err(StoreError::ForeignDatabase { path, reason }),
        Ok(Identity::Empty) => None,
        Ok(Identity::Marked | Identity::Legacy) => {
            let (newest, complete) = identity::schema_state(&mut conn).await?;
            if complete {
                return Ok(());
            }
            newest
        }
    };
    Err(StoreError::SchemaOutdated {
        path,
        applied,
        required: identity::required_version(),
    })
}

async fn migrate(pool: &SqlitePool) -> Result<()> {
    let migrator = identity::migrator();
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        // Two processes opening a fresh database at the same moment may
        // race on the first migration; the loser sees it applied on retry.
        Err(first) => {
            tracing::debug!(error = %first, "migration failed once, retrying");
            tokio::time::sleep(Duration::from_millis(200)).await;
            migrator.run(pool).await.map_err(StoreError::from)
        }
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

/// A read-only pool, proven able to read: SQLite opens lazily, and a WAL
/// database in a read-only directory fails only at the first read.
async fn read_only_pool(
    opts: SqliteConnectOptions,
) -> std::result::Result<SqlitePool, sqlx::Error> {
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await?;
    if let Err(e) = sqlx::query("SELECT COUNT(*) FROM sqlite_master")
        .execute(&pool)
        .await
    {
        pool.close().await;
        return Err(e);
    }
    Ok(pool)
}

/// Whether a failed read-only open is the read-only-directory case of a
/// WAL database that `immutable` can read: SQLITE_READONLY or
/// SQLITE_CANTOPEN (any extended code) while no `-wal` file holds
/// transactions that an immutable open would ignore.
fn needs_immutable(file: &Path, error: &sqlx::Error) -> bool {
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_CANTOPEN: i32 = 14;
    identity::sqlite_code(error)
        .is_some_and(|c| matches!(c & 0xff, SQLITE_READONLY | SQLITE_CANTOPEN))
        && !identity::wal_path(file).exists()
}
