-- Rally detector state store, initial schema.
-- Dates are ISO-8601 text (YYYY-MM-DD); timestamps are RFC 3339 UTC text with a
-- fixed width (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that text comparison orders them.
-- Money and prices are REAL.

-- One row per scan as-of date; written last inside the scan's transaction, so
-- its presence means "this scan's state is fully committed" (idempotence key).
CREATE TABLE scan_runs (
    as_of       TEXT PRIMARY KEY NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    n_scanned   INTEGER NOT NULL CHECK (n_scanned >= 0),
    n_signals   INTEGER NOT NULL CHECK (n_signals >= 0),
    status      TEXT NOT NULL
);

-- The system's open (or pending-entry) positions, one per ticker.
CREATE TABLE positions (
    ticker        TEXT PRIMARY KEY NOT NULL,
    state_json    TEXT NOT NULL,          -- trade state machine state, opaque here
    signal_date   TEXT NOT NULL,
    entry_date    TEXT,                   -- NULL while the entry is pending
    entry_fill    REAL,
    shares        REAL,
    size          REAL NOT NULL,          -- fraction of equity
    stop          REAL NOT NULL,
    target        REAL NOT NULL,
    p_rally       REAL NOT NULL,
    last_price    REAL NOT NULL,
    last_date     TEXT NOT NULL,
    bars_held     INTEGER NOT NULL DEFAULT 0,
    updated_as_of TEXT NOT NULL
);

-- The system's trade journal. (ticker, signal_date) identifies a trade, so a
-- re-run scan cannot journal the same trade twice.
CREATE TABLE closed_trades (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticker       TEXT NOT NULL,
    signal_date  TEXT NOT NULL,
    entry_date   TEXT NOT NULL,
    exit_date    TEXT NOT NULL,
    entry_fill   REAL NOT NULL,
    exit_price   REAL NOT NULL,
    stop         REAL NOT NULL,
    target       REAL NOT NULL,
    size         REAL NOT NULL,
    shares       REAL NOT NULL,
    p_rally      REAL NOT NULL,
    reason       TEXT NOT NULL,
    bars_held    INTEGER NOT NULL,
    trade_return REAL NOT NULL,           -- fraction: 0.05 = +5 %
    pnl          REAL NOT NULL,           -- money, equity units
    UNIQUE (ticker, signal_date)
);
CREATE INDEX closed_trades_exit ON closed_trades (exit_date);

CREATE TABLE equity_snapshots (
    date     TEXT PRIMARY KEY NOT NULL,
    equity   REAL NOT NULL,
    cash     REAL NOT NULL,
    exposure REAL NOT NULL,
    n_open   INTEGER NOT NULL
);

-- Entry signals of each scan (what /signals shows).
CREATE TABLE signals (
    as_of       TEXT NOT NULL,
    ticker      TEXT NOT NULL,
    p_rally     REAL NOT NULL,
    compression REAL NOT NULL,
    price       REAL NOT NULL,
    stop        REAL NOT NULL,
    target      REAL NOT NULL,
    size        REAL NOT NULL,
    PRIMARY KEY (as_of, ticker)
);

-- Alert outbox: events are recorded in the scan's transaction, delivered later.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key   TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- Delivery state per (event, backend). 'delivered' is terminal.
CREATE TABLE outbox_delivery (
    event_id        INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    backend         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    PRIMARY KEY (event_id, backend)
);
CREATE INDEX outbox_delivery_due ON outbox_delivery (status, next_attempt_at);

-- Discord users of the bot.
CREATE TABLE users (
    discord_id TEXT PRIMARY KEY NOT NULL,
    capital    REAL CHECK (capital IS NULL OR capital > 0),
    created_at TEXT NOT NULL
);

-- Per-user trade journal. Rows are only ever read or changed with user_id in
-- the WHERE clause.
CREATE TABLE user_trades (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     TEXT NOT NULL REFERENCES users (discord_id) ON DELETE CASCADE,
    ticker      TEXT NOT NULL,
    entry_price REAL NOT NULL CHECK (entry_price > 0),
    size        REAL NOT NULL CHECK (size > 0),
    stop        REAL,
    target      REAL,
    entered_at  TEXT NOT NULL,
    exit_price  REAL CHECK (exit_price IS NULL OR exit_price > 0),
    exited_at   TEXT,
    notes       TEXT,
    pnl_pct     REAL,
    pnl_usd     REAL
);
CREATE INDEX user_trades_open ON user_trades (user_id, ticker, exited_at);
CREATE INDEX user_trades_exited ON user_trades (user_id, exited_at);
