//! The PostgreSQL backend (`DATABASE_URL=postgres://…`): connecting,
//! recognising the database as the store's own, its migrations
//! (`migrations/postgres`), read-only opens, and the writer lock. The
//! queries themselves are shared with SQLite.
//!
//! A database is the store's when its current schema holds no table, or
//! holds this crate's first PostgreSQL migration (same version and
//! checksum); anything else is refused before a statement writes.
//! Writers serialise on one transaction-scoped advisory lock
//! ([`lock_writers`]), which gives PostgreSQL the one-writer-at-a-time
//! behaviour SQLite's `BEGIN IMMEDIATE` has: a scan's checks and writes see
//! the same state, and two scans can never both commit from one base.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _, PgConnection, PgPool};

use crate::error::ForeignReason;
use crate::store::{Location, Pool};
use crate::{Result, Store, StoreError};

/// The advisory lock key every write transaction takes: "RLLY" in ASCII,
/// the SQLite store's application id.
const WRITER_LOCK: i64 = crate::APPLICATION_ID as i64;
/// The migrations table sqlx keeps.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";
/// Enough for the bot's concurrent commands and the outbox sender.
const MAX_CONNECTIONS: u32 = 5;

/// The embedded PostgreSQL migrations of this version.
fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations/postgres")
}

/// The newest migration version this crate embeds for PostgreSQL.
fn required_version() -> i64 {
    migrator().iter().map(|m| m.version).max().unwrap_or(0)
}

/// Takes the store's writer lock for the rest of the transaction.
pub(crate) async fn lock_writers(tx: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITER_LOCK)
        .execute(tx)
        .await?;
    Ok(())
}

/// Parses the URL; errors never echo it (it may hold a password).
fn connect_options(url: &str) -> Result<(PgConnectOptions, String)> {
    let opts = PgConnectOptions::from_str(url.trim()).map_err(|_| {
        StoreError::InvalidInput(
            "malformed PostgreSQL URL in DATABASE_URL (not shown: it may hold a password)".into(),
        )
    })?;
    let shown = shown_options(&opts);
    Ok((opts, shown))
}

fn shown_options(opts: &PgConnectOptions) -> String {
    format!(
        "postgres://{}:{}/{}",
        opts.get_host(),
        opts.get_port(),
        opts.get_database().unwrap_or_default()
    )
}

/// `postgres://host:port/database` of a URL, `None` when it does not parse.
pub(crate) fn shown(url: &str) -> Option<String> {
    PgConnectOptions::from_str(url.trim())
        .ok()
        .map(|o| shown_options(&o))
}

async fn pool(opts: PgConnectOptions, server: &str) -> Result<PgPool> {
    // One connection first: the pool retries a failed connect until its
    // timeout and then reports only the timeout, where this says why
    // (refused, unknown database, authentication).
    let probe = opts
        .connect()
        .await
        .map_err(|error| StoreError::ServerOpen {
            server: server.to_owned(),
            error,
        })?;
    if let Err(e) = probe.close().await {
        tracing::debug!(error = %e, "closing the probe connection");
    }
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
        .map_err(|error| StoreError::ServerOpen {
            server: server.to_owned(),
            error,
        })
}

/// Opens (migrating as needed) the store in the database `url` names.
pub(crate) async fn open(url: &str) -> Result<Store> {
    let (opts, server) = connect_options(url)?;
    let pool = pool(opts, &server).await?;
    let checked = async {
        let mut conn = pool.acquire().await?;
        if let Err(reason) = identify(&mut conn).await? {
            return Err(StoreError::ForeignServer {
                server: server.clone(),
                reason,
            });
        }
        drop(conn);
        // sqlx holds its own advisory lock while it migrates: two processes
        // opening a new database at once apply each migration once.
        migrator().run(&pool).await?;
        Ok(())
    }
    .await;
    if let Err(e) = checked {
        pool.close().await;
        return Err(e);
    }
    tracing::debug!(%server, "state store open");
    Ok(Store::new(Pool::Postgres(pool), Location::Server(server)))
}

/// Opens an existing store for reading only: every transaction of the pool
/// is read-only (`default_transaction_read_only`), and a database without
/// this version's schema is refused instead of migrated.
pub(crate) async fn open_read_only(url: &str) -> Result<Store> {
    let (opts, server) = connect_options(url)?;
    let opts = opts.options([("default_transaction_read_only", "on")]);
    let pool = pool(opts, &server).await?;
    if let Err(e) = check_schema(&pool, &server).await {
        pool.close().await;
        return Err(e);
    }
    tracing::debug!(%server, "state store open (read-only)");
    Ok(Store::new(Pool::Postgres(pool), Location::Server(server)))
}

async fn check_schema(pool: &PgPool, server: &str) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if let Err(reason) = identify(&mut conn).await? {
        return Err(StoreError::ForeignServer {
            server: server.to_owned(),
            reason,
        });
    }
    let applied = applied_versions(&mut conn).await?;
    let complete = migrator().iter().all(|m| applied.contains(&m.version));
    if complete {
        return Ok(());
    }
    Err(StoreError::ServerSchemaOutdated {
        server: server.to_owned(),
        applied: applied.last().copied(),
        required: required_version(),
    })
}

/// Whether the current schema may hold the store: `Ok` when it is empty
/// (the migrations table alone, as another process is creating the store,
/// counts as empty) or carries this crate's first migration.
async fn identify(conn: &mut PgConnection) -> Result<std::result::Result<(), ForeignReason>> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let others: Vec<String> = tables
        .iter()
        .map(|(t,)| t.clone())
        .filter(|t| t != MIGRATIONS_TABLE)
        .collect();
    if others.is_empty() {
        return Ok(Ok(()));
    }
    let has_migrations = tables.iter().any(|(t,)| t == MIGRATIONS_TABLE);
    if has_migrations && first_migration_applied(conn).await? {
        return Ok(Ok(()));
    }
    Ok(Err(ForeignReason::UnknownSchema { objects: others }))
}

async fn first_migration_applied(conn: &mut PgConnection) -> Result<bool> {
    let migrator = migrator();
    let Some(first) = migrator.iter().next() else {
        return Ok(false);
    };
    let stored: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT checksum FROM _sqlx_migrations WHERE version = $1 AND success")
            .bind(first.version)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(stored.is_some_and(|(sum,)| sum == first.checksum.as_ref()))
}

/// Versions of the successfully applied migrations, ascending; empty when
/// the migrations table does not exist.
async fn applied_versions(conn: &mut PgConnection) -> Result<Vec<i64>> {
    let (exists,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = $1)",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_one(&mut *conn)
    .await?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}
