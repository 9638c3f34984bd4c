//! The pooled fit of one v2 fold (MODEL-V2.md "Training"): standardise the
//! 22 columns over the pool's finite values, set NaN to the mean (0 after
//! standardising), solve the classic logistic objective exactly, and read
//! the entry / watchlist thresholds off the training rows' own P.

use serde::{Deserialize, Serialize};

use super::design::TickerFold;
use super::{N_V2, V2_FEATURE_NAMES, V2_LR_C, V2Row};
use crate::error::ModelError;
use crate::logistic::{fit_logistic, sigmoid};

/// Percentile of the compressed training rows' P that is the entry threshold.
pub const ENTRY_PERCENTILE: f64 = 80.0;
/// Percentile of the compressed training rows' P that is the watchlist floor.
pub const WATCH_PERCENTILE: f64 = 60.0;

/// Where a v2 model's `p_threshold` comes from: its own compressed
/// training rows (`compression >= comp_threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The compression cut the rows were selected with.
    pub comp_threshold: f64,
    /// Training rows at or above it.
    pub n_compressed: usize,
    /// [`ENTRY_PERCENTILE`]th percentile of their P.
    pub entry: f64,
    /// [`WATCH_PERCENTILE`]th percentile of their P.
    pub watch: f64,
}

/// A fitted pooled model: everything needed to score a 22-feature row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledModel {
    pub features: Vec<String>,
    /// Column means over the pool's finite values (0 if none).
    pub mean: Vec<f64>,
    /// Column population stds over the pool's finite values (1 if 0 or
    /// undefined).
    pub std: Vec<f64>,
    pub intercept: f64,
    pub weights: Vec<f64>,
    /// Training rows fitted, and how many of them rallied.
    pub n_rows: usize,
    pub n_positive: usize,
    /// Tickers with at least one training row in the pool.
    pub n_tickers: usize,
    /// `None` when no training row is compressed enough.
    pub thresholds: Option<Thresholds>,
}

impl PooledModel {
    /// Standardise a raw row; a NaN becomes 0 (the training mean).
    pub fn standardise(&self, x: &V2Row) -> V2Row {
        std::array::from_fn(|k| standardise_value(x[k], self.mean[k], self.std[k]))
    }

    /// `P = sigmoid(b + w . x_std)` of one raw row.
    pub fn predict(&self, x: &V2Row) -> f64 {
        let xs = self.standardise(x);
        let z = self.intercept
            + self
                .weights
                .iter()
                .zip(&xs)
                .map(|(w, v)| w * v)
                .sum::<f64>();
        sigmoid(z)
    }
}

fn standardise_value(v: f64, mean: f64, std: f64) -> f64 {
    let s = (v - mean) / std;
    if s.is_nan() { 0.0 } else { s }
}

/// Mean and population std of each column over its finite values, with the
/// fallbacks of MODEL-V2.md (mean non-finite -> 0; std 0 or non-finite -> 1).
fn column_moments<'a>(rows: impl Iterator<Item = &'a V2Row> + Clone) -> (Vec<f64>, Vec<f64>) {
    let mut sum = [0.0f64; N_V2];
    let mut count = [0usize; N_V2];
    for r in rows.clone() {
        for k in 0..N_V2 {
            if r[k].is_finite() {
                sum[k] += r[k];
                count[k] += 1;
            }
        }
    }
    let mean: [f64; N_V2] = std::array::from_fn(|k| sum[k] / count[k] as f64);
    let mut ss = [0.0f64; N_V2];
    for r in rows {
        for k in 0..N_V2 {
            if r[k].is_finite() {
                let c = r[k] - mean[k];
                ss[k] += c * c;
            }
        }
    }
    let std = (0..N_V2)
        .map(|k| {
            let sd = (ss[k] / count[k] as f64).sqrt();
            if sd == 0.0 || !sd.is_finite() {
                1.0
            } else {
                sd
            }
        })
        .collect();
    let mean = mean
        .iter()
        .map(|m| if m.is_finite() { *m } else { 0.0 })
        .collect();
    (mean, std)
}

/// The `q`th percentile (0..=100) of `values` with linear interpolation
/// between closest ranks (numpy's default `method="linear"`, including its
/// interpolation formula). `None` when `values` is empty; NaNs are not
/// expected (P is always finite).
pub fn percentile_linear(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    percentile_sorted(&v, q)
}

/// [`percentile_linear`] of values already sorted ascending (same formula;
/// for reading many percentiles off one sort).
pub fn percentile_sorted(v: &[f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let idx = (v.len() - 1) as f64 * (q / 100.0);
    let below = (idx.floor() as usize).min(v.len() - 1);
    let above = (below + 1).min(v.len() - 1);
    let gamma = idx - below as f64;
    let (a, b) = (v[below], v[above]);
    let diff = b - a;
    Some(if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    })
}

