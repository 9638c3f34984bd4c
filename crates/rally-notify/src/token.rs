//! Shape check of a Discord bot token, so that a malformed `DISCORD_BOT_TOKEN`
//! is refused at startup with a clear message instead of being tried against
//! the gateway again and again.
//!
//! A bot token is three base64url parts joined by dots: the bot's user id
//! (a decimal snowflake, base64url-encoded), a timestamp and an HMAC. Only
//! the shape is checked here; whether Discord accepts it is for Discord.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Why a string cannot be a Discord bot token. The messages never quote the
/// token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenShapeError {
    /// Nothing given.
    #[error("the Discord bot token is empty")]
    Empty,
    /// The `Bot ` of the Authorization header was pasted along.
    #[error("the Discord bot token starts with \"Bot \": give the token alone")]
    BotPrefix,
    /// Not three dot-separated parts.
    #[error("the Discord bot token has {0} dot-separated part(s), expected 3")]
    PartCount(usize),
    /// A part is empty or has a character outside base64url (quotes,
    /// whitespace, padding `=` ...). Parts are numbered from 1.
    #[error("part {0} of the Discord bot token is empty or not base64url")]
    NotBase64Url(usize),
    /// The first part does not decode to a numeric user id.
    #[error("the first part of the Discord bot token is not a base64url-encoded user id")]
    NoUserId,
}

/// Checks that `token` has the shape of a Discord bot token.
pub fn discord_token_shape(token: &str) -> Result<(), TokenShapeError> {
    if token.is_empty() {
        return Err(TokenShapeError::Empty);
    }
    if token
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("bot "))
    {
        return Err(TokenShapeError::BotPrefix);
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenShapeError::PartCount(parts.len()));
    }
    for (i, part) in parts.iter().enumerate() {
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if part.is_empty() || !part.chars().all(base64url) {
            return Err(TokenShapeError::NotBase64Url(i + 1));
        }
    }
    let id = URL_SAFE_NO_PAD
        .decode(parts[0])
        .map_err(|_| TokenShapeError::NoUserId)?;
    // A snowflake is a u64, written in decimal.
    let numeric = !id.is_empty() && id.len() <= 20 && id.iter().all(u8::is_ascii_digit);
    let fits = std::str::from_utf8(&id).is_ok_and(|s| s.parse::<u64>().is_ok());
    if numeric && fits {
        Ok(())
    } else {
        Err(TokenShapeError::NoUserId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made up, but shaped like a real token: base64url("123456789012345678"),
    /// a timestamp-like part and an HMAC-like part.
    const FAKE: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkE1.not-a-real-token_just-the-SHAPE0";

    #[test]
    fn a_well_shaped_token_passes() {
        assert_eq!(discord_token_shape(FAKE), Ok(()));
        // Ids of other lengths (base64 without padding in any length).
        let id = URL_SAFE_NO_PAD.encode("4242424242424242424");
        assert_eq!(discord_token_shape(&format!("{id}.abc.def_-")), Ok(()));
    }

    #[test]
    fn malformed_tokens_are_refused_with_the_reason() {
        use TokenShapeError::*;
        let cases = [
            (String::new(), Empty),
            (format!("Bot {FAKE}"), BotPrefix),
            (format!("bot {FAKE}"), BotPrefix),
            ("MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkE1".into(), PartCount(2)),
            (format!("{FAKE}.x"), PartCount(4)),
            ("just-some-api-key".into(), PartCount(1)),
            ("MTIzNDU2Nzg5MDEyMzQ1Njc4..abc".into(), NotBase64Url(2)),
            (format!("\"{FAKE}\""), NotBase64Url(1)),
            (format!("{FAKE} "), NotBase64Url(3)),
            (
                "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkE1.abc=".into(),
                NotBase64Url(3),
            ),
            ("MTIz+DU2.GfAkE1.abc".into(), NotBase64Url(1)),
            // base64url("hello"): decodes, but not to an id.
            ("aGVsbG8.GfAkE1.abc".into(), NoUserId),
            // A length no base64 has.
            ("MTIzN.GfAkE1.abc".into(), NoUserId),
            // 21 digits: too large for a snowflake.
            (
                format!(
                    "{}.GfAkE1.abc",
                    URL_SAFE_NO_PAD.encode("123456789012345678901")
                ),
                NoUserId,
            ),
        ];
        for (token, want) in cases {
            assert_eq!(discord_token_shape(&token), Err(want), "{token:?}");
        }
    }

    #[test]
    fn messages_never_quote_the_token() {
        for token in [
            format!("Bot {FAKE}"),
            format!("{FAKE}.x"),
            "aGVsbG8.a.b".into(),
        ] {
            let Err(e) = discord_token_shape(&token) else {
                panic!("{token} passed");
            };
            let text = e.to_string();
            assert!(
                !text.contains("not-a-real-token") && !text.contains("aGVsbG8"),
                "{text}"
            );
        }
    }
}
