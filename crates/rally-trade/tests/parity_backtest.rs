//! Parity of the baseline backtest, its metrics and the sleeve portfolio with
//! the golden reference outputs (`../shared/golden`, see its README).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::NaiveDate;
use rally_golden::{Table, golden_dir, read_json, rel_diff, tickers};
use rally_trade::{
    Backtest, BacktestInput, EquityPoint, PerfMetrics, SeriesMetrics, TradeConfig, backtest,
    portfolio,
};
use serde_json::Value;

const TOL: f64 = 1e-9;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// Running maximum of a diff plus the failures it produced.
#[derive(Default)]
struct Check {
    max: BTreeMap<&'static str, f64>,
    failures: Vec<String>,
}

impl Check {
    fn num(&mut self, what: &'static str, ctx: &str, got: f64, want: f64) {
        let d = rel_diff(got, want);
        let m = self.max.entry(what).or_insert(0.0);
        if d > *m || d.is_nan() {
            *m = d;
        }
        if d.is_nan() || d > TOL {
            self.failures.push(format!(
                "{ctx} {what}: got {got:e}, want {want:e} (rel diff {d:e})"
            ));
        }
    }
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, ctx: &str, got: T, want: T) {
        if got != want {
            self.failures
                .push(format!("{ctx} {what}: got {got:?}, want {want:?}"));
        }
    }
    fn opt(&mut self, what: &'static str, ctx: &str, got: Option<f64>, want: &Value) {
        match (got, want.as_f64()) {
            (Some(g), Some(w)) => self.num(what, ctx, g, w),
            (None, None) if want.is_null() => {}
            _ => self
                .failures
                .push(format!("{ctx} {what}: got {got:?}, want {want}")),
        }
    }
}

struct Inputs {
    dates: Vec<NaiveDate>,
    cols: HashMap<&'static str, Vec<f64>>,
    p: Vec<f64>,
}

fn load(dir: &Path) -> Inputs {
    let f = Table::read(&dir.join("features.csv"));
    let dates: Vec<NaiveDate> = f.str_col("date").iter().map(|s| date(s)).collect();
    let mut cols = HashMap::new();
    for c in ["O", "H", "L", "C", "ATR", "RV", "rv_pctile", "compression"] {
        cols.insert(c, f.f64_col(c));
    }
    let wf = Table::read(&dir.join("walkforward.csv"));
    let pos: HashMap<NaiveDate, usize> = dates.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut p = vec![f64::NAN; dates.len()];
    for (d, v) in wf.str_col("date").iter().zip(wf.f64_col("p_rally")) {
        let i = *pos
            .get(&date(d))
            .unwrap_or_else(|| panic!("walkforward date {d} not in features"));
        p[i] = v;
    }
    Inputs { dates, cols, p }
}

fn run(inp: &Inputs) -> Option<Backtest> {
    let input = BacktestInput {
        dates: &inp.dates,
        open: &inp.cols["O"],
        high: &inp.cols["H"],
        low: &inp.cols["L"],
        close: &inp.cols["C"],
        atr: &inp.cols["ATR"],
        rv: &inp.cols["RV"],
        rv_pctile: &inp.cols["rv_pctile"],
        compression: &inp.cols["compression"],
        p: &inp.p,
    };
    backtest(&input, &TradeConfig::baseline(), 100_000.0).unwrap()
}

