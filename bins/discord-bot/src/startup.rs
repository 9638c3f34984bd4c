//! What happens before the bot talks to Discord: the command line (only
//! `--help` and `--version`; every setting comes from the environment), the
//! connection settings, and the deadline that turns "retrying forever"
//! into one clear error when Discord cannot be reached.

use std::ffi::OsString;
use std::future::Future;
use std::time::Duration;

/// How long connecting (REST gateway lookup, gateway handshake, command
/// registration) may take when `DISCORD_CONNECT_TIMEOUT_SECS` is unset.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest accepted `DISCORD_CONNECT_TIMEOUT_SECS` (an hour).
pub const MAX_CONNECT_TIMEOUT_SECS: u64 = 3600;

/// The `--help` text.
pub fn usage() -> String {
    format!(
        "discord-bot {version}: the rally detector's Discord slash commands (/signals, /positions,
/setcapital, /enter, /exit, /history, /pnl, /health, /portfolio), and with
ENABLE_SCHEDULER=1 the daily scan and weekly retrain in the same process.

Usage: discord-bot [--help | --version]

Settings come from the environment or a .env file in the working directory
(the directory holding models/, where state and logs live):
  DISCORD_BOT_TOKEN             the bot's token (required; never logged)
  DISCORD_GUILD_ID              register the commands in this server only (instant);
                                unset: globally (may take an hour to appear)
  DISCORD_CONNECT_TIMEOUT_SECS  give up when not connected within this many seconds
                                (1-{max}, default {default})
  DISCORD_API_BASE              Discord REST base (default https://discord.com/api/v10);
                                another base (an API proxy) does the rate limiting
  ENABLE_SCHEDULER              1/true/yes/on: run the scan (Mon-Fri 21:30 UTC) and the
                                retrain (Sun 23:00 UTC) here
  RALLY_SOURCE                  data source of scheduled runs (default yahoo)
  RALLY_CONFIG                  trade config of scheduled scans (default baseline)
  DATABASE_URL                  state database (default sqlite://models/rally.db)
  RUST_LOG                      log filter (default warn on the console, info in logs/)
Alert settings (scheduled runs post their alerts to every backend configured):
  DISCORD_CHANNEL_ID            Discord channel of the alert embeds (with DISCORD_BOT_TOKEN)
  TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TELEGRAM_API_URL
  SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, NOTIFY_EMAIL
  WEBHOOK_URL

Options:
  -h, --help     print this text
  -V, --version  print the version
",
        version = env!("CARGO_PKG_VERSION"),
        max = MAX_CONNECT_TIMEOUT_SECS,
        default = DEFAULT_CONNECT_TIMEOUT.as_secs(),
    )
}

/// What the command line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    /// Run the bot.
    Run,
    /// Print [`usage`].
    Help,
    /// Print the version.
    Version,
}

/// Reads the arguments (without the program name). `Err` carries the first
/// argument that is not an option of the bot, as the user typed it.
pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, String> {
    // The first argument decides: `--help --version` prints the help.
    match args.into_iter().next() {
        None => Ok(Invocation::Run),
        Some(a) => match a.to_str() {
            Some("-h" | "--help") => Ok(Invocation::Help),
            Some("-V" | "--version") => Ok(Invocation::Version),
            _ => Err(a.to_string_lossy().into_owned()),
        },
    }
}

/// How the bot connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// Longest wait until the bot is connected with its commands registered.
    pub timeout: Duration,
    /// Where serenity sends REST requests instead of `https://discord.com`
    /// (scheme and host, no `/api/v10`); `None` = Discord itself.
    pub api_proxy: Option<String>,
}

impl ConnectSettings {
    /// From `DISCORD_CONNECT_TIMEOUT_SECS` and `DISCORD_API_BASE` as given
    /// by `get` (empty = unset). The error is the line shown to the user.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let timeout = match var("DISCORD_CONNECT_TIMEOUT_SECS") {
            None => DEFAULT_CONNECT_TIMEOUT,
            Some(raw) => match raw.parse::<u64>() {
                Ok(s) if (1..=MAX_CONNECT_TIMEOUT_SECS).contains(&s) => Duration::from_secs(s),
                _ => {
                    return Err(format!(
                        "DISCORD_CONNECT_TIMEOUT_SECS must be a whole number of seconds from 1 to {MAX_CONNECT_TIMEOUT_SECS}, got `{raw}`"
                    ));
                }
            },
        };
        let api_proxy = var("DISCORD_API_BASE")
            .map(|b| api_proxy(&b))
            .transpose()?
            .flatten();
        Ok(ConnectSettings { timeout, api_proxy })
    }
}

