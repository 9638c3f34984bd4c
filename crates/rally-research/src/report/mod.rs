//! The research commands' text reports: `retrainer backtest`, `optimize`
//! and `validate`. Pure functions from results to `String`, built on the
//! application's [`Table`].

use std::fmt::Write as _;

use rally_pipeline::report::{Table, failures_text, num, pct, spct};

use crate::sweep::Sweep;

mod worth;
pub use worth::{comparison_table, comparison_text, optimize_table, optimize_text, winner};

/// `retrainer backtest`: per-asset rows, the portfolio line, summary metrics
/// and the exit-reason table for config `k` of a sweep.
pub fn backtest_text(s: &Sweep, k: usize) -> String {
    use std::collections::BTreeMap;
    let cfg = &s.configs[k];
    let mut out = String::new();
    let mut t = Table::new(
        &format!(
            "Backtest — config {} ({}, compression >= {:.2}, max size {:.0}%, target {}xATR, time stop {})",
            cfg.name,
            s.p_rule(k),
            cfg.comp_threshold,
            cfg.max_size * 100.0,
            cfg.profit_atr_mult,
            cfg.time_stop_bars
        ),
        &[
            "asset", "trades", "win%", "avg ret", "total", "CAGR", "Sharpe", "Sortino", "max DD",
            "exposure", "buy&hold", "AUC",
        ],
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let (mut n_trades, mut wins, mut sum_ret, mut bars_held) = (0usize, 0usize, 0.0, 0u64);
    for a in &s.assets {
        let auc = a.wf.as_ref().and_then(|m| m.auc);
        match a.backtests.get(k).and_then(Option::as_ref) {
            Some(bt) => {
                let m = match bt.metrics() {
                    Ok(m) => m,
                    Err(e) => {
                        t.row(vec![a.ticker.clone(), format!("error: {e}")]);
                        continue;
                    }
                };
                for (r, c) in &m.exit_reasons {
                    *reasons.entry(r.clone()).or_default() += c;
                }
                n_trades += m.trades;
                for tr in &bt.trades {
                    wins += usize::from(tr.ret > 0.0);
                    sum_ret += tr.ret;
                    bars_held += u64::from(tr.bars_held);
                }
                t.row(vec![
                    a.ticker.clone(),
                    m.trades.to_string(),
                    pct(m.win_rate),
                    spct(m.avg_return),
                    spct(Some(m.total_return)),
                    spct(m.cagr),
                    num(m.sharpe, 2),
                    num(m.sortino, 2),
                    pct(Some(m.max_drawdown)),
                    pct(m.exposure),
                    spct(Some(m.buy_hold_return)),
                    num(auc, 3),
                ]);
            }
            None => t.row(vec![
                a.ticker.clone(),
                "0".into(),
                "no out-of-sample P".into(),
            ]),
        }
    }
    if let Some(p) = s.portfolio(k)
        && let Ok(m) = p.metrics()
    {
        t.row(vec![
            format!("PORTFOLIO ({} sleeves)", p.sleeves),
            n_trades.to_string(),
            pct((n_trades > 0).then(|| wins as f64 / n_trades as f64)),
            spct((n_trades > 0).then(|| sum_ret / n_trades as f64)),
            spct(Some(m.total_return)),
            spct(m.cagr),
            num(m.sharpe, 2),
            num(m.sortino, 2),
            pct(Some(m.max_drawdown)),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    out.push_str(&t.render());
    out.push_str(&comparison_text(&crate::worth::compare(s, k)));
    let mut r = Table::new("\nExit reasons", &["reason", "trades", "share"]);
    for (reason, c) in &reasons {
        r.row(vec![
            reason.clone(),
            c.to_string(),
            pct((n_trades > 0).then(|| *c as f64 / n_trades as f64)),
        ]);
    }
    out.push_str(&r.render());
    let _ = writeln!(
        out,
        "\n{} assets, {} trades, avg bars held {}{}",
        s.assets.len(),
        n_trades,
        num(
            (n_trades > 0).then(|| bars_held as f64 / n_trades as f64),
            1
        ),
        if s.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", s.failed.len())
        }
    );
    out.push_str(&failures_text(&s.failed));
    out
}

/// `retrainer --validate`: auto-calibrated vs hand-tuned barriers.
pub fn validate_text(auto: &Sweep, hand: &Sweep) -> String {
    let mut t = Table::new(
        "Barrier validation — auto-calibrated (METHOD §5) vs hand-tuned (r_up 5%, d_dn 3%), baseline config",
        &[
            "asset",
            "AUC auto",
            "AUC hand",
            "Brier auto",
            "Brier hand",
            "Sharpe auto",
            "Sharpe hand",
            "trades auto",
            "trades hand",
        ],
    );
    let sharpe = |s: &Sweep, i: usize| {
        s.assets
            .get(i)
            .and_then(|a| a.backtests.first()?.as_ref()?.metrics().ok()?.sharpe)
    };
    let trades = |s: &Sweep, i: usize| {
        s.assets
            .get(i)
            .and_then(|a| a.backtests.first()?.as_ref())
            .map_or(0, |b| b.trades.len())
    };
    // Every ticker of either run gets a row; a side that failed says so
    // (its reason is listed under the table) instead of the row vanishing.
    let mut tickers: Vec<&str> = auto
        .assets
        .iter()
        .map(|a| a.ticker.as_str())
        .chain(hand.assets.iter().map(|a| a.ticker.as_str()))
        .chain(auto.failed.iter().map(|f| f.0.as_str()))
        .chain(hand.failed.iter().map(|f| f.0.as_str()))
        .collect();
    tickers.sort_unstable();
    tickers.dedup();
    for ticker in tickers {
        let i = auto.assets.iter().position(|a| a.ticker == ticker);
        let j = hand.assets.iter().position(|a| a.ticker == ticker);
        let cell = |k: Option<usize>, f: &dyn Fn(usize) -> String| {
            k.map_or_else(|| "FAILED".to_owned(), f)
        };
        let auc = |s: &Sweep, k: usize| num(s.assets[k].wf.as_ref().and_then(|m| m.auc), 3);
        let brier = |s: &Sweep, k: usize| num(s.assets[k].wf.as_ref().and_then(|m| m.brier), 4);
        t.row(vec![
            ticker.to_owned(),
            cell(i, &|k| auc(auto, k)),
            cell(j, &|k| auc(hand, k)),
            cell(i, &|k| brier(auto, k)),
            cell(j, &|k| brier(hand, k)),
            cell(i, &|k| num(sharpe(auto, k), 2)),
            cell(j, &|k| num(sharpe(hand, k), 2)),
            cell(i, &|k| trades(auto, k).to_string()),
            cell(j, &|k| trades(hand, k).to_string()),
        ]);
    }
    let ps = |s: &Sweep| s.portfolio(0).and_then(|p| p.metrics().ok()?.sharpe);
    t.row(vec![
        "PORTFOLIO".into(),
        "-".into(),
        "-".into(),
        "-".into(),
        "-".into(),
        num(ps(auto), 2),
        num(ps(hand), 2),
        "-".into(),
        "-".into(),
    ]);
    let mut out = t.render();
    for (label, s) in [("auto", auto), ("hand", hand)] {
        for (ticker, why) in &s.failed {
            let _ = writeln!(out, "  {ticker} ({label}) failed: {why}");
        }
    }
    out.push_str("\nAuto-calibrated barriers:");
    out.push_str(&comparison_text(&crate::worth::compare(auto, 0)));
    out
}

/// Signed number with `d` decimals (`+0.024`); `-` when missing.
fn snum(x: Option<f64>, d: usize) -> String {
    match x.filter(|v| v.is_finite()) {
        Some(v) => format!("{v:+.d$}"),
        None => "-".into(),
    }
}

/// The figures of one row of an evaluation table.
fn eval_cells(label: String, m: &rally_model::EvalMetrics) -> Vec<String> {
    vec![
        label,
        m.n.to_string(),
        num(m.auc, 3),
        num(m.brier, 4),
        snum(m.brier_skill, 3),
        num(m.log_loss, 4),
        num(m.ece, 3),
        pct(m.p_extreme_share),
    ]
}

/// `retrainer evaluate`: one table per family (per ticker, the median and
/// the pooled row), the side-by-side summary, the pooled reliability table
/// and what the figures mean.
pub fn evaluate_text(ev: &crate::evaluate::Evaluation) -> String {
    let mut out = String::new();
    let rows = ev.families.first().map_or(0, |f| f.pooled.n);
    let _ = writeln!(
        out,
        "How good is P(rally)? Walk-forward, out of sample: {} ticker{}, {} labelled rows per model (the same rows for every model)",
        ev.tickers.len(),
        if ev.tickers.len() == 1 { "" } else { "s" },
        rows
    );
    let _ = writeln!(out);
    let tables = evaluate_tables(ev);
    let last = tables.len().saturating_sub(1);
    for (i, (t, notes)) in tables.iter().enumerate() {
        out.push_str(&t.render());
        if i < last {
            out.push('\n');
        }
        for n in notes {
            let _ = writeln!(out, "{n}");
        }
    }
    let failed: Vec<(String, String)> = ev
        .failed
        .iter()
        .map(|f| (f.ticker.clone(), f.error.clone()))
        .collect();
    out.push_str(&failures_text(&failed));
    out
}

/// The tables of `retrainer evaluate` (per family, summary, reliability)
/// with the notes under each; the text report and the HTML page show them.
pub fn evaluate_tables(ev: &crate::evaluate::Evaluation) -> Vec<(Table, Vec<String>)> {
    let mut out = Vec::new();
    for f in &ev.families {
        let mut t = Table::new(
            &format!("{} — per ticker", f.family),
            &[
                "ticker",
                "rows",
                "AUC",
                "Brier",
                "Brier skill",
                "log loss",
                "ECE",
                "P in {0,1}",
            ],
        );
        for k in &f.tickers {
            t.row(eval_cells(k.ticker.clone(), &k.metrics));
        }
        let m = &f.median;
        t.row(vec![
            "MEDIAN".into(),
            "-".into(),
            num(m.auc, 3),
            num(m.brier, 4),
            snum(m.brier_skill, 3),
            num(m.log_loss, 4),
            num(m.ece, 3),
            pct(m.p_extreme_share),
        ]);
        t.row(eval_cells("POOLED".into(), &f.pooled));
        out.push((t, Vec::new()));
    }
    let mut headers = vec!["figure"];
    headers.extend(ev.families.iter().map(|f| f.family.as_str()));
    let mut t = Table::new("Summary", &headers);
    type Pick = fn(&crate::evaluate::FamilyEval) -> String;
    let lines: [(&str, Pick); 7] = [
        ("median AUC", |f| num(f.median.auc, 3)),
        ("median Brier skill", |f| snum(f.median.brier_skill, 3)),
        ("median ECE (10 bins)", |f| num(f.median.ece, 3)),
        ("pooled AUC", |f| num(f.pooled.auc, 3)),
        ("pooled Brier skill", |f| snum(f.pooled.brier_skill, 3)),
        ("pooled ECE", |f| num(f.pooled.ece, 3)),
        ("rows with P exactly 0 or 1", |f| {
            pct(f.pooled.p_extreme_share)
        }),
    ];
    for (label, pick) in lines {
        let mut row = vec![label.to_owned()];
        row.extend(ev.families.iter().map(pick));
        t.row(row);
    }
    out.push((t, Vec::new()));

    let mut headers = vec!["P bin".to_owned()];
    for f in &ev.families {
        for h in ["n", "mean P", "observed"] {
            headers.push(format!("{} {h}", f.family));
        }
    }
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(
        "Reliability (all tickers' rows; observed = share that rallied)",
        &hs,
    );
    for k in 0..rally_model::metrics::RELIABILITY_BINS {
        let mut row = Vec::new();
        for f in &ev.families {
            let Some(b) = f.reliability.get(k) else {
                continue;
            };
            if row.is_empty() {
                row.push(format!("{:.1}–{:.1}", b.lo, b.hi));
            }
            row.extend([b.n.to_string(), num(b.mean_p, 3), num(b.frac_pos, 3)]);
        }
        t.row(row);
    }
    out.push((
        t,
        vec![
            "AUC 0.5 = no ranking; Brier skill > 0 = better than always saying the training base rate of the ticker-fold; ECE = row-weighted |mean P − observed rate| over the 10 bins (0 = calibrated).".to_owned(),
            "A better P is not a profitable strategy: no model variant made the §7 trading rules beat \"enter every compressed bar\" or buy-and-hold (MODEL-V2.md, Trading).".to_owned(),
        ],
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn research_reports_render_empty_sweeps() {
        let cfg = rally_trade::TradeConfig::named("baseline").unwrap_or_else(|e| panic!("{e}"));
        let failed = vec![(
            "FOOBAR".to_owned(),
            "FOOBAR: FOOBAR.csv: no such file".to_owned(),
        )];
        let empty = Sweep {
            configs: vec![cfg],
            entry_learned: false,
            assets: Vec::new(),
            failed,
        };
        let texts = [
            backtest_text(&empty, 0),
            optimize_text(&empty),
            validate_text(&empty, &empty),
        ];
        for text in &texts {
            // Every table line as wide as its rule.
            let mut width = None;
            for line in text.lines() {
                if line.starts_with('┌') {
                    width = Some(line.chars().count());
                } else if line.starts_with(['│', '├', '└']) {
                    assert_eq!(Some(line.chars().count()), width, "misaligned:\n{text}");
                }
            }
        }
        assert!(
            texts[0].contains("failed FOOBAR: FOOBAR.csv: no such file"),
            "{}",
            texts[0]
        );
        assert!(texts[0].contains("(none)"), "{}", texts[0]);
        assert!(texts[2].contains("FAILED"), "{}", texts[2]);
    }
}
