//! The objective kernel: loss, gradient and Hessian of one fit's [`Problem`].
//!
//! Newton's pass ([`Problem::grad_hess`]) computes the gradient and the upper
//! triangle of the Hessian with a fixed-size, fully unrolled kernel for
//! `d + 1 <= 16` (a generic one otherwise) and allocates nothing; it needs no
//! objective value. The per-row loss ([`Problem::eval`]) uses the stable
//! `max(z, 0) + ln(1 + e^{-|z|})`, with the logarithms of 64 rows taken at once
//! as the log of their product, and the probability from the same exponential.

/// The data and penalty of one fit. Parameter layout: `[b, w_0 .. w_{d-1}]`.
#[derive(Clone, Copy)]
pub(super) struct Problem<'a> {
    pub(super) x: &'a [f64],
    pub(super) y: &'a [f64],
    pub(super) d: usize,
    pub(super) inv_c: f64,
}

impl Problem<'_> {
    /// Objective at `theta`; writes the gradient into `grad` and the upper
    /// triangle of the Hessian into `hess` (row-major `(d+1)^2`) when given.
    pub(super) fn eval(
        &self,
        theta: &[f64],
        mut grad: Option<&mut [f64]>,
        mut hess: Option<&mut [f64]>,
    ) -> f64 {
        let d = self.d;
        let p = d + 1;
        let b = theta[0];
        let w = &theta[1..];
        if let Some(g) = grad.as_deref_mut() {
            g.fill(0.0);
        }
        if let Some(h) = hess.as_deref_mut() {
            h.fill(0.0);
        }
        // The loss is sum_i [max(z,0) - y z] + sum_i ln(1 + e_i); the second
        // sum is taken as the log of running products of (1 + e_i) in (1, 2],
        // one `ln` per LOG_BLOCK rows instead of an `ln_1p` per row (that
        // call was most of an L-BFGS evaluation). The product of 64 factors
        // stays below 2^64; the result differs from the per-row sum by
        // rounding only (~1e-16 relative), and only the line search sees it.
        const LOG_BLOCK: usize = 64;
        let mut f = 0.0;
        let mut prod = 1.0;
        let mut in_block = 0;
        for (i, &yi) in self.y.iter().enumerate() {
            let row = &self.x[i * d..(i + 1) * d];
            let mut z = b;
            for (wj, xj) in w.iter().zip(row) {
                z += wj * xj;
            }
            let e = (-z.abs()).exp();
            f += z.max(0.0) - yi * z;
            prod *= 1.0 + e;
            in_block += 1;
            if in_block == LOG_BLOCK {
                f += prod.ln();
                prod = 1.0;
                in_block = 0;
            }
            if grad.is_none() && hess.is_none() {
                continue;
            }
            let pr = if z >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            if let Some(g) = grad.as_deref_mut() {
                let r = pr - yi;
                g[0] += r;
                for (gj, xj) in g[1..].iter_mut().zip(row) {
                    *gj += r * xj;
                }
            }
            if let Some(h) = hess.as_deref_mut() {
                let s = pr * (1.0 - pr);
                // Row 0 (intercept): a_0 = 1.
                h[0] += s;
                for (hk, xk) in h[1..p].iter_mut().zip(row) {
                    *hk += s * xk;
                }
                for j in 0..d {
                    let sj = s * row[j];
                    let base = (j + 1) * p + (j + 1);
                    for (hk, xk) in h[base..(j + 1) * p + p].iter_mut().zip(&row[j..]) {
                        *hk += sj * xk;
                    }
                }
            }
        }
        f += prod.ln();
        // Penalty on w only.
        let mut pen = 0.0;
        for (j, wj) in w.iter().enumerate() {
            pen += wj * wj;
            if let Some(g) = grad.as_deref_mut() {
                g[j + 1] += self.inv_c * wj;
            }
            if let Some(h) = hess.as_deref_mut() {
                h[(j + 1) * p + (j + 1)] += self.inv_c;
            }
        }
        f + 0.5 * self.inv_c * pen
    }
}

