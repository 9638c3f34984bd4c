//! Increasing isotonic calibration, as scikit-learn's
//! `IsotonicRegression(out_of_bounds="clip", increasing=True)` computes it
//! (METHOD §6).
//!
//! The code path mirrored, step by step (scikit-learn 1.9 with SciPy >= 1.12):
//!
//! 1. `np.lexsort((y, X))`: sort by `x`, ties by `y`, stable.
//! 2. `_make_unique`: walk the sorted points; a point whose `x` is within
//!    `eps = 1e-15` (`np.finfo(float64).resolution`) of the current group's
//!    *first* `x` joins the group (`x - first < eps`); the group's `x` is that
//!    first value, its `y` the (weighted) mean, its weight the group size.
//! 3. `scipy.optimize.isotonic_regression`: Busing's O(n) pool-adjacent-
//!    violators (`_pava_pybind.cpp`), where `>=` merges equal neighbours.
//!    The same arithmetic order is reproduced so the levels agree to the bit.
//! 4. `_build_y(trim_duplicates=True)`: keep the first and last point and
//!    every interior point whose level differs (exact `!=`) from one of its
//!    neighbours' levels.
//! 5. Prediction: clip to `[x_first, x_last]`, then `np.interp` (linear
//!    interpolation, `slope * (t - x_j) + y_j`); one threshold -> its level.

use crate::error::ModelError;

/// `np.finfo(np.float64).resolution`.
const UNIQUE_EPS: f64 = 1e-15;

/// A fitted increasing isotonic calibration: thresholds `x` (increasing) and
/// their levels `y` (non-decreasing), i.e. scikit-learn's `X_thresholds_` /
/// `y_thresholds_`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Isotonic {
    /// Thresholds, strictly increasing.
    pub x: Vec<f64>,
    /// Fitted levels at the thresholds, non-decreasing.
    pub y: Vec<f64>,
}

/// True when `y` holds a single distinct value (or nothing): the calibration
/// rows have one class and the calibration is the identity (METHOD §6).
pub fn single_class(y: &[f64]) -> bool {
    match y.first() {
        None => true,
        Some(&first) => y.iter().all(|&v| v == first),
    }
}

impl Isotonic {
    /// Fit on raw scores `p` and targets `y` (unit weights).
    pub fn fit(p: &[f64], y: &[f64]) -> Result<Isotonic, ModelError> {
        if p.len() != y.len() {
            return Err(ModelError::DimensionMismatch {
                what: "isotonic p / y",
                expected: p.len(),
                got: y.len(),
            });
        }
        if p.is_empty() {
            return Err(ModelError::EmptyInput("isotonic calibration rows"));
        }
        if let Some(index) = p.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "isotonic p",
                index,
            });
        }
        if let Some(index) = y.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::NonFinite {
                what: "isotonic y",
                index,
            });
        }

        // 1. lexsort((y, p)): primary p, secondary y; stable.
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(y[a].total_cmp(&y[b])));

        // 2. _make_unique.
        let mut ux: Vec<f64> = Vec::with_capacity(p.len());
        let mut uy: Vec<f64> = Vec::with_capacity(p.len());
        let mut uw: Vec<f64> = Vec::with_capacity(p.len());
        let mut cur_x = p[order[0]];
        let mut cur_y = 0.0;
        let mut cur_w = 0.0;
        for &j in &order {
            let xj = p[j];
            if xj - cur_x >= UNIQUE_EPS {
                ux.push(cur_x);
                uw.push(cur_w);
                uy.push(cur_y / cur_w);
                cur_x = xj;
                cur_w = 1.0;
                cur_y = y[j];
            } else {
                cur_w += 1.0;
                cur_y += y[j];
            }
        }
        ux.push(cur_x);
        uw.push(cur_w);
        uy.push(cur_y / cur_w);

        // 3. PAVA.
        pava(&mut uy, &mut uw);

        // 4. Trim interior points whose level equals both neighbours'.
        let m = uy.len();
        let mut x = Vec::with_capacity(m);
        let mut yy = Vec::with_capacity(m);
        for i in 0..m {
            let keep = i == 0 || i + 1 == m || uy[i] != uy[i - 1] || uy[i] != uy[i + 1];
            if keep {
                x.push(ux[i]);
                yy.push(uy[i]);
            }
        }
        Ok(Isotonic { x, y: yy })
    }

    /// [`Isotonic::fit`], or `None` (identity calibration) when `y` holds a
    /// single class.
    pub fn fit_or_identity(p: &[f64], y: &[f64]) -> Result<Option<Isotonic>, ModelError> {
        if single_class(y) {
            if p.len() != y.len() {
                return Err(ModelError::DimensionMismatch {
                    what: "isotonic p / y",
                    expected: p.len(),
                    got: y.len(),
                });
            }
            return Ok(None);
        }
        Isotonic::fit(p, y).map(Some)
    }

    /// Calibrated value at `p`: linear interpolation between thresholds,
    /// clipped to the first/last level outside them. NaN stays NaN.
    pub fn predict(&self, p: f64) -> f64 {
        let n = self.x.len();
        if n == 0 {
            return f64::NAN;
        }
        if n == 1 {
            return self.y[0];
        }
        if p.is_nan() {
            return p;
        }
        let t = p.clamp(self.x[0], self.x[n - 1]);
        // np.interp: j with x[j] <= t < x[j+1]; t == x[last] -> y[last].
        if t >= self.x[n - 1] {
            return self.y[n - 1];
        }
        let j = self.x.partition_point(|&v| v <= t).saturating_sub(1);
        if self.x[j] == t {
            return self.y[j];
        }
        let slope = (self.y[j + 1] - self.y[j]) / (self.x[j + 1] - self.x[j]);
        let r = slope * (t - self.x[j]) + self.y[j];
        if r.is_nan() {
            let r2 = slope * (t - self.x[j + 1]) + self.y[j + 1];
            if r2.is_nan() && self.y[j] == self.y[j + 1] {
                return self.y[j];
            }
            return r2;
        }
        r
    }
}

