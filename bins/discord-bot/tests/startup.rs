//! Startup checks of the binary that need no network: `--help`,
//! `--version` and unknown arguments; a missing or malformed token and a
//! malformed guild id end the process with one clear line, no panic, and
//! the token never appears in the output; a Discord that cannot be reached
//! (a local stand-in whose gateway is a closed port) ends the process after
//! `DISCORD_CONNECT_TIMEOUT_SECS` instead of retrying forever.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn bot(envs: &[(&str, &str)]) -> Output {
    bot_with_args(&[], envs)
}

/// Longest any run may take: a bot that keeps retrying is killed here.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn bot_with_args(args: &[&str], envs: &[(&str, &str)]) -> Output {
    // An empty working directory: no `.env` to pick up, state stays here.
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_discord-bot"));
    cmd.args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .env_remove("DISCORD_BOT_TOKEN")
        .env_remove("DISCORD_GUILD_ID")
        .env_remove("ENABLE_SCHEDULER")
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_API_BASE")
        .env_remove("DISCORD_CHANNEL_ID")
        .env_remove("DISCORD_CONNECT_TIMEOUT_SECS")
        .env("RUST_LOG", "debug");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            panic!("still running after {RUN_LIMIT:?} (args {args:?}); stderr ends {tail:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    }
}

#[test]
fn missing_token_is_one_clear_line_and_a_non_zero_exit() {
    for envs in [&[][..], &[("DISCORD_BOT_TOKEN", "  ")][..]] {
        let out = bot(envs);
        assert!(!out.status.success());
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("DISCORD_BOT_TOKEN"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_guild_id_fails_before_connecting_and_never_shows_the_token() {
    let token = "MTIzNDU2Nzg5.GaBcDe.secret-token-value";
    let out = bot(&[
        ("DISCORD_BOT_TOKEN", token),
        ("DISCORD_GUILD_ID", "my-server"),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("DISCORD_GUILD_ID"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("secret-token-value"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret-token-value"));
}

#[test]
fn help_prints_usage_and_the_settings_it_reads() {
    for flag in ["--help", "-h"] {
        // Even without a token: help needs none.
        let out = bot_with_args(&[flag], &[]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with("discord-bot"), "{stdout}");
        assert!(stdout.contains("Usage: discord-bot"), "{stdout}");
        for setting in [
            "DISCORD_BOT_TOKEN",
            "DISCORD_GUILD_ID",
            "ENABLE_SCHEDULER",
            "RALLY_SOURCE",
            "RALLY_CONFIG",
            "DISCORD_CHANNEL_ID",
            "TELEGRAM_BOT_TOKEN",
            "SMTP_HOST",
            "WEBHOOK_URL",
            "DATABASE_URL",
            "DISCORD_CONNECT_TIMEOUT_SECS",
            "DISCORD_API_BASE",
            "RUST_LOG",
        ] {
            assert!(stdout.contains(setting), "{flag}: no {setting}:\n{stdout}");
        }
        assert!(out.stderr.is_empty(), "{flag}");
    }
}

#[test]
fn version_prints_the_version() {
    for flag in ["--version", "-V"] {
        let out = bot_with_args(&[flag], &[]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("discord-bot {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn an_unknown_argument_is_a_usage_error() {
    let token = "MTIzNDU2Nzg5.GaBcDe.secret-token-value";
    for arg in ["--frobnicate", "run", "-x"] {
        let out = bot_with_args(&[arg], &[("DISCORD_BOT_TOKEN", token)]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("`{arg}`")), "{stderr}");
        assert!(stderr.contains("--help"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_malformed_token_fails_at_once_and_is_never_shown() {
    for token in [
        "abc",
        "Bot MTIzNDU2Nzg5.GaBcDe.secret-token-value",
        "MTIzNDU2Nzg5.secret-token-value",
        "bm90LWEtbnVtYmVy.GaBcDe.secret-token-value",
        "MTIzNDU2Nzg5.GaBcDe.secret token value",
    ] {
        let started = Instant::now();
        let out = bot(&[("DISCORD_BOT_TOKEN", token)]);
        assert!(started.elapsed() < Duration::from_secs(10), "{token}: slow");
        assert_eq!(out.status.code(), Some(2), "{token}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{token}: {stderr}");
        assert!(stderr.contains("DISCORD_BOT_TOKEN"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let pieces = ["MTIzNDU2Nzg5", "GaBcDe", "secret", "bm90LWEtbnVtYmVy"];
        for piece in pieces.iter().chain([&token]) {
            assert!(!stderr.contains(piece), "{token}: shows {piece}: {stderr}");
        }
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_bad_connect_timeout_is_refused_before_connecting() {
    let token = "MTIzNDU2Nzg5.GaBcDe.secret-token-value";
    for bad in ["0", "-1", "soon", "1e9"] {
        let out = bot(&[
            ("DISCORD_BOT_TOKEN", token),
            ("DISCORD_CONNECT_TIMEOUT_SECS", bad),
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("DISCORD_CONNECT_TIMEOUT_SECS"), "{stderr}");
        assert!(stderr.contains(&format!("`{bad}`")), "{stderr}");
    }
}

/// A stand-in for Discord's REST API whose gateway is a closed port: the
/// bot can never connect. Counts the requests it answered.
fn unreachable_discord() -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let gateway = format!("ws://{}", closed.local_addr().unwrap());
    drop(closed);
    let api = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api/v10", api.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (h, p) = (hits.clone(), paths.clone());
    std::thread::spawn(move || {
        for mut conn in api.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers (GET requests have no body).
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            h.fetch_add(1, Ordering::SeqCst);
            p.lock().unwrap().push(line.trim().to_owned());
            let body = format!(
                r#"{{"url":"{gateway}","shards":1,"session_start_limit":{{"total":1000,"remaining":1000,"reset_after":0,"max_concurrency":1}}}}"#
            );
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, hits, paths)
}

#[test]
fn an_unreachable_discord_gives_up_after_the_connect_timeout() {
    let (base, hits, paths) = unreachable_discord();
    let token = "MTIzNDU2Nzg5.GaBcDe.secret-token-value";
    let started = Instant::now();
    let out = bot(&[
        ("DISCORD_BOT_TOKEN", token),
        ("DISCORD_API_BASE", &base),
        ("DISCORD_CONNECT_TIMEOUT_SECS", "3"),
    ]);
    let took = started.elapsed();
    assert!(
        hits.load(Ordering::SeqCst) > 0,
        "the stand-in was not asked"
    );
    assert!(
        paths
            .lock()
            .unwrap()
            .iter()
            .all(|p| p.contains("/api/v10/")),
        "{:?}",
        paths.lock().unwrap()
    );
    assert!(
        (Duration::from_secs(3)..Duration::from_secs(30)).contains(&took),
        "took {took:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: could not connect to Discord within 3 s")
            && last.contains("DISCORD_CONNECT_TIMEOUT_SECS"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("secret-token-value"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret-token-value"));
}
