//! Model freshness and system health (METHOD §9, `scanner health`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use rally_model::Family;

use crate::models::{Loaded, SKIP_FRESH_DAYS, load_model, load_part, load_pool};
use crate::scan::POOL_NAME;
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
    /// The family checked (the one the retrainer trained last).
    pub model_family: Family,
    pub models: Vec<ModelHealth>,
    pub fresh: usize,
    pub stale: usize,
    pub missing: usize,
    pub corrupt: usize,
    /// Newest `data_end` among the models.
    pub last_data_date: Option<NaiveDate>,
    /// Newest bar the system has seen: the later of the last scan's as-of
    /// date and [`Self::last_data_date`].
    pub newest_bar: Option<NaiveDate>,
    /// Weekdays between [`Self::newest_bar`] and today (see [`weekdays_behind`]).
    pub data_lag_weekdays: Option<i64>,
}

/// Data whose newest bar lies more than this many weekdays before today
/// is old: a holiday or a late print is one or two days, not four.
pub const MAX_DATA_LAG_WEEKDAYS: i64 = 3;

/// Weekdays strictly between `newest` and `today`: Friday's bar read on
/// Monday is 0 behind, Wednesday's read on Monday is 2.
pub fn weekdays_behind(newest: NaiveDate, today: NaiveDate) -> i64 {
    let days = (today - newest).num_days();
    if days <= 1 {
        return 0;
    }
    // Count the weekdays of (newest, today): whole weeks, then the rest.
    let between = days - 1;
    let (weeks, rest) = (between / 7, between % 7);
    let first = newest.succ_opt().unwrap_or(newest);
    let extra = (0..rest)
        .filter(|k| {
            let d = first + chrono::Duration::days(*k);
            !matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
        })
        .count();
    weeks * 5 + extra as i64
}

/// Whether data ending at `newest` is too old on `today`.
pub fn data_is_old(newest: NaiveDate, today: NaiveDate) -> bool {
    weekdays_behind(newest, today) > MAX_DATA_LAG_WEEKDAYS
}

impl HealthReport {
    /// `scanner health` exits 1 when anything is stale or corrupt, or the
    /// newest bar is old by the clock.
    pub fn is_healthy(&self) -> bool {
        self.stale == 0 && self.corrupt == 0 && !self.data_is_old()
    }

    /// Whether the newest bar is older than [`MAX_DATA_LAG_WEEKDAYS`].
    pub fn data_is_old(&self) -> bool {
        self.data_lag_weekdays
            .is_some_and(|lag| lag > MAX_DATA_LAG_WEEKDAYS)
    }

    /// Takes the last committed scan into account for data freshness.
    pub fn with_last_scan(mut self, last_scan: Option<NaiveDate>, now: DateTime<Utc>) -> Self {
        self.newest_bar = self.last_data_date.max(last_scan);
        self.data_lag_weekdays = self
            .newest_bar
            .map(|d| weekdays_behind(d, now.date_naive()));
        self
    }
}

/// The health row of one artefact, from when it was trained and the last
/// bar it saw.
fn health_row(
    name: &str,
    load: Loaded<(DateTime<Utc>, NaiveDate)>,
    now: DateTime<Utc>,
) -> ModelHealth {
    let mut h = ModelHealth {
        ticker: name.to_owned(),
        status: ModelStatus::Missing,
        trained_at: None,
        age_days: None,
        data_end: None,
    };
    match load {
        Loaded::Ready(m) => {
            let (trained_at, data_end) = *m;
            let age = (now - trained_at).num_days();
            h.status = if age < SKIP_FRESH_DAYS {
                ModelStatus::Fresh
            } else {
                ModelStatus::Stale
            };
            h.trained_at = Some(trained_at);
            h.age_days = Some(age);
            h.data_end = Some(data_end);
        }
        Loaded::Missing => {}
        Loaded::Corrupt(reason) => h.status = ModelStatus::Corrupt { reason },
    }
    h
}

/// Check one ticker's classic model file.
pub fn model_health(state: &StateDir, ticker: &str, now: DateTime<Utc>) -> ModelHealth {
    health_row(
        ticker,
        load_model(state, ticker).map(|m| (m.trained_at, m.data_end)),
        now,
    )
}

/// Health of the models of `universe` (plus any other model files found),
/// of the family the retrainer trained last: classic model files, or for
/// v2 the pool (first row, named [`POOL_NAME`]) and each ticker's part.
pub fn check(state: &StateDir, universe: &[String], now: DateTime<Utc>) -> HealthReport {
    let family = state.last_family().unwrap_or_default();
    let mut tickers: Vec<String> = universe.to_vec();
    let found = match family {
        Family::Classic => state.model_tickers(),
        Family::V2 => state.v2_part_tickers(),
    };
    for t in found {
        if !tickers.contains(&t) {
            tickers.push(t);
        }
    }
    let mut r = HealthReport {
        model_family: family,
        ..HealthReport::default()
    };
    let mut rows = Vec::new();
    if family == Family::V2 {
        rows.push(health_row(
            POOL_NAME,
            load_pool(state).map(|p| (p.trained_at, p.data_end)),
            now,
        ));
    }
    for t in &tickers {
        rows.push(match family {
            Family::Classic => model_health(state, t, now),
            Family::V2 => health_row(
                t,
                load_part(state, t).map(|p| (p.trained_at, p.data_end)),
                now,
            ),
        });
    }
    for h in rows {
        match h.status {
            ModelStatus::Fresh => r.fresh += 1,
            ModelStatus::Stale => r.stale += 1,
            ModelStatus::Missing => r.missing += 1,
            ModelStatus::Corrupt { .. } => r.corrupt += 1,
        }
        r.last_data_date = r.last_data_date.max(h.data_end);
        r.models.push(h);
    }
    r.with_last_scan(None, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn weekdays_behind_skips_weekends() {
        // 2026-08-21 is a Friday.
        assert_eq!(weekdays_behind(d("2026-08-21"), d("2026-08-21")), 0);
        assert_eq!(weekdays_behind(d("2026-08-21"), d("2026-08-24")), 0);
        assert_eq!(weekdays_behind(d("2026-08-21"), d("2026-08-26")), 2);
        assert_eq!(weekdays_behind(d("2026-08-19"), d("2026-08-24")), 2);
        assert_eq!(weekdays_behind(d("2026-08-21"), d("2026-09-04")), 9);
        assert_eq!(weekdays_behind(d("2026-08-24"), d("2026-08-21")), 0);
        assert!(!data_is_old(d("2026-08-20"), d("2026-08-25")));
        assert!(data_is_old(d("2026-05-20"), d("2026-08-25")));
    }

    #[test]
    fn old_data_makes_health_fail_even_with_fresh_models() {
        let r = HealthReport {
            fresh: 3,
            last_data_date: Some(d("2026-05-01")),
            ..HealthReport::default()
        };
        let now = "2026-08-24T12:00:00Z".parse().unwrap_or_default();
        assert!(!r.clone().with_last_scan(None, now).is_healthy());
        assert!(r.with_last_scan(Some(d("2026-08-21")), now).is_healthy());
    }
}
