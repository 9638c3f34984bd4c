//! Alert events: what happened, independent of any platform. Stored in the
//! outbox as JSON (`payload_json`).

use rally_store::NewOutboxEvent;
use rally_trade::EntrySignal;
use serde::{Deserialize, Serialize};

/// An alert event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// New entry signals of a scan.
    Signals(Vec<EntrySignal>),
    /// A system position was closed.
    Exit {
        /// Ticker symbol.
        ticker: String,
        /// Exit reason (stop, target, exhaustion, time).
        reason: String,
        /// P&L in percent (5.0 = +5 %).
        pnl_pct: f64,
        /// Bars held.
        bars_held: u32,
        /// Entry fill price.
        entry: f64,
        /// Exit price.
        exit: f64,
    },
    /// The weekly retrain finished.
    RetrainComplete {
        /// Models trained.
        trained: u32,
        /// Models skipped because still fresh.
        skipped_fresh: u32,
        /// Models that failed.
        failed: u32,
        /// Fresh models after the run.
        fresh: u32,
        /// Stale models after the run.
        stale: u32,
        /// Wall time in seconds.
        elapsed_secs: f64,
        /// Mean walk-forward AUC over the models whose walk-forward ran
        /// this time (`retrainer --walk-forward`), else `None`.
        #[serde(default)]
        walk_forward_auc: Option<f64>,
        /// Median walk-forward Brier skill (against the training base
        /// rate) of the same models.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        walk_forward_brier_skill: Option<f64>,
        /// The model family trained (`classic` or `v2`); `None` in alerts
        /// recorded before families existed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model_family: Option<String>,
    },
    /// Something went wrong in a scheduled run.
    Error {
        /// Where (e.g. `daily scan`).
        context: String,
        /// What.
        message: String,
    },
    /// `scanner alerts test`.
    Test,
}

impl Event {
    /// Short kind name, as stored in the outbox's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Signals(_) => "signals",
            Event::Exit { .. } => "exit",
            Event::RetrainComplete { .. } => "retrain",
            Event::Error { .. } => "error",
            Event::Test => "test",
        }
    }

    /// The outbox row for this event. `dedupe_key` must identify the event
    /// across re-runs, e.g. `signals:2024-05-01` or `exit:AAPL:2024-04-29`.
    pub fn to_outbox(
        &self,
        dedupe_key: impl Into<String>,
    ) -> Result<NewOutboxEvent, serde_json::Error> {
        Ok(NewOutboxEvent {
            dedupe_key: dedupe_key.into(),
            kind: self.kind().to_string(),
            payload_json: serde_json::to_string(self)?,
        })
    }
}
