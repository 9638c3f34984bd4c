//! `retrainer export` with unusable files in the middle of a run: each bad
//! ticker fails with a line naming the ticker and the file, nothing panics,
//! and the good tickers are exported.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;

use rally_data::{CsvSource, SyntheticSource, VIX_TICKER};
use rally_trade::TradeConfig;

fn write_series(dir: &Path, name: &str, s: &rally_data::Series) {
    let mut out = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    for i in 0..s.len() {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            s.dates[i], s.open[i], s.high[i], s.low[i], s.close[i], s.close[i], s.volume[i]
        );
    }
    std::fs::write(dir.join(format!("{name}.csv")), out).unwrap();
}

#[test]
fn bad_files_fail_alone_and_name_ticker_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = SyntheticSource::with_range(7, 9, rally_data::synthetic::default_end());
    write_series(dir.path(), "VIX", &src.series(VIX_TICKER));
    write_series(dir.path(), "GOOD", &src.series("GOOD"));
    let hdr = "Date,Open,High,Low,Close,Adj Close,Volume\n";
    let good = std::fs::read_to_string(dir.path().join("GOOD.csv")).unwrap();
    let rows: Vec<&str> = good.lines().skip(1).collect();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("EMPTY", Vec::new()),
        ("HEADER", hdr.as_bytes().to_vec()),
        (
            "GARBAGE",
            format!("{hdr}this,is,not\nreally,a,csv,file\n").into_bytes(),
        ),
        (
            "NANS",
            format!("{hdr}2024-01-02,nan,nan,nan,nan,nan,1\n").into_bytes(),
        ),
        (
            "NEGATIVE",
            format!("{hdr}2024-01-02,-1,-1,-1,-1,-1,1\n").into_bytes(),
        ),
        ("BINARY", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.path().join(format!("{name}.csv")), bytes).unwrap();
    }
    // Repairable files: unsorted with duplicate dates, inverted high/low.
    let mut messy = rows.clone();
    messy.reverse();
    messy.push(rows[100]);
    std::fs::write(
        dir.path().join("MESSY.csv"),
        format!("{hdr}{}\n", messy.join("\n")),
    )
    .unwrap();
    let inverted: Vec<String> = rows
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            format!(
                "{},{},{},{},{},{},{}",
                f[0], f[1], f[3], f[2], f[4], f[5], f[6]
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("INVERTED.csv"),
        format!("{hdr}{}\n", inverted.join("\n")),
    )
    .unwrap();

    let tickers: Vec<String> = [
        "GOOD", "EMPTY", "HEADER", "GARBAGE", "NANS", "NEGATIVE", "BINARY", "MISSING", "MESSY",
        "INVERTED",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let out = tempfile::tempdir().unwrap();
    let report = rally_research::export::export_all(
        &CsvSource::new(dir.path()),
        &tickers,
        out.path(),
        &TradeConfig::baseline(),
    )
    .unwrap();
    assert_eq!(
        report.analysed,
        vec!["GOOD", "MESSY", "INVERTED"],
        "failed: {:?}",
        report.failed
    );
    let failed: Vec<&str> = report.failed.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        failed,
        vec![
            "EMPTY", "HEADER", "GARBAGE", "NANS", "NEGATIVE", "BINARY", "MISSING"
        ]
    );
    for (t, msg) in &report.failed {
        assert!(msg.contains(t.as_str()), "{msg}");
        assert!(
            msg.contains(&format!("{t}.csv")),
            "message must name the file: {msg}"
        );
    }
    for t in ["GOOD", "MESSY", "INVERTED"] {
        assert!(out.path().join(t).join("features.csv").is_file());
    }
    // A repaired file gives the same bars as the clean one.
    let a = std::fs::read_to_string(out.path().join("GOOD/features.csv")).unwrap();
    let b = std::fs::read_to_string(out.path().join("MESSY/features.csv")).unwrap();
    assert_eq!(a, b);
}
