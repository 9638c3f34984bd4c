//! Announcing a run: record its alert in the durable outbox, then deliver
//! whatever is due. The one path every job takes (scanner, retrainer, the
//! bot's scheduler), so an alert is never sent without being recorded.

use rally_notify::{DeliveryPolicy, DeliveryReport, Event, Notifier, deliver_outbox, enqueue};
use rally_store::Store;

use crate::error::PipelineError;

/// Records `event` under `dedupe_key` (a second record with the same key is
/// a no-op) with a pending delivery per configured backend, then delivers
/// everything due. Returns `None` when no backend is configured.
pub async fn announce(
    store: &Store,
    notifiers: &[Box<dyn Notifier>],
    event: &Event,
    dedupe_key: &str,
) -> Result<Option<DeliveryReport>, PipelineError> {
    enqueue(store, event, dedupe_key, notifiers).await?;
    deliver(store, notifiers).await
}

/// Delivers everything due in the outbox; `None` when no backend is configured.
pub async fn deliver(
    store: &Store,
    notifiers: &[Box<dyn Notifier>],
) -> Result<Option<DeliveryReport>, PipelineError> {
    if notifiers.is_empty() {
        return Ok(None);
    }
    let report = deliver_outbox(store, notifiers, &DeliveryPolicy::default()).await?;
    tracing::info!(
        delivered = report.delivered,
        retry_later = report.retry_later,
        dead = report.dead,
        "alerts delivered"
    );
    Ok(Some(report))
}
