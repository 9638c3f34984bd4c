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
            // The config's own compression cut when the pool stored it; else
            // the pool's (baseline) cut, and the report says so.
            let (t, from) = match pool.thresholds_for(cfg.comp_threshold) {
                Some(t) => (Some(t), POOL_NAME.to_owned()),
                None => (
                    pool.model.thresholds,
                    format!(
                        "{POOL_NAME} (compression >= {} rows; none stored for {})",
                        pool.model.thresholds.map_or(f64::NAN, |t| t.comp_threshold),
                        cfg.comp_threshold
                    ),
                ),
            };
            let (entry, watch) = t.map_or((f64::NAN, f64::NAN), |t| (t.entry, t.watch));
            let mut c = cfg.clone();
            c.p_threshold = entry;
            (c, ScanThresholds { entry, watch, from })
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

#[cfg(test)]
mod tests {
    use super::*;
    use rally_model::v2::{PooledModel, Thresholds};

    fn pool(entry: f64, watch: f64) -> V2Pool {
        V2Pool {
            family: Family::V2,
            trained_at: chrono::DateTime::UNIX_EPOCH,
            data_start: chrono::NaiveDate::MIN,
            data_end: chrono::NaiveDate::MIN,
            tickers: vec!["SPY".into()],
            rows_per_ticker: vec![1],
            model: PooledModel {
                features: Vec::new(),
                mean: Vec::new(),
                std: Vec::new(),
                intercept: 0.0,
                weights: Vec::new(),
                n_rows: 1,
                n_positive: 1,
                n_tickers: 1,
                thresholds: Some(Thresholds {
                    comp_threshold: 0.55,
                    n_compressed: 10,
                    entry,
                    watch,
                }),
            },
            setup_quantiles: Vec::new(),
            library_version: String::new(),
            config_hash: String::new(),
            thresholds_by_comp: Vec::new(),
        }
    }

    #[test]
    fn a_v2_scan_takes_the_pools_entry_and_watch() {
        let mut p = pool(0.31, 0.27);
        // Thresholds stored for the other named configs' cuts.
        for (c, e, w) in [(0.45, 0.30, 0.26), (0.60, 0.33, 0.29)] {
            p.thresholds_by_comp.push(Thresholds {
                comp_threshold: c,
                n_compressed: 5,
                entry: e,
                watch: w,
            });
        }
        for name in TradeConfig::NAMES {
            let cfg = TradeConfig::named(name).unwrap_or_else(|e| panic!("{e}"));
            let (c, t) = family_config(&cfg, Some(&p));
            let want = match cfg.comp_threshold {
                0.45 => (0.30, 0.26),
                0.55 => (0.31, 0.27),
                _ => (0.33, 0.29),
            };
            assert_eq!(c.p_threshold, want.0, "{name}");
            assert_eq!(
                (t.entry, t.watch, t.from.as_str()),
                (want.0, want.1, POOL_NAME)
            );
            // The named config keeps its other parameters.
            assert_eq!(c.comp_threshold, cfg.comp_threshold);
            assert_eq!(c.max_size, cfg.max_size);
            assert_eq!(c.name, cfg.name);
            // Classic: the config as is and the METHOD §9 floor.
            let (c, t) = family_config(&cfg, None);
            assert_eq!(c, cfg);
            assert_eq!((t.entry, t.watch), (cfg.p_threshold, WATCH_P));
        }
        // A cut the pool has no thresholds for: the pool's own, said so.
        let mut odd = TradeConfig::baseline();
        odd.comp_threshold = 0.7;
        let (c, t) = family_config(&odd, Some(&pool(0.31, 0.27)));
        assert_eq!((c.p_threshold, t.watch), (0.31, 0.27));
        assert!(t.from.contains("none stored for 0.7"), "{}", t.from);
    }
}
