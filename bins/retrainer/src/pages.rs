//! `--report FILE.html` of the research commands: build the page from the
//! run (rally-research's `page`) and write it, saying where.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rally_cli::DataArgs;
use rally_research::evaluate::Evaluation;
use rally_research::page;
use rally_research::sweep::Sweep;

/// The command line as the user typed it (the page says what made it).
fn invocation() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("retrainer {}", args.join(" "))
}

fn parameters(data: &DataArgs) -> Vec<(String, String)> {
    vec![("source".to_owned(), data.source.clone())]
}

fn write(report: &rally_report::Report, path: &Path) -> Result<()> {
    rally_report::write(report, path).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// `FILE.html` for one config; `FILE-<config>.html` each for several.
fn page_path(path: &Path, s: &Sweep, k: usize) -> PathBuf {
    if s.configs.len() == 1 {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |x| x.to_string_lossy().into_owned());
    let name: String = s.configs[k]
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    path.with_file_name(format!("{stem}-{name}.html"))
}

/// One page per config of a backtest.
pub fn backtest(path: &Path, s: &Sweep, family: &str, data: &DataArgs) -> Result<()> {
    for k in 0..s.configs.len() {
        let r = page::backtest_page(s, k, family, &invocation(), parameters(data));
        write(&r, &page_path(path, s, k))?;
    }
    Ok(())
}

/// The optimisation page.
pub fn optimize(path: &Path, s: &Sweep, family: &str, data: &DataArgs) -> Result<()> {
    write(
        &page::optimize_page(s, family, &invocation(), parameters(data)),
        path,
    )
}

/// The evaluation page.
pub fn evaluate(path: &Path, ev: &Evaluation, data: &DataArgs) -> Result<()> {
    let tables = rally_research::report::evaluate_tables(ev);
    let mut params = parameters(data);
    params.push(("tickers".to_owned(), ev.tickers.len().to_string()));
    write(
        &page::evaluate_page(ev, tables, &invocation(), params),
        path,
    )
}
