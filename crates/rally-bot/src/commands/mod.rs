//! The Discord bot's command logic as plain async functions over the state
//! store. Each function takes the calling user's id and typed arguments and
//! returns platform-neutral embeds ([`rally_notify::embed::Embed`]) or a
//! [`CommandError`] whose `Display` is the message shown to the user.
//!
//! No Discord types here: `bins/discord-bot` only adapts these functions to
//! poise slash commands, so the whole behaviour is testable against a real
//! SQLite file without a network.
//!
//! Rules shared by every command:
//! - Input is validated before the store is touched, so bad input changes
//!   nothing (not even registering the user).
//! - Users are registered on first (valid) use.
//! - A user's journal is reached only through store functions keyed by the
//!   caller's id, so nobody can see or change another user's trades.
//! - Tickers are normalised (`brk.b` -> `BRK-B`) and must be valid symbols;
//!   when a universe is configured they must also be *known*: in the
//!   universe, with a model file, or in the latest signals or open positions.

mod journal;
mod system;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rally_store::{Store, StoreError};

use rally_pipeline::state::StateDir;

pub use journal::{
    EnterArgs, ExitArgs, HistoryArgs, Period, PnlSummary, enter, exit, history, pnl, set_capital,
    summarize,
};
pub use system::{health, portfolio, positions, signals, sparkline};

// Every number a user types is bounded on both sides so that every figure
// derived from it stays finite: the largest return is MAX_PRICE / MIN_PRICE
// (1e11, i.e. 1e13 %) and the largest dollar P&L that return × MAX_CAPITAL
// (1e23), far inside f64. Without a floor, an entry of 1e-310 made the exit's
// return infinite, the store refused it and the lot could never be closed.

/// Smallest price accepted (a hundredth of a cent: sub-penny stocks exist).
pub const MIN_PRICE: f64 = 1e-4;
/// Largest price accepted (anything above is a typo, not a stock).
pub const MAX_PRICE: f64 = 1e7;
/// Smallest capital accepted.
pub const MIN_CAPITAL: f64 = 1.0;
/// Largest capital accepted.
pub const MAX_CAPITAL: f64 = 1e12;
/// Smallest size accepted (0.01 % of the capital).
pub const MIN_SIZE: f64 = 1e-4;
/// Largest size accepted (the whole capital).
pub const MAX_SIZE: f64 = 1.0;
/// Longest `/exit` notes, in characters.
pub const MAX_NOTES: usize = 500;
/// `/history` rows when no limit is given.
pub const HISTORY_DEFAULT: u32 = 10;
/// Most `/history` rows.
pub const HISTORY_MAX: u32 = 50;
/// Longest accepted user id (Discord snowflakes have at most 20 digits).
const MAX_USER_ID: usize = 64;

/// A clock, injectable so tests can place trades in time.
pub type NowFn = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What the commands need: the store, the state directory (model files for
/// `/health` and ticker checks), the system's universe and a clock.
#[derive(Clone)]
pub struct CommandContext {
    /// The state store.
    pub store: Store,
    /// The state directory (models).
    pub state: StateDir,
    /// The tickers the system scans. Empty = accept any valid symbol.
    pub universe: Vec<String>,
    now: NowFn,
}

impl fmt::Debug for CommandContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandContext")
            .field("store", &self.store)
            .field("state", &self.state)
            .field("universe", &self.universe.len())
            .finish_non_exhaustive()
    }
}

impl CommandContext {
    /// A context on the wall clock.
    pub fn new(store: Store, state: StateDir, universe: Vec<String>) -> Self {
        CommandContext {
            store,
            state,
            universe,
            now: Arc::new(Utc::now),
        }
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, now: NowFn) -> Self {
        self.now = now;
        self
    }

