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

mod jobs;
mod slash;
mod startup;

use std::num::NonZeroU64;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use poise::serenity_prelude as serenity;
use rally_bot::commands::CommandContext;
use rally_pipeline::state::StateDir;
use rally_store::Store;
use startup::{ConnectSettings, ConnectTimeout, Invocation};

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
    match runtime.block_on(run(token, connect, state)) {
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

async fn run(token: String, connect: ConnectSettings, state: StateDir) -> Result<()> {
    let guild = guild_id()?;
    let store = Store::open(&state.database_url(true))
        .await
        .context("opening the state store")?;
    let mut universe = rally_data::Universe::default_basket().tickers;
    universe.extend(jobs::run_tickers(&state));
    universe.sort();
    universe.dedup();
    let cmds = CommandContext::new(store.clone(), state.clone(), universe);

    let _scheduler = if scheduler_enabled() {
        Some(jobs::start(jobs::JobEnv::from_env(state, store.clone())?))
    } else {
        tracing::info!("scheduler off (set ENABLE_SCHEDULER=1 to run scans and retrains here)");
        None
    };

    let options = poise::FrameworkOptions {
        commands: slash::all(),
        on_error: |e| Box::pin(on_error(e)),
        ..Default::default()
    };
    // Fired once the bot is connected with its commands registered; until
    // then the connect timeout applies.
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let framework = poise::Framework::builder()
        .options(options)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                let commands = &framework.options().commands;
                match guild {
                    Some(g) => poise::builtins::register_in_guild(ctx, commands, g).await?,
                    None => poise::builtins::register_globally(ctx, commands).await?,
                }
                tracing::info!(
                    bot = %ready.user.name,
                    scope = %guild.map_or("global (may take up to an hour to appear)".to_string(), |g| format!("guild {g}")),
                    "connected; slash commands registered"
                );
                // The receiver is gone only when the process is ending.
                let _ = ready_tx.send(());
                Ok(slash::Data { cmds })
            })
        })
        .build();
    let mut http = serenity::HttpBuilder::new(&token);
    if let Some(proxy) = &connect.api_proxy {
        // serenity's own rate limiter sends to discord.com whatever the
        // proxy, so a proxy must do the rate limiting (as API proxies do).
        http = http.proxy(proxy.as_str()).ratelimiter_disabled(true);
    }
    let connection = async {
        // Slash commands arrive as interactions, which need no privileged intent.
        let mut client =
            serenity::ClientBuilder::new_with_http(http.build(), serenity::GatewayIntents::GUILDS)
                .framework(framework)
                .await
                .context("creating the Discord client")?;
        client
            .start()
            .await
            .context("Discord connection (is DISCORD_BOT_TOKEN valid?)")
    };
    // serenity retries a failing gateway connection forever: without a
    // deadline, no network or a revoked token would hang here silently.
    match startup::within_connect_deadline(connection, ready_rx, connect.timeout).await {
        Ok(outcome) => outcome,
        Err(ConnectTimeout(limit)) => bail!(
            "could not connect to Discord within {} s (DISCORD_CONNECT_TIMEOUT_SECS): check the network, DISCORD_API_BASE if set, and that DISCORD_BOT_TOKEN is the bot's current token",
            limit.as_secs()
        ),
    }
}

/// Startup failures end the process (nothing works without registered
/// commands); everything else goes to the slash layer's handler.
async fn on_error(error: poise::FrameworkError<'_, slash::Data, slash::Error>) {
    if let poise::FrameworkError::Setup { error, .. } = &error {
        eprintln!("error: registering the slash commands: {error}");
        std::process::exit(1);
    }
    slash::on_error(error).await;
}
