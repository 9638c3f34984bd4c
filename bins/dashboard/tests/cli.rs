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
