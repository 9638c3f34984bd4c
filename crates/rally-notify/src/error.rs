//! Error types: send failures classified for retry, and everything else.

use std::fmt;
use std::time::Duration;

/// Whether a failed send is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Timeouts, connection errors, HTTP 5xx/408/429, SMTP 4xx: try again later.
    Retryable,
    /// HTTP 4xx, SMTP 5xx, malformed messages: retrying will not help soon.
    Permanent,
}

/// A failed send to one backend. The message never contains a secret: every
/// error leaves its backend through the backend's [`crate::Redactor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// Backend name (`discord`, `telegram`, `email`, `webhook`).
    pub backend: String,
    /// Retry or not.
    pub class: ErrorClass,
    /// Server-requested wait before retrying (HTTP 429 `Retry-After`,
    /// Discord `retry_after`, Telegram `retry_after`).
    pub retry_after: Option<Duration>,
    /// Human-readable, secret-free description.
    pub message: String,
    /// The server said we send too much (HTTP 429 and the like): the whole
    /// backend should wait, not just this message.
    pub rate_limited: bool,
}

impl SendError {
    /// A retryable error.
    pub fn retryable(backend: &str, message: impl Into<String>) -> Self {
        SendError {
            backend: backend.to_string(),
            class: ErrorClass::Retryable,
            retry_after: None,
            message: message.into(),
            rate_limited: false,
        }
    }

    /// A permanent error.
    pub fn permanent(backend: &str, message: impl Into<String>) -> Self {
        SendError {
            backend: backend.to_string(),
            class: ErrorClass::Permanent,
            retry_after: None,
            message: message.into(),
            rate_limited: false,
        }
    }

    /// Sets the server-requested wait.
    pub fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.retry_after = d;
        self
    }

    /// Marks the error as a rate limit.
    pub fn rate_limited(mut self) -> Self {
        self.rate_limited = true;
        self
    }

    /// Whether the server asked the whole backend to wait (a rate limit, or
    /// any error carrying a server-requested wait).
    pub fn pauses_backend(&self) -> bool {
        self.rate_limited || self.retry_after.is_some()
    }

    /// Whether retrying may help.
    pub fn is_retryable(&self) -> bool {
        self.class == ErrorClass::Retryable
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.backend, self.message)?;
        if let Some(d) = self.retry_after {
            write!(f, " (retry after {:.3}s)", d.as_secs_f64())?;
        }
        if self.class == ErrorClass::Retryable {
            f.write_str(" [retryable]")?;
        }
        Ok(())
    }
}

impl std::error::Error for SendError {}

/// Errors outside a single send: configuration and the outbox store.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// A setting is present but invalid. Names the variable, never its value.
    #[error("invalid alert configuration: {0}")]
    Config(String),
    /// The outbox store failed.
    #[error(transparent)]
    Store(#[from] rally_store::StoreError),
    /// An event could not be (de)serialised.
    #[error("event encoding: {0}")]
    Encoding(#[from] serde_json::Error),
}
