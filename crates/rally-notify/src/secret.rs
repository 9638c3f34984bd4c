//! Secrets: a wrapper that never prints its value, and the one redactor every
//! error text leaving a backend passes through.
//!
//! Error texts come from places we do not control: HTTP error bodies (an
//! Express or Spring server quotes the request path and query), library
//! errors that print the request URL, SMTP replies. So rather than trusting
//! each of them, `NotifySettings::redactor` collects every secret-bearing
//! fragment of the configuration (tokens, passwords, the user-info, path,
//! query and fragment of configured URLs) in the spellings they travel in
//! (raw, percent- and form-encoded, decoded, JSON-escaped, Base64 of the
//! auth headers) and replaces them all.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::SendError;

/// What replaces a secret in a text.
pub(crate) const REDACTED: &str = "[redacted]";

/// Shortest secret value redacted: very short values would redact innocent
/// text, and real tokens and passwords are longer.
pub(crate) const MIN_SECRET_LEN: usize = 4;

/// Shortest URL part (path segment, query value, user name) redacted. URL
/// parts are not all secret (`/api/v10`, `?v=1`), but the secret ones are
/// long keys; a short word being redacted from an error text costs little.
const MIN_URL_PART_LEN: usize = 6;

/// Everything but RFC 3986 unreserved characters.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
        f.write_str(REDACTED)
    }
}

/// Replaces every occurrence of each secret (and of its encoded forms) in
/// `text` with `[redacted]`.
pub fn redact(text: &str, secrets: &[&Secret]) -> String {
    let mut r = Redactor::default();
    for s in secrets {
        r.add_secret(s.expose(), MIN_SECRET_LEN);
    }
    r.redact(text)
}

/// The secret fragments of a configuration; [`Redactor::redact`] removes
/// them from a text. Every backend passes its errors through one built from
/// all configured settings, so no backend can leak another's secret either.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    fragments: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} fragments)", self.fragments.len())
    }
}

impl Redactor {
    /// `text` with every secret fragment replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for f in &self.fragments {
            if out.contains(f.as_str()) {
                out = out.replace(f.as_str(), REDACTED);
            }
        }
        out
    }

    /// The error with its message redacted: the exit every backend error
    /// passes through.
    pub(crate) fn send_error(&self, mut e: SendError) -> SendError {
        e.message = self.redact(&e.message);
        e
    }

    /// A bot token, and its secret tail on its own (Telegram `id:SECRET`,
    /// Discord `id.time.HMAC`): the id in front is public.
    pub(crate) fn add_token(&mut self, token: &str) {
        self.add_secret(token, MIN_SECRET_LEN);
        if let Some((_, tail)) = token.rsplit_once([':', '.']) {
            self.add_secret(tail, MIN_URL_PART_LEN);
        }
    }

    /// The secret parts of a URL. An unparsable URL is redacted whole.
    pub(crate) fn add_url(&mut self, url: &str) {
        let Ok(u) = url::Url::parse(url) else {
            self.add_secret(url, MIN_SECRET_LEN);
            return;
        };
        if let Some(pw) = u.password() {
            self.add_secret(pw, MIN_SECRET_LEN);
            let user = decode(u.username());
            let pw = decode(pw);
            // reqwest sends URL credentials as HTTP Basic auth.
            self.add_raw(BASE64.encode(format!("{user}:{pw}")));
        }
        self.add_secret(u.username(), MIN_URL_PART_LEN);
        for segment in u.path_segments().into_iter().flatten() {
            self.add_secret(segment, MIN_URL_PART_LEN);
        }
        if let Some(q) = u.query() {
            self.add_secret(q, MIN_URL_PART_LEN);
            for (_, value) in u.query_pairs() {
                self.add_secret(&value, MIN_URL_PART_LEN);
            }
        }
        if let Some(f) = u.fragment() {
            self.add_secret(f, MIN_URL_PART_LEN);
        }
    }

    /// A secret in every spelling it may travel in: as is, percent-decoded,
    /// percent-encoded (either hex case), form-encoded and JSON-escaped.
    pub(crate) fn add_secret(&mut self, value: &str, min_len: usize) {
        if value.len() < min_len {
            return;
        }
        let decoded = decode(value);
        for v in [value.to_string(), decoded] {
            let encoded = utf8_percent_encode(&v, ENCODE).to_string();
            let lower_hex = lower_percent_hex(&encoded);
            let form: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            let json = serde_json::to_string(&v)
                .map(|j| j.trim_matches('"').to_string())
                .unwrap_or_default();
            for spelling in [v, encoded, lower_hex, form, json] {
                if spelling.len() >= min_len {
                    self.add_raw(spelling);
                }
            }
        }
    }

    pub(crate) fn add_raw(&mut self, fragment: String) {
        if fragment.is_empty() || self.fragments.contains(&fragment) {
            return;
        }
        self.fragments.push(fragment);
        // Longest first; ties in text order keep the result deterministic.
        self.fragments
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `%3A` -> `%3a`: servers and libraries differ in the case of escapes.
fn lower_percent_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut hex_left = 0;
    for c in s.chars() {
        if c == '%' {
            hex_left = 2;
            out.push(c);
        } else if hex_left > 0 {
            hex_left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
