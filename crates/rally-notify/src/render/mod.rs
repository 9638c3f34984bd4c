//! Renderers from embeds to each platform's wire format. Pure and
//! deterministic: the outbox relies on an event rendering to the same parts on
//! every run, so that delivered parts can be skipped after a partial failure.

pub mod discord;
pub mod email;
pub mod telegram;
pub mod webhook;

/// One message ready for a backend's transport.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A JSON body (Discord create-message, webhook).
    Json(serde_json::Value),
    /// Telegram HTML text.
    Html(String),
    /// An email.
    Email(email::EmailBody),
}

/// Escapes `<`, `>`, `&` (and `"` for attribute safety) for HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