/// Pool-adjacent-violators, in place, exactly as SciPy's `_pava_pybind.cpp`
/// (Busing 2022, Algorithm 1 with `>=`): on return `x` holds the fitted
/// levels, one per input point.
fn pava(x: &mut [f64], w: &mut [f64]) {
    let n = x.len();
    if n < 2 {
        return;
    }
    let mut r = vec![0usize; n + 1];
    r[1] = 1;
    let mut b = 0usize;
    let mut xb_prev = x[0];
    let mut wb_prev = w[0];
    let mut i = 1usize;
    while i < n {
        b += 1;
        let mut xb = x[i];
        let mut wb = w[i];
        if xb_prev >= xb {
            b -= 1;
            let mut sb = wb_prev * xb_prev + wb * xb;
            wb += wb_prev;
            xb = sb / wb;
            while i < n - 1 && xb >= x[i + 1] {
                i += 1;
                sb += w[i] * x[i];
                wb += w[i];
                xb = sb / wb;
            }
            while b > 0 && x[b - 1] >= xb {
                b -= 1;
                sb += w[b] * x[b];
                wb += w[b];
                xb = sb / wb;
            }
        }
        x[b] = xb;
        xb_prev = xb;
        w[b] = wb;
        wb_prev = wb;
        r[b + 1] = i + 1;
        i += 1;
    }
    // Expand block values; from the last block down so that block k's value,
    // stored at index k <= r[k], is read before anything overwrites it.
    for k in (0..=b).rev() {
        let v = x[k];
        x[r[k]..r[k + 1]].fill(v);
    }
}

/// The calibration step of the model: isotonic, or the identity when the
/// calibration rows held a single class.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Calibration {
    /// Single-class calibration rows: P = raw probability.
    Identity,
    /// Isotonic calibration.
    Isotonic(Isotonic),
}

impl Calibration {
    /// Fit on raw scores and labels (identity when single class).
    pub fn fit(p: &[f64], y: &[f64]) -> Result<Calibration, ModelError> {
        Ok(match Isotonic::fit_or_identity(p, y)? {
            Some(iso) => Calibration::Isotonic(iso),
            None => Calibration::Identity,
        })
    }

