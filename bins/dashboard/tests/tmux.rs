//! End-to-end check of the real binary in a pseudo-terminal (tmux): start on
//! a filled demo store, switch tabs, quit, and find the terminal restored —
//! also after a panic. Prints a SKIP line when tmux is not installed.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dashboard");

/// A private tmux server (own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// Starts `shell_cmd` in a detached 120x40 session in `cwd`.
    fn start(name: &str, cwd: &Path, shell_cmd: &str) -> Tmux {
        let t = Tmux {
            socket: format!("dashboard-test-{}-{name}", std::process::id()),
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            &cwd.display().to_string(),
            shell_cmd,
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "dash"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &str) {
        let out = self.run(&["send-keys", "-t", "dash", keys]);
        assert!(out.status.success(), "send-keys {keys}: {out:?}");
    }

    /// Waits until the pane shows `needle`; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out waiting for {needle:?}; the pane shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The shell command: run the dashboard, then report its exit code and the
/// terminal settings, and stay alive so the pane can be captured.
fn wrapped(env: &str, args: &str) -> String {
    format!("{env} '{BIN}' {args}; echo DASHBOARD-EXIT=$?; stty -a; echo STTY-DONE; sleep 60")
}

/// `stty -a` of a restored terminal: canonical mode and echo are on.
fn assert_terminal_restored(screen: &str) {
    let tokens: Vec<&str> = screen
        .split(|c: char| c.is_whitespace() || c == ';')
        .collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            tokens.contains(&flag) && !tokens.contains(&format!("-{flag}").as_str()),
            "terminal not restored ({flag}):\n{screen}"
        );
    }
    // The alternate screen was left: the dashboard is no longer visible.
    assert!(
        !screen.contains("1 Overview"),
        "still on the dashboard:\n{screen}"
    );
}

#[test]
fn start_switch_tab_quit_restores_terminal() {
    if !Tmux::available() {
        println!("SKIP: tmux is not installed; end-to-end terminal test not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(&dir.path().join("demo"));
    let t = Tmux::start("run", dir.path(), &wrapped("", "--demo"));

    let screen = t.wait_for("1 Overview");
    assert!(screen.contains("Portfolio"), "{screen}");
    assert!(screen.contains("last scan 2024-05-31"), "{screen}");

    t.keys("Tab");
    let screen = t.wait_for("Open positions (3)");
    assert!(
        screen.contains("AAPL") && screen.contains("2024-05-20"),
        "{screen}"
    );

    t.keys("Right");
    t.wait_for("Entry signals of 2024-05-31");
    t.keys("4");
    t.wait_for("Journal — 5 of 5 closed trades");
    t.keys("Down");
    t.keys("r");
    t.wait_for("reloaded");

    t.keys("q");
    let screen = t.wait_for("STTY-DONE");
    assert!(screen.contains("DASHBOARD-EXIT=0"), "{screen}");
    assert_terminal_restored(&screen);
}

#[test]
fn panic_restores_terminal() {
    if !Tmux::available() {
        println!("SKIP: tmux is not installed; end-to-end terminal test not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::fill_store_blocking(&dir.path().join("demo"));
    let t = Tmux::start(
        "panic",
        dir.path(),
        &wrapped("env DASHBOARD_TEST_PANIC=1 RUST_BACKTRACE=0", "--demo"),
    );
    let screen = t.wait_for("STTY-DONE");
    assert!(screen.contains("DASHBOARD-EXIT=101"), "{screen}");
    assert!(screen.contains("test panic requested"), "{screen}");
    assert_terminal_restored(&screen);
}

#[test]
fn empty_working_directory_shows_help_and_creates_nothing() {
    if !Tmux::available() {
        println!("SKIP: tmux is not installed; end-to-end terminal test not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start("empty", dir.path(), &wrapped("", "--demo"));
    let screen = t.wait_for("1 Overview");
    assert!(screen.contains("no state store yet"), "{screen}");
    t.keys("2");
    t.wait_for("No positions yet — run `scanner` (or `scanner --demo`) to populate");
    t.keys("Escape");
    let screen = t.wait_for("STTY-DONE");
    assert!(screen.contains("DASHBOARD-EXIT=0"), "{screen}");
    assert_terminal_restored(&screen);
    assert!(
        !dir.path().join("demo").exists(),
        "the dashboard created demo/"
    );
}
