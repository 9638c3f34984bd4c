//! The stored scan summary: the live figures round-trip through its JSON,
//! and a summary stored before they existed still reads.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use rally_trade::PortfolioFigures;

use super::{LiveBenchmark, LiveFigures, ScanSummary};

fn line(total_return: f64, sharpe: Option<f64>, exposure: f64) -> PortfolioFigures {
    PortfolioFigures {
        total_return,
        cagr: sharpe.map(|_| total_return * 2.0),
        sharpe,
        sortino: sharpe.map(|s| s * 1.5),
        max_drawdown: -0.031,
        exposure: Some(exposure),
    }
}

/// A benchmark with the full figures; `annualised` false blanks CAGR,
/// Sharpe and Sortino as the scan does on a short record.
pub(crate) fn sample_benchmark(annualised: bool) -> LiveBenchmark {
    let s = annualised.then_some(0.84);
    let f = LiveFigures {
        dates: if annualised { 41 } else { 7 },
        annualised,
        system: line(0.0103, s, 0.214),
        buy_hold: line(0.0417, s.map(|x| x + 0.5), 1.0),
        every_compressed: Some(line(-0.0052, s.map(|x| x - 1.0), 0.3)),
    };
    LiveBenchmark {
        since: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        system_return: f.system.total_return,
        buy_hold_return: f.buy_hold.total_return,
        every_compressed_return: f.every_compressed.map(|e| e.total_return),
        tickers: 14,
        figures: Some(f),
    }
}

#[test]
fn the_live_figures_round_trip_through_the_stored_summary() {
    for annualised in [true, false] {
        let s = ScanSummary {
            benchmark: Some(sample_benchmark(annualised)),
            ..ScanSummary::default()
        };
        let text = s.to_json().unwrap();
        assert_eq!(ScanSummary::from_json(&text).unwrap(), s, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let f = &v["benchmark"]["figures"];
        assert_eq!(f["annualised"], annualised);
        assert_eq!(f["system"]["exposure"], 0.214);
        assert_eq!(f["buy_hold"]["max_drawdown"], -0.031);
        assert_eq!(f["every_compressed"]["sharpe"].is_null(), !annualised);
    }
}

#[test]
fn a_summary_stored_before_the_figures_still_reads() {
    let old = r#"{"breadth":{"n":0},"benchmark":{"buy_hold_return":0.114,"every_compressed_return":0.021,"since":"2024-04-01","system_return":0.04,"tickers":14},"vix":null,"vix_label":null,"watchlist":[]}"#;
    let b = ScanSummary::from_json(old).unwrap().benchmark.unwrap();
    assert_eq!(b.figures, None);
    assert_eq!(
        (b.system_return, b.buy_hold_return, b.tickers),
        (0.04, 0.114, 14)
    );
    // Older still: no every-compressed return either.
    let older = r#"{"benchmark":{"buy_hold_return":0.1,"since":"2024-04-01","system_return":0.04,"tickers":3}}"#;
    let b = ScanSummary::from_json(older).unwrap().benchmark.unwrap();
    assert_eq!((b.every_compressed_return, b.figures), (None, None));
}
