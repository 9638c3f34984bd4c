//! Platform-neutral message model and the pure builders that turn events into
//! it. The Discord bot reuses these builders for its command replies, and the
//! renderers (`render`) turn embeds into each platform's format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use rally_trade::EntrySignal;

use crate::event::Event;

/// Green: signals, winning exits.
pub const GREEN: u32 = 0x2E_CC_71;
/// Red: errors, losing exits.
pub const RED: u32 = 0xE7_4C_3C;
/// Blue: retrain and informational messages.
pub const BLUE: u32 = 0x34_98_DB;

/// Discord's limits, which are the tightest of the platforms; builders
/// respect them so every renderer can assume them.
pub mod limits {
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Footer text.
    pub const FOOTER: usize = 2048;
    /// Embeds per message.
    pub const EMBEDS_PER_MESSAGE: usize = 10;
    /// Characters of all embeds of one message together.
    pub const MESSAGE_TOTAL: usize = 6000;
}

/// One field of an embed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Label.
    pub name: String,
    /// Value.
    pub value: String,
    /// Shown side by side with neighbouring inline fields.
    pub inline: bool,
}

/// A rich message: title, text, colour bar, fields, footer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embed {
    /// Title.
    pub title: String,
    /// Body text.
    pub description: Option<String>,
    /// Colour as 0xRRGGBB.
    pub colour: u32,
    /// Fields.
    pub fields: Vec<Field>,
    /// Footer text.
    pub footer: Option<String>,
    /// Timestamp shown by Discord.
    pub timestamp: Option<DateTime<Utc>>,
}

impl Embed {
    /// An embed with a title and colour.
    pub fn new(title: impl Into<String>, colour: u32) -> Self {
        Embed {
            title: truncate(&title.into(), limits::TITLE),
            description: None,
            colour,
            fields: Vec::new(),
            footer: None,
            timestamp: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(truncate(&text.into(), limits::DESCRIPTION));
        self
    }

    /// Adds a field (beyond 25 fields the rest are dropped).
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Self {
        if self.fields.len() < limits::FIELDS {
            let value = value.into();
            // Discord rejects empty field values.
            let value = if value.trim().is_empty() {
                "-".to_string()
            } else {
                value
            };
            self.fields.push(Field {
                name: truncate(&name.into(), limits::FIELD_NAME),
                value: truncate(&value, limits::FIELD_VALUE),
                inline,
            });
        }
        self
    }

    /// Sets the footer.
    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = Some(truncate(&text.into(), limits::FOOTER));
        self
    }

    /// Sets the timestamp.
    pub fn timestamp(mut self, t: DateTime<Utc>) -> Self {
        self.timestamp = Some(t);
        self
    }

    /// Characters Discord counts towards the 6,000 per message: title,
    /// description, field names and values, footer.
    pub fn char_count(&self) -> usize {
        self.title.chars().count()
            + self.description.as_deref().map_or(0, |d| d.chars().count())
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
            + self.footer.as_deref().map_or(0, |f| f.chars().count())
    }
}

/// Cuts `s` to at most `max` characters, ending with `…` if cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A fraction as a percent with one decimal (`0.123` -> `12.3%`).
fn percent1(x: f64) -> String {
    rally_text::percent(x, 1)
}

/// A percentage (not a fraction) with its sign (`5.0` -> `+5.00%`).
fn signed_pct_of_percent(x: f64) -> String {
    rally_text::signed_percent(x / 100.0)
}

