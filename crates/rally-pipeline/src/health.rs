//! Model freshness and system health (METHOD §9, `scanner health`).

use chrono::{DateTime, NaiveDate, Utc};
use rally_model::live::{ArtefactError, LiveModel};
use serde::Serialize;

use crate::retrain::SKIP_FRESH_DAYS;
use crate::state::StateDir;

/// Freshness of one ticker's model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ModelStatus {
    Fresh,
    Stale,
    Missing,
    Corrupt { reason: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelHealth {
    pub ticker: String,
    #[serde(flatten)]
    pub status: ModelStatus,
    pub trained_at: Option<DateTime<Utc>>,
    pub age_days: Option<i64>,
    /// Last bar of the data the model was trained on.
    pub data_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthReport {
    pub models: Vec<ModelHealth>,
    pub fresh: usize,
    pub stale: usize,
    pub missing: usize,
    pub corrupt: usize,
    /// Newest `data_end` among the models.
    pub last_data_date: Option<NaiveDate>,
}

impl HealthReport {
    /// `scanner health` exits 1 when anything is stale or corrupt.
    pub fn is_healthy(&self) -> bool {
        self.stale == 0 && self.corrupt == 0
    }
}

/// Check one ticker's model file.
pub fn model_health(state: &StateDir, ticker: &str, now: DateTime<Utc>) -> ModelHealth {
    let path = state.model_path(ticker);
    let mut h = ModelHealth {
        ticker: ticker.to_owned(),
        status: ModelStatus::Missing,
        trained_at: None,
        age_days: None,
        data_end: None,
    };
    match LiveModel::load(&path) {
        Ok(m) => {
            let age = m.age_days(now);
            h.status = if age < SKIP_FRESH_DAYS {
                ModelStatus::Fresh
            } else {
                ModelStatus::Stale
            };
            h.trained_at = Some(m.trained_at);
            h.age_days = Some(age);
            h.data_end = Some(m.data_end);
        }
        Err(ArtefactError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            h.status = ModelStatus::Corrupt {
                reason: e.to_string(),
            }
        }
    }
    h
}

/// Health of the models of `universe` (plus any other model files found).
pub fn check(state: &StateDir, universe: &[String], now: DateTime<Utc>) -> HealthReport {
    let mut tickers: Vec<String> = universe.to_vec();
    for t in state.model_tickers() {
        if !tickers.contains(&t) {
            tickers.push(t);
        }
    }
    let mut r = HealthReport::default();
    for t in &tickers {
        let h = model_health(state, t, now);
        match h.status {
            ModelStatus::Fresh => r.fresh += 1,
            ModelStatus::Stale => r.stale += 1,
            ModelStatus::Missing => r.missing += 1,
            ModelStatus::Corrupt { .. } => r.corrupt += 1,
        }
        r.last_data_date = r.last_data_date.max(h.data_end);
        r.models.push(h);
    }
    r
}
