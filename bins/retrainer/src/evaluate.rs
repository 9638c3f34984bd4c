//! `retrainer evaluate`: the model families' walk-forward P compared on the
//! same out-of-sample rows; tables (or `--json`) on stdout, timing and the
//! chart's path on stderr.

use std::path::Path;

use anyhow::Result;
use rally_cli::{DataArgs, DataSetup, ModelFamily};
use rally_pipeline::state::StateDir;
use rally_research::evaluate::{Family, evaluate_source};

use crate::commands::research_tickers;

/// Runs the evaluation; exit code 1 when no ticker could be evaluated.
pub fn run(
    state: &StateDir,
    models: &[ModelFamily],
    json: bool,
    plot: Option<&Path>,
    report: Option<&Path>,
    data: &DataArgs,
) -> Result<i32> {
    let mut families: Vec<Family> = Vec::new();
    for f in models.iter().copied().map(Family::from) {
        if !families.contains(&f) {
            families.push(f);
        }
    }
    let setup = DataSetup::new(data, state)?;
    let tickers = research_tickers(data)?;
    // Thresholds of the v2 fits use the baseline cut; no figure here reads them.
    let comp = rally_trade::TradeConfig::baseline().comp_threshold;
    let t0 = std::time::Instant::now();
    let ev = evaluate_source(setup.source.as_ref(), &tickers, &families, comp)?;
    if json {
        println!("{}", ev.to_json()?);
    } else {
        print!("{}", rally_research::report::evaluate_text(&ev));
    }
    if let Some(path) = plot {
        if ev.tickers.is_empty() {
            eprintln!("no chart: no ticker was evaluated");
        } else {
            rally_research::plots::write_evaluation_plot(path, &ev)?;
            eprintln!("wrote {}", path.display());
        }
    }
    if let Some(path) = report {
        crate::pages::evaluate(path, &ev, data)?;
    }
    eprintln!(
        "evaluated {} ({} failed) in {:.2}s",
        rally_text::count(ev.tickers.len(), "ticker"),
        ev.failed.len(),
        t0.elapsed().as_secs_f64()
    );
    Ok(if ev.tickers.is_empty() { 1 } else { 0 })
}
