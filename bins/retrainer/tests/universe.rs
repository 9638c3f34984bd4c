//! `retrainer universe refresh|show` and the default universe, through the
//! real binary against recorded source pages on 127.0.0.1: the refreshed
//! list is the union with its date, a changed or shrunken page fails
//! naming its URL and keeps the previous list byte for byte, and runs use
//! --universe-file > the refreshed list > the shipped list.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rally_testkit::Pages;

const SP: &str = "/wiki/List_of_S%26P_500_companies";
const N100: &str = "/wiki/Nasdaq-100";
const LISTED: &str = "/dynamic/SymDir/nasdaqlisted.txt";
const NOW: &str = "2026-08-21T21:30:00Z";

fn fixture(name: &str) -> String {
    let p = format!(
        "{}/../../crates/rally-data/tests/fixtures/listings/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The three sources as recorded.
fn sources() -> Pages {
    let pages = Pages::start().unwrap();
    pages.set(SP, "text/html; charset=UTF-8", &fixture("sp500.html"));
    pages.set(N100, "text/html; charset=UTF-8", &fixture("nasdaq100.html"));
    pages.set(LISTED, "text/plain", &fixture("nasdaqlisted.txt"));
    pages
}

fn retrainer(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_retrainer"));
    c.current_dir(cwd)
        .env_remove("RALLY_SOURCE")
        .env_remove("RALLY_NOW")
        .env_remove("RALLY_SP500_URL")
        .env_remove("RALLY_NASDAQ100_URL")
        .env_remove("RALLY_NASDAQ_LISTED_URL")
        .env_remove("RALLY_NASDAQ_MAX")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    c
}

/// `universe refresh` against `pages`, with the fixtures' sizes allowed
/// unless `min_sp500` says otherwise.
fn refresh(cwd: &Path, pages: &Pages, min_sp500: &str) -> Output {
    retrainer(cwd)
        .args(["universe", "refresh", "--now", NOW, "--nasdaq-max", "15"])
        .args(["--sp500-url", &pages.url(SP)])
        .args(["--nasdaq100-url", &pages.url(N100)])
        .args(["--nasdaq-listed-url", &pages.url(LISTED)])
        .args(["--min-sp500-rows", min_sp500])
        .args([
            "--min-nasdaq100-rows",
            "10",
            "--min-nasdaq-listed-rows",
            "10",
        ])
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn list_path(dir: &Path) -> PathBuf {
    dir.join("data_cache").join("universe.csv")
}

fn universe_show(dir: &Path, extra: &[&str]) -> String {
    let out = retrainer(dir)
        .args(["universe", "show"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    text(&out.stdout)
}

#[test]
fn refresh_writes_the_union_with_its_date_and_runs_use_it() {
    let pages = sources();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        universe_show(dir.path(), &[])
            .starts_with("shipped list fixtures/universe/us_large_caps.csv")
    );

    let out = refresh(dir.path(), &pages, "10");
    assert!(out.status.success(), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("24 tickers (13 S&P 500, 12 Nasdaq-100, 6 Nasdaq Global Select) written to ./data_cache/universe.csv, refreshed 2026-08-21T21:30:00Z; 13 with an S&P 500 \"Date added\""),
        "{stdout}"
    );
    assert_eq!(pages.hits(), [SP, N100, LISTED]);

    let csv = std::fs::read_to_string(list_path(dir.path())).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Symbol,Name,Lists,Date added,Refreshed");
    assert_eq!(lines.len(), 1 + 24, "{csv}");
    assert!(
        lines.contains(&"BRK-B,Berkshire Hathaway,S&P 500,2010-02-16,2026-08-21T21:30:00Z"),
        "{csv}"
    );
    assert!(
        lines.contains(&"AAPL,Apple Inc.,S&P 500; Nasdaq-100; Nasdaq Global Select,1982-11-30,2026-08-21T21:30:00Z"),
        "{csv}"
    );
    assert!(
        lines.contains(&"ASML,ASML Holding,Nasdaq-100; Nasdaq Global Select,,2026-08-21T21:30:00Z"),
        "{csv}"
    );
    let mut symbols: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    symbols.sort_unstable();
    symbols.dedup();
    assert_eq!(symbols.len(), 24, "each symbol once");
    assert!(!csv.contains("BRK.B") && !csv.contains("NTEST") && !csv.contains("AAPW"));

    // The refreshed list is now the default; --universe-file still wins.
    let shown = universe_show(dir.path(), &[]);
    assert_eq!(
        shown,
        "refreshed list ./data_cache/universe.csv (refreshed 2026-08-21 21:30 UTC): 24 tickers, 13 with a membership date\n"
    );
    std::fs::write(dir.path().join("mine.csv"), "Symbol\nSPY\nqqq\n").unwrap();
    let shown = universe_show(dir.path(), &["--universe-file", "mine.csv"]);
    assert_eq!(
        shown,
        "universe file mine.csv: 2 tickers, 0 with a membership date\n"
    );

    // A second refresh says what changed since the previous list.
    pages.set(
        LISTED,
        "text/plain",
        &fixture("nasdaqlisted.txt").replace("ACGL|", "ACGX|"),
    );
    let out = refresh(dir.path(), &pages, "10");
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("since the previous list: 1 added, 1 removed (ACGL)"),
        "{}",
        show(&out)
    );
}

#[test]
fn a_changed_or_shrunken_page_fails_naming_it_and_keeps_the_previous_list() {
    let pages = sources();
    let dir = tempfile::tempdir().unwrap();
    let url = pages.url(SP);

    // No previous list: nothing is written, runs keep the shipped list.
    pages.set(SP, "text/html", &fixture("sp500_layout_changed.html"));
    let out = refresh(dir.path(), &pages, "10");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(!list_path(dir.path()).exists());
    assert!(
        text(&out.stderr).contains("no list written; runs keep using the shipped list"),
        "{}",
        show(&out)
    );

    pages.set(SP, "text/html", &fixture("sp500.html"));
    let out = refresh(dir.path(), &pages, "10");
    assert!(out.status.success(), "{}", show(&out));
    let before = std::fs::read(list_path(dir.path())).unwrap();

    let no_id = fixture("sp500.html").replace("id=\"constituents\"", "id=\"components\"");
    let cases = [
        (
            fixture("sp500_layout_changed.html"),
            "10",
            format!(
                "{url}: the table id=\"constituents\" has no \"Symbol\" column (its header: Code | Security"
            ),
        ),
        (
            no_id,
            "10",
            format!("{url}: no table id=\"constituents\" on the page; the page layout changed"),
        ),
        // The recorded page has 13 rows; production wants at least 400.
        (
            fixture("sp500.html"),
            "400",
            format!(
                "{url}: only 13 S&P 500 rows (at least 400 expected); refusing to shrink the universe"
            ),
        ),
    ];
    for (page, min, why) in cases {
        pages.set(SP, "text/html", &page);
        let out = refresh(dir.path(), &pages, min);
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&why), "{why}\n{}", show(&out));
        assert!(
            stderr.contains("data_cache/universe.csv is kept as it was"),
            "{stderr}"
        );
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{stderr}"
        );
        assert_eq!(
            std::fs::read(list_path(dir.path())).unwrap(),
            before,
            "previous list unchanged"
        );
    }
    // A source that is down is the same kind of failure.
    let out = retrainer(dir.path())
        .args([
            "universe",
            "refresh",
            "--nasdaq100-url",
            &pages.url("/gone"),
        ])
        .args(["--sp500-url", &url, "--min-sp500-rows", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains(&format!("{}: HTTP 404", pages.url("/gone"))),
        "{}",
        show(&out)
    );
    assert_eq!(std::fs::read(list_path(dir.path())).unwrap(), before);
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("data_cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["universe.csv"]);
}

#[test]
fn backtest_universe_uses_the_refreshed_list_and_member_since_cuts_history() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data_cache")).unwrap();
    std::fs::write(
        list_path(dir.path()),
        "Symbol,Name,Lists,Date added,Refreshed\n\
         SPY,SPDR,S&P 500,2016-01-04,2026-08-20T06:00:00Z\n\
         QQQ,Invesco,Nasdaq-100,,2026-08-20T06:00:00Z\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = retrainer(dir.path())
            .args(["backtest", "--json", "--config", "aggressive"])
            .args(["--source", "synthetic:42", "--universe"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", show(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (doc, text(&out.stderr))
    };
    let metrics = |doc: &serde_json::Value, t: &str| {
        doc["configs"][0]["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["ticker"] == t)
            .unwrap_or_else(|| panic!("{t} in {doc}"))["metrics"]
            .clone()
    };
    let (whole, stderr) = run(&[]);
    assert!(
        stderr.contains("universe: refreshed list ./data_cache/universe.csv (refreshed 2026-08-20 06:00 UTC): 2 tickers"),
        "{stderr}"
    );
    let (member, stderr) = run(&["--member-since"]);
    assert!(
        stderr.contains("member since: 1 of 2 trade only from the date they joined the S&P 500; 1 without a known date keep their whole history"),
        "{stderr}"
    );
    assert_ne!(
        metrics(&member, "SPY"),
        metrics(&whole, "SPY"),
        "SPY loses its years before 2016"
    );
    assert_eq!(
        metrics(&member, "QQQ"),
        metrics(&whole, "QQQ"),
        "QQQ has no date"
    );

    // --universe FILE wins over the refreshed list; the shipped-style file has no dates.
    std::fs::write(dir.path().join("two.csv"), "Symbol\nXLE\n").unwrap();
    let (_, stderr) = run(&["two.csv", "--member-since"]);
    assert!(
        stderr.contains("universe: universe file two.csv: 1 ticker"),
        "{stderr}"
    );
    assert!(
        stderr.contains("gives no membership dates; every ticker keeps its whole history"),
        "{stderr}"
    );

    // --member-since means nothing without --universe.
    let out = retrainer(dir.path())
        .args(["backtest", "--asset", "SPY", "--member-since"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}
