//! The user's own journal: `/setcapital`, `/enter`, `/exit`, `/history`, `/pnl`.
//!
//! Conventions: sizes are fractions of the user's capital; a closed trade's
//! `pnl_pct` is stored in percent (`5.0` = +5 %) and its `pnl_usd` is
//! `pnl_pct / 100 × size × capital` with the capital at exit time (absent
//! when no capital was set then).

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use rally_notify::embed::{BLUE, Embed, GREEN, RED};
use rally_store::{NewUserTrade, SignalRow, TradeClose, UserTradeRow};
use rally_text::{dollars, money, percent, signed_money, signed_percent};

use super::{
    CommandContext, CommandError, CommandResult, HISTORY_DEFAULT, HISTORY_MAX, MAX_CAPITAL,
    MAX_NOTES, MIN_CAPITAL, check_price, check_range, check_size, check_user, parse_symbol,
};

/// `/setcapital <amount>`: sets the caller's capital.
pub async fn set_capital(ctx: &CommandContext, user: &str, amount: f64) -> CommandResult<Embed> {
    check_user(user)?;
    let capital = check_range("capital", amount, MIN_CAPITAL, MAX_CAPITAL)?;
    let row = ctx.store.set_capital(user, capital).await?;
    let open = ctx.store.all_open_user_trades(user).await?;
    let committed: f64 = open.iter().map(|t| t.size).sum();
    let mut e = Embed::new("💰 Capital set", BLUE)
        .field("Capital", money(row.capital.unwrap_or(capital)), true)
        .field("Open trades", open.len().to_string(), true);
    if !open.is_empty() {
        e = e.field(
            "Allocated",
            format!("{} ({})", money(committed * capital), percent(committed, 1)),
            true,
        );
    }
    Ok(e.footer("Dollar amounts in /enter, /exit, /signals and /pnl now use this capital."))
}

/// Arguments of `/enter`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnterArgs {
    /// Ticker as typed.
    pub ticker: String,
    /// Entry price.
    pub price: f64,
    /// Fraction of capital in (0, 1]; default: the active signal's size.
    pub size: Option<f64>,
    /// Stop; default: the active signal's stop (else none).
    pub stop: Option<f64>,
    /// Target; default: the active signal's target (else none).
    pub target: Option<f64>,
}

