//! Where the system keeps its state, relative to a root (the working
//! directory, or `demo/` for `--demo`): `models/`, `data_cache/`, `logs/`,
//! `plots/`. `DATABASE_URL` overrides the database only.

use std::path::{Path, PathBuf};

/// The state directory layout.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    /// The working directory.
    pub fn cwd() -> StateDir {
        StateDir::new(".")
    }

    /// `demo/` under the working directory.
    pub fn demo() -> StateDir {
        StateDir::new("demo")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn models(&self) -> PathBuf {
        self.root.join("models")
    }

    pub fn cache(&self) -> PathBuf {
        self.root.join("data_cache")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn plots(&self) -> PathBuf {
        self.root.join("plots")
    }

    pub fn model_path(&self, ticker: &str) -> PathBuf {
        self.models()
            .join(format!("{}.msgpack", ticker.trim_start_matches('^')))
    }

    /// The database: `DATABASE_URL` when set (and `use_env`), else `models/rally.db`.
    pub fn database_url(&self, use_env: bool) -> String {
        if use_env
            && let Ok(url) = std::env::var("DATABASE_URL")
            && !url.trim().is_empty()
        {
            return url;
        }
        format!("sqlite://{}", self.models().join("rally.db").display())
    }

    /// Tickers that have a model file, sorted.
    pub fn model_tickers(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(self.models())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".msgpack")
                    .filter(|s| !s.starts_with('.'))
                    .map(str::to_owned)
            })
            .collect();
        out.sort();
        out
    }
}
