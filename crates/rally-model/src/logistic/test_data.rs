//! Deterministic synthetic data (LCG) shared by the solver's unit tests.

use super::sigmoid;

/// Deterministic pseudo-random data (LCG), n x d, with a planted signal.
pub(super) fn synth(n: usize, d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut s = seed;
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut z = -0.5;
        for j in 0..d {
            let v = (u() - 0.5) * 3.4;
            z += v * ((j % 3) as f64 - 1.0) * 0.4;
            x.push(v);
        }
        y.push(if u() < sigmoid(z) { 1.0 } else { 0.0 });
    }
    (x, y)
}

/// Rare positives (intercept -5) and heavy-tailed columns (every fourth
/// is `v^4`): the shape of a hand-tuned-barrier window of a quiet index
/// (`retrainer --validate` on SPY, QQQ, XLF), where argmin's first steps
/// land far out and Newton used to stop at a gradient norm of ~20.
pub(super) fn rare_heavy(n: usize, d: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut s = seed;
    let mut u = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64) / ((1u64 << 53) as f64)
    };
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let mut z = -5.0;
        for j in 0..d {
            let mut v = (u() - 0.5) * 3.4;
            if j % 4 == 0 {
                v = v.signum() * v.abs().powi(4);
            }
            z += v * ((j % 3) as f64 - 1.0) * 0.5;
            x.push(v);
        }
        y.push(if u() < sigmoid(z) { 1.0 } else { 0.0 });
    }
    (x, y)
}