/// `/enter <ticker> <price> [size] [stop] [target]`: records the caller's
/// entry. Missing size/stop/target come from the active system signal (the
/// latest scan's signal for that ticker); without a signal the size is
/// required and the trade may have no stop or target.
pub async fn enter(ctx: &CommandContext, user: &str, args: EnterArgs) -> CommandResult<Embed> {
    check_user(user)?;
    let ticker = parse_symbol(&args.ticker)?;
    let price = check_price("price", args.price)?;
    if let Some(s) = args.size {
        check_size(s)?;
    }
    if let Some(s) = args.stop {
        check_price("stop", s)?;
    }
    if let Some(t) = args.target {
        check_price("target", t)?;
    }
    if !ctx.is_known(&ticker).await? {
        return Err(CommandError::UnknownTicker { ticker });
    }
    let signal: Option<SignalRow> = ctx
        .store
        .latest_signals()
        .await?
        .into_iter()
        .find(|s| s.ticker == ticker);

    let size = match (args.size, &signal) {
        (Some(s), _) => s,
        (None, Some(sig)) => check_size(sig.size)?,
        (None, None) => return Err(CommandError::MissingSize { ticker }),
    };
    let stop = args.stop.or(signal.as_ref().map(|s| s.stop));
    let target = args.target.or(signal.as_ref().map(|s| s.target));
    if let Some(stop) = stop.filter(|&s| s >= price) {
        return Err(CommandError::StopNotBelowPrice {
            stop,
            price,
            from_signal: args.stop.is_none(),
        });
    }
    if let Some(target) = target.filter(|&t| t <= price) {
        return Err(CommandError::TargetNotAbovePrice {
            target,
            price,
            from_signal: args.target.is_none(),
        });
    }

    let user_row = ctx.store.ensure_user(user).await?;
    let row = ctx
        .store
        .insert_user_trade(&NewUserTrade {
            user_id: user.to_owned(),
            ticker: ticker.clone(),
            entry_price: price,
            size,
            stop,
            target,
            entered_at: ctx.now(),
        })
        .await?;
    let lots = ctx.store.open_user_trades(user, &ticker).await?.len();
    tracing::debug!(user, ticker, trade = row.id, "user entry recorded");

    let mut notes = Vec::new();
    let filled: Vec<&str> = [
        (args.size.is_none(), "size"),
        (args.stop.is_none() && stop.is_some(), "stop"),
        (args.target.is_none() && target.is_some(), "target"),
    ]
    .into_iter()
    .filter_map(|(f, name)| f.then_some(name))
    .collect();
    if let (Some(sig), false) = (&signal, filled.is_empty()) {
        notes.push(format!(
            "Filled {} from the {} signal.",
            filled.join(", "),
            sig.as_of
        ));
    }
    if stop.is_none() {
        notes.push(format!(
            "No active signal for {ticker} and no stop given: recorded without a stop."
        ));
    }

    let mut e = Embed::new(format!("🟢 Entered {ticker}"), GREEN)
        .field("Entry", dollars(price), true)
        .field("Size", percent(size, 1), true);
    e = e.field(
        "Stop",
        stop.map_or("none".into(), |s| {
            format!("{} ({})", dollars(s), signed_percent(s / price - 1.0))
        }),
        true,
    );
    e = e.field(
        "Target",
        target.map_or("none".into(), |t| {
            format!("{} ({})", dollars(t), signed_percent(t / price - 1.0))
        }),
        true,
    );
    let risk_frac = stop.map(|s| (price - s) / price);
    match user_row.capital {
        Some(capital) => {
            let allocation = size * capital;
            e = e.field("Allocation", money(allocation), true);
            e = e.field(
                "Max risk",
                risk_frac.map_or("unknown (no stop)".into(), |r| {
                    format!(
                        "{} ({} of capital)",
                        money(r * allocation),
                        percent(r * size, 2)
                    )
                }),
                true,
            );
        }
        None => {
            e = e.field(
                "Allocation",
                format!("{} of capital", percent(size, 1)),
                true,
            );
            e = e.field(
                "Max risk",
                risk_frac.map_or("unknown (no stop)".into(), |r| {
                    format!("{} of the position", percent(r, 2))
                }),
                true,
            );
            notes.push("Set your capital with /setcapital to see dollar amounts.".into());
        }
    }
    e = e.field(format!("Open lots in {ticker}"), lots.to_string(), true);
    if !notes.is_empty() {
        e = e.description(notes.join("\n"));
    }
    Ok(e.footer(format!("Trade #{}", row.id))
        .timestamp(row.entered_at))
}

/// Arguments of `/exit`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitArgs {
    /// Ticker as typed.
    pub ticker: String,
    /// Exit price.
    pub price: f64,
    /// Free-form notes.
    pub notes: Option<String>,
}

