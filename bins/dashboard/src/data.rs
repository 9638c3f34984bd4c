//! Loading what the dashboard shows: one [`Snapshot`] of the state store, the
//! model health, and (with `--live`) the latest quotes of the open positions.
//!
//! The dashboard only reads. A database that does not exist yet is *not*
//! created (the first run shows the empty-state screen instead), and an
//! existing one is opened read-only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use rally_data::{DataError, SourceSpec};
use rally_pipeline::health::{self, HealthReport};
use rally_pipeline::scan::ScanSummary;
use rally_pipeline::state::StateDir;
use rally_store::{
    ClosedTradeRow, EquitySnapshot, OutboxStatusCount, PositionRow, ScanRun, SignalRow, Store,
};

/// What to load, from the command line.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where models and the default database live.
    pub state: StateDir,
    /// The database URL or path.
    pub database_url: String,
    /// Journal rows to show.
    pub journal: u32,
    /// Equity snapshots (days) to chart.
    pub equity: u32,
    /// Judge model freshness by the clock of the last scan instead of the
    /// wall clock (`--demo`: the demo replays a simulated calendar).
    pub scan_clock: bool,
}

/// Latest market context of the last scan (its `summary_json`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Market {
    /// Latest VIX close.
    pub vix: Option<f64>,
    /// `calm`, `normal`, `elevated`, `fear`.
    pub vix_label: Option<String>,
    /// Breadth figures, as `(name, value text)` in the scanner's order.
    pub breadth: Vec<(String, String)>,
    /// Watchlist of the last scan, if the scanner recorded one.
    pub watchlist: Vec<WatchItem>,
    /// The system against buy-and-hold of the same tickers, if recorded.
    pub benchmark: Option<rally_pipeline::scan::LiveBenchmark>,
}

/// One watchlist entry (near-signals of the last scan).
#[derive(Debug, Clone, PartialEq)]
pub struct WatchItem {
    pub ticker: String,
    pub p_rally: Option<f64>,
    /// Model v2: the P's rank among the training setups (percent at or above).
    pub setup_top_pct: Option<f64>,
    pub compression: Option<f64>,
    pub price: Option<f64>,
}

/// State of the `--live` quote fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Live {
    /// `--live` not given.
    Off,
    /// Fetch under way.
    Fetching { since: DateTime<Utc> },
    /// Fetch finished (some or all tickers).
    Quotes(LiveQuotes),
    /// Nothing could be fetched: stored prices are shown.
    Offline { reason: String, at: DateTime<Utc> },
}

/// Latest prices fetched from the data source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveQuotes {
    /// When the fetch finished.
    pub as_of: DateTime<Utc>,
    /// Source description (`yahoo`, `csv:DIR`, ...).
    pub source: String,
    /// Ticker -> (last close, its date).
    pub prices: BTreeMap<String, (f64, NaiveDate)>,
    /// Tickers that failed, with the reason (which does not repeat the
    /// ticker; see [`failure_summary`]).
    pub errors: Vec<(String, String)>,
}

/// Whether the store could be read.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreState {
    /// Read successfully.
    Ok,
    /// The database file does not exist yet (first run).
    Missing(PathBuf),
}

/// Everything one screen shows, loaded at once.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Database as shown to the user (path or URL without query).
    pub database: String,
    pub store: StoreState,
    /// When this snapshot was read.
    pub loaded_at: DateTime<Utc>,
    pub positions: Vec<PositionRow>,
    /// Newest first, at most `--journal` rows.
    pub journal: Vec<ClosedTradeRow>,
    /// Closed trades in total and their summed P&L (all of the journal).
    pub closed_count: usize,
    pub realised_pnl: f64,
    /// Oldest first, at most `--equity` rows.
    pub equity: Vec<EquitySnapshot>,
    pub signals: Vec<SignalRow>,
    pub last_scan: Option<ScanRun>,
    pub market: Market,
    pub outbox: Vec<OutboxStatusCount>,
    pub dead_events: usize,
    pub health: HealthReport,
    pub models_dir: PathBuf,
    pub live: Live,
    /// The time model freshness was judged at.
    pub health_at: DateTime<Utc>,
    /// Whether `health_at` is the last scan's (simulated) clock.
    pub scan_clock: bool,
}

