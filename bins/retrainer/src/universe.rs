//! `retrainer universe refresh|show`, and the one place the retrainer
//! picks its default universe (`backtest --universe`, `bench`) and says
//! which list it used.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Utc;
use rally_data::listings::refresh::{RefreshPlan, refresh};
use rally_data::listings::{ChosenUniverse, IndexList, choose_universe, read_list, refreshed_path};
use rally_pipeline::state::StateDir;
use rally_research::sweep::TradeFrom;

use crate::args::{RefreshArgs, UniverseCmd};

pub fn run(state: &StateDir, cmd: &UniverseCmd) -> Result<i32> {
    match cmd {
        UniverseCmd::Refresh(a) => refresh_cmd(state, a),
        UniverseCmd::Show { universe_file } => {
            let c = choose_universe(universe_file.as_deref(), &state.cache())?;
            println!(
                "{}: {}, {} with a membership date",
                c.origin,
                rally_text::count(c.universe.tickers.len(), "ticker"),
                c.member_since.len()
            );
            Ok(0)
        }
    }
}

/// The default universe of a run (`file` > refreshed > shipped), named on
/// stderr and in the log with its date.
pub fn chosen(file: Option<&Path>, state: &StateDir) -> Result<ChosenUniverse> {
    let c = choose_universe(file, &state.cache())?;
    let line = format!(
        "universe: {}: {}",
        c.origin,
        rally_text::count(c.universe.tickers.len(), "ticker")
    );
    tracing::info!("{line}");
    eprintln!("{line}");
    Ok(c)
}

/// `--member-since`: each ticker of `c` from its membership date; one line
/// says how many have one and that the others keep their whole history.
pub fn trade_from(c: &ChosenUniverse) -> TradeFrom {
    let since: BTreeMap<String, chrono::NaiveDate> = c
        .universe
        .tickers
        .iter()
        .filter_map(|t| c.member_since.get(t).map(|d| (t.clone(), *d)))
        .collect();
    let total = c.universe.tickers.len();
    let line = if since.is_empty() {
        format!(
            "member since: the {} gives no membership dates; every ticker keeps its whole history",
            c.origin
        )
    } else {
        format!(
            "member since: {} of {total} trade only from the date they joined the S&P 500; {} without a known date keep their whole history",
            since.len(),
            total - since.len()
        )
    };
    tracing::info!("{line}");
    eprintln!("{line}");
    TradeFrom::new(since)
}

fn refresh_cmd(state: &StateDir, a: &RefreshArgs) -> Result<i32> {
    let path = refreshed_path(&state.cache());
    let plan = RefreshPlan {
        sp500_url: a.sp500_url.clone(),
        nasdaq100_url: a.nasdaq100_url.clone(),
        nasdaq_listed_url: a.nasdaq_listed_url.clone(),
        nasdaq_max: a.nasdaq_max,
        min_sp500_rows: a.min_sp500_rows,
        min_nasdaq100_rows: a.min_nasdaq100_rows,
        min_nasdaq_listed_rows: a.min_nasdaq_listed_rows,
        timeout: Duration::from_secs(a.timeout_secs.max(1)),
    };
    let kept = if path.exists() {
        format!("{} is kept as it was", path.display())
    } else {
        "no list written; runs keep using the shipped list".to_owned()
    };
    let previous: Option<BTreeSet<String>> = read_list(&path)
        .ok()
        .map(|r| r.universe.tickers.into_iter().collect());
    let listing = refresh(&plan, a.now.unwrap_or_else(Utc::now))
        .with_context(|| format!("universe refresh failed ({kept})"))?;
    listing.write(&path)?;
    let counts = listing.counts();
    let parts: Vec<String> = [
        IndexList::Sp500,
        IndexList::Nasdaq100,
        IndexList::NasdaqGlobalSelect,
    ]
    .iter()
    .filter_map(|l| counts.get(l).map(|n| format!("{n} {l}")))
    .collect();
    let dated = listing
        .members
        .iter()
        .filter(|m| m.date_added.is_some())
        .count();
    println!(
        "universe: {} ({}) written to {}, refreshed {}; {dated} with an S&P 500 \"Date added\"",
        rally_text::count(listing.members.len(), "ticker"),
        parts.join(", "),
        path.display(),
        listing
            .refreshed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    if let Some(prev) = previous {
        let now: BTreeSet<String> = listing.members.iter().map(|m| m.symbol.clone()).collect();
        let added = now.difference(&prev).count();
        let removed: Vec<&String> = prev.difference(&now).collect();
        println!(
            "since the previous list: {added} added, {} removed{}",
            removed.len(),
            if removed.is_empty() || removed.len() > 20 {
                String::new()
            } else {
                format!(
                    " ({})",
                    removed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        );
    }
    Ok(0)
}
