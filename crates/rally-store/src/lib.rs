//! The rally detector's state store: one database holding the system's open
//! positions, its closed-trade journal, daily equity snapshots, scan runs,
//! the signals of each scan, the alert outbox with per-backend delivery
//! state, and the Discord users' own trade journals. It is a SQLite file by
//! default (sqlx, WAL mode, busy timeout) or a PostgreSQL database when the
//! URL says `postgres://` ([`Backend`]); every query is shared, and every
//! guarantee below holds on both.
//!
//! The store is deliberately dumb about trading: it persists rows that the
//! pipeline computes (the trade state machine's state is an opaque JSON
//! string here) and guarantees atomicity and idempotence of a scan commit
//! ([`Store::commit_scan`]), and that a scan computed from a state another
//! scan has since replaced is not committed ([`Store::scan_base`]). It does not compute P&L, size positions, render
//! or send alerts (see `rally-notify`), or validate tickers.
//!
//! It only ever opens its own databases: a SQLite file that is not empty and
//! does not carry its marker ([`APPLICATION_ID`]), or a PostgreSQL schema
//! holding other tables, is refused unchanged, and
//! readers that must not write use [`Store::open_read_only`].
//!
//! All SQL is runtime `sqlx::query`/`query_as` with bound parameters; no
//! database is needed at compile time.

mod copy;
mod error;
mod export;
mod identity;
mod outbox;
mod postgres;
mod rows;
mod scan;
mod sqlite;
mod store;
mod time;
mod users;

pub use copy::{CopyReport, StateDump, Value};
pub use error::{ForeignReason, StoreError};
pub use export::{EQUITY_CSV, JOURNAL_CSV};
pub use identity::APPLICATION_ID;
pub use outbox::{
    Claim, DeadDelivery, DeliveryStatus, NewOutboxEvent, OutboxStatusCount, PendingDelivery,
};
pub use rows::{
    ClosedTradeRow, EquitySnapshot, PositionRow, ScanRun, SignalRow, UserRow, UserTradeRow,
};
pub use scan::{CommitOutcome, ScanBase, ScanCommit};
pub use store::{Backend, Store, shown_url};
pub use time::format_ts;
pub use users::{NewUserTrade, TradeClose};

/// Result alias of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
