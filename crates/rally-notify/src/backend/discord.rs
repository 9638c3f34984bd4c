//! Discord channel messages through the REST API (create message with embeds).

use std::fmt;

use async_trait::async_trait;

use super::{Notifier, http, wrong_message};
use crate::embed::embeds_for;
use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::{Message, discord};
use crate::secret::{Redactor, Secret};
use crate::settings::{DiscordSettings, NotifySettings};

const NAME: &str = "discord";

/// Posts embeds to `{api_base}/channels/{channel_id}/messages` as the bot.
pub struct DiscordNotifier {
    client: reqwest::Client,
    url: String,
    token: Secret,
    auth: Secret,
    redactor: Redactor,
}

impl fmt::Debug for DiscordNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscordNotifier")
            .field("url", &self.url)
            .field("token", &self.token)
            .finish()
    }
}

impl DiscordNotifier {
    /// Builds the notifier.
    pub fn new(s: &DiscordSettings, all: &NotifySettings) -> Result<Self, NotifyError> {
        Ok(DiscordNotifier {
            // Discord requires this User-Agent shape for bots.
            client: http::client(all, "DiscordBot (https://github.com/rally-detector, 0.1)")?,
            url: format!("{}/channels/{}/messages", s.api_base, s.channel_id),
            auth: Secret::new(format!("Bot {}", s.token.expose())),
            token: s.token.clone(),
            redactor: all.redactor(),
        })
    }
}

#[async_trait]
impl Notifier for DiscordNotifier {
    fn name(&self) -> &str {
        NAME
    }

    fn render(&self, event: &Event) -> Vec<Message> {
        discord::messages(&embeds_for(event))
            .into_iter()
            .map(Message::Json)
            .collect()
    }

    async fn send_message(&self, message: &Message) -> Result<(), SendError> {
        self.post(message)
            .await
            .map_err(|e| self.redactor.send_error(e))
    }
}

impl DiscordNotifier {
    /// The send itself; its errors are not redacted yet.
    async fn post(&self, message: &Message) -> Result<(), SendError> {
        let Message::Json(body) = message else {
            return Err(wrong_message(NAME));
        };
        let resp = self
            .client
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, self.auth.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        http::check_response(NAME, resp, &self.redactor).await
    }
}
