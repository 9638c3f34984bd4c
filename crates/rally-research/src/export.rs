//! The research export: per ticker the files of the golden layout
//! (`features.csv`, `hmm.json`, `model.json`, `walkforward.csv`,
//! `folds.json`, `trades.csv`, `equity.csv`, `metrics.json`) and, for
//! several tickers, `portfolio_equity.csv` / `portfolio_metrics.json`.
//! The model v2 export ([`export_v2`]) writes `walkforward.csv`,
//! `features.csv` (the 22 inputs of the out-of-sample rows) and
//! `metrics.json` per ticker and the fold years' pooled models in
//! `pooled.json`.
//! Every file is written atomically.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

use rally_data::cache::replace_file;
use rally_features::{BASE_FEATURES, N_BASE};
use rally_model::Calibration;
use rally_model::walkforward::{FEATURE_NAMES, OosRow};
use rally_trade::{Backtest, Portfolio};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::format::{push_date, push_g17};
use crate::v2::{V2TickerResult, V2WalkForward, load_v2_tickers, walk_forward_v2};
use rally_model::v2::V2_FEATURE_NAMES;
use rally_pipeline::PipelineError;

fn write(path: &Path, text: &[u8]) -> Result<(), PipelineError> {
    // Research output: atomic, but no fsync (it can always be regenerated).
    replace_file(path, text, false).map_err(|e| PipelineError::io(path, e))
}

fn write_json(path: &Path, v: &Value) -> Result<(), PipelineError> {
    let text = serde_json::to_string_pretty(v).map_err(PipelineError::json("research JSON"))?;
    write(path, text.as_bytes())
}

/// `features.csv` text.
pub fn features_csv(a: &Analysis) -> Vec<u8> {
    let s = &a.series;
    let f = &a.frame;
    let mut out = Vec::with_capacity(s.len() * 400);
    out.extend_from_slice(b"date,O,H,L,C,V,ATR,RV,compression,");
    out.extend_from_slice(BASE_FEATURES.join(",").as_bytes());
    out.extend_from_slice(b",hmm_p_low,hmm_p_high,hmm_age,label\n");
    for t in 0..s.len() {
        push_date(&mut out, s.dates[t]);
        let vals = [
            s.open[t],
            s.high[t],
            s.low[t],
            s.close[t],
            s.volume[t],
            f.atr[t],
            f.rv[t],
            f.compression[t],
        ]
        .into_iter()
        .chain(f.base.iter().map(|c| c[t]))
        .chain(
            a.live
                .row(t)
                .map_or([f64::NAN; 3], |x| std::array::from_fn(|k| x[N_BASE + k])),
        )
        .chain([a.live.label(t)]);
        for v in vals {
            out.push(b',');
            push_g17(&mut out, v);
        }
        out.push(b'\n');
    }
    out
}

fn hmm_json(a: &Analysis) -> Value {
    let h = &a.live.hmm;
    json!({
        "mu": h.mu, "sd": h.sd, "startprob": h.startprob, "transmat": h.transmat,
        "means": h.means, "covars": h.covars, "n_iter": h.n_iter, "history": h.history,
    })
}

fn model_json(a: &Analysis) -> Value {
    let info = &a.live.info;
    match &a.live.model {
        None => json!({ "skipped": info.skipped, "r_up": info.r_up, "d_dn": info.d_dn }),
        Some(m) => {
            let (iso_x, iso_y) = match &m.calibration {
                Calibration::Identity => (Value::Null, Value::Null),
                Calibration::Isotonic(iso) => (json!(iso.x), json!(iso.y)),
            };
            json!({
                "features": FEATURE_NAMES, "intercept": m.intercept, "weights": m.weights,
                "mean": m.mean, "std": m.std, "iso_x": iso_x, "iso_y": iso_y,
                "r_up": m.barriers.r_up, "d_dn": m.barriers.d_dn,
                "n_train": info.n_train, "n_fit": info.n_fit, "n_cal": info.n_cal,
            })
        }
    }
}

fn walkforward_csv(a: &Analysis) -> Vec<u8> {
    oos_csv(&a.wf.rows)
}

/// `walkforward.csv` text of out-of-sample rows.
pub fn oos_csv(rows: &[OosRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 56);
    out.extend_from_slice(b"date,fold_year,p_rally,label\n");
    for r in rows {
        push_date(&mut out, r.date);
        let _ = write!(out, ",{},", r.fold_year);
        push_g17(&mut out, r.p_rally);
        out.push(b',');
        push_g17(&mut out, r.label);
        out.push(b'\n');
    }
    out
}