    /// Calibrated probability of a raw score.
    pub fn apply(&self, p: f64) -> f64 {
        match self {
            Calibration::Identity => p,
            Calibration::Isotonic(iso) => iso.predict(p),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn brute_pava(y: &[f64]) -> Vec<f64> {
        // Reference: minimum over lower sets (max-min formula) for unit weights.
        let n = y.len();
        (0..n)
            .map(|i| {
                (0..=i)
                    .map(|a| {
                        (i..n)
                            .map(|b| y[a..=b].iter().sum::<f64>() / (b - a + 1) as f64)
                            .fold(f64::INFINITY, f64::min)
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect()
    }

    #[test]
    fn already_monotone_keeps_every_distinct_level() {
        let iso = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4], &[0.0, 0.0, 1.0, 1.0]).unwrap();
        // Levels 0,0,1,1: no interior point equals both neighbours.
        assert_eq!(iso.x, vec![0.1, 0.2, 0.3, 0.4]);
        assert_eq!(iso.y, vec![0.0, 0.0, 1.0, 1.0]);
        let iso = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4, 0.5], &[0.0, 0.0, 0.0, 1.0, 1.0]).unwrap();
        assert_eq!(iso.x, vec![0.1, 0.3, 0.4, 0.5]);
        assert!((iso.predict(0.35) - 0.5).abs() < 1e-15);
        assert_eq!(iso.predict(0.0), 0.0);
        assert_eq!(iso.predict(0.9), 1.0);
        assert_eq!(iso.predict(0.2), 0.0);
    }

    #[test]
    fn fully_decreasing_pools_to_one_level() {
        let iso = Isotonic::fit(&[0.1, 0.2, 0.3, 0.4], &[1.0, 1.0, 0.0, 0.0]).unwrap();
        assert_eq!(iso.x, vec![0.1, 0.4]);
        assert_eq!(iso.y, vec![0.5, 0.5]);
        assert_eq!(iso.predict(0.25), 0.5);
    }

    #[test]
    fn ties_are_merged_with_mean_and_weight() {
        // x = 0.2 appears three times with y 1,0,0 -> one point, y = 1/3, w = 3.
        let p = [0.2, 0.1, 0.2, 0.3, 0.2];
        let y = [1.0, 1.0, 0.0, 1.0, 0.0];
        let iso = Isotonic::fit(&p, &y).unwrap();
        // Unique: (0.1,1,w1), (0.2,1/3,w3), (0.3,1,w1) -> pool first two: 0.5.
        assert_eq!(iso.x, vec![0.1, 0.2, 0.3]);
        assert_eq!(iso.y, vec![0.5, 0.5, 1.0]);
    }

    #[test]
    fn near_ties_join_the_group_of_the_first_value() {
        let a = 0.5;
        let b = a + 6e-16; // within 1e-15 of a
        let c = a + 1.2e-15; // within 1e-15 of b, not of a -> new group
        let iso = Isotonic::fit(&[a, b, c], &[0.0, 1.0, 1.0]).unwrap();
        assert_eq!(iso.x, vec![a, c]);
        assert_eq!(iso.y, vec![0.5, 1.0]);
    }

    #[test]
    fn all_equal_x_gives_one_threshold() {
        let iso = Isotonic::fit(&[0.3, 0.3, 0.3, 0.3], &[1.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(iso.x, vec![0.3]);
        assert_eq!(iso.y, vec![0.25]);
        assert_eq!(iso.predict(0.0), 0.25);
        assert_eq!(iso.predict(1.0), 0.25);
    }

    #[test]
    fn one_point() {
        let iso = Isotonic::fit(&[0.7], &[1.0]).unwrap();
        assert_eq!(iso.x, vec![0.7]);
        assert_eq!(iso.y, vec![1.0]);
        assert_eq!(iso.predict(0.1), 1.0);
    }

    #[test]
    fn single_class_is_identity() {
        assert!(single_class(&[1.0, 1.0]));
        assert!(single_class(&[]));
        assert!(!single_class(&[0.0, 1.0]));
        let c = Calibration::fit(&[0.2, 0.4], &[0.0, 0.0]).unwrap();
        assert_eq!(c, Calibration::Identity);
        assert_eq!(c.apply(0.37), 0.37);
        // Isotonic itself still fits a single class (constant level).
        let iso = Isotonic::fit(&[0.2, 0.4, 0.6], &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!(iso.x, vec![0.2, 0.6]);
        assert_eq!(iso.y, vec![1.0, 1.0]);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            Isotonic::fit(&[], &[]),
            Err(ModelError::EmptyInput(_))
        ));
        assert!(matches!(
            Isotonic::fit(&[0.1], &[]),
            Err(ModelError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            Isotonic::fit(&[0.1, f64::NAN], &[0.0, 1.0]),
            Err(ModelError::NonFinite { .. })
        ));
    }

    #[test]
    fn pava_matches_brute_force() {
        let mut s = 12345u64;
        for n in 1..40 {
            let y: Vec<f64> = (0..n)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((s >> 40) % 5) as f64
                })
                .collect();
            let mut got = y.clone();
            let mut w = vec![1.0; n];
            pava(&mut got, &mut w);
            let want = brute_pava(&y);
            for (g, e) in got.iter().zip(&want) {
                assert!((g - e).abs() < 1e-12, "{y:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn interpolation_and_clipping() {
        let iso = Isotonic {
            x: vec![0.0, 0.5, 1.0],
            y: vec![0.1, 0.3, 0.9],
        };
        assert_eq!(iso.predict(-1.0), 0.1);
        assert_eq!(iso.predict(2.0), 0.9);
        assert!((iso.predict(0.25) - 0.2).abs() < 1e-15);
        assert!((iso.predict(0.75) - 0.6).abs() < 1e-15);
        assert_eq!(iso.predict(0.5), 0.3);
        assert!(iso.predict(f64::NAN).is_nan());
    }

    #[test]
    fn predictions_are_monotone() {
        let p: Vec<f64> = (0..200).map(|i| ((i * 37) % 200) as f64 / 200.0).collect();
        let y: Vec<f64> = (0..200).map(|i| f64::from((i * 7919) % 3 == 0)).collect();
        let iso = Isotonic::fit(&p, &y).unwrap();
        let mut prev = f64::NEG_INFINITY;
        for k in 0..=1000 {
            let v = iso.predict(k as f64 / 1000.0);
            assert!(v >= prev - 1e-15);
            prev = v;
        }
        for w in iso.x.windows(2) {
            assert!(w[0] < w[1]);
        }
    }
}