/// Fit fold `year`'s pooled model on the training rows of `parts` (every
/// ticker's [`TickerFold`] of that year, in a fixed ticker order: the
/// order only moves rounding). Thresholds use the training rows with
/// `compression >= comp_threshold`.
pub fn fit_pooled(
    year: i32,
    parts: &[&TickerFold],
    comp_threshold: f64,
) -> Result<PooledModel, ModelError> {
    fit_inner(parts, comp_threshold).map_err(|e| ModelError::InFold {
        year,
        source: Box::new(e),
    })
}

fn fit_inner(parts: &[&TickerFold], comp_threshold: f64) -> Result<PooledModel, ModelError> {
    let rows = || parts.iter().flat_map(|p| p.train_x.iter());
    let y: Vec<f64> = parts
        .iter()
        .flat_map(|p| p.train_y.iter().copied())
        .collect();
    if y.is_empty() {
        return Err(ModelError::EmptyInput("pooled training rows"));
    }
    let n_positive = y.iter().filter(|&&v| v == 1.0).count();
    if n_positive == 0 || n_positive == y.len() {
        return Err(ModelError::InvalidParameter(format!(
            "the pool's {} training rows are all of one class",
            y.len()
        )));
    }
    let (mean, std) = column_moments(rows());
    let mut x = Vec::with_capacity(y.len() * N_V2);
    for r in rows() {
        x.extend((0..N_V2).map(|k| standardise_value(r[k], mean[k], std[k])));
    }
    let lr = fit_logistic(&x, N_V2, &y, V2_LR_C)?;
    let mut model = PooledModel {
        features: V2_FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        mean,
        std,
        intercept: lr.intercept,
        weights: lr.weights,
        n_rows: y.len(),
        n_positive,
        n_tickers: parts.iter().filter(|p| !p.train_y.is_empty()).count(),
        thresholds: None,
    };
    model.thresholds = thresholds_at(&model, parts, comp_threshold);
    Ok(model)
}

