//! `--plot`: the research charts of a sweep written as PNGs into `plots/`,
//! and the reliability chart of `retrainer evaluate --plot PATH`.

use std::path::{Path, PathBuf};

use rally_model::ReliabilityBin;
use rally_plot::{
    ReliabilityPoint, ReliabilitySeries, equity_chart, price_chart, reliability_chart,
    reliability_compare_chart,
};

use rally_pipeline::PipelineError;

use crate::ResearchError;
use crate::sweep::Sweep;

fn plot_err(e: rally_plot::PlotError) -> ResearchError {
    ResearchError::Plot(e)
}

/// Charts for every asset of config `k` (when the sweep kept details) and
/// the portfolio. Returns the files written.
pub fn write_plots(dir: &Path, s: &Sweep, k: usize) -> Result<Vec<PathBuf>, ResearchError> {
    std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
    let cfg = &s.configs[k];
    let mut written = Vec::new();
    for a in &s.assets {
        let (Some(d), Some(Some(bt))) = (&a.detail, a.backtests.get(k)) else {
            continue;
        };
        let start = bt.start;
        let dates: Vec<_> = bt.equity.iter().map(|e| e.date).collect();
        let equity: Vec<f64> = bt.equity.iter().map(|e| e.equity).collect();
        let bh: Vec<f64> = d.series.close[start..]
            .iter()
            .map(|c| c / d.series.close[start] * bt.capital)
            .collect();
        let p = dir.join(format!("{}_{}_equity.png", a.ticker, cfg.name));
        equity_chart(
            &p,
            &format!("{} — {} vs buy & hold", a.ticker, cfg.name),
            &dates,
            &equity,
            &bh,
        )
        .map_err(plot_err)?;
        written.push(p);
        let p = dir.join(format!("{}_{}_price.png", a.ticker, cfg.name));
        price_chart(
            &p,
            &format!("{} — price, P(rally) and trades", a.ticker),
            &d.series.dates[start..],
            &d.series.close[start..],
            &d.p[start..],
            &bt.trades,
            cfg.p_threshold,
        )
        .map_err(plot_err)?;
        written.push(p);
        let bins = points(&d.reliability);
        let p = dir.join(format!("{}_reliability.png", a.ticker));
        reliability_chart(
            &p,
            &format!("{} — walk-forward calibration", a.ticker),
            &bins,
        )
        .map_err(plot_err)?;
        written.push(p);
    }
    if s.assets.len() > 1
        && let Some(port) = s.portfolio(k)
    {
        let dates: Vec<_> = port.equity.iter().map(|e| e.date).collect();
        let eq: Vec<f64> = port.equity.iter().map(|e| e.equity).collect();
        let p = dir.join(format!("portfolio_{}_equity.png", cfg.name));
        equity_chart(
            &p,
            &format!("Portfolio of {} sleeves — {}", port.sleeves, cfg.name),
            &dates,
            &eq,
            &[],
        )
        .map_err(plot_err)?;
        written.push(p);
    }
    Ok(written)
}

fn points(bins: &[ReliabilityBin]) -> Vec<ReliabilityPoint> {
    bins.iter()
        .map(|b| ReliabilityPoint {
            lo: b.lo,
            hi: b.hi,
            n: b.n,
            mean_p: b.mean_p,
            frac_pos: b.frac_pos,
        })
        .collect()
}

/// `retrainer evaluate --plot PATH`: every family's pooled reliability
/// table on one chart (the parent directory is created).
pub fn write_evaluation_plot(
    path: &Path,
    ev: &crate::evaluate::Evaluation,
) -> Result<(), ResearchError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
    }
    let bins: Vec<Vec<ReliabilityPoint>> =
        ev.families.iter().map(|f| points(&f.reliability)).collect();
    let series: Vec<ReliabilitySeries<'_>> = ev
        .families
        .iter()
        .zip(&bins)
        .map(|(f, b)| ReliabilitySeries {
            name: f.family.as_str(),
            bins: b,
        })
        .collect();
    let names: Vec<&str> = ev.families.iter().map(|f| f.family.as_str()).collect();
    reliability_compare_chart(
        path,
        &format!(
            "Walk-forward calibration of P(rally): {} ({} tickers, pooled)",
            names.join(" vs "),
            ev.tickers.len()
        ),
        &series,
    )
    .map_err(plot_err)
}
