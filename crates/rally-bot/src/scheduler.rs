//! The in-process scheduler of the Discord bot: runs the jobs of the weekly
//! calendar (`rally_pipeline::calendar`: the daily scan Monday to Friday at
//! 21:30 UTC, the weekly retrain on Sunday at 23:00 UTC).
//!
//! Timing is a pure function ([`next_run`]); the [`Scheduler`] sleeps on an
//! injectable [`Clock`] (tests use [`ManualClock`], no real waiting) and runs
//! the jobs, which are plain async closures so the binary plugs in the real
//! scan and retrain and tests plug in counters. One run at a time: a slot that
//! comes while a run is still going is skipped and logged, never queued, so a
//! slow retrain cannot pile up scans behind it. CPU-heavy jobs should move
//! their work onto `tokio::task::spawn_blocking` inside the closure.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
pub use rally_pipeline::calendar::{Job, RETRAIN_AT, SCAN_AT, job_on, next_run};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A boxed future of a job.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A job: called once per run, its future runs to completion.
pub type JobFn = Arc<dyn Fn() -> JobFuture + Send + Sync>;

/// A source of time that can also wait.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Resolves once `now() >= t`.
    fn sleep_until(&self, t: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The wall clock. Sleeps in steps of at most a minute and re-reads the
/// time, so a suspended machine or a clock adjustment delays a run by at
/// most a minute instead of a whole sleep.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            loop {
                let left = t - Utc::now();
                if left <= Duration::zero() {
                    return;
                }
                let step = left
                    .to_std()
                    .unwrap_or_default()
                    .min(std::time::Duration::from_secs(60));
                tokio::time::sleep(step).await;
            }
        })
    }
}

/// A clock that moves only when told to, for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: Notify,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(ManualClock {
            now: Mutex::new(start),
            moved: Notify::new(),
        })
    }

    /// Sets the time and wakes the sleepers.
    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = t;
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            loop {
                // Register before checking, so a `set` in between is not missed.
                let moved = self.moved.notified();
                if self.now() >= t {
                    return;
                }
                moved.await;
            }
        })
    }
}

impl<C: Clock> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        (**self).sleep_until(t)
    }
}

/// Counters of a scheduler, for logs and tests.
#[derive(Debug, Default)]
pub struct SchedulerStats {
    /// Scans started.
    pub scans: AtomicUsize,
    /// Retrains started.
    pub retrains: AtomicUsize,
    /// Slots skipped because a run was in progress.
    pub skipped: AtomicUsize,
    /// Runs that returned an error.
    pub failed: AtomicUsize,
    /// Runs finished (successfully or not).
    pub finished: AtomicUsize,
}

/// Runs the scan and retrain jobs on their schedule, one at a time.
pub struct Scheduler<C: Clock> {
    clock: C,
    scan: JobFn,
    retrain: JobFn,
    busy: Arc<tokio::sync::Mutex<()>>,
    stats: Arc<SchedulerStats>,
}

impl<C: Clock> fmt::Debug for Scheduler<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<C: Clock> Scheduler<C> {
    /// A scheduler of `scan` and `retrain` on `clock`.
    pub fn new(clock: C, scan: JobFn, retrain: JobFn) -> Self {
        Scheduler {
            clock,
            scan,
            retrain,
            busy: Arc::new(tokio::sync::Mutex::new(())),
            stats: Arc::new(SchedulerStats::default()),
        }
    }

    /// The counters (shared; they keep counting while the scheduler runs).
    pub fn stats(&self) -> Arc<SchedulerStats> {
        Arc::clone(&self.stats)
    }