/// The entry / watchlist thresholds of `model` on the training rows of
/// `parts` with `compression >= comp_threshold`; `None` when there is no
/// such row. [`fit_pooled`] stores the ones of its own `comp_threshold`;
/// a sweep over configs asks for the others.
pub fn thresholds_at(
    model: &PooledModel,
    parts: &[&TickerFold],
    comp_threshold: f64,
) -> Option<Thresholds> {
    let compressed: Vec<f64> = parts
        .iter()
        .flat_map(|p| p.train_x.iter().zip(&p.train_compression))
        .filter(|(_, c)| **c >= comp_threshold)
        .map(|(r, _)| model.predict(r))
        .collect();
    Some(Thresholds {
        comp_threshold,
        n_compressed: compressed.len(),
        entry: percentile_linear(&compressed, ENTRY_PERCENTILE)?,
        watch: percentile_linear(&compressed, WATCH_PERCENTILE)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4], 80) == 3.4; 60 -> 2.8; 0 -> 1; 100 -> 4
        let v = [4.0, 1.0, 3.0, 2.0];
        assert!((percentile_linear(&v, 80.0).unwrap() - 3.4).abs() < 1e-15);
        assert!((percentile_linear(&v, 60.0).unwrap() - 2.8).abs() < 1e-15);
        assert_eq!(percentile_linear(&v, 0.0), Some(1.0));
        assert_eq!(percentile_linear(&v, 100.0), Some(4.0));
        assert_eq!(percentile_linear(&[7.0], 80.0), Some(7.0));
        assert_eq!(percentile_linear(&[], 80.0), None);
    }

    fn fold(rows: Vec<(V2Row, f64, f64)>) -> TickerFold {
        TickerFold {
            year: 2020,
            sd_day: 0.01,
            train_x: rows.iter().map(|r| r.0).collect(),
            train_y: rows.iter().map(|r| r.1).collect(),
            train_compression: rows.iter().map(|r| r.2).collect(),
            classic_skipped: None,
            test: Vec::new(),
        }
    }

    /// Deterministic rows: column 0 drives the label, column 13 is NaN on
    /// every third row, column 20 is constant, column 21 always NaN.
    fn rows(n: usize, phase: f64) -> Vec<(V2Row, f64, f64)> {
        (0..n)
            .map(|i| {
                let u = ((i as f64 + phase) * 0.7312).sin();
                let mut x = [0.0; N_V2];
                for (k, v) in x.iter_mut().enumerate() {
                    *v = ((i * (k + 3)) as f64 * 0.37 + phase).cos();
                }
                x[0] = u;
                x[13] = if i % 3 == 0 { f64::NAN } else { 2.0 + u };
                x[20] = 5.0;
                x[21] = f64::NAN;
                let y = f64::from(u + 0.3 * ((i as f64) * 1.9).sin() > 0.2);
                (x, y, (i % 10) as f64 / 10.0)
            })
            .collect()
    }

    #[test]
    fn moments_use_finite_values_and_fallbacks() {
        let a = fold(rows(200, 0.0));
        let b = fold(rows(150, 1.5));
        let m = fit_pooled(2020, &[&a, &b], 0.55).unwrap();
        let all: Vec<&V2Row> = a.train_x.iter().chain(&b.train_x).collect();
        let finite13: Vec<f64> = all
            .iter()
            .map(|r| r[13])
            .filter(|v| v.is_finite())
            .collect();
        let mean13 = finite13.iter().sum::<f64>() / finite13.len() as f64;
        let var13 = finite13
            .iter()
            .map(|v| (v - mean13) * (v - mean13))
            .sum::<f64>()
            / finite13.len() as f64;
        assert!((m.mean[13] - mean13).abs() < 1e-14);
        assert!((m.std[13] - var13.sqrt()).abs() < 1e-14);
        assert_eq!(
            (m.mean[20], m.std[20]),
            (5.0, 1.0),
            "constant column: std 1"
        );
        assert_eq!(
            (m.mean[21], m.std[21]),
            (0.0, 1.0),
            "no finite value: mean 0, std 1"
        );
        assert_eq!(m.n_rows, 350);
        assert_eq!(m.n_tickers, 2);
        // A NaN scores as the training mean.
        let mut x = a.train_x[0];
        x[13] = f64::NAN;
        let mut at_mean = x;
        at_mean[13] = m.mean[13];
        assert_eq!(m.predict(&x), m.predict(&at_mean));
        assert_eq!(m.standardise(&x)[13], 0.0);
        assert!(m.weights[0] > 0.0, "column 0 drives the label");
    }

    #[test]
    fn fit_is_the_optimum_of_the_classic_objective() {
        let a = fold(rows(300, 0.2));
        let m = fit_pooled(2020, &[&a], 0.55).unwrap();
        // Gradient of sum[ln(1+e^z) - y z] + |w|^2/2 at the answer.
        let mut g = [0.0f64; N_V2 + 1];
        for (x, y) in a.train_x.iter().zip(&a.train_y) {
            let xs = m.standardise(x);
            let p = m.predict(x);
            g[0] += p - y;
            for k in 0..N_V2 {
                g[k + 1] += (p - y) * xs[k];
            }
        }
        for k in 0..N_V2 {
            g[k + 1] += m.weights[k];
        }
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(norm < 1e-8, "gradient norm {norm:e}");
    }

    #[test]
    fn thresholds_are_percentiles_of_compressed_training_p() {
        let a = fold(rows(400, 0.0));
        let m = fit_pooled(2020, &[&a], 0.55).unwrap();
        let p: Vec<f64> = a
            .train_x
            .iter()
            .zip(&a.train_compression)
            .filter(|(_, c)| **c >= 0.55)
            .map(|(x, _)| m.predict(x))
            .collect();
        let t = m.thresholds.unwrap();
        assert_eq!(t.n_compressed, p.len());
        assert_eq!(t.n_compressed, 160, "compression 0.6..=0.9: 4 in 10 rows");
        assert_eq!(Some(t.entry), percentile_linear(&p, 80.0));
        assert_eq!(Some(t.watch), percentile_linear(&p, 60.0));
        assert!(t.watch <= t.entry);
        let none = fit_pooled(2020, &[&a], 2.0).unwrap();
        assert_eq!(none.thresholds, None);
        // Asked afterwards for another cut: the same as fitting with it.
        let at = fit_pooled(2020, &[&a], 0.75).unwrap().thresholds;
        assert_eq!(thresholds_at(&m, &[&a], 0.75), at);
        assert_eq!(at.unwrap().n_compressed, 80);
    }

    #[test]
    fn empty_or_single_class_pool_is_an_error_naming_the_fold() {
        let e = fit_pooled(2011, &[], 0.55).unwrap_err();
        assert!(matches!(e, ModelError::InFold { year: 2011, .. }), "{e:?}");
        assert!(matches!(e.root(), ModelError::EmptyInput(_)));
        let mut r = rows(50, 0.0);
        for row in &mut r {
            row.1 = 1.0;
        }
        let e = fit_pooled(2012, &[&fold(r)], 0.55).unwrap_err();
        assert!(
            e.to_string().starts_with("pooled model of fold 2012: "),
            "{e}"
        );
        assert!(matches!(e.root(), ModelError::InvalidParameter(_)));
    }
}
