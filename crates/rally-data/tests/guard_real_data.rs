//! The guard must not touch real markets: every file of the shared market
//! data (the golden inputs), the golden bars themselves, and DOGE-USD
//! 2020-2021 (with its x3.8 close of 2021-01-29) pass with zero changes.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rally_data::{CleanReport, Series, guard, parse_yahoo_csv};

fn market_dir() -> Option<PathBuf> {
    rally_golden::data_dir("the guard on the shared market data")
}

fn load(path: &Path) -> (Series, CleanReport) {
    let ticker = path.file_stem().unwrap().to_string_lossy().into_owned();
    parse_yahoo_csv(&ticker, path, &std::fs::read(path).unwrap()).unwrap()
}

/// The guard on `s` with the clock at its last bar; panics naming what changed.
fn assert_untouched(s: &Series) {
    let now = s.last_date().unwrap();
    let (out, report) = guard(s.clone(), now);
    assert!(
        report.is_clean() && !report.quarantined,
        "{}",
        report.line().unwrap_or_default()
    );
    // Bit-identical, NaN-free data: PartialEq on f64 is exact here.
    assert_eq!(&out, s, "{}: bars changed", s.ticker);
}

#[test]
fn shared_market_data_passes_unchanged() {
    let Some(dir) = market_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "{}: only {} files",
        dir.display(),
        files.len()
    );
    for f in &files {
        let (s, _) = load(f);
        assert_untouched(&s);
    }
}

#[test]
fn doge_usd_2020_to_2021_passes_unchanged() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/DOGE-USD.csv");
    let (s, report) = load(&path);
    assert_eq!(report.bad_price, 4, "the file's four null rows");
    let day = |d: &str| s.dates.iter().position(|x| x.to_string() == d).unwrap();
    let (jan27, jan29) = (day("2021-01-27"), day("2021-01-29"));
    assert!(
        s.close[jan29] / s.close[jan27] > 6.0,
        "the real pump is in the file"
    );
    assert_untouched(&s);
}

#[test]
fn doge_usd_x4_6_on_2021_01_28_passes_unchanged() {
    // Yahoo's later revision reports the pump a day earlier: close
    // 2021-01-28 = 4.6 x 2021-01-27. Rebuild that day so the test holds the
    // issue's exact case; the days after stay the file's (they hold the level).
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/DOGE-USD.csv");
    let (mut s, _) = load(&path);
    let i = s
        .dates
        .iter()
        .position(|x| x.to_string() == "2021-01-28")
        .unwrap();
    s.close[i] = 4.6 * s.close[i - 1];
    s.high[i] = s.high[i].max(s.close[i]);
    assert_untouched(&s);
    // And as the newest bar of a live run (nothing after it yet).
    s.truncate_to(s.dates[i]);
    assert_untouched(&s);
}

/// The golden `features.csv` bars (`date,O,H,L,C,V`) are what the guard
/// leaves of the golden inputs, to the bit.
#[test]
fn golden_bars_pass_bit_identical() {
    let Some(golden) = rally_golden::golden_dir("golden_bars_pass_bit_identical") else {
        return;
    };
    let Some(market) = market_dir() else { return };
    let mut checked = 0;
    for entry in std::fs::read_dir(&golden).unwrap() {
        let dir = entry.unwrap().path();
        let features = dir.join("features.csv");
        if !features.is_file() {
            continue;
        }
        let ticker = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (s, _) = load(&market.join(format!("{ticker}.csv")));
        let (out, report) = guard(s.clone(), s.last_date().unwrap());
        assert!(report.is_clean(), "{}", report.line().unwrap_or_default());
        let mut rdr = csv::Reader::from_path(&features).unwrap();
        let mut n = 0;
        for (i, row) in rdr.records().enumerate() {
            let row = row.unwrap();
            assert_eq!(&row[0], out.dates[i].to_string(), "{ticker} row {i}");
            let num = |k: usize| row[k].parse::<f64>().unwrap();
            let bar = out.bar(i);
            for (k, v) in [bar.open, bar.high, bar.low, bar.close, bar.volume]
                .into_iter()
                .enumerate()
            {
                assert_eq!(
                    num(k + 1).to_bits(),
                    v.to_bits(),
                    "{ticker} {} col {k}",
                    row[0].to_owned()
                );
            }
            n += 1;
        }
        assert_eq!(n, out.len(), "{ticker}: bar count");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} golden tickers");
}