/// `/exit <ticker> <price> [notes]`: closes the caller's oldest open trade in
/// that ticker (FIFO) and reports % and $ P&L ($ only with capital set).
pub async fn exit(ctx: &CommandContext, user: &str, args: ExitArgs) -> CommandResult<Embed> {
    check_user(user)?;
    let ticker = parse_symbol(&args.ticker)?;
    let price = check_price("price", args.price)?;
    let notes = args
        .notes
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if let Some(n) = &notes {
        let len = n.chars().count();
        if len > MAX_NOTES {
            return Err(CommandError::NotesTooLong {
                len,
                max: MAX_NOTES,
            });
        }
    }
    // No ticker check against the universe here: a user must always be able
    // to close what they hold, even if the universe changed since.
    // Not `ensure_user`: "nothing to exit" must not register anyone, and a
    // user with an open trade is registered already.
    let capital = ctx.store.user(user).await?.and_then(|u| u.capital);
    let now = ctx.now();
    let closed = ctx
        .store
        .close_oldest_user_trade(user, &ticker, |open| {
            let (pnl_pct, pnl_usd) = realised(open, price, capital);
            TradeClose {
                exit_price: price,
                exited_at: now,
                notes: notes.clone(),
                pnl_pct,
                pnl_usd,
            }
        })
        .await?;
    let Some(t) = closed else {
        return Err(CommandError::NothingToExit { ticker });
    };
    let left = ctx.store.open_user_trades(user, &ticker).await?.len();
    tracing::debug!(user, ticker, trade = t.id, "user exit recorded");

    let (icon, colour) = if t.pnl_pct.is_none_or(|p| p >= 0.0) {
        ("✅", GREEN)
    } else {
        ("🔻", RED)
    };
    let mut e = Embed::new(format!("{icon} Exited {ticker}"), colour)
        .field("Entry", dollars(t.entry_price), true)
        .field("Exit", dollars(price), true)
        .field("Size", percent(t.size, 1), true)
        .field("P&L", t.pnl_pct.map_or(UNKNOWN_PNL.into(), pct), true)
        .field(
            "P&L $",
            match (t.pnl_pct, t.pnl_usd) {
                (_, Some(usd)) => signed_money(usd),
                (None, None) => UNKNOWN_PNL.into(),
                (Some(_), None) => "set your capital with /setcapital".into(),
            },
            true,
        )
        .field("Held", fmt_held(t.entered_at, now), true)
        .field(
            format!("Open lots left in {ticker}"),
            left.to_string(),
            true,
        );
    if let Some(n) = &t.notes {
        e = e.field("Notes", n.clone(), false);
    }
    Ok(
        e.footer(format!("Trade #{} (your oldest open lot, FIFO)", t.id))
            .timestamp(now),
    )
}

/// What a P&L that could not be computed shows.
const UNKNOWN_PNL: &str = "unknown";

/// A return in percent (`5.0` = +5 %) as `+5.00%`.
fn pct(p: f64) -> String {
    signed_percent(p / 100.0)
}

/// The % and $ P&L of closing `open` at `price` (see the module docs), each
/// `None` when it is not finite. Input bounds keep new lots finite; this
/// guards lots recorded before them (an entry of 1e-310 gives an infinite
/// return), which must still close: the store keeps only finite figures.
fn realised(open: &UserTradeRow, price: f64, capital: Option<f64>) -> (Option<f64>, Option<f64>) {
    let pnl_pct = Some((price / open.entry_price - 1.0) * 100.0).filter(|p| p.is_finite());
    let pnl_usd = pnl_pct
        .zip(capital)
        .map(|(p, c)| p / 100.0 * open.size * c)
        .filter(|u| u.is_finite());
    (pnl_pct, pnl_usd)
}

fn fmt_held(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let d = to - from;
    if d >= Duration::days(1) {
        format!("{}d {}h", d.num_days(), d.num_hours() % 24)
    } else if d >= Duration::hours(1) {
        format!("{}h {}m", d.num_hours(), d.num_minutes() % 60)
    } else {
        format!("{}m", d.num_minutes().max(0))
    }
}

/// Arguments of `/history`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryArgs {
    /// Only this ticker.
    pub ticker: Option<String>,
    /// Most trades shown (default 10, at most 50).
    pub limit: Option<u32>,
}

/// Description characters per history embed (Discord allows 4,096).
const HISTORY_CHUNK: usize = 3_900;