/// One embed per signal (green): P(rally), compression, price, stop, target, size.
pub fn signal_embeds(signals: &[EntrySignal]) -> Vec<Embed> {
    let n = signals.len();
    signals
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let risk = if s.price > 0.0 {
                (s.price - s.stop) / s.price
            } else {
                0.0
            };
            Embed::new(format!("📈 New rally signal: {}", s.ticker), GREEN)
                .field(
                    "P(rally)",
                    match s.setup_top_pct {
                        Some(_) => rally_text::p_with_rank(s.p_rally, s.setup_top_pct),
                        None => percent1(s.p_rally),
                    },
                    true,
                )
                .field("Compression", format!("{:.3}", s.compression), true)
                .field("Price", rally_text::dollars(s.price), true)
                .field(
                    "Stop",
                    format!("{} ({})", rally_text::dollars(s.stop), percent1(-risk)),
                    true,
                )
                .field("Target", rally_text::dollars(s.target), true)
                .field("Size", percent1(s.size), true)
                .footer(format!("Signal {} of {n}", i + 1))
        })
        .collect()
}

/// A position exit: green if P&L >= 0, else red.
pub fn exit_embed(
    ticker: &str,
    reason: &str,
    pnl_pct: f64,
    bars_held: u32,
    entry: f64,
    exit: f64,
) -> Embed {
    let (colour, icon) = if pnl_pct >= 0.0 {
        (GREEN, "✅")
    } else {
        (RED, "🔻")
    };
    Embed::new(format!("{icon} Exit: {ticker}"), colour)
        .field("Reason", reason, true)
        .field("P&L", signed_pct_of_percent(pnl_pct), true)
        .field("Bars held", bars_held.to_string(), true)
        .field("Entry", rally_text::dollars(entry), true)
        .field("Exit", rally_text::dollars(exit), true)
}

/// Retrain summary (blue).
pub fn retrain_embed(
    trained: u32,
    skipped_fresh: u32,
    failed: u32,
    fresh: u32,
    stale: u32,
    elapsed_secs: f64,
) -> Embed {
    Embed::new("🔁 Retrain complete", BLUE)
        .field("Trained", trained.to_string(), true)
        .field("Skipped (fresh)", skipped_fresh.to_string(), true)
        .field("Failed", failed.to_string(), true)
        .field("Fresh models", fresh.to_string(), true)
        .field("Stale models", stale.to_string(), true)
        .field("Elapsed", rally_text::elapsed(elapsed_secs), true)
}

/// The walk-forward quality of the retrained models, when it was measured.
fn with_walk_forward(
    e: Embed,
    walk_forward_auc: Option<f64>,
    walk_forward_brier_skill: Option<f64>,
) -> Embed {
    let e = match walk_forward_auc.filter(|a| a.is_finite()) {
        Some(auc) => e.field("Walk-forward AUC (mean)", format!("{auc:.3}"), true),
        None => e,
    };
    match walk_forward_brier_skill.filter(|a| a.is_finite()) {
        // Signed: below 0 the probabilities are worse than the base rate.
        Some(s) => e.field(
            "Walk-forward Brier skill (median)",
            format!("{s:+.3}"),
            true,
        ),
        None => e,
    }
}

/// An error (red).
pub fn error_embed(context: &str, message: &str) -> Embed {
    Embed::new(format!("⚠️ Error: {context}"), RED).description(message)
}

/// The test message of `scanner alerts test` (blue).
pub fn test_embed() -> Embed {
    Embed::new("🔔 Rally detector test alert", BLUE)
        .description("If you can read this, alerts reach this channel.")
}

/// The embeds of an event. An empty signal list yields one "no new signals"
/// embed, so a delivery always sends something.
pub fn embeds_for(event: &Event) -> Vec<Embed> {
    match event {
        Event::Signals(s) if s.is_empty() => {
            vec![Embed::new("No new rally signals", BLUE)]
        }
        Event::Signals(s) => signal_embeds(s),
        Event::Exit {
            ticker,
            reason,
            pnl_pct,
            bars_held,
            entry,
            exit,
        } => {
            vec![exit_embed(
                ticker, reason, *pnl_pct, *bars_held, *entry, *exit,
            )]
        }
        Event::RetrainComplete {
            trained,
            skipped_fresh,
            failed,
            fresh,
            stale,
            elapsed_secs,
            walk_forward_auc,
            walk_forward_brier_skill,
            model_family,
        } => {
            let e = with_walk_forward(
                retrain_embed(
                    *trained,
                    *skipped_fresh,
                    *failed,
                    *fresh,
                    *stale,
                    *elapsed_secs,
                ),
                *walk_forward_auc,
                *walk_forward_brier_skill,
            );
            vec![match model_family {
                Some(f) => e.field("Model", f.clone(), true),
                None => e,
            }]
        }
        Event::Error { context, message } => vec![error_embed(context, message)],
        Event::Test => vec![test_embed()],
    }
}

