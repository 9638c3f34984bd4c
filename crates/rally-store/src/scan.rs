//! The atomic, idempotent scan commit and the readers of scan state.
//!
//! A scan reads its starting state with [`Store::scan_base`], computes
//! outside any transaction, and commits with [`Store::commit_scan`], which
//! checks (optimistic concurrency) that no other scan committed in between:
//! otherwise two scans computed from the same positions would each replace
//! the positions, and the trades opened by the first would be lost.

use chrono::{DateTime, NaiveDate, Utc};

use crate::outbox::{NewOutboxEvent, insert_event};
use crate::rows::{ClosedTradeRow, EquitySnapshot, PositionRow, ScanRun, SignalRow};
use crate::store::{on_pool, write_tx};
use crate::time::Ts;
use crate::{Result, Store, StoreError};

/// As-of date of the newest committed scan, inside the transaction `$tx`.
macro_rules! newest_as_of {
    ($tx:ident) => {{
        let (newest,): (Option<NaiveDate>,) = sqlx::query_as("SELECT MAX(as_of) FROM scan_runs")
            .fetch_one(&mut *$tx)
            .await?;
        newest
    }};
}

/// The state a scan computes from, read in one transaction so the positions
/// are exactly those the newest scan left.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanBase {
    /// As-of date of the newest committed scan; `None` for an empty store.
    /// Pass it back as [`ScanCommit::base`].
    pub newest: Option<NaiveDate>,
    /// The open positions stored by that scan, by ticker.
    pub positions: Vec<PositionRow>,
}

/// Everything one scan writes, committed together by [`Store::commit_scan`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScanCommit {
    /// The scan's as-of date (newest bar among the scanned tickers). A second
    /// commit with the same date is a no-op.
    pub as_of: NaiveDate,
    /// The newest committed as-of date the scan computed from
    /// ([`ScanBase::newest`]). If another scan committed since, the commit
    /// returns [`CommitOutcome::Conflict`] and writes nothing.
    pub base: Option<NaiveDate>,
    /// Allows committing an `as_of` older than the newest stored scan (a
    /// deliberate re-run of a past day). Without it such a commit is refused
    /// with [`StoreError::OlderThanStored`].
    pub backfill: bool,
    /// When the scan started.
    pub started_at: DateTime<Utc>,
    /// When the scan finished computing; also the `created_at` of its events
    /// and the first `next_attempt_at` of their deliveries.
    pub finished_at: DateTime<Utc>,
    /// Number of tickers scanned.
    pub n_scanned: i64,
    /// Free-form status (`ok`, `partial`, ...).
    pub status: String,
    /// The complete set of open positions after this scan (replaces the old set).
    pub positions: Vec<PositionRow>,
    /// Trades closed by this scan (duplicates by `(ticker, signal_date)` are ignored).
    pub closed_trades: Vec<ClosedTradeRow>,
    /// The equity snapshot of `as_of` (upserted).
    pub equity: Option<EquitySnapshot>,
    /// New entry signals of this scan.
    pub signals: Vec<SignalRow>,
    /// Alert events to enqueue (deduplicated by `dedupe_key`).
    pub events: Vec<NewOutboxEvent>,
    /// Market context of the scan (VIX, breadth) as JSON, for readers.
    pub summary_json: Option<String>,
    /// Names of the configured alert backends; each new event gets a pending
    /// delivery row per backend.
    pub backends: Vec<String>,
}

/// What [`Store::commit_scan`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// A scan with this as-of date was already committed; nothing changed.
    AlreadyDone,
    /// Another scan committed after the state this one computed from was
    /// read; nothing changed. Expected under concurrency: the caller reads
    /// [`Store::scan_base`] again, recomputes and commits again.
    Conflict {
        /// The newest as-of the scan computed from ([`ScanCommit::base`]).
        base: Option<NaiveDate>,
        /// The newest as-of stored now.
        newest: Option<NaiveDate>,
    },
    /// Everything was written in one transaction.
    Committed {
        /// Open positions now stored.
        positions: usize,
        /// Closed trades newly journaled.
        closed_inserted: usize,
        /// Signals stored.
        signals: usize,
        /// Outbox events newly enqueued.
        events_enqueued: usize,
    },
}