impl Snapshot {
    /// A snapshot with nothing in it.
    pub fn empty(database: impl Into<String>, store: StoreState, models_dir: PathBuf) -> Snapshot {
        Snapshot {
            database: database.into(),
            store,
            loaded_at: Utc::now(),
            positions: Vec::new(),
            journal: Vec::new(),
            closed_count: 0,
            realised_pnl: 0.0,
            equity: Vec::new(),
            signals: Vec::new(),
            last_scan: None,
            market: Market::default(),
            outbox: Vec::new(),
            dead_events: 0,
            health: HealthReport::default(),
            models_dir,
            live: Live::Off,
            health_at: Utc::now(),
            scan_clock: false,
        }
    }

    /// Price to mark a position with: the live quote when there is one,
    /// else the scanner's last price. Returns the price and its date.
    pub fn mark(&self, p: &PositionRow) -> (f64, NaiveDate, bool) {
        if let Live::Quotes(q) = &self.live
            && let Some(&(price, date)) = q.prices.get(&p.ticker)
        {
            return (price, date, true);
        }
        (p.last_price, p.last_date, false)
    }

    /// Unrealised P&L in money over the filled positions.
    pub fn unrealised_pnl(&self) -> f64 {
        self.positions
            .iter()
            .filter_map(|p| {
                let (entry, shares) = (p.entry_fill?, p.shares?);
                Some((self.mark(p).0 - entry) * shares)
            })
            .sum()
    }

    /// Money in the filled positions at the marked prices.
    pub fn marked_exposure(&self) -> f64 {
        self.positions
            .iter()
            .filter_map(|p| Some(self.mark(p).0 * p.shares?))
            .sum()
    }

    /// Whether the store holds nothing to show yet.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
            && self.journal.is_empty()
            && self.equity.is_empty()
            && self.signals.is_empty()
            && self.last_scan.is_none()
    }
}

/// The database file a `sqlite:` URL or plain path names; `None` for an
/// in-memory database.
pub fn database_file(url_or_path: &str) -> Option<PathBuf> {
    let s = url_or_path.trim();
    if rally_store::Backend::of_url(s) == rally_store::Backend::Postgres {
        return None;
    }
    let rest = match s.strip_prefix("sqlite:") {
        Some(r) => r.strip_prefix("//").unwrap_or(r),
        None => s,
    };
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" || s.contains("mode=memory") {
        None
    } else {
        Some(PathBuf::from(path))
    }
}

/// Shown name of a database URL: never its query string (which may carry
/// options or, for other schemes, credentials).
fn shown_database(url_or_path: &str) -> String {
    match database_file(url_or_path) {
        Some(p) => p.display().to_string(),
        None => rally_store::shown_url(url_or_path),
    }
}

/// Loads a snapshot on a small private tokio runtime. Must not be called from
/// inside an async context.
pub fn load(opts: &LoadOptions) -> anyhow::Result<Snapshot> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(load_async(opts))
}

