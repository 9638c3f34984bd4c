//! A state store filled with realistic rows through the store's own scan
//! commit: a month of equity, open positions in profit and in loss (and a
//! pending entry), closed trades with every exit reason, signals, a market
//! summary and alert outbox rows.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rally_store::{
    ClosedTradeRow, EquitySnapshot, NewOutboxEvent, PositionRow, ScanCommit, SignalRow, Store,
};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The last scan's as-of date.
pub const LAST: (i32, u32, u32) = (2024, 5, 31);

fn position(
    ticker: &str,
    entry: NaiveDate,
    fill: f64,
    last: f64,
    stop: f64,
    target: f64,
    bars: i64,
) -> PositionRow {
    let as_of = d(LAST.0, LAST.1, LAST.2);
    PositionRow {
        ticker: ticker.into(),
        state_json: "{}".into(),
        signal_date: entry - Duration::days(1),
        entry_date: Some(entry),
        entry_fill: Some(fill),
        shares: Some((10_000.0 / fill).floor()),
        size: 0.1,
        stop,
        target,
        p_rally: 0.64,
        last_price: last,
        last_date: as_of,
        bars_held: bars,
        updated_as_of: as_of,
    }
}

fn closed(
    ticker: &str,
    entry: NaiveDate,
    exit: NaiveDate,
    fill: f64,
    exit_price: f64,
    reason: &str,
) -> ClosedTradeRow {
    let shares = (10_000.0 / fill).floor();
    ClosedTradeRow {
        ticker: ticker.into(),
        signal_date: entry - Duration::days(1),
        entry_date: entry,
        exit_date: exit,
        entry_fill: fill,
        exit_price,
        stop: fill * 0.95,
        target: fill * 1.10,
        size: 0.1,
        shares,
        p_rally: 0.61,
        reason: reason.into(),
        bars_held: (exit - entry).num_days(),
        trade_return: exit_price / fill - 1.0,
        pnl: (exit_price - fill) * shares,
    }
}

fn base_commit(as_of: NaiveDate, equity: f64) -> ScanCommit {
    let at = Utc.from_utc_datetime(&as_of.and_hms_opt(21, 30, 0).unwrap());
    ScanCommit {
        as_of,
        started_at: at,
        finished_at: at + Duration::seconds(42),
        n_scanned: 14,
        status: "ok".into(),
        positions: Vec::new(),
        closed_trades: Vec::new(),
        equity: Some(EquitySnapshot {
            date: as_of,
            equity,
            cash: equity * 0.7,
            // A fraction of equity, as the scanner stores it.
            exposure: 0.3,
            n_open: 3,
        }),
        signals: Vec::new(),
        events: Vec::new(),
        summary_json: None,
        backends: Vec::new(),
        base: None,
        backfill: false,
    }
}

/// Commits `c` on top of whatever the store holds (these fixtures write
/// their days in order, one writer at a time).
async fn commit_on_base(store: &Store, mut c: ScanCommit) -> rally_store::CommitOutcome {
    c.base = store.scan_base().await.unwrap().newest;
    store.commit_scan(&c).await.unwrap()
}

/// Fills `<root>/models/rally.db` (the layout of `StateDir::new(root)`).
pub async fn fill_store(root: &Path) {
    let models = root.join("models");
    std::fs::create_dir_all(&models).unwrap();
    // A model file that cannot be read: the health tab lists it as corrupt.
    std::fs::write(models.join("BAD.msgpack"), b"not a model").unwrap();
    let store = Store::open(&models.join("rally.db").display().to_string())
        .await
        .unwrap();
    let last = d(LAST.0, LAST.1, LAST.2);
    // A month of daily scans with a rising-then-dipping equity curve.
    let mut day = last - Duration::days(40);
    let mut i = 0;
    while day < last {
        let eq = 100_000.0 + 300.0 * i as f64 - if i > 20 { 150.0 * (i - 20) as f64 } else { 0.0 };
        commit_on_base(&store, base_commit(day, eq)).await;
        day += Duration::days(1);
        i += 1;
    }
    let mut c = base_commit(last, 104_321.0);
    c.positions = vec![
        position("AAPL", d(2024, 5, 20), 180.0, 189.9, 171.0, 198.0, 8),
        position("MSFT", d(2024, 5, 24), 420.0, 409.5, 399.0, 462.0, 5),
        PositionRow {
            entry_date: None,
            entry_fill: None,
            shares: None,
            bars_held: 0,
            ..position("NVDA", last, 1100.0, 1096.3, 1045.0, 1210.0, 0)
        },
    ];
    c.closed_trades = vec![
        closed(
            "AMZN",
            d(2024, 5, 2),
            d(2024, 5, 28),
            180.0,
            198.0,
            "target",
        ),
        closed("META", d(2024, 5, 6), d(2024, 5, 27), 470.0, 446.5, "stop"),
        closed(
            "GOOGL",
            d(2024, 4, 29),
            d(2024, 5, 22),
            165.0,
            171.6,
            "exhaustion",
        ),
        closed("QQQ", d(2024, 4, 15), d(2024, 5, 15), 430.0, 428.7, "time"),
        closed("SPY", d(2024, 4, 10), d(2024, 5, 10), 510.0, 515.0, "end"),
    ];
    c.signals = vec![
        SignalRow {
            as_of: last,
            ticker: "AMD".into(),
            p_rally: 0.712,
            compression: 0.081,
            price: 166.4,
            stop: 158.1,
            target: 183.0,
            size: 0.08,
            setup_top_pct: Some(12.0),
        },
        SignalRow {
            as_of: last,
            ticker: "TSLA".into(),
            p_rally: 0.655,
            compression: 0.112,
            price: 178.1,
            stop: 169.2,
            target: 195.9,
            size: 0.06,
            setup_top_pct: None,
        },
    ];
    c.summary_json = Some(
        r#"{"vix":12.9,"vix_label":"calm","breadth":{"n":14,"above_sma50":0.643,"above_sma200":0.857,"golden_crosses":["AMD"],"vix":12.9,"vix_label":"calm"},"watchlist":[{"ticker":"NFLX","date":"2024-05-31","p_rally":0.583,"compression":0.142,"close":641.25},{"ticker":"CRM","date":"2024-05-31","p_rally":0.561,"compression":0.197,"close":234.8}],"benchmark":{"since":"2024-05-01","system_return":0.0103,"buy_hold_return":0.0417,"every_compressed_return":-0.0052,"tickers":14,"figures":{"dates":23,"annualised":true,"system":{"total_return":0.0103,"cagr":0.1317,"sharpe":1.42,"sortino":2.05,"max_drawdown":-0.0121,"exposure":0.214},"buy_hold":{"total_return":0.0417,"cagr":0.6195,"sharpe":3.1,"sortino":4.87,"max_drawdown":-0.0233,"exposure":1.0},"every_compressed":{"total_return":-0.0052,"cagr":-0.0601,"sharpe":-0.45,"sortino":-0.62,"max_drawdown":-0.0148,"exposure":0.302}}}}"#
            .into(),
    );
    c.events = vec![NewOutboxEvent {
        dedupe_key: "signals:2024-05-31".into(),
        kind: "signals".into(),
        payload_json: "{}".into(),
    }];
    c.backends = vec!["discord".into(), "webhook".into()];
    commit_on_base(&store, c).await;
    store.close().await;
}

/// [`fill_store`] on a private runtime.
pub fn fill_store_blocking(root: &Path) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fill_store(root));
}