impl Store {
    /// The newest committed scan's as-of date and the open positions, read
    /// in one transaction (one consistent snapshot even while a scan
    /// commits). A scan computes from this and passes `newest` back as
    /// [`ScanCommit::base`].
    pub async fn scan_base(&self) -> Result<ScanBase> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let newest = newest_as_of!(tx);
            let positions = sqlx::query_as("SELECT * FROM positions ORDER BY ticker")
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(ScanBase { newest, positions })
        })
    }

    /// Commits one scan atomically and idempotently.
    ///
    /// In a single write transaction (holding the store's writer lock from
    /// its first statement, so the checks and the writes see the same
    /// state):
    /// - if `scan_runs` already has `as_of`, returns
    ///   [`CommitOutcome::AlreadyDone`];
    /// - else if `as_of` is older than the newest stored scan and
    ///   `backfill` is not set, fails with [`StoreError::OlderThanStored`];
    /// - else if the newest stored scan is not `base`, returns
    ///   [`CommitOutcome::Conflict`];
    ///
    /// all three writing nothing. A commit holding a NaN or infinite number
    /// is refused first with [`StoreError::InvalidInput`] naming the row and
    /// field: SQLite would turn a NaN into NULL and PostgreSQL would store
    /// it, and neither belongs in the state. Otherwise it replaces the open positions,
    /// journals closed trades (a trade already journaled is kept as it
    /// was), upserts the equity snapshot, stores the signals, enqueues the
    /// outbox events with their pending deliveries, and inserts the
    /// `scan_runs` row last. A process killed at any point leaves either all
    /// of it or none of it.
    pub async fn commit_scan(&self, c: &ScanCommit) -> Result<CommitOutcome> {
        c.check_finite()?;
        write_tx!(self, |tx| {
            let done: Option<(NaiveDate,)> =
                sqlx::query_as("SELECT as_of FROM scan_runs WHERE as_of = $1")
                    .bind(c.as_of)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                tx.rollback().await?;
                tracing::info!(as_of = %c.as_of, "scan already committed; nothing to do");
                return Ok(CommitOutcome::AlreadyDone);
            }
            let newest = newest_as_of!(tx);
            if let Some(newest) = newest.filter(|n| c.as_of < *n && !c.backfill) {
                tx.rollback().await?;
                return Err(StoreError::OlderThanStored {
                    as_of: c.as_of,
                    newest,
                });
            }
            if newest != c.base {
                tx.rollback().await?;
                let outcome = CommitOutcome::Conflict {
                    base: c.base,
                    newest,
                };
                tracing::info!(as_of = %c.as_of, ?outcome, "another scan committed first; nothing written");
                return Ok(outcome);
            }

            sqlx::query("DELETE FROM positions")
                .execute(&mut *tx)
                .await?;
            for p in &c.positions {
                sqlx::query(
                    "INSERT INTO positions (ticker, state_json, signal_date, entry_date, entry_fill, \
                     shares, size, stop, target, p_rally, last_price, last_date, bars_held, updated_as_of) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&p.ticker)
                .bind(&p.state_json)
                .bind(p.signal_date)
                .bind(p.entry_date)
                .bind(p.entry_fill)
                .bind(p.shares)
                .bind(p.size)
                .bind(p.stop)
                .bind(p.target)
                .bind(p.p_rally)
                .bind(p.last_price)
                .bind(p.last_date)
                .bind(p.bars_held)
                .bind(p.updated_as_of)
                .execute(&mut *tx)
                .await?;
            }

            let mut closed_inserted = 0;
            for t in &c.closed_trades {
                let r = sqlx::query(
                    "INSERT INTO closed_trades (ticker, signal_date, entry_date, exit_date, \
                     entry_fill, exit_price, stop, target, size, shares, p_rally, reason, bars_held, \
                     trade_return, pnl) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (ticker, signal_date) DO NOTHING",
                )
                .bind(&t.ticker)
                .bind(t.signal_date)
                .bind(t.entry_date)
                .bind(t.exit_date)
                .bind(t.entry_fill)
                .bind(t.exit_price)
                .bind(t.stop)
                .bind(t.target)
                .bind(t.size)
                .bind(t.shares)
                .bind(t.p_rally)
                .bind(&t.reason)
                .bind(t.bars_held)
                .bind(t.trade_return)
                .bind(t.pnl)
                .execute(&mut *tx)
                .await?;
                closed_inserted += r.rows_affected() as usize;
            }

            if let Some(e) = &c.equity {
                sqlx::query(
                    "INSERT INTO equity_snapshots (date, equity, cash, exposure, n_open) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (date) DO UPDATE SET \
                     equity = excluded.equity, cash = excluded.cash, \
                     exposure = excluded.exposure, n_open = excluded.n_open",
                )
                .bind(e.date)
                .bind(e.equity)
                .bind(e.cash)
                .bind(e.exposure)
                .bind(e.n_open)
                .execute(&mut *tx)
                .await?;
            }

            for s in &c.signals {
                // Upsert: the as-of gate above makes a conflict impossible unless
                // a caller passes the same ticker twice; the last one wins.
                sqlx::query(
                    "INSERT INTO signals (as_of, ticker, p_rally, compression, price, stop, \
                     target, size, setup_top_pct) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (as_of, ticker) DO UPDATE SET p_rally = excluded.p_rally, \
                     compression = excluded.compression, price = excluded.price, \
                     stop = excluded.stop, target = excluded.target, size = excluded.size, \
                     setup_top_pct = excluded.setup_top_pct",
                )
                .bind(s.as_of)
                .bind(&s.ticker)
                .bind(s.p_rally)
                .bind(s.compression)
                .bind(s.price)
                .bind(s.stop)
                .bind(s.target)
                .bind(s.size)
                .bind(s.setup_top_pct)
                .execute(&mut *tx)
                .await?;
            }

            let mut events_enqueued = 0;
            for ev in &c.events {
                if insert_event!(tx, ev, &c.backends, c.finished_at).is_some() {
                    events_enqueued += 1;
                }
            }

            sqlx::query(
                "INSERT INTO scan_runs (as_of, started_at, finished_at, n_scanned, n_signals, \
                 status, summary_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.as_of)
            .bind(Ts(c.started_at))
            .bind(Ts(c.finished_at))
            .bind(c.n_scanned)
            .bind(c.signals.len() as i64)
            .bind(&c.status)
            .bind(&c.summary_json)
            .execute(&mut *tx)
            .await?;

            tx.commit().await?;
            let outcome = CommitOutcome::Committed {
                positions: c.positions.len(),
                closed_inserted,
                signals: c.signals.len(),
                events_enqueued,
            };
            tracing::info!(as_of = %c.as_of, ?outcome, "scan committed");
            Ok(outcome)
        })
    }

    /// The system's open positions, by ticker.
    pub async fn open_positions(&self) -> Result<Vec<PositionRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM positions ORDER BY ticker"
        )
        .fetch_all(pool)
        .await?))
    }

    /// Closed trades, newest exit first (ties by ticker), at most `limit`
    /// (`None` = all).
    pub async fn closed_trades(&self, limit: Option<u32>) -> Result<Vec<ClosedTradeRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT ticker, signal_date, entry_date, exit_date, entry_fill, exit_price, stop, \
             target, size, shares, p_rally, reason, bars_held, trade_return, pnl \
             FROM closed_trades ORDER BY exit_date DESC, ticker ASC, signal_date DESC LIMIT $1",
        )
        .bind(row_limit(limit))
        .fetch_all(pool)
        .await?))
    }

    /// The last `last_n` equity snapshots (`None` = all), oldest first.
    pub async fn equity_history(&self, last_n: Option<u32>) -> Result<Vec<EquitySnapshot>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM (SELECT * FROM equity_snapshots ORDER BY date DESC LIMIT $1) AS recent \
             ORDER BY date ASC",
        )
        .bind(row_limit(last_n))
        .fetch_all(pool)
        .await?))
    }

    /// Signals of the latest committed scan, highest P(rally) first. Empty if
    /// the latest scan had no signals (older signals are not stale-served).
    pub async fn latest_signals(&self) -> Result<Vec<SignalRow>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
            "SELECT * FROM signals WHERE as_of = \
             (SELECT COALESCE((SELECT MAX(as_of) FROM scan_runs), (SELECT MAX(as_of) FROM signals))) \
             ORDER BY p_rally DESC, ticker ASC",
        )
        .fetch_all(pool)
        .await?)
        })
    }

    /// Signals of one as-of date, highest P(rally) first.
    pub async fn signals_on(&self, as_of: NaiveDate) -> Result<Vec<SignalRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM signals WHERE as_of = $1 ORDER BY p_rally DESC, ticker ASC",
        )
        .bind(as_of)
        .fetch_all(pool)
        .await?))
    }

    /// The newest committed scan run.
    pub async fn last_scan_run(&self) -> Result<Option<ScanRun>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM scan_runs ORDER BY as_of DESC LIMIT 1"
        )
        .fetch_optional(pool)
        .await?))
    }

    /// The scan run of one as-of date, if committed.
    pub async fn scan_run(&self, as_of: NaiveDate) -> Result<Option<ScanRun>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM scan_runs WHERE as_of = $1"
        )
        .bind(as_of)
        .fetch_optional(pool)
        .await?))
    }
}

