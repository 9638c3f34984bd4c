//! Moving a whole state from one store to another (`scanner store migrate
//! --to postgres://…`), in either direction, and the canonical dump that
//! proves a move lost nothing: every table's rows, row ids included, read
//! the same way from either backend.
//!
//! The table list below is the one description of the schema's columns
//! outside the migrations; [`Store::uncopied_columns`] names any table or
//! column a migration added that it does not know, and the store's tests
//! require that list to be empty on both backends.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row as _;

use crate::store::{Pool, on_pool, write_tx};
use crate::time::Ts;
use crate::{Backend, Result, Store, StoreError};

/// How a column is read and written, the same on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Real,
    Date,
    Timestamp,
}

/// One table of the state, its columns in schema order, and the key that
/// orders its rows.
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Kind)],
    order_by: &'static str,
    /// The identity column whose sequence must follow copied ids
    /// (PostgreSQL; SQLite's AUTOINCREMENT follows by itself).
    identity: Option<&'static str>,
}

use Kind::{Date, Int, Real, Text, Timestamp};

/// Every table of the state, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "scan_runs",
        columns: &[
            ("as_of", Date),
            ("started_at", Timestamp),
            ("finished_at", Timestamp),
            ("n_scanned", Int),
            ("n_signals", Int),
            ("status", Text),
            ("summary_json", Text),
        ],
        order_by: "as_of",
        identity: None,
    },
    Table {
        name: "positions",
        columns: &[
            ("ticker", Text),
            ("state_json", Text),
            ("signal_date", Date),
            ("entry_date", Date),
            ("entry_fill", Real),
            ("shares", Real),
            ("size", Real),
            ("stop", Real),
            ("target", Real),
            ("p_rally", Real),
            ("last_price", Real),
            ("last_date", Date),
            ("bars_held", Int),
            ("updated_as_of", Date),
        ],
        order_by: "ticker",
        identity: None,
    },
    Table {
        name: "closed_trades",
        columns: &[
            ("id", Int),
            ("ticker", Text),
            ("signal_date", Date),
            ("entry_date", Date),
            ("exit_date", Date),
            ("entry_fill", Real),
            ("exit_price", Real),
            ("stop", Real),
            ("target", Real),
            ("size", Real),
            ("shares", Real),
            ("p_rally", Real),
            ("reason", Text),
            ("bars_held", Int),
            ("trade_return", Real),
            ("pnl", Real),
        ],
        order_by: "id",
        identity: Some("id"),
    },
    Table {
        name: "equity_snapshots",
        columns: &[
            ("date", Date),
            ("equity", Real),
            ("cash", Real),
            ("exposure", Real),
            ("n_open", Int),
        ],
        order_by: "date",
        identity: None,
    },
    Table {
        name: "signals",
        columns: &[
            ("as_of", Date),
            ("ticker", Text),
            ("p_rally", Real),
            ("compression", Real),
            ("price", Real),
            ("stop", Real),
            ("target", Real),
            ("size", Real),
            ("setup_top_pct", Real),
        ],
        order_by: "as_of, ticker",
        identity: None,
    },
    Table {
        name: "outbox",
        columns: &[
            ("id", Int),
            ("dedupe_key", Text),
            ("kind", Text),
            ("payload_json", Text),
            ("created_at", Timestamp),
        ],
        order_by: "id",
        identity: Some("id"),
    },
    Table {
        name: "outbox_delivery",
        columns: &[
            ("event_id", Int),
            ("backend", Text),
            ("status", Text),
            ("attempts", Int),
            ("last_error", Text),
            ("next_attempt_at", Timestamp),
            ("delivered_at", Timestamp),
            ("parts_done", Int),
        ],
        order_by: "event_id, backend",
        identity: None,
    },
    Table {
        name: "users",
        columns: &[
            ("discord_id", Text),
            ("capital", Real),
            ("created_at", Timestamp),
        ],
        order_by: "discord_id",
        identity: None,
    },
    Table {
        name: "user_trades",
        columns: &[
            ("id", Int),
            ("user_id", Text),
            ("ticker", Text),
            ("entry_price", Real),
            ("size", Real),
            ("stop", Real),
            ("target", Real),
            ("entered_at", Timestamp),
            ("exit_price", Real),
            ("exited_at", Timestamp),
            ("notes", Text),
            ("pnl_pct", Real),
            ("pnl_usd", Real),
        ],
        order_by: "id",
        identity: Some("id"),
    },
];

/// One stored value, as both backends read it back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant (microseconds).
    Timestamp(DateTime<Utc>),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(x) => write!(f, "{x:?}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Timestamp(t) => f.write_str(&crate::format_ts(*t)),
        }
    }
}

/// Every table of a state, its rows in key order, each row its columns'
/// values in schema order. Equal dumps mean equal states.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateDump {
    /// Rows by table name.
    pub tables: BTreeMap<&'static str, Vec<Vec<Value>>>,
}

impl StateDump {
    /// Row count of every table, by name.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.tables
            .iter()
            .map(|(t, rows)| (*t, rows.len()))
            .collect()
    }

    /// Whether no table holds a row.
    pub fn is_empty(&self) -> bool {
        self.tables.values().all(Vec::is_empty)
    }

    /// Each row as one line, `table: col=value …`, for readable diffs.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in TABLES {
            for row in self.tables.get(t.name).into_iter().flatten() {
                let cells: Vec<String> = t
                    .columns
                    .iter()
                    .zip(row)
                    .map(|((c, _), v)| format!("{c}={v}"))
                    .collect();
                out.push(format!("{}: {}", t.name, cells.join(" ")));
            }
        }
        out
    }
}

