//! What only the PostgreSQL backend has to prove, on a real server
//! (`RALLY_TEST_POSTGRES_URL`; each test says so and returns when unset):
//! a database holding someone else's tables is refused and left as it was,
//! read-only opens never write or migrate, and stores opened at the same
//! instant on a new database migrate it once.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use rally_store::*;
use rally_testkit::TestDatabase;
use sqlx::{Connection as _, PgConnection};

async fn run(url: &str, sql: &'static str) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

async fn tables(url: &str) -> Vec<String> {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY table_name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|(t,)| t).collect()
}

fn scan(as_of: &str) -> ScanCommit {
    let day: NaiveDate = as_of.parse().unwrap();
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 21, 30, 0).unwrap();
    ScanCommit {
        as_of: day,
        base: None,
        backfill: false,
        started_at: at,
        finished_at: at,
        n_scanned: 3,
        status: "ok".into(),
        positions: Vec::new(),
        closed_trades: Vec::new(),
        equity: Some(EquitySnapshot {
            date: day,
            equity: 100_000.0,
            cash: 100_000.0,
            exposure: 0.0,
            n_open: 0,
        }),
        signals: Vec::new(),
        events: Vec::new(),
        summary_json: None,
        backends: Vec::new(),
    }
}

#[tokio::test]
async fn a_database_of_another_application_is_refused_untouched() {
    let Some(db) =
        TestDatabase::create("a_database_of_another_application_is_refused_untouched").await
    else {
        return;
    };
    run(
        &db.url,
        "CREATE TABLE invoices (id BIGINT PRIMARY KEY, total NUMERIC)",
    )
    .await;
    run(&db.url, "INSERT INTO invoices VALUES (1, 99.5)").await;
    for result in [
        Store::open(&db.url).await,
        Store::open_read_only(&db.url).await,
    ] {
        match result {
            Err(e @ StoreError::ForeignServer { .. }) => {
                let text = e.to_string();
                assert!(text.contains("`invoices`"), "{text}");
                assert!(text.contains("refusing"), "{text}");
            }
            other => panic!("expected ForeignServer, got {other:?}"),
        }
    }
    assert_eq!(tables(&db.url).await, ["invoices"], "no migration ran");
}

#[tokio::test]
async fn read_only_opens_read_and_never_write() {
    let Some(db) = TestDatabase::create("read_only_opens_read_and_never_write").await else {
        return;
    };
    // Nothing there yet: the dashboard says the scanner must run first.
    assert!(matches!(
        Store::open_read_only(&db.url).await,
        Err(StoreError::ServerSchemaOutdated { applied: None, .. })
    ));
    assert!(
        tables(&db.url).await.is_empty(),
        "a read-only open creates nothing"
    );

    let store = Store::open(&db.url).await.unwrap();
    store.commit_scan(&scan("2024-05-01")).await.unwrap();
    let reader = Store::open_read_only(&db.url).await.unwrap();
    assert_eq!(reader.backend(), Backend::Postgres);
    assert_eq!(reader.equity_history(None).await.unwrap().len(), 1);
    let mut next = scan("2024-05-02");
    next.base = Some("2024-05-01".parse().unwrap());
    assert!(matches!(
        reader.commit_scan(&next).await,
        Err(StoreError::Db(_))
    ));
    assert!(reader.set_capital("alice", 1_000.0).await.is_err());
    assert_eq!(store.dump().await.unwrap().tables["scan_runs"].len(), 1);
    assert!(store.user("alice").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_opened_at_once_migrate_a_new_database_once() {
    let Some(db) = TestDatabase::create("stores_opened_at_once_migrate_a_new_database_once").await
    else {
        return;
    };
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { Store::open(&url).await.map(|s| s.location()) })
        })
        .collect();
    for open in opens {
        let location = open.await.unwrap().unwrap();
        assert!(location.starts_with("postgres://127.0.0.1:"), "{location}");
        assert!(!location.contains('@'), "no user in {location}");
    }
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
}
