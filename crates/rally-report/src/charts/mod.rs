//! One file per chart kind. Each returns a [`Figure`]: the inline `<svg>`
//! (or heat-map table) and notes about what could not be drawn, which the
//! page prints under it.

pub(crate) mod heatmap;
pub(crate) mod line;
pub(crate) mod reliability;

/// A drawn chart and what it could not draw.
#[derive(Debug)]
pub(crate) struct Figure {
    pub svg: String,
    pub notes: Vec<String>,
}
