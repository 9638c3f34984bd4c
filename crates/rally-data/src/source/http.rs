//! The one HTTP client setup of the remote sources (Yahoo bars, the
//! universe refresh): a browser-like user agent and a per-request timeout.

use std::time::Duration;

/// Yahoo answers scripted user agents with 429s; look like a browser.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";

/// A client with the project's user agent and `timeout` per request.
pub(crate) fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(USER_AGENT)
        .build()
}
