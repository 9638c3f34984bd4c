//! The poise layer: one thin slash command per function of
//! `rally_bot::commands`. Each command takes the caller's Discord id,
//! calls the pipeline function and renders its embeds; errors are sent as an
//! ephemeral red embed. Replies that carry the caller's own numbers (capital,
//! trades, dollar sizes) are ephemeral too; `/health` and `/portfolio` hold
//! only system data and are public.

use poise::serenity_prelude as serenity;
use rally_bot::commands::{
    self, CommandContext, CommandResult, EnterArgs, ExitArgs, HistoryArgs, Period,
};
use rally_notify::embed::{Embed, batch_discord};

/// Shared state of every command.
#[derive(Debug)]
pub struct Data {
    /// The command logic's context (store, state dir, universe).
    pub cmds: CommandContext,
}

/// Error type of the commands (only Discord API failures reach poise).
pub type Error = Box<dyn std::error::Error + Send + Sync>;
type Ctx<'a> = poise::Context<'a, Data, Error>;

/// Who sees a successful reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Only the caller (personal data).
    Caller,
    /// The channel.
    Channel,
}

/// The platform-neutral embed as a serenity builder.
fn to_serenity(e: &Embed) -> serenity::CreateEmbed {
    let mut b = serenity::CreateEmbed::new()
        .title(&e.title)
        .colour(e.colour);
    if let Some(d) = &e.description {
        b = b.description(d);
    }
    for f in &e.fields {
        b = b.field(&f.name, &f.value, f.inline);
    }
    if let Some(f) = &e.footer {
        b = b.footer(serenity::CreateEmbedFooter::new(f));
    }
    if let Some(t) = e
        .timestamp
        .and_then(|t| serenity::Timestamp::from_unix_timestamp(t.timestamp()).ok())
    {
        b = b.timestamp(t);
    }
    b
}

/// Sends a command's result: embeds in batches within Discord's per-message
/// limits, or the error as an ephemeral embed.
async fn reply(
    ctx: Ctx<'_>,
    audience: Audience,
    result: CommandResult<Vec<Embed>>,
) -> Result<(), Error> {
    let command: &str = &ctx.command().name;
    match result {
        Ok(embeds) => {
            for batch in batch_discord(&embeds) {
                let mut r = poise::CreateReply::default().ephemeral(audience == Audience::Caller);
                for e in &batch {
                    r = r.embed(to_serenity(e));
                }
                ctx.send(r).await?;
            }
        }
        Err(e) => {
            if e.is_user_error() {
                tracing::debug!(command, error = %e, "command refused");
            } else {
                // The source holds the details; the user sees a generic line.
                let source = std::error::Error::source(&e).map(ToString::to_string);
                tracing::error!(command, error = ?source, "command failed");
            }
            ctx.send(
                poise::CreateReply::default()
                    .embed(to_serenity(&e.to_embed()))
                    .ephemeral(true),
            )
            .await?;
        }
    }
    Ok(())
}

fn user(ctx: Ctx<'_>) -> String {
    ctx.author().id.to_string()
}