    /// The current time of this context's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.now)()
    }

    /// Whether `ticker` (normalised) is known to the system: in the universe,
    /// with a model file, or in the latest signals or open positions. With no
    /// universe configured every valid symbol is accepted.
    async fn is_known(&self, ticker: &str) -> Result<bool, CommandError> {
        if self.universe.is_empty() || self.universe.iter().any(|t| t == ticker) {
            return Ok(true);
        }
        if self.state.model_path(ticker).is_file() {
            return Ok(true);
        }
        if self
            .store
            .latest_signals()
            .await?
            .iter()
            .any(|s| s.ticker == ticker)
        {
            return Ok(true);
        }
        Ok(self
            .store
            .open_positions()
            .await?
            .iter()
            .any(|p| p.ticker == ticker))
    }
}

/// Why a command was refused. `Display` is the user-facing message; every
/// variant except [`CommandError::Internal`] is the user's input, and none of
/// them changed any state.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The ticker is not a symbol at all.
    #[error(
        "`{input}` is not a valid ticker symbol (letters, digits, `-`, `^` or `=`, at most 15 characters)"
    )]
    InvalidSymbol {
        /// What the user typed (trimmed, shortened).
        input: String,
    },
    /// A valid symbol the system does not know.
    #[error(
        "unknown ticker {ticker}: it is not in the system's universe and has no model or signal"
    )]
    UnknownTicker {
        /// The normalised symbol.
        ticker: String,
    },
    /// A price, stop, target or capital outside its accepted range, or not
    /// a number at all (NaN, infinite).
    #[error(
        "{what} must be a number from {} to {} (got {})",
        Typed(*min),
        Typed(*max),
        Typed(*value)
    )]
    OutOfRange {
        /// `price`, `stop`, `target`, `capital`.
        what: &'static str,
        /// The value given.
        value: f64,
        /// The smallest accepted value.
        min: f64,
        /// The largest accepted value.
        max: f64,
    },
    /// A size outside [`MIN_SIZE`, `MAX_SIZE`].
    #[error(
        "size must be a fraction of your capital from {} to {}, e.g. 0.2 for 20% (got {})",
        Typed(MIN_SIZE),
        Typed(MAX_SIZE),
        Typed(*value)
    )]
    InvalidSize {
        /// The value given.
        value: f64,
    },
    /// A stop at or above the entry price (trades are long only).
    #[error("stop {stop} must be below the entry price {price}{}", signal_hint(*.from_signal))]
    StopNotBelowPrice {
        /// The stop.
        stop: f64,
        /// The entry price.
        price: f64,
        /// Whether the stop came from the active signal.
        from_signal: bool,
    },
    /// A target at or below the entry price.
    #[error("target {target} must be above the entry price {price}{}", signal_hint(*.from_signal))]
    TargetNotAbovePrice {
        /// The target.
        target: f64,
        /// The entry price.
        price: f64,
        /// Whether the target came from the active signal.
        from_signal: bool,
    },
    /// No size given and no active signal to take it from.
    #[error(
        "there is no active signal for {ticker} to take the size from: pass size (a fraction of your capital in (0, 1], e.g. 0.1)"
    )]
    MissingSize {
        /// The ticker.
        ticker: String,
    },
    /// `/exit` with no open trade in that ticker.
    #[error("you have no open trade in {ticker} to exit")]
    NothingToExit {
        /// The ticker.
        ticker: String,
    },
    /// A `/history` limit outside 1..=50.
    #[error("limit must be between 1 and {max} (got {value})")]
    InvalidLimit {
        /// The value given.
        value: u32,
        /// The largest accepted limit.
        max: u32,
    },
    /// A `/pnl` period other than all / 30d / 7d.
    #[error("unknown period `{input}`: use all, 30d or 7d")]
    InvalidPeriod {
        /// What the user typed (shortened).
        input: String,
    },
    /// `/exit` notes beyond [`MAX_NOTES`] characters.
    #[error("notes are too long ({len} characters, at most {max})")]
    NotesTooLong {
        /// Characters given.
        len: usize,
        /// Most accepted.
        max: usize,
    },
    /// An empty or oversized caller id (a bug in the adapter, not the user).
    #[error("invalid user id")]
    InvalidUser,
    /// The store or a background task failed. The details are in the
    /// source (for logs), never in the message shown to the user.
    #[error("something went wrong on our side; please try again later")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn signal_hint(from_signal: bool) -> &'static str {
    if from_signal {
        " (taken from the active signal; pass it explicitly)"
    } else {
        ""
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::Internal(Box::new(e))
    }
}

