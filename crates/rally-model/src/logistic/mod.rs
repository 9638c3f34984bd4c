//! L2-penalised logistic regression (METHOD §6), solved to the exact optimum.
//!
//! The objective is the sum form of scikit-learn's `LogisticRegression(C)`:
//!
//! ```text
//! f(b, w) = sum_i [ ln(1 + e^{z_i}) - y_i z_i ] + ||w||^2 / (2 C),   z_i = b + w . x_i
//! ```
//!
//! with the intercept `b` unpenalised. It is strictly convex, so the optimum
//! is unique and any two correct solvers agree up to rounding. This file is
//! the public API and the solve sequence; `objective` holds the kernel,
//! `argmin_adapter` the L-BFGS warm start, `newton` the Newton phases and
//! Cholesky, `standardise` the [`Standardiser`].

mod argmin_adapter;
mod newton;
mod objective;
mod standardise;
#[cfg(test)]
mod test_data;

pub use standardise::Standardiser;

use crate::error::ModelError;
use objective::Problem;

/// A fitted logistic regression in standardised feature space.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogisticFit {
    /// Unpenalised intercept `b`.
    pub intercept: f64,
    /// Weights `w`, one per feature column.
    pub weights: Vec<f64>,
    /// 2-norm of the objective's gradient at the returned point.
    pub grad_norm: f64,
    /// Total iterations: argmin L-BFGS iterations plus Newton steps.
    pub iterations: usize,
}

impl LogisticFit {
    /// Linear score `b + w . x` of one (standardised) row.
    pub fn decision(&self, x: &[f64]) -> f64 {
        self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
    }

    /// Raw probability `sigmoid(b + w . x)` of one (standardised) row.
    pub fn predict_proba(&self, x: &[f64]) -> f64 {
        sigmoid(self.decision(x))
    }
}

/// Solver settings. [`Default`] is what [`fit_logistic`] uses.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticOptions {
    /// Cap on argmin L-BFGS iterations (0 skips argmin: pure Newton from zero).
    pub lbfgs_max_iters: u64,
    /// L-BFGS stops when the gradient norm is below this (loose on purpose).
    pub lbfgs_tol_grad: f64,
    /// L-BFGS stops when the cost changes by less than this.
    pub lbfgs_tol_cost: f64,
    /// L-BFGS memory length.
    pub lbfgs_memory: usize,
    /// Cap on Newton steps.
    pub newton_max_iters: usize,
    /// Newton stops once the gradient 2-norm is at or below this.
    pub grad_tol: f64,
    /// A final gradient 2-norm above this is a [`ModelError::Solver`].
    pub grad_tol_hard: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        LogisticOptions {
            lbfgs_max_iters: 3,
            lbfgs_tol_grad: 1e-2,
            lbfgs_tol_cost: 1e-9,
            lbfgs_memory: 7,
            newton_max_iters: 50,
            grad_tol: 1e-10,
            grad_tol_hard: 1e-8,
        }
    }
}

/// Numerically stable logistic function.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Numerically stable `ln(1 + e^z)`.
#[inline]
pub fn log1p_exp(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Minimise `sum_i [ln(1+e^{z_i}) - y_i z_i] + ||w||^2/(2C)`, `z_i = b + w.x_i`,
/// intercept unpenalised. `x` is row-major `n x d` (already standardised),
/// `y` in `{0, 1}` (any value in `[0, 1]` is accepted).
pub fn fit_logistic(x: &[f64], d: usize, y: &[f64], c: f64) -> Result<LogisticFit, ModelError> {
    fit_logistic_with(x, d, y, c, &LogisticOptions::default())
}

/// [`fit_logistic`] with explicit solver settings.
pub fn fit_logistic_with(
    x: &[f64],
    d: usize,
    y: &[f64],
    c: f64,
    opts: &LogisticOptions,
) -> Result<LogisticFit, ModelError> {
    let prob = validate(x, d, y, c)?;
    solve(&prob, opts)
}

/// Check the inputs once and build the [`Problem`] every phase works on.
fn validate<'a>(x: &'a [f64], d: usize, y: &'a [f64], c: f64) -> Result<Problem<'a>, ModelError> {
    let n = y.len();
    if n == 0 {
        return Err(ModelError::EmptyInput("logistic regression rows"));
    }
    if x.len() != n * d {
        return Err(ModelError::DimensionMismatch {
            what: "logistic regression design matrix (n * d)",
            expected: n * d,
            got: x.len(),
        });
    }
    if !(c.is_finite() && c > 0.0) {
        return Err(ModelError::InvalidParameter(format!(
            "C must be finite and > 0, got {c}"
        )));
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::NonFinite { what: "x", index });
    }
    if let Some(index) = y.iter().position(|v| !v.is_finite()) {
        return Err(ModelError::NonFinite { what: "y", index });
    }
    if let Some(i) = y.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(ModelError::InvalidParameter(format!(
            "label y[{i}] = {} is outside [0, 1]",
            y[i]
        )));
    }

    Ok(Problem {
        x,
        y,
        d,
        inv_c: 1.0 / c,
    })
}

