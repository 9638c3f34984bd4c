//! A webhook secret never leaks, whatever the endpoint echoes: the real
//! scanner against a receiver whose error bodies repeat the request's path
//! and query (Express / Spring style). The secret must be absent from
//! `alerts test` output, the scan's stderr, the log files and the database
//! (`outbox_delivery.last_error` included).
#![allow(clippy::unwrap_used)]

mod common;

use rally_testkit::Recorder;

use common::*;

const SECRET: &str = "T0pS3cretHookKey9";
const QUERY_SECRET: &str = "sig0nlyForMe42";

fn all_text_under(dir: &std::path::Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_text_under(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn an_echoed_webhook_path_never_reaches_output_logs_or_the_store() {
    let hook = Recorder::echoing_errors().unwrap();
    let url = format!("{}/hook/{SECRET}?token={QUERY_SECRET}", hook.base());
    let state = prepared_copy();

    let test = scanner(state.path())
        .env("WEBHOOK_URL", &url)
        .args(["alerts", "test"])
        .output()
        .unwrap();
    // A scan with alerts on, logging everything.
    let mut c = scanner(state.path());
    c.env("WEBHOOK_URL", &url)
        .env("RUST_LOG", "debug")
        .arg("--tickers")
        .args(TICKERS)
        .args(["--source", SOURCE, "--positions", "--now", NOW]);
    let scan = c.output().unwrap();
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    assert!(hook.received().len() >= 2, "the receiver was called");
    assert!(
        hook.received().iter().all(|r| r.path.contains(SECRET)),
        "the real URL was used"
    );

    let mut everything = String::new();
    for out in [&test, &scan] {
        everything.push_str(&String::from_utf8_lossy(&out.stdout));
        everything.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        String::from_utf8_lossy(&test.stdout).contains("failed"),
        "alerts test reports the failure"
    );
    // Log files, CSV exports and the database file (WAL included) as bytes.
    all_text_under(state.path(), &mut everything);
    for secret in [SECRET, QUERY_SECRET] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    // The store did record the failure, redacted.
    let d = dump(state.path());
    let errors: Vec<&String> = d
        .rows("outbox_delivery")
        .iter()
        .filter(|r| r.contains("500"))
        .collect();
    assert!(!errors.is_empty(), "{:?}", d.rows("outbox_delivery"));
}