    /// Starts `job` now unless a run is in progress. Returns the run's task,
    /// or `None` if it was skipped.
    pub fn trigger(&self, job: Job) -> Option<JoinHandle<()>> {
        let Ok(guard) = Arc::clone(&self.busy).try_lock_owned() else {
            self.stats.skipped.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(%job, "previous run still in progress; skipping this slot");
            return None;
        };
        let (f, counter) = match job {
            Job::Scan => (&self.scan, &self.stats.scans),
            Job::Retrain => (&self.retrain, &self.stats.retrains),
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let fut = f();
        let stats = Arc::clone(&self.stats);
        Some(tokio::spawn(async move {
            // The guard lives as long as the run, whatever the job does.
            let _guard = guard;
            tracing::info!(%job, "scheduled run started");
            let started = std::time::Instant::now();
            // A panicking job must not take the scheduler (or the guard's
            // release) down with it: run it as its own task.
            let outcome = tokio::spawn(fut).await;
            let secs = started.elapsed().as_secs_f64();
            match outcome {
                Ok(Ok(())) => tracing::info!(%job, secs, "scheduled run finished"),
                Ok(Err(e)) => {
                    stats.failed.fetch_add(1, Ordering::SeqCst);
                    tracing::error!(%job, secs, error = %e, "scheduled run failed");
                }
                Err(e) => {
                    stats.failed.fetch_add(1, Ordering::SeqCst);
                    tracing::error!(%job, secs, error = %e, "scheduled run panicked");
                }
            }
            stats.finished.fetch_add(1, Ordering::SeqCst);
        }))
    }

    /// Runs forever: waits for each slot on the clock and triggers its job.
    /// Runs are spawned, so a long run does not delay the timing of the next
    /// slot (which is then skipped).
    pub async fn run(self) {
        loop {
            let (at, job) = next_run(self.clock.now());
            tracing::info!(%job, at = %at.format("%Y-%m-%d %H:%M UTC"), "next scheduled run");
            self.clock.sleep_until(at).await;
            let _ = self.trigger(job);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// Polls `cond` on the real clock (the runner lives on other tasks).
    async fn until(cond: impl Fn() -> bool) {
        for _ in 0..500 {
            if cond() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("condition not reached");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runner_fires_on_the_manual_clock_and_never_overlaps() {
        let clock = ManualClock::new(t("2024-05-03T21:29:00Z"));
        // The scan holds until released; the retrain finishes at once.
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let running = Arc::new(AtomicUsize::new(0));
        let max_running = Arc::new(AtomicUsize::new(0));
        let job = |hold: bool| -> JobFn {
            let (release, running, max_running) = (
                Arc::clone(&release),
                Arc::clone(&running),
                Arc::clone(&max_running),
            );
            Arc::new(move || {
                let (release, running, max_running) = (
                    Arc::clone(&release),
                    Arc::clone(&running),
                    Arc::clone(&max_running),
                );
                Box::pin(async move {
                    let n = running.fetch_add(1, Ordering::SeqCst) + 1;
                    max_running.fetch_max(n, Ordering::SeqCst);
                    if hold {
                        release.acquire().await.map_err(|e| e.to_string())?.forget();
                    }
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
            })
        };
        let sched = Scheduler::new(Arc::clone(&clock), job(true), job(false));
        let stats = sched.stats();
        let runner = tokio::spawn(sched.run());

        // Friday 21:29: nothing yet, even after a while.
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        assert_eq!(stats.scans.load(Ordering::SeqCst), 0);

        // 21:30: the scan starts (and hangs on the semaphore).
        clock.set(t("2024-05-03T21:30:00Z"));
        until(|| stats.scans.load(Ordering::SeqCst) == 1).await;

        // Saturday: nothing runs.
        clock.set(t("2024-05-04T12:00:00Z"));
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        assert_eq!(stats.retrains.load(Ordering::SeqCst), 0);
        assert_eq!(stats.skipped.load(Ordering::SeqCst), 0);

        // Sunday 23:00 while the scan still runs: the retrain is skipped.
        clock.set(t("2024-05-05T23:00:00Z"));
        until(|| stats.skipped.load(Ordering::SeqCst) == 1).await;
        assert_eq!(stats.retrains.load(Ordering::SeqCst), 0);

        // The scan finishes; Monday to Friday scan again, one after the other.
        release.add_permits(1);
        until(|| stats.finished.load(Ordering::SeqCst) == 1).await;
        release.add_permits(10);
        for (i, day) in ["06", "07", "08", "09", "10"].iter().enumerate() {
            clock.set(t(&format!("2024-05-{day}T21:30:00Z")));
            until(|| stats.finished.load(Ordering::SeqCst) == i + 2).await;
            assert_eq!(stats.scans.load(Ordering::SeqCst), i + 2);
        }

        // Sunday 23:00 with nothing running: the retrain runs.
        clock.set(t("2024-05-12T23:00:00Z"));
        until(|| stats.finished.load(Ordering::SeqCst) == 7).await;
        assert_eq!(stats.retrains.load(Ordering::SeqCst), 1);
        assert_eq!(
            max_running.load(Ordering::SeqCst),
            1,
            "never two runs at once"
        );
        assert_eq!(stats.failed.load(Ordering::SeqCst), 0);
        runner.abort();
    }

    #[tokio::test]
    async fn failing_and_panicking_jobs_release_the_lock() {
        let fail: JobFn = Arc::new(|| Box::pin(async { Err("boom".to_string()) }));
        let panic: JobFn = Arc::new(|| Box::pin(async { panic!("job panicked") }));
        let sched = Scheduler::new(SystemClock, fail, panic);
        sched.trigger(Job::Scan).unwrap().await.unwrap();
        sched.trigger(Job::Retrain).unwrap().await.unwrap();
        let stats = sched.stats();
        assert_eq!(stats.failed.load(Ordering::SeqCst), 2);
        assert!(
            sched.trigger(Job::Scan).is_some(),
            "lock released after a panic"
        );
    }
}