/// Recent entry signals with sizing (dollar amounts if your capital is set)
#[poise::command(slash_command)]
pub async fn signals(ctx: Ctx<'_>) -> Result<(), Error> {
    let r = commands::signals(&ctx.data().cmds, &user(ctx)).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// The system's open positions with P&L and dollar exposure
#[poise::command(slash_command)]
pub async fn positions(ctx: Ctx<'_>) -> Result<(), Error> {
    let r = commands::positions(&ctx.data().cmds, &user(ctx)).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// Set your capital, used for dollar allocation, risk and P&L
#[poise::command(slash_command, rename = "setcapital")]
pub async fn setcapital(
    ctx: Ctx<'_>,
    #[description = "Your trading capital in dollars, e.g. 10000"]
    #[min = 1]
    #[max = 1_000_000_000_000.0]
    amount: f64,
) -> Result<(), Error> {
    let r = commands::set_capital(&ctx.data().cmds, &user(ctx), amount).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// Record your entry; missing size/stop/target come from the active signal
#[poise::command(slash_command)]
pub async fn enter(
    ctx: Ctx<'_>,
    #[description = "Ticker symbol, e.g. AAPL or BRK.B"]
    #[max_length = 16]
    ticker: String,
    #[description = "Your entry price, e.g. 187.50"]
    #[min = 0.0001]
    #[max = 10_000_000.0]
    price: f64,
    #[description = "Fraction of your capital from 0.0001 to 1, e.g. 0.2 = 20% (default: the signal's)"]
    #[min = 0.0001]
    #[max = 1]
    size: Option<f64>,
    #[description = "Stop price, below the entry (default: the signal's)"]
    #[min = 0.0001]
    #[max = 10_000_000.0]
    stop: Option<f64>,
    #[description = "Target price, above the entry (default: the signal's)"]
    #[min = 0.0001]
    #[max = 10_000_000.0]
    target: Option<f64>,
) -> Result<(), Error> {
    let args = EnterArgs {
        ticker,
        price,
        size,
        stop,
        target,
    };
    let r = commands::enter(&ctx.data().cmds, &user(ctx), args).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// Close your oldest open trade in a ticker (FIFO); shows % and $ P&L
#[poise::command(slash_command)]
pub async fn exit(
    ctx: Ctx<'_>,
    #[description = "Ticker symbol of the trade to close"]
    #[max_length = 16]
    ticker: String,
    #[description = "Your exit price"]
    #[min = 0.0001]
    #[max = 10_000_000.0]
    price: f64,
    #[description = "Optional notes for your journal"]
    #[max_length = 500]
    notes: Option<String>,
) -> Result<(), Error> {
    let args = ExitArgs {
        ticker,
        price,
        notes,
    };
    let r = commands::exit(&ctx.data().cmds, &user(ctx), args).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// Your trades with levels and P&L, newest first
#[poise::command(slash_command)]
pub async fn history(
    ctx: Ctx<'_>,
    #[description = "Only this ticker"]
    #[max_length = 16]
    ticker: Option<String>,
    #[description = "How many trades (default 10, at most 50)"]
    #[min = 1]
    #[max = 50]
    limit: Option<u32>,
) -> Result<(), Error> {
    let r = commands::history(&ctx.data().cmds, &user(ctx), HistoryArgs { ticker, limit }).await;
    reply(ctx, Audience::Caller, r).await
}

/// The `/pnl` period choices.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PeriodChoice {
    /// Every closed trade.
    #[name = "all"]
    All,
    /// Exits in the last 30 days.
    #[name = "30d"]
    Days30,
    /// Exits in the last 7 days.
    #[name = "7d"]
    Days7,
}

impl From<PeriodChoice> for Period {
    fn from(p: PeriodChoice) -> Period {
        match p {
            PeriodChoice::All => Period::All,
            PeriodChoice::Days30 => Period::Days30,
            PeriodChoice::Days7 => Period::Days7,
        }
    }
}

/// Your realised P&L: win rate, best, worst, cumulative % and $
#[poise::command(slash_command)]
pub async fn pnl(
    ctx: Ctx<'_>,
    #[description = "all (default), 30d or 7d"] period: Option<PeriodChoice>,
) -> Result<(), Error> {
    let period = period.map_or(Period::All, Period::from);
    let r = commands::pnl(&ctx.data().cmds, &user(ctx), period).await;
    reply(ctx, Audience::Caller, r.map(|e| vec![e])).await
}

/// Model freshness, last scan and alert delivery status
#[poise::command(slash_command)]
pub async fn health(ctx: Ctx<'_>) -> Result<(), Error> {
    // Reading every model file can exceed Discord's 3 s answer window.
    ctx.defer().await?;
    let r = commands::health(&ctx.data().cmds, &user(ctx)).await;
    reply(ctx, Audience::Channel, r.map(|e| vec![e])).await
}

/// The system's equity over the last 30 days
#[poise::command(slash_command)]
pub async fn portfolio(ctx: Ctx<'_>) -> Result<(), Error> {
    let r = commands::portfolio(&ctx.data().cmds, &user(ctx)).await;
    reply(ctx, Audience::Channel, r.map(|e| vec![e])).await
}

/// Every slash command of the bot.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    vec![
        signals(),
        positions(),
        setcapital(),
        enter(),
        exit(),
        history(),
        pnl(),
        health(),
        portfolio(),
    ]
}

/// Framework errors that are not our commands' own replies: unparsable
/// arguments get an ephemeral hint, the rest is logged.
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().name, %error, "could not reply");
        }
        poise::FrameworkError::ArgumentParse {
            error, input, ctx, ..
        } => {
            let text = match input {
                Some(i) => format!(
                    "Could not read `{}`: {error}",
                    rally_notify::embed::truncate(&i, 40)
                ),
                None => format!("Could not read the arguments: {error}"),
            };
            let embed = Embed::new("⚠️ Can't do that", rally_notify::embed::RED).description(text);
            let r = poise::CreateReply::default()
                .embed(to_serenity(&embed))
                .ephemeral(true);
            if let Err(e) = ctx.send(r).await {
                tracing::error!(error = %e, "could not send the argument error");
            }
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "error while handling a framework error");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn registered() -> Vec<Value> {
        let cmds = all();
        poise::builtins::create_application_commands(&cmds)
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    fn options(cmd: &Value) -> Vec<(String, u64, bool)> {
        cmd["options"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|o| {
                        (
                            o["name"].as_str().unwrap().to_string(),
                            o["type"].as_u64().unwrap(),
                            o["required"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    // Discord option types.
    const STRING: u64 = 3;
    const INTEGER: u64 = 4;
    const NUMBER: u64 = 10;

    #[test]
    fn command_set_has_the_product_names_and_options() {
        let cmds = registered();
        let names: Vec<&str> = cmds.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "signals",
                "positions",
                "setcapital",
                "enter",
                "exit",
                "history",
                "pnl",
                "health",
                "portfolio"
            ]
        );
        let by = |n: &str| cmds.iter().find(|c| c["name"] == n).unwrap().clone();
        for c in &cmds {
            let d = c["description"].as_str().unwrap();
            assert!(!d.is_empty() && d.len() <= 100, "{}: {d}", c["name"]);
            for o in c["options"].as_array().into_iter().flatten() {
                let d = o["description"].as_str().unwrap();
                assert!(!d.is_empty() && d.len() <= 100, "{}: {d}", o["name"]);
            }
        }
        let s = |x: &str| x.to_string();
        assert_eq!(options(&by("setcapital")), [(s("amount"), NUMBER, true)]);
        assert_eq!(
            options(&by("enter")),
            [
                (s("ticker"), STRING, true),
                (s("price"), NUMBER, true),
                (s("size"), NUMBER, false),
                (s("stop"), NUMBER, false),
                (s("target"), NUMBER, false),
            ]
        );
        assert_eq!(
            options(&by("exit")),
            [
                (s("ticker"), STRING, true),
                (s("price"), NUMBER, true),
                (s("notes"), STRING, false),
            ]
        );
        assert_eq!(
            options(&by("history")),
            [(s("ticker"), STRING, false), (s("limit"), INTEGER, false)]
        );
        // Discord enforces the same ranges as the command logic (which
        // checks again: other clients and tests bypass Discord).
        let range = |cmd: &str, i: usize| {
            let o = &by(cmd)["options"][i];
            (o["min_value"].as_f64(), o["max_value"].as_f64())
        };
        let price = (Some(commands::MIN_PRICE), Some(commands::MAX_PRICE));
        let size = (Some(commands::MIN_SIZE), Some(commands::MAX_SIZE));
        let capital = (Some(commands::MIN_CAPITAL), Some(commands::MAX_CAPITAL));
        assert_eq!(range("setcapital", 0), capital);
        assert_eq!(
            [1, 2, 3, 4].map(|i| range("enter", i)),
            [price, size, price, price]
        );
        assert_eq!(range("exit", 1), price);
        let history = by("history");
        assert_eq!(history["options"][1]["min_value"].as_f64(), Some(1.0));
        assert_eq!(history["options"][1]["max_value"].as_f64(), Some(50.0));
        // poise sends choices as integers with display names.
        assert_eq!(options(&by("pnl")), [(s("period"), INTEGER, false)]);
        let pnl = by("pnl");
        let choices: Vec<&str> = pnl["options"][0]["choices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(choices, ["all", "30d", "7d"]);
        for n in ["signals", "positions", "health", "portfolio"] {
            assert!(options(&by(n)).is_empty(), "{n}");
        }
    }

    #[test]
    fn embeds_convert_with_every_part() {
        let e = Embed::new("t", rally_notify::embed::GREEN)
            .description("d")
            .field("a", "1", true)
            .footer("f")
            .timestamp(chrono::DateTime::from_timestamp(1_714_771_800, 0).unwrap());
        let v = serde_json::to_value(to_serenity(&e)).unwrap();
        assert_eq!(v["title"], "t");
        assert_eq!(v["color"], rally_notify::embed::GREEN);
        assert_eq!(v["description"], "d");
        assert_eq!(v["fields"][0]["name"], "a");
        assert_eq!(v["fields"][0]["inline"], true);
        assert_eq!(v["footer"]["text"], "f");
        assert!(
            v["timestamp"]
                .as_str()
                .unwrap()
                .starts_with("2024-05-03T21:30:00")
        );
    }
}
