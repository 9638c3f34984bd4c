//! Classification metrics of the out-of-sample P(rally) series (METHOD §8):
//! AUC with tolerant ties, Brier score, log loss, base rate, and the 10-bin
//! reliability table.

use crate::error::ModelError;

/// Scores closer than this (consecutive gaps in sorted order) are one tie
/// group in the AUC (METHOD §6/§8).
pub const AUC_TIE_TOL: f64 = 1e-9;

/// Probabilities are clipped to `[LOG_LOSS_EPS, 1 - LOG_LOSS_EPS]` in the log loss.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Walk-forward classification metrics. When the labelled rows hold fewer
/// than two classes only `n` is set (and only `n` is serialised).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassMetrics {
    /// Rows with a finite label.
    pub n: usize,
    /// Mann–Whitney AUC with tolerant tie groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc: Option<f64>,
    /// Mean squared error of P against the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brier: Option<f64>,
    /// Mean negative log-likelihood, P clipped to `[1e-15, 1 - 1e-15]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_loss: Option<f64>,
    /// Share of positive labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rate: Option<f64>,
}

/// The labelled rows of `(p, y)`: lengths must match, a labelled row needs
/// a finite P and a label of 0 or 1.
pub(crate) fn check_pairs(p: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>), ModelError> {
    if p.len() != y.len() {
        return Err(ModelError::DimensionMismatch {
            what: "metrics p / label",
            expected: p.len(),
            got: y.len(),
        });
    }
    let mut ps = Vec::with_capacity(p.len());
    let mut ys = Vec::with_capacity(p.len());
    for (i, (&pi, &yi)) in p.iter().zip(y).enumerate() {
        if !yi.is_finite() {
            continue;
        }
        if !pi.is_finite() {
            return Err(ModelError::NonFinite {
                what: "metrics p (labelled row)",
                index: i,
            });
        }
        if yi != 0.0 && yi != 1.0 {
            return Err(ModelError::InvalidParameter(format!(
                "label[{i}] = {yi} is not 0 or 1"
            )));
        }
        ps.push(pi);
        ys.push(yi);
    }
    Ok((ps, ys))
}

/// Classification metrics on the rows of `(p, y)` whose label is finite.
/// A labelled row with a non-finite `p` is an error; labels must be 0 or 1.
pub fn class_metrics(p: &[f64], y: &[f64]) -> Result<ClassMetrics, ModelError> {
    let (p, y) = check_pairs(p, y)?;
    let n = y.len();
    let n1 = y.iter().filter(|&&v| v == 1.0).count();
    if n1 == 0 || n1 == n {
        return Ok(ClassMetrics {
            n,
            auc: None,
            brier: None,
            log_loss: None,
            base_rate: None,
        });
    }
    let nf = n as f64;
    let brier = p
        .iter()
        .zip(&y)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / nf;
    let ll = -p
        .iter()
        .zip(&y)
        .map(|(&a, &b)| {
            let c = a.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            b * c.ln() + (1.0 - b) * (1.0 - c).ln()
        })
        .sum::<f64>()
        / nf;
    Ok(ClassMetrics {
        n,
        auc: auc_tol(&p, &y, AUC_TIE_TOL),
        brier: Some(brier),
        log_loss: Some(ll),
        base_rate: Some(n1 as f64 / nf),
    })
}

/// Mann–Whitney AUC: scores sorted (stable), consecutive gaps `<= tol` chain
/// into one tie group that shares the average rank. `None` without both
/// classes. All inputs must be finite (not checked here).
pub fn auc_tol(p: &[f64], y: &[f64], tol: f64) -> Option<f64> {
    let n = p.len().min(y.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut pos_rank_sum = 0.0;
    let mut n1 = 0usize;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && p[order[j + 1]] - p[order[j]] <= tol {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y[k] == 1.0 {
                pos_rank_sum += rank;
                n1 += 1;
            }
        }
        i = j + 1;
    }
    let n0 = n - n1;
    if n1 == 0 || n0 == 0 {
        return None;
    }
    let n1f = n1 as f64;
    Some((pos_rank_sum - n1f * (n1f + 1.0) / 2.0) / (n1f * n0 as f64))
}

/// One bin of the reliability table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge `k / 10` (inclusive).
    pub lo: f64,
    /// Upper edge `(k + 1) / 10` (exclusive, except the last bin includes 1).
    pub hi: f64,
    /// Labelled rows whose P falls in the bin.
    pub n: usize,
    /// Mean P in the bin (`None` when empty).
    pub mean_p: Option<f64>,
    /// Fraction of positive labels in the bin (`None` when empty).
    pub frac_pos: Option<f64>,
}

/// Number of bins of [`reliability_table`].
pub const RELIABILITY_BINS: usize = 10;

/// Bin of a probability: `[k/10, (k+1)/10)`, the last bin including 1.
/// Values below 0 fall in the first bin, above 1 in the last.
pub fn reliability_bin(p: f64) -> usize {
    let nb = RELIABILITY_BINS;
    let mut k = (p * nb as f64).floor().clamp(0.0, (nb - 1) as f64) as usize;
    // Make the edges exactly `p >= k / 10` despite rounding in p * 10.
    while k + 1 < nb && p >= (k + 1) as f64 / nb as f64 {
        k += 1;
    }
    while k > 0 && p < k as f64 / nb as f64 {
        k -= 1;
    }
    k
}