/// The solve sequence, on validated inputs:
///
/// 1. **argmin L-BFGS** from zero, loose and short (`argmin_adapter`): it only
///    brings the iterate into Newton's quadratic-convergence region. Its
///    evaluations are budgeted (argmin's More–Thuente line search has no
///    iteration cap and can spin at the rounding floor); a failed run is not
///    fatal: Newton then starts from zero.
/// 2. **Newton polish** (`newton::polish`) with a backtracking safeguard,
///    until the gradient 2-norm is `<= 1e-10` ([`LogisticOptions::grad_tol`]).
/// 3. **Fallback** only when phase 2 stops above `1e-8`
///    ([`LogisticOptions::grad_tol_hard`]): a Levenberg-damped Newton with
///    backtracking on the objective (`newton::damped`), from the better of
///    phase 2's point and zero. Phase 2 accepts steps on the gradient norm and
///    gives up after a few steps without progress, which is fast but can stall
///    when argmin's first steps land far out (rare positives, heavy-tailed
///    columns: the hand-tuned barriers of `retrainer --validate` on SPY, QQQ,
///    XLF). Where phase 2 converges the fallback never runs, so those fits are
///    unchanged.
///
/// A result whose gradient norm is still above `1e-8` is a
/// [`ModelError::Solver`].
fn solve(prob: &Problem<'_>, opts: &LogisticOptions) -> Result<LogisticFit, ModelError> {
    let p = prob.d + 1;

    // Phase 1: argmin L-BFGS, loose and short.
    let mut theta = vec![0.0; p];
    let mut iterations = 0usize;
    if opts.lbfgs_max_iters > 0 {
        match argmin_adapter::run_lbfgs(prob, opts) {
            Ok((t, iters)) => {
                if t.iter().all(|v| v.is_finite()) {
                    theta = t;
                }
                iterations += iters;
            }
            Err(e) => {
                // Not fatal: Newton from zero is a valid (damped) path.
                tracing::debug!("argmin L-BFGS failed ({e}); Newton from zero");
            }
        }
    }

    // Phase 2: Newton polish.
    let fast = newton::polish(prob, theta, opts);
    let (theta, gnorm, steps) = match fast {
        Ok((theta, gnorm, steps)) if converged(gnorm, opts) => (theta, gnorm, steps),
        other => {
            // Phase 3 (rare): the fast path stopped short, e.g. argmin's
            // first steps left the iterate where the Newton model is poor
            // (rare positives, heavy-tailed columns). The objective is
            // strictly convex, so a damped Newton on it converges from
            // anywhere; start from the better of that point and zero.
            let (from, steps) = match other {
                Ok((theta, gnorm, steps)) => {
                    tracing::debug!("Newton stopped at gradient norm {gnorm:e}; damped Newton");
                    (theta, steps)
                }
                Err(e) => {
                    tracing::debug!("Newton failed ({e}); damped Newton");
                    (vec![0.0; p], 0)
                }
            };
            let (theta, gnorm, more) = newton::damped(prob, &from, opts);
            (theta, gnorm, steps + more)
        }
    };
    iterations += steps;
    if !converged(gnorm, opts) {
        return Err(ModelError::Solver(format!(
            "logistic regression: gradient norm {gnorm:e} above {:e} after {iterations} iterations",
            opts.grad_tol_hard
        )));
    }
    Ok(LogisticFit {
        intercept: theta[0],
        weights: theta[1..].to_vec(),
        grad_norm: gnorm,
        iterations,
    })
}

