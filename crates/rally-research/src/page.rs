//! `--report FILE.html`: a research run as one self-contained page
//! (`rally-report`). The tables are the text report's own tables, cell for
//! cell, so the page, the terminal and the JSON cannot disagree; the
//! charts are drawn from the same portfolios.

use chrono::NaiveDate;
use rally_model::ReliabilityBin;
use rally_pipeline::report::Table as TextTable;
use rally_report::{
    ReliabilityBin as PageBin, ReliabilityCurve, Report, Section, Series, Table, Trade,
};
use rally_trade::Portfolio;

use crate::evaluate::Evaluation;
use crate::report::{comparison_table, optimize_table, winner};
use crate::sweep::Sweep;
use crate::worth::{compare, sweep_worth};

/// What the signal is, and is not (MODEL-V2.md "Trading").
const HONEST: &str = "P(rally) is a ranked, calibrated filter, not a proven strategy: measured \
    with these trading rules, no model variant beat entering every compressed bar, and every \
    strategy portfolio stayed far below equal-weight buy-and-hold of the same tickers. The \
    benchmark lines above are there so no figure is read without them.";

/// A text table (and the notes under it) as a page table, cell for cell.
pub fn page_table(t: &TextTable, notes: Vec<String>) -> Table {
    Table {
        title: t.title.trim().to_owned(),
        header: t.headers.clone(),
        rows: t.rows.clone(),
        notes,
    }
}

fn series(name: &str, p: &Portfolio) -> Series {
    Series::new(name, p.equity.iter().map(|x| (x.date, x.equity)).collect())
}

fn range(p: &Portfolio) -> Option<(NaiveDate, NaiveDate)> {
    Some((p.equity.first()?.date, p.equity.last()?.date))
}

/// The 10 fixed bins of every asset's reliability table, pooled: counts
/// add, mean P and observed rate are count-weighted.
fn pooled_bins<'a>(tables: impl Iterator<Item = &'a [ReliabilityBin]>) -> Vec<PageBin> {
    let mut acc: Vec<(u64, f64, f64)> = Vec::new();
    for t in tables {
        for (i, b) in t.iter().enumerate() {
            if acc.len() <= i {
                acc.resize(i + 1, (0, 0.0, 0.0));
            }
            if let (Some(p), Some(y)) = (b.mean_p, b.frac_pos) {
                let n = b.n as f64;
                acc[i].0 += b.n as u64;
                acc[i].1 += p * n;
                acc[i].2 += y * n;
            }
        }
    }
    bins(acc)
}

fn bins(acc: Vec<(u64, f64, f64)>) -> Vec<PageBin> {
    acc.into_iter()
        .filter(|a| a.0 > 0)
        .map(|(n, p, y)| PageBin {
            mean_p: p / n as f64,
            observed_rate: y / n as f64,
            n,
        })
        .collect()
}

fn family_bins(b: &[ReliabilityBin]) -> Vec<PageBin> {
    bins(
        b.iter()
            .filter_map(|x| Some((x.n as u64, x.mean_p? * x.n as f64, x.frac_pos? * x.n as f64)))
            .collect(),
    )
}

/// The sections of config `k` of a sweep: the benchmark table, equity (linear
/// and log), drawdown, rolling Sharpe, monthly returns, reliability, trades.
fn backtest_sections(s: &Sweep, k: usize, family: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let (t, notes) = comparison_table(&compare(s, k));
    out.push(Section::Table(page_table(&t, notes)));
    let strat = s.portfolio(k);
    let every = s.every_compressed_portfolio(k);
    let bh = s.buy_hold_portfolio();
    let lines: Vec<Series> = [
        ("strategy", &strat),
        ("every compressed bar", &every),
        ("buy & hold", &bh),
    ]
    .into_iter()
    .filter_map(|(n, p)| p.as_ref().map(|p| series(n, p)))
    .collect();
    out.push(Section::Equity {
        title: "Equity: strategy against its benchmarks".into(),
        series: lines.clone(),
    });
    out.push(Section::Drawdown {
        title: "Drawdown".into(),
        series: lines.clone(),
    });
    out.push(Section::RollingSharpe {
        title: "Rolling one-year Sharpe".into(),
        series: lines,
    });
    if let Some(p) = &strat {
        out.push(Section::MonthlyReturns {
            title: "Monthly returns of the strategy".into(),
            equity: series("strategy", p),
        });
    }
    let curve = pooled_bins(
        s.assets
            .iter()
            .filter_map(|a| a.detail.as_ref().map(|d| d.reliability.as_slice())),
    );
    if !curve.is_empty() {
        out.push(Section::Reliability {
            title: "P(rally) reliability, out of sample, all tickers".into(),
            curves: vec![ReliabilityCurve {
                model: family.to_owned(),
                bins: curve,
            }],
        });
    }
    let mut trades: Vec<Trade> = s
        .assets
        .iter()
        .filter_map(|a| Some((a, a.backtests.get(k)?.as_ref()?)))
        .flat_map(|(a, b)| {
            b.trades.iter().map(|t| Trade {
                ticker: a.ticker.clone(),
                signal_date: t.signal_date,
                entry_date: t.entry_date,
                entry_price: t.entry_fill,
                exit_date: Some(t.exit_date),
                exit_price: Some(t.exit_price),
                p: Some(t.p_rally),
                return_frac: t.ret,
                exit_reason: t.reason.to_string(),
                bars_held: t.bars_held,
            })
        })
        .collect();
    trades.sort_by(|a, b| (a.signal_date, &a.ticker).cmp(&(b.signal_date, &b.ticker)));
    out.push(Section::Trades {
        title: "Trades".into(),
        trades,
    });
    out
}

