//! The alert outbox: events recorded durably (usually inside the scan's
//! transaction) and their delivery state per backend.
//!
//! State machine per `(event, backend)`: `pending` -> `delivered` (terminal,
//! never re-delivered) or `pending` -> `dead` after `max_attempts` failed
//! delivery runs. A dead delivery can be revived with [`Store::requeue_dead`].

use crate::store::{on_pool, write_tx};
use crate::time::Ts;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An event to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOutboxEvent {
    /// Idempotence key, e.g. `signals:2024-05-01` or `exit:AAPL:2024-04-02`.
    /// Enqueueing the same key twice is a no-op.
    pub dedupe_key: String,
    /// Event kind, for reports (`signals`, `exit`, `retrain`, `error`, `test`).
    pub kind: String,
    /// The serialised event (the notifier's `Event` as JSON).
    pub payload_json: String,
}

/// Delivery status of an `(event, backend)` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; retried when due.
    Pending,
    /// Delivered; terminal.
    Delivered,
    /// Gave up after too many failed attempts.
    Dead,
}

impl DeliveryStatus {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A delivery that is due.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingDelivery {
    /// Outbox event id.
    pub event_id: i64,
    /// Backend name.
    pub backend: String,
    /// Event kind.
    pub kind: String,
    /// Event dedupe key.
    pub dedupe_key: String,
    /// Serialised event.
    pub payload_json: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Leading message parts already delivered (skip them on retry).
    pub parts_done: i64,
    /// When the event was enqueued.
    pub created_at: DateTime<Utc>,
}

/// The state of a delivery at the moment it was claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Claim {
    /// Failed attempts so far.
    pub attempts: i64,
    /// Leading message parts already delivered.
    pub parts_done: i64,
}

/// Delivery counts of one backend.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, sqlx::FromRow)]
pub struct OutboxStatusCount {
    /// Backend name.
    pub backend: String,
    /// Deliveries waiting (due or backing off).
    pub pending: i64,
    /// Deliveries done.
    pub delivered: i64,
    /// Deliveries given up.
    pub dead: i64,
}

/// A delivery that was given up, for `scanner health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DeadDelivery {
    /// Outbox event id.
    pub event_id: i64,
    /// Backend name.
    pub backend: String,
    /// Event kind.
    pub kind: String,
    /// Event dedupe key.
    pub dedupe_key: String,
    /// Failed attempts.
    pub attempts: i64,
    /// The last error (already free of secrets: the notifier redacts them).
    pub last_error: Option<String>,
    /// When the event was enqueued.
    pub created_at: DateTime<Utc>,
}

