//! The scheduler's real jobs (`ENABLE_SCHEDULER=1`): the daily scan and the
//! weekly retrain through the pipeline library, then alert delivery through
//! the outbox. The numeric work runs on blocking threads (rayon inside), so
//! the Discord connection stays responsive during a run.

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use rally_bot::scheduler::{JobFn, Scheduler, SystemClock};
use rally_data::{Cache, Source, SourceSpec, Universe, open_source};
use rally_notify::{Event, Notifier, backend_names};
use rally_pipeline::announce::announce;
use rally_pipeline::data::DataAccess;
use rally_pipeline::retrain::{RetrainOptions, retrain};
use rally_pipeline::scan::{ScanOptions, run_scan};
use rally_pipeline::state::StateDir;
use rally_store::Store;
use rally_trade::TradeConfig;

/// What the jobs need, shared by both.
#[derive(Debug)]
pub struct JobEnv {
    /// State directory (models, cache).
    pub state: StateDir,
    /// State store.
    pub store: Store,
    /// Data source (`RALLY_SOURCE`), opened once at startup: a setting it
    /// reads (e.g. `YAHOO_TIMEOUT_SECS`) that is wrong stops the bot at
    /// once rather than every scheduled run, and tests pass a source of
    /// their own (a Yahoo at a local address) without touching the
    /// process-wide environment.
    pub source: Arc<dyn Source>,
    /// Trade config of the scan (`RALLY_CONFIG`).
    pub config: TradeConfig,
    /// Alert backends configured in the environment.
    pub notifiers: Vec<Box<dyn Notifier>>,
}

/// The tickers of a run, as the scanner picks them: every ticker with a
/// model, else the default basket.
pub fn run_tickers(state: &StateDir) -> Vec<String> {
    let have = state.model_tickers();
    if have.is_empty() {
        Universe::default_basket().tickers
    } else {
        have
    }
}

impl JobEnv {
    /// Reads `RALLY_SOURCE`, `RALLY_CONFIG` and the alert settings.
    pub fn from_env(state: StateDir, store: Store) -> Result<JobEnv> {
        let source = std::env::var("RALLY_SOURCE")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "yahoo".into());
        let spec = SourceSpec::parse(&source).context("RALLY_SOURCE")?;
        let source: Arc<dyn Source> = Arc::from(open_source(&spec).context("RALLY_SOURCE")?);
        let config = std::env::var("RALLY_CONFIG")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "baseline".into());
        let config = TradeConfig::named(config.trim()).context("RALLY_CONFIG")?;
        let settings = rally_notify::NotifySettings::from_env()?;
        let notifiers = rally_notify::build_notifiers(&settings)?;
        Ok(JobEnv {
            state,
            store,
            source,
            config,
            notifiers,
        })
    }

    /// Sends whatever the outbox holds (this run's alerts and earlier
    /// failures). Delivery problems are logged, never fatal to the job.
    async fn deliver(&self) {
        if let Err(e) = rally_pipeline::announce::deliver(&self.store, &self.notifiers).await {
            tracing::error!(error = %e, "alert delivery failed");
        }
    }

    /// Records an error alert for a failed run and sends it.
    async fn report_failure(&self, context: &str, message: &str) {
        let event = Event::Error {
            context: context.to_owned(),
            message: message.to_owned(),
        };
        let key = format!("error:{context}:{}", Utc::now().timestamp());
        if let Err(e) = announce(&self.store, &self.notifiers, &event, &key).await {
            tracing::error!(error = %e, "could not announce the failure");
        }
    }
}

/// The daily scan: refresh data, score, commit (idempotent), then alert.
async fn scan_job(env: Arc<JobEnv>) -> Result<(), String> {
    let handle = tokio::runtime::Handle::current();
    let e = Arc::clone(&env);
    let outcome = tokio::task::spawn_blocking(move || {
        let cache = Cache::new(e.state.cache());
        let now = Utc::now();
        let data = DataAccess {
            source: e.source.as_ref(),
            cache: Some(&cache),
            now,
            until: None,
        };
        let opts = ScanOptions {
            config: e.config.clone(),
            now,
            backends: backend_names(&e.notifiers),
            backfill: false,
            model: None,
        };
        let tickers = run_tickers(&e.state);
        // The scan is async (store writes) but CPU-bound (rayon): drive it
        // from this blocking thread instead of a runtime worker.
        handle
            .block_on(run_scan(&e.state, &e.store, &data, &tickers, &opts))
            .map_err(|x| x.to_string())
    })
    .await
    .map_err(|x| format!("scan task: {x}"))
    .and_then(|r| r);
    match outcome {
        Ok(r) => {
            tracing::info!(
                as_of = ?r.as_of,
                committed = r.committed,
                scanned = r.scanned,
                signals = r.signals.len(),
                closed = r.closed.len(),
                data_errors = r.data_errors.len(),
                "daily scan done"
            );
            env.deliver().await;
            Ok(())
        }
        Err(msg) => {
            env.report_failure("daily scan", &msg).await;
            Err(msg)
        }
    }
}

