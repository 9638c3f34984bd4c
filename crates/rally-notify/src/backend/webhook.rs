//! Generic JSON webhook (Slack-compatible `text` plus structured data).

use std::fmt;

use async_trait::async_trait;

use super::{Notifier, http, wrong_message};
use crate::embed::embeds_for;
use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::{Message, webhook};
use crate::secret::{Redactor, Secret};
use crate::settings::{NotifySettings, WebhookSettings};

const NAME: &str = "webhook";

/// POSTs one JSON document per event to the webhook URL.
pub struct WebhookNotifier {
    client: reqwest::Client,
    url: Secret,
    redactor: Redactor,
}

impl fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookNotifier")
            .field("url", &self.url)
            .finish()
    }
}

impl WebhookNotifier {
    /// Builds the notifier.
    pub fn new(s: &WebhookSettings, all: &NotifySettings) -> Result<Self, NotifyError> {
        Ok(WebhookNotifier {
            client: http::client(all, "rally-detector/0.1")?,
            url: s.url.clone(),
            redactor: all.redactor(),
        })
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        NAME
    }

    fn render(&self, event: &Event) -> Vec<Message> {
        vec![Message::Json(webhook::body(event, &embeds_for(event)))]
    }

    async fn send_message(&self, message: &Message) -> Result<(), SendError> {
        self.post(message)
            .await
            .map_err(|e| self.redactor.send_error(e))
    }
}

impl WebhookNotifier {
    /// The send itself; its errors are not redacted yet.
    async fn post(&self, message: &Message) -> Result<(), SendError> {
        let Message::Json(body) = message else {
            return Err(wrong_message(NAME));
        };
        let resp = self
            .client
            .post(self.url.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| http::transport_error(NAME, e))?;
        http::check_response(NAME, resp, &self.redactor).await
    }
}
