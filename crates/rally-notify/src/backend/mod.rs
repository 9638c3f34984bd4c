//! The `Notifier` trait and its four backends.

mod discord;
mod email;
mod http;
mod telegram;
mod webhook;

use std::fmt;

use async_trait::async_trait;

use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::Message;
use crate::settings::NotifySettings;

pub use discord::DiscordNotifier;
pub use email::EmailNotifier;
pub use telegram::TelegramNotifier;
pub use webhook::WebhookNotifier;

/// An alert backend.
///
/// An event is rendered into one or more messages ([`Notifier::render`],
/// deterministic) that are sent one by one ([`Notifier::send_message`]); the
/// outbox records progress between messages so a retry resumes after the
/// last one that got through.
#[async_trait]
pub trait Notifier: Send + Sync + fmt::Debug {
    /// Backend name as stored in the outbox (`discord`, `telegram`, `email`, `webhook`).
    fn name(&self) -> &str;

    /// The messages of an event, in sending order.
    fn render(&self, event: &Event) -> Vec<Message>;

    /// Sends one message. Implementations pace themselves if the platform
    /// needs it and classify failures as retryable or permanent.
    async fn send_message(&self, message: &Message) -> Result<(), SendError>;

    /// Sends all messages of an event, stopping at the first failure.
    async fn send(&self, event: &Event) -> Result<(), SendError> {
        for m in self.render(event) {
            self.send_message(&m).await?;
        }
        Ok(())
    }
}

/// Builds a notifier for every configured backend (Discord, Telegram, email,
/// webhook, in that order). Unconfigured backends are simply absent.
pub fn build_notifiers(settings: &NotifySettings) -> Result<Vec<Box<dyn Notifier>>, NotifyError> {
    let mut v: Vec<Box<dyn Notifier>> = Vec::new();
    if let Some(d) = &settings.discord {
        v.push(Box::new(DiscordNotifier::new(d, settings)?));
    }
    if let Some(t) = &settings.telegram {
        v.push(Box::new(TelegramNotifier::new(t, settings)?));
    }
    if let Some(e) = &settings.email {
        v.push(Box::new(EmailNotifier::new(e, settings)?));
    }
    if let Some(w) = &settings.webhook {
        v.push(Box::new(WebhookNotifier::new(w, settings)?));
    }
    tracing::debug!(backends = ?v.iter().map(|n| n.name()).collect::<Vec<_>>(), "alert backends");
    Ok(v)
}

/// The names of `notifiers`, to pass as `backends` when enqueueing events.
pub fn backend_names(notifiers: &[Box<dyn Notifier>]) -> Vec<String> {
    notifiers.iter().map(|n| n.name().to_string()).collect()
}

fn wrong_message(backend: &str) -> SendError {
    SendError::permanent(backend, "message type not supported by this backend")
}
