//! The live model v2 (MODEL-V2.md "Live"): one pooled regression over
//! every ticker's live training rows, stored once for the universe
//! ([`V2Pool`]), next to the per-ticker parts it needs to build a row
//! ([`V2TickerPart`]: the live window's HMM, barriers and `sd_day`).
//!
//! The live window and the training-row rule are classic live's (METHOD
//! §6: the five years before the last bar, label horizon inside the
//! window). Files use the framing of [`crate::artefact`]; each records its
//! [`Family`].

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rally_features::{Barriers, median_daily_sd};
use rally_hmm::HmmParams;
use serde::{Deserialize, Serialize};

use crate::artefact;
use crate::error::ModelError;
use crate::live::{ArtefactError, live_window_start};
use crate::v2::{
    ENTRY_PERCENTILE, N_V2, PooledModel, Thresholds, TickerFold, V2Inputs, V2Row, WATCH_PERCENTILE,
    fit_pooled, percentile_sorted, thresholds_at, ticker_fold_window,
};
use crate::walkforward::{BarrierRule, N_FEATURES, TickerInputs, feature_rows_in};

/// Bump when the layout of [`V2Pool`] or [`V2TickerPart`] changes.
pub const V2_FORMAT_VERSION: u32 = 1;
/// Quantiles of the compressed training rows' P kept in the pool (every
/// 0.1 percentile, 0 and 100 included).
pub const N_SETUP_QUANTILES: usize = 1001;

/// A model family: how P(rally) is trained and scored.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Per-ticker regression + isotonic (METHOD §6).
    #[default]
    Classic,
    /// One pooled 22-feature regression (MODEL-V2.md).
    V2,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Classic => "classic",
            Family::V2 => "v2",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Family, String> {
        match s.trim() {
            "classic" => Ok(Family::Classic),
            "v2" => Ok(Family::V2),
            other => Err(format!("unknown model family {other:?} (classic or v2)")),
        }
    }
}

/// What one ticker keeps of its live v2 training: what building its
/// 22-feature rows needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V2TickerPart {
    pub family: Family,
    pub ticker: String,
    pub trained_at: DateTime<Utc>,
    /// First and last bar of the data it was fitted from.
    pub data_start: NaiveDate,
    pub data_end: NaiveDate,
    pub n_bars: usize,
    /// First date of the live window.
    pub window_start: NaiveDate,
    /// The live window's HMM (features `hmm_*`).
    pub hmm: HmmParams,
    /// The live window's barriers (METHOD §5): the labels of its rows.
    pub barriers: Barriers,
    /// Median daily volatility of the live window (METHOD §5).
    pub sd_day: f64,
    /// Training rows the ticker gave the pool (0 when fitted at scan time).
    pub n_train: usize,
    pub library_version: String,
    pub config_hash: String,
}

/// The pooled live model of a universe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct V2Pool {
    pub family: Family,
    pub trained_at: DateTime<Utc>,
    /// Earliest first bar and latest last bar of the pooled tickers.
    pub data_start: NaiveDate,
    pub data_end: NaiveDate,
    /// Pooled tickers in pool order, with the training rows each gave.
    pub tickers: Vec<String>,
    pub rows_per_ticker: Vec<usize>,
    /// The fit; its thresholds (always present in a saved pool) are the
    /// entry threshold and the watchlist floor.
    pub model: PooledModel,
    /// [`N_SETUP_QUANTILES`] quantiles of the compressed training rows' P,
    /// ascending: any P's rank among the training setups.
    pub setup_quantiles: Vec<f64>,
    pub library_version: String,
    pub config_hash: String,
    /// Entry / watchlist thresholds at other compression cuts (one per
    /// named trade config), so a scan with another config trades that
    /// config's own rows' percentiles. See [`V2Pool::thresholds_for`].
    #[serde(default)]
    pub thresholds_by_comp: Vec<Thresholds>,
}

