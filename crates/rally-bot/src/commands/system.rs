//! Read-only views of the system's state: `/signals`, `/positions`,
//! `/health`, `/portfolio`. The caller's capital (when set) adds dollar
//! amounts; nothing here writes except registering the user.

use chrono::Duration;
use rally_notify::embed::{BLUE, Embed, GREEN, RED};
use rally_text::{dollars, money, percent, signed_money, signed_percent};

use super::{CommandContext, CommandError, CommandResult, check_user};
use rally_pipeline::health;

/// Fields per embed reserved for rows; the last one says how many were cut.
const MAX_ROWS: usize = 24;

/// `/signals`: the latest scan's entry signals with sizing, and dollar
/// amounts when the caller has set a capital.
pub async fn signals(ctx: &CommandContext, user: &str) -> CommandResult<Embed> {
    check_user(user)?;
    let capital = ctx.store.ensure_user(user).await?.capital;
    let sigs = ctx.store.latest_signals().await?;
    let last = ctx.store.last_scan_run().await?;
    let Some(as_of) = sigs.first().map(|s| s.as_of) else {
        let text = match &last {
            Some(r) => format!("The latest scan ({}) found no entry signals.", r.as_of),
            None => "No scan has run yet.".to_string(),
        };
        return Ok(Embed::new("No active signals", BLUE).description(text));
    };
    let mut e = Embed::new(format!("📈 Active signals (as of {as_of})"), GREEN);
    e = e.description(match capital {
        Some(c) => format!("Dollar sizes for your capital of {}.", money(c)),
        None => "Set your capital with /setcapital to see dollar amounts.".into(),
    });
    for s in sigs.iter().take(MAX_ROWS) {
        let risk = s.stop / s.price - 1.0;
        let size = match capital {
            Some(c) => format!("{} → {}", percent(s.size, 1), money(s.size * c)),
            None => percent(s.size, 1),
        };
        e = e.field(
            match s.setup_top_pct {
                Some(_) => format!(
                    "{} · {}",
                    s.ticker,
                    rally_text::p_with_rank(s.p_rally, s.setup_top_pct)
                ),
                None => format!("{} · P(rally) {}", s.ticker, percent(s.p_rally, 1)),
            },
            format!(
                "Price {} · Stop {} ({}) · Target {} · Size {size}",
                dollars(s.price),
                dollars(s.stop),
                signed_percent(risk),
                dollars(s.target),
            ),
            false,
        );
    }
    if sigs.len() > MAX_ROWS {
        e = e.field("…", format!("and {} more", sigs.len() - MAX_ROWS), false);
    }
    Ok(e.footer(format!(
        "{} signal{} · record yours with /enter",
        sigs.len(),
        if sigs.len() == 1 { "" } else { "s" }
    )))
}

/// `/positions`: the system's open positions with P&L and dollar exposure
/// (shares × last price, in the system's book), plus the caller's dollar
/// size when a capital is set.
pub async fn positions(ctx: &CommandContext, user: &str) -> CommandResult<Embed> {
    check_user(user)?;
    let capital = ctx.store.ensure_user(user).await?.capital;
    let pos = ctx.store.open_positions().await?;
    if pos.is_empty() {
        return Ok(Embed::new("📂 No open system positions", BLUE));
    }
    let mut total_exposure = 0.0;
    let mut e = Embed::new(format!("📂 System positions ({} open)", pos.len()), BLUE);
    for p in pos.iter().take(MAX_ROWS) {
        let mut parts = Vec::new();
        let name = match (p.entry_date, p.entry_fill) {
            (Some(d), Some(fill)) => {
                parts.push(format!("Entry {}", dollars(fill)));
                parts.push(format!("Last {} ({})", dollars(p.last_price), p.last_date));
                parts.push(format!("P&L {}", signed_percent(p.last_price / fill - 1.0)));
                format!("{} · since {d}", p.ticker)
            }
            _ => {
                parts.push(format!("Last {} ({})", dollars(p.last_price), p.last_date));
                format!("{} · entry pending", p.ticker)
            }
        };
        parts.push(format!("Stop {}", dollars(p.stop)));
        parts.push(format!("Target {}", dollars(p.target)));
        parts.push(format!("Size {}", percent(p.size, 1)));
        if let Some(shares) = p.shares {
            let exposure = shares * p.last_price;
            total_exposure += exposure;
            parts.push(format!("Exposure {}", money(exposure)));
        }
        if let Some(c) = capital {
            parts.push(format!("Your size {}", money(p.size * c)));
        }
        parts.push(format!("{} bars held", p.bars_held));
        e = e.field(name, parts.join(" · "), false);
    }
    if pos.len() > MAX_ROWS {
        e = e.field("…", format!("and {} more", pos.len() - MAX_ROWS), false);
    }
    Ok(e.footer(format!(
        "System exposure {} (shares × last price)",
        money(total_exposure)
    )))
}

