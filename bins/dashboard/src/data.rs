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
}

/// One watchlist entry (near-signals of the last scan).
#[derive(Debug, Clone, PartialEq)]
pub struct WatchItem {
    pub ticker: String,
    pub p_rally: Option<f64>,
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
        None => url_or_path
            .split('?')
            .next()
            .unwrap_or(url_or_path)
            .to_owned(),
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

/// Reads the scanner's summary JSON leniently: `vix` (number, or an object
/// with `value`/`close` and `label`), `vix_label`, `breadth` (object of
/// figures), `watchlist` (array of objects with `ticker`, `p_rally`,
/// `compression`, `price`). Unknown or malformed parts are skipped.
pub fn parse_market(json: &str) -> Market {
    use serde_json::Value;
    let mut m = Market::default();
    let Ok(v) = serde_json::from_str::<Value>(json) else {
        return m;
    };
    match v.get("vix") {
        Some(Value::Number(n)) => m.vix = n.as_f64(),
        Some(Value::Object(o)) => {
            m.vix = ["value", "close", "last"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_f64));
            m.vix_label = o.get("label").and_then(Value::as_str).map(str::to_owned);
        }
        _ => {}
    }
    if let Some(l) = v.get("vix_label").and_then(Value::as_str) {
        m.vix_label = Some(l.to_owned());
    }
    if let Some(Value::Object(b)) = v.get("breadth") {
        // The scanner's figures first, in a reading order, then anything new.
        const KNOWN: [(&str, &str); 4] = [
            ("n", "scanned"),
            ("above_sma50", "above SMA50"),
            ("above_sma200", "above SMA200"),
            ("golden_crosses", "golden crosses"),
        ];
        let mut keys: Vec<&String> = b.keys().collect();
        keys.sort_by_key(|k| {
            KNOWN
                .iter()
                .position(|(n, _)| n == k)
                .unwrap_or(KNOWN.len())
        });
        if m.vix.is_none() {
            m.vix = b.get("vix").and_then(Value::as_f64);
        }
        if m.vix_label.is_none() {
            m.vix_label = b
                .get("vix_label")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        for k in keys {
            // `n` repeats the scan row's ticker count; VIX is shown on its own.
            if k == "n" || k == "vix" || k == "vix_label" {
                continue;
            }
            let Some(val) = b.get(k) else { continue };
            let label = KNOWN
                .iter()
                .find(|(n, _)| n == k)
                .map_or_else(|| k.replace('_', " "), |(_, l)| (*l).to_owned());
            let text = match val {
                Value::Number(n) => {
                    let x = n.as_f64().unwrap_or(f64::NAN);
                    let share = k.contains("pct") || k.contains("share") || k.contains("above");
                    if n.is_f64() && share && (0.0..=1.0).contains(&x) {
                        rally_text::percent(x, 0)
                    } else if n.is_f64() {
                        format!("{x:.2}")
                    } else {
                        n.to_string()
                    }
                }
                Value::String(s) => s.clone(),
                Value::Array(a) => {
                    let items: Vec<String> = a
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                        .collect();
                    if items.is_empty() {
                        "none".to_owned()
                    } else {
                        items.join(" ")
                    }
                }
                Value::Null => "n/a".to_owned(),
                other => other.to_string(),
            };
            m.breadth.push((label, text));
        }
    }
    if let Some(Value::Array(w)) = v.get("watchlist") {
        for item in w {
            let Some(ticker) = item.get("ticker").and_then(Value::as_str) else {
                continue;
            };
            let num = |k: &str| item.get(k).and_then(Value::as_f64);
            m.watchlist.push(WatchItem {
                ticker: ticker.to_owned(),
                p_rally: num("p_rally").or_else(|| num("p")),
                compression: num("compression"),
                price: num("price").or_else(|| num("close")),
            });
        }
    }
    m
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
    fn market_summary_is_read_leniently() {
        let m = parse_market(
            r#"{"vix":18.5,"vix_label":"normal","breadth":{"above_sma50":0.62,"above_sma200":null,"golden_crosses":["AAPL"],"n":40,"vix":18.5,"vix_label":"normal","new_thing":1.5}}"#,
        );
        assert_eq!(m.vix, Some(18.5));
        assert_eq!(m.vix_label.as_deref(), Some("normal"));
        let want: Vec<(String, String)> = [
            ("above SMA50", "62%"),
            ("above SMA200", "n/a"),
            ("golden crosses", "AAPL"),
            ("new thing", "1.50"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(m.breadth, want);
        let m = parse_market(r#"{"vix":{"value":31.2,"label":"fear"}}"#);
        assert_eq!((m.vix, m.vix_label.as_deref()), (Some(31.2), Some("fear")));
        assert_eq!(parse_market("not json"), Market::default());
    }
}
