//! The real binary's command line: `--once` output when stdout is a pipe,
//! `--demo` ignoring DATABASE_URL, and one-line errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dashboard");

#[test]
fn once_prints_plain_text_at_120x40() {
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(&dir.path().join("demo"));
    let out = Command::new(BIN)
        .args(["--demo", "--once", "--journal", "3"])
        .current_dir(dir.path())
        // The demo never reads the production database.
        .env("DATABASE_URL", "sqlite:///nonexistent/prod.db")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "escape sequences in piped output");
    assert_eq!(text.lines().count(), 40);
    assert!(text.lines().all(|l| l.chars().count() <= 120));
    assert!(text.contains("demo/models/rally.db"), "{text}");
    assert!(text.contains("Journal — 3 of 5 closed trades"), "{text}");
    let aapl = text.lines().find(|l| l.contains("AAPL")).unwrap();
    assert!(
        aapl.contains("2024-05-20") && aapl.contains("+5.50%"),
        "{aapl}"
    );
    assert!(!dir.path().join("models").exists());
}

#[test]
fn once_on_a_fresh_directory_shows_help_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("--once")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("no state store yet"), "{text}");
    assert!(text.contains("No positions yet"), "{text}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "created files"
    );
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let out = Command::new(BIN)
        .args(["--once", "--live", "--source", "ftp://x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("dashboard: --source ftp://x"), "{err}");
}

#[test]
fn interactive_mode_needs_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).current_dir(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("use --once"), "{err}");
}

/// `DATABASE_URL=postgres://…`: the dashboard reads the same state from
/// PostgreSQL (read-only) and shows the same screen as from the SQLite
/// file, naming the server without its password.
#[test]
fn once_reads_the_same_state_from_postgres() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(db) = rt.block_on(rally_testkit::TestDatabase::create(
        "once_reads_the_same_state_from_postgres",
    )) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(dir.path());
    let file = dir.path().join("models/rally.db");
    rt.block_on(async {
        let source = rally_store::Store::open_read_only(file.to_str().unwrap())
            .await
            .unwrap();
        let target = rally_store::Store::open(&db.url).await.unwrap();
        source.copy_into(&target).await.unwrap();
        source.close().await;
        target.close().await;
    });
    let once = |url: &str| {
        let out = Command::new(BIN)
            .args(["--once", "--journal", "3"])
            .current_dir(dir.path())
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let from_file = once(file.to_str().unwrap());
    let secret = db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    let from_server = once(&secret);
    assert!(
        from_file.contains("Journal — 3 of 5 closed trades"),
        "{from_file}"
    );
    assert!(!from_server.contains("hunter2"), "{from_server}");
    let shown = rally_store::shown_url(&db.url);
    assert!(
        from_server.contains(&shown[..shown.len().min(40)]),
        "{from_server}"
    );
    // The same screen, but for where the state lives.
    let strip = |text: &str, place: &str| text.replace(place, "<store>");
    assert_eq!(
        strip(&from_server, &shown)
            .lines()
            .filter(|l| !l.contains("<store>"))
            .collect::<Vec<_>>(),
        strip(&from_file, &file.display().to_string())
            .lines()
            .filter(|l| !l.contains("<store>"))
            .collect::<Vec<_>>()
    );
}
