//! The retrainer's commands: each builds what it needs from its flags, makes
//! one pipeline or research call and renders the result.

use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use rally_cli::{ConfigArg, DataArgs, DataSetup, ModelFamily, select_tickers};
use rally_data::Universe;
use rally_features::Barriers;
use rally_model::walkforward::BarrierRule;
use rally_notify::{NotifySettings, build_notifiers};
use rally_pipeline::announce::announce;
use rally_pipeline::report;
use rally_pipeline::retrain::{RetrainOptions, retrain_family};
use rally_pipeline::state::StateDir;
use rally_research::report as research_report;
use rally_research::sweep::{
    Sweep, TradeFrom, optimisation_grid, optimisation_grid_v2, sweep_v2_with, sweep_with,
};
use rally_store::Store;
use rally_trade::TradeConfig;

use crate::args::{Cmd, TrainArgs};

/// Research runs default to the 14-asset basket.
pub(crate) fn research_tickers(d: &DataArgs) -> Result<Vec<String>> {
    Ok(select_tickers(
        &d.tickers,
        d.universe_file.as_deref(),
        || Universe::default_basket().tickers,
    )?)
}

fn configs(config: &ConfigArg, names: &[String]) -> Result<Vec<TradeConfig>> {
    if names.is_empty() {
        return Ok(vec![config.resolve()?]);
    }
    names
        .iter()
        .map(|n| TradeConfig::named(n.trim()).map_err(Into::into))
        .collect()
}

fn progress_bar(total_hint: usize) -> impl Fn(usize, usize, &str) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |done: usize, total: usize, ticker: &str| {
        if tty {
            let total = total.max(total_hint).max(1);
            let w = 30;
            let filled = done * w / total;
            eprint!(
                "\r[{}{}] {done}/{total} {ticker:<10}",
                "#".repeat(filled),
                "-".repeat(w - filled)
            );
            if done == total {
                eprintln!();
            }
        }
    }
}

