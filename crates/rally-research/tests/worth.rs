//! What a result is worth (issue #26): the benchmarks beside every strategy
//! figure are what they claim to be, the overfitting statistics are sane on
//! a real sweep, and the text report and the JSON say the same numbers.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use rally_data::SyntheticSource;
use rally_model::walkforward::BarrierRule;
use rally_pipeline::data::DataAccess;
use rally_research::report::{comparison_text, optimize_text};
use rally_research::sweep::{Sweep, optimisation_grid, sweep};
use rally_research::worth::{DSR_OK, LineFigures, compare, optimize_json, sweep_worth};
use rally_trade::TradeConfig;

fn now() -> DateTime<Utc> {
    "2026-08-21T21:30:00Z".parse().unwrap()
}

fn run(tickers: &[&str], configs: &[TradeConfig]) -> Sweep {
    let src = SyntheticSource::new(42);
    let data = DataAccess {
        source: &src,
        cache: None,
        now: now(),
        until: None,
    };
    let names: Vec<String> = tickers.iter().map(|s| (*s).to_owned()).collect();
    sweep(&data, &names, configs, BarrierRule::Auto, false).unwrap()
}

#[test]
fn buy_and_hold_line_is_the_assets_own_buy_and_hold() {
    let s = run(&["SPY"], &[TradeConfig::baseline()]);
    let bt = s.assets[0].backtests[0].as_ref().unwrap();
    let c = compare(&s, 0);
    let bh = c.buy_hold.unwrap();
    assert!(
        (bh.series.total_return - bt.buy_hold_return).abs() < 1e-12,
        "{} vs {}",
        bh.series.total_return,
        bt.buy_hold_return
    );
    assert_eq!(bh.series.exposure, Some(1.0), "one sleeve, always held");
    assert_eq!(bh.psr_vs_buy_hold, Some(0.5), "against itself");
    // Same dates as the strategy.
    let strat = s.portfolio(0).unwrap();
    let bhp = s.buy_hold_portfolio().unwrap();
    assert_eq!(
        strat.equity.first().unwrap().date,
        bhp.equity.first().unwrap().date
    );
    assert_eq!(strat.equity.len(), bhp.equity.len());
    // "Every compressed bar" trades at least as often as the strategy.
    let every = c.every_compressed.unwrap();
    let strategy = c.strategy.unwrap();
    assert!(every.trades.unwrap() >= strategy.trades.unwrap());
    assert!(every.series.exposure.unwrap() >= strategy.series.exposure.unwrap());
}

/// The value of column `col` on the text row that starts with `name`.
fn cell(text: &str, name: &str, col: usize) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start_matches('│').trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no row {name}:\n{text}"));
    line.split('│')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .nth(col)
        .unwrap()
        .to_owned()
}

fn pct_of(cell: &str) -> f64 {
    cell.trim_end_matches('%')
        .replace('+', "")
        .parse::<f64>()
        .unwrap()
        / 100.0
}

#[test]
fn text_and_json_say_the_same_numbers() {
    let s = run(&["SPY", "QQQ", "XLE"], &optimisation_grid());
    let c = compare(&s, 0);
    let text = comparison_text(&c);
    let json = serde_json::to_value(&c).unwrap();
    let lines: [(&str, &LineFigures, &str); 3] = [
        ("strategy", c.strategy.as_ref().unwrap(), "strategy"),
        (
            "every compressed bar",
            c.every_compressed.as_ref().unwrap(),
            "every_compressed",
        ),
        ("buy & hold", c.buy_hold.as_ref().unwrap(), "buy_hold"),
    ];
    for (name, f, key) in lines {
        let j = &json[key];
        assert_eq!(j["total_return"].as_f64(), Some(f.series.total_return));
        // Text: total (col 2), Sharpe (4), PSR>0 (8) — rounded as printed.
        assert!(
            (pct_of(&cell(&text, name, 2)) - f.series.total_return).abs() < 0.00006,
            "{name}"
        );
        let sharpe: f64 = cell(&text, name, 4).parse().unwrap();
        assert!(
            (sharpe - j["sharpe"].as_f64().unwrap()).abs() <= 0.005,
            "{name}"
        );
        let psr: f64 = cell(&text, name, 8).parse().unwrap();
        assert!(
            (psr - j["psr_vs_zero"].as_f64().unwrap()).abs() <= 0.0005,
            "{name}"
        );
    }

    // optimize: the same trials in the same order, with the same DSR.
    let text = optimize_text(&s);
    let doc = serde_json::to_value(optimize_json(&s)).unwrap();
    let trials = doc["worth"]["trials"].as_array().unwrap();
    assert_eq!(trials.len(), s.configs.len(), "every trial is logged");
    for (i, t) in trials.iter().enumerate() {
        let rank = (i + 1).to_string();
        assert_eq!(cell(&text, &rank, 1), t["config"].as_str().unwrap());
        let dsr = t["dsr"].as_f64().unwrap();
        let printed: f64 = cell(&text, &rank, 11).parse().unwrap();
        assert!((printed - dsr).abs() <= 0.0005, "trial {rank}");
        let line = text
            .lines()
            .find(|l| l.contains(t["config"].as_str().unwrap()))
            .unwrap();
        assert_eq!(line.contains("DSR<0.95"), dsr < DSR_OK, "{line}");
    }
    let pbo = doc["worth"]["pbo"].as_f64().unwrap();
    assert!(
        text.contains(&format!("overfitting: {:.2}%", pbo * 100.0)),
        "{text}"
    );
}

#[test]
fn overfitting_statistics_are_sane_on_a_real_sweep() {
    let s = run(&["SPY", "QQQ", "XLE", "AAPL"], &optimisation_grid());
    let w = sweep_worth(&s);
    assert_eq!(w.n_trials, 16);
    assert_eq!(w.pbo_combinations, 12_870, "C(16, 8) splits");
    let pbo = w.pbo.unwrap();
    assert!((0.0..=1.0).contains(&pbo), "{pbo}");
    assert!(w.expected_max_sharpe.unwrap() > 0.0);
    let mut last = f64::INFINITY;
    for t in &w.trials {
        let sharpe = t.figures.series.sharpe.unwrap();
        assert!(sharpe <= last, "ranked by Sharpe");
        last = sharpe;
        // Deflating against the best of 16 lucky tries only lowers it.
        assert!(
            t.dsr.unwrap() <= t.figures.psr_vs_zero.unwrap() + 1e-12,
            "{}",
            t.config
        );
    }
}
