//! Test support for the parity suites: where the golden reference outputs and
//! the market data live, and a small reader for their CSV/JSON files.
//!
//! This crate is a dev-dependency only. It knows the *layout* of
//! `../shared/golden/README.md`, nothing about how the numbers are computed.
//! Panicking is the right failure mode here: it is only ever called from tests.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn dir_from_env(var: &str, default_rel: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(v) => PathBuf::from(v),
        None => workspace_root().join(default_rel),
    }
}

/// `$RALLY_GOLDEN_DIR` (default `../shared/golden`), or `None` with a clear
/// skip line on stderr when the folder is absent.
pub fn golden_dir(test: &str) -> Option<PathBuf> {
    let d = dir_from_env("RALLY_GOLDEN_DIR", "../shared/golden");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIP {test}: golden folder {} is absent (set RALLY_GOLDEN_DIR to run the parity test)",
            d.display()
        );
        None
    }
}

/// The shared market data: `$RALLY_SHARED_DATA` (the shared `data/` folder
/// or its `market/`), else `$RALLY_DATA_DIR`, else `../shared/data/market`;
/// `None` with a skip line when the folder is absent.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let d = match std::env::var_os("RALLY_SHARED_DATA").map(PathBuf::from) {
        Some(d) if d.join("market").is_dir() => d.join("market"),
        Some(d) => d,
        None => dir_from_env("RALLY_DATA_DIR", "../shared/data/market"),
    };
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIP {test}: market data folder {} is absent (set RALLY_SHARED_DATA or RALLY_DATA_DIR to run it)",
            d.display()
        );
        None
    }
}

/// `$RALLY_GOLDEN_V2_DIR` (default `../shared/golden-v2`, the model-v2
/// reference), or `None` with a skip line.
pub fn golden_v2_dir(test: &str) -> Option<PathBuf> {
    let d = dir_from_env("RALLY_GOLDEN_V2_DIR", "../shared/golden-v2");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIP {test}: golden-v2 folder {} is absent (set RALLY_GOLDEN_V2_DIR to run it)",
            d.display()
        );
        None
    }
}

/// `$RALLY_SPEC_DIR` (default `../shared/spec`: METHOD.md, MODEL-V2.md and
/// their reference tables), or `None` with a skip line.
pub fn spec_dir(test: &str) -> Option<PathBuf> {
    let d = dir_from_env("RALLY_SPEC_DIR", "../shared/spec");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!(
            "SKIP {test}: spec folder {} is absent (set RALLY_SPEC_DIR to run it)",
            d.display()
        );
        None
    }
}

/// Tickers that have a `features.csv` in the golden folder, sorted.
pub fn tickers(golden: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(golden)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("features.csv").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// A CSV file held as strings, addressed by column name.
#[derive(Debug, Clone)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    index: HashMap<String, usize>,
}

impl Table {
    pub fn read(path: &Path) -> Table {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let index = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        Table {
            header,
            rows,
            index,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn idx(&self, name: &str) -> usize {
        *self
            .index
            .get(name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// A column as strings.
    pub fn str_col(&self, name: &str) -> Vec<String> {
        let i = self.idx(name);
        self.rows.iter().map(|r| r[i].clone()).collect()
    }

    /// A numeric column; empty fields are NaN.
    pub fn f64_col(&self, name: &str) -> Vec<f64> {
        let i = self.idx(name);
        self.rows
            .iter()
            .map(|r| {
                if r[i].is_empty() {
                    f64::NAN
                } else {
                    r[i].parse::<f64>()
                        .unwrap_or_else(|e| panic!("{name}: {:?}: {e}", r[i]))
                }
            })
            .collect()
    }
}

/// Read a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&s).unwrap()
}

/// JSON array of numbers (nulls as NaN).
pub fn json_f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// `|a-b| / max(1,|b|)`, with NaN == NaN counting as equal and a NaN on one
/// side only as infinitely far.
pub fn rel_diff(a: f64, b: f64) -> f64 {
    if a.is_nan() && b.is_nan() {
        0.0
    } else if a.is_nan() || b.is_nan() {
        f64::INFINITY
    } else {
        (a - b).abs() / b.abs().max(1.0)
    }
}

/// Absolute difference with the same NaN convention as [`rel_diff`].
pub fn abs_diff(a: f64, b: f64) -> f64 {
    if a.is_nan() && b.is_nan() {
        0.0
    } else if a.is_nan() || b.is_nan() {
        f64::INFINITY
    } else {
        (a - b).abs()
    }
}
