//! The `yahoo` source: Yahoo Finance chart API via `yahoo_finance_api`.
//!
//! Fetches run on a private tokio runtime with bounded concurrency and retry
//! with exponential backoff. The response mapping ([`series_from_response`])
//! is a pure function, tested on a recorded chart JSON; the network is never
//! touched by tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use yahoo_finance_api as yf;

use crate::clean::{CleanReport, RawRow, clean_rows};
use crate::error::DataError;
use crate::series::Series;
use crate::source::{Loaded, Source};

/// Yahoo Finance daily bars.
#[derive(Debug, Clone)]
pub struct YahooSource {
    concurrency: usize,
    retries: u32,
    history_start: NaiveDate,
}

impl Default for YahooSource {
    fn default() -> Self {
        YahooSource::new()
    }
}

impl YahooSource {
    pub fn new() -> YahooSource {
        YahooSource {
            concurrency: 8,
            retries: 4,
            history_start: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    fn runtime(&self) -> Result<tokio::runtime::Runtime, String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    }

    async fn fetch(
        conn: Arc<yf::YahooConnector>,
        ticker: String,
        start: NaiveDate,
        retries: u32,
    ) -> Result<Loaded, DataError> {
        let remote = |message: String| DataError::Remote {
            ticker: ticker.clone(),
            message,
        };
        let to_odt = |d: NaiveDate| {
            let secs = d
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .unwrap_or(0);
            time::OffsetDateTime::from_unix_timestamp(secs).map_err(|e| remote(e.to_string()))
        };
        let start = to_odt(start)?;
        let end = time::OffsetDateTime::now_utc();
        let mut delay = Duration::from_millis(500);
        let mut attempt = 0;
        loop {
            match conn.get_quote_history(&ticker, start, end).await {
                Ok(resp) => {
                    let (series, report) = series_from_response(&ticker, &resp)?;
                    return Ok(Loaded { series, report });
                }
                Err(e) if attempt < retries && is_transient(&e) => {
                    tracing::warn!(ticker, attempt, "yahoo: {e}; retrying in {delay:?}");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(remote(e.to_string())),
            }
        }
    }

    fn fetch_all(&self, tickers: &[String]) -> Vec<Result<Loaded, DataError>> {
        let fail_all = |msg: String| {
            tickers
                .iter()
                .map(|t| {
                    Err(DataError::Remote {
                        ticker: t.clone(),
                        message: msg.clone(),
                    })
                })
                .collect()
        };
        let rt = match self.runtime() {
            Ok(rt) => rt,
            Err(e) => return fail_all(e),
        };
        let conn = match yf::YahooConnector::builder()
            .timeout(Duration::from_secs(30))
            .build()
        {
            Ok(c) => Arc::new(c),
            Err(e) => return fail_all(e.to_string()),
        };
        rt.block_on(async {
            let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency.max(1)));
            let mut handles = Vec::with_capacity(tickers.len());
            for t in tickers {
                let (sem, conn, t) = (sem.clone(), conn.clone(), t.clone());
                let (start, retries) = (self.history_start, self.retries);
                handles.push(tokio::spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    Self::fetch(conn, t, start, retries).await
                }));
            }
            let mut out = Vec::with_capacity(handles.len());
            for (h, t) in handles.into_iter().zip(tickers) {
                out.push(h.await.unwrap_or_else(|e| {
                    Err(DataError::Remote {
                        ticker: t.clone(),
                        message: e.to_string(),
                    })
                }));
            }
            out
        })
    }
}

fn is_transient(e: &yf::YahooError) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    [
        "timed out",
        "timeout",
        "429",
        "too many",
        "500",
        "502",
        "503",
        "504",
        "connection",
    ]
    .iter()
    .any(|k| s.contains(k))
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

/// Map a chart API response to a cleaned series. Dates are the exchange's
/// local dates (timestamp + `gmtoffset`). Yahoo reports missing fields as 0,
/// which cleaning drops as non-positive prices; a response with no adjusted
/// close at all is treated like a file without an `Adj Close` column.
pub fn series_from_response(
    ticker: &str,
    resp: &yf::YResponse,
) -> Result<(Series, CleanReport), DataError> {
    let remote = |message: String| DataError::Remote {
        ticker: ticker.to_owned(),
        message,
    };
    let quotes = resp.quotes().map_err(|e| remote(e.to_string()))?;
    let offset = resp.metadata().map(|m| m.gmtoffset).unwrap_or(0);
    let has_adj = quotes.iter().any(|q| q.adjclose > 0.0);
    let raw: Vec<RawRow> = quotes
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let date = DateTime::from_timestamp(q.timestamp + i64::from(offset), 0)
                .map(|dt| dt.date_naive());
            RawRow {
                line: i + 1,
                date,
                date_text: if date.is_none() {
                    q.timestamp.to_string()
                } else {
                    String::new()
                },
                open: Some(q.open),
                high: Some(q.high),
                low: Some(q.low),
                close: Some(q.close),
                adj_close: Some(if has_adj { q.adjclose } else { q.close }),
                volume: Some(Some(q.volume as f64)),
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