/// A one-line plain-text summary of an event (email subject, webhook `text` head).
pub fn summary(event: &Event) -> String {
    match event {
        Event::Signals(s) if s.is_empty() => "Rally detector: no new signals".into(),
        Event::Signals(s) => {
            let tickers: Vec<&str> = s.iter().map(|s| s.ticker.as_str()).collect();
            let list = truncate(&tickers.join(", "), 120);
            format!(
                "Rally detector: {} new signal{}: {list}",
                s.len(),
                if s.len() == 1 { "" } else { "s" }
            )
        }
        Event::Exit {
            ticker,
            reason,
            pnl_pct,
            ..
        } => {
            format!(
                "Rally detector: exit {ticker} ({reason}) {}",
                signed_pct_of_percent(*pnl_pct)
            )
        }
        Event::RetrainComplete {
            trained,
            failed,
            elapsed_secs,
            model_family,
            ..
        } => format!(
            "Rally detector: retrain complete ({trained} trained, {failed} failed, {}){}",
            rally_text::elapsed(*elapsed_secs),
            model_family
                .as_ref()
                .map(|f| format!(" — model {f}"))
                .unwrap_or_default()
        ),
        Event::Error { context, .. } => format!("Rally detector: error in {context}"),
        Event::Test => "Rally detector: test alert".into(),
    }
}