impl ScanCommit {
    /// Refuses a non-finite number anywhere in the commit, naming where.
    fn check_finite(&self) -> Result<()> {
        let bad = |what: String, field: &str, v: f64| {
            StoreError::InvalidInput(format!("{what}: {field} is {v}, not a finite number"))
        };
        let check = |what: &dyn Fn() -> String, fields: &[(&str, Option<f64>)]| match fields
            .iter()
            .find(|(_, v)| v.is_some_and(|v| !v.is_finite()))
        {
            Some((field, Some(v))) => Err(bad(what(), field, *v)),
            _ => Ok(()),
        };
        for p in &self.positions {
            check(
                &|| format!("position {}", p.ticker),
                &[
                    ("entry_fill", p.entry_fill),
                    ("shares", p.shares),
                    ("size", Some(p.size)),
                    ("stop", Some(p.stop)),
                    ("target", Some(p.target)),
                    ("p_rally", Some(p.p_rally)),
                    ("last_price", Some(p.last_price)),
                ],
            )?;
        }
        for t in &self.closed_trades {
            check(
                &|| format!("closed trade {} of {}", t.ticker, t.signal_date),
                &[
                    ("entry_fill", Some(t.entry_fill)),
                    ("exit_price", Some(t.exit_price)),
                    ("stop", Some(t.stop)),
                    ("target", Some(t.target)),
                    ("size", Some(t.size)),
                    ("shares", Some(t.shares)),
                    ("p_rally", Some(t.p_rally)),
                    ("trade_return", Some(t.trade_return)),
                    ("pnl", Some(t.pnl)),
                ],
            )?;
        }
        if let Some(e) = &self.equity {
            check(
                &|| format!("equity snapshot of {}", e.date),
                &[
                    ("equity", Some(e.equity)),
                    ("cash", Some(e.cash)),
                    ("exposure", Some(e.exposure)),
                ],
            )?;
        }
        for s in &self.signals {
            check(
                &|| format!("signal {}", s.ticker),
                &[
                    ("p_rally", Some(s.p_rally)),
                    ("compression", Some(s.compression)),
                    ("price", Some(s.price)),
                    ("stop", Some(s.stop)),
                    ("target", Some(s.target)),
                    ("size", Some(s.size)),
                    ("setup_top_pct", s.setup_top_pct),
                ],
            )?;
        }
        Ok(())
    }
}

/// A `LIMIT` for an optional row count: both backends take the largest
/// integer as "no limit" (PostgreSQL refuses SQLite's `-1`).
pub(crate) fn row_limit(limit: Option<u32>) -> i64 {
    limit.map_or(i64::MAX, i64::from)
}