/// What [`Store::copy_into`] moved.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyReport {
    /// Rows copied, by table.
    pub counts: BTreeMap<&'static str, usize>,
}

fn select_sql(t: &Table) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        t.name,
        t.order_by
    )
}

fn insert_sql(t: &Table) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        t.name,
        cols.join(", "),
        params.join(", ")
    )
}

/// Reads column `i` of `$row` as `$kind` into a [`Value`].
macro_rules! read_value {
    ($row:expr, $i:expr, $kind:expr) => {{
        let row = $row;
        let i: usize = $i;
        match $kind {
            Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
            Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
            Kind::Real => row.try_get::<Option<f64>, _>(i)?.map(Value::Real),
            Kind::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map(Value::Date),
            Kind::Timestamp => row
                .try_get::<Option<DateTime<Utc>>, _>(i)?
                .map(Value::Timestamp),
        }
        .unwrap_or(Value::Null)
    }};
}

/// Binds `$value` (of column kind `$kind`) to `$q`.
macro_rules! bind_value {
    ($q:expr, $kind:expr, $value:expr) => {{
        let (q, kind, value) = ($q, $kind, $value);
        match (kind, value) {
            (Kind::Text, Value::Text(s)) => q.bind(Some(s.clone())),
            (Kind::Text, _) => q.bind(None::<String>),
            (Kind::Int, Value::Int(i)) => q.bind(Some(*i)),
            (Kind::Int, _) => q.bind(None::<i64>),
            (Kind::Real, Value::Real(x)) => q.bind(Some(*x)),
            (Kind::Real, _) => q.bind(None::<f64>),
            (Kind::Date, Value::Date(d)) => q.bind(Some(*d)),
            (Kind::Date, _) => q.bind(None::<NaiveDate>),
            (Kind::Timestamp, Value::Timestamp(t)) => q.bind(Some(Ts(*t))),
            (Kind::Timestamp, _) => q.bind(None::<Ts>),
        }
    }};
}

impl Store {
    /// Every row of every table of the state (see [`StateDump`]).
    pub async fn dump(&self) -> Result<StateDump> {
        let mut dump = StateDump::default();
        for t in TABLES {
            let sql = select_sql(t);
            let rows: Vec<Vec<Value>> = on_pool!(self, |pool| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    let mut values = Vec::with_capacity(t.columns.len());
                    for (i, (_, kind)) in t.columns.iter().enumerate() {
                        values.push(read_value!(row, i, *kind));
                    }
                    out.push(values);
                }
                out
            });
            dump.tables.insert(t.name, rows);
        }
        Ok(dump)
    }

    /// Copies this store's whole state into `target`, which must hold no
    /// state yet, in one transaction of the target: a failure leaves it
    /// empty. Row ids are kept (users' trade ids, outbox event ids), and
    /// the copy is read back and compared before this returns: a
    /// difference is an error, naming the first table that differs.
    pub async fn copy_into(&self, target: &Store) -> Result<CopyReport> {
        let source = self.dump().await?;
        let existing = target.dump().await?;
        if !existing.is_empty() {
            let held: Vec<String> = existing
                .counts()
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| format!("{n} {t}"))
                .collect();
            return Err(StoreError::InvalidInput(format!(
                "the target store {} already holds a state ({}); a move never merges two states",
                target.location(),
                held.join(", ")
            )));
        }
        write_tx!(target, |tx| {
            for t in TABLES {
                let sql = insert_sql(t);
                for row in source.tables.get(t.name).into_iter().flatten() {
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                    for ((_, kind), value) in t.columns.iter().zip(row) {
                        q = bind_value!(q, *kind, value);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        if target.backend() == Backend::Postgres {
            target.follow_identities().await?;
        }
        let copied = target.dump().await?;
        if let Some(t) = TABLES
            .iter()
            .find(|t| copied.tables.get(t.name) != source.tables.get(t.name))
        {
            return Err(StoreError::InvalidInput(format!(
                "the copy of table {} in {} differs from its source",
                t.name,
                target.location()
            )));
        }
        tracing::info!(target = %target.location(), counts = ?source.counts(), "state copied");
        Ok(CopyReport {
            counts: source.counts(),
        })
    }

    /// Moves PostgreSQL identity sequences past the copied ids, so the next
    /// trade or event gets a new id rather than a duplicate-key error.
    async fn follow_identities(&self) -> Result<()> {
        let Some(pool) = self.postgres_pool() else {
            return Ok(());
        };
        for t in TABLES {
            let Some(col) = t.identity else { continue };
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{col}'), \
                 COALESCE((SELECT MAX({col}) FROM {table}), 0) + 1, false)",
                table = t.name
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await?;
        }
        Ok(())
    }

    /// Names of the tables and columns the schema has beyond those this
    /// module copies (the migrations table aside); empty when the copy
    /// covers the whole state.
    pub async fn uncopied_columns(&self) -> Result<Vec<String>> {
        let found: Vec<(String, String)> =
            match &self.pool {
                Pool::Sqlite(pool) => {
                    sqlx::query_as(
                        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                     AND m.name != '_sqlx_migrations' ORDER BY m.name, p.cid",
                    )
                    .fetch_all(pool)
                    .await?
                }
                Pool::Postgres(pool) => sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name != '_sqlx_migrations' \
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(pool)
                .await?,
            };
        Ok(found
            .into_iter()
            .filter(|(table, col)| {
                !TABLES
                    .iter()
                    .any(|t| t.name == table && t.columns.iter().any(|(c, _)| c == col))
            })
            .map(|(table, col)| format!("{table}.{col}"))
            .collect())
    }
}
