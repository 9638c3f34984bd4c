//! The Yahoo response mapping on a recorded chart API response (no network).
#![allow(clippy::unwrap_used)]

use rally_data::yahoo::series_from_chart_json;

fn fixture() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/yahoo/chart_AAPL.json"
    );
    std::fs::read(path).unwrap()
}

#[test]
fn maps_chart_json_to_adjusted_bars_on_exchange_dates() {
    let (s, report) = series_from_chart_json("AAPL", &fixture()).unwrap();
    // The bar with null prices is dropped by cleaning and counted; four remain.
    assert_eq!(s.len(), 4);
    assert_eq!((report.rows_read, report.bad_price), (5, 1));
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