/// `trades.csv` text (header only without a backtest).
pub fn trades_csv(bt: Option<&Backtest>) -> Vec<u8> {
    let mut out = Vec::from(
        b"signal_date,entry_date,exit_date,entry_fill,exit_price,stop,target,size,shares,p_rally,reason,bars_held,return\n",
    );
    for tr in bt.iter().flat_map(|b| &b.trades) {
        push_date(&mut out, tr.signal_date);
        out.push(b',');
        push_date(&mut out, tr.entry_date);
        out.push(b',');
        push_date(&mut out, tr.exit_date);
        for v in [
            tr.entry_fill,
            tr.exit_price,
            tr.stop,
            tr.target,
            tr.size,
            tr.shares,
            tr.p_rally,
        ] {
            out.push(b',');
            push_g17(&mut out, v);
        }
        let _ = write!(out, ",{},{},", tr.reason, tr.bars_held);
        push_g17(&mut out, tr.ret);
        out.push(b'\n');
    }
    out
}

/// `equity.csv` text.
pub fn equity_csv(bt: Option<&Backtest>) -> Vec<u8> {
    let points = bt.map_or(&[][..], |b| &b.equity[..]);
    let mut out = Vec::with_capacity(points.len() * 36 + 32);
    out.extend_from_slice(b"date,equity,in_position\n");
    for e in points {
        push_date(&mut out, e.date);
        out.push(b',');
        push_g17(&mut out, e.equity);
        out.extend_from_slice(if e.in_position { b",1\n" } else { b",0\n" });
    }
    out
}

fn metrics_json(a: &Analysis) -> Result<Value, PipelineError> {
    let mut m = serde_json::Map::new();
    let wf = match &a.wf.metrics {
        Some(x) => serde_json::to_value(x).map_err(PipelineError::json("research JSON"))?,
        None => json!({ "n": 0 }),
    };
    m.insert("walk_forward".into(), wf);
    if let Some(bt) = &a.backtest {
        let pm = bt.metrics()?;
        m.insert(
            "backtest".into(),
            serde_json::to_value(pm).map_err(PipelineError::json("research JSON"))?,
        );
    }
    Ok(Value::Object(m))
}

/// Write one ticker's files into `dir/TICKER/`.
pub fn write_ticker(dir: &Path, a: &Analysis) -> Result<(), PipelineError> {
    let d = dir.join(&a.series.ticker);
    std::fs::create_dir_all(&d).map_err(|e| PipelineError::io(&d, e))?;
    write(&d.join("features.csv"), &features_csv(a))?;
    write_json(&d.join("hmm.json"), &hmm_json(a))?;
    write_json(&d.join("model.json"), &model_json(a))?;
    write(&d.join("walkforward.csv"), &walkforward_csv(a))?;
    let folds = serde_json::to_value(&a.wf.folds).map_err(PipelineError::json("research JSON"))?;
    write_json(&d.join("folds.json"), &folds)?;
    write(&d.join("trades.csv"), &trades_csv(a.backtest.as_ref()))?;
    write(&d.join("equity.csv"), &equity_csv(a.backtest.as_ref()))?;
    write_json(&d.join("metrics.json"), &metrics_json(a)?)?;
    Ok(())
}

/// Write `portfolio_equity.csv` and `portfolio_metrics.json` into `dir`.
pub fn write_portfolio(dir: &Path, p: &Portfolio) -> Result<(), PipelineError> {
    let mut out = Vec::with_capacity(p.equity.len() * 34 + 16);
    out.extend_from_slice(b"date,equity\n");
    for e in &p.equity {
        push_date(&mut out, e.date);
        out.push(b',');
        push_g17(&mut out, e.equity);
        out.push(b'\n');
    }
    write(&dir.join("portfolio_equity.csv"), &out)?;
    let m = serde_json::to_value(p.metrics()?).map_err(PipelineError::json("research JSON"))?;
    write_json(&dir.join("portfolio_metrics.json"), &m)
}

