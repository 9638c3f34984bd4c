//! Startup checks of the binary that need no network: a missing token and a
//! malformed guild id end the process with one clear line, no panic, and
//! the token never appears in the output.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn bot(envs: &[(&str, &str)]) -> Output {
    // An empty working directory: no `.env` to pick up, state stays here.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_discord-bot"));
    cmd.current_dir(dir.path())
        .env_remove("DISCORD_BOT_TOKEN")
        .env_remove("DISCORD_GUILD_ID")
        .env_remove("ENABLE_SCHEDULER")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "debug");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
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
