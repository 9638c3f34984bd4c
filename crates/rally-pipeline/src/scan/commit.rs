//! Step 3 of the scan: write the plan in one transaction, against the state
//! the scan read, then rewrite the CSV exports from the store.

use rally_store::{CommitOutcome, ScanCommit, SignalRow, Store};

use super::plan::{Plan, position_out};
use super::{Attempt, ScanOptions, ScanReport};
use crate::error::PipelineError;
use crate::state::StateDir;

/// Commits `plan` on top of `base` (the newest as-of date the scan read).
/// A concurrent scan that committed first makes this attempt
/// [`Attempt::Lost`]; an as-of date already stored reports what the store
/// holds for it (the first run's result) and changes nothing.
pub(super) async fn commit(
    state: &StateDir,
    store: &Store,
    plan: Plan,
    base: Option<chrono::NaiveDate>,
    opts: &ScanOptions,
    mut report: ScanReport,
) -> Result<Attempt, PipelineError> {
    let as_of = plan.as_of;
    let commit = ScanCommit {
        as_of,
        started_at: opts.now,
        finished_at: opts.now,
        n_scanned: report.scanned as i64,
        status: plan.status.as_str().to_owned(),
        positions: plan.positions.into_values().collect(),
        closed_trades: plan.closed,
        equity: Some(plan.equity),
        signals: report
            .signals
            .iter()
            .map(|s| SignalRow::new(as_of, s))
            .collect(),
        events: plan.events,
        summary_json: Some(
            plan.summary
                .to_json()
                .map_err(PipelineError::json("the scan summary"))?,
        ),
        backends: opts.backends.clone(),
        base,
        backfill: opts.backfill,
    };
    crate::fault::point("before-commit");
    let outcome = store.commit_scan(&commit).await?;
    crate::fault::point("after-commit");
    report.committed = match outcome {
        CommitOutcome::Committed { .. } => true,
        CommitOutcome::AlreadyDone => false,
        CommitOutcome::Conflict { .. } => return Ok(Attempt::Lost),
    };
    if !report.committed {
        // Report what the store holds for this date (the first run's result).
        report.positions = store
            .open_positions()
            .await?
            .iter()
            .map(position_out)
            .collect();
        report.closed.clear();
        report.signals = store
            .signals_on(as_of)
            .await?
            .into_iter()
            .map(|r| r.signal())
            .collect();
        report.equity = store
            .equity_history(None)
            .await?
            .into_iter()
            .find(|e| e.date == as_of);
    }
    // Exports are rewritten from the store every time, so a run killed
    // between the commit and here is repaired by the next run.
    store.export_all(&state.models()).await?;
    crate::fault::point("after-export");
    Ok(Attempt::Done(Box::new(report)))
}