pub fn run(cmd: Cmd) -> Result<i32> {
    let state = StateDir::cwd();
    match cmd {
        Cmd::Train(args) => {
            args.jobs.apply()?;
            train(&state, &args)
        }
        Cmd::Export {
            out,
            model,
            data,
            config,
            jobs,
        } => {
            jobs.apply()?;
            let setup = DataSetup::new(&data, &state)?;
            let t0 = std::time::Instant::now();
            let cfg = config.resolve()?;
            let tickers = research_tickers(&data)?;
            let export = match model.model {
                ModelFamily::Classic => rally_research::export::export_all,
                ModelFamily::V2 => rally_research::export::export_v2,
            };
            let report = export(setup.source.as_ref(), &tickers, &out, &cfg)?;
            for (t, e) in &report.failed {
                eprintln!("error: {t}: {e}");
            }
            eprintln!(
                "exported {} to {} ({} failed) in {:.2}s",
                rally_text::count(report.analysed.len(), "ticker"),
                out.display(),
                report.failed.len(),
                t0.elapsed().as_secs_f64()
            );
            Ok(if report.analysed.is_empty() { 1 } else { 0 })
        }
        Cmd::Evaluate {
            models,
            json,
            plot,
            report,
            data,
            jobs,
        } => {
            jobs.apply()?;
            crate::evaluate::run(
                &state,
                &models,
                json,
                plot.as_deref(),
                report.as_deref(),
                &data,
            )
        }
        Cmd::Backtest {
            asset,
            run_all,
            universe,
            member_since,
            configs: names,
            plot,
            json,
            report,
            model,
            data,
            config,
            jobs,
        } => {
            jobs.apply()?;
            let mut trade_from = TradeFrom::default();
            let list = match (&asset, run_all, &universe) {
                (Some(a), false, None) => vec![rally_data::normalise_symbol(a)],
                (None, true, None) => Universe::default_basket().tickers,
                (None, false, Some(f)) => {
                    let file = f.as_deref().or(data.universe_file.as_deref());
                    let chosen = crate::universe::chosen(file, &state)?;
                    if member_since {
                        trade_from = crate::universe::trade_from(&chosen);
                    }
                    chosen.universe.tickers
                }
                (None, false, None) if !data.tickers.is_empty() => research_tickers(&data)?,
                _ => bail!("choose one of --asset T, --run-all, --universe [FILE] (or --tickers)"),
            };
            let setup = DataSetup::new(&data, &state)?;
            let cfgs = configs(&config, &names)?;
            let t0 = std::time::Instant::now();
            eprintln!("{}", family_line(model.model));
            let detail = plot || report.is_some();
            let s = sweeper(model.model)(
                &setup.access(),
                &list,
                &cfgs,
                BarrierRule::Auto,
                detail,
                &trade_from,
            )?;
            if let Some(path) = &report {
                crate::pages::backtest(path, &s, model.family().as_str(), &data)?;
            }
            list_failures(&state, "backtest", &s.failed)?;
            if json {
                let doc = serde_json::json!({
                    "model": model.family().to_string(),
                    "configs": rally_research::worth::backtest_json(&s),
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(if s.assets.is_empty() { 1 } else { 0 });
            }
            for k in 0..cfgs.len() {
                print!("{}", research_report::backtest_text(&s, k));
                println!();
                if plot {
                    let files = rally_research::plots::write_plots(&state.plots(), &s, k)?;
                    println!(
                        "wrote {} into {}",
                        rally_text::count(files.len(), "chart"),
                        state.plots().display()
                    );
                }
            }
            eprintln!(
                "{} in {:.2}s",
                rally_text::count(list.len(), "ticker"),
                t0.elapsed().as_secs_f64()
            );
            Ok(if s.assets.is_empty() { 1 } else { 0 })
        }
        Cmd::Optimize {
            json,
            report,
            model,
            data,
            jobs,
        } => {
            jobs.apply()?;
            let setup = DataSetup::new(&data, &state)?;
            eprintln!("{}", family_line(model.model));
            let grid = match model.model {
                ModelFamily::Classic => optimisation_grid(),
                ModelFamily::V2 => optimisation_grid_v2(),
            };
            let s = sweeper(model.model)(
                &setup.access(),
                &research_tickers(&data)?,
                &grid,
                BarrierRule::Auto,
                report.is_some(),
                &TradeFrom::default(),
            )?;
            if let Some(path) = &report {
                crate::pages::optimize(path, &s, model.family().as_str(), &data)?;
            }
            if json {
                let doc = serde_json::json!({
                    "model": model.family().to_string(),
                    "optimize": rally_research::worth::optimize_json(&s),
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print!("{}", research_report::optimize_text(&s));
            }
            Ok(0)
        }
        Cmd::Validate {
            model,
            data,
            config,
            jobs,
        } => {
            jobs.apply()?;
            let setup = DataSetup::new(&data, &state)?;
            let list = research_tickers(&data)?;
            let base = vec![config.resolve()?];
            let access = setup.access();
            eprintln!("{}", family_line(model.model));
            let sweep = sweeper(model.model);
            let whole = TradeFrom::default();
            let auto = sweep(&access, &list, &base, BarrierRule::Auto, false, &whole)?;
            let hand = sweep(
                &access,
                &list,
                &base,
                BarrierRule::Fixed(Barriers::HAND_TUNED),
                false,
                &whole,
            )?;
            print!("{}", research_report::validate_text(&auto, &hand));
            Ok(if auto.failed.is_empty() && hand.failed.is_empty() {
                0
            } else {
                1
            })
        }
        Cmd::Universe { cmd } => crate::universe::run(&state, &cmd),
        Cmd::Bench {
            fraction,
            years,
            state: dir,
            universe_file,
            database,
            jobs,
        } => {
            jobs.apply()?;
            let universe = crate::universe::chosen(universe_file.as_deref(), &state)?.universe;
            let n = ((universe.tickers.len() as f64 * fraction.clamp(0.0, 1.0)).round() as usize)
                .max(1);
            let list = &universe.tickers[..n.min(universe.tickers.len())];
            let _ = std::fs::remove_dir_all(&dir);
            let bench_state = StateDir::new(&dir);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let database = database.unwrap_or_else(|| bench_state.database_url(false));
            let stages = rt.block_on(rally_research::bench::run_bench(
                &bench_state,
                &database,
                list,
                years,
            ))?;
            let mut t = report::Table::new(
                &format!(
                    "Bench: {} x {} years (synthetic), {} worker threads",
                    rally_text::count(list.len(), "ticker"),
                    years,
                    rayon::current_num_threads()
                ),
                &["stage", "wall s", "tickers/s", "bars/s", "peak RSS MiB"],
            );
            for s in &stages {
                t.row(vec![
                    s.stage.clone(),
                    format!("{:.2}", s.wall_secs),
                    format!("{:.0}", s.tickers as f64 / s.wall_secs.max(1e-9)),
                    if s.bars > 0 {
                        format!("{:.0}", s.bars as f64 / s.wall_secs.max(1e-9))
                    } else {
                        "-".into()
                    },
                    report::num(s.peak_rss_mib, 0),
                ]);
            }
            print!("{}", t.render());
            Ok(0)
        }
    }
}

type Sweeper = fn(
    &rally_pipeline::data::DataAccess<'_>,
    &[String],
    &[TradeConfig],
    BarrierRule,
    bool,
    &TradeFrom,
) -> Result<Sweep, rally_pipeline::PipelineError>;

/// The research sweep of a model family.
fn sweeper(family: ModelFamily) -> Sweeper {
    match family {
        ModelFamily::Classic => sweep_with,
        ModelFamily::V2 => sweep_v2_with,
    }
}

/// What the figures below were computed with.
fn family_line(family: ModelFamily) -> &'static str {
    match family {
        ModelFamily::Classic => "model: classic (per-ticker regression + isotonic, METHOD §6)",
        ModelFamily::V2 => {
            "model: v2 (one pooled regression per fold over these tickers; entry at the fold's 80th percentile of training P)"
        }
    }
}

/// The weekly job: train, print the summary, announce it.
fn train(state: &StateDir, args: &TrainArgs) -> Result<i32> {
    state.remove_stale_temp_files();
    let setup = DataSetup::new(&args.data, state)?;
    let list = research_tickers(&args.data)?;
    let opts = RetrainOptions {
        force: args.force,
        walk_forward: args.walk_forward,
        now: setup.now,
    };
    let bar = progress_bar(list.len());
    let family = args.model.family();
    if args.walk_forward && family == rally_model::Family::V2 {
        // The v2 walk-forward pools every ticker per fold: it is the
        // evaluation's job, not the weekly training's.
        eprintln!(
            "note: --walk-forward measures classic models only; for v2 run `retrainer evaluate --model v2`"
        );
    }
    let r = retrain_family(family, state, &setup.access(), &list, &opts, &bar)?;
    print!("{}", report::retrain_text(&r));
    list_failures(state, "retrain", &r.failed)?;
    if !args.no_alerts {
        let health = rally_pipeline::health::check(state, &list, setup.now);
        announce_retrain(state, &r, &health, setup.now)?;
    }
    Ok(if r.trained.is_empty() && r.skipped_fresh.is_empty() {
        1
    } else {
        0
    })
}

/// Records the "retrain complete" alert in the outbox and delivers it, as
/// the scanner does with its alerts.
fn announce_retrain(
    state: &StateDir,
    r: &rally_pipeline::retrain::RetrainReport,
    health: &rally_pipeline::health::HealthReport,
    now: DateTime<Utc>,
) -> Result<()> {
    let notifiers = build_notifiers(&NotifySettings::from_env()?)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = Store::open(&state.database_url(true))
            .await
            .context("opening the state store")?;
        let key = rally_pipeline::retrain::RetrainReport::dedupe_key(now);
        let result = announce(&store, &notifiers, &r.complete_event(health), &key).await;
        store.close().await;
        result?;
        Ok(())
    })
}

/// More failures than the report lists go to `logs/<what>-failures.txt`,
/// one `TICKER<TAB>reason` line each, and one line says where.
fn list_failures(state: &StateDir, what: &str, failed: &[(String, String)]) -> Result<()> {
    if failed.len() <= report::LISTED_FAILURES {
        return Ok(());
    }
    let path = state.logs().join(format!("{what}-failures.txt"));
    let body: String = failed
        .iter()
        .map(|(t, e)| format!("{t}\t{}\n", e.replace('\n', " ")))
        .collect();
    std::fs::create_dir_all(state.logs())
        .and_then(|()| std::fs::write(&path, body))
        .with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "{} failed; all listed in {}",
        rally_text::count(failed.len(), "ticker"),
        path.display()
    );
    Ok(())
}