fn honest() -> Section {
    Section::Text {
        title: "What the signal is".into(),
        paragraphs: vec![HONEST.to_owned()],
    }
}

/// `retrainer backtest --report`: config `k` of the sweep.
pub fn backtest_page(
    s: &Sweep,
    k: usize,
    family: &str,
    generated_for: &str,
    mut parameters: Vec<(String, String)>,
) -> Report {
    if let Some(c) = s.configs.get(k) {
        parameters.push(("config".into(), c.name.clone()));
        parameters.push(("entry".into(), s.p_rule(k)));
        parameters.push(("compression >=".into(), format!("{:.2}", c.comp_threshold)));
        parameters.push(("max size".into(), rally_text::percent(c.max_size, 0)));
        parameters.push(("target".into(), format!("{} x ATR", c.profit_atr_mult)));
        parameters.push(("time stop".into(), format!("{} bars", c.time_stop_bars)));
    }
    parameters.push(("model".into(), family.to_owned()));
    parameters.push(("tickers".into(), s.assets.len().to_string()));
    let mut sections = backtest_sections(s, k, family);
    sections.push(honest());
    Report {
        title: format!(
            "Backtest — {}",
            s.configs.get(k).map_or("", |c| c.name.as_str())
        ),
        generated_for: generated_for.to_owned(),
        parameters,
        data_range: s.portfolio(k).as_ref().and_then(range),
        sections,
    }
}

/// `retrainer optimize --report`: the ranked trials with DSR and PBO, then
/// the winner's backtest sections.
pub fn optimize_page(
    s: &Sweep,
    family: &str,
    generated_for: &str,
    mut parameters: Vec<(String, String)>,
) -> Report {
    let w = sweep_worth(s);
    let (t, notes) = optimize_table(s, &w);
    parameters.push(("model".into(), family.to_owned()));
    parameters.push(("tickers".into(), s.assets.len().to_string()));
    parameters.push(("trials".into(), w.n_trials.to_string()));
    let mut sections = vec![Section::Table(page_table(&t, notes))];
    let k = winner(s, &w);
    if let Some(k) = k {
        sections.push(Section::Text {
            title: format!("The winner: {}", s.configs[k].name),
            paragraphs: vec![
                "Below, the best trial beside its benchmarks. Read it with its DSR and the PBO above: \
                 the best of many trials is flattered by the search."
                    .into(),
            ],
        });
        sections.extend(backtest_sections(s, k, family));
    }
    sections.push(honest());
    Report {
        title: "Optimisation".into(),
        generated_for: generated_for.to_owned(),
        parameters,
        data_range: k.and_then(|k| s.portfolio(k)).as_ref().and_then(range),
        sections,
    }
}

/// `retrainer evaluate --report`: the summary of each family and their
/// reliability diagrams on one chart.
pub fn evaluate_page(
    ev: &Evaluation,
    summary: Vec<(TextTable, Vec<String>)>,
    generated_for: &str,
    parameters: Vec<(String, String)>,
) -> Report {
    let mut sections: Vec<Section> = summary
        .iter()
        .map(|(t, n)| Section::Table(page_table(t, n.clone())))
        .collect();
    sections.push(Section::Reliability {
        title: "P(rally) reliability, out of sample, all tickers pooled".into(),
        curves: ev
            .families
            .iter()
            .map(|f| ReliabilityCurve {
                model: f.family.to_string(),
                bins: family_bins(&f.reliability),
            })
            .collect(),
    });
    sections.push(honest());
    Report {
        title: "How good is P(rally)?".into(),
        generated_for: generated_for.to_owned(),
        parameters,
        data_range: None,
        sections,
    }
}