impl Problem<'_> {
    /// Hot path of Newton: gradient and upper-triangle Hessian at `theta`,
    /// no objective. `a` is a `d + 1` scratch buffer. Dispatches to a
    /// fixed-size kernel (fully unrolled, no bounds checks) for `d <= 15`
    /// and for model v2's `d = 22`.
    pub(super) fn grad_hess(&self, theta: &[f64], a: &mut [f64], g: &mut [f64], h: &mut [f64]) {
        macro_rules! dispatch {
            ($($p:literal),*) => {
                match self.d + 1 {
                    $($p => self.grad_hess_fixed::<$p>(theta, g, h),)*
                    _ => self.grad_hess_dyn(theta, a, g, h),
                }
            };
        }
        dispatch!(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 23)
    }

    fn grad_hess_fixed<const P: usize>(&self, theta: &[f64], g: &mut [f64], h: &mut [f64]) {
        let d = P - 1;
        let mut th = [0.0; P];
        th.copy_from_slice(&theta[..P]);
        let mut gg = [0.0; P];
        let mut hh = [[0.0; P]; P];
        let mut a = [0.0; P];
        a[0] = 1.0;
        for (row, &yi) in self.x.chunks_exact(d).zip(self.y) {
            a[1..].copy_from_slice(row);
            let mut z = 0.0;
            for k in 0..P {
                z += th[k] * a[k];
            }
            let e = (-z.abs()).exp();
            let pr = if z >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            let r = pr - yi;
            let s = pr * (1.0 - pr);
            for k in 0..P {
                gg[k] += r * a[k];
            }
            for j in 0..P {
                let sj = s * a[j];
                for k in j..P {
                    hh[j][k] += sj * a[k];
                }
            }
        }
        g[..P].copy_from_slice(&gg);
        for (j, hrow) in hh.iter().enumerate() {
            h[j * P..(j + 1) * P].copy_from_slice(hrow);
        }
        for j in 1..P {
            g[j] += self.inv_c * theta[j];
            h[j * P + j] += self.inv_c;
        }
    }

    fn grad_hess_dyn(&self, theta: &[f64], a: &mut [f64], g: &mut [f64], h: &mut [f64]) {
        let d = self.d;
        let p = d + 1;
        g.fill(0.0);
        h.fill(0.0);
        a[0] = 1.0;
        for (i, &yi) in self.y.iter().enumerate() {
            a[1..].copy_from_slice(&self.x[i * d..(i + 1) * d]);
            let mut z = 0.0;
            for (t, v) in theta.iter().zip(a.iter()) {
                z += t * v;
            }
            let e = (-z.abs()).exp();
            let pr = if z >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            let r = pr - yi;
            let s = pr * (1.0 - pr);
            for (gj, aj) in g.iter_mut().zip(a.iter()) {
                *gj += r * aj;
            }
            for j in 0..p {
                let sj = s * a[j];
                for (hk, ak) in h[j * p + j..(j + 1) * p].iter_mut().zip(&a[j..]) {
                    *hk += sj * ak;
                }
            }
        }
        for j in 1..p {
            g[j] += self.inv_c * theta[j];
            h[j * p + j] += self.inv_c;
        }
    }
}

/// Euclidean 2-norm (the gradient norm every phase stops on).
pub(super) fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::logistic::test_data::synth;

    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = synth(200, 4, 7);
        let prob = Problem {
            x: &x,
            y: &y,
            d: 4,
            inv_c: 1.0,
        };
        let theta = [0.1, -0.3, 0.2, 0.05, 0.4];
        let mut g = vec![0.0; 5];
        let mut h = vec![0.0; 25];
        prob.eval(&theta, Some(&mut g), Some(&mut h));
        let (mut a, mut g_hot, mut h_hot) = (vec![0.0; 5], vec![0.0; 5], vec![0.0; 25]);
        prob.grad_hess(&theta, &mut a, &mut g_hot, &mut h_hot);
        for (u, v) in g.iter().zip(&g_hot).chain(h.iter().zip(&h_hot)) {
            assert!((u - v).abs() <= 1e-12 * u.abs().max(1.0), "{u} vs {v}");
        }
        let (mut g_dyn, mut h_dyn) = (vec![0.0; 5], vec![0.0; 25]);
        prob.grad_hess_dyn(&theta, &mut a, &mut g_dyn, &mut h_dyn);
        for (u, v) in g_dyn.iter().zip(&g_hot).chain(h_dyn.iter().zip(&h_hot)) {
            assert!((u - v).abs() <= 1e-12 * u.abs().max(1.0), "{u} vs {v}");
        }
        for j in 0..5 {
            let mut tp = theta;
            let mut tm = theta;
            tp[j] += 1e-6;
            tm[j] -= 1e-6;
            let fd = (prob.eval(&tp, None, None) - prob.eval(&tm, None, None)) / 2e-6;
            assert!(
                (fd - g[j]).abs() < 1e-5 * g[j].abs().max(1.0),
                "{j}: {fd} vs {}",
                g[j]
            );
            // Hessian row j by finite differences of the gradient.
            let mut gp = vec![0.0; 5];
            let mut gm = vec![0.0; 5];
            prob.eval(&tp, Some(&mut gp), None);
            prob.eval(&tm, Some(&mut gm), None);
            for k in j..5 {
                let fdh = (gp[k] - gm[k]) / 2e-6;
                assert!((fdh - h[j * 5 + k]).abs() < 1e-4 * fdh.abs().max(1.0));
            }
        }
    }
}
