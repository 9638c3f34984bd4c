//! A fresh PostgreSQL database per test, on the server that
//! `RALLY_TEST_POSTGRES_URL` names (`.ci/postgres` starts a throwaway one on
//! 127.0.0.1 and prints its URL). Without the variable, [`TestDatabase::create`]
//! returns `None` after one line on stderr saying so, and the test's
//! PostgreSQL run is skipped; `.ci/run` always sets it.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection as _, PgConnection};

/// The variable holding an administrator URL of the test server.
pub const POSTGRES_ENV: &str = "RALLY_TEST_POSTGRES_URL";

/// A database created for one test; dropped (with its connections) when
/// this value is.
#[derive(Debug)]
pub struct TestDatabase {
    /// `postgres://…/rally_test_…`: the URL to hand to the store.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// Creates an empty database for `test`, or `None` when no server is
    /// configured. A configured server that cannot be reached is a failure,
    /// not a skip: CI must not pass by silently skipping.
    pub async fn create(test: &str) -> Option<TestDatabase> {
        let admin_url = std::env::var(POSTGRES_ENV).unwrap_or_default();
        if admin_url.trim().is_empty() {
            // Straight to stderr, past the test harness's capture, so the
            // skip shows in a passing run.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{test}: PostgreSQL run skipped: {POSTGRES_ENV} is not set \
                 (`export {POSTGRES_ENV}=$(.ci/postgres)` starts a local server)"
            );
            return None;
        }
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "rally_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but the server is unreachable: {e}"));
        // The name is ours (digits and underscores): safe to splice.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let _ = admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("{POSTGRES_ENV} must end in /DATABASE"),
        };
        Some(TestDatabase {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop may run inside a runtime: do the async work on a thread of
        // its own. A failure only leaves a database behind on a test server.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
