//! PNG charts of backtests and probability calibration, drawn with `plotters`
//! for `retrainer backtest --plot` and `retrainer evaluate --plot`.
//!
//! Three charts, one PNG each ([`WIDTH`]x[`HEIGHT`]):
//! - [`equity_chart`]: strategy against buy-and-hold as cumulative return on a
//!   log scale, drawdown underneath;
//! - [`price_chart`]: price with entry/exit markers, P(rally) and its threshold
//!   underneath;
//! - [`reliability_chart`]: the reliability diagram with bin counts underneath
//!   ([`reliability_compare_chart`]: several models on one chart);
//!
//! What it is not: it computes none of the numbers it draws beyond rebasing and
//! drawdown (the backtest, the model metrics and the caller own those), and it
//! does no I/O besides writing the one PNG per call. The caller creates the
//! output directory. Text is drawn with Noto Sans embedded from the
//! `ttf-noto-sans` crate, so no system font or network is needed.

mod axis;
mod equity;
mod price;
mod reliability;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

pub use equity::equity_chart;
pub use price::price_chart;
pub use reliability::{
    ReliabilityPoint, ReliabilitySeries, reliability_chart, reliability_compare_chart,
};

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 800;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A required input series is empty.
    #[error("{what}: nothing to plot (empty input)")]
    Empty {
        /// Which input.
        what: &'static str,
    },
    /// A series does not have one value per date.
    #[error("{what}: {got} values for {expected} dates")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Number of dates.
        expected: usize,
        /// Number of values given.
        got: usize,
    },
    /// A series has no finite value (or no usable start value) to draw.
    #[error("{what}: {reason}")]
    InvalidData {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The embedded font could not be parsed (a broken font crate).
    #[error("the embedded font could not be registered with plotters")]
    Font,
    /// plotters failed while drawing or writing the PNG.
    #[error("drawing {path}: {message}")]
    Draw {
        /// The PNG being written.
        path: PathBuf,
        /// plotters' error.
        message: String,
    },
}

/// Font family every text style asks for; the only one registered.
const FONT: &str = "sans-serif";

/// Registers the embedded TTF with plotters once per process.
///
/// With the `ab_glyph` feature plotters has no fonts of its own and silently
/// draws no text until one is registered, so every chart calls this first.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let bytes: &'static [u8] = ttf_noto_sans::REGULAR;
        // Register the regular face under every style so that a bold or
        // italic request cannot silently lose its text.
        [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ]
        .into_iter()
        .all(|style| plotters::style::register_font(FONT, style, bytes).is_ok())
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// Opens a [`WIDTH`]x[`HEIGHT`] PNG canvas at `path`, runs `draw` on it and
/// writes the file, mapping every plotters error to [`PlotError::Draw`].
fn render<F>(path: &Path, draw: F) -> Result<(), PlotError>
where
    F: FnOnce(
        &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    ) -> Result<
        (),
        DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>,
    >,
{
    ensure_font()?;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    let result = root
        .fill(&WHITE)
        .and_then(|()| draw(&root))
        // `present` is what writes the file; an unwritable path fails here.
        .and_then(|()| root.present());
    result.map_err(|e| PlotError::Draw {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Checks that `values` has one entry per date.
/// Every chart's frame: the title, then the body split into a top panel of
/// `top_share` of the height and a bottom panel with the rest.
type Panes<DB> = (
    DrawingArea<DB, plotters::coord::Shift>,
    DrawingArea<DB, plotters::coord::Shift>,
);

fn titled_panes<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    top_share: f64,
) -> Result<Panes<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let body = root.titled(title, (FONT, style::TITLE))?;
    let split = (f64::from(body.dim_in_pixel().1) * top_share).round() as i32;
    Ok(body.split_vertically(split))
}

fn check_len(what: &'static str, expected: usize, values: usize) -> Result<(), PlotError> {
    if expected == values {
        Ok(())
    } else {
        Err(PlotError::LengthMismatch {
            what,
            expected,
            got: values,
        })
    }
}

/// Style shared by the charts.
mod style {
    use plotters::style::{RGBAColor, RGBColor};

    /// Strategy / model / price line.
    pub const BLUE: RGBColor = RGBColor(31, 119, 180);
    /// Benchmark line.
    pub const GREY: RGBColor = RGBColor(120, 120, 120);
    /// Winning trade, entry.
    pub const GREEN: RGBColor = RGBColor(30, 150, 50);
    /// Losing trade, drawdown.
    pub const RED: RGBColor = RGBColor(214, 39, 40);
    /// P(rally).
    pub const PURPLE: RGBColor = RGBColor(128, 80, 180);
    /// Threshold.
    pub const ORANGE: RGBColor = RGBColor(240, 120, 0);
    /// Grid lines at labelled ticks.
    pub const GRID: RGBColor = RGBColor(215, 215, 215);
    /// Minor grid lines: none (plotters draws ten per labelled tick, which
    /// reads as hatching at this size).
    pub const GRID_LIGHT: RGBAColor = RGBAColor(255, 255, 255, 0.0);

    /// Title text size, pixels.
    pub const TITLE: u32 = 30;
    /// Axis description size.
    pub const AXIS_DESC: u32 = 20;
    /// Tick label size.
    pub const TICK: u32 = 16;
    /// Legend text size.
    pub const LEGEND: u32 = 17;
    /// Points beyond which a series is drawn 1 px wide: plotters draws wider
    /// polylines segment by segment, which leaves gaps on dense, jagged lines.
    pub const DENSE_POINTS: usize = 400;

    /// Line width for a series of `points` points.
    pub fn line_width(points: usize) -> u32 {
        if points > DENSE_POINTS { 1 } else { 2 }
    }

    /// Width reserved for y tick labels, identical on stacked panels so their
    /// plot areas line up.
    pub const Y_LABEL_AREA: u32 = 95;
}
