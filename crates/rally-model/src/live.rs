//! The live model artefact: what the retrainer saves and the scanner loads.
//!
//! Trained by the same [`train_window`] as every walk-forward fold, on the
//! rows dated after the same day five years before the last bar. Stored as
//! `RALLYMDL` + a little-endian `u32` format version + a MessagePack body,
//! written atomically; another version or a damaged file is a typed error,
//! never a half-read model.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rally_data::years_before;
use serde::{Deserialize, Serialize};

use crate::artefact;
use crate::error::ModelError;
use crate::metrics::ClassMetrics;
use crate::walkforward::{
    N_FEATURES, ScoringModel, TickerInputs, TrainedWindow, WindowInfo, feature_rows, train_window,
};

/// Bump when the artefact layout changes.
pub const MODEL_VERSION: u32 = 1;

/// A saved model and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveModel {
    pub version: u32,
    pub ticker: String,
    pub trained_at: DateTime<Utc>,
    /// First and last bar of the data it was trained from.
    pub data_start: NaiveDate,
    pub data_end: NaiveDate,
    pub n_bars: usize,
    /// First date of the training window (exclusive bound `D` + 1 bar).
    pub window_start: NaiveDate,
    pub scoring: ScoringModel,
    pub info: WindowInfo,
    /// Walk-forward metrics, when the retrainer computed them.
    pub walk_forward: Option<ClassMetrics>,
    pub library_version: String,
    /// Hash of the settings that shaped the model (see [`config_hash`]).
    pub config_hash: String,
}

/// Errors loading or saving an artefact.
#[derive(Debug, thiserror::Error)]
pub enum ArtefactError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: corrupt model file ({detail})", path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{}: model format version {found}, this build reads version {expected}; retrain", path.display())]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

/// A stable fingerprint of the method settings (FNV-1a over their text).
pub fn config_hash() -> String {
    let text = format!(
        "h={};train_years={};min_rows={};min_class={};C={};features={:?}",
        rally_features::FORWARD_HORIZON,
        crate::walkforward::TRAIN_YEARS,
        crate::walkforward::MIN_TRAIN_ROWS,
        crate::walkforward::MIN_CLASS_ROWS,
        crate::walkforward::LR_C,
        crate::walkforward::FEATURE_NAMES,
    );
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// Index of the first row of the live window: dates after the same day five
/// years before the last bar.
pub fn live_window_start(dates: &[NaiveDate]) -> usize {
    match dates.last() {
        Some(last) => {
            let d = years_before(*last, crate::walkforward::TRAIN_YEARS);
            dates.partition_point(|x| *x <= d)
        }
        None => 0,
    }
}

/// Train on the live window. The returned window also carries the HMM
/// features over the whole series and the labels under the live barriers.
pub fn train_live(inp: &TickerInputs<'_>) -> Result<TrainedWindow, ModelError> {
    let n = inp.len();
    if n < 2 {
        return Err(ModelError::EmptyInput("live window"));
    }
    let lo = live_window_start(inp.dates).min(n - 1);
    train_window(inp, lo, n - 1, n)
}

impl LiveModel {
    /// Wrap a trained live window; `None` when its training was skipped.
    pub fn from_window(
        ticker: &str,
        inp: &TickerInputs<'_>,
        w: &TrainedWindow,
        walk_forward: Option<ClassMetrics>,
        trained_at: DateTime<Utc>,
    ) -> Option<LiveModel> {
        let scoring = w.model.clone()?;
        let lo = live_window_start(inp.dates);
        Some(LiveModel {
            version: MODEL_VERSION,
            ticker: ticker.to_owned(),
            trained_at,
            data_start: *inp.dates.first()?,
            data_end: *inp.dates.last()?,
            n_bars: inp.len(),
            window_start: *inp.dates.get(lo)?,
            scoring,
            info: w.info.clone(),
            walk_forward,
            library_version: env!("CARGO_PKG_VERSION").to_owned(),
            config_hash: config_hash(),
        })
    }

    /// P(rally) for every bar of `inp` (NaN where a feature is missing).
    pub fn score(&self, inp: &TickerInputs<'_>) -> Vec<f64> {
        self.score_from(inp, 0)
    }

    /// P(rally) for bars `>= from` (NaN before). The HMM filter still runs
    /// from the first bar: it is causal and cheap.
    pub fn score_from(&self, inp: &TickerInputs<'_>, from: usize) -> Vec<f64> {
        feature_rows(inp, &self.scoring.hmm, inp.len())
            .iter()
            .enumerate()
            .map(|(t, x)| {
                if t >= from && x.iter().all(|v| v.is_finite()) {
                    self.scoring.predict(x)
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// Days since training, against `now`.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.trained_at).num_days()
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        artefact::encode(MODEL_VERSION, self)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<LiveModel, ArtefactError> {
        let m: LiveModel = artefact::decode(path, bytes, MODEL_VERSION)?;
        if m.scoring.weights.len() != N_FEATURES || m.scoring.mean.len() != N_FEATURES {
            return Err(artefact::corrupt(path, "wrong number of features"));
        }
        Ok(m)
    }

    /// Write atomically (temp file in the same directory, then rename).
    pub fn save(&self, path: &Path) -> Result<(), ArtefactError> {
        let bytes = self.to_bytes().map_err(|d| artefact::corrupt(path, &d))?;
        artefact::write_atomic(path, &bytes)
    }

    pub fn load(path: &Path) -> Result<LiveModel, ArtefactError> {
        LiveModel::from_bytes(path, &artefact::read(path)?)
    }
}