/// The weekly retrain, then the "retrain complete" alert.
async fn retrain_job(env: Arc<JobEnv>) -> Result<(), String> {
    let e = Arc::clone(&env);
    let outcome = tokio::task::spawn_blocking(move || {
        let cache = Cache::new(e.state.cache());
        let now = Utc::now();
        let data = DataAccess {
            source: e.source.as_ref(),
            cache: Some(&cache),
            now,
            until: None,
        };
        let tickers = run_tickers(&e.state);
        let opts = RetrainOptions {
            force: false,
            walk_forward: false,
            now,
        };
        let report =
            retrain(&e.state, &data, &tickers, &opts, &|_, _, _| {}).map_err(|x| x.to_string())?;
        let health = rally_pipeline::health::check(&e.state, &tickers, Utc::now());
        Ok::<_, String>((report, health))
    })
    .await
    .map_err(|x| format!("retrain task: {x}"))
    .and_then(|r| r);
    match outcome {
        Ok((r, h)) => {
            tracing::info!(
                trained = r.trained.len(),
                skipped_fresh = r.skipped_fresh.len(),
                failed = r.failed.len(),
                secs = r.elapsed_secs,
                "weekly retrain done"
            );
            let event = r.complete_event(&h);
            let key = rally_pipeline::retrain::RetrainReport::dedupe_key(Utc::now());
            if let Err(e) = announce(&env.store, &env.notifiers, &event, &key).await {
                tracing::error!(error = %e, "could not announce the retrain");
            }
            Ok(())
        }
        Err(msg) => {
            env.report_failure("weekly retrain", &msg).await;
            Err(msg)
        }
    }
}

/// Starts the scheduler on the wall clock as a background task.
pub fn start(env: JobEnv) -> tokio::task::JoinHandle<()> {
    let env = Arc::new(env);
    let scan: JobFn = {
        let env = Arc::clone(&env);
        Arc::new(move || Box::pin(scan_job(Arc::clone(&env))))
    };
    let retrain: JobFn = {
        let env = Arc::clone(&env);
        Arc::new(move || Box::pin(retrain_job(Arc::clone(&env))))
    };
    tracing::info!(
        backends = ?backend_names(&env.notifiers),
        "scheduler on: scan Mon-Fri 21:30 UTC, retrain Sun 23:00 UTC"
    );
    tokio::spawn(Scheduler::new(SystemClock, scan, retrain).run())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rally_data::{SyntheticSource, YahooSource};
    use rally_testkit::{Behaviour, FakeYahoo};

    /// The synthetic market the models learn and the fake Yahoo serves.
    const SEED: u64 = 42;

    /// Trains live models of `tickers` on the whole synthetic history,
    /// stamped now (so the scan finds them fresh).
    fn train(state: &StateDir, tickers: &[String]) {
        let source = SyntheticSource::new(SEED);
        let now = Utc::now();
        let data = DataAccess {
            source: &source,
            cache: None,
            now,
            until: None,
        };
        let opts = RetrainOptions {
            force: true,
            walk_forward: false,
            now,
        };
        let r = retrain(state, &data, tickers, &opts, &|_, _, _| {}).unwrap();
        assert_eq!(r.trained.len(), tickers.len(), "failed: {:?}", r.failed);
    }

    /// The scheduled scan on the default source, Yahoo (a local stand-in),
    /// from inside the bot's multi-threaded runtime: it used to abort with
    /// "Cannot start a runtime from within a runtime". A 429 that clears
    /// costs nothing, an unknown symbol costs that ticker only, and the scan
    /// commits.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_scheduled_scan_runs_on_yahoo_and_commits() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let tickers: Vec<String> = ["SPY", "QQQ", "AAPL", "GS"]
            .iter()
            .map(|t| (*t).to_owned())
            .collect();
        let (s, t) = (state.clone(), tickers.clone());
        tokio::task::spawn_blocking(move || train(&s, &t))
            .await
            .unwrap();

        let yahoo = FakeYahoo::start(SEED, None).unwrap();
        yahoo.set("AAPL", Behaviour::RateLimited(1));
        yahoo.set("GS", Behaviour::NotFound);
        let store = Store::open(&state.database_url(false)).await.unwrap();
        let env = Arc::new(JobEnv {
            state: state.clone(),
            store: store.clone(),
            source: Arc::new(YahooSource::new().with_base_url(yahoo.base())),
            config: TradeConfig::named("baseline").unwrap(),
            notifiers: Vec::new(),
        });
        let mut sorted = tickers.clone();
        sorted.sort();
        assert_eq!(
            run_tickers(&state),
            sorted,
            "the job scans the trained tickers"
        );

        scan_job(Arc::clone(&env)).await.unwrap();

        let run = store
            .last_scan_run()
            .await
            .unwrap()
            .expect("scan committed");
        let last_day = SyntheticSource::new(SEED)
            .load("SPY")
            .unwrap()
            .series
            .dates
            .last()
            .copied();
        assert_eq!(Some(run.as_of), last_day);
        assert_eq!(run.n_scanned, 3, "all but GS: {run:?}");
        assert_eq!(run.status, "partial", "GS is a data error");
        assert_eq!(yahoo.count("AAPL"), 2, "one 429, then the bars");
        assert_eq!(yahoo.count("GS"), 1, "a 404 is not retried");
        assert!(yahoo.count("SPY") >= 1);

        // The same day again: nothing new to commit, and still no failure.
        scan_job(env).await.unwrap();
        let again = store.last_scan_run().await.unwrap().unwrap();
        assert_eq!(again.as_of, run.as_of);
        assert_eq!(again.finished_at, run.finished_at, "not committed twice");
    }
}