/// `/history [ticker] [limit]`: the caller's trades, newest entry first, with
/// levels and P&L. Long lists are split over several embeds.
pub async fn history(
    ctx: &CommandContext,
    user: &str,
    args: HistoryArgs,
) -> CommandResult<Vec<Embed>> {
    check_user(user)?;
    let ticker = args.ticker.as_deref().map(parse_symbol).transpose()?;
    let limit = args.limit.unwrap_or(HISTORY_DEFAULT);
    if !(1..=HISTORY_MAX).contains(&limit) {
        return Err(CommandError::InvalidLimit {
            value: limit,
            max: HISTORY_MAX,
        });
    }
    ctx.store.ensure_user(user).await?;
    let trades = ctx
        .store
        .user_trades(user, ticker.as_deref(), Some(limit))
        .await?;
    let title = match &ticker {
        Some(t) => format!("📒 Your trades in {t}"),
        None => "📒 Your trades".to_string(),
    };
    if trades.is_empty() {
        return Ok(vec![
            Embed::new(title, BLUE).description("No trades yet. Record one with /enter."),
        ]);
    }
    let mut chunks: Vec<String> = vec![String::new()];
    for t in &trades {
        let line = history_line(t);
        let cur = chunks.last_mut().map_or(0, |c| c.chars().count());
        if cur > 0 && cur + line.chars().count() + 1 > HISTORY_CHUNK {
            chunks.push(String::new());
        }
        if let Some(c) = chunks.last_mut() {
            if !c.is_empty() {
                c.push('\n');
            }
            c.push_str(&line);
        }
    }
    let n = chunks.len();
    let open = trades.iter().filter(|t| t.is_open()).count();
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let t = if n > 1 {
                format!("{title} ({}/{n})", i + 1)
            } else {
                title.clone()
            };
            Embed::new(t, BLUE).description(body).footer(format!(
                "{} trade{} shown, newest first ({open} open); limit {limit}",
                trades.len(),
                if trades.len() == 1 { "" } else { "s" }
            ))
        })
        .collect())
}

/// One line of `/history`.
fn history_line(t: &UserTradeRow) -> String {
    let levels = format!(
        "size {} · stop {} · target {}",
        percent(t.size, 1),
        t.stop.map_or("-".into(), dollars),
        t.target.map_or("-".into(), dollars)
    );
    let day = |d: DateTime<Utc>| d.format("%Y-%m-%d").to_string();
    match (t.exit_price, t.exited_at) {
        (Some(exit), Some(at)) => format!(
            "`#{}` **{}** {} → {} · {} → {} · {levels} · **{}**{}",
            t.id,
            t.ticker,
            day(t.entered_at),
            day(at),
            dollars(t.entry_price),
            dollars(exit),
            t.pnl_pct.map_or(UNKNOWN_PNL.into(), pct),
            t.pnl_usd
                .map_or(String::new(), |u| format!(" ({})", signed_money(u)))
        ),
        _ => format!(
            "`#{}` **{}** {} · open at {} · {levels}",
            t.id,
            t.ticker,
            day(t.entered_at),
            dollars(t.entry_price)
        ),
    }
}

/// The `/pnl` period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Period {
    /// Every closed trade.
    #[default]
    All,
    /// Trades exited in the last 30 days.
    Days30,
    /// Trades exited in the last 7 days.
    Days7,
}

impl Period {
    /// Start of the period relative to `now` (`None` = all time).
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Period::All => None,
            Period::Days30 => Some(now - Duration::days(30)),
            Period::Days7 => Some(now - Duration::days(7)),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Period::All => "all time",
            Period::Days30 => "last 30 days",
            Period::Days7 => "last 7 days",
        }
    }
}

impl FromStr for Period {
    type Err = CommandError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "all" => Ok(Period::All),
            "30d" | "30" => Ok(Period::Days30),
            "7d" | "7" => Ok(Period::Days7),
            _ => Err(CommandError::InvalidPeriod {
                input: rally_notify::embed::truncate(s.trim(), 16),
            }),
        }
    }
}

