//! Yahoo-layout CSV files of series, for tests of the `csv:DIR` source.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDate;
use rally_data::{Series, SyntheticSource};

/// A series as a Yahoo-layout CSV text (`Adj Close` = `Close`: the bars
/// are already adjusted), from bar `from` on.
pub fn yahoo_csv(s: &Series, from: usize) -> String {
    let mut out = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    for i in from..s.len() {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            s.dates[i], s.open[i], s.high[i], s.low[i], s.close[i], s.close[i], s.volume[i]
        );
    }
    out
}

/// Writes `s` as `path` (the whole series).
pub fn write_yahoo_csv(path: &Path, s: &Series) -> std::io::Result<()> {
    std::fs::write(path, yahoo_csv(s, 0))
}

/// The synthetic market (`seed`) up to `until` as a `csv:` directory:
/// one file per ticker (`^VIX` as `VIX.csv`, which every run needs).
pub fn synthetic_csv_market(
    dir: &Path,
    seed: u64,
    tickers: &[&str],
    until: NaiveDate,
) -> std::io::Result<()> {
    let src = SyntheticSource::new(seed);
    for t in tickers.iter().copied().chain(["^VIX"]) {
        let mut s = src.series(t);
        s.truncate_to(until);
        write_yahoo_csv(&dir.join(format!("{}.csv", t.trim_start_matches('^'))), &s)?;
    }
    Ok(())
}
