//! Which model scores each ticker of a scan: its classic model, or the v2
//! pool with the ticker's part (fitted at scan time for a ticker outside
//! the pool). Missing and corrupt files are listed in the report, never
//! fatal; for v2 the entry threshold and the watchlist floor are the
//! pool's.

use rally_model::Family;
use rally_model::live::LiveModel;
use rally_model::live_v2::{V2Pool, V2TickerPart};
use rally_trade::TradeConfig;
use rayon::prelude::*;
use serde::Serialize;

use super::{Problem, ScanReport, WATCH_P};
use crate::models::{Loaded, SKIP_FRESH_DAYS, load_model, load_part, load_pool};
use crate::state::StateDir;

/// How the report names the v2 pool in its problem lists.
pub const POOL_NAME: &str = "v2 pool";

/// The model of one ticker.
#[derive(Debug)]
pub(super) enum TickerModel {
    Classic(Box<LiveModel>),
    /// The ticker's v2 part; `None`: fit it from the ticker's data now.
    V2(Option<Box<V2TickerPart>>),
}

/// Where the scan's entry threshold and watchlist floor came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanThresholds {
    /// P at or above which (with compression) a bar is an entry.
    pub entry: f64,
    /// Lower edge of the watchlist band.
    pub watch: f64,
    /// `config` (classic: the named config and METHOD §9) or `v2 pool`
    /// (its 80th / 60th percentiles of compressed training P).
    pub from: String,
}

/// The trade config and watchlist floor a scan with `pool` uses: the named
/// config with the pool's entry threshold as `p_threshold`, and the pool's
/// watchlist floor (classic, no pool: the config as is and [`WATCH_P`]).
pub fn family_config(cfg: &TradeConfig, pool: Option<&V2Pool>) -> (TradeConfig, ScanThresholds) {
    match pool {
        Some(pool) => {
            let mut c = cfg.clone();
            c.p_threshold = pool.entry();
            let t = ScanThresholds {
                entry: pool.entry(),
                watch: pool.watch(),
                from: POOL_NAME.to_owned(),
            };
            (c, t)
        }
        None => (
            cfg.clone(),
            ScanThresholds {
                entry: cfg.p_threshold,
                watch: WATCH_P,
                from: "config".to_owned(),
            },
        ),
    }
}

/// The models of `tickers` under `family` (in order), and the pool for v2.
pub(super) fn select(
    state: &StateDir,
    family: Family,
    tickers: &[String],
    now: chrono::DateTime<chrono::Utc>,
    report: &mut ScanReport,
) -> (Vec<(String, TickerModel)>, Option<V2Pool>) {
    let mut models = Vec::new();
    match family {
        Family::Classic => {
            let loads: Vec<_> = tickers.par_iter().map(|t| load_model(state, t)).collect();
            for (t, m) in tickers.iter().zip(loads) {
                match m {
                    Loaded::Ready(m) => models.push((t.clone(), TickerModel::Classic(m))),
                    Loaded::Missing => report.missing_models.push(t.clone()),
                    Loaded::Corrupt(reason) => report.corrupt_models.push(Problem {
                        ticker: t.clone(),
                        reason,
                    }),
                }
            }
            (models, None)
        }
        Family::V2 => {
            let pool = match load_pool(state) {
                Loaded::Ready(p) => *p,
                Loaded::Missing => {
                    report.missing_models.push(POOL_NAME.to_owned());
                    return (models, None);
                }
                Loaded::Corrupt(reason) => {
                    report.corrupt_models.push(Problem {
                        ticker: POOL_NAME.to_owned(),
                        reason,
                    });
                    return (models, None);
                }
            };
            let age = pool.age_days(now);
            if age >= SKIP_FRESH_DAYS {
                report.model_notes.push(format!(
                    "the v2 pool is stale: trained {} ({age} days ago); run `retrainer --model v2`",
                    pool.trained_at.format("%Y-%m-%d")
                ));
            }
            let loads: Vec<Option<_>> = tickers
                .par_iter()
                .map(|t| pool.contains(t).then(|| load_part(state, t)))
                .collect();
            for (t, m) in tickers.iter().zip(loads) {
                match m {
                    Some(Loaded::Ready(p)) => models.push((t.clone(), TickerModel::V2(Some(p)))),
                    // Outside the pool (or its part is gone): fitted at
                    // scan time from the ticker's own data.
                    None | Some(Loaded::Missing) => models.push((t.clone(), TickerModel::V2(None))),
                    Some(Loaded::Corrupt(reason)) => report.corrupt_models.push(Problem {
                        ticker: t.clone(),
                        reason,
                    }),
                }
            }
            (models, Some(pool))
        }
    }
}
