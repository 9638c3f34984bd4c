//! Per-user trade journals of the Discord bot.
//!
//! Isolation: every statement that reads or changes `user_trades` has
//! `user_id = ?` in its WHERE clause, so a user id taken from the calling
//! Discord user can never reach another user's rows, whatever trade id is
//! passed. Validation of user input (tickers, prices) belongs to the command
//! layer; the store only refuses values that would corrupt the journal.

use chrono::{DateTime, Utc};

use crate::rows::{UserRow, UserTradeRow};
use crate::scan::row_limit;
use crate::store::{on_pool, write_tx};
use crate::time::Ts;
use crate::{Result, Store, StoreError};

/// A user's new trade.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserTrade {
    /// Owner (Discord id).
    pub user_id: String,
    /// Ticker symbol (normalised by the caller).
    pub ticker: String,
    /// Entry price, positive and finite.
    pub entry_price: f64,
    /// Size as a fraction of capital, positive and finite.
    pub size: f64,
    /// Stop price.
    pub stop: Option<f64>,
    /// Target price.
    pub target: Option<f64>,
    /// Entry time.
    pub entered_at: DateTime<Utc>,
}

/// The exit values of a user's trade, computed by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeClose {
    /// Exit price, positive and finite.
    pub exit_price: f64,
    /// Exit time.
    pub exited_at: DateTime<Utc>,
    /// Free-form notes.
    pub notes: Option<String>,
    /// P&L in percent.
    pub pnl_pct: Option<f64>,
    /// P&L in money.
    pub pnl_usd: Option<f64>,
}

fn positive(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(StoreError::InvalidInput(format!(
            "{name} must be positive and finite, got {v}"
        )))
    }
}

fn finite_opt(name: &str, v: Option<f64>) -> Result<()> {
    match v {
        Some(x) if !x.is_finite() => {
            Err(StoreError::InvalidInput(format!("{name} must be finite")))
        }
        _ => Ok(()),
    }
}