/// Loads a snapshot: the store (if it exists), then the model health.
pub async fn load_async(opts: &LoadOptions) -> anyhow::Result<Snapshot> {
    let shown = shown_database(&opts.database_url);
    let models_dir = opts.state.models();
    if let Some(file) = database_file(&opts.database_url).filter(|f| !f.exists()) {
        let mut snap = Snapshot::empty(shown, StoreState::Missing(file), models_dir);
        snap.health = health::check(&opts.state, &[], Utc::now());
        return Ok(snap);
    }
    // Read-only by design: never created, migrated or marked from here.
    // The store's errors name their cause (an older schema says to run
    // `scanner` once; a permission problem says so).
    let store = Store::open_read_only(&opts.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the state store {shown}: {e}"))?;
    let read = read_store(&store, opts, shown.clone(), models_dir).await;
    store.close().await;
    let mut snap = read.map_err(|e| anyhow::anyhow!("cannot read the state store {shown}: {e}"))?;

    // Health of every model found plus the tickers the store refers to, so a
    // position or signal whose model is gone shows up as missing.
    let mut universe: Vec<String> = snap
        .positions
        .iter()
        .map(|p| p.ticker.clone())
        .chain(snap.signals.iter().map(|s| s.ticker.clone()))
        .collect();
    universe.sort();
    universe.dedup();
    if let Some(run) = snap.last_scan.as_ref().filter(|_| opts.scan_clock) {
        snap.health_at = run.finished_at;
        snap.scan_clock = true;
    } else {
        snap.health_at = Utc::now();
    }
    snap.health = health::check(&opts.state, &universe, snap.health_at);
    Ok(snap)
}

async fn read_store(
    store: &Store,
    opts: &LoadOptions,
    shown: String,
    models_dir: PathBuf,
) -> Result<Snapshot, rally_store::StoreError> {
    let mut snap = Snapshot::empty(shown, StoreState::Ok, models_dir);
    snap.positions = store.open_positions().await?;
    let all = store.closed_trades(None).await?;
    snap.closed_count = all.len();
    snap.realised_pnl = all.iter().map(|t| t.pnl).sum();
    snap.journal = all.into_iter().take(opts.journal as usize).collect();
    snap.equity = store.equity_history(Some(opts.equity)).await?;
    snap.signals = store.latest_signals().await?;
    snap.last_scan = store.last_scan_run().await?;
    snap.market = snap
        .last_scan
        .as_ref()
        .and_then(|r| r.summary_json.as_deref())
        .map(parse_market)
        .unwrap_or_default();
    snap.outbox = store.outbox_status().await?;
    snap.dead_events = store.dead_events().await?.len();
    snap.loaded_at = Utc::now();
    Ok(snap)
}

/// The dashboard's view of a scan's stored summary — the typed contract
/// the scanner writes ([`ScanSummary`]). A summary that does not parse is
/// shown as no market context (and logged), never guessed at.
pub fn parse_market(json: &str) -> Market {
    match ScanSummary::from_json(json) {
        Ok(s) => market_of(&s),
        Err(e) => {
            tracing::warn!("the last scan's summary is unreadable: {e}");
            Market::default()
        }
    }
}

/// Breadth and watchlist of a summary as the panels show them.
pub fn market_of(s: &ScanSummary) -> Market {
    let b = &s.breadth;
    let share = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |v| rally_text::percent(v, 0));
    let crosses = if b.golden_crosses.is_empty() {
        "none".to_owned()
    } else {
        b.golden_crosses.join(" ")
    };
    Market {
        vix: s.vix.or(b.vix),
        vix_label: s.vix_label.clone().or_else(|| b.vix_label.clone()),
        breadth: vec![
            ("above SMA50".to_owned(), share(b.above_sma50)),
            ("above SMA200".to_owned(), share(b.above_sma200)),
            ("golden crosses".to_owned(), crosses),
        ],
        watchlist: s
            .watchlist
            .iter()
            .map(|w| WatchItem {
                ticker: w.ticker.clone(),
                p_rally: Some(w.p_rally),
                setup_top_pct: w.setup_top_pct,
                compression: Some(w.compression),
                price: Some(w.close),
            })
            .collect(),
        benchmark: s.benchmark.clone(),
    }
}

/// Fetches the latest close of each ticker through the data source, on its
/// own thread (the Yahoo source runs its own runtime). The result arrives on
/// the returned channel; a caller that cannot wait uses `try_recv`.
pub fn spawn_live_fetch(spec: SourceSpec, tickers: Vec<String>) -> mpsc::Receiver<Live> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("live-quotes".into())
        .spawn({
            let tx = tx.clone();
            move || {
                let _ = tx.send(fetch_live(&spec, &tickers));
            }
        });
    if let Err(e) = spawned {
        let _ = tx.send(Live::Offline {
            reason: format!("cannot start the fetch: {e}"),
            at: Utc::now(),
        });
    }
    rx
}

