//! The P(rally) reliability diagram: for each model, the observed rally
//! rate of each P bin against the bin's mean P, on the unit square with
//! the diagonal a perfectly calibrated model would follow.
//!
//! Dot area grows with the bin's count, so a bin of three setups does not
//! look as convincing as one of three thousand.

use crate::charts::Figure;
use crate::model::ReliabilityCurve;
use crate::style::{MUTED, model_color};
use crate::svg::{Frame, Svg, TOP_WITH_LEGEND, nice_ticks, tick_label};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 620.0;

/// Draws the diagram for `curves`.
pub(crate) fn render(id: &str, title: &str, curves: &[ReliabilityCurve]) -> Figure {
    let frame = Frame {
        width: WIDTH,
        height: HEIGHT,
        left: 64.0,
        right: 24.0,
        top: TOP_WITH_LEGEND,
        bottom: 52.0,
        x0: 0.0,
        x1: 1.0,
        y0: 0.0,
        y1: 1.0,
        log: false,
    };
    let (_, _, step, ticks) = nice_ticks(0.0, 1.0, 5);
    let labelled: Vec<(f64, String)> = ticks.iter().map(|v| (*v, tick_label(*v, step))).collect();
    let mut svg = Svg::open(id, "chart-reliability", WIDTH, HEIGHT, title);
    svg.title(&frame, title);
    svg.axes(&frame, &labelled, &labelled);
    svg.text(
        (frame.plot_left() + frame.plot_right()) / 2.0,
        HEIGHT - 12.0,
        "middle",
        12.5,
        MUTED,
        "mean predicted P in the bin",
    );
    let (cx, cy) = (16.0, (frame.plot_top() + frame.plot_bottom()) / 2.0);
    svg.raw(&format!(
        "<text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" font-size=\"12.5\" fill=\"{MUTED}\" transform=\"rotate(-90 {cx} {cy})\">observed rally rate</text>\n"
    ));
    svg.line(
        frame.px(0.0),
        frame.py(0.0),
        frame.px(1.0),
        frame.py(1.0),
        MUTED,
        " stroke-dasharray=\"5 4\" class=\"diagonal\"",
    );

    let mut notes = Vec::new();
    let max_n = curves
        .iter()
        .flat_map(|c| c.bins.iter().map(|b| b.n))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut any = false;
    for (i, curve) in curves.iter().enumerate() {
        let color = model_color(i);
        let mut bins: Vec<_> = curve
            .bins
            .iter()
            .filter(|b| {
                b.mean_p.is_finite()
                    && b.observed_rate.is_finite()
                    && (0.0..=1.0).contains(&b.mean_p)
                    && (0.0..=1.0).contains(&b.observed_rate)
            })
            .copied()
            .collect();
        let skipped = curve.bins.len() - bins.len();
        if skipped > 0 {
            notes.push(format!(
                "{}: {} outside [0, 1] or not a number, not drawn.",
                curve.model,
                rally_text::count(skipped, "bin")
            ));
        }
        bins.sort_by(|a, b| a.mean_p.total_cmp(&b.mean_p));
        let pts: Vec<(f64, f64)> = bins
            .iter()
            .map(|b| (frame.px(b.mean_p), frame.py(b.observed_rate)))
            .collect();
        if pts.len() > 1 {
            svg.polyline(&pts, color, "1.6", "series");
        }
        for (b, (x, y)) in bins.iter().zip(&pts) {
            any = true;
            let r = 3.0 + 8.0 * (b.n as f64 / max_n).sqrt();
            let tip = format!(
                "{}: mean P {}, observed {}, n {}",
                curve.model,
                rally_text::probability(b.mean_p),
                rally_text::probability(b.observed_rate),
                rally_text::whole(b.n as f64, false)
            );
            svg.circle(*x, *y, r, color, &tip);
        }
    }
    if !any {
        svg.message(&frame, "no bins to draw");
    }
    let mut legend: Vec<(&str, &str, bool)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| (c.model.as_str(), model_color(i), false))
        .collect();
    legend.push(("perfect calibration", MUTED, true));
    svg.legend(&frame, &legend);
    Figure {
        svg: svg.finish(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReliabilityBin;

    #[test]
    fn draws_the_diagonal_and_skips_bad_bins() {
        let curves = vec![ReliabilityCurve {
            model: "v2".into(),
            bins: vec![
                ReliabilityBin {
                    mean_p: 0.1,
                    observed_rate: 0.12,
                    n: 100,
                },
                ReliabilityBin {
                    mean_p: f64::NAN,
                    observed_rate: 0.5,
                    n: 3,
                },
                ReliabilityBin {
                    mean_p: 0.6,
                    observed_rate: 1.5,
                    n: 3,
                },
                ReliabilityBin {
                    mean_p: 0.5,
                    observed_rate: 0.45,
                    n: 0,
                },
            ],
        }];
        let f = render("rel", "Calibration", &curves);
        assert!(f.svg.contains("class=\"diagonal\""));
        assert_eq!(f.svg.matches("<circle").count(), 2);
        assert_eq!(f.notes.len(), 1);
        assert!(!f.svg.contains("NaN"));
        let empty = render("rel", "Calibration", &[]);
        assert!(empty.svg.contains("no bins to draw"));
    }
}