impl Store {
    /// Registers the user on first use (no capital) and returns the row.
    pub async fn ensure_user(&self, discord_id: &str) -> Result<UserRow> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO users (discord_id, capital, created_at) VALUES ($1, NULL, $2) \
                 ON CONFLICT (discord_id) DO NOTHING",
            )
            .bind(discord_id)
            .bind(Ts(Utc::now()))
            .execute(pool)
            .await?;
            Ok(sqlx::query_as("SELECT * FROM users WHERE discord_id = $1")
                .bind(discord_id)
                .fetch_one(pool)
                .await?)
        })
    }

    /// The user, if registered.
    pub async fn user(&self, discord_id: &str) -> Result<Option<UserRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM users WHERE discord_id = $1"
        )
        .bind(discord_id)
        .fetch_optional(pool)
        .await?))
    }

    /// Sets the user's capital (positive, finite), registering them if needed.
    pub async fn set_capital(&self, discord_id: &str, capital: f64) -> Result<UserRow> {
        positive("capital", capital)?;
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "INSERT INTO users (discord_id, capital, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (discord_id) DO UPDATE SET capital = excluded.capital RETURNING *",
        )
        .bind(discord_id)
        .bind(capital)
        .bind(Ts(Utc::now()))
        .fetch_one(pool)
        .await?))
    }

    /// Records a user's entry (registering the user if needed).
    pub async fn insert_user_trade(&self, t: &NewUserTrade) -> Result<UserTradeRow> {
        positive("entry price", t.entry_price)?;
        positive("size", t.size)?;
        finite_opt("stop", t.stop)?;
        finite_opt("target", t.target)?;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO users (discord_id, capital, created_at) VALUES ($1, NULL, $2) \
                 ON CONFLICT (discord_id) DO NOTHING",
            )
            .bind(&t.user_id)
            .bind(Ts(t.entered_at))
            .execute(&mut *tx)
            .await?;
            let row: UserTradeRow = sqlx::query_as(
                "INSERT INTO user_trades (user_id, ticker, entry_price, size, stop, target, entered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            )
            .bind(&t.user_id)
            .bind(&t.ticker)
            .bind(t.entry_price)
            .bind(t.size)
            .bind(t.stop)
            .bind(t.target)
            .bind(Ts(t.entered_at))
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// The user's open trades in `ticker`, oldest first (FIFO order).
    pub async fn open_user_trades(&self, user_id: &str, ticker: &str) -> Result<Vec<UserTradeRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM user_trades \
             WHERE user_id = $1 AND ticker = $2 AND exit_price IS NULL \
             ORDER BY entered_at ASC, id ASC",
        )
        .bind(user_id)
        .bind(ticker)
        .fetch_all(pool)
        .await?))
    }

    /// All of the user's open trades, oldest first.
    pub async fn all_open_user_trades(&self, user_id: &str) -> Result<Vec<UserTradeRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM user_trades \
             WHERE user_id = $1 AND exit_price IS NULL ORDER BY entered_at ASC, id ASC",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?))
    }

    /// Closes trade `id` if it belongs to `user_id` and is still open.
    /// Returns the closed row, or `None` if there is no such open trade of
    /// this user (another user's id changes nothing).
    pub async fn close_user_trade(
        &self,
        id: i64,
        user_id: &str,
        close: &TradeClose,
    ) -> Result<Option<UserTradeRow>> {
        positive("exit price", close.exit_price)?;
        finite_opt("pnl %", close.pnl_pct)?;
        finite_opt("pnl $", close.pnl_usd)?;
        on_pool!(self, |pool| Ok(sqlx::query_as(CLOSE_TRADE)
            .bind(close.exit_price)
            .bind(Ts(close.exited_at))
            .bind(&close.notes)
            .bind(close.pnl_pct)
            .bind(close.pnl_usd)
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?))
    }

    /// Atomically closes the user's oldest open trade in `ticker` (FIFO).
    /// `compute` sees the open trade (to derive P&L from its entry) and
    /// returns the exit values. Two concurrent calls close two different lots.
    /// Returns `None` if the user has no open trade in `ticker`.
    pub async fn close_oldest_user_trade<F>(
        &self,
        user_id: &str,
        ticker: &str,
        compute: F,
    ) -> Result<Option<UserTradeRow>>
    where
        F: FnOnce(&UserTradeRow) -> TradeClose,
    {
        write_tx!(self, |tx| {
            let open: Option<UserTradeRow> = sqlx::query_as(
                "SELECT * FROM user_trades \
                 WHERE user_id = $1 AND ticker = $2 AND exit_price IS NULL \
                 ORDER BY entered_at ASC, id ASC LIMIT 1",
            )
            .bind(user_id)
            .bind(ticker)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(open) = open else {
                tx.rollback().await?;
                return Ok(None);
            };
            let close = compute(&open);
            positive("exit price", close.exit_price)?;
            finite_opt("pnl %", close.pnl_pct)?;
            finite_opt("pnl $", close.pnl_usd)?;
            let row: Option<UserTradeRow> = sqlx::query_as(CLOSE_TRADE)
                .bind(close.exit_price)
                .bind(Ts(close.exited_at))
                .bind(&close.notes)
                .bind(close.pnl_pct)
                .bind(close.pnl_usd)
                .bind(open.id)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// The user's trades (open and closed), newest entry first, optionally
    /// only one ticker, at most `limit` (`None` = all).
    pub async fn user_trades(
        &self,
        user_id: &str,
        ticker: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<UserTradeRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM user_trades \
             WHERE user_id = $1 AND ($2 IS NULL OR ticker = $2) \
             ORDER BY entered_at DESC, id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(ticker)
        .bind(row_limit(limit))
        .fetch_all(pool)
        .await?))
    }

    /// The user's closed trades exited at or after `since` (`None` = all),
    /// oldest exit first.
    pub async fn user_closed_since(
        &self,
        user_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<UserTradeRow>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT * FROM user_trades \
             WHERE user_id = $1 AND exit_price IS NOT NULL AND ($2 IS NULL OR exited_at >= $2) \
             ORDER BY exited_at ASC, id ASC",
        )
        .bind(user_id)
        .bind(since.map(Ts))
        .fetch_all(pool)
        .await?))
    }
}

/// Closes one open trade of one user; binds exit price, exit time, notes,
/// P&L %, P&L $, trade id, user id.
const CLOSE_TRADE: &str = "UPDATE user_trades SET exit_price = $1, exited_at = $2, notes = $3, \
     pnl_pct = $4, pnl_usd = $5 WHERE id = $6 AND user_id = $7 AND exit_price IS NULL RETURNING *";
