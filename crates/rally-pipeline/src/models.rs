//! Loading live models: the one place that tells a ready model from a
//! missing one and from a corrupt one (scan, health and retrain all ask).

use rally_model::live::{ArtefactError, LiveModel};
use rayon::prelude::*;

use crate::state::StateDir;

/// A model younger than this many days is fresh: the retrainer skips it
/// without `--force`, and health calls an older one stale.
pub const SKIP_FRESH_DAYS: i64 = 7;

/// What `models/TICKER.msgpack` holds.
#[derive(Debug)]
pub enum ModelLoad {
    Ready(Box<LiveModel>),
    /// No model file: the ticker was never trained.
    Missing,
    /// A file that is not a usable model (damaged, another format version,
    /// unreadable), with the reason.
    Corrupt(String),
}

/// The model of one ticker.
pub fn load_model(state: &StateDir, ticker: &str) -> ModelLoad {
    match LiveModel::load(&state.model_path(ticker)) {
        Ok(m) => ModelLoad::Ready(Box::new(m)),
        Err(ArtefactError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            ModelLoad::Missing
        }
        Err(e) => ModelLoad::Corrupt(e.to_string()),
    }
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