/// The 10-bin reliability table on rows with a finite label.
pub fn reliability_table(p: &[f64], y: &[f64]) -> Result<Vec<ReliabilityBin>, ModelError> {
    let (p, y) = check_pairs(p, y)?;
    let nb = RELIABILITY_BINS;
    let mut count = vec![0usize; nb];
    let mut sum_p = vec![0.0; nb];
    let mut sum_y = vec![0.0; nb];
    for (&pi, &yi) in p.iter().zip(&y) {
        let k = reliability_bin(pi);
        count[k] += 1;
        sum_p[k] += pi;
        sum_y[k] += yi;
    }
    Ok((0..nb)
        .map(|k| {
            let c = count[k];
            ReliabilityBin {
                lo: k as f64 / nb as f64,
                hi: (k + 1) as f64 / nb as f64,
                n: c,
                mean_p: (c > 0).then(|| sum_p[k] / c as f64),
                frac_pos: (c > 0).then(|| sum_y[k] / c as f64),
            }
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn auc_basic_and_ties() {
        assert_eq!(
            auc_tol(&[0.1, 0.2, 0.3, 0.4], &[0.0, 0.0, 1.0, 1.0], 1e-9),
            Some(1.0)
        );
        assert_eq!(
            auc_tol(&[0.4, 0.3, 0.2, 0.1], &[0.0, 0.0, 1.0, 1.0], 1e-9),
            Some(0.0)
        );
        // All tied -> 0.5.
        assert_eq!(auc_tol(&[0.3; 4], &[0.0, 1.0, 0.0, 1.0], 1e-9), Some(0.5));
        // Near-ties within 1e-9 form one group.
        let p = [0.5, 0.5 + 5e-10, 0.7];
        let y = [1.0, 0.0, 1.0];
        // Group {0,1} ranks 1.5 each; positive ranks 1.5 + 3 = 4.5; n1=2,n0=1.
        assert_eq!(auc_tol(&p, &y, 1e-9), Some((4.5 - 3.0) / 2.0));
        // Chained gaps: 0, 0.6e-9, 1.2e-9 all join (each gap <= tol).
        let p = [0.0, 0.6e-9, 1.2e-9];
        assert_eq!(auc_tol(&p, &[1.0, 0.0, 0.0], 1e-9), Some(0.5));
        assert_eq!(auc_tol(&[0.1, 0.2], &[1.0, 1.0], 1e-9), None);
    }

    #[test]
    fn metrics_values_and_single_class() {
        let p = [0.2, 0.8, 0.6, f64::NAN];
        let y = [0.0, 1.0, 0.0, f64::NAN];
        let m = class_metrics(&p, &y).unwrap();
        assert_eq!(m.n, 3);
        assert_eq!(m.auc, Some(1.0));
        assert!((m.brier.unwrap() - (0.04 + 0.04 + 0.36) / 3.0).abs() < 1e-15);
        let ll = -(0.8f64.ln() + 0.8f64.ln() + 0.4f64.ln()) / 3.0;
        assert!((m.log_loss.unwrap() - ll).abs() < 1e-15);
        assert_eq!(m.base_rate, Some(1.0 / 3.0));

        let m = class_metrics(&[0.1, 0.2], &[1.0, 1.0]).unwrap();
        assert_eq!(m.n, 2);
        assert!(m.auc.is_none() && m.brier.is_none());
        let js = serde_json::to_string(&m).unwrap();
        assert_eq!(js, r#"{"n":2}"#);
        let m = class_metrics(&[], &[]).unwrap();
        assert_eq!(m.n, 0);
    }

    #[test]
    fn log_loss_clips() {
        let m = class_metrics(&[0.0, 1.0], &[1.0, 0.0]).unwrap();
        // 1 - (1 - 1e-15) is not 1e-15 in floating point (as in numpy).
        let hi = 1.0 - LOG_LOSS_EPS;
        let want = -((1e-15f64).ln() + (1.0 - hi).ln()) / 2.0;
        assert_eq!(m.log_loss.unwrap(), want);
    }

    #[test]
    fn metrics_reject_bad_input() {
        assert!(class_metrics(&[0.1], &[]).is_err());
        assert!(class_metrics(&[f64::NAN], &[1.0]).is_err());
        assert!(class_metrics(&[0.1], &[0.5]).is_err());
        // NaN p on an unlabelled row is fine.
        assert!(class_metrics(&[f64::NAN], &[f64::NAN]).is_ok());
    }

    #[test]
    fn reliability_bins() {
        assert_eq!(reliability_bin(0.0), 0);
        assert_eq!(reliability_bin(0.1), 1);
        assert_eq!(reliability_bin(0.3), 3);
        assert_eq!(reliability_bin(0.7), 7);
        assert_eq!(reliability_bin(0.0999999), 0);
        assert_eq!(reliability_bin(0.95), 9);
        assert_eq!(reliability_bin(1.0), 9);
        for k in 0..10 {
            let e = k as f64 / 10.0;
            assert_eq!(reliability_bin(e), k, "{e}");
        }
        let t = reliability_table(&[0.05, 0.15, 0.16, 1.0], &[0.0, 1.0, 0.0, 1.0]).unwrap();
        assert_eq!(t.len(), 10);
        assert_eq!(t[0].n, 1);
        assert_eq!(t[1].n, 2);
        assert_eq!(t[1].frac_pos, Some(0.5));
        assert!((t[1].mean_p.unwrap() - 0.155).abs() < 1e-15);
        assert_eq!(t[9].n, 1);
        assert_eq!(t[5].mean_p, None);
    }
}
