//! Causal normalised forward filter and the three HMM features of METHOD §4.

use crate::HmmParams;
use crate::em::{Emission, pow2_floor_inv};
use crate::fastexp;

/// Causal normalised forward filter over the whole series:
/// `alpha[t] = P(state_t | o[first..=t])`.
///
/// Rows whose observation is non-finite (row 0 of [`crate::observations`]) get
/// `[NaN; 3]`. The recursion starts at the first finite observation with
/// `startprob`, exactly like the reference (which starts at `t = 1`).
/// A non-finite observation *after* the start (impossible for cleaned bars)
/// is treated as uninformative: its row is NaN, and the state distribution is
/// carried through one transition, so the filter resumes instead of turning
/// every later row into NaN.
pub fn filter(p: &HmmParams, obs: &[[f64; 2]]) -> Vec<[f64; 3]> {
    let em = Emission::new(&p.means, &p.covars);
    let a = &p.transmat;
    let step = |prev: &[f64; 3]| {
        let mut q = [0.0; 3];
        for (i, pi) in prev.iter().enumerate() {
            for (j, qj) in q.iter_mut().enumerate() {
                *qj += pi * a[i][j];
            }
        }
        q
    };
    // Reciprocals once: multiplications instead of divisions per row (the
    // results differ from dividing by at most an ulp).
    let inv_sd = [1.0 / p.sd[0], 1.0 / p.sd[1]];
    // Pass 1: shifted log emissions of every usable row (independent of the
    // recursion); pass 2: one vectorised exp over the buffer (NaN stays NaN);
    // pass 3: the recursion itself, in place.
    let usable = |o: &[f64; 2]| o[0].is_finite() && o[1].is_finite();
    let mut out: Vec<[f64; 3]> = obs
        .iter()
        .map(|o| {
            if usable(o) {
                let z = [(o[0] - p.mu[0]) * inv_sd[0], (o[1] - p.mu[1]) * inv_sd[1]];
                // Only ratios of the densities matter: shift by the row maximum.
                em.log_shifted(&z).0
            } else {
                [f64::NAN; 3]
            }
        })
        .collect();
    fastexp::exp_in_place(out.as_flattened_mut());
    let mut prev: Option<[f64; 3]> = None;
    for (o, row) in obs.iter().zip(out.iter_mut()) {
        if !usable(o) {
            prev = prev.map(|pr| step(&pr));
            continue;
        }
        let e = *row;
        let pred = match &prev {
            None => p.startprob,
            Some(pr) => step(pr),
        };
        let u = [pred[0] * e[0], pred[1] * e[1], pred[2] * e[2]];
        // The recursion carries `u` rescaled by an exact power of two (alpha
        // up to a constant, which the prediction step does not care about),
        // so the normalising division is off its critical path.
        let (scale, _) = pow2_floor_inv(u[0] + u[1] + u[2]);
        prev = Some([u[0] * scale, u[1] * scale, u[2] * scale]);
        let inv = 1.0 / (u[0] + u[1] + u[2]);
        *row = [u[0] * inv, u[1] * inv, u[2] * inv];
    }
    out
}

/// The three HMM features per row: `[hmm_p_low, hmm_p_high, hmm_age]` with
/// `hmm_age = ln(1 + run)`, `run` = bars before `t` in the unbroken run of the
/// same `argmax alpha` (ties go to the lower state). NaN rows stay NaN and do
/// not break a run (they only occur before the first observation).
pub fn features(alpha: &[[f64; 3]]) -> Vec<[f64; 3]> {
    let mut out = Vec::with_capacity(alpha.len());
    let mut run = 0u64;
    let mut last: Option<usize> = None;
    for al in alpha {
        if !al.iter().all(|x| x.is_finite()) {
            out.push([f64::NAN; 3]);
            continue;
        }
        // First maximum wins, like numpy argmax.
        let mut k = 0;
        for j in 1..3 {
            if al[j] > al[k] {
                k = j;
            }
        }
        run = if last == Some(k) { run + 1 } else { 0 };
        last = Some(k);
        out.push([al[0], al[2], (run as f64).ln_1p()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> HmmParams {
        HmmParams {
            mu: [0.0, 1.0],
            sd: [1.0, 2.0],
            startprob: [1.0 / 3.0; 3],
            transmat: [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
            means: [[0.0, -1.0], [0.0, 0.0], [0.0, 1.0]],
            covars: [[1.0; 2]; 3],
            n_iter: 0,
            history: vec![],
        }
    }

    #[test]
    fn filter_three_rows_by_hand() {
        let p = params();
        // z rows: (0,0) and (0,1) after standardising with mu=(0,1), sd=(1,2).
        let obs = [[f64::NAN, f64::NAN], [0.0, 1.0], [0.0, 3.0]];
        let al = filter(&p, &obs);
        assert!(al[0].iter().all(|x| x.is_nan()));
        // Row 1: z=(0,0), densities ∝ (e^-1/2, 1, e^-1/2), uniform prior.
        let q = (-0.5f64).exp();
        let a1 = [
            q / (1.0 + 2.0 * q),
            1.0 / (1.0 + 2.0 * q),
            q / (1.0 + 2.0 * q),
        ];
        for k in 0..3 {
            assert!((al[1][k] - a1[k]).abs() < 1e-15);
        }
        // Row 2: z=(0,1), densities ∝ (e^-2, e^-1/2, 1); prediction a1·A.
        let pred = [
            0.8 * a1[0] + 0.1 * a1[1] + 0.1 * a1[2],
            0.1 * a1[0] + 0.8 * a1[1] + 0.1 * a1[2],
            0.1 * a1[0] + 0.1 * a1[1] + 0.8 * a1[2],
        ];
        let u = [pred[0] * (-2.0f64).exp(), pred[1] * q, pred[2]];
        let s: f64 = u.iter().sum();
        for k in 0..3 {
            assert!((al[2][k] - u[k] / s).abs() < 1e-15);
        }
    }

    #[test]
    fn filter_skips_missing_rows() {
        let p = params();
        let al = filter(&p, &[[0.0, 1.0], [f64::NAN, 0.0], [0.0, 1.0]]);
        // Starts at the first finite row with startprob.
        assert!((al[0][1] - 1.0 / (1.0 + 2.0 * (-0.5f64).exp())).abs() < 1e-15);
        assert!(al[1][0].is_nan());
        assert!(al[2].iter().all(|x| x.is_finite()));
    }

    #[test]
    fn features_count_runs_with_ties_to_lower_state() {
        let nan = [f64::NAN; 3];
        let alpha = [
            nan,
            [0.6, 0.3, 0.1],   // state 0, run 0
            [0.5, 0.5, 0.0],   // tie 0/1 -> 0, run 1
            [0.4, 0.4, 0.2],   // tie -> 0, run 2
            [0.2, 0.3, 0.5],   // state 2, run 0
            [0.1, 0.45, 0.45], // tie 1/2 -> 1, run 0
            [0.1, 0.8, 0.1],   // state 1, run 1
        ];
        let f = features(&alpha);
        assert!(f[0].iter().all(|x| x.is_nan()));
        let ages: Vec<f64> = f[1..].iter().map(|r| r[2]).collect();
        let want = [0.0, 1.0, 2.0, 0.0, 0.0, 1.0].map(|r: f64| r.ln_1p());
        assert_eq!(ages, want);
        assert_eq!(f[4][0], 0.2);
        assert_eq!(f[4][1], 0.5);
    }
}
