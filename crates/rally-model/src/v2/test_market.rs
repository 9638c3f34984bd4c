//! Test fixture: one synthetic ticker with everything model v2 reads
//! (bars, classic features, HMM observations, extras), owned.
#![allow(clippy::unwrap_used)]

use rally_data::{Source, SyntheticSource, align_asof};
use rally_features::{ExtraFeatures, FeatureFrame};

use super::V2Inputs;
use crate::walkforward::TickerInputs;

pub(crate) struct Owned {
    pub(crate) s: rally_data::Series,
    frame: FeatureFrame,
    obs: Vec<[f64; 2]>,
    extras: ExtraFeatures,
}

/// `ticker` of the 9-year synthetic market with seed 7.
pub(crate) fn owned(ticker: &str) -> Owned {
    let src = SyntheticSource::with_range(7, 9, rally_data::synthetic::default_end());
    let s = src.load(ticker).unwrap().series;
    let vix = src.load_vix().unwrap().series;
    let v = align_asof(&s.dates, &vix.dates, &vix.close);
    let frame = FeatureFrame::compute(&s.high, &s.low, &s.close, &s.volume, &v);
    let obs = rally_hmm::observations(&s.high, &s.low, &s.close);
    let extras = ExtraFeatures::compute(
        &s.high,
        &s.low,
        &s.close,
        &frame.log_return,
        &frame.atr,
        &frame.rv,
    );
    Owned {
        s,
        frame,
        obs,
        extras,
    }
}

impl Owned {
    pub(crate) fn inputs(&self) -> V2Inputs<'_> {
        V2Inputs {
            classic: TickerInputs {
                dates: &self.s.dates,
                high: &self.s.high,
                low: &self.s.low,
                close: &self.s.close,
                frame: &self.frame,
                obs: &self.obs,
            },
            extras: &self.extras,
        }
    }
}
