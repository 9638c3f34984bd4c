//! The `yahoo` source: Yahoo Finance's chart API (`/v8/finance/chart/{symbol}`).
//!
//! Fetches run on a private tokio runtime *on their own OS thread*, so the
//! source works the same from plain code and from inside an async caller
//! (the scanner, the bot's scheduler). Concurrency is bounded; transient
//! failures (timeouts, connection errors, 429, 5xx) are retried with
//! exponential backoff, and a 429's `Retry-After` is honoured (capped).
//! Failures are classified from the HTTP status and reqwest's error kind,
//! never from message text.
//!
//! The base URL is a setting (`YAHOO_API_BASE`), like the Discord one, so
//! tests point the binaries at a local server serving recorded responses.
//! The response mapping ([`series_from_chart_json`]) is a pure function.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::clean::{CleanReport, RawRow, clean_rows};
use crate::error::DataError;
use crate::series::Series;
use crate::source::{Loaded, Source};

/// Where the chart API lives unless `YAHOO_API_BASE` says otherwise.
pub const DEFAULT_YAHOO_API_BASE: &str = "https://query1.finance.yahoo.com";
/// A `Retry-After` longer than this is not waited for within one run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Yahoo Finance daily bars.
#[derive(Debug, Clone)]
pub struct YahooSource {
    base_url: String,
    concurrency: usize,
    retries: u32,
    timeout: Duration,
    first_backoff: Duration,
    history_start: NaiveDate,
}

impl Default for YahooSource {
    fn default() -> Self {
        YahooSource::new()
    }
}

/// Why one attempt failed, and whether another attempt may help.
#[derive(Debug)]
enum Attempt {
    /// Worth retrying, after at least this long if the server said so.
    Transient(String, Option<Duration>),
    /// Retrying cannot help (unknown symbol, malformed response, 4xx).
    Failed(DataError),
}

