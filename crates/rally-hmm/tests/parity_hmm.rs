//! Golden parity of the live-model HMM (METHOD §4): `TICKER/hmm.json` and the
//! `hmm_*` columns of `TICKER/features.csv`, for every golden ticker.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use chrono::{Months, NaiveDate};
use rally_golden::{Table, abs_diff, golden_dir, json_f64s, read_json, rel_diff, tickers};
use serde_json::Value;

const TOL_PARAM: f64 = 1e-6;
const TOL_COL: f64 = 1e-6;

#[derive(Default)]
struct Report {
    failures: Vec<String>,
    max_param: f64,
    max_col: f64,
}

impl Report {
    fn param(&mut self, ticker: &str, field: &str, ours: f64, golden: f64) {
        let d = rel_diff(ours, golden);
        self.max_param = self.max_param.max(d);
        if d > TOL_PARAM || d.is_nan() {
            self.failures.push(format!(
                "{ticker} {field}: ours {ours:e} golden {golden:e} rel diff {d:e}"
            ));
        }
    }
}

fn flat(v: &Value) -> Vec<f64> {
    match v.as_array() {
        Some(a) if a.first().is_some_and(Value::is_array) => a.iter().flat_map(json_f64s).collect(),
        _ => json_f64s(v),
    }
}

#[test]
fn parity_hmm() {
    let Some(golden) = golden_dir("parity_hmm") else {
        return;
    };
    let mut all_failures = Vec::new();
    let mut n_tickers = 0;
    let (mut worst_param, mut worst_col) = (0.0f64, 0.0f64);
    for ticker in tickers(&golden) {
        let dir = golden.join(&ticker);
        let tab = Table::read(&dir.join("features.csv"));
        let dates: Vec<NaiveDate> = tab
            .str_col("date")
            .iter()
            .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
            .collect();
        let obs = rally_hmm::observations(&tab.f64_col("H"), &tab.f64_col("L"), &tab.f64_col("C"));
        // Live window: date > last - 5 years (pandas DateOffset: Feb 29 -> Feb 28,
        // which is what month arithmetic with end-of-month clamping gives).
        let last = *dates.last().unwrap();
        let cutoff = last.checked_sub_months(Months::new(60)).unwrap();
        let win: Vec<[f64; 2]> = dates
            .iter()
            .zip(&obs)
            .filter(|(d, o)| **d > cutoff && o.iter().all(|x| x.is_finite()))
            .map(|(_, o)| *o)
            .collect();

        let mut rep = Report::default();
        let js = read_json(&dir.join("hmm.json"));
        match rally_hmm::fit(&win) {
            Err(e) => rep.failures.push(format!("{ticker}: fit failed: {e}")),
            Ok(p) => {
                let fields: [(&str, Vec<f64>); 6] = [
                    ("mu", p.mu.to_vec()),
                    ("sd", p.sd.to_vec()),
                    ("startprob", p.startprob.to_vec()),
                    ("transmat", p.transmat.iter().flatten().copied().collect()),
                    ("means", p.means.iter().flatten().copied().collect()),
                    ("covars", p.covars.iter().flatten().copied().collect()),
                ];
                for (name, ours) in &fields {
                    let g = flat(&js[*name]);
                    if g.len() != ours.len() {
                        rep.failures.push(format!(
                            "{ticker} {name}: length {} vs golden {}",
                            ours.len(),
                            g.len()
                        ));
                        continue;
                    }
                    for (i, (o, g)) in ours.iter().zip(&g).enumerate() {
                        rep.param(&ticker, &format!("{name}[{i}]"), *o, *g);
                    }
                }
                let g_iter = js["n_iter"].as_u64().unwrap() as usize;
                if p.n_iter != g_iter {
                    rep.failures.push(format!(
                        "{ticker} n_iter: ours {} golden {g_iter}",
                        p.n_iter
                    ));
                }
                let gh = json_f64s(&js["history"]);
                if gh.len() != p.history.len() {
                    rep.failures.push(format!(
                        "{ticker} history: length {} vs golden {}",
                        p.history.len(),
                        gh.len()
                    ));
                }
                for (i, (o, g)) in p.history.iter().zip(&gh).enumerate() {
                    // Relative to |x| (log-likelihoods are in the thousands).
                    let d = (o - g).abs() / g.abs().max(1.0);
                    rep.max_param = rep.max_param.max(d);
                    if d > TOL_PARAM || d.is_nan() {
                        rep.failures.push(format!(
                            "{ticker} history[{i}]: ours {o} golden {g} rel diff {d:e}"
                        ));
                    }
                }

                let feats = rally_hmm::features(&rally_hmm::filter(&p, &obs));
                for (c, name) in ["hmm_p_low", "hmm_p_high", "hmm_age"].iter().enumerate() {
                    let g = tab.f64_col(name);
                    let mut shown = 0;
                    for (t, (f, g)) in feats.iter().zip(&g).enumerate() {
                        let d = abs_diff(f[c], *g);
                        rep.max_col = rep.max_col.max(d);
                        if d > TOL_COL || d.is_nan() {
                            // A few rows per column are enough to diagnose.
                            if shown < 5 {
                                rep.failures.push(format!(
                                    "{ticker} {name} row {t} ({}): ours {:e} golden {g:e} diff {d:e}",
                                    dates[t], f[c]
                                ));
                            }
                            shown += 1;
                        }
                    }
                    if shown > 5 {
                        rep.failures
                            .push(format!("{ticker} {name}: {} more failing rows", shown - 5));
                    }
                }
                println!(
                    "{ticker:>8}: rows {:>5} window {:>5} n_iter {:>3}  max param diff {:.2e}  max column diff {:.2e}",
                    obs.len(),
                    win.len(),
                    p.n_iter,
                    rep.max_param,
                    rep.max_col
                );
            }
        }
        worst_param = worst_param.max(rep.max_param);
        worst_col = worst_col.max(rep.max_col);
        all_failures.extend(rep.failures);
        n_tickers += 1;
    }
    println!(
        "{n_tickers} tickers: max param diff {worst_param:.2e}, max column diff {worst_col:.2e}"
    );
    assert!(
        all_failures.is_empty(),
        "{} HMM parity failures:\n{}",
        all_failures.len(),
        all_failures.join("\n")
    );
}
