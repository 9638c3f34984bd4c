//! Integration tests of the store's guarantees, each run on both backends:
//! a real SQLite file in a temporary directory, and a fresh database on the
//! real PostgreSQL server `RALLY_TEST_POSTGRES_URL` names (skipped, with one
//! line saying so, when it is unset; `.ci/run` sets it).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rally_store::*;

#[macro_use]
mod common;

on_both_backends!(
    commit_scan_is_idempotent_and_readable,
    failed_commit_leaves_nothing,
    outbox_state_transitions,
    users_are_isolated_and_fifo,
    concurrent_writers_do_not_lock,
    csv_exports_are_deterministic,
    multi_part_progress_only_moves_forward,
    a_state_moves_between_backends_unchanged,
);

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, 0, 0).unwrap()
}

async fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("models/rally.db").to_str().unwrap())
        .await
        .unwrap();
    (dir, store)
}

fn position(ticker: &str, as_of: &str) -> PositionRow {
    PositionRow {
        ticker: ticker.into(),
        state_json: format!(r#"{{"state":"open","ticker":"{ticker}"}}"#),
        signal_date: d("2024-04-29"),
        entry_date: Some(d("2024-04-30")),
        entry_fill: Some(101.25),
        shares: Some(12.0),
        size: 0.1,
        stop: 95.0,
        target: 115.5,
        p_rally: 0.62,
        last_price: 103.0,
        last_date: d(as_of),
        bars_held: 2,
        updated_as_of: d(as_of),
    }
}

fn closed(ticker: &str, signal: &str, exit: &str, pnl: f64) -> ClosedTradeRow {
    ClosedTradeRow {
        ticker: ticker.into(),
        signal_date: d(signal),
        entry_date: d(signal) + Duration::days(1),
        exit_date: d(exit),
        entry_fill: 50.0,
        exit_price: 55.0,
        stop: 47.0,
        target: 56.0,
        size: 0.1,
        shares: 20.0,
        p_rally: 0.7,
        reason: "target, then \"exhaustion\"".into(),
        bars_held: 5,
        trade_return: 0.1,
        pnl,
    }
}

fn commit(as_of: &str, tickers: &[&str]) -> ScanCommit {
    ScanCommit {
        as_of: d(as_of),
        base: None,
        backfill: false,
        started_at: t(21),
        finished_at: t(22),
        n_scanned: 40,
        status: "ok".into(),
        positions: tickers.iter().map(|x| position(x, as_of)).collect(),
        closed_trades: vec![closed("MSFT", "2024-04-01", as_of, 100.0)],
        equity: Some(EquitySnapshot {
            date: d(as_of),
            equity: 101_000.0,
            cash: 80_000.0,
            exposure: 21_000.0,
            n_open: tickers.len() as i64,
        }),
        signals: vec![
            SignalRow {
                as_of: d(as_of),
                ticker: "NVDA".into(),
                p_rally: 0.71,
                compression: 0.05,
                price: 900.0,
                stop: 860.0,
                target: 990.0,
                size: 0.08,
                setup_top_pct: Some(12.5),
            },
            SignalRow {
                as_of: d(as_of),
                ticker: "AMD".into(),
                p_rally: 0.66,
                compression: 0.07,
                price: 150.0,
                stop: 140.0,
                target: 170.0,
                size: 0.07,
                setup_top_pct: None,
            },
        ],
        events: vec![NewOutboxEvent {
            dedupe_key: format!("signals:{as_of}"),
            kind: "signals".into(),
            payload_json: "{}".into(),
        }],
        summary_json: Some(r#"{"vix":18.5}"#.into()),
        backends: vec!["discord".into(), "webhook".into()],
    }
}

/// Every table's full contents as text, for before/after comparisons.
async fn dump(store: &Store) -> Vec<String> {
    store.dump().await.unwrap().lines()
}

#[tokio::test]
async fn open_creates_dirs_wal_and_schema() {
    let (dir, store) = fresh().await;
    assert!(dir.path().join("models/rally.db").exists());
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(store.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys")
        .fetch_one(store.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
        .fetch_one(store.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert!(busy >= 5000, "busy timeout {busy}");
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(store.sqlite_pool().unwrap())
            .await
            .unwrap();
    let names: Vec<_> = tables.into_iter().map(|(n,)| n).collect();
    for want in [
        "closed_trades",
        "equity_snapshots",
        "outbox",
        "outbox_delivery",
        "positions",
        "scan_runs",
        "signals",
        "user_trades",
        "users",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "missing {want} in {names:?}"
        );
    }
    // A column the copy and the dump do not know is named.
    assert!(store.uncopied_columns().await.unwrap().is_empty());
    sqlx::query("ALTER TABLE signals ADD COLUMN note TEXT")
        .execute(store.sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(store.uncopied_columns().await.unwrap(), ["signals.note"]);
    store.close().await;
    // Reopening applies no migration twice.
    let again = Store::open(dir.path().join("models/rally.db").to_str().unwrap())
        .await
        .unwrap();
    assert!(again.last_scan_run().await.unwrap().is_none());
    // sqlite: URLs work too.
    let url = format!("sqlite://{}", dir.path().join("other/x.db").display());
    Store::open(&url).await.unwrap();
    assert!(dir.path().join("other/x.db").exists());
    // Other schemes are refused without echoing the URL (it may hold a
    // password); a PostgreSQL server that is not there says so, without it.
    assert!(matches!(
        Store::open("mysql://user:hunter2@host/db").await,
        Err(StoreError::UnsupportedUrl(m)) if !m.contains("hunter2")
    ));
    match Store::open("postgres://user:hunter2@127.0.0.1:1/db").await {
        // The cause itself (refused), not the pool's timeout after retrying.
        Err(
            e @ StoreError::ServerOpen {
                error: sqlx::Error::Io(_),
                ..
            },
        ) => {
            let text = e.to_string();
            assert!(text.contains("postgres://127.0.0.1:1/db"), "{text}");
            assert!(
                !text.contains("hunter2") && !text.contains("user@"),
                "{text}"
            );
        }
        other => panic!("expected ServerOpen, got {other:?}"),
    }
}

#[tokio::test]
async fn default_url_resolution() {
    // `set_var` is unsafe in edition 2024 (and racy across test threads), so
    // only the unset branch is checked, when the environment allows it.
    let base = std::path::Path::new("/srv/rally");
    if std::env::var("DATABASE_URL").is_err() {
        assert_eq!(Store::default_url(base), "/srv/rally/models/rally.db");
    }
}

async fn commit_scan_is_idempotent_and_readable(url: &str, _dir: &Path) {
    let store = Store::open(url).await.unwrap();
    let c = commit("2024-05-01", &["AAPL", "TSLA"]);
    let first = store.commit_scan(&c).await.unwrap();
    assert_eq!(
        first,
        CommitOutcome::Committed {
            positions: 2,
            closed_inserted: 1,
            signals: 2,
            events_enqueued: 1
        }
    );
    let before = dump(&store).await;
    assert!(!before.is_empty());

    // Same as-of again, even with different content: nothing changes.
    let mut c2 = commit("2024-05-01", &["XOM"]);
    c2.finished_at = t(23);
    assert_eq!(
        store.commit_scan(&c2).await.unwrap(),
        CommitOutcome::AlreadyDone
    );
    assert_eq!(
        store.commit_scan(&c).await.unwrap(),
        CommitOutcome::AlreadyDone
    );
    assert_eq!(dump(&store).await, before);

    // Readers return exactly what went in.
    assert_eq!(store.open_positions().await.unwrap(), c.positions);
    assert_eq!(
        store.closed_trades(Some(10)).await.unwrap(),
        c.closed_trades
    );
    assert_eq!(
        store.equity_history(Some(30)).await.unwrap(),
        vec![c.equity.clone().unwrap()]
    );
    let sigs = store.latest_signals().await.unwrap();
    assert_eq!(
        sigs.iter().map(|s| s.ticker.as_str()).collect::<Vec<_>>(),
        ["NVDA", "AMD"]
    );
    // A v2 signal keeps its rank among the training setups; classic has none.
    assert_eq!(sigs, c.signals);
    assert_eq!(sigs[0].signal().setup_top_pct, Some(12.5));
    let run = store.last_scan_run().await.unwrap().unwrap();
    assert_eq!(run.as_of, d("2024-05-01"));
    assert_eq!(run.n_signals, 2);
    assert_eq!(run.started_at, t(21));
    assert_eq!(run.finished_at, t(22));

    // Next day: positions replaced, journal deduplicated, equity accumulates.
    let mut next = commit("2024-05-02", &["TSLA"]);
    next.base = Some(d("2024-05-01"));
    next.closed_trades
        .push(closed("AAPL", "2024-04-29", "2024-05-02", -20.0));
    next.signals.clear();
    let out = store.commit_scan(&next).await.unwrap();
    assert_eq!(
        out,
        CommitOutcome::Committed {
            positions: 1,
            closed_inserted: 1,
            signals: 0,
            events_enqueued: 1
        }
    );
    let pos = store.open_positions().await.unwrap();
    assert_eq!(pos.len(), 1);
    assert_eq!(pos[0].ticker, "TSLA");
    let journal = store.closed_trades(None).await.unwrap();
    assert_eq!(journal.len(), 2, "MSFT journaled once");
    assert_eq!(journal[0].ticker, "AAPL", "newest exit first");
    assert_eq!(store.closed_trades(Some(1)).await.unwrap().len(), 1);
    let eq = store.equity_history(Some(1)).await.unwrap();
    assert_eq!(eq.len(), 1);
    assert_eq!(eq[0].date, d("2024-05-02"));
    assert_eq!(store.equity_history(None).await.unwrap().len(), 2);
    // The latest scan had no signals: /signals shows none rather than stale ones.
    assert!(store.latest_signals().await.unwrap().is_empty());
    assert_eq!(store.signals_on(d("2024-05-01")).await.unwrap().len(), 2);
}

async fn failed_commit_leaves_nothing(url: &str, _dir: &Path) {
    let store = Store::open(url).await.unwrap();
    store
        .commit_scan(&commit("2024-05-01", &["AAPL"]))
        .await
        .unwrap();
    let before = dump(&store).await;
    // The scan_runs row is written last, and its CHECK refuses a negative
    // count: the transaction fails after positions, journal, signals and
    // outbox were written inside it.
    let mut bad = commit("2024-05-02", &["TSLA", "XOM"]);
    bad.base = Some(d("2024-05-01"));
    bad.n_scanned = -1;
    assert!(matches!(
        store.commit_scan(&bad).await,
        Err(StoreError::Db(_))
    ));
    assert_eq!(dump(&store).await, before);
    // A NaN is refused before anything is written, naming where it is
    // (SQLite would store NULL, PostgreSQL the NaN).
    let mut nan = commit("2024-05-02", &["TSLA"]);
    nan.base = Some(d("2024-05-01"));
    nan.signals[1].p_rally = f64::NAN;
    match store.commit_scan(&nan).await {
        Err(e @ StoreError::InvalidInput(_)) => {
            assert!(e.to_string().contains("signal AMD: p_rally is NaN"), "{e}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(dump(&store).await, before);
    assert!(store.scan_run(d("2024-05-02")).await.unwrap().is_none());
}

async fn outbox_state_transitions(url: &str, _dir: &Path) {
    let store = Store::open(url).await.unwrap();
    store
        .commit_scan(&commit("2024-05-01", &["AAPL"]))
        .await
        .unwrap();
    let now = t(22);
    let due = store.pending_deliveries(now, 100).await.unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(
        due.iter().map(|p| p.backend.as_str()).collect::<Vec<_>>(),
        ["discord", "webhook"]
    );
    let id = due[0].event_id;
    assert_eq!(due[0].kind, "signals");
    assert_eq!(due[0].dedupe_key, "signals:2024-05-01");
    // Not yet due before creation time.
    assert!(
        store
            .pending_deliveries(t(21), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Claims are exclusive until the lease ends.
    let claim = store
        .claim_delivery(id, "discord", now, now + Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(
        claim,
        Some(Claim {
            attempts: 0,
            parts_done: 0
        })
    );
    assert!(
        store
            .claim_delivery(id, "discord", now, now + Duration::minutes(10))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.pending_deliveries(now, 100).await.unwrap().len(), 1);
    assert!(
        store
            .claim_delivery(
                id,
                "discord",
                now + Duration::minutes(10),
                now + Duration::minutes(20)
            )
            .await
            .unwrap()
            .is_some()
    );

    // Success is terminal.
    assert!(store.mark_delivered(id, "discord").await.unwrap());
    assert!(!store.mark_delivered(id, "discord").await.unwrap());
    assert_eq!(
        store
            .mark_failed(id, "discord", "late failure", now, 3)
            .await
            .unwrap(),
        Some(DeliveryStatus::Delivered)
    );
    assert_eq!(
        store.delivery_status(id, "discord").await.unwrap(),
        Some(DeliveryStatus::Delivered)
    );

    // Failures back off, then die after max attempts.
    let later = now + Duration::minutes(5);
    assert_eq!(
        store
            .mark_failed(id, "webhook", "HTTP 503", later, 3)
            .await
            .unwrap(),
        Some(DeliveryStatus::Pending)
    );
    assert!(
        store.pending_deliveries(now, 100).await.unwrap().is_empty(),
        "backing off"
    );
    let due = store.pending_deliveries(later, 100).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempts, 1);
    store
        .mark_failed(id, "webhook", "HTTP 503", later, 3)
        .await
        .unwrap();
    assert_eq!(
        store
            .mark_failed(id, "webhook", "HTTP 500", later, 3)
            .await
            .unwrap(),
        Some(DeliveryStatus::Dead)
    );
    assert!(
        store
            .pending_deliveries(later + Duration::days(1), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = store.dead_events().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].last_error.as_deref(), Some("HTTP 500"));

    let counts = store.outbox_status().await.unwrap();
    assert_eq!(
        counts,
        vec![
            OutboxStatusCount {
                backend: "discord".into(),
                pending: 0,
                delivered: 1,
                dead: 0
            },
            OutboxStatusCount {
                backend: "webhook".into(),
                pending: 0,
                delivered: 0,
                dead: 1
            },
        ]
    );

    // Dedupe: enqueueing the same key again does nothing.
    let ev = NewOutboxEvent {
        dedupe_key: "signals:2024-05-01".into(),
        kind: "signals".into(),
        payload_json: "{}".into(),
    };
    assert_eq!(
        store
            .enqueue_event(&ev, &["discord".into()], now)
            .await
            .unwrap(),
        None
    );
    let ev2 = NewOutboxEvent {
        dedupe_key: "retrain:2024-05-05".into(),
        ..ev
    };
    assert!(
        store
            .enqueue_event(&ev2, &["discord".into()], now)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.pending_deliveries(now, 100).await.unwrap().len(), 1);

    // A dead delivery can be revived by an operator.
    assert_eq!(store.requeue_dead(Some("webhook"), now).await.unwrap(), 1);
    assert_eq!(store.pending_deliveries(now, 100).await.unwrap().len(), 2);
}

async fn users_are_isolated_and_fifo(url: &str, _dir: &Path) {
    let store = Store::open(url).await.unwrap();
    let alice = "111";
    let bob = "222";
    let u = store.ensure_user(alice).await.unwrap();
    assert_eq!(u.capital, None);
    assert_eq!(store.ensure_user(alice).await.unwrap(), u, "idempotent");
    assert_eq!(
        store.set_capital(alice, 10_000.0).await.unwrap().capital,
        Some(10_000.0)
    );
    assert!(matches!(
        store.set_capital(alice, -1.0).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        store.set_capital(alice, f64::INFINITY).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(
        store.user(alice).await.unwrap().unwrap().capital,
        Some(10_000.0)
    );

    let entry = |user: &str, price: f64, h: u32| NewUserTrade {
        user_id: user.into(),
        ticker: "AAPL".into(),
        entry_price: price,
        size: 0.1,
        stop: Some(price * 0.95),
        target: None,
        entered_at: t(h),
    };
    // Inserted out of time order: FIFO is by entry time.
    let second = store
        .insert_user_trade(&entry(alice, 110.0, 12))
        .await
        .unwrap();
    let first = store
        .insert_user_trade(&entry(alice, 100.0, 10))
        .await
        .unwrap();
    let bobs = store.insert_user_trade(&entry(bob, 90.0, 9)).await.unwrap();
    assert!(
        store.user(bob).await.unwrap().is_some(),
        "registered on first use"
    );
    assert!(
        store
            .insert_user_trade(&entry(alice, 0.0, 9))
            .await
            .is_err()
    );

    let open = store.open_user_trades(alice, "AAPL").await.unwrap();
    assert_eq!(
        open.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );
    assert_eq!(
        store.open_user_trades(bob, "AAPL").await.unwrap(),
        vec![bobs.clone()]
    );

    let close = TradeClose {
        exit_price: 120.0,
        exited_at: t(15),
        notes: Some("took profit".into()),
        pnl_pct: Some(20.0),
        pnl_usd: Some(200.0),
    };
    // Bob cannot close Alice's trade, even knowing its id.
    assert!(
        store
            .close_user_trade(first.id, bob, &close)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.open_user_trades(alice, "AAPL").await.unwrap().len() == 2);
    let closed = store
        .close_user_trade(first.id, alice, &close)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.exit_price, Some(120.0));
    assert_eq!(closed.exited_at, Some(t(15)));
    assert!(!closed.is_open());
    // Closing twice is refused.
    assert!(
        store
            .close_user_trade(first.id, alice, &close)
            .await
            .unwrap()
            .is_none()
    );

    // FIFO close picks the oldest remaining lot.
    let fifo = store
        .close_oldest_user_trade(alice, "AAPL", |open| TradeClose {
            pnl_pct: Some((120.0 / open.entry_price - 1.0) * 100.0),
            ..close.clone()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fifo.id, second.id);
    assert!(
        store
            .close_oldest_user_trade(alice, "AAPL", |_| close.clone())
            .await
            .unwrap()
            .is_none()
    );

    let hist = store.user_trades(alice, None, None).await.unwrap();
    assert_eq!(hist.len(), 2);
    assert!(hist.iter().all(|r| r.user_id == alice));
    assert_eq!(hist[0].id, second.id, "newest entry first");
    assert_eq!(
        store
            .user_trades(alice, Some("MSFT"), None)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        store
            .user_trades(alice, Some("AAPL"), Some(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.user_trades(bob, None, Some(10)).await.unwrap(),
        vec![bobs]
    );

    assert_eq!(store.user_closed_since(alice, None).await.unwrap().len(), 2);
    assert_eq!(
        store
            .user_closed_since(alice, Some(t(15)))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .user_closed_since(alice, Some(t(16)))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(store.user_closed_since(bob, None).await.unwrap().len(), 0);
}

async fn concurrent_writers_do_not_lock(url: &str, _dir: &Path) {
    let path = url.to_owned();
    Store::open(&path).await.unwrap();
    // Separate stores (separate pools) on one file, as the bot and the scanner.
    let mut handles = Vec::new();
    for task in 0..8u32 {
        let path = path.clone();
        handles.push(tokio::spawn(async move {
            let store = Store::open(&path).await.unwrap();
            let user = format!("user{}", task % 3);
            for i in 0..25u32 {
                store.ensure_user(&user).await.unwrap();
                store
                    .insert_user_trade(&NewUserTrade {
                        user_id: user.clone(),
                        ticker: "SPY".into(),
                        entry_price: 100.0 + f64::from(i),
                        size: 0.05,
                        stop: None,
                        target: None,
                        entered_at: t(10) + Duration::seconds(i64::from(task * 100 + i)),
                    })
                    .await
                    .unwrap();
                if i % 2 == 1 {
                    store
                        .close_oldest_user_trade(&user, "SPY", |_| TradeClose {
                            exit_price: 101.0,
                            exited_at: t(20),
                            notes: None,
                            pnl_pct: None,
                            pnl_usd: None,
                        })
                        .await
                        .unwrap()
                        .unwrap();
                }
                let day = d("2024-01-01") + Duration::days(i64::from(task * 25 + i));
                // Days of different tasks interleave: each is a backfill
                // that retries while other tasks commit first.
                let mut c = commit(&day.to_string(), &["AAPL"]);
                c.backfill = true;
                loop {
                    c.base = store.scan_base().await.unwrap().newest;
                    match store.commit_scan(&c).await.unwrap() {
                        CommitOutcome::Conflict { .. } => continue,
                        out => {
                            assert!(matches!(out, CommitOutcome::Committed { .. }));
                            break;
                        }
                    }
                }
                store.outbox_status().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let store = Store::open(&path).await.unwrap();
    let state = store.dump().await.unwrap();
    assert_eq!(state.tables["user_trades"].len(), 200);
    let mut open = 0;
    for u in 0..3 {
        open += store
            .all_open_user_trades(&format!("user{u}"))
            .await
            .unwrap()
            .len();
    }
    assert_eq!(open, 200 - 8 * 12, "every close closed a different lot");
    assert_eq!(state.tables["scan_runs"].len(), 200);
}

async fn csv_exports_are_deterministic(url: &str, dir: &Path) {
    let store = Store::open(url).await.unwrap();
    let models = dir.join("models");
    // Empty state exports headers only.
    store.export_all(&models).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(models.join(EQUITY_CSV)).unwrap(),
        "date,equity,cash,exposure,n_open\n"
    );
    let mut c = commit("2024-05-01", &["AAPL"]);
    c.closed_trades
        .push(closed("AAPL", "2024-04-02", "2024-04-20", 12.5));
    store.commit_scan(&c).await.unwrap();
    let mut next = commit("2024-05-02", &["AAPL"]);
    next.base = Some(d("2024-05-01"));
    store.commit_scan(&next).await.unwrap();
    assert_eq!(
        store
            .export_journal_csv(&models.join(JOURNAL_CSV))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .export_equity_csv(&models.join(EQUITY_CSV))
            .await
            .unwrap(),
        2
    );
    let journal = std::fs::read_to_string(models.join(JOURNAL_CSV)).unwrap();
    let lines: Vec<_> = journal.lines().collect();
    assert_eq!(
        lines[0],
        "ticker,signal_date,entry_date,exit_date,entry_fill,exit_price,stop,target,size,shares,p_rally,reason,bars_held,return,pnl"
    );
    assert_eq!(
        lines[1],
        "AAPL,2024-04-02,2024-04-03,2024-04-20,50,55,47,56,0.1,20,0.7,\"target, then \"\"exhaustion\"\"\",5,0.1,12.5"
    );
    assert!(lines[2].starts_with("MSFT,2024-04-01,2024-04-02,2024-05-01,"));
    let equity = std::fs::read_to_string(models.join(EQUITY_CSV)).unwrap();
    assert_eq!(
        equity,
        "date,equity,cash,exposure,n_open\n2024-05-01,101000,80000,21000,1\n2024-05-02,101000,80000,21000,1\n"
    );
    // Re-export is byte-identical and leaves no temp files behind.
    store.export_all(&models).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(models.join(JOURNAL_CSV)).unwrap(),
        journal
    );
    let mut names: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".csv") || n.starts_with(".tmp"))
        .collect();
    names.sort();
    assert_eq!(names, [EQUITY_CSV, JOURNAL_CSV]);
}

async fn multi_part_progress_only_moves_forward(url: &str, _dir: &Path) {
    let store = Store::open(url).await.unwrap();
    store.commit_scan(&commit("2024-05-01", &[])).await.unwrap();
    let now = t(22);
    let id = store.pending_deliveries(now, 10).await.unwrap()[0].event_id;
    assert!(store.mark_parts_delivered(id, "discord", 2).await.unwrap());
    assert!(store.mark_parts_delivered(id, "discord", 1).await.unwrap());
    store
        .mark_failed(id, "discord", "HTTP 502", now, 5)
        .await
        .unwrap();
    let p = store.pending_deliveries(now, 10).await.unwrap();
    let discord = p.iter().find(|p| p.backend == "discord").unwrap();
    assert_eq!((discord.parts_done, discord.attempts), (2, 1));
    assert_eq!(
        p.iter()
            .find(|p| p.backend == "webhook")
            .unwrap()
            .parts_done,
        0
    );
    store.mark_delivered(id, "discord").await.unwrap();
    assert!(
        !store.mark_parts_delivered(id, "discord", 3).await.unwrap(),
        "terminal"
    );
}

/// A state built through every writer moves to a new store (of the other
/// backend when one is available) row for row, ids included; the moved
/// store goes on issuing fresh ids, and a move never merges into a store
/// that already holds a state.
async fn a_state_moves_between_backends_unchanged(url: &str, dir: &Path) {
    let source = Store::open(url).await.unwrap();
    source
        .commit_scan(&commit("2024-05-01", &["AAPL", "TSLA"]))
        .await
        .unwrap();
    let mut next = commit("2024-05-02", &["TSLA"]);
    next.base = Some(d("2024-05-01"));
    next.closed_trades
        .push(closed("AAPL", "2024-04-29", "2024-05-02", -20.0));
    source.commit_scan(&next).await.unwrap();
    let event = source.pending_deliveries(t(23), 10).await.unwrap()[0].event_id;
    source.mark_delivered(event, "discord").await.unwrap();
    source
        .mark_failed(event, "webhook", "HTTP 502", t(23), 5)
        .await
        .unwrap();
    source.set_capital("alice", 25_000.0).await.unwrap();
    let trade = |user: &str, price: f64, h: u32| NewUserTrade {
        user_id: user.into(),
        ticker: "SPY".into(),
        entry_price: price,
        size: 0.1,
        stop: Some(price * 0.95),
        target: None,
        entered_at: t(h),
    };
    source
        .insert_user_trade(&trade("alice", 100.0, 9))
        .await
        .unwrap();
    source
        .insert_user_trade(&trade("bob", 200.0, 10))
        .await
        .unwrap();
    source
        .close_oldest_user_trade("alice", "SPY", |_| TradeClose {
            exit_price: 110.0,
            exited_at: t(15),
            notes: Some("took profit".into()),
            pnl_pct: Some(10.0),
            pnl_usd: Some(250.0),
        })
        .await
        .unwrap();
    assert!(source.uncopied_columns().await.unwrap().is_empty());

    // Into the other backend when this run is on SQLite and a server is
    // configured, else into a SQLite file.
    let _db;
    let target_url = match (
        source.backend(),
        rally_testkit::TestDatabase::create("move target").await,
    ) {
        (Backend::Sqlite, Some(db)) => {
            let url = db.url.clone();
            _db = db;
            url
        }
        _ => dir.join("moved/rally.db").display().to_string(),
    };
    let target = Store::open(&target_url).await.unwrap();
    assert!(target.uncopied_columns().await.unwrap().is_empty());
    let report = source.copy_into(&target).await.unwrap();
    assert_eq!(report.counts["user_trades"], 2);
    assert_eq!(report.counts["outbox_delivery"], 4);
    let (a, b) = (source.dump().await.unwrap(), target.dump().await.unwrap());
    assert_eq!(a, b);
    assert_eq!(a.counts(), report.counts);
    // Typed readers agree too.
    assert_eq!(
        source.closed_trades(None).await.unwrap(),
        target.closed_trades(None).await.unwrap()
    );
    assert_eq!(
        source.user_trades("alice", None, None).await.unwrap(),
        target.user_trades("alice", None, None).await.unwrap()
    );
    assert_eq!(
        source.last_scan_run().await.unwrap(),
        target.last_scan_run().await.unwrap()
    );
    // The moved store issues new ids after the copied ones.
    let new = target
        .insert_user_trade(&trade("bob", 210.0, 11))
        .await
        .unwrap();
    let max_copied = source.user_trades("bob", None, None).await.unwrap()[0]
        .id
        .max(source.user_trades("alice", None, None).await.unwrap()[0].id);
    assert!(new.id > max_copied, "id {} after {max_copied}", new.id);
    // A second move into a store holding a state is refused, unchanged.
    let held = target.dump().await.unwrap();
    assert!(matches!(
        source.copy_into(&target).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(target.dump().await.unwrap(), held);
}