impl YahooSource {
    /// The public endpoint, 30 s per request, 4 retries.
    pub fn new() -> YahooSource {
        YahooSource {
            base_url: DEFAULT_YAHOO_API_BASE.to_owned(),
            concurrency: 8,
            retries: 4,
            timeout: Duration::from_secs(30),
            first_backoff: Duration::from_millis(500),
            history_start: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// The source as the environment configures it: `YAHOO_API_BASE` (base
    /// URL), `YAHOO_TIMEOUT_SECS` (per request) and `YAHOO_RETRIES`.
    /// Unset or blank variables keep the defaults.
    pub fn from_env() -> Result<YahooSource, DataError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mut s = YahooSource::new();
        if let Some(base) = var("YAHOO_API_BASE") {
            s = s.with_base_url(base.trim());
        }
        if let Some(t) = var("YAHOO_TIMEOUT_SECS") {
            let secs = t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0 && *v <= 3600.0)
                .ok_or_else(|| DataError::Setting {
                    name: "YAHOO_TIMEOUT_SECS",
                    value: t.clone(),
                    expected: "a number of seconds in (0, 3600]",
                })?;
            s.timeout = Duration::from_secs_f64(secs);
        }
        if let Some(r) = var("YAHOO_RETRIES") {
            s.retries = r
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= 10)
                .ok_or_else(|| DataError::Setting {
                    name: "YAHOO_RETRIES",
                    value: r.clone(),
                    expected: "an integer from 0 to 10",
                })?;
        }
        Ok(s)
    }

    /// Another endpoint (a mirror, or a local server in tests).
    pub fn with_base_url(mut self, base: &str) -> YahooSource {
        self.base_url = base.trim_end_matches('/').to_owned();
        self
    }

    /// The endpoint this source fetches from.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn chart_url(&self, ticker: &str, end: DateTime<Utc>) -> String {
        let start = self
            .history_start
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        format!(
            "{}/v8/finance/chart/{}?period1={start}&period2={}&interval=1d&events=div%7Csplit&includeAdjustedClose=true",
            self.base_url,
            encode_symbol(ticker),
            end.timestamp()
        )
    }

    async fn attempt(client: &reqwest::Client, url: &str, ticker: &str) -> Result<Loaded, Attempt> {
        let failed = |message: String| {
            Attempt::Failed(DataError::Remote {
                ticker: ticker.to_owned(),
                message,
            })
        };
        let resp = client.get(url).send().await.map_err(|e| {
            let what = if e.is_timeout() {
                "request timed out"
            } else if e.is_connect() {
                "cannot connect"
            } else {
                "request failed"
            };
            if e.is_timeout() || e.is_connect() || e.is_request() {
                Attempt::Transient(what.to_owned(), None)
            } else {
                failed(format!("{what}: {e}"))
            }
        })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        let body = resp
            .bytes()
            .await
            .map_err(|_| Attempt::Transient("response body cut off".into(), None))?;
        if status.as_u16() == 429 {
            return Err(Attempt::Transient(
                "rate limited (HTTP 429)".into(),
                retry_after,
            ));
        }
        if status.is_server_error() {
            return Err(Attempt::Transient(
                format!("HTTP {}", status.as_u16()),
                None,
            ));
        }
        if !status.is_success() {
            let why = serde_json::from_slice::<Envelope>(&body)
                .ok()
                .and_then(|e| e.chart.error)
                .map_or_else(|| "no description".to_owned(), ChartError::describe);
            return Err(failed(format!("HTTP {}: {why}", status.as_u16())));
        }
        let (series, report) = series_from_chart_json(ticker, &body).map_err(Attempt::Failed)?;
        Ok(Loaded { series, report })
    }

    async fn fetch(
        &self,
        client: &reqwest::Client,
        ticker: &str,
        end: DateTime<Utc>,
    ) -> Result<Loaded, DataError> {
        let url = self.chart_url(ticker, end);
        let mut delay = self.first_backoff;
        let mut attempt = 0;
        loop {
            match Self::attempt(client, &url, ticker).await {
                Ok(l) => return Ok(l),
                Err(Attempt::Transient(why, after)) if attempt < self.retries => {
                    let wait = after.unwrap_or(delay).max(delay);
                    tracing::warn!(ticker, attempt, "yahoo: {why}; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(Attempt::Transient(why, _)) => {
                    return Err(DataError::Remote {
                        ticker: ticker.to_owned(),
                        message: format!(
                            "{why} (gave up after {})",
                            if attempt == 0 {
                                "1 attempt".to_owned()
                            } else {
                                format!("{} attempts", attempt + 1)
                            }
                        ),
                    });
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
    }

    async fn fetch_all_async(&self, tickers: &[String]) -> Vec<Result<Loaded, DataError>> {
        let client = match crate::source::http::client(self.timeout) {
            Ok(c) => c,
            Err(e) => return fail_all(tickers, &format!("cannot build HTTP client: {e}")),
        };
        let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
        let end = Utc::now();
        let mut set = tokio::task::JoinSet::new();
        for (i, t) in tickers.iter().enumerate() {
            let (sem, client, t, me) = (sem.clone(), client.clone(), t.clone(), self.clone());
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                (i, me.fetch(&client, &t, end).await)
            });
        }
        let mut out: Vec<Option<Result<Loaded, DataError>>> =
            tickers.iter().map(|_| None).collect();
        while let Some(done) = set.join_next().await {
            if let Ok((i, r)) = done {
                out[i] = Some(r);
            }
        }
        out.into_iter()
            .zip(tickers)
            .map(|(r, t)| {
                r.unwrap_or_else(|| {
                    Err(DataError::Remote {
                        ticker: t.clone(),
                        message: "fetch task failed".into(),
                    })
                })
            })
            .collect()
    }

    /// Runs the fetch on a fresh OS thread with its own runtime: a
    /// `block_on` on the caller's thread would abort inside an async caller.
    fn fetch_all(&self, tickers: &[String]) -> Vec<Result<Loaded, DataError>> {
        std::thread::scope(|s| {
            s.spawn(|| {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(self.fetch_all_async(tickers)),
                    Err(e) => fail_all(tickers, &format!("cannot start a runtime: {e}")),
                }
            })
            .join()
            .unwrap_or_else(|_| fail_all(tickers, "fetch thread panicked"))
        })
    }
}

fn fail_all(tickers: &[String], msg: &str) -> Vec<Result<Loaded, DataError>> {
    tickers
        .iter()
        .map(|t| {
            Err(DataError::Remote {
                ticker: t.clone(),
                message: msg.to_owned(),
            })
        })
        .collect()
}

/// Percent-encodes a symbol for the URL path (`^VIX` -> `%5EVIX`).
fn encode_symbol(ticker: &str) -> String {
    let mut out = String::with_capacity(ticker.len() + 4);
    for b in ticker.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'=') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Source for YahooSource {
    fn describe(&self) -> String {
        "yahoo".into()
    }

    fn load(&self, ticker: &str) -> Result<Loaded, DataError> {
        self.fetch_all(std::slice::from_ref(&ticker.to_owned()))
            .pop()
            .unwrap_or_else(|| {
                Err(DataError::Remote {
                    ticker: ticker.to_owned(),
                    message: "no result".into(),
                })
            })
    }

    fn load_many(&self, tickers: &[String]) -> Vec<Result<Loaded, DataError>> {
        self.fetch_all(tickers)
    }

    fn prefers_batch(&self) -> bool {
        true
    }
}

