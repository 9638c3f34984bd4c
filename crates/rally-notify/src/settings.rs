//! Alert settings from the environment. A backend whose required settings are
//! missing is off (no error); a present but malformed setting is an error that
//! names the variable, never its value.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::NotifyError;
use crate::secret::{MIN_SECRET_LEN, Redactor, Secret};

/// Default Discord REST base.
pub const DEFAULT_DISCORD_API_BASE: &str = "https://discord.com/api/v10";
/// Default Telegram Bot API base.
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";

/// Discord channel alerts.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    /// Bot token (`DISCORD_BOT_TOKEN`).
    pub token: Secret,
    /// Channel id (`DISCORD_CHANNEL_ID`).
    pub channel_id: String,
    /// REST base URL (`DISCORD_API_BASE`).
    pub api_base: String,
}

/// Telegram chat alerts.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// Bot token (`TELEGRAM_BOT_TOKEN`).
    pub token: Secret,
    /// Chat id (`TELEGRAM_CHAT_ID`): a number or `@channelname`.
    pub chat_id: String,
    /// Bot API base URL (`TELEGRAM_API_URL`).
    pub api_url: String,
    /// Minimum interval between two messages to the chat (Telegram allows
    /// about one per second per chat). Tests shorten it.
    pub min_interval: Duration,
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (local relays and tests only).
    None,
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    StartTls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
}

/// Email alerts.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `SMTP_HOST`.
    pub host: String,
    /// `SMTP_PORT` (default 465 for implicit TLS, 587 for STARTTLS, 25 for none).
    pub port: u16,
    /// `SMTP_USER`; authentication is used when user and password are set.
    pub user: Option<String>,
    /// `SMTP_PASSWORD`.
    pub password: Option<Secret>,
    /// `SMTP_TLS`.
    pub tls: SmtpTls,
    /// `SMTP_FROM` (default `SMTP_USER`, else the first recipient).
    pub from: String,
    /// `NOTIFY_EMAIL`, comma-separated.
    pub to: Vec<String>,
}

/// Generic webhook alerts.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `WEBHOOK_URL`. Secret: Slack/Discord webhook URLs embed their key.
    pub url: Secret,
}

/// All alert settings; `None` = backend off.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Discord, if configured.
    pub discord: Option<DiscordSettings>,
    /// Telegram, if configured.
    pub telegram: Option<TelegramSettings>,
    /// Email, if configured.
    pub email: Option<EmailSettings>,
    /// Webhook, if configured.
    pub webhook: Option<WebhookSettings>,
    /// Whole-request timeout of every backend.
    pub request_timeout: Duration,
    /// Connect timeout of every backend.
    pub connect_timeout: Duration,
}

impl NotifySettings {
    /// Collects the secrets of every configured backend: the Discord and
    /// Telegram bot tokens, the SMTP password (and its SMTP AUTH forms), and
    /// the user-info, path segments, query and fragment of every configured
    /// URL (webhook, Discord API base, Telegram API URL).
    pub fn redactor(&self) -> Redactor {
        let s = self;
        let mut r = Redactor::default();
        if let Some(d) = &s.discord {
            r.add_token(d.token.expose());
            r.add_url(&d.api_base);
        }
        if let Some(t) = &s.telegram {
            r.add_token(t.token.expose());
            r.add_url(&t.api_url);
        }
        if let Some(e) = &s.email
            && let Some(pw) = &e.password
        {
            r.add_secret(pw.expose(), MIN_SECRET_LEN);
            // What AUTH PLAIN and AUTH LOGIN put on the wire, should a
            // server quote it back.
            let user = e.user.as_deref().unwrap_or_default();
            r.add_raw(BASE64.encode(format!("\0{user}\0{}", pw.expose())));
            r.add_raw(BASE64.encode(pw.expose()));
        }
        if let Some(w) = &s.webhook {
            r.add_secret(w.url.expose(), MIN_SECRET_LEN);
            r.add_url(w.url.expose());
        }
        r
    }
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            discord: None,
            telegram: None,
            email: None,
            webhook: None,
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl NotifySettings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, NotifyError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (tests pass a map). Empty values
    /// count as missing.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, NotifyError> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut s = NotifySettings::default();

