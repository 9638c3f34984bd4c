//! Email through SMTP (lettre, tokio, rustls): implicit TLS, STARTTLS or
//! plain by setting; multipart/alternative plain text + HTML.

use std::fmt;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Notifier, wrong_message};
use crate::embed::{embeds_for, summary};
use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::{Message, email};
use crate::secret::{Redactor, Secret};
use crate::settings::{EmailSettings, NotifySettings, SmtpTls};

const NAME: &str = "email";

/// Sends one email per event to the configured recipients.
pub struct EmailNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    host: String,
    password: Option<Secret>,
    redactor: Redactor,
}

impl fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("host", &self.host)
            .field("from", &self.from.email.to_string())
            .field("to", &self.to.len())
            .field("password", &self.password)
            .finish()
    }
}

fn mailbox(var: &str, addr: &str) -> Result<Mailbox, NotifyError> {
    addr.parse::<Mailbox>()
        .map_err(|_| NotifyError::Config(format!("{var} is not a valid email address")))
}

impl EmailNotifier {
    /// Builds the notifier (no connection is made until the first send).
    pub fn new(s: &EmailSettings, all: &NotifySettings) -> Result<Self, NotifyError> {
        let builder = match s.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
            }
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|_| NotifyError::Config("SMTP_HOST is not a valid host name".into()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|_| NotifyError::Config("SMTP_HOST is not a valid host name".into()))?,
        };
        let mut builder = builder.port(s.port).timeout(Some(all.request_timeout));
        if let (Some(user), Some(pw)) = (&s.user, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pw.expose().to_string()));
        }
        if s.to.is_empty() {
            return Err(NotifyError::Config("NOTIFY_EMAIL has no address".into()));
        }
        Ok(EmailNotifier {
            transport: builder.build(),
            from: mailbox("SMTP_FROM", &s.from)?,
            to: s
                .to
                .iter()
                .map(|a| mailbox("NOTIFY_EMAIL", a))
                .collect::<Result<_, _>>()?,
            host: s.host.clone(),
            password: s.password.clone(),
            redactor: all.redactor(),
        })
    }
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn name(&self) -> &str {
        NAME
    }

    fn render(&self, event: &Event) -> Vec<Message> {
        vec![Message::Email(email::message(
            &summary(event),
            &embeds_for(event),
        ))]
    }

    async fn send_message(&self, message: &Message) -> Result<(), SendError> {
        self.deliver(message)
            .await
            .map_err(|e| self.redactor.send_error(e))
    }
}

impl EmailNotifier {
    /// The send itself; its errors are not redacted yet.
    async fn deliver(&self, message: &Message) -> Result<(), SendError> {
        let Message::Email(body) = message else {
            return Err(wrong_message(NAME));
        };
        let mut b = lettre::Message::builder()
            .from(self.from.clone())
            .subject(body.subject.clone());
        for to in &self.to {
            b = b.to(to.clone());
        }
        let msg = b
            .multipart(MultiPart::alternative_plain_html(
                body.text.clone(),
                body.html.clone(),
            ))
            .map_err(|e| SendError::permanent(NAME, format!("building the email: {e}")))?;
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = format!("SMTP: {e}");
                // SMTP 5xx replies and client-side errors will not fix
                // themselves; 4xx replies, timeouts and connection or TLS
                // failures might.
                if e.is_permanent() || e.is_client() {
                    Err(SendError::permanent(NAME, text))
                } else {
                    Err(SendError::retryable(NAME, text))
                }
            }
        }
    }
}
