//! The Discord side: builds the poise framework (slash commands, error
//! replies), connects within the connect timeout, and starts the scheduler
//! when it is enabled.

use anyhow::{Context, Result, bail};
use poise::serenity_prelude as serenity;
use rally_bot::commands::CommandContext;
use rally_pipeline::state::StateDir;
use rally_store::Store;

use crate::startup::{ConnectSettings, ConnectTimeout};
use crate::{guild_id, jobs, scheduler_enabled, slash, startup};

pub async fn run(token: String, connect: ConnectSettings, state: StateDir) -> Result<()> {
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