        match (var("DISCORD_BOT_TOKEN"), var("DISCORD_CHANNEL_ID")) {
            (Some(token), Some(channel_id)) => {
                if !channel_id.chars().all(|c| c.is_ascii_digit()) {
                    return Err(NotifyError::Config(
                        "DISCORD_CHANNEL_ID must be a numeric id".into(),
                    ));
                }
                s.discord = Some(DiscordSettings {
                    token: Secret::new(token),
                    channel_id,
                    api_base: base_url(
                        "DISCORD_API_BASE",
                        var("DISCORD_API_BASE"),
                        DEFAULT_DISCORD_API_BASE,
                    )?,
                });
            }
            (Some(_), None) => {
                tracing::debug!(
                    "DISCORD_BOT_TOKEN set without DISCORD_CHANNEL_ID: Discord alerts off"
                )
            }
            _ => {}
        }

        if let (Some(token), Some(chat_id)) = (var("TELEGRAM_BOT_TOKEN"), var("TELEGRAM_CHAT_ID")) {
            let ok = chat_id.starts_with('@') || chat_id.parse::<i64>().is_ok();
            if !ok {
                return Err(NotifyError::Config(
                    "TELEGRAM_CHAT_ID must be a numeric chat id or @channelname".into(),
                ));
            }
            s.telegram = Some(TelegramSettings {
                token: Secret::new(token),
                chat_id,
                api_url: base_url(
                    "TELEGRAM_API_URL",
                    var("TELEGRAM_API_URL"),
                    DEFAULT_TELEGRAM_API_URL,
                )?,
                min_interval: Duration::from_millis(1050),
            });
        }

        if let (Some(host), Some(to)) = (var("SMTP_HOST"), var("NOTIFY_EMAIL")) {
            let port =
                match var("SMTP_PORT") {
                    Some(p) => Some(p.parse::<u16>().map_err(|_| {
                        NotifyError::Config("SMTP_PORT must be a port number".into())
                    })?),
                    None => None,
                };
            let tls = match var("SMTP_TLS").map(|v| v.to_ascii_lowercase()).as_deref() {
                Some("none") | Some("plain") => SmtpTls::None,
                Some("starttls") => SmtpTls::StartTls,
                Some("tls") | Some("ssl") => SmtpTls::Tls,
                Some(_) => {
                    return Err(NotifyError::Config(
                        "SMTP_TLS must be none, starttls or tls".into(),
                    ));
                }
                None if port == Some(465) => SmtpTls::Tls,
                None => SmtpTls::StartTls,
            };
            let port = port.unwrap_or(match tls {
                SmtpTls::Tls => 465,
                SmtpTls::StartTls => 587,
                SmtpTls::None => 25,
            });
            let to: Vec<String> = to
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            let user = var("SMTP_USER");
            let from = var("SMTP_FROM")
                .or_else(|| user.clone().filter(|u| u.contains('@')))
                .or_else(|| to.first().cloned())
                .unwrap_or_default();
            s.email = Some(EmailSettings {
                host,
                port,
                user,
                password: var("SMTP_PASSWORD").map(Secret::new),
                tls,
                from,
                to,
            });
        }

        if let Some(url) = var("WEBHOOK_URL") {
            if url::Url::parse(&url).is_err() {
                return Err(NotifyError::Config("WEBHOOK_URL is not a valid URL".into()));
            }
            s.webhook = Some(WebhookSettings {
                url: Secret::new(url),
            });
        }
        Ok(s)
    }

    /// Names of the configured backends, in a fixed order.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.discord.is_some() {
            v.push("discord");
        }
        if self.telegram.is_some() {
            v.push("telegram");
        }
        if self.email.is_some() {
            v.push("email");
        }
        if self.webhook.is_some() {
            v.push("webhook");
        }
        v
    }
}