/// The final gradient norm is acceptable (NaN is not).
fn converged(gnorm: f64, opts: &LogisticOptions) -> bool {
    gnorm <= opts.grad_tol_hard
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::objective::{Problem, norm2};
    use super::test_data::{rare_heavy, synth};
    use super::*;

    fn grad_at(x: &[f64], d: usize, y: &[f64], c: f64, fit: &LogisticFit) -> f64 {
        let prob = Problem {
            x,
            y,
            d,
            inv_c: 1.0 / c,
        };
        let mut theta = vec![fit.intercept];
        theta.extend_from_slice(&fit.weights);
        let mut g = vec![0.0; d + 1];
        prob.eval(&theta, Some(&mut g), None);
        norm2(&g)
    }

    #[test]
    fn sigmoid_and_log1p_exp_are_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(800.0) == 1.0 && sigmoid(-800.0) >= 0.0);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() <= 2.3e-16);
        assert_eq!(log1p_exp(1000.0), 1000.0);
        assert!(log1p_exp(-1000.0) >= 0.0 && log1p_exp(-1000.0) < 1e-300);
        assert!((log1p_exp(0.0) - 2f64.ln()).abs() < 1e-16);
    }

    #[test]
    fn converges_to_tight_gradient() {
        let (x, y) = synth(1000, 13, 42);
        let fit = fit_logistic(&x, 13, &y, 1.0).unwrap();
        assert!(fit.grad_norm <= 1e-10, "{}", fit.grad_norm);
        assert!(grad_at(&x, 13, &y, 1.0, &fit) <= 1e-9);
    }

    #[test]
    fn all_paths_agree() {
        let (x, y) = synth(700, 6, 3);
        let a = fit_logistic(&x, 6, &y, 1.0).unwrap();
        let newton_only = LogisticOptions {
            lbfgs_max_iters: 0,
            ..LogisticOptions::default()
        };
        let b = fit_logistic_with(&x, 6, &y, 1.0, &newton_only).unwrap();
        let lbfgs_heavy = LogisticOptions {
            lbfgs_max_iters: 500,
            lbfgs_tol_grad: 1e-9,
            lbfgs_tol_cost: 1e-13,
            ..LogisticOptions::default()
        };
        let c = fit_logistic_with(&x, 6, &y, 1.0, &lbfgs_heavy).unwrap();
        for (u, v) in [(&a, &b), (&a, &c)] {
            assert!((u.intercept - v.intercept).abs() < 1e-9);
            for (p, q) in u.weights.iter().zip(&v.weights) {
                assert!((p - q).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn rare_positives_and_heavy_tails_reach_the_optimum() {
        let newton_only = LogisticOptions {
            lbfgs_max_iters: 0,
            ..LogisticOptions::default()
        };
        for seed in [19, 45, 46, 170] {
            let (x, y) = rare_heavy(500, 8, seed);
            let fit = fit_logistic(&x, 8, &y, 1.0).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert!(fit.grad_norm <= 1e-8, "seed {seed}: {}", fit.grad_norm);
            assert!(grad_at(&x, 8, &y, 1.0, &fit) <= 1e-8, "seed {seed}");
            // The optimum is unique: the Newton-from-zero path agrees.
            let b = fit_logistic_with(&x, 8, &y, 1.0, &newton_only).unwrap();
            assert!((fit.intercept - b.intercept).abs() < 1e-8, "seed {seed}");
            for (p, q) in fit.weights.iter().zip(&b.weights) {
                assert!((p - q).abs() < 1e-8, "seed {seed}");
            }
        }
    }

    #[test]
    fn separable_data_is_bounded_by_penalty() {
        // Perfectly separable: without the penalty w would diverge.
        let x: Vec<f64> = (0..100).map(|i| i as f64 / 10.0 - 5.0).collect();
        let y: Vec<f64> = x.iter().map(|v| if *v > 0.0 { 1.0 } else { 0.0 }).collect();
        let fit = fit_logistic(&x, 1, &y, 1.0).unwrap();
        assert!(fit.grad_norm <= 1e-10);
        assert!(fit.weights[0] > 0.0 && fit.weights[0].is_finite());
    }

    #[test]
    fn single_class_and_zero_features() {
        let y = vec![1.0; 50];
        let fit = fit_logistic(&[], 0, &y, 1.0).unwrap();
        // Unpenalised intercept with all-ones labels diverges slowly; the
        // gradient n * (1 - p) must still be driven to ~0 only if reachable.
        assert!(fit.weights.is_empty());
        assert!(fit.intercept > 20.0);
        let y: Vec<f64> = (0..40).map(|i| f64::from(i % 4 == 0)).collect();
        let fit = fit_logistic(&[], 0, &y, 1.0).unwrap();
        assert!((sigmoid(fit.intercept) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            fit_logistic(&[], 2, &[], 1.0),
            Err(ModelError::EmptyInput(_))
        ));
        assert!(matches!(
            fit_logistic(&[1.0, 2.0, 3.0], 2, &[1.0, 0.0], 1.0),
            Err(ModelError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            fit_logistic(&[1.0, f64::NAN], 1, &[1.0, 0.0], 1.0),
            Err(ModelError::NonFinite {
                what: "x",
                index: 1
            })
        ));
        assert!(matches!(
            fit_logistic(&[1.0, 2.0], 1, &[1.0, 2.0], 1.0),
            Err(ModelError::InvalidParameter(_))
        ));
        assert!(matches!(
            fit_logistic(&[1.0, 2.0], 1, &[1.0, 0.0], 0.0),
            Err(ModelError::InvalidParameter(_))
        ));
    }
}