fn check_trades(ck: &mut Check, t: &str, bt: Option<&Backtest>, dir: &Path) {
    let g = Table::read(&dir.join("trades.csv"));
    let got = bt.map(|b| b.trades.as_slice()).unwrap_or(&[]);
    ck.eq("trade count", t, got.len(), g.len());
    let n = got.len().min(g.len());
    let s = |c: &str| g.str_col(c);
    let f = |c: &str| g.f64_col(c);
    let (sd, ed, xd, reason, held) = (
        s("signal_date"),
        s("entry_date"),
        s("exit_date"),
        s("reason"),
        s("bars_held"),
    );
    let nums: [(&'static str, Vec<f64>); 8] = [
        ("entry_fill", f("entry_fill")),
        ("exit_price", f("exit_price")),
        ("stop", f("stop")),
        ("target", f("target")),
        ("size", f("size")),
        ("shares", f("shares")),
        ("p_rally", f("p_rally")),
        ("return", f("return")),
    ];
    for i in 0..n {
        let tr = &got[i];
        let ctx = format!("{t} trade {i}");
        ck.eq("signal_date", &ctx, tr.signal_date, date(&sd[i]));
        ck.eq("entry_date", &ctx, tr.entry_date, date(&ed[i]));
        ck.eq("exit_date", &ctx, tr.exit_date, date(&xd[i]));
        ck.eq("reason", &ctx, tr.reason.to_string(), reason[i].clone());
        ck.eq("bars_held", &ctx, tr.bars_held.to_string(), held[i].clone());
        let vals = [
            tr.entry_fill,
            tr.exit_price,
            tr.stop,
            tr.target,
            tr.size,
            tr.shares,
            tr.p_rally,
            tr.ret,
        ];
        for ((what, col), v) in nums.iter().zip(vals) {
            ck.num(what, &ctx, v, col[i]);
        }
    }
}

fn check_equity(ck: &mut Check, t: &str, bt: Option<&Backtest>, dir: &Path) {
    let g = Table::read(&dir.join("equity.csv"));
    let got: &[EquityPoint] = bt.map(|b| b.equity.as_slice()).unwrap_or(&[]);
    ck.eq("equity rows", t, got.len(), g.len());
    let (gd, ge, gp) = (
        g.str_col("date"),
        g.f64_col("equity"),
        g.str_col("in_position"),
    );
    let mut first_bad_date = None;
    for (i, e) in got.iter().enumerate().take(g.len()) {
        if e.date != date(&gd[i]) && first_bad_date.is_none() {
            first_bad_date = Some(i);
        }
        ck.num("equity", &format!("{t} equity {}", gd[i]), e.equity, ge[i]);
        let ip = if e.in_position { "1" } else { "0" };
        ck.eq(
            "in_position",
            &format!("{t} equity {}", gd[i]),
            ip,
            gp[i].as_str(),
        );
    }
    if let Some(i) = first_bad_date {
        ck.failures
            .push(format!("{t} equity dates differ from row {i}"));
    }
}

fn check_series(ck: &mut Check, ctx: &str, m: &SeriesMetrics, g: &Value) {
    ck.num(
        "total_return",
        ctx,
        m.total_return,
        g["total_return"].as_f64().unwrap_or(f64::NAN),
    );
    ck.opt("cagr", ctx, m.cagr, &g["cagr"]);
    ck.opt("sharpe", ctx, m.sharpe, &g["sharpe"]);
    ck.opt("sortino", ctx, m.sortino, &g["sortino"]);
    ck.num(
        "max_drawdown",
        ctx,
        m.max_drawdown,
        g["max_drawdown"].as_f64().unwrap_or(f64::NAN),
    );
}

fn check_metrics(ck: &mut Check, t: &str, bt: Option<&Backtest>, dir: &Path) {
    let g = read_json(&dir.join("metrics.json"));
    let gb = g.get("backtest");
    let ctx = format!("{t} metrics");
    let (bt, gb) = match (bt, gb) {
        (None, None) => return,
        (Some(b), Some(v)) => (b, v),
        (b, v) => {
            ck.failures.push(format!(
                "{ctx}: backtest present: ours {}, golden {}",
                b.is_some(),
                v.is_some()
            ));
            return;
        }
    };
    let m: PerfMetrics = bt.metrics().unwrap();
    check_series(ck, &ctx, &m.series(), gb);
    ck.opt("exposure", &ctx, m.exposure, &gb["exposure"]);
    ck.eq("trades", &ctx, Some(m.trades as u64), gb["trades"].as_u64());
    ck.opt("win_rate", &ctx, m.win_rate, &gb["win_rate"]);
    ck.opt("avg_return", &ctx, m.avg_return, &gb["avg_return"]);
    ck.opt("avg_win", &ctx, m.avg_win, &gb["avg_win"]);
    ck.opt("avg_loss", &ctx, m.avg_loss, &gb["avg_loss"]);
    ck.opt("profit_factor", &ctx, m.profit_factor, &gb["profit_factor"]);
    ck.opt("avg_bars_held", &ctx, m.avg_bars_held, &gb["avg_bars_held"]);
    ck.num(
        "buy_hold_return",
        &ctx,
        m.buy_hold_return,
        gb["buy_hold_return"].as_f64().unwrap_or(f64::NAN),
    );
    let want: BTreeMap<String, usize> = gb["exit_reasons"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0) as usize))
                .collect()
        })
        .unwrap_or_default();
    ck.eq("exit_reasons", &ctx, &m.exit_reasons, &want);
    // our serialised form has exactly the golden keys
    let ours = serde_json::to_value(&m).unwrap();
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let (mut a, mut b) = (keys(&ours), keys(gb));
    a.sort();
    b.sort();
    ck.eq("metric keys", &ctx, a, b);
}

