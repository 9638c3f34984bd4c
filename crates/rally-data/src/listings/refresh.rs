//! Fetching the sources of a universe refresh and assembling the list
//! (behind the `yahoo` feature, which brings the HTTP client).
//!
//! Every source is fetched and checked before anything is written: a page
//! that cannot be fetched, whose layout changed, or that has too few rows
//! stops the refresh with an error naming its URL, and the caller keeps
//! the previous list.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::nasdaqtrader::{global_select_members, parse_nasdaq_listed};
use super::wikipedia::{nasdaq100_members, sp500_members};
use super::{
    DEFAULT_NASDAQ_MAX, IndexList, Listing, ListingError, MIN_NASDAQ_LISTED_ROWS,
    MIN_NASDAQ100_ROWS, MIN_SP500_ROWS, check_rows,
};

/// Wikipedia's "List of S&P 500 companies".
pub const DEFAULT_SP500_URL: &str = "https://en.wikipedia.org/wiki/List_of_S%26P_500_companies";
/// Wikipedia's "Nasdaq-100".
pub const DEFAULT_NASDAQ100_URL: &str = "https://en.wikipedia.org/wiki/Nasdaq-100";
/// The exchange's listed-symbols file.
pub const DEFAULT_NASDAQ_LISTED_URL: &str =
    "https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt";

/// Where the sources are and what a refresh accepts from them.
#[derive(Debug, Clone)]
pub struct RefreshPlan {
    pub sp500_url: String,
    pub nasdaq100_url: String,
    pub nasdaq_listed_url: String,
    /// At most this many Nasdaq names (Nasdaq-100 first).
    pub nasdaq_max: usize,
    pub min_sp500_rows: usize,
    pub min_nasdaq100_rows: usize,
    pub min_nasdaq_listed_rows: usize,
    pub timeout: Duration,
}

impl Default for RefreshPlan {
    fn default() -> Self {
        RefreshPlan {
            sp500_url: DEFAULT_SP500_URL.to_owned(),
            nasdaq100_url: DEFAULT_NASDAQ100_URL.to_owned(),
            nasdaq_listed_url: DEFAULT_NASDAQ_LISTED_URL.to_owned(),
            nasdaq_max: DEFAULT_NASDAQ_MAX,
            min_sp500_rows: MIN_SP500_ROWS,
            min_nasdaq100_rows: MIN_NASDAQ100_ROWS,
            min_nasdaq_listed_rows: MIN_NASDAQ_LISTED_ROWS,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Fetches and checks every source of `plan`; the list is stamped `now`.
/// The listed-symbols file is fetched only when the Nasdaq-100 does not
/// already fill `nasdaq_max`.
pub fn refresh(plan: &RefreshPlan, now: DateTime<Utc>) -> Result<Listing, ListingError> {
    // On its own OS thread with its own runtime, like the Yahoo source, so
    // this works from plain and from async callers alike.
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| ListingError::Fetch {
                    url: plan.sp500_url.clone(),
                    message: format!("cannot start a runtime: {e}"),
                })?;
            rt.block_on(refresh_async(plan, now))
        })
        .join()
        .unwrap_or_else(|_| {
            Err(ListingError::Fetch {
                url: plan.sp500_url.clone(),
                message: "the refresh thread panicked".into(),
            })
        })
    })
}

async fn refresh_async(plan: &RefreshPlan, now: DateTime<Utc>) -> Result<Listing, ListingError> {
    let client = crate::source::http::client(plan.timeout).map_err(|e| ListingError::Fetch {
        url: plan.sp500_url.clone(),
        message: format!("cannot build the HTTP client: {e}"),
    })?;
    let sp_url = &plan.sp500_url;
    let sp500 = sp500_members(&get(&client, sp_url).await?, sp_url)?;
    check_rows(sp_url, IndexList::Sp500, sp500.len(), plan.min_sp500_rows)?;
    let n_url = &plan.nasdaq100_url;
    let nasdaq100 = nasdaq100_members(&get(&client, n_url).await?, n_url)?;
    check_rows(
        n_url,
        IndexList::Nasdaq100,
        nasdaq100.len(),
        plan.min_nasdaq100_rows,
    )?;
    let more = if plan.nasdaq_max > nasdaq100.len() {
        let l_url = &plan.nasdaq_listed_url;
        let rows = parse_nasdaq_listed(&get(&client, l_url).await?, l_url)?;
        check_rows(
            l_url,
            IndexList::NasdaqGlobalSelect,
            rows.len(),
            plan.min_nasdaq_listed_rows,
        )?;
        global_select_members(&rows, l_url)
    } else {
        Vec::new()
    };
    Ok(Listing::assemble(
        sp500,
        nasdaq100,
        more,
        plan.nasdaq_max,
        now,
    ))
}

/// The body of `url`; any failure or non-2xx status is an error naming it.
async fn get(client: &reqwest::Client, url: &str) -> Result<String, ListingError> {
    let fail = |message: String| ListingError::Fetch {
        url: url.to_owned(),
        message,
    };
    let resp = client.get(url).send().await.map_err(|e| {
        fail(if e.is_timeout() {
            "request timed out".to_owned()
        } else if e.is_connect() {
            "cannot connect".to_owned()
        } else {
            format!("request failed: {e}")
        })
    })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {}", status.as_u16())));
    }
    resp.text()
        .await
        .map_err(|e| fail(format!("response body: {e}")))
}
