//! Durable delivery of outbox events: at least once per backend, never again
//! after a recorded success.
//!
//! Each due `(event, backend)` is first claimed in the store (a lease), so two
//! processes delivering at once (scanner and bot scheduler) never both send
//! it. Then its messages are sent in order with bounded in-run retries on
//! retryable errors (exponential backoff, server `Retry-After` honoured).
//! Progress is recorded after each message of a multi-message event; success
//! is recorded as `delivered`; failure records an attempt and the earliest
//! next attempt, and after `max_attempts` failed runs the delivery is `dead`.
//!
//! A backend is a unit: when its server asks us to slow down (429,
//! `Retry-After`), none of its deliveries is sent before that time, and each
//! backend has a time budget per run, so a hanging endpoint delays one run by
//! at most that budget and leaves the rest of its queue pending.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use rally_store::{DeliveryStatus, PendingDelivery, Store, StoreError};
use tokio::time::Instant;

use crate::backend::Notifier;
use crate::error::{NotifyError, SendError};
use crate::event::Event;
use crate::render::Message;

/// Retry and backoff rules of [`deliver_outbox`].
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPolicy {
    /// Failed delivery runs before a delivery is marked dead.
    pub max_attempts: u32,
    /// Extra tries of a message within one run after a retryable error.
    pub retries_per_run: u32,
    /// First in-run backoff; doubles per retry.
    pub backoff_base: Duration,
    /// Cap of the in-run backoff.
    pub backoff_max: Duration,
    /// Longest server-requested wait honoured within a run; a longer one ends
    /// this run for that backend and the wait is carried into the next run
    /// (for all its due deliveries).
    pub max_retry_after: Duration,
    /// Delay before the next run may retry a failed delivery; doubles per
    /// recorded attempt. Also how long a backend that rate-limited us
    /// without saying for how long is left alone.
    pub next_run_delay: Duration,
    /// Cap of `next_run_delay`.
    pub next_run_delay_max: Duration,
    /// Claim duration of a delivery being sent (must exceed the time one
    /// delivery can take, retries included).
    pub lease: Duration,
    /// Most deliveries handled per run.
    pub batch_limit: u32,
    /// Wall time one backend may spend per run (all its deliveries, retries
    /// and waits). A send still in flight at the end fails (one attempt);
    /// deliveries not started stay pending with no attempt counted. Should
    /// exceed the request timeout, or a slow backend never gets an answer.
    pub backend_budget: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 8,
            retries_per_run: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            next_run_delay: Duration::from_secs(60),
            next_run_delay_max: Duration::from_secs(6 * 3600),
            lease: Duration::from_secs(15 * 60),
            batch_limit: 1000,
            backend_budget: Duration::from_secs(30),
        }
    }
}

impl DeliveryPolicy {
    fn in_run_backoff(&self, retry: u32) -> Duration {
        self.backoff_base
            .saturating_mul(1u32 << retry.min(20))
            .min(self.backoff_max)
    }

    fn next_run_backoff(&self, attempts_before: i64) -> Duration {
        let exp = attempts_before.clamp(0, 20) as u32;
        self.next_run_delay
            .saturating_mul(1u32 << exp)
            .min(self.next_run_delay_max)
    }
}

/// One failed delivery in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFailure {
    /// Outbox event id.
    pub event_id: i64,
    /// Backend name.
    pub backend: String,
    /// The (secret-free) error.
    pub error: String,
    /// Whether this failure made the delivery dead.
    pub dead: bool,
}

/// What one [`deliver_outbox`] run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries completed in this run.
    pub delivered: usize,
    /// Deliveries that failed and stay pending for a later run.
    pub retry_later: usize,
    /// Deliveries that failed for the last time (now dead).
    pub dead: usize,
    /// Due deliveries for backends not configured in this process (left pending).
    pub skipped: usize,
    /// Due deliveries another process had claimed, or left for a later run
    /// (no attempt counted) because their backend asked us to back off or
    /// its time budget for this run was spent.
    pub deferred: usize,
    /// The failures.
    pub failures: Vec<DeliveryFailure>,
}