/// Statistics of a set of closed trades.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PnlSummary {
    /// Closed trades.
    pub trades: usize,
    /// Trades with a positive return.
    pub wins: usize,
    /// Best trade: (ticker, % return).
    pub best: Option<(String, f64)>,
    /// Worst trade: (ticker, % return).
    pub worst: Option<(String, f64)>,
    /// Σ size × % return: the return on capital in percent, simple sum (no
    /// compounding), so a 20 % position that gained 5 % adds 1 %.
    pub cumulative_pct: f64,
    /// Σ of the recorded $ P&L.
    pub pnl_usd: f64,
    /// Trades without a recorded $ P&L (closed while no capital was set).
    pub without_usd: usize,
}

impl PnlSummary {
    /// Wins / trades, as a fraction (`None` without trades).
    pub fn win_rate(&self) -> Option<f64> {
        (self.trades > 0).then(|| self.wins as f64 / self.trades as f64)
    }
}

/// Summarises closed trades (open ones are ignored).
pub fn summarize(trades: &[UserTradeRow]) -> PnlSummary {
    let mut s = PnlSummary::default();
    for t in trades.iter().filter(|t| !t.is_open()) {
        let Some(p) = t.pnl_pct.or_else(|| {
            t.exit_price
                .map(|x| (x / t.entry_price - 1.0) * 100.0)
                .filter(|p| p.is_finite())
        }) else {
            continue;
        };
        s.trades += 1;
        if p > 0.0 {
            s.wins += 1;
        }
        if s.best.as_ref().is_none_or(|(_, b)| p > *b) {
            s.best = Some((t.ticker.clone(), p));
        }
        if s.worst.as_ref().is_none_or(|(_, w)| p < *w) {
            s.worst = Some((t.ticker.clone(), p));
        }
        s.cumulative_pct += t.size * p;
        match t.pnl_usd {
            Some(u) => s.pnl_usd += u,
            None => s.without_usd += 1,
        }
    }
    s
}

/// `/pnl [all|30d|7d]`: the caller's closed trades of the period (by exit
/// time): count, win rate, best, worst, cumulative % (see
/// [`PnlSummary::cumulative_pct`]) and $.
pub async fn pnl(ctx: &CommandContext, user: &str, period: Period) -> CommandResult<Embed> {
    check_user(user)?;
    ctx.store.ensure_user(user).await?;
    let now = ctx.now();
    let closed = ctx.store.user_closed_since(user, period.since(now)).await?;
    let open = ctx.store.all_open_user_trades(user).await?.len();
    let s = summarize(&closed);
    let title = format!("📊 Your P&L ({})", period.label());
    if s.trades == 0 {
        return Ok(Embed::new(title, BLUE)
            .description("No closed trades in this period.")
            .field("Open trades", open.to_string(), true));
    }
    let colour = if s.cumulative_pct >= 0.0 { GREEN } else { RED };
    let pick = |x: &Option<(String, f64)>| {
        x.as_ref()
            .map_or("-".into(), |(t, p)| format!("{} ({t})", pct(*p)))
    };
    let usd = if s.trades == s.without_usd {
        "set your capital with /setcapital".to_string()
    } else if s.without_usd > 0 {
        format!(
            "{} ({} trade{} without $: no capital set at exit)",
            signed_money(s.pnl_usd),
            s.without_usd,
            if s.without_usd == 1 { "" } else { "s" }
        )
    } else {
        signed_money(s.pnl_usd)
    };
    Ok(Embed::new(title, colour)
        .field("Closed trades", s.trades.to_string(), true)
        .field(
            "Win rate",
            format!(
                "{} ({}/{})",
                percent(s.win_rate().unwrap_or(0.0), 1),
                s.wins,
                s.trades
            ),
            true,
        )
        .field("Open trades", open.to_string(), true)
        .field("Best", pick(&s.best), true)
        .field("Worst", pick(&s.worst), true)
        .field(
            "Cumulative",
            format!("{} of capital", pct(s.cumulative_pct)),
            true,
        )
        .field("P&L $", usd, false)
        .footer("Cumulative = sum over closed trades of size × return (simple, not compounded)."))
}