/// Inserts an event (if its dedupe key is new) and one pending delivery per
/// backend, inside the write transaction `$tx`. Evaluates to the new event
/// id, or `None` if the key existed.
macro_rules! insert_event {
    ($tx:ident, $ev:expr, $backends:expr, $now:expr) => {{
        let ev: &$crate::outbox::NewOutboxEvent = $ev;
        let now = $crate::time::Ts($now);
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO outbox (dedupe_key, kind, payload_json, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(&ev.dedupe_key)
        .bind(&ev.kind)
        .bind(&ev.payload_json)
        .bind(now)
        .fetch_optional(&mut *$tx)
        .await?;
        // A known event returns no id: its deliveries already exist (or were
        // decided), and adding rows now could send an old event again.
        if let Some((id,)) = id {
            for b in $backends {
                sqlx::query(
                    "INSERT INTO outbox_delivery (event_id, backend, status, attempts, next_attempt_at) \
                     VALUES ($1, $2, 'pending', 0, $3) ON CONFLICT (event_id, backend) DO NOTHING",
                )
                .bind(id)
                .bind(b)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            }
        }
        id.map(|(id,)| id)
    }};
}
pub(crate) use insert_event;

impl Store {
    /// Enqueues one event outside a scan (retrain complete, errors, tests).
    /// Returns the new event id, or `None` if the dedupe key already existed.
    pub async fn enqueue_event(
        &self,
        ev: &NewOutboxEvent,
        backends: &[String],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        write_tx!(self, |tx| {
            let id = insert_event!(tx, ev, backends, now);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Pending deliveries due at `now` (oldest event first), at most `limit`.
    pub async fn pending_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT d.event_id, d.backend, o.kind, o.dedupe_key, o.payload_json, d.attempts, \
             d.parts_done, o.created_at \
             FROM outbox_delivery d JOIN outbox o ON o.id = d.event_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             ORDER BY d.event_id, d.backend LIMIT $2",
        )
        .bind(Ts(now))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?))
    }

    /// Records a successful delivery. Returns `false` if it was already
    /// delivered (or does not exist). A dead delivery that did get through
    /// (e.g. revived by hand) becomes delivered too.
    pub async fn mark_delivered(&self, event_id: i64, backend: &str) -> Result<bool> {
        let r = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE outbox_delivery SET status = 'delivered', delivered_at = $1, last_error = NULL \
             WHERE event_id = $2 AND backend = $3 AND status != 'delivered'",
        )
        .bind(Ts(Utc::now()))
        .bind(event_id)
        .bind(backend)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(r == 1)
    }

    /// Claims a due delivery for one sender by pushing its `next_attempt_at`
    /// to `lease_until`, and returns its current progress. Returns `None` if
    /// it is not pending and due at `now` — e.g. another process claimed it
    /// first — in which case the caller must not send it. A sender that
    /// crashes mid-send leaves the claim to expire, and the delivery is
    /// retried after `lease_until`.
    ///
    /// Senders must use the returned progress, not the one read by
    /// [`Store::pending_deliveries`]: another sender may have advanced it since.
    pub async fn claim_delivery(
        &self,
        event_id: i64,
        backend: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claim>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "UPDATE outbox_delivery SET next_attempt_at = $1 \
             WHERE event_id = $2 AND backend = $3 AND status = 'pending' AND next_attempt_at <= $4 \
             RETURNING attempts, parts_done",
        )
        .bind(Ts(lease_until))
        .bind(event_id)
        .bind(backend)
        .bind(Ts(now))
        .fetch_optional(pool)
        .await?))
    }

    /// Records that the first `parts_done` message parts of a multi-part
    /// delivery got through (progress only ever moves forward). Returns
    /// `false` if the delivery is not pending.
    pub async fn mark_parts_delivered(
        &self,
        event_id: i64,
        backend: &str,
        parts_done: u32,
    ) -> Result<bool> {
        let r = on_pool!(self, |pool| sqlx::query(
            "UPDATE outbox_delivery \
             SET parts_done = CASE WHEN parts_done > $1 THEN parts_done ELSE $1 END \
             WHERE event_id = $2 AND backend = $3 AND status = 'pending'",
        )
        .bind(i64::from(parts_done))
        .bind(event_id)
        .bind(backend)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(r == 1)
    }

    /// Records a failed delivery run: one more attempt, the error, and when to
    /// try next. After `max_attempts` attempts the delivery is `dead`.
    /// A delivered row is never touched. Returns the resulting status
    /// (`None` if the row does not exist).
    pub async fn mark_failed(
        &self,
        event_id: i64,
        backend: &str,
        err: &str,
        next_attempt_at: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<Option<DeliveryStatus>> {
        let status: Option<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "UPDATE outbox_delivery SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2, \
             status = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'pending' END \
             WHERE event_id = $4 AND backend = $5 AND status = 'pending' RETURNING status",
        )
        .bind(err)
        .bind(Ts(next_attempt_at))
        .bind(i64::from(max_attempts))
        .bind(event_id)
        .bind(backend)
        .fetch_optional(pool)
        .await?);
        match status {
            Some((s,)) => Ok(DeliveryStatus::parse(&s)),
            None => self.delivery_status(event_id, backend).await,
        }
    }

    /// Current status of one delivery.
    pub async fn delivery_status(
        &self,
        event_id: i64,
        backend: &str,
    ) -> Result<Option<DeliveryStatus>> {
        let s: Option<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT status FROM outbox_delivery WHERE event_id = $1 AND backend = $2"
        )
        .bind(event_id)
        .bind(backend)
        .fetch_optional(pool)
        .await?);
        Ok(s.and_then(|(s,)| DeliveryStatus::parse(&s)))
    }

    /// Puts dead deliveries (all backends, or one) back to pending with a
    /// fresh attempt budget. Returns how many were revived.
    pub async fn requeue_dead(&self, backend: Option<&str>, now: DateTime<Utc>) -> Result<u64> {
        on_pool!(self, |pool| Ok(sqlx::query(
            "UPDATE outbox_delivery SET status = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE status = 'dead' AND ($2 IS NULL OR backend = $2)",
        )
        .bind(Ts(now))
        .bind(backend)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// Pending / delivered / dead counts per backend, by backend name.
    pub async fn outbox_status(&self) -> Result<Vec<OutboxStatusCount>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT backend, \
             COUNT(*) FILTER (WHERE status = 'pending') AS pending, \
             COUNT(*) FILTER (WHERE status = 'delivered') AS delivered, \
             COUNT(*) FILTER (WHERE status = 'dead') AS dead \
             FROM outbox_delivery GROUP BY backend ORDER BY backend",
        )
        .fetch_all(pool)
        .await?))
    }

    /// Dead deliveries, newest event first.
    pub async fn dead_events(&self) -> Result<Vec<DeadDelivery>> {
        on_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT d.event_id, d.backend, o.kind, o.dedupe_key, d.attempts, d.last_error, \
             o.created_at \
             FROM outbox_delivery d JOIN outbox o ON o.id = d.event_id \
             WHERE d.status = 'dead' ORDER BY d.event_id DESC, d.backend",
        )
        .fetch_all(pool)
        .await?))
    }
}
