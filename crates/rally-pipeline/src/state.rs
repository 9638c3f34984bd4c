//! Where the system keeps its state, relative to a root (the working
//! directory, or `demo/` for `--demo`): `models/`, `data_cache/`, `logs/`,
//! `plots/`. `DATABASE_URL` overrides the database only.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A temporary file whose writer may still be alive is left alone this long.
const TEMP_GRACE: Duration = Duration::from_secs(3600);

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

    /// Model v2 artefacts: `models/v2/` (the pool and one part per ticker).
    pub fn v2_models(&self) -> PathBuf {
        self.models().join("v2")
    }

    /// The live v2 pool: `models/v2/pool.msgpack`.
    pub fn v2_pool_path(&self) -> PathBuf {
        self.v2_models().join("pool.msgpack")
    }

    /// A ticker's live v2 part: `models/v2/TICKER.msgpack`.
    pub fn v2_part_path(&self, ticker: &str) -> PathBuf {
        self.v2_models()
            .join(format!("{}.msgpack", ticker.trim_start_matches('^')))
    }

    /// Where the retrainer records the family it trained last:
    /// `models/family` (one word, `classic` or `v2`).
    pub fn family_path(&self) -> PathBuf {
        self.models().join("family")
    }

    /// The family the retrainer trained last (`None` when never recorded
    /// or unreadable).
    pub fn last_family(&self) -> Option<rally_model::Family> {
        std::fs::read_to_string(self.family_path())
            .ok()
            .and_then(|s| s.parse().ok())
    }

    /// Record the family trained last.
    pub fn record_family(&self, family: rally_model::Family) -> std::io::Result<()> {
        std::fs::create_dir_all(self.models())?;
        let tmp = self
            .models()
            .join(format!(".family.{}.tmp", std::process::id()));
        std::fs::write(&tmp, format!("{family}\n"))?;
        std::fs::rename(&tmp, self.family_path())
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
        tickers_in(&self.models())
    }

    /// Tickers that have a live v2 part, sorted.
    pub fn v2_part_tickers(&self) -> Vec<String> {
        let mut out = tickers_in(&self.v2_models());
        out.retain(|t| t != "pool");
        out
    }

    /// Removes temporary files that killed runs left behind in `models/`
    /// and `data_cache/`: `.<name>.<pid>.tmp` of a process that no longer
    /// exists (or older than an hour where that cannot be checked), and
    /// `.tmpXXXXXX` files older than an hour. Returns the files removed.
    pub fn remove_stale_temp_files(&self) -> Vec<PathBuf> {
        let mut removed = Vec::new();
        for dir in [self.models(), self.v2_models(), self.cache()] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let age = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .unwrap_or_default();
                if is_stale_temp(&name, age, process_alive)
                    && std::fs::remove_file(e.path()).is_ok()
                {
                    tracing::info!(file = %e.path().display(), "removed a temporary file left by a killed run");
                    removed.push(e.path());
                }
            }
        }
        removed
    }
}

/// Whether process `pid` exists: `Some` where `/proc` tells, else `None`.
fn process_alive(pid: u32) -> Option<bool> {
    Path::new("/proc/self")
        .exists()
        .then(|| Path::new(&format!("/proc/{pid}")).exists())
}

/// Names of the `*.msgpack` files of `dir` (no temporary files), sorted.
fn tickers_in(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
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

/// The rule of [`StateDir::remove_stale_temp_files`], pure for testing.
fn is_stale_temp(name: &str, age: Duration, alive: impl Fn(u32) -> Option<bool>) -> bool {
    if let Some(pid) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .and_then(|n| n.rsplit_once('.'))
        .and_then(|(_, pid)| pid.parse::<u32>().ok())
    {
        if pid == std::process::id() {
            return false;
        }
        return match alive(pid) {
            Some(alive) => !alive,
            None => age > TEMP_GRACE,
        };
    }
    // `tempfile`'s names: `.tmp` and six random characters.
    name.strip_prefix(".tmp")
        .is_some_and(|r| r.len() == 6 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        && age > TEMP_GRACE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temp_files_are_told_from_live_ones() {
        let dead = |_| Some(false);
        let live = |_| Some(true);
        let unknown = |_| None;
        let fresh = Duration::from_secs(5);
        let old = Duration::from_secs(7200);
        assert!(is_stale_temp(".SPY.msgpack.4194400.tmp", fresh, dead));
        assert!(!is_stale_temp(".SPY.msgpack.4194400.tmp", old, live));
        assert!(!is_stale_temp(".SPY.msgpack.4194400.tmp", fresh, unknown));
        assert!(is_stale_temp(".SPY.msgpack.4194400.tmp", old, unknown));
        let own = format!(".SPY.msgpack.{}.tmp", std::process::id());
        assert!(!is_stale_temp(&own, old, dead));
        assert!(is_stale_temp(".tmpAb12Cd", old, dead));
        assert!(!is_stale_temp(".tmpAb12Cd", fresh, dead));
        for keep in [
            "SPY.msgpack",
            "rally.db",
            "rally.db-wal",
            ".tmp",
            "notes.tmp",
            ".x.y.tmp",
        ] {
            assert!(!is_stale_temp(keep, old, dead), "{keep}");
        }
    }

    #[test]
    fn removes_only_what_killed_runs_left() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let state = StateDir::new(dir.path());
        std::fs::create_dir_all(state.models()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(state.cache()).unwrap_or_else(|e| panic!("{e}"));
        // A pid above Linux's pid_max cannot be alive.
        let stale = [
            state.models().join(".SPY.msgpack.4194400.tmp"),
            state.cache().join(".QQQ.msgpack.4194401.tmp"),
        ];
        let own = state
            .models()
            .join(format!(".AAPL.msgpack.{}.tmp", std::process::id()));
        let keep = [state.models().join("SPY.msgpack"), own.clone()];
        for f in stale.iter().chain(&keep) {
            std::fs::write(f, b"x").unwrap_or_else(|e| panic!("{e}"));
        }
        let mut removed = state.remove_stale_temp_files();
        removed.sort();
        let mut want = stale.to_vec();
        want.sort();
        if Path::new("/proc/self").exists() {
            assert_eq!(removed, want);
        }
        assert!(keep.iter().all(|f| f.exists()));
    }
}
