//! `discord-bot`: the rally detector's slash commands (poise), and with
//! `ENABLE_SCHEDULER=1` the daily scan and weekly retrain in-process.
//!
//! Settings come from the environment or `.env` (dotenvy):
//! `DISCORD_BOT_TOKEN` (required), `DISCORD_GUILD_ID` (register commands in
//! that guild only, instantly; unset = globally), `ENABLE_SCHEDULER`,
//! `RALLY_SOURCE`, `RALLY_CONFIG`, `DATABASE_URL`, the alert settings and
//! `DISCORD_CONNECT_TIMEOUT_SECS` (see `discord-bot --help`). State lives
//! under the working directory. The token is never logged.
// stdout carries only `--help` and `--version`.
#![allow(clippy::print_stdout)]

mod client;
mod jobs;
mod slash;
mod startup;

use std::num::NonZeroU64;
use std::process::ExitCode;

use anyhow::{Result, bail};
use poise::serenity_prelude as serenity;
use rally_pipeline::state::StateDir;
use startup::{ConnectSettings, Invocation};

/// Reads a setting, treating an empty value like an unset one (`.env.example`
/// ships every key with an empty value).
fn setting(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn main() -> ExitCode {
    match startup::parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Run) => {}
        Ok(Invocation::Help) => {
            print!("{}", startup::usage());
            return ExitCode::SUCCESS;
        }
        Ok(Invocation::Version) => {
            println!("discord-bot {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(arg) => {
            eprintln!(
                "error: unexpected argument `{arg}`: discord-bot reads its settings from the environment (see discord-bot --help)"
            );
            return ExitCode::from(2);
        }
    }
    let dotenv = dotenvy::dotenv();
    let Some(token) = setting("DISCORD_BOT_TOKEN") else {
        eprintln!(
            "error: DISCORD_BOT_TOKEN is not set: put the bot token in .env or the environment (see the README, \"Discord bot setup\")"
        );
        return ExitCode::from(2);
    };
    if let Err(e) = rally_notify::discord_token_shape(&token) {
        eprintln!("error: DISCORD_BOT_TOKEN: {e} (see the README, \"Discord bot setup\")");
        return ExitCode::from(2);
    }
    let connect = match ConnectSettings::from_lookup(setting) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let state = StateDir::cwd();
    let _guard = rally_pipeline::logging::init(Some(&state.logs()));
    // No `.env` is fine (settings may come from the environment).
    if let Some(e) = dotenv.as_ref().err().filter(|e| !e.not_found()) {
        tracing::warn!(error = %e, "could not read .env");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(client::run(token, connect, state)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `DISCORD_GUILD_ID`, if set: a non-zero numeric id.
fn guild_id() -> Result<Option<serenity::GuildId>> {
    let Some(raw) = setting("DISCORD_GUILD_ID") else {
        return Ok(None);
    };
    match raw.parse::<NonZeroU64>() {
        Ok(id) => Ok(Some(serenity::GuildId::new(id.get()))),
        Err(_) => bail!("DISCORD_GUILD_ID must be a numeric Discord server id, got `{raw}`"),
    }
}

fn scheduler_enabled() -> bool {
    matches!(
        setting("ENABLE_SCHEDULER")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("1" | "true" | "yes" | "on")
    )
}
