//! Text of what a result is worth: a strategy beside its benchmarks, and
//! an optimisation's trials with their deflated Sharpe and the sweep's
//! probability of backtest overfitting (figures from [`crate::worth`]).

use std::fmt::Write as _;

use rally_pipeline::report::{Align, Table, num, pct, spct};

use crate::sweep::Sweep;
use crate::worth::{Comparison, DSR_OK, LineFigures, SweepWorth, compare, sweep_worth};

fn line_cells(f: &LineFigures) -> Vec<String> {
    vec![
        f.name.clone(),
        f.trades.map_or_else(|| "-".to_owned(), |n| n.to_string()),
        spct(Some(f.series.total_return)),
        spct(f.series.cagr),
        num(f.series.sharpe, 2),
        num(f.series.sortino, 2),
        pct(Some(f.series.max_drawdown)),
        pct(f.series.exposure),
        num(f.psr_vs_zero, 3),
        num(f.psr_vs_buy_hold, 3),
        num(f.skewness, 2),
        num(f.kurtosis, 1),
    ]
}

/// The benchmark table of a comparison and the notes printed under it.
pub fn comparison_table(c: &Comparison) -> (Table, Vec<String>) {
    let mut t = Table::new(
        "Against the benchmarks (same sleeves, same dates)",
        &[
            "portfolio",
            "trades",
            "total",
            "CAGR",
            "Sharpe",
            "Sortino",
            "max DD",
            "exposure",
            "PSR>0",
            "PSR>B&H",
            "skew",
            "kurt",
        ],
    );
    t.align[0] = Align::Left;
    let lines = [&c.strategy, &c.every_compressed, &c.buy_hold];
    for f in lines.into_iter().flatten() {
        t.row(line_cells(f));
    }
    let mut notes = vec![
        "PSR>0 / PSR>B&H: probability that the true Sharpe exceeds 0 / buy-and-hold's, given the \
         sample's length, skew and kurtosis (Bailey & López de Prado 2012). \"every compressed bar\" \
         takes every entry the strategy could have taken, whatever P says: a P worth having beats it."
            .to_owned(),
    ];
    if let (Some(s), Some(b)) = (&c.strategy, &c.buy_hold)
        && let (Some(sc), Some(bc)) = (s.series.cagr, b.series.cagr)
    {
        notes.push(format!(
            "The strategy made {} a year against buy-and-hold's {} on the same tickers and dates.",
            spct(Some(sc)),
            spct(Some(bc))
        ));
    }
    (t, notes)
}

/// The strategy's portfolio beside buy-and-hold and "every compressed bar"
/// over the same sleeves and dates, with what it means.
pub fn comparison_text(c: &Comparison) -> String {
    let (t, notes) = comparison_table(c);
    let mut out = String::from("\n");
    out.push_str(&t.render());
    for n in notes {
        out.push_str(&n);
        out.push('\n');
    }
    out
}

/// The ranking table of an optimisation and the notes printed under it
/// (number of trials, DSR, PBO).
pub fn optimize_table(s: &Sweep, w: &SweepWorth) -> (Table, Vec<String>) {
    let mut t = Table::new(
        &format!(
            "Optimisation over {} assets, ranked by portfolio Sharpe",
            s.assets.len()
        ),
        &[
            "#", "config", "P>=", "comp>=", "trades", "total", "CAGR", "Sharpe", "Sortino",
            "max DD", "PSR>0", "DSR", "",
        ],
    );
    t.align[1] = Align::Left;
    t.align[12] = Align::Left;
    for (i, tr) in w.trials.iter().enumerate() {
        let f = &tr.figures;
        let weak = tr.dsr.is_none_or(|d| d < DSR_OK);
        t.row(vec![
            (i + 1).to_string(),
            tr.config.clone(),
            tr.p_threshold
                .map_or_else(|| "learned".to_owned(), |p| num(Some(p), 2)),
            num(Some(tr.comp_threshold), 2),
            f.trades.unwrap_or(0).to_string(),
            spct(Some(f.series.total_return)),
            spct(f.series.cagr),
            num(f.series.sharpe, 3),
            num(f.series.sortino, 3),
            pct(Some(f.series.max_drawdown)),
            num(f.psr_vs_zero, 3),
            num(tr.dsr, 3),
            if weak {
                "DSR<0.95".into()
            } else {
                String::new()
            },
        ]);
    }
    let mut notes = vec![format!(
        "{} trials. DSR: probability that a trial's true Sharpe exceeds the best Sharpe {} unskilled trials \
         would show by luck (Bailey & López de Prado 2014; expected best per-row Sharpe {}, variance across trials {}). \
         Trials marked DSR<0.95 are not distinguishable from luck.",
        w.n_trials,
        w.n_trials,
        num(w.expected_max_sharpe, 4),
        w.sharpe_variance
            .map_or_else(|| "-".to_owned(), |v| format!("{v:.3e}")),
    )];
    if let Some(p) = w.pbo {
        notes.push(format!(
            "Probability of backtest overfitting: {} (CSCV, {} blocks, {} splits): how often the in-sample \
             best trial ranks below the median out of sample (Bailey et al. 2015).",
            pct(Some(p)),
            w.pbo_blocks,
            w.pbo_combinations
        ));
    }
    notes.extend(w.notes.iter().cloned());
    notes.push(
        "Few trades behind a high Sharpe means the ranking is fragile: prefer configs that hold up with many trades."
            .to_owned(),
    );
    (t, notes)
}

/// The config index of the sweep's best trial.
pub fn winner(s: &Sweep, w: &SweepWorth) -> Option<usize> {
    let best = w.trials.first()?;
    s.configs.iter().position(|c| c.name == best.config)
}

/// `retrainer optimize`: every trial ranked by portfolio Sharpe, with its
/// trades and deflated Sharpe ratio, the number of trials and the
/// probability of backtest overfitting, then the winner beside its
/// benchmarks.
pub fn optimize_text(s: &Sweep) -> String {
    let w = sweep_worth(s);
    let (t, notes) = optimize_table(s, &w);
    let mut out = t.render();
    for n in notes {
        let _ = writeln!(out, "{n}");
    }
    if let Some(k) = winner(s, &w) {
        out.push_str(&comparison_text(&compare(s, k)));
    }
    out
}