/// Waits for a live fetch at most `timeout`.
pub fn wait_live(rx: &mpsc::Receiver<Live>, timeout: Duration) -> Live {
    rx.recv_timeout(timeout).unwrap_or_else(|e| Live::Offline {
        reason: match e {
            mpsc::RecvTimeoutError::Timeout => format!("no answer within {}s", timeout.as_secs()),
            mpsc::RecvTimeoutError::Disconnected => "the fetch stopped".to_owned(),
        },
        at: Utc::now(),
    })
}

/// The blocking fetch behind [`spawn_live_fetch`].
pub fn fetch_live(spec: &SourceSpec, tickers: &[String]) -> Live {
    let at = Utc::now();
    if tickers.is_empty() {
        return Live::Quotes(LiveQuotes {
            as_of: at,
            source: spec.to_string(),
            ..LiveQuotes::default()
        });
    }
    let source = match rally_data::open_source(spec) {
        Ok(s) => s,
        Err(e) => {
            return Live::Offline {
                reason: e.to_string(),
                at,
            };
        }
    };
    let mut q = LiveQuotes {
        source: source.describe(),
        ..LiveQuotes::default()
    };
    for (t, r) in tickers.iter().zip(source.load_many(tickers)) {
        match r {
            Ok(loaded) => {
                let s = &loaded.series;
                if let (Some(&close), Some(date)) = (s.close.last(), s.last_date()) {
                    q.prices.insert(t.clone(), (close, date));
                } else {
                    q.errors.push((t.clone(), "no bars".to_owned()));
                }
            }
            Err(e) => q.errors.push((t.clone(), failure_cause(&e))),
        }
    }
    q.as_of = Utc::now();
    if q.prices.is_empty() {
        return Live::Offline {
            reason: failure_summary(&q.errors).unwrap_or_else(|| "no data".to_owned()),
            at: q.as_of,
        };
    }
    Live::Quotes(q)
}

/// Why one ticker has no quote, without the ticker itself: a per-ticker
/// [`DataError`] starts with `TICKER: ` by its format, and the tickers
/// sharing a cause are listed once by [`failure_summary`] instead.
fn failure_cause(e: &DataError) -> String {
    let full = e.to_string();
    match e.ticker() {
        Some(t) => full
            .strip_prefix(t)
            .and_then(|rest| rest.strip_prefix(": "))
            .map_or_else(|| full.clone(), str::to_owned),
        None => full,
    }
}