/// Splits embeds into Discord messages: at most 10 embeds and 6,000
/// characters each, order preserved.
pub fn batch_discord(embeds: &[Embed]) -> Vec<Vec<Embed>> {
    let mut out: Vec<Vec<Embed>> = Vec::new();
    let mut cur: Vec<Embed> = Vec::new();
    let mut chars = 0;
    for e in embeds {
        let e = &shrink_to(e, limits::MESSAGE_TOTAL);
        let n = e.char_count();
        if !cur.is_empty()
            && (cur.len() == limits::EMBEDS_PER_MESSAGE || chars + n > limits::MESSAGE_TOTAL)
        {
            out.push(std::mem::take(&mut cur));
            chars = 0;
        }
        cur.push(e.clone());
        chars += n;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An embed cut down to at most `max` counted characters: trailing fields are
/// dropped first, then the description is shortened.
pub fn shrink_to(e: &Embed, max: usize) -> Embed {
    let mut e = e.clone();
    while e.char_count() > max && !e.fields.is_empty() {
        e.fields.pop();
    }
    if e.char_count() > max {
        let rest = e.char_count() - e.description.as_deref().map_or(0, |d| d.chars().count());
        let room = max.saturating_sub(rest);
        e.description = e.description.as_deref().map(|d| truncate(d, room));
    }
    e
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn colours_by_event() {
        let exit = |pnl| Event::Exit {
            ticker: "A".into(),
            reason: "r".into(),
            pnl_pct: pnl,
            bars_held: 1,
            entry: 1.0,
            exit: 1.0,
        };
        assert_eq!(embeds_for(&exit(0.5))[0].colour, GREEN);
        assert_eq!(embeds_for(&exit(-0.5))[0].colour, RED);
        assert_eq!(
            embeds_for(&Event::Error {
                context: "c".into(),
                message: "m".into()
            })[0]
                .colour,
            RED
        );
        let retrain = Event::RetrainComplete {
            trained: 1,
            skipped_fresh: 2,
            failed: 0,
            fresh: 3,
            stale: 4,
            elapsed_secs: 5.0,
            walk_forward_auc: None,
            walk_forward_brier_skill: None,
            model_family: None,
        };
        let e = &embeds_for(&retrain)[0];
        assert_eq!(e.colour, BLUE);
        assert_eq!(e.fields[3].value, "3");
        assert_eq!(e.fields[4].value, "4");
        assert_eq!(e.fields[5].value, "5s");
        assert_eq!(e.fields.len(), 6, "no AUC field without a walk-forward");
        let with_auc = Event::RetrainComplete {
            trained: 1,
            skipped_fresh: 2,
            failed: 0,
            fresh: 3,
            stale: 4,
            elapsed_secs: 5.0,
            walk_forward_auc: Some(0.6123),
            walk_forward_brier_skill: Some(-0.0456),
            model_family: None,
        };
        let e = &embeds_for(&with_auc)[0];
        assert_eq!(e.fields[6].value, "0.612");
        assert_eq!(e.fields[7].name, "Walk-forward Brier skill (median)");
        assert_eq!(
            e.fields[7].value, "-0.046",
            "signed: worse than the base rate"
        );
        let s = EntrySignal {
            ticker: "X".into(),
            p_rally: 0.7,
            compression: 0.1,
            price: 10.0,
            stop: 9.0,
            target: 12.0,
            size: 0.1,
            setup_top_pct: None,
        };
        let classic = &embeds_for(&Event::Signals(vec![s.clone()]))[0];
        assert_eq!(classic.colour, GREEN);
        assert_eq!(classic.fields[0].value, "70.0%");
        // Model v2: P with its rank among the training setups, never bare.
        let v2 = EntrySignal {
            setup_top_pct: Some(12.0),
            ..s
        };
        let v2 = &embeds_for(&Event::Signals(vec![v2]))[0];
        assert_eq!(v2.fields[0].value, "P 0.700 · top 12% of setups");
    }

    #[test]
    fn limits_are_enforced() {
        let long = "x".repeat(5000);
        let mut e = Embed::new(&long, BLUE).description(&long).footer(&long);
        for i in 0..30 {
            e = e.field(format!("{i}{long}"), &long, false);
        }
        assert_eq!(e.title.chars().count(), limits::TITLE);
        assert!(e.title.ends_with('…'));
        assert_eq!(
            e.description.as_ref().unwrap().chars().count(),
            limits::DESCRIPTION
        );
        assert_eq!(e.fields.len(), limits::FIELDS);
        assert!(
            e.fields
                .iter()
                .all(|f| f.name.chars().count() <= 256 && f.value.chars().count() <= 1024)
        );
        let batches = batch_discord(&[e.clone(), e]);
        assert_eq!(batches.len(), 2);
        for b in &batches {
            assert!(b.iter().map(Embed::char_count).sum::<usize>() <= limits::MESSAGE_TOTAL);
        }
    }

    #[test]
    fn batching_respects_count_and_characters() {
        let mid = Embed::new("t", GREEN).description("y".repeat(2500));
        let sizes: Vec<usize> = batch_discord(&vec![mid; 5]).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1], "6,000 characters per message");
        let small = Embed::new("t", GREEN);
        let sizes: Vec<usize> = batch_discord(&vec![small; 21])
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [10, 10, 1], "10 embeds per message");
        assert!(batch_discord(&[]).is_empty());
    }

    #[test]
    fn event_json_round_trip() {
        let e = Event::Signals(vec![EntrySignal {
            ticker: "X".into(),
            p_rally: 0.7,
            compression: 0.1,
            price: 10.0,
            stop: 9.0,
            target: 12.0,
            size: 0.1,
            setup_top_pct: None,
        }]);
        let row = e.to_outbox("signals:2024-01-02").unwrap();
        assert_eq!(row.kind, "signals");
        assert_eq!(serde_json::from_str::<Event>(&row.payload_json).unwrap(), e);
        assert_eq!(
            serde_json::to_value(Event::Test).unwrap(),
            serde_json::json!({"type": "test"})
        );
    }
}