/// A ticker's live v2 training: its part and its training rows.
#[derive(Debug, Clone)]
pub struct LivePart {
    pub part: V2TickerPart,
    pub fold: TickerFold,
}

/// A stable fingerprint of the v2 settings (FNV-1a over their text).
pub fn v2_config_hash(comp_threshold: f64) -> String {
    let text = format!(
        "classic={};features={:?};C={};comp={comp_threshold};entry={ENTRY_PERCENTILE};watch={WATCH_PERCENTILE}",
        crate::live::config_hash(),
        crate::v2::V2_FEATURE_NAMES,
        crate::v2::V2_LR_C,
    );
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn window(dates: &[NaiveDate]) -> Result<(usize, usize), ModelError> {
    let n = dates.len();
    if n < 2 {
        return Err(ModelError::EmptyInput("live window"));
    }
    Ok((live_window_start(dates).min(n - 1), n - 1))
}

fn part_of(
    ticker: &str,
    inp: &TickerInputs<'_>,
    hmm: HmmParams,
    barriers: Barriers,
    sd_day: f64,
    n_train: usize,
    trained_at: DateTime<Utc>,
) -> Result<V2TickerPart, ModelError> {
    let (lo, hi) = window(inp.dates)?;
    Ok(V2TickerPart {
        family: Family::V2,
        ticker: ticker.to_owned(),
        trained_at,
        data_start: inp.dates[0],
        data_end: inp.dates[hi],
        n_bars: inp.len(),
        window_start: inp.dates[lo],
        hmm,
        barriers,
        sd_day,
        n_train,
        library_version: env!("CARGO_PKG_VERSION").to_owned(),
        config_hash: crate::live::config_hash(),
    })
}

/// A ticker's live v2 training on its live window: the HMM, barriers,
/// labels and training rows of classic live, plus the extras.
pub fn train_live_part(
    ticker: &str,
    inp: &V2Inputs<'_>,
    trained_at: DateTime<Utc>,
) -> Result<LivePart, ModelError> {
    let c = &inp.classic;
    let (lo, hi) = window(c.dates)?;
    let year = c.dates[hi].year() + 1;
    // No test rows: the "test" range hi+1..=hi is empty.
    let (fold, w) = ticker_fold_window(inp, (year, (lo, hi), (hi + 1, hi)), BarrierRule::Auto)?;
    let barriers = Barriers {
        r_up: w.info.r_up,
        d_dn: w.info.d_dn,
    };
    let n_train = fold.train_y.len();
    let part = part_of(ticker, c, w.hmm, barriers, fold.sd_day, n_train, trained_at)?;
    Ok(LivePart { part, fold })
}

/// The part of a ticker outside the pool, fitted at scan time from its own
/// data: the live window's HMM, barriers and `sd_day` exactly as
/// [`train_live_part`] finds them (no training rows).
pub fn fit_part(
    ticker: &str,
    inp: &TickerInputs<'_>,
    now: DateTime<Utc>,
) -> Result<V2TickerPart, ModelError> {
    let (lo, hi) = window(inp.dates)?;
    let fit_obs: Vec<[f64; 2]> = inp.obs[lo..=hi]
        .iter()
        .filter(|o| o[0].is_finite() && o[1].is_finite())
        .copied()
        .collect();
    let hmm = rally_hmm::fit(&fit_obs).map_err(|e| ModelError::InWindow {
        first: inp.dates[lo],
        last: inp.dates[hi],
        source: Box::new(e.into()),
    })?;
    let rv = &inp.frame.rv[lo..=hi];
    part_of(
        ticker,
        inp,
        hmm,
        Barriers::calibrate(rv),
        median_daily_sd(rv),
        0,
        now,
    )
}

/// Fit the pool over `parts` (in the order given: keep it fixed, the order
/// moves rounding). Thresholds and the setup quantiles use the training
/// rows with `compression >= comp_threshold`; a pool without any is an
/// error (it could not say what a good setup is).
pub fn fit_pool(
    parts: &[LivePart],
    comp_threshold: f64,
    trained_at: DateTime<Utc>,
) -> Result<V2Pool, ModelError> {
    let folds: Vec<&TickerFold> = parts.iter().map(|p| &p.fold).collect();
    let data_end = parts.iter().map(|p| p.part.data_end).max();
    let data_start = parts.iter().map(|p| p.part.data_start).min();
    let (Some(data_start), Some(data_end)) = (data_start, data_end) else {
        return Err(ModelError::EmptyInput("live v2 pool (no ticker)"));
    };
    let model = fit_pooled(data_end.year() + 1, &folds, comp_threshold)?;
    if model.thresholds.is_none() {
        return Err(ModelError::InvalidParameter(format!(
            "no training row of the pool has compression >= {comp_threshold}"
        )));
    }
    let mut p: Vec<f64> = folds
        .iter()
        .flat_map(|f| f.train_x.iter().zip(&f.train_compression))
        .filter(|(_, c)| **c >= comp_threshold)
        .map(|(x, _)| model.predict(x))
        .collect();
    p.sort_by(f64::total_cmp);
    let last = (N_SETUP_QUANTILES - 1) as f64;
    let setup_quantiles = (0..N_SETUP_QUANTILES)
        .filter_map(|i| percentile_sorted(&p, 100.0 * i as f64 / last))
        .collect();
    Ok(V2Pool {
        family: Family::V2,
        trained_at,
        data_start,
        data_end,
        tickers: parts.iter().map(|p| p.part.ticker.clone()).collect(),
        rows_per_ticker: parts.iter().map(|p| p.fold.train_y.len()).collect(),
        model,
        setup_quantiles,
        library_version: env!("CARGO_PKG_VERSION").to_owned(),
        config_hash: v2_config_hash(comp_threshold),
        thresholds_by_comp: Vec::new(),
    })
}

impl V2Pool {
    /// Store the thresholds of each of `comps` (computed on `parts`, the
    /// rows the pool was fitted on). Cuts without a compressed row are left
    /// out.
    pub fn add_thresholds(&mut self, parts: &[LivePart], comps: &[f64]) {
        let folds: Vec<&TickerFold> = parts.iter().map(|p| &p.fold).collect();
        for &c in comps {
            if self.thresholds_for(c).is_none()
                && let Some(t) = thresholds_at(&self.model, &folds, c)
            {
                self.thresholds_by_comp.push(t);
            }
        }
    }

    /// The thresholds of the compression cut `comp`: the pool's own, or one
    /// stored by [`V2Pool::add_thresholds`]; `None` for any other cut.
    pub fn thresholds_for(&self, comp: f64) -> Option<Thresholds> {
        self.model
            .thresholds
            .iter()
            .chain(&self.thresholds_by_comp)
            .find(|t| (t.comp_threshold - comp).abs() < 1e-12)
            .copied()
    }

    /// The entry threshold (80th percentile of compressed training P).
    pub fn entry(&self) -> f64 {
        self.model.thresholds.map_or(f64::NAN, |t| t.entry)
    }

    /// The watchlist floor (60th percentile of compressed training P).
    pub fn watch(&self) -> f64 {
        self.model.thresholds.map_or(f64::NAN, |t| t.watch)
    }

    /// Training rows pooled.
    pub fn n_rows(&self) -> usize {
        self.model.n_rows
    }

    /// Whether `ticker` was pooled.
    pub fn contains(&self, ticker: &str) -> bool {
        self.tickers.iter().any(|t| t == ticker)
    }

    /// Days since training, against `now`.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.trained_at).num_days()
    }

    /// The share (percent, 0..=100) of the compressed training setups whose
    /// P is at least `p`: "top 12% of setups". `None` for a non-finite P.
    pub fn setup_top_pct(&self, p: f64) -> Option<f64> {
        let q = &self.setup_quantiles;
        let (first, last) = (*q.first()?, *q.last()?);
        if !p.is_finite() {
            return None;
        }
        let cdf = if p < first {
            0.0
        } else if p >= last {
            1.0
        } else {
            // q[i-1] <= p < q[i]
            let i = q.partition_point(|x| *x <= p);
            let (a, b) = (q[i - 1], q[i]);
            let frac = if b > a { (p - a) / (b - a) } else { 0.0 };
            ((i - 1) as f64 + frac) / (q.len() - 1) as f64
        };
        Some(100.0 * (1.0 - cdf))
    }

    /// P(rally) of bars `>= from` of a ticker (NaN before and where a
    /// classic feature is missing), with its part. The HMM filter runs
    /// from the first bar (causal).
    pub fn score_from(&self, part: &V2TickerPart, inp: &V2Inputs<'_>, from: usize) -> Vec<f64> {
        let c = &inp.classic;
        let n = c.len();
        let from = from.min(n);
        let mut out = vec![f64::NAN; n];
        for (i, x) in feature_rows_in(c, &part.hmm, from..n).iter().enumerate() {
            let t = from + i;
            if !x.iter().all(|v| v.is_finite()) {
                continue;
            }
            let extras = inp.extras.row(t, c.frame.atr[t], c.close[t], part.sd_day);
            let mut row: V2Row = [f64::NAN; N_V2];
            row[..N_FEATURES].copy_from_slice(x);
            row[N_FEATURES..].copy_from_slice(&extras);
            out[t] = self.model.predict(&row);
        }
        out
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        artefact::encode(V2_FORMAT_VERSION, self)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<V2Pool, ArtefactError> {
        let p: V2Pool = artefact::decode(path, bytes, V2_FORMAT_VERSION)?;
        let why = if p.family != Family::V2 {
            Some("not a model v2 pool")
        } else if [&p.model.weights, &p.model.mean, &p.model.std]
            .iter()
            .any(|v| v.len() != N_V2)
        {
            Some("wrong number of features")
        } else if p.model.thresholds.is_none() {
            Some("no entry / watchlist thresholds")
        } else if p.setup_quantiles.len() != N_SETUP_QUANTILES
            || p.setup_quantiles.windows(2).any(|w| w[0] > w[1])
        {
            Some("damaged setup quantiles")
        } else if p.tickers.len() != p.rows_per_ticker.len() {
            Some("damaged ticker list")
        } else {
            None
        };
        match why {
            Some(w) => Err(artefact::corrupt(path, w)),
            None => Ok(p),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), ArtefactError> {
        let bytes = self.to_bytes().map_err(|d| artefact::corrupt(path, &d))?;
        artefact::write_atomic(path, &bytes)
    }

    pub fn load(path: &Path) -> Result<V2Pool, ArtefactError> {
        V2Pool::from_bytes(path, &artefact::read(path)?)
    }
}

impl V2TickerPart {
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        artefact::encode(V2_FORMAT_VERSION, self)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<V2TickerPart, ArtefactError> {
        let p: V2TickerPart = artefact::decode(path, bytes, V2_FORMAT_VERSION)?;
        if p.family != Family::V2 {
            return Err(artefact::corrupt(path, "not a model v2 ticker part"));
        }
        Ok(p)
    }

    pub fn save(&self, path: &Path) -> Result<(), ArtefactError> {
        let bytes = self.to_bytes().map_err(|d| artefact::corrupt(path, &d))?;
        artefact::write_atomic(path, &bytes)
    }

    pub fn load(path: &Path) -> Result<V2TickerPart, ArtefactError> {
        V2TickerPart::from_bytes(path, &artefact::read(path)?)
    }
}

#[cfg(test)]
#[path = "live_v2_tests.rs"]
mod tests;