/// `retrainer export`: analyse `tickers` and write their files into `out`
/// (plus the portfolio files when at least two have a backtest).
pub fn export_all(
    source: &dyn rally_data::Source,
    tickers: &[String],
    out: &Path,
    cfg: &rally_trade::TradeConfig,
) -> Result<crate::analysis::RunReport, PipelineError> {
    std::fs::create_dir_all(out).map_err(|e| PipelineError::io(out, e))?;
    let (report, equities) = crate::analysis::analyse_many(source, tickers, cfg, |a| {
        write_ticker(out, &a)?;
        Ok(a.backtest.map(|bt| bt.equity).unwrap_or_default())
    })?;
    let sleeves: Vec<&[rally_trade::EquityPoint]> = equities
        .iter()
        .filter(|e| !e.is_empty())
        .map(Vec::as_slice)
        .collect();
    if sleeves.len() > 1 {
        write_portfolio(
            out,
            &rally_trade::portfolio(&sleeves, rally_trade::DEFAULT_CAPITAL),
        )?;
    }
    Ok(report)
}

/// `pooled.json`: the fold years' pooled models in year order.
pub fn pooled_json(wf: &V2WalkForward) -> Result<Value, PipelineError> {
    serde_json::to_value(&wf.folds).map_err(PipelineError::json("pooled.json"))
}

/// v2 `features.csv` text: the date and the 22 raw features
/// ([`V2_FEATURE_NAMES`] order) of each out-of-sample row; NaN is an empty
/// field, as in the classic `features.csv`.
pub fn v2_features_csv(t: &V2TickerResult) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.rows.len() * 22 * 20 + 256);
    out.extend_from_slice(b"date,");
    out.extend_from_slice(V2_FEATURE_NAMES.join(",").as_bytes());
    out.push(b'\n');
    for (r, x) in t.rows.iter().zip(&t.features) {
        push_date(&mut out, r.date);
        for &v in x {
            out.push(b',');
            push_g17(&mut out, v);
        }
        out.push(b'\n');
    }
    out
}

/// v2 `metrics.json`: the ticker's walk-forward figures of
/// [`rally_model::EvalMetrics`] (Brier skill against the training base
/// rate of each row's fold, ECE, share of P at 0 or 1, ...).
fn v2_metrics_json(t: &V2TickerResult) -> Result<Value, PipelineError> {
    let m = crate::evaluate::v2_ticker_metrics(t)?;
    let m = serde_json::to_value(m).map_err(PipelineError::json("metrics.json"))?;
    Ok(json!({ "walk_forward": m }))
}

/// Write a v2 walk-forward: per ticker `dir/TICKER/walkforward.csv`,
/// `features.csv` and `metrics.json`, and `dir/pooled.json`.
pub fn write_v2(dir: &Path, wf: &V2WalkForward) -> Result<(), PipelineError> {
    std::fs::create_dir_all(dir).map_err(|e| PipelineError::io(dir, e))?;
    wf.tickers.par_iter().try_for_each(|t| {
        let d = dir.join(&t.ticker);
        std::fs::create_dir_all(&d).map_err(|e| PipelineError::io(&d, e))?;
        write(&d.join("walkforward.csv"), &oos_csv(&t.rows))?;
        write(&d.join("features.csv"), &v2_features_csv(t))?;
        write_json(&d.join("metrics.json"), &v2_metrics_json(t)?)
    })?;
    write_json(&dir.join("pooled.json"), &pooled_json(wf)?)
}

/// `retrainer export --model v2`: load and prepare every ticker, run the
/// pooled walk-forward over all of them (the pool is exactly the tickers
/// that load), and write it into `out`. Thresholds use
/// `cfg.comp_threshold`. A ticker that fails is reported and left out of
/// the pool; the others go on.
pub fn export_v2(
    source: &dyn rally_data::Source,
    tickers: &[String],
    out: &Path,
    cfg: &rally_trade::TradeConfig,
) -> Result<crate::analysis::RunReport, PipelineError> {
    let (ready, failed) = load_v2_tickers(source, tickers)?;
    let mut failed: HashMap<String, String> = failed.into_iter().collect();
    let wf = walk_forward_v2(&ready, cfg.comp_threshold)?;
    write_v2(out, &wf)?;
    failed.extend(wf.failed.iter().cloned());
    let mut report = crate::analysis::RunReport::default();
    for t in tickers {
        match failed.remove(t) {
            Some(why) => report.failed.push((t.clone(), why)),
            None => report.analysed.push(t.clone()),
        }
    }
    Ok(report)
}