fn base_url(name: &str, value: Option<String>, default: &str) -> Result<String, NotifyError> {
    let v = value.unwrap_or_else(|| default.to_string());
    match url::Url::parse(&v) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
            Ok(v.trim_end_matches('/').to_string())
        }
        _ => Err(NotifyError::Config(format!(
            "{name} must be an http(s) URL"
        ))),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;
    use crate::error::SendError;
    use crate::secret::*;
    use std::time::Duration;

    fn settings() -> NotifySettings {
        NotifySettings {
            telegram: Some(TelegramSettings {
                token: Secret::new("123456:tg-tail-SECRET"),
                chat_id: "1".into(),
                api_url: "https://api.telegram.org".into(),
                min_interval: Duration::ZERO,
            }),
            email: Some(EmailSettings {
                host: "smtp.example.com".into(),
                port: 465,
                user: Some("me@example.com".into()),
                password: Some(Secret::new("pa ss:SECRET")),
                tls: SmtpTls::Tls,
                from: "me@example.com".into(),
                to: vec!["you@example.com".into()],
            }),
            webhook: Some(WebhookSettings {
                url: Secret::new(
                    "https://bob:pw-SECRET@hooks.example.com/services/T0001/hook-SECRET%2Bx?sig=q-SECRET&v=1#frag-SECRET",
                ),
            }),
            ..NotifySettings::default()
        }
    }

    #[test]
    fn every_spelling_of_every_url_part_is_redacted() {
        let r = settings().redactor();
        for leak in [
            "POST /services/T0001/hook-SECRET%2Bx?sig=q-SECRET&v=1",
            "path /services/T0001/hook-SECRET+x (decoded)",
            "path %2Fservices%2FT0001%2Fhook-SECRET%252Bx (encoded again)",
            "sig=q-SECRET",
            "#frag-SECRET",
            "user pw-SECRET",
            "Authorization: Basic Ym9iOnB3LVNFQ1JFVA==",
            "token 123456:tg-tail-SECRET, or %3a-encoded 123456%3atg-tail-SECRET",
            "tail alone: tg-tail-SECRET",
            "smtp pa ss:SECRET / pa+ss%3ASECRET / pa%20ss%3aSECRET",
            "AUTH PLAIN AG1lQGV4YW1wbGUuY29tAHBhIHNzOlNFQ1JFVA==",
        ] {
            let out = r.redact(leak);
            assert!(!out.contains("SECRET"), "{leak} -> {out}");
            assert!(!out.contains("Ym9iOnB3LVNFQ1JFVA"), "{out}");
            assert!(
                !out.contains("AG1lQGV4YW1wbGUuY29tAHBhIHNzOlNFQ1JFVA"),
                "{out}"
            );
            assert!(out.contains(REDACTED), "{leak} -> {out}");
        }
    }

    #[test]
    fn public_parts_stay_readable() {
        let r = settings().redactor();
        let text = "HTTP 500 from hooks.example.com: /api/v10 T0001 v=1 error";
        assert_eq!(r.redact(text), text);
        assert!(!format!("{r:?}").contains("SECRET"));
    }

    #[test]
    fn a_secret_containing_another_is_replaced_whole() {
        let mut r = Redactor::default();
        r.add_secret("abcd", MIN_SECRET_LEN);
        r.add_secret("xxabcdyy", MIN_SECRET_LEN);
        assert_eq!(r.redact("1 xxabcdyy 2 abcd"), "1 [redacted] 2 [redacted]");
    }

    #[test]
    fn send_errors_leave_through_the_redactor() {
        let r = settings().redactor();
        let e = SendError::retryable("webhook", "echo: /services/T0001/hook-SECRET%2Bx");
        let e = r.send_error(e);
        // `services` goes too: URL parts are redacted by length, not by
        // guessing which words are secret.
        assert_eq!(e.message, "echo: /[redacted]/T0001/[redacted]");
        assert!(e.is_retryable());
    }
}
