//! Alerts of the rally detector: turns pipeline events (new signals, exits,
//! retrain summaries, errors) into messages and delivers them to Discord (REST
//! embeds), Telegram (teloxide, HTML), email (lettre SMTP) and a generic JSON
//! webhook, through the durable outbox of `rally-store`.
//!
//! - [`embed`]: the platform-neutral message model and its pure builders
//!   (reused by the Discord bot for command replies).
//! - [`render`]: per-platform formats and batching within platform limits.
//! - [`Notifier`] and its backends, configured by [`NotifySettings::from_env`];
//!   a backend without settings is simply off.
//! - [`deliver_outbox`]: at-least-once delivery per backend with retries,
//!   never again after a recorded success.
//!
//! Secrets (tokens, passwords, webhook URLs) are held in [`Secret`] and never
//! appear in `Debug`/`Display` output, errors or logs: every backend error
//! leaves through a [`Redactor`] built from all configured settings.
//!
//! [`discord_token_shape`] checks a Discord bot token's shape before it is
//! used (the bot refuses a malformed one at startup).
//!
//! Not here: deciding what to alert (the pipeline does) or the Discord bot's
//! slash commands (`discord-bot`).

pub mod embed;
pub mod render;

mod backend;
mod delivery;
mod error;
mod event;
mod secret;
mod settings;
mod token;

pub use backend::{
    DiscordNotifier, EmailNotifier, Notifier, TelegramNotifier, WebhookNotifier, backend_names,
    build_notifiers,
};
pub use delivery::{
    DeliveryFailure, DeliveryPolicy, DeliveryReport, deliver_outbox, enqueue, send_test,
};
pub use error::{ErrorClass, NotifyError, SendError};
pub use event::Event;
pub use rally_trade::EntrySignal;
pub use secret::{Redactor, Secret, redact};
pub use settings::{
    DEFAULT_DISCORD_API_BASE, DEFAULT_TELEGRAM_API_URL, DiscordSettings, EmailSettings,
    NotifySettings, SmtpTls, TelegramSettings, WebhookSettings,
};
pub use token::{TokenShapeError, discord_token_shape};