/// The serenity proxy root of a `DISCORD_API_BASE` (the same setting the
/// alert backend reads, so it ends in `/api/v10`, which serenity adds
/// itself). Discord's own base needs no proxy.
fn api_proxy(base: &str) -> Result<Option<String>, String> {
    let trimmed = base.trim_end_matches('/');
    let root = trimmed
        .strip_suffix("/api/v10")
        .filter(|r| r.starts_with("http://") || r.starts_with("https://"))
        .filter(|r| r.len() > "https://".len() && !r.contains(char::is_whitespace))
        .ok_or_else(|| {
            format!(
                "DISCORD_API_BASE must be an http(s) URL ending in /api/v10 (like https://discord.com/api/v10), got `{base}`"
            )
        })?;
    Ok((root != "https://discord.com").then(|| root.to_owned()))
}

/// Connecting took longer than the connect timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTimeout(pub Duration);

/// Drives `connection` (which runs for as long as the bot is connected) and
/// gives up when `ready` has not fired within `limit`. Once ready, the
/// deadline no longer applies: later reconnects are the gateway client's.
pub async fn within_connect_deadline<T>(
    connection: impl Future<Output = T>,
    ready: tokio::sync::oneshot::Receiver<()>,
    limit: Duration,
) -> Result<T, ConnectTimeout> {
    let deadline = async {
        match tokio::time::timeout(limit, ready).await {
            Err(_elapsed) => {}
            // Ready, or the sender is gone with the connection ending on
            // its own: either way the connection decides from here.
            Ok(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        out = connection => Ok(out),
        () = deadline => Err(ConnectTimeout(limit)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Invocation, String> {
        parse_args(a.iter().map(OsString::from))
    }

    #[test]
    fn only_help_and_version_are_arguments() {
        assert_eq!(args(&[]), Ok(Invocation::Run));
        assert_eq!(args(&["--help"]), Ok(Invocation::Help));
        assert_eq!(args(&["-h", "--version"]), Ok(Invocation::Help));
        assert_eq!(args(&["-V"]), Ok(Invocation::Version));
        assert_eq!(args(&["--token=x"]), Err("--token=x".into()));
        assert_eq!(args(&["run"]), Err("run".into()));
    }

    fn settings(pairs: &[(&str, &str)]) -> Result<ConnectSettings, String> {
        ConnectSettings::from_lookup(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn connect_settings_default_and_bounds() {
        let d = settings(&[]).unwrap();
        assert_eq!(d.timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(d.api_proxy, None);
        let t = |v: &str| settings(&[("DISCORD_CONNECT_TIMEOUT_SECS", v)]);
        assert_eq!(t(" 5 ").unwrap().timeout, Duration::from_secs(5));
        assert_eq!(t("").unwrap().timeout, DEFAULT_CONNECT_TIMEOUT);
        for bad in ["0", "-3", "1.5", "3601", "soon"] {
            let e = t(bad).unwrap_err();
            assert!(e.contains("DISCORD_CONNECT_TIMEOUT_SECS") && e.contains(&format!("`{bad}`")));
        }
    }

    #[test]
    fn the_api_base_becomes_serenitys_proxy_root() {
        let p = |v: &str| settings(&[("DISCORD_API_BASE", v)]).map(|s| s.api_proxy);
        assert_eq!(p("https://discord.com/api/v10"), Ok(None));
        assert_eq!(
            p("http://127.0.0.1:8080/api/v10/"),
            Ok(Some("http://127.0.0.1:8080".into()))
        );
        for bad in [
            "http://127.0.0.1:8080",
            "ftp://x/api/v10",
            "https:///api/v10",
        ] {
            let e = p(bad).unwrap_err();
            assert!(e.contains("DISCORD_API_BASE") && e.contains(bad), "{e}");
        }
    }

    #[tokio::test]
    async fn connecting_gives_up_at_the_deadline_unless_ready() {
        let limit = Duration::from_millis(50);
        // Never ready: the connection (retrying forever) is abandoned.
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let forever = std::future::pending::<()>();
        assert_eq!(
            within_connect_deadline(forever, rx, limit).await,
            Err(ConnectTimeout(limit))
        );
        // Ready in time: the connection runs past the deadline.
        let (tx, rx) = tokio::sync::oneshot::channel();
        tx.send(()).unwrap();
        let long = async {
            tokio::time::sleep(limit * 4).await;
            "ran"
        };
        assert_eq!(within_connect_deadline(long, rx, limit).await, Ok("ran"));
        // A connection that ends (fails) before the deadline reports itself.
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        assert_eq!(
            within_connect_deadline(async { "failed" }, rx, Duration::from_secs(60)).await,
            Ok("failed")
        );
    }
}
