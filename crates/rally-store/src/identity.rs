//! Recognising the store's own database files, so that a path pointing at
//! some other SQLite file (or at no SQLite file at all) is refused before
//! anything writes to it.
//!
//! A store carries `PRAGMA application_id` = [`APPLICATION_ID`]. Stores
//! created before the marker existed are recognised by their migrations
//! table holding this crate's first migration (same version and checksum),
//! and get the marker on their next read-write open.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _};

use crate::error::ForeignReason;
use crate::{Result, StoreError};

/// `PRAGMA application_id` of a rally state store: "RLLY" in ASCII.
pub const APPLICATION_ID: i32 = 0x524C_4C59;

/// The migrations table sqlx keeps.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// The embedded migrations of this version.
pub(crate) fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations/sqlite")
}

/// What a database file is, for the purpose of opening it as the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// No file, an empty file, or a database without a single schema object
    /// (nothing to protect; a new store may be created in it).
    Empty,
    /// Carries the store's application id.
    Marked,
    /// No application id, but this crate's first migration is applied: a
    /// store created before the marker existed.
    Legacy,
}

impl Identity {
    /// Whether the marker must still be written.
    pub(crate) fn needs_marker(self) -> bool {
        !matches!(self, Identity::Marked)
    }
}

/// Inspects the database file at `path` through a read-only connection that
/// changes nothing (no journal mode switch, no migration), and refuses a
/// file that is not this application's.
pub(crate) async fn inspect(path: &Path) -> Result<Identity> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() == 0 => return Ok(Identity::Empty),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Identity::Empty),
        Err(error) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                error,
            });
        }
    }
    // Without a `-wal` file every committed transaction is in the main file,
    // and an immutable open reads it without creating `-wal`/`-shm` files
    // next to someone else's database (a read-only connection to a WAL
    // database leaves them behind). With one, the WAL must be read too.
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(!wal_path(path).exists())
        .busy_timeout(crate::sqlite::BUSY_TIMEOUT)
        .create_if_missing(false);
    let mut conn = opts.connect().await.map_err(|e| open_error(path, e))?;
    let found = identify(&mut conn).await.map_err(|e| match e {
        StoreError::Db(e) => open_error(path, e),
        other => other,
    });
    // The connection only read; a failure to close it changes nothing.
    if let Err(e) = conn.close().await {
        tracing::debug!(error = %e, "closing the inspection connection");
    }
    match found? {
        Ok(identity) => Ok(identity),
        Err(reason) => Err(StoreError::ForeignDatabase {
            path: path.to_path_buf(),
            reason,
        }),
    }
}

/// The identity of an open database, or why it is not the store.
pub(crate) async fn identify(
    conn: &mut SqliteConnection,
) -> Result<std::result::Result<Identity, ForeignReason>> {
    let (app_id,): (i32,) = sqlx::query_as("PRAGMA application_id")
        .fetch_one(&mut *conn)
        .await?;
    if app_id == APPLICATION_ID {
        return Ok(Ok(Identity::Marked));
    }
    if app_id != 0 {
        return Ok(Err(ForeignReason::OtherApplication(app_id)));
    }
    let objects: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY type DESC, name",
    )
    .fetch_all(&mut *conn)
    .await?;
    if objects.is_empty() {
        return Ok(Ok(Identity::Empty));
    }
    if objects.iter().any(|(n,)| n == MIGRATIONS_TABLE) && first_migration_applied(conn).await? {
        return Ok(Ok(Identity::Legacy));
    }
    Ok(Err(ForeignReason::UnknownSchema {
        objects: objects.into_iter().map(|(n,)| n).collect(),
    }))
}

/// Whether the migrations table records this crate's first migration.
async fn first_migration_applied(conn: &mut SqliteConnection) -> Result<bool> {
    let migrator = migrator();
    let Some(first) = migrator.iter().next() else {
        return Ok(false);
    };
    let stored: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT checksum FROM _sqlx_migrations WHERE version = ? AND success = 1")
            .bind(first.version)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(stored.is_some_and(|(sum,)| sum == first.checksum.as_ref()))
}

/// Which of this version's migrations are applied: `(newest applied,
/// all applied)`. `None` when the migrations table does not exist.
pub(crate) async fn schema_state(conn: &mut SqliteConnection) -> Result<(Option<i64>, bool)> {
    let (has_table,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_one(&mut *conn)
    .await?;
    if !has_table {
        return Ok((None, false));
    }
    let applied: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1 ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let newest = applied.last().map(|(v,)| *v);
    let all = migrator()
        .iter()
        .all(|m| applied.iter().any(|(v,)| *v == m.version));
    Ok((newest, all))
}

/// The newest migration version this crate embeds.
pub(crate) fn required_version() -> i64 {
    migrator().iter().map(|m| m.version).max().unwrap_or(0)
}

/// Writes the marker. Called right before migrating an empty or legacy
/// store, on the read-write pool.
pub(crate) async fn stamp(conn: &mut SqliteConnection) -> Result<()> {
    // PRAGMA takes no bound parameters; the value is a constant.
    let sql = format!("PRAGMA application_id = {APPLICATION_ID}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An error opening or first reading the file at `path`: "not a database"
/// means a foreign file; anything else keeps SQLite's own cause.
pub(crate) fn open_error(path: &Path, error: sqlx::Error) -> StoreError {
    if sqlite_code(&error).is_some_and(|c| c & 0xff == SQLITE_NOTADB) {
        return StoreError::ForeignDatabase {
            path: path.to_path_buf(),
            reason: ForeignReason::NotSqlite,
        };
    }
    StoreError::Open {
        path: path.to_path_buf(),
        error,
    }
}

/// The write-ahead log of the database at `path`.
pub(crate) fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    wal.into()
}

/// SQLITE_NOTADB: the file is not a SQLite database.
const SQLITE_NOTADB: i32 = 26;

/// The (extended) SQLite result code of a database error.
pub(crate) fn sqlite_code(error: &sqlx::Error) -> Option<i32> {
    match error {
        sqlx::Error::Database(db) => db.code().and_then(|c| c.parse().ok()),
        _ => None,
    }
}