/// One clear line about failed tickers: the cause most of them share and
/// which tickers it hit (`yahoo: HTTP 500 for AAPL, MSFT`), then how many
/// failed for other causes. `None` when nothing failed.
pub fn failure_summary(errors: &[(String, String)]) -> Option<String> {
    // Causes in order of first appearance, each with its tickers.
    let mut causes: Vec<(&str, Vec<&str>)> = Vec::new();
    for (ticker, cause) in errors {
        match causes.iter_mut().find(|(c, _)| c == cause) {
            Some((_, tickers)) => tickers.push(ticker),
            None => causes.push((cause, vec![ticker])),
        }
    }
    // The most common cause; the first seen on a tie (stable).
    let top = (0..causes.len()).rev().max_by_key(|&i| causes[i].1.len())?;
    let (cause, tickers) = &causes[top];
    let mut out = format!("{cause} for {}", tickers.join(", "));
    let others = errors.len() - tickers.len();
    if others > 0 {
        out.push_str(&format!(
            "; {others} more failed for other causes ({})",
            causes
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != top)
                .flat_map(|(_, (_, t))| t.iter().copied())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_file_of_urls_and_paths() {
        assert_eq!(
            database_file("sqlite://models/rally.db"),
            Some(PathBuf::from("models/rally.db"))
        );
        assert_eq!(
            database_file("sqlite:///abs/x.db?mode=rwc"),
            Some(PathBuf::from("/abs/x.db"))
        );
        assert_eq!(database_file("sqlite:x.db"), Some(PathBuf::from("x.db")));
        assert_eq!(database_file("/p/y.db"), Some(PathBuf::from("/p/y.db")));
        assert_eq!(database_file("sqlite::memory:"), None);
        // A server is no file, and is shown without its credentials.
        let pg = "postgres://rally:hunter2@db.internal:5433/state?sslmode=require";
        assert_eq!(database_file(pg), None);
        assert_eq!(shown_database(pg), "postgres://db.internal:5433/state");
    }

    #[test]
    fn failures_are_summarised_by_their_shared_cause() {
        let e = |t: &str, c: &str| (t.to_owned(), c.to_owned());
        assert_eq!(failure_summary(&[]), None);
        assert_eq!(
            failure_summary(&[e("AAPL", "yahoo: HTTP 500"), e("MSFT", "yahoo: HTTP 500")])
                .as_deref(),
            Some("yahoo: HTTP 500 for AAPL, MSFT")
        );
        assert_eq!(
            failure_summary(&[
                e("NVDA", "yahoo: HTTP 404"),
                e("AAPL", "yahoo: request timed out"),
                e("MSFT", "yahoo: request timed out"),
            ])
            .as_deref(),
            Some("yahoo: request timed out for AAPL, MSFT; 1 more failed for other causes (NVDA)")
        );
        let cause = failure_cause(&DataError::Remote {
            ticker: "AAPL".into(),
            message: "HTTP 500".into(),
        });
        assert_eq!(cause, "yahoo: HTTP 500");
        let cause = failure_cause(&DataError::UnknownSource("ftp".into()));
        assert!(cause.starts_with("unknown source"), "{cause}");
    }

    #[test]
    fn market_summary_is_the_scanners_typed_summary() {
        // What the scanner writes today, and what an older scanner wrote
        // (no watchlist): both read through the one type.
        let m = parse_market(
            r#"{"vix":18.5,"vix_label":"normal","breadth":{"above_sma50":0.62,"above_sma200":null,"golden_crosses":["AAPL"],"n":40,"vix":18.5,"vix_label":"normal"},"watchlist":[{"ticker":"NFLX","date":"2026-08-21","p_rally":0.583,"compression":0.41,"close":612.5}]}"#,
        );
        assert_eq!(m.vix, Some(18.5));
        assert_eq!(m.vix_label.as_deref(), Some("normal"));
        let want: Vec<(String, String)> = [
            ("above SMA50", "62%"),
            ("above SMA200", "n/a"),
            ("golden crosses", "AAPL"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(m.breadth, want);
        assert_eq!(m.watchlist.len(), 1);
        assert_eq!(m.watchlist[0].price, Some(612.5));
        let old = parse_market(r#"{"vix":12.0,"vix_label":"calm","breadth":{"n":3}}"#);
        assert_eq!((old.vix, old.watchlist.len()), (Some(12.0), 0));
        assert_eq!(parse_market("not json"), Market::default());
    }

    /// A line of a short record (no annualised figure).
    fn line(total_return: f64, exposure: f64) -> rally_trade::PortfolioFigures {
        rally_trade::PortfolioFigures {
            total_return,
            cagr: None,
            sharpe: None,
            sortino: None,
            max_drawdown: -0.01,
            exposure: Some(exposure),
        }
    }

    #[test]
    fn what_the_scanner_writes_is_what_the_dashboard_reads() {
        let written = ScanSummary {
            vix: Some(21.0),
            vix_label: Some("elevated".into()),
            breadth: rally_pipeline::scan::Breadth {
                n: 2,
                above_sma50: Some(0.5),
                above_sma200: Some(1.0),
                golden_crosses: vec!["SPY".into()],
                vix: Some(21.0),
                vix_label: Some("elevated".into()),
            },
            watchlist: Vec::new(),
            benchmark: Some(rally_pipeline::scan::LiveBenchmark {
                since: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default(),
                system_return: 0.002,
                buy_hold_return: 0.034,
                every_compressed_return: Some(0.011),
                tickers: 26,
                figures: Some(rally_pipeline::scan::LiveFigures {
                    dates: 9,
                    annualised: false,
                    system: line(0.002, 0.1),
                    buy_hold: line(0.034, 1.0),
                    every_compressed: None,
                }),
            }),
        };
        let json = serde_json::to_string(&written).unwrap_or_default();
        assert_eq!(parse_market(&json), market_of(&written));
        assert_eq!(market_of(&written).breadth[1].1, "100%");
    }
}
