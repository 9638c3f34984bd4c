//! Feature standardisation (METHOD §6): column means and population standard
//! deviations, fitted on the training rows and applied to every row scored.

use crate::error::ModelError;

/// Feature standardisation: mean and population standard deviation per
/// column (a zero std is replaced by 1), as METHOD §6 prescribes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardiser {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column population standard deviations (0 replaced by 1).
    pub std: Vec<f64>,
}

impl Standardiser {
    /// Fit on row-major `n x d` data. Sums run row by row in order
    /// (mean = sum / n; var = sum((x - mean)^2) / n), like numpy's axis-0
    /// reduction.
    pub fn fit(x: &[f64], d: usize) -> Result<Standardiser, ModelError> {
        if d == 0 || x.is_empty() {
            return Err(ModelError::EmptyInput("standardiser rows"));
        }
        if !x.len().is_multiple_of(d) {
            return Err(ModelError::DimensionMismatch {
                what: "standardiser data (multiple of d)",
                expected: (x.len() / d + 1) * d,
                got: x.len(),
            });
        }
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite { what: "x", index });
        }
        let n = (x.len() / d) as f64;
        let mut mean = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        for m in &mut mean {
            *m /= n;
        }
        let mut var = vec![0.0; d];
        for row in x.chunks_exact(d) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                let c = v - m;
                *s += c * c;
            }
        }
        let std = var
            .into_iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                if sd == 0.0 { 1.0 } else { sd }
            })
            .collect();
        Ok(Standardiser { mean, std })
    }

    /// Number of columns.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardise one row into `out`.
    pub fn transform_row(&self, row: &[f64], out: &mut [f64]) {
        for (((o, v), m), s) in out.iter_mut().zip(row).zip(&self.mean).zip(&self.std) {
            *o = (v - m) / s;
        }
    }

    /// Standardise row-major `n x d` data.
    pub fn transform(&self, x: &[f64]) -> Vec<f64> {
        let d = self.dim().max(1);
        let mut out = vec![0.0; x.len()];
        for (o, r) in out.chunks_exact_mut(d).zip(x.chunks_exact(d)) {
            self.transform_row(r, o);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn standardiser_population_std_and_zero_std() {
        let x = [1.0, 5.0, 3.0, 5.0, 5.0, 5.0];
        let s = Standardiser::fit(&x, 2).unwrap();
        assert_eq!(s.mean, vec![3.0, 5.0]);
        assert!((s.std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(s.std[1], 1.0);
        let t = s.transform(&x);
        assert_eq!(t[1], 0.0);
    }
}
