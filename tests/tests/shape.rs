//! The workspace's shape, checked on its files so it cannot drift back:
//! every dependency a crate declares is used by it and every workspace
//! dependency by some crate; no non-test source file is over 600 lines;
//! each binary's `main.rs` only dispatches (≤ 150 lines); the numeric
//! crates' normal dependencies reach neither an async runtime nor an HTTP
//! client.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Dependencies declared only so that another crate gets a feature:
/// argmin needs `argmin-math` with its ndarray backend (set in the
/// workspace manifest) but the code names only argmin's own types.
const FEATURE_ONLY: &[(&str, &str)] = &[("rally-model", "argmin-math")];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Member package directories (`crates/*`, `bins/*`, `tests`).
fn members() -> Vec<PathBuf> {
    let mut out = vec![root().join("tests")];
    for group in ["crates", "bins"] {
        for e in std::fs::read_dir(root().join(group)).unwrap().flatten() {
            if e.path().join("Cargo.toml").exists() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// One `[section]` of a Cargo.toml: dependency name -> its line.
fn section(toml: &str, name: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{name}]");
            continue;
        }
        if inside
            && !t.is_empty()
            && !t.starts_with('#')
            && let Some((k, _)) = t.split_once('=')
        {
            let k = k.trim().split('.').next().unwrap_or("").trim().to_owned();
            out.insert(k, t.to_owned());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn text_of(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_declared_dependency_is_used() {
    let mut unused = Vec::new();
    let mut used_anywhere = BTreeSet::new();
    for dir in members() {
        let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for (sect, dirs) in [
            ("dependencies", vec!["src"]),
            (
                "dev-dependencies",
                vec!["src", "tests", "benches", "examples"],
            ),
        ] {
            let mut files = Vec::new();
            for d in dirs {
                rust_files(&dir.join(d), &mut files);
            }
            let code = text_of(&files);
            for (dep, line) in section(&toml, sect) {
                used_anywhere.insert(dep.clone());
                // Declared to switch a feature on (the binaries' Yahoo
                // client, argmin's ndarray backend): used by the build.
                let krate = dir
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                if line.contains("features = [")
                    || FEATURE_ONLY.contains(&(krate.as_str(), dep.as_str()))
                {
                    continue;
                }
                // A dev-dependency repeated to enable a feature for tests
                // (the scanner's fault injection) is used by the build.
                if sect == "dev-dependencies" && section(&toml, "dependencies").contains_key(&dep) {
                    continue;
                }
                let ident = dep.replace('-', "_");
                let used = [
                    format!("{ident}::"),
                    format!("use {ident}"),
                    format!("{ident} as "),
                ]
                .iter()
                .any(|p| code.contains(p.as_str()));
                if !used {
                    unused.push(format!("{}: [{sect}] {dep}", dir.display()));
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "declared and unused:\n{}",
        unused.join("\n")
    );

    let ws = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let idle: Vec<String> = section(&ws, "workspace.dependencies")
        .into_keys()
        .filter(|d| !used_anywhere.contains(d))
        .collect();
    assert!(
        idle.is_empty(),
        "workspace dependencies no crate uses: {idle:?}"
    );
}

/// Lines of a file before its first `#[cfg(test)]` (the unit tests).
fn non_test_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

#[test]
fn no_source_file_is_oversized_and_binaries_only_dispatch() {
    let mut big = Vec::new();
    for dir in members() {
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // A file that is a test module of its crate (`mod tests;`).
            if f.file_name()
                .is_some_and(|n| n == "tests.rs" || n == "test_data.rs")
            {
                continue;
            }
            let n = non_test_lines(&text);
            let limit = if f.ends_with("src/main.rs") { 150 } else { 600 };
            if n > limit {
                big.push(format!("{}: {n} lines (limit {limit})", f.display()));
            }
        }
    }
    assert!(big.is_empty(), "{}", big.join("\n"));
}

/// Normal dependencies of a workspace crate, following path dependencies
/// (optional ones only when the depending crate enables their feature).
fn closure(name: &str, features: &[String], seen: &mut BTreeSet<String>) {
    let dir = members()
        .into_iter()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .unwrap()
                .contains(&format!("name = \"{name}\""))
        })
        .unwrap_or_else(|| panic!("no member {name}"));
    let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let feature_deps: Vec<String> = section(&toml, "features")
        .into_iter()
        .filter(|(f, _)| features.contains(f))
        .flat_map(|(_, line)| {
            line.split('"')
                .filter_map(|p| p.strip_prefix("dep:").map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    for (dep, line) in section(&toml, "dependencies") {
        if line.contains("optional = true") && !feature_deps.contains(&dep) {
            continue;
        }
        if !seen.insert(dep.clone()) {
            continue;
        }
        if dep.starts_with("rally-") {
            let feats: Vec<String> = line
                .split("features = [")
                .nth(1)
                .map(|r| {
                    r.split(']')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|f| f.trim().trim_matches('"').to_owned())
                        .filter(|f| !f.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            closure(&dep, &feats, seen);
        }
    }
}

#[test]
fn numeric_crates_link_no_async_runtime_or_http_client() {
    for krate in ["rally-features", "rally-hmm", "rally-model", "rally-trade"] {
        let mut seen = BTreeSet::new();
        closure(krate, &[], &mut seen);
        let bad: Vec<&String> = seen
            .iter()
            .filter(|d| ["tokio", "reqwest", "hyper", "sqlx"].contains(&d.as_str()))
            .collect();
        assert!(bad.is_empty(), "{krate} reaches {bad:?} (via {seen:?})");
    }
    // And the check sees through path dependencies at all.
    let mut seen = BTreeSet::new();
    closure("rally-pipeline", &[], &mut seen);
    assert!(
        seen.contains("tokio") && seen.contains("rally-data"),
        "{seen:?}"
    );
}
