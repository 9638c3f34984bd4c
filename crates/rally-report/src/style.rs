//! All of the page's look in one place: the CSS, the series palette and
//! the heat-map colour scale.
//!
//! Fonts are the viewer's own system fonts: the page must open offline, so
//! nothing is fetched.

/// Series colours in legend order: strategy, buy & hold, every compressed
/// bar, then more for extra series or models. Chosen to stay apart for the
/// common colour-vision deficiencies (blue / grey / orange first).
pub(crate) const PALETTE: [&str; 7] = [
    "#1f5fbf", "#6b6b6b", "#e07b00", "#2a9d55", "#9b4dca", "#c0392b", "#17a2b8",
];

/// The colour of the `i`-th series, cycling when there are more series
/// than colours.
pub(crate) fn series_color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The colour of the `i`-th model in a calibration chart: the palette
/// without its grey, which there means the diagonal.
pub(crate) fn model_color(i: usize) -> &'static str {
    let coloured: Vec<&str> = PALETTE
        .iter()
        .copied()
        .filter(|c| *c != MUTED_SERIES)
        .collect();
    coloured[i % coloured.len()]
}

/// The palette's grey (buy & hold).
const MUTED_SERIES: &str = "#6b6b6b";

/// Stroke width of the `i`-th series: the first (the strategy) stands out.
pub(crate) fn series_width(i: usize) -> &'static str {
    if i == 0 { "2" } else { "1.4" }
}

/// Axis, grid and text colours used inside the SVGs.
pub(crate) const AXIS: &str = "#333333";
pub(crate) const GRID: &str = "#e3e3e3";
pub(crate) const MUTED: &str = "#777777";

/// Background of a heat-map cell for return `r`: red below zero, green
/// above, white at zero, full colour at `|r| >= scale`. Returns the CSS
/// colour and whether the text on it should be white for contrast.
pub(crate) fn heat_color(r: f64, scale: f64) -> (String, bool) {
    if !r.is_finite() || scale <= 0.0 {
        return ("#f4f4f4".into(), false);
    }
    let t = (r.abs() / scale).min(1.0);
    // Endpoints: green #1a9850, red #d73027; mixed with white by t.
    let (er, eg, eb) = if r >= 0.0 {
        (0x1a, 0x98, 0x50)
    } else {
        (0xd7, 0x30, 0x27)
    };
    let mix = |e: u8| -> u8 { (255.0 + (f64::from(e) - 255.0) * t).round() as u8 };
    (
        format!("#{:02x}{:02x}{:02x}", mix(er), mix(eg), mix(eb)),
        t > 0.65,
    )
}

/// The page's CSS.
pub(crate) const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d1f23;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
header.report-head { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 22px; margin-bottom: 18px; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
.generated-for code { background: #eef1f5; padding: 2px 6px; border-radius: 4px; font-size: 13px; }
.data-range { color: #444; margin: 4px 0 10px; }
dl.parameters { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0 0; font-size: 14px; }
dl.parameters dt { color: #555; }
dl.parameters dd { margin: 0; font-variant-numeric: tabular-nums; }
nav.toc { font-size: 14px; margin-top: 12px; display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav.toc a { color: #1f5fbf; text-decoration: none; white-space: nowrap; }
section.report-section { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; padding: 18px 22px; margin-bottom: 18px; }
figure.chart-figure { margin: 0 0 14px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart-reliability { max-width: 600px; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.chart-note, .table-note, .omitted { color: #666; font-size: 13px; margin: 4px 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e8eb; text-align: left; white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; }
td.num, th.num { text-align: right; }
td.pos { color: #1a7f3c; }
td.neg { color: #b3261e; }
table.heatmap td, table.heatmap th { text-align: center; padding: 4px 6px; min-width: 58px; border: 1px solid #fff; }
table.heatmap td.empty { background: #fafafa; }
table.heatmap td.light-text { color: #fff; }
table.heatmap td.year-total { font-weight: 600; border-left: 3px solid #fff; }
p.text { max-width: 80ch; }
footer { color: #777; font-size: 12.5px; text-align: center; margin-top: 24px; }
@media print { body { background: #fff; } section.report-section, header.report-head { break-inside: avoid; border: none; } }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colors_run_white_to_full() {
        assert_eq!(heat_color(0.0, 0.1).0, "#ffffff");
        assert_eq!(heat_color(0.5, 0.1), ("#1a9850".into(), true));
        assert_eq!(heat_color(-0.5, 0.1), ("#d73027".into(), true));
        assert_eq!(heat_color(f64::NAN, 0.1).0, "#f4f4f4");
        assert_eq!(series_color(7), series_color(0));
        assert!((0..10).all(|i| model_color(i) != MUTED_SERIES));
    }
}