impl DeliveryReport {
    fn merge(&mut self, o: DeliveryReport) {
        self.delivered += o.delivered;
        self.retry_later += o.retry_later;
        self.dead += o.dead;
        self.skipped += o.skipped;
        self.deferred += o.deferred;
        self.failures.extend(o.failures);
    }
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Delivers every due outbox delivery through the matching notifier.
/// Backends run concurrently; each backend's queue is sent in event order.
pub async fn deliver_outbox(
    store: &Store,
    notifiers: &[Box<dyn Notifier>],
    policy: &DeliveryPolicy,
) -> Result<DeliveryReport, NotifyError> {
    let due = store
        .pending_deliveries(Utc::now(), policy.batch_limit)
        .await?;
    let mut report = DeliveryReport::default();
    let mut per_backend: Vec<(&dyn Notifier, Vec<PendingDelivery>)> =
        notifiers.iter().map(|n| (n.as_ref(), Vec::new())).collect();
    for d in due {
        match per_backend.iter_mut().find(|(n, _)| n.name() == d.backend) {
            Some((_, q)) => q.push(d),
            None => report.skipped += 1,
        }
    }
    let results = join_all(
        per_backend
            .into_iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(n, q)| deliver_backend(store, n, q, policy)),
    )
    .await;
    for r in results {
        report.merge(r?);
    }
    if report.delivered + report.retry_later + report.dead > 0 {
        tracing::info!(
            delivered = report.delivered,
            retry_later = report.retry_later,
            dead = report.dead,
            skipped = report.skipped,
            deferred = report.deferred,
            "outbox delivery run"
        );
    }
    Ok(report)
}

/// What the next delivery of a backend may do, given how its run went so far.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gate {
    /// Send it now.
    Go,
    /// The backend asked for a pause that ends within this run: wait, then send.
    Wait(Duration),
    /// The backend asked for a pause beyond this run: postpone its remaining
    /// deliveries to then.
    Paused(DateTime<Utc>),
    /// The backend's time budget for this run is spent.
    OutOfTime,
}

/// Decides whether a backend's next delivery goes out, with `budget_left`
/// of its run and the pause its server asked for (if any).
fn gate(
    now: DateTime<Utc>,
    budget_left: Duration,
    paused_until: Option<DateTime<Utc>>,
    max_in_run_wait: Duration,
) -> Gate {
    match paused_until {
        // A pause that outlasts the budget postpones the rest to its end,
        // rather than leaving them due for a run that would hit it again.
        Some(until) if until > now => {
            let wait = (until - now).to_std().unwrap_or(Duration::ZERO);
            if wait > max_in_run_wait || wait >= budget_left {
                Gate::Paused(until)
            } else {
                Gate::Wait(wait)
            }
        }
        _ if budget_left.is_zero() => Gate::OutOfTime,
        _ => Gate::Go,
    }
}