#[test]
fn parity_backtest_and_portfolio() {
    let Some(golden) = golden_dir("parity_backtest_and_portfolio") else {
        return;
    };
    let tickers = tickers(&golden);
    assert!(!tickers.is_empty(), "no tickers in {}", golden.display());
    let mut failures: Vec<String> = Vec::new();
    let mut sleeves: Vec<Vec<EquityPoint>> = Vec::new();
    println!(
        "{:<8} {:>6} {:>6}  max rel diffs",
        "ticker", "trades", "rows"
    );
    for t in &tickers {
        let dir = golden.join(t);
        let inp = load(&dir);
        let bt = run(&inp);
        let mut ck = Check::default();
        check_trades(&mut ck, t, bt.as_ref(), &dir);
        check_equity(&mut ck, t, bt.as_ref(), &dir);
        check_metrics(&mut ck, t, bt.as_ref(), &dir);
        let worst = ck.max.iter().fold(
            (0.0f64, ""),
            |acc, (k, v)| if *v > acc.0 { (*v, k) } else { acc },
        );
        println!(
            "{t:<8} {:>6} {:>6}  worst {:.2e} ({})  equity {:.2e}  return {:.2e}  sharpe {:.2e}  {}",
            bt.as_ref().map_or(0, |b| b.trades.len()),
            bt.as_ref().map_or(0, |b| b.equity.len()),
            worst.0,
            worst.1,
            ck.max.get("equity").copied().unwrap_or(0.0),
            ck.max.get("return").copied().unwrap_or(0.0),
            ck.max.get("sharpe").copied().unwrap_or(0.0),
            if ck.failures.is_empty() {
                "ok".to_owned()
            } else {
                format!("{} FAILURES", ck.failures.len())
            }
        );
        failures.extend(ck.failures.into_iter().take(20));
        if let Some(b) = bt {
            sleeves.push(b.equity);
        }
    }

    // portfolio of all tickers
    let refs: Vec<&[EquityPoint]> = sleeves.iter().map(Vec::as_slice).collect();
    let port = portfolio(&refs, 100_000.0);
    let mut ck = Check::default();
    let pe = golden.join("portfolio_equity.csv");
    if pe.is_file() {
        let g = Table::read(&pe);
        ck.eq("portfolio rows", "portfolio", port.equity.len(), g.len());
        let (gd, ge) = (g.str_col("date"), g.f64_col("equity"));
        for (i, p) in port.equity.iter().enumerate().take(g.len()) {
            ck.eq("date", &format!("portfolio row {i}"), p.date, date(&gd[i]));
            ck.num("equity", &format!("portfolio {}", gd[i]), p.equity, ge[i]);
        }
        let gm = read_json(&golden.join("portfolio_metrics.json"));
        let m = port.metrics().unwrap();
        check_series(&mut ck, "portfolio metrics", &m, &gm);
        let mut keys: Vec<String> = gm
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        let mut ours: Vec<String> = serde_json::to_value(&m)
            .unwrap()
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        ours.sort();
        ck.eq("portfolio metric keys", "portfolio", ours, keys);
        println!(
            "portfolio: {} sleeves, {} rows, max rel diffs {:?}",
            port.sleeves,
            port.equity.len(),
            ck.max
        );
    } else {
        println!("portfolio: no golden portfolio_equity.csv, skipped");
    }
    failures.extend(ck.failures.into_iter().take(20));

    if !failures.is_empty() {
        panic!(
            "{} parity failure(s) (first 20 per ticker shown):\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}
