//! Shared HTTP plumbing: the reqwest client and the classification of
//! responses and transport errors into retryable / permanent.

use std::time::Duration;

use reqwest::{Response, StatusCode};

use crate::error::{NotifyError, SendError};
use crate::secret::{Secret, redact};
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

/// Seconds (integer or fractional) of a `Retry-After` header. HTTP dates are
/// not used by the APIs we talk to and are ignored.
fn retry_after_header(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_secs(v.trim())
}

fn parse_secs(v: &str) -> Option<Duration> {
    let s: f64 = v.parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| Duration::from_secs_f64(s.min(86_400.0)))
}

/// Ok for 2xx; otherwise a classified error. The response body is quoted
/// (shortened, redacted) because APIs explain 4xx there.
pub(crate) async fn check_response(
    backend: &str,
    resp: Response,
    secrets: &[&Secret],
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
    let snippet: String = redact(body.trim(), secrets).chars().take(200).collect();
    let message = if snippet.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {snippet}")
    };
    let retryable = status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error();
    let err = if retryable {
        SendError::retryable(backend, message)
    } else {
        SendError::permanent(backend, message)
    };
    Err(err.with_retry_after(header_wait.or(body_wait)))
}

/// Classifies a transport error. The URL is stripped (a webhook URL is a
/// secret) and any secret still in the text is redacted.
pub(crate) fn transport_error(
    backend: &str,
    err: reqwest::Error,
    secrets: &[&Secret],
) -> SendError {
    let err = err.without_url();
    let what = if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut text = format!("{what}: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    let message = redact(&text, secrets);
    if err.is_builder() || err.is_redirect() {
        SendError::permanent(backend, message)
    } else {
        SendError::retryable(backend, message)
    }
}