async fn deliver_backend(
    store: &Store,
    notifier: &dyn Notifier,
    queue: Vec<PendingDelivery>,
    policy: &DeliveryPolicy,
) -> Result<DeliveryReport, StoreError> {
    let backend = notifier.name().to_string();
    let deadline = Instant::now() + policy.backend_budget;
    let mut report = DeliveryReport::default();
    // When the backend's server lets us send again.
    let mut paused_until: Option<DateTime<Utc>> = None;
    for (index, item) in queue.iter().enumerate() {
        let budget_left = deadline.saturating_duration_since(Instant::now());
        match gate(
            Utc::now(),
            budget_left,
            paused_until,
            policy.max_retry_after,
        ) {
            Gate::Go => {}
            Gate::Wait(wait) => tokio::time::sleep(wait).await,
            Gate::Paused(until) => {
                let rest = &queue[index..];
                postpone(store, &backend, rest, until).await?;
                report.deferred += rest.len();
                tracing::warn!(backend = %backend, deliveries = rest.len(), until = %until,
                    "alert backend asked us to back off; its remaining deliveries wait until then");
                break;
            }
            Gate::OutOfTime => {
                let rest = queue.len() - index;
                report.deferred += rest;
                tracing::warn!(backend = %backend, deliveries = rest,
                    budget_secs = policy.backend_budget.as_secs_f64(),
                    "alert backend used its time budget for this run; its remaining deliveries stay pending for the next run");
                break;
            }
        }
        let now = Utc::now();
        // Progress comes from the claim, not from the list read at the start
        // of the run: a concurrent sender may have delivered parts since.
        let Some(claim) = store
            .claim_delivery(item.event_id, &backend, now, now + chrono_dur(policy.lease))
            .await?
        else {
            report.deferred += 1;
            continue;
        };
        let event: Event = match serde_json::from_str(&item.payload_json) {
            Ok(e) => e,
            Err(e) => {
                // Nothing will ever decode it: dead right away.
                let msg = format!("undecodable event payload: {e}");
                store
                    .mark_failed(item.event_id, &backend, &msg, now, 0)
                    .await?;
                report.dead += 1;
                report.failures.push(DeliveryFailure {
                    event_id: item.event_id,
                    backend: backend.clone(),
                    error: msg,
                    dead: true,
                });
                continue;
            }
        };
        let parts = notifier.render(&event);
        let mut failure: Option<SendError> = None;
        for (i, part) in parts
            .iter()
            .enumerate()
            .skip(claim.parts_done.max(0) as usize)
        {
            match send_within_budget(notifier, part, policy, deadline).await {
                Ok(()) if i + 1 < parts.len() => {
                    let done = u32::try_from(i + 1).unwrap_or(u32::MAX);
                    store
                        .mark_parts_delivered(item.event_id, &backend, done)
                        .await?;
                }
                Ok(()) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        match failure {
            None => {
                store.mark_delivered(item.event_id, &backend).await?;
                report.delivered += 1;
                tracing::debug!(event_id = item.event_id, backend = %backend, kind = %item.kind, "delivered");
            }
            Some(e) => {
                let failed_at = Utc::now();
                let server_wait = e.retry_after.unwrap_or_default();
                if e.pauses_backend() {
                    // The whole backend waits, not just this delivery: the
                    // server's wait, or our default when it named none.
                    let pause = e.retry_after.unwrap_or(policy.next_run_delay);
                    paused_until = Some(failed_at + chrono_dur(pause));
                }
                let wait = server_wait.max(policy.next_run_backoff(claim.attempts));
                let next = failed_at + chrono_dur(wait);
                let msg = e.to_string();
                let status = store
                    .mark_failed(item.event_id, &backend, &msg, next, policy.max_attempts)
                    .await?;
                let dead = status == Some(DeliveryStatus::Dead);
                if dead {
                    report.dead += 1;
                    tracing::warn!(event_id = item.event_id, backend = %backend, error = %msg, "alert delivery dead");
                } else {
                    report.retry_later += 1;
                    tracing::warn!(event_id = item.event_id, backend = %backend, error = %msg, "alert delivery failed; will retry");
                }
                report.failures.push(DeliveryFailure {
                    event_id: item.event_id,
                    backend: backend.clone(),
                    error: msg,
                    dead,
                });
            }
        }
    }
    Ok(report)
}

/// Keeps `deliveries` from being sent before `until`, without counting an
/// attempt: claiming a delivery until then and never sending it is exactly
/// that. One another process holds is left to it.
async fn postpone(
    store: &Store,
    backend: &str,
    deliveries: &[PendingDelivery],
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    for d in deliveries {
        store
            .claim_delivery(d.event_id, backend, Utc::now(), until)
            .await?;
    }
    Ok(())
}

/// One message with its in-run retries, ended at the backend's `deadline`:
/// a send still in flight then is abandoned as failed, and none is started
/// after it.
async fn send_within_budget(
    notifier: &dyn Notifier,
    message: &Message,
    policy: &DeliveryPolicy,
    deadline: Instant,
) -> Result<(), SendError> {
    let out_of_time = || {
        SendError::retryable(
            notifier.name(),
            format!(
                "no answer within the backend's time budget of {:.1}s for this run",
                policy.backend_budget.as_secs_f64()
            ),
        )
    };
    if Instant::now() >= deadline {
        return Err(out_of_time());
    }
    tokio::time::timeout_at(
        deadline,
        send_with_retries(notifier, message, policy, deadline),
    )
    .await
    .unwrap_or_else(|_| Err(out_of_time()))
}

async fn send_with_retries(
    notifier: &dyn Notifier,
    message: &Message,
    policy: &DeliveryPolicy,
    deadline: Instant,
) -> Result<(), SendError> {
    let mut retry = 0;
    loop {
        match notifier.send_message(message).await {
            Ok(()) => return Ok(()),
            Err(e) if !e.is_retryable() || retry >= policy.retries_per_run => return Err(e),
            Err(e) => {
                let wait = match e.retry_after {
                    Some(w) if w > policy.max_retry_after => return Err(e),
                    Some(w) => w,
                    None => policy.in_run_backoff(retry),
                };
                // A wait past the budget would only end in a timeout: report
                // the real error instead.
                if Instant::now() + wait >= deadline {
                    return Err(e);
                }
                tracing::debug!(backend = notifier.name(), error = %e, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
                retry += 1;
            }
        }
    }
}

/// Sends the test event to every notifier directly (not through the outbox)
/// and reports each backend's result, for `scanner alerts test`.
pub async fn send_test(notifiers: &[Box<dyn Notifier>]) -> Vec<(String, Result<(), SendError>)> {
    let results = join_all(notifiers.iter().map(|n| n.send(&Event::Test))).await;
    notifiers
        .iter()
        .map(|n| n.name().to_string())
        .zip(results)
        .collect()
}

/// Records `event` in the outbox for every notifier, deduplicated by `dedupe_key`.
/// Returns the new event id, or `None` if the key was already there.
pub async fn enqueue(
    store: &Store,
    event: &Event,
    dedupe_key: &str,
    notifiers: &[Box<dyn Notifier>],
) -> Result<Option<i64>, NotifyError> {
    let row = event.to_outbox(dedupe_key)?;
    let names = crate::backend::backend_names(notifiers);
    Ok(store.enqueue_event(&row, &names, Utc::now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_sends_waits_pauses_or_stops() {
        let now = Utc::now();
        let secs = Duration::from_secs;
        let at = |s: i64| now + chrono::Duration::seconds(s);
        let max_wait = secs(30);
        assert_eq!(gate(now, secs(10), None, max_wait), Gate::Go);
        assert_eq!(
            gate(now, secs(10), Some(at(-5)), max_wait),
            Gate::Go,
            "pause over"
        );
        assert_eq!(
            gate(now, secs(10), Some(at(2)), max_wait),
            Gate::Wait(secs(2))
        );
        assert_eq!(
            gate(now, secs(60), Some(at(120)), max_wait),
            Gate::Paused(at(120)),
            "longer than we wait within a run"
        );
        assert_eq!(
            gate(now, secs(10), Some(at(20)), max_wait),
            Gate::Paused(at(20)),
            "longer than the budget left"
        );
        assert_eq!(gate(now, Duration::ZERO, None, max_wait), Gate::OutOfTime);
        assert_eq!(
            gate(now, Duration::ZERO, Some(at(120)), max_wait),
            Gate::Paused(at(120)),
            "a known pause still postpones the rest"
        );
    }
}
