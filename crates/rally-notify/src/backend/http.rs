//! Shared HTTP plumbing: the reqwest client and the classification of
//! responses and transport errors into retryable / permanent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Response, StatusCode};

use crate::error::{NotifyError, SendError};
use crate::secret::Redactor;
use crate::settings::NotifySettings;

/// A rustls client with the configured timeouts. Redirects are not followed:
/// an API answering with a redirect is misconfigured, and not following keeps
/// credentials from travelling anywhere else.
pub(crate) fn client(
    settings: &NotifySettings,
    user_agent: &str,
) -> Result<reqwest::Client, NotifyError> {
    reqwest::Client::builder()
        .timeout(settings.request_timeout)
        .connect_timeout(settings.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .build()
        .map_err(|e| NotifyError::Config(format!("HTTP client: {}", e.without_url())))
}

/// The wait a `Retry-After` header asks for, as of now.
fn retry_after_header(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(v, Utc::now())
}

/// A `Retry-After` value: delay seconds (integer, or fractional as Discord
/// sends them) or an HTTP-date, which is turned into the wait from `now` (a
/// date in the past means no wait). Anything else is ignored.
fn parse_retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = v.trim();
    parse_secs(v).or_else(|| {
        let at = DateTime::parse_from_rfc2822(v).ok()?;
        let wait = (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO);
        Some(wait.min(MAX_RETRY_AFTER))
    })
}

/// Longest server-requested wait taken at face value.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

fn parse_secs(v: &str) -> Option<Duration> {
    let s: f64 = v.parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s).min(MAX_RETRY_AFTER))
}

/// Ok for 2xx; otherwise a classified error. The response body is quoted,
/// redacted and shortened (in that order: a cut could leave part of a secret
/// the redactor no longer recognises), because APIs explain 4xx there and
/// servers echo the request path in it.
pub(crate) async fn check_response(
    backend: &str,
    resp: Response,
    redactor: &Redactor,
) -> Result<(), SendError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let header_wait = retry_after_header(&resp);
    let body = resp.text().await.unwrap_or_default();
    // Discord puts a fractional `retry_after` in the 429 JSON body.
    let body_wait = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("retry_after").and_then(|r| r.as_f64()))
        .and_then(|s| parse_secs(&s.to_string()));
    let snippet: String = redactor.redact(body.trim()).chars().take(200).collect();
    let message = if snippet.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {snippet}")
    };
    let retryable = status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error();
    let mut err = if retryable {
        SendError::retryable(backend, message)
    } else {
        SendError::permanent(backend, message)
    };
    if status == StatusCode::TOO_MANY_REQUESTS {
        err = err.rate_limited();
    }
    Err(err.with_retry_after(header_wait.or(body_wait)))
}

/// Classifies a transport error. The URL is stripped (a webhook URL is a
/// secret); the caller's redactor removes anything else.
pub(crate) fn transport_error(backend: &str, err: reqwest::Error) -> SendError {
    let err = err.without_url();
    let what = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut message = format!("{what}: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    if err.is_builder() || err.is_redirect() {
        SendError::permanent(backend, message)
    } else {
        SendError::retryable(backend, message)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(" 0.25 ", now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after("Wed, 01 May 2024 12:02:30 GMT", now),
            Some(Duration::from_secs(150))
        );
        assert_eq!(
            parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past: no wait"
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
