//! Newton on the `(d+1) x (d+1)` system with our own Cholesky factorisation
//! (no LAPACK): [`polish`], the fast phase after argmin, and [`damped`], the
//! Levenberg-damped fallback for when `polish` stops short of the tolerance.

use crate::error::ModelError;

use super::LogisticOptions;
use super::objective::{Problem, norm2};

/// Cholesky of `H + ridge I`, `H` symmetric with its *upper* triangle in `h`
/// (row-major `p x p`); writes `L` (lower, row-major) into `l`. Returns false
/// if a pivot is not positive.
fn cholesky_upper(h: &[f64], ridge: f64, l: &mut [f64], p: usize) -> bool {
    l.fill(0.0);
    for j in 0..p {
        let mut s = h[j * p + j] + ridge;
        for k in 0..j {
            s -= l[j * p + k] * l[j * p + k];
        }
        if !(s > 0.0 && s.is_finite()) {
            return false;
        }
        let ljj = s.sqrt();
        l[j * p + j] = ljj;
        for i in (j + 1)..p {
            // A[i][j] = A[j][i] (upper triangle).
            let mut s = h[j * p + i];
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            l[i * p + j] = s / ljj;
        }
    }
    true
}

/// Solve `L L^T x = b` in place (`b` becomes `x`).
fn cholesky_solve(l: &[f64], p: usize, b: &mut [f64]) {
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for k in (i + 1)..p {
            s -= l[k * p + i] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
}

/// Damped Newton from `theta`. Returns the last accepted point, its gradient
/// norm, and the number of Newton steps taken.
///
/// Globalisation: the step `t` (1, 1/2, 1/4, ...) is accepted when the
/// merit `||g||^2` decreases sufficiently (the Newton direction is a descent
/// direction for it, and this needs no objective value, hence no `ln_1p`
/// per row), or else when the objective satisfies the Armijo condition.
pub(super) fn polish(
    prob: &Problem<'_>,
    mut theta: Vec<f64>,
    opts: &LogisticOptions,
) -> Result<(Vec<f64>, f64, usize), ModelError> {
    let p = prob.d + 1;
    let mut g = vec![0.0; p];
    let mut h = vec![0.0; p * p];
    let mut l = vec![0.0; p * p];
    let mut dir = vec![0.0; p];
    let mut trial = vec![0.0; p];
    let mut g2 = vec![0.0; p];
    let mut h2 = vec![0.0; p * p];
    let mut a = vec![0.0; p];

    prob.grad_hess(&theta, &mut a, &mut g, &mut h);
    let mut gnorm = norm2(&g);
    if !gnorm.is_finite() {
        return Err(ModelError::Solver("non-finite gradient at start".into()));
    }
    let mut steps = 0usize;
    let mut stalled = 0usize;

    while gnorm > opts.grad_tol && steps < opts.newton_max_iters {
        // Newton direction: H dir = -g, with a tiny ridge if H is not PD.
        let mut ridge = 0.0;
        let trace: f64 = (0..p).map(|j| h[j * p + j]).sum();
        loop {
            if cholesky_upper(&h, ridge, &mut l, p) {
                break;
            }
            ridge = if ridge == 0.0 {
                1e-12 * trace.max(1.0)
            } else {
                ridge * 100.0
            };
            if ridge.is_nan() || ridge >= 1e6 * trace.max(1.0) {
                return Err(ModelError::Solver(
                    "Hessian is not positive definite".into(),
                ));
            }
        }
        for (dj, gj) in dir.iter_mut().zip(&g) {
            *dj = -gj;
        }
        cholesky_solve(&l, p, &mut dir);
        let slope: f64 = dir.iter().zip(&g).map(|(a, b)| a * b).sum();

        let mut f_cur: Option<f64> = None;
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            for ((tr, th), dj) in trial.iter_mut().zip(&theta).zip(&dir) {
                *tr = th + t * dj;
            }
            prob.grad_hess(&trial, &mut a, &mut g2, &mut h2);
            let gn2 = norm2(&g2);
            let mut ok = gn2.is_finite() && gn2 * gn2 <= (1.0 - 2e-4 * t) * gnorm * gnorm;
            if !ok && gn2.is_finite() {
                // Fall back on the objective (Armijo).
                let f0 = *f_cur.get_or_insert_with(|| prob.eval(&theta, None, None));
                let f2 = prob.eval(&trial, None, None);
                ok = f2.is_finite() && f2 <= f0 + 1e-4 * t * slope;
            }
            if ok {
                stalled = if gn2 < 0.5 * gnorm { 0 } else { stalled + 1 };
                std::mem::swap(&mut theta, &mut trial);
                std::mem::swap(&mut g, &mut g2);
                std::mem::swap(&mut h, &mut h2);
                gnorm = gn2;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        steps += 1;
        if !accepted || stalled >= 3 {
            // Rounding floor reached (or no progress possible): stop.
            break;
        }
    }
    Ok((theta, gnorm, steps))
}

/// Cap on the steps of [`damped`]. Its damped phase shrinks the
/// objective gap by a fixed fraction per step, so a few hundred steps cover
/// any start a finite problem can produce.
const DAMPED_MAX_ITERS: usize = 500;

/// Levenberg-damped Newton with backtracking on the objective: the fallback
/// when [`polish`] stops short. Starts from whichever of `from` and zero has
/// the lower objective. Returns the point, its gradient norm and the steps.
///
/// Each step solves `(H + mu I) d = -g` with `mu = ||g||` (grown if the
/// factorisation fails): far from the optimum this shortens and turns the
/// step towards the gradient, near it `mu -> 0` and the step is Newton's,
/// with its quadratic convergence. The step length `t` halves until the
/// objective satisfies Armijo. Close to the optimum the objective's decrease
/// falls below its rounding, so a step that does not raise the objective
/// beyond rounding and lowers the gradient norm is accepted too. The loop
/// ends at the tolerance, at the step cap, or when no step is accepted (the
/// rounding floor).
pub(super) fn damped(
    prob: &Problem<'_>,
    from: &[f64],
    opts: &LogisticOptions,
) -> (Vec<f64>, f64, usize) {
    let p = prob.d + 1;
    let zero = vec![0.0; p];
    let f_from = prob.eval(from, None, None);
    let f_zero = prob.eval(&zero, None, None);
    let (mut theta, mut f) = if f_from.is_finite() && f_from < f_zero {
        (from.to_vec(), f_from)
    } else {
        (zero, f_zero)
    };
    let mut g = vec![0.0; p];
    let mut h = vec![0.0; p * p];
    let mut l = vec![0.0; p * p];
    let mut dir = vec![0.0; p];
    let mut trial = vec![0.0; p];
    let mut g2 = vec![0.0; p];
    let mut h2 = vec![0.0; p * p];
    let mut a = vec![0.0; p];
    prob.grad_hess(&theta, &mut a, &mut g, &mut h);
    let mut gnorm = norm2(&g);
    let mut steps = 0usize;
    while gnorm.is_finite() && gnorm > opts.grad_tol && steps < DAMPED_MAX_ITERS {
        let trace: f64 = (0..p).map(|j| h[j * p + j]).sum();
        let mut mu = gnorm;
        while !cholesky_upper(&h, mu, &mut l, p) {
            mu = (mu * 10.0).max(1e-12 * trace.max(1.0));
            if !mu.is_finite() {
                return (theta, gnorm, steps);
            }
        }
        for (dj, gj) in dir.iter_mut().zip(&g) {
            *dj = -gj;
        }
        cholesky_solve(&l, p, &mut dir);
        let slope: f64 = dir.iter().zip(&g).map(|(a, b)| a * b).sum();
        // Rounding of the objective: about n ulps of its size.
        let slack = 8.0 * f64::EPSILON * f.abs().max(1.0) * (prob.y.len() as f64).sqrt();
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..60 {
            for ((tr, th), dj) in trial.iter_mut().zip(&theta).zip(&dir) {
                *tr = th + t * dj;
            }
            let f2 = prob.eval(&trial, None, None);
            let armijo = f2 <= f + 1e-4 * t * slope;
            let flat = f2 <= f + slack;
            if armijo || flat {
                prob.grad_hess(&trial, &mut a, &mut g2, &mut h2);
                let gn2 = norm2(&g2);
                if gn2.is_finite() && (armijo || gn2 < gnorm) {
                    std::mem::swap(&mut theta, &mut trial);
                    std::mem::swap(&mut g, &mut g2);
                    std::mem::swap(&mut h, &mut h2);
                    gnorm = gn2;
                    f = f2;
                    accepted = true;
                    break;
                }
            }
            t *= 0.5;
        }
        steps += 1;
        if !accepted {
            break;
        }
    }
    (theta, gnorm, steps)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::logistic::test_data::rare_heavy;

    #[test]
    fn damped_newton_converges_from_a_far_start() {
        // Straight from a point where every row is saturated the wrong way.
        let (x, y) = rare_heavy(500, 8, 19);
        let prob = Problem {
            x: &x,
            y: &y,
            d: 8,
            inv_c: 1.0,
        };
        let far = [40.0, -30.0, 25.0, 60.0, -80.0, 10.0, -5.0, 70.0, -45.0];
        let (theta, gnorm, steps) = damped(&prob, &far, &LogisticOptions::default());
        assert!(gnorm <= 1e-10, "{gnorm} after {steps} steps");
        let mut g = vec![0.0; 9];
        prob.eval(&theta, Some(&mut g), None);
        assert!(norm2(&g) <= 1e-9);
    }
}