/// `/health`: model freshness counts, last data date, last scan, outbox state.
pub async fn health(ctx: &CommandContext, user: &str) -> CommandResult<Embed> {
    check_user(user)?;
    ctx.store.ensure_user(user).await?;
    let (state, universe, now) = (ctx.state.clone(), ctx.universe.clone(), ctx.now());
    // Reading every model artefact is blocking file I/O and decoding.
    let report = tokio::task::spawn_blocking(move || health::check(&state, &universe, now))
        .await
        .map_err(|e| CommandError::Internal(Box::new(e)))?;
    let last = ctx.store.last_scan_run().await?;
    let outbox = ctx.store.outbox_status().await?;
    let dead: i64 = outbox.iter().map(|o| o.dead).sum();
    let healthy = report.is_healthy() && dead == 0 && last.is_some();
    let (title, colour) = if healthy {
        ("🩺 System health: OK", GREEN)
    } else {
        ("🩺 System health: attention needed", RED)
    };
    let mut e = Embed::new(title, colour)
        .field("Fresh models", report.fresh.to_string(), true)
        .field("Stale models", report.stale.to_string(), true)
        .field("Missing models", report.missing.to_string(), true)
        .field("Corrupt models", report.corrupt.to_string(), true)
        .field(
            "Last data date",
            report.last_data_date.map_or("-".into(), |d| d.to_string()),
            true,
        )
        .field(
            "Last scan",
            last.as_ref().map_or("never".into(), |r| {
                format!(
                    "{} ({}, {} scanned, {} signals; finished {})",
                    r.as_of,
                    r.status,
                    r.n_scanned,
                    r.n_signals,
                    r.finished_at.format("%Y-%m-%d %H:%M UTC")
                )
            }),
            false,
        );
    let outbox_text = if outbox.is_empty() {
        "empty".to_string()
    } else {
        outbox
            .iter()
            .map(|o| {
                format!(
                    "{}: {} pending · {} delivered · {} dead",
                    o.backend, o.pending, o.delivered, o.dead
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    e = e.field("Alert outbox", outbox_text, false);
    Ok(e.footer(format!(
        "Models are stale after {} days; checked {}",
        rally_pipeline::models::SKIP_FRESH_DAYS,
        now.format("%Y-%m-%d %H:%M UTC")
    )))
}

/// Text sparkline of `values` (`▁..█`); a flat series draws mid-height bars.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                ' '
            } else if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                BARS[3]
            } else {
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// The live figures of the system and its benchmarks as the embed shows
/// them: the aligned table in a code block (monospace), what it covers,
/// and why figures are missing when they are.
fn benchmark_text(b: &rally_pipeline::scan::LiveBenchmark) -> String {
    use rally_pipeline::report::{live_caption, live_figure_lines, live_note};
    let mut out = format!(
        "```\n{}\n```\n{}",
        live_figure_lines(b).join("\n"),
        live_caption(b)
    );
    if let Some(note) = live_note(b) {
        out.push('\n');
        out.push_str(&note);
    }
    out
}

/// `/portfolio`: the system's equity over the last 30 calendar days (up to
/// the newest snapshot) as a sparkline, with change, drawdown and exposure.
pub async fn portfolio(ctx: &CommandContext, user: &str) -> CommandResult<Embed> {
    check_user(user)?;
    ctx.store.ensure_user(user).await?;
    // At most one snapshot per day, so 31 rows cover any 30-day window.
    let mut hist = ctx.store.equity_history(Some(31)).await?;
    let Some(newest) = hist.last().map(|s| s.date) else {
        return Ok(Embed::new("💼 System equity", BLUE)
            .description("No equity history yet: it starts with the first scan."));
    };
    let start = newest - Duration::days(30);
    hist.retain(|s| s.date >= start);
    let values: Vec<f64> = hist.iter().map(|s| s.equity).collect();
    let (first, last) = (&hist[0], &hist[hist.len() - 1]);
    let change = last.equity - first.equity;
    let change_frac = if first.equity > 0.0 {
        last.equity / first.equity - 1.0
    } else {
        0.0
    };
    let mut peak = f64::NEG_INFINITY;
    let mut max_dd: f64 = 0.0;
    for &v in &values {
        peak = peak.max(v);
        if peak > 0.0 {
            max_dd = max_dd.min(v / peak - 1.0);
        }
    }
    let colour = if change >= 0.0 { GREEN } else { RED };
    // What holding the scanned tickers did over the system's whole record.
    let benchmark = ctx
        .store
        .last_scan_run()
        .await?
        .and_then(|r| r.summary_json)
        .and_then(|j| rally_pipeline::scan::ScanSummary::from_json(&j).ok())
        .and_then(|s| s.benchmark);
    let e = Embed::new("💼 System equity (last 30 days)", colour)
        .description(format!(
            "```\n{}\n```{} → {} ({} snapshot{})",
            sparkline(&values),
            first.date,
            last.date,
            hist.len(),
            if hist.len() == 1 { "" } else { "s" }
        ))
        .field("Equity", money(last.equity), true)
        .field(
            "Change",
            format!("{} ({})", signed_percent(change_frac), signed_money(change)),
            true,
        )
        .field("Max drawdown", percent(max_dd, 2), true)
        .field("Cash", money(last.cash), true)
        .field("Exposure", money(last.exposure), true)
        .field("Open positions", last.n_open.to_string(), true);
    Ok(match benchmark {
        Some(b) => e.field(
            "Against buy & hold and every compressed bar",
            benchmark_text(&b),
            false,
        ),
        None => e,
    })
}
