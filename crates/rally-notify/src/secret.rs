//! A string that must never be shown: tokens, passwords, webhook URLs.

use std::fmt;

/// A secret value. `Debug` and `Display` print `[redacted]`; the value is only
/// reachable through [`Secret::expose`], at the point of use. It is
/// deliberately not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value. Use it only to build a request, never to format a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Replaces every occurrence of each secret (and of its URL-encoded form) in
/// `text` with `[redacted]`. Belt and braces for error texts from libraries
/// that might echo a request URL or header.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        let v = s.expose();
        // Very short values would redact innocent text; real secrets are long.
        if v.len() < 4 {
            continue;
        }
        out = out.replace(v, "[redacted]");
        let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        if encoded != v {
            out = out.replace(&encoded, "[redacted]");
        }
    }
    out
}