#[derive(Debug, Deserialize)]
struct Envelope {
    chart: Chart,
}

#[derive(Debug, Deserialize)]
struct Chart {
    result: Option<Vec<ChartResult>>,
    error: Option<ChartError>,
}

#[derive(Debug, Deserialize)]
struct ChartError {
    code: Option<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChartResult {
    meta: Option<Meta>,
    #[serde(default)]
    timestamp: Vec<i64>,
    indicators: Indicators,
}

#[derive(Debug, Deserialize)]
struct Meta {
    gmtoffset: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Indicators {
    #[serde(default)]
    quote: Vec<Quote>,
    #[serde(default)]
    adjclose: Vec<AdjClose>,
}

#[derive(Debug, Default, Deserialize)]
struct Quote {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<f64>>,
}

#[derive(Debug, Deserialize)]
struct AdjClose {
    #[serde(default)]
    adjclose: Vec<Option<f64>>,
}

impl ChartError {
    /// `code: description`, as much of it as the body gave.
    fn describe(self) -> String {
        match (self.code, self.description) {
            (Some(c), Some(d)) => format!("{c}: {d}"),
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => "unspecified error".into(),
        }
    }
}

/// Map a chart API response body to a cleaned series. Dates are the
/// exchange's local dates (timestamp + `gmtoffset`). Missing values (JSON
/// `null`) reach cleaning as missing, so a bar without a price is dropped and
/// counted; a response with no adjusted close at all is treated like a file
/// without an `Adj Close` column.
pub fn series_from_chart_json(
    ticker: &str,
    body: &[u8],
) -> Result<(Series, CleanReport), DataError> {
    let remote = |message: String| DataError::Remote {
        ticker: ticker.to_owned(),
        message,
    };
    let env: Envelope = serde_json::from_slice(body)
        .map_err(|e| remote(format!("malformed chart response: {e}")))?;
    if let Some(e) = env.chart.error {
        return Err(remote(e.describe()));
    }
    let result = env
        .chart
        .result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| remote("chart response has no result".into()))?;
    let offset = result.meta.and_then(|m| m.gmtoffset).unwrap_or(0);
    let quote = result
        .indicators
        .quote
        .into_iter()
        .next()
        .unwrap_or_default();
    let adj = result
        .indicators
        .adjclose
        .into_iter()
        .next()
        .map(|a| a.adjclose)
        .filter(|a| a.iter().any(Option::is_some));
    let at = |v: &[Option<f64>], i: usize| v.get(i).copied().flatten();
    let raw: Vec<RawRow> = result
        .timestamp
        .iter()
        .enumerate()
        .map(|(i, &ts)| {
            let date = ts
                .checked_add(offset)
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .map(|dt| dt.date_naive());
            RawRow {
                line: i + 1,
                date,
                date_text: if date.is_none() {
                    ts.to_string()
                } else {
                    String::new()
                },
                open: at(&quote.open, i),
                high: at(&quote.high, i),
                low: at(&quote.low, i),
                close: at(&quote.close, i),
                adj_close: match &adj {
                    Some(a) => at(a, i),
                    None => at(&quote.close, i),
                },
                volume: Some(at(&quote.volume, i)),
            }
        })
        .collect();
    let report = CleanReport {
        rows_read: raw.len(),
        ..CleanReport::default()
    };
    clean_rows(
        ticker,
        &PathBuf::from(format!("yahoo:{ticker}")),
        raw,
        report,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_encoded_for_the_path() {
        assert_eq!(encode_symbol("^VIX"), "%5EVIX");
        assert_eq!(encode_symbol("BTC-USD"), "BTC-USD");
        assert_eq!(encode_symbol("BRK.B"), "BRK.B");
        assert_eq!(encode_symbol("A/B"), "A%2FB");
    }

    #[test]
    fn base_url_loses_trailing_slash() {
        let s = YahooSource::new().with_base_url("http://127.0.0.1:9/");
        assert_eq!(s.base_url(), "http://127.0.0.1:9");
        assert!(
            s.chart_url("^VIX", Utc::now())
                .starts_with("http://127.0.0.1:9/v8/finance/chart/%5EVIX?period1=")
        );
    }

    #[test]
    fn chart_error_is_reported_with_its_description() {
        let body = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
        let e = series_from_chart_json("ZZZZ", body).expect_err("error body");
        assert_eq!(
            e.to_string(),
            "ZZZZ: yahoo: Not Found: No data found, symbol may be delisted"
        );
        assert!(series_from_chart_json("ZZZZ", b"<html>").is_err());
    }
}
