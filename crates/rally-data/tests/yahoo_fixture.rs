//! The Yahoo response mapping on a recorded chart API response (no network).
#![allow(clippy::unwrap_used)]

use rally_data::yahoo::series_from_response;
use yahoo_finance_api::YResponse;

fn fixture() -> YResponse {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/yahoo/chart_AAPL.json"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    YResponse::from_json(json).unwrap()
}

#[test]
fn maps_chart_json_to_adjusted_bars_on_exchange_dates() {
    let (s, report) = series_from_response("AAPL", &fixture()).unwrap();
    // The bar with a null close is skipped by the API crate; four remain.
    assert_eq!(s.len(), 4);
    let dates: Vec<String> = s.dates.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        dates,
        ["2024-08-19", "2024-08-20", "2024-08-22", "2024-08-23"]
    );
    let f = 224.9499969482422 / 225.88999938964844;
    assert_eq!(s.close[0], 224.9499969482422);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    assert!(close(s.open[0], 225.72000122070312 * f));
    assert!(close(s.high[0], 225.99000549072266 * f));
    assert!(close(s.low[0], 223.0399932861328 * f));
    assert_eq!(s.volume[0], 40_687_800.0);
    assert_eq!(report.rows_kept, 4);
}
