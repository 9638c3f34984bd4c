//! Telegram chat messages through teloxide (`sendMessage`, HTML parse mode),
//! paced to Telegram's ~1 message per second per chat.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, ParseMode, Recipient};
use teloxide::{Bot, RequestError};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{Notifier, wrong_message};
use crate::embed::embeds_for;
use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::{Message, telegram};
use crate::secret::{Redactor, Secret};
use crate::settings::{NotifySettings, TelegramSettings};

const NAME: &str = "telegram";

/// Sends HTML messages to one chat.
pub struct TelegramNotifier {
    // teloxide's `Bot` derives Debug including the token: never print it.
    bot: Bot,
    token: Secret,
    chat: Recipient,
    min_interval: Duration,
    last_sent: Mutex<Option<Instant>>,
    redactor: Redactor,
}

impl fmt::Debug for TelegramNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramNotifier")
            .field("token", &self.token)
            .field("chat", &self.chat)
            .field("min_interval", &self.min_interval)
            .finish()
    }
}

impl TelegramNotifier {
    /// Builds the notifier.
    pub fn new(s: &TelegramSettings, all: &NotifySettings) -> Result<Self, NotifyError> {
        let api_url = reqwest::Url::parse(&s.api_url)
            .map_err(|_| NotifyError::Config("TELEGRAM_API_URL is not a valid URL".into()))?;
        // teloxide brings its own reqwest; build its client here (rather than
        // `Bot::new`, which panics on failure) with our timeouts.
        let client = teloxide::net::default_reqwest_settings()
            .timeout(all.request_timeout)
            .connect_timeout(all.connect_timeout)
            .build()
            .map_err(|e| {
                NotifyError::Config(format!("Telegram HTTP client: {}", e.without_url()))
            })?;
        let bot = Bot::with_client(s.token.expose(), client).set_api_url(api_url);
        let chat = match s.chat_id.parse::<i64>() {
            Ok(id) => Recipient::Id(ChatId(id)),
            Err(_) => Recipient::ChannelUsername(s.chat_id.clone()),
        };
        Ok(TelegramNotifier {
            bot,
            token: s.token.clone(),
            chat,
            min_interval: s.min_interval,
            last_sent: Mutex::new(None),
            redactor: all.redactor(),
        })
    }

    /// Classifies a teloxide error. Its texts may carry the request URL,
    /// which holds the token: the caller redacts them.
    fn classify(err: RequestError) -> SendError {
        match err {
            RequestError::RetryAfter(secs) => SendError::retryable(NAME, "rate limited (429)")
                .rate_limited()
                .with_retry_after(Some(secs.duration())),
            RequestError::Network(e) => {
                let e = e.as_ref();
                let what = if e.is_timeout() {
                    "timeout"
                } else {
                    "network error"
                };
                let mut text = format!("{what}: {e}");
                let mut src = std::error::Error::source(e);
                while let Some(s) = src {
                    text.push_str(&format!(": {s}"));
                    src = s.source();
                }
                SendError::retryable(NAME, text)
            }
            // A non-JSON answer is a proxy/gateway error page: transient.
            RequestError::InvalidJson { .. } => {
                SendError::retryable(NAME, "invalid response from the Bot API")
            }
            RequestError::Io(e) => SendError::retryable(NAME, format!("I/O: {e}")),
            RequestError::MigrateToChatId(id) => SendError::permanent(
                NAME,
                format!("chat migrated to a supergroup: set TELEGRAM_CHAT_ID={id}"),
            ),
            RequestError::Api(api) => {
                let text = api.to_string();
                // teloxide drops the HTTP status; server-side failures show
                // up as their description.
                let transient = [
                    "Internal Server Error",
                    "Bad Gateway",
                    "Service Unavailable",
                    "Gateway Timeout",
                    "Too Many Requests",
                ]
                .iter()
                .any(|p| text.contains(p));
                if text.contains("Too Many Requests") {
                    SendError::retryable(NAME, text).rate_limited()
                } else if transient {
                    SendError::retryable(NAME, text)
                } else {
                    SendError::permanent(NAME, text)
                }
            }
        }
    }
}

#[async_trait]
impl Notifier for TelegramNotifier {
    fn name(&self) -> &str {
        NAME
    }

    fn render(&self, event: &Event) -> Vec<Message> {
        telegram::messages(&embeds_for(event))
            .into_iter()
            .map(Message::Html)
            .collect()
    }

    async fn send_message(&self, message: &Message) -> Result<(), SendError> {
        let Message::Html(text) = message else {
            return Err(wrong_message(NAME));
        };
        // Holding the lock across the send serialises messages to the chat
        // and spaces them by `min_interval`.
        let mut last = self.last_sent.lock().await;
        if let Some(t) = *last {
            tokio::time::sleep_until(t + self.min_interval).await;
        }
        let result = self
            .bot
            .send_message(self.chat.clone(), text.clone())
            .parse_mode(ParseMode::Html)
            .await;
        *last = Some(Instant::now());
        result
            .map(|_| ())
            .map_err(|e| self.redactor.send_error(Self::classify(e)))
    }
}
