//! A Yahoo chart API on 127.0.0.1, plain std threads (no runtime of its own
//! to clash with the caller's).
//!
//! `GET /v8/finance/chart/{SYMBOL}?...` answers with the synthetic market's
//! bars for that symbol (cut at a date), in the JSON layout of the real API;
//! `^VIX` is the synthetic VIX. Every request is recorded.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::NaiveDate;
use rally_data::{Series, Source, SyntheticSource};

use crate::http::{read_request, respond};

/// How the server answers one symbol.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// The synthetic bars (the default).
    Serve,
    /// HTTP 404 with Yahoo's `chart.error` body ("symbol may be delisted").
    NotFound,
    /// HTTP 429 with `Retry-After: 0` for the first `n` requests, then serve.
    RateLimited(usize),
    /// HTTP 429 with `Retry-After: 0` forever.
    AlwaysRateLimited,
    /// Accept the request and never answer (the client's timeout fires).
    Hang,
    /// HTTP 500 with an HTML body.
    ServerError,
}

#[derive(Debug)]
struct Shared {
    market: SyntheticSource,
    until: Option<NaiveDate>,
    behaviour: Mutex<HashMap<String, Behaviour>>,
    requests: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// A running fake Yahoo; stops when dropped.
#[derive(Debug)]
pub struct FakeYahoo {
    base: String,
    shared: Arc<Shared>,
}

impl FakeYahoo {
    /// Serves `synthetic:SEED` bars up to and including `until` (all of
    /// them with `None`).
    pub fn start(seed: u64, until: Option<NaiveDate>) -> std::io::Result<FakeYahoo> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            market: SyntheticSource::new(seed),
            until,
            behaviour: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let s = s.clone();
                    std::thread::spawn(move || handle(&s, conn));
                }
            }
        });
        Ok(FakeYahoo { base, shared })
    }

    /// The value for `YAHOO_API_BASE`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sets how `symbol` (as requested, e.g. `^VIX`) is answered.
    pub fn set(&self, symbol: &str, b: Behaviour) {
        lock(&self.shared.behaviour).insert(symbol.to_owned(), b);
    }

    /// The symbols requested so far, in order (one entry per request).
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests asked for `symbol`.
    pub fn count(&self, symbol: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|s| *s == symbol)
            .count()
    }
}

impl Drop for FakeYahoo {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn handle(s: &Shared, conn: TcpStream) {
    let Some(req) = read_request(&conn) else {
        return;
    };
    let path = req.path.as_str();
    let Some(symbol) = path
        .strip_prefix("/v8/finance/chart/")
        .map(|rest| decode(rest.split('?').next().unwrap_or("")))
    else {
        respond(conn, 404, &[], "text/plain", "no such route");
        return;
    };
    let attempt = {
        let mut reqs = lock(&s.requests);
        reqs.push(symbol.clone());
        reqs.iter().filter(|r| **r == symbol).count()
    };
    let behaviour = lock(&s.behaviour)
        .get(&symbol)
        .cloned()
        .unwrap_or(Behaviour::Serve);
    let rate_limited = [("Retry-After", "0")];
    match behaviour {
        Behaviour::Hang => {
            // Hold the connection open until the server stops.
            while !s.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Behaviour::NotFound => respond(
            conn,
            404,
            &[],
            "application/json",
            r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#,
        ),
        Behaviour::ServerError => respond(conn, 500, &[], "text/html", "<html>oops</html>"),
        Behaviour::AlwaysRateLimited => {
            respond(conn, 429, &rate_limited, "text/plain", "Too Many Requests")
        }
        Behaviour::RateLimited(n) if attempt <= n => {
            respond(conn, 429, &rate_limited, "text/plain", "Too Many Requests")
        }
        Behaviour::RateLimited(_) | Behaviour::Serve => {
            let ticker = if symbol == "^VIX" { "^VIX" } else { &symbol };
            let mut series = match s.market.load(ticker) {
                Ok(l) => l.series,
                Err(_) => Series::new(ticker),
            };
            if let Some(d) = s.until {
                series.truncate_to(d);
            }
            respond(conn, 200, &[], "application/json", &chart_json(&series));
        }
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A series in the chart API's JSON layout: bars stamped 09:30 New York time
/// (`gmtoffset` -4 h), so the exchange date is the bar's date.
pub fn chart_json(s: &Series) -> String {
    const OFFSET: i64 = -14_400;
    let ts: Vec<i64> = s
        .dates
        .iter()
        .map(|d| {
            d.and_hms_opt(13, 30, 0)
                .map_or(0, |t| t.and_utc().timestamp())
        })
        .collect();
    serde_json::json!({
        "chart": {
            "result": [{
                "meta": { "symbol": s.ticker, "gmtoffset": OFFSET, "dataGranularity": "1d" },
                "timestamp": ts,
                "indicators": {
                    "quote": [{
                        "open": s.open, "high": s.high, "low": s.low,
                        "close": s.close, "volume": s.volume,
                    }],
                    "adjclose": [{ "adjclose": s.close }],
                }
            }],
            "error": null,
        }
    })
    .to_string()
}