impl CommandError {
    /// Whether the error is the user's input (reply ephemerally, log at
    /// debug) rather than a failure of the system (log at error).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, CommandError::Internal(_))
    }

    /// The red embed shown to the user.
    pub fn to_embed(&self) -> rally_notify::embed::Embed {
        let title = if self.is_user_error() {
            "⚠️ Can't do that"
        } else {
            "⚠️ Error"
        };
        rally_notify::embed::Embed::new(title, rally_notify::embed::RED)
            .description(self.to_string())
    }
}

/// Result of a command.
pub type CommandResult<T> = Result<T, CommandError>;

// ---- validation ------------------------------------------------------------

fn check_user(user: &str) -> CommandResult<()> {
    if user.trim().is_empty() || user.len() > MAX_USER_ID {
        return Err(CommandError::InvalidUser);
    }
    Ok(())
}

/// Normalises and validates a ticker's syntax (not whether it is known).
fn parse_symbol(input: &str) -> CommandResult<String> {
    let t = rally_data::normalise_symbol(input);
    if rally_data::universe::is_valid_symbol(&t) {
        Ok(t)
    } else {
        Err(CommandError::InvalidSymbol {
            input: rally_notify::embed::truncate(input.trim(), 32),
        })
    }
}

/// A finite value in `[min, max]`.
fn check_range(what: &'static str, value: f64, min: f64, max: f64) -> CommandResult<f64> {
    // `contains` is false for NaN.
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(CommandError::OutOfRange {
            what,
            value,
            min,
            max,
        })
    }
}

/// A price, stop or target in [`MIN_PRICE`, `MAX_PRICE`].
fn check_price(what: &'static str, value: f64) -> CommandResult<f64> {
    check_range(what, value, MIN_PRICE, MAX_PRICE)
}

fn check_size(value: f64) -> CommandResult<f64> {
    if (MIN_SIZE..=MAX_SIZE).contains(&value) {
        Ok(value)
    } else {
        Err(CommandError::InvalidSize { value })
    }
}

/// A number as the user typed it, echoed in a refusal: plain decimals in a
/// readable range, scientific notation outside it (so `1e-310` does not
/// print as 310 zeros), `NaN` / `inf` as such. Not a display format for
/// figures (those are `rally_text`'s): it must show the exact value.
struct Typed(f64);

impl fmt::Display for Typed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v == 0.0 || !v.is_finite() || (1e-4..1e9).contains(&v.abs()) {
            write!(f, "{v}")
        } else {
            write!(f, "{v:e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rules() {
        assert_eq!(parse_symbol(" brk.b ").ok().as_deref(), Some("BRK-B"));
        assert!(matches!(
            parse_symbol("DROP TABLE"),
            Err(CommandError::InvalidSymbol { .. })
        ));
        for bad in [f64::NAN, f64::INFINITY, -1.0, 0.0, 1e-310, 9e-5, 2e7] {
            assert!(
                matches!(
                    check_price("price", bad),
                    Err(CommandError::OutOfRange { what: "price", .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(check_price("price", MIN_PRICE).ok(), Some(MIN_PRICE));
        assert_eq!(check_price("price", MAX_PRICE).ok(), Some(MAX_PRICE));
        assert!(check_size(1.0).is_ok());
        assert!(check_size(1e-5).is_err());
        assert!(check_size(0.0).is_err());
        assert!(check_size(20.0).is_err());
        assert!(check_user("").is_err());
    }

    #[test]
    fn refused_numbers_are_echoed_readably() {
        let shown = |v: f64| Typed(v).to_string();
        assert_eq!(shown(1e-310), "1e-310");
        assert_eq!(shown(f64::MAX), "1.7976931348623157e308");
        assert_eq!(shown(-5.0), "-5");
        assert_eq!(shown(0.0001), "0.0001");
        assert_eq!(shown(10_000_000.0), "10000000");
        assert_eq!(shown(187.5), "187.5");
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(f64::NEG_INFINITY), "-inf");
    }
}
