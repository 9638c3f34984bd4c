//! Opens a realistic report in headless Chromium: it must render to a
//! non-trivial screenshot, its DOM must hold every chart and table, and
//! the page must log nothing to the console (no script errors, no blocked
//! fetches).
//!
//! Chromium is found as `$RALLY_CHROMIUM`, else `chromium`,
//! `chromium-browser` or `google-chrome` on PATH; without one the test
//! prints one SKIP line and passes (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use rally_report::{Report, Section, Series};

const TIMEOUT: Duration = Duration::from_secs(120);

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RALLY_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Output of one Chromium run.
struct Run {
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs Chromium headless on `url` with `extra` flags, in a fresh profile
/// and HOME under `tmp` (so it works as root in CI and leaves nothing
/// behind), killing it after [`TIMEOUT`].
fn chromium(bin: &Path, tmp: &Path, tag: &str, extra: &[&str], url: &str) -> Run {
    let profile = tmp.join(format!("profile-{tag}"));
    let (out_path, err_path) = (
        tmp.join(format!("{tag}.stdout")),
        tmp.join(format!("{tag}.stderr")),
    );
    let start = Instant::now();
    let mut child = Command::new(bin)
        .env("HOME", tmp)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        // Files, not pipes: a chatty Chromium cannot block on a full pipe.
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("start chromium");
    loop {
        if let Some(status) = child.try_wait().expect("wait chromium") {
            assert!(status.success(), "chromium {tag} failed: {status}");
            break;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {tag} took more than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run {
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        took: start.elapsed(),
    }
}

/// The page's own console messages in Chromium's stderr log: lines like
/// `[..:INFO:CONSOLE:12] "Uncaught ReferenceError: ...", source: file://...`
/// (older builds: `CONSOLE(12)`). Chromium's own noise (dbus, gpu, sandbox
/// warnings) never carries the `CONSOLE` tag or a page's `Uncaught`.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// The demo report plus edge cases a real run can produce: a series with
/// gaps and a non-positive value (log scale leaves it out and says so),
/// and a chart with nothing to draw.
fn realistic_report() -> Report {
    let mut r = rally_report::demo::demo_report();
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    let ragged: Vec<(NaiveDate, f64)> = (0..300u32)
        .map(|i| {
            let v = match i {
                100..=104 => f64::NAN,
                200 => -5.0,
                _ => 100.0 + f64::from(i % 50),
            };
            (start + Days::new(u64::from(i)), v)
        })
        .collect();
    r.sections.push(Section::Equity {
        title: "Edge cases: gaps, a negative value, an empty series".into(),
        series: vec![Series::new("ragged", ragged), Series::new("empty", vec![])],
    });
    r.sections.push(Section::RollingSharpe {
        title: "Too short for a one-year window".into(),
        series: vec![Series::new(
            "short",
            vec![(start, 1.0), (start + Days::new(1), 1.1)],
        )],
    });
    r
}

/// Every `id` of an element with `tag` in `html`, in order.
fn ids_of(html: &str, tag: &str) -> Vec<String> {
    html.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|rest| {
            let open = rest.split('>').next()?;
            let id = open.split("id=\"").nth(1)?.split('"').next()?;
            Some(id.to_string())
        })
        .collect()
}

#[test]
fn report_opens_in_headless_chromium() {
    let Some(bin) = find_chromium() else {
        eprintln!("SKIP browser test: no chromium on PATH (.ci/run installs it)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let report_path = tmp.path().join("report.html");
    let report = realistic_report();
    rally_report::write(&report, &report_path).expect("write report");
    let html = std::fs::read_to_string(&report_path).expect("read report");
    let url = format!("file://{}", report_path.display());

    // (a) A screenshot of real content: a PNG of the asked size, far larger
    // than a blank page compresses to.
    let png_path = tmp.path().join("report.png");
    let shot = chromium(
        &bin,
        tmp.path(),
        "screenshot",
        &[
            &format!("--screenshot={}", png_path.display()),
            "--window-size=1280,2400",
        ],
        &url,
    );
    let png = std::fs::read(&png_path).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let dim = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!(
        (dim(16), dim(20)),
        (1280, 2400),
        "screenshot size from IHDR"
    );
    assert!(
        png.len() > 60_000,
        "screenshot only {} bytes: blank page?",
        png.len()
    );

    // (b) The DOM Chromium built holds every chart and table we wrote.
    let dom = chromium(&bin, tmp.path(), "dom", &["--dump-dom"], &url);
    let svg_ids = ids_of(&html, "svg");
    let table_ids = ids_of(&html, "table");
    assert_eq!(
        svg_ids.len(),
        8,
        "demo: 5 charts; edge cases: 2 equity + 1 Sharpe: {svg_ids:?}"
    );
    assert_eq!(dom.stdout.matches("<svg").count(), svg_ids.len());
    for id in svg_ids.iter().chain(&table_ids) {
        assert!(
            dom.stdout.contains(&format!("id=\"{id}\"")),
            "DOM lacks #{id}"
        );
    }
    for text in [
        "more not shown",
        "cannot be shown on a log scale",
        "no data to draw",
        "Monthly returns",
    ] {
        assert!(dom.stdout.contains(text), "DOM lacks {text:?}");
    }
    let trades_id = table_ids
        .iter()
        .find(|id| id.ends_with("-trades"))
        .expect("a trade table");
    let trade_rows = dom
        .stdout
        .split(&format!("id=\"{trades_id}\""))
        .nth(1)
        .map_or(0, |t| {
            t.split("</table>")
                .next()
                .map_or(0, |t| t.matches("<tr>").count())
        });
    assert_eq!(
        trade_rows,
        1 + rally_report::MAX_TRADE_ROWS,
        "header + capped rows"
    );

    // (c) No console output from the page. First prove the detector sees a
    // broken page's errors, so a change in Chromium's log format fails here
    // instead of passing silently.
    let bad = tmp.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><p>x</p><script>console.error('page-error'); nope();</script>",
    )
    .expect("write bad page");
    let logging = ["--enable-logging=stderr", "--v=0", "--dump-dom"];
    let control = chromium(
        &bin,
        tmp.path(),
        "control",
        &logging,
        &format!("file://{}", bad.display()),
    );
    let seen = console_lines(&control.stderr);
    assert!(
        seen.iter().any(|l| l.contains("page-error"))
            && seen.iter().any(|l| l.contains("Uncaught")),
        "console detector missed a broken page's errors; stderr:\n{}",
        control.stderr
    );
    let run = chromium(&bin, tmp.path(), "console", &logging, &url);
    let lines = console_lines(&run.stderr);
    assert!(
        lines.is_empty(),
        "page logged to the console:\n{}",
        lines.join("\n")
    );

    eprintln!(
        "browser test: report {} bytes, {} charts, {} tables; screenshot {} bytes in {:.1}s; dump-dom {:.1}s; console run {:.1}s",
        html.len(),
        svg_ids.len(),
        table_ids.len(),
        png.len(),
        shot.took.as_secs_f64(),
        dom.took.as_secs_f64(),
        run.took.as_secs_f64()
    );
}
