//! Loading live models: the one place that tells a ready model from a
//! missing one and from a corrupt one (scan, health and retrain all ask).

use rally_model::Family;
use rally_model::live::{ArtefactError, LiveModel};
use rally_model::live_v2::{V2Pool, V2TickerPart};
use rayon::prelude::*;

use crate::state::StateDir;

/// A model younger than this many days is fresh: the retrainer skips it
/// without `--force`, and health calls an older one stale.
pub const SKIP_FRESH_DAYS: i64 = 7;

/// What a model file holds.
#[derive(Debug)]
pub enum Loaded<T> {
    Ready(Box<T>),
    /// No model file: never trained.
    Missing,
    /// A file that is not a usable model (damaged, another format version,
    /// unreadable), with the reason.
    Corrupt(String),
}

impl<T> Loaded<T> {
    /// The ready value mapped; missing and corrupt stay as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Loaded<U> {
        match self {
            Loaded::Ready(m) => Loaded::Ready(Box::new(f(*m))),
            Loaded::Missing => Loaded::Missing,
            Loaded::Corrupt(r) => Loaded::Corrupt(r),
        }
    }
}

/// What `models/TICKER.msgpack` holds.
pub type ModelLoad = Loaded<LiveModel>;
/// What `models/v2/pool.msgpack` holds.
pub type PoolLoad = Loaded<V2Pool>;
/// What `models/v2/TICKER.msgpack` holds.
pub type PartLoad = Loaded<V2TickerPart>;

fn loaded<T>(r: Result<T, ArtefactError>) -> Loaded<T> {
    match r {
        Ok(m) => Loaded::Ready(Box::new(m)),
        Err(ArtefactError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Loaded::Missing
        }
        Err(e) => Loaded::Corrupt(e.to_string()),
    }
}

/// The model of one ticker.
pub fn load_model(state: &StateDir, ticker: &str) -> ModelLoad {
    loaded(LiveModel::load(&state.model_path(ticker)))
}

/// The live v2 pool.
pub fn load_pool(state: &StateDir) -> PoolLoad {
    loaded(V2Pool::load(&state.v2_pool_path()))
}

/// A ticker's live v2 part.
pub fn load_part(state: &StateDir, ticker: &str) -> PartLoad {
    loaded(V2TickerPart::load(&state.v2_part_path(ticker)))
}

/// The family a command uses: the one asked for, else the one the
/// retrainer trained last, else classic.
pub fn resolve_family(state: &StateDir, asked: Option<Family>) -> Family {
    asked.or_else(|| state.last_family()).unwrap_or_default()
}

/// The models of `tickers`, in order (loaded in parallel).
pub fn load_models(state: &StateDir, tickers: &[String]) -> Vec<ModelLoad> {
    tickers.par_iter().map(|t| load_model(state, t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_corrupt_are_told_apart() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = StateDir::new(dir.path());
        assert!(matches!(load_model(&state, "SPY"), ModelLoad::Missing));
        std::fs::create_dir_all(state.models()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(state.model_path("SPY"), b"garbage").unwrap_or_else(|e| panic!("{e}"));
        match load_model(&state, "SPY") {
            ModelLoad::Corrupt(why) => assert!(why.contains("SPY.msgpack"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
