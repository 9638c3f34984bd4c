//! How good a P(rally) series is as a probability (MODEL-V2.md, "How the
//! reference figures are computed"), beyond METHOD §8's AUC / Brier / log
//! loss: the expected calibration error over §8's 10 reliability bins, the
//! Brier skill against a reference forecast (the training base rate of each
//! row's ticker-fold), and the share of P that is exactly 0 or 1.
//!
//! Every figure is computed on the rows with a finite label, as §8's are.

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::metrics::{check_pairs, class_metrics, reliability_table};

/// Expected calibration error over the 10 bins of
/// [`reliability_table`]: `Σ_b (n_b / N)·|mean P_b − mean y_b|` on the
/// labelled rows. `None` without a labelled row.
pub fn ece(p: &[f64], y: &[f64]) -> Result<Option<f64>, ModelError> {
    let bins = reliability_table(p, y)?;
    let n: usize = bins.iter().map(|b| b.n).sum();
    if n == 0 {
        return Ok(None);
    }
    let nf = n as f64;
    Ok(Some(
        bins.iter()
            .filter_map(|b| Some(b.n as f64 / nf * (b.mean_p? - b.frac_pos?).abs()))
            .sum(),
    ))
}

/// P, labels and reference forecasts of the labelled rows.
type Labelled = (Vec<f64>, Vec<f64>, Vec<f64>);

/// The labelled rows of `(p, y, reference)`: `reference` must have one
/// finite value per labelled row.
fn check_triples(p: &[f64], y: &[f64], reference: &[f64]) -> Result<Labelled, ModelError> {
    if reference.len() != y.len() {
        return Err(ModelError::DimensionMismatch {
            what: "metrics reference forecast / label",
            expected: y.len(),
            got: reference.len(),
        });
    }
    let (ps, ys) = check_pairs(p, y)?;
    let mut refs = Vec::with_capacity(ys.len());
    for (i, (&r, &yi)) in reference.iter().zip(y).enumerate() {
        if !yi.is_finite() {
            continue;
        }
        if !r.is_finite() {
            return Err(ModelError::NonFinite {
                what: "metrics reference forecast (labelled row)",
                index: i,
            });
        }
        refs.push(r);
    }
    Ok((ps, ys, refs))
}

fn mean_sq(a: &[f64], y: &[f64]) -> f64 {
    a.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / y.len() as f64
}

/// Brier skill `1 − Brier / Brier_ref` on the labelled rows, where
/// `Brier_ref` scores `reference` (one forecast per row, e.g. the mean label
/// of the row's ticker-fold training rows). `> 0`: better than always saying
/// the reference. `None` without a labelled row or when `Brier_ref` is 0.
pub fn brier_skill(p: &[f64], y: &[f64], reference: &[f64]) -> Result<Option<f64>, ModelError> {
    let (p, y, r) = check_triples(p, y, reference)?;
    if y.is_empty() {
        return Ok(None);
    }
    let b_ref = mean_sq(&r, &y);
    Ok((b_ref > 0.0).then(|| 1.0 - mean_sq(&p, &y) / b_ref))
}

/// Share of the labelled rows whose P is exactly 0 or exactly 1 (`None`
/// without a labelled row).
pub fn extreme_share(p: &[f64], y: &[f64]) -> Result<Option<f64>, ModelError> {
    let (p, _) = check_pairs(p, y)?;
    if p.is_empty() {
        return Ok(None);
    }
    let k = p.iter().filter(|&&v| v == 0.0 || v == 1.0).count();
    Ok(Some(k as f64 / p.len() as f64))
}

/// Everything the model evaluation reports about one P series. AUC, Brier,
/// log loss and base rate are METHOD §8's ([`class_metrics`]: `None` with
/// fewer than two classes); the others exist with any labelled row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalMetrics {
    /// Rows with a finite label.
    pub n: usize,
    pub auc: Option<f64>,
    pub brier: Option<f64>,
    /// Brier score of the reference forecast (the training base rate).
    pub brier_ref: Option<f64>,
    /// `1 − brier / brier_ref`.
    pub brier_skill: Option<f64>,
    pub log_loss: Option<f64>,
    /// Expected calibration error, 10 bins.
    pub ece: Option<f64>,
    pub base_rate: Option<f64>,
    /// Share of rows with P exactly 0 or 1.
    pub p_extreme_share: Option<f64>,
}

/// [`EvalMetrics`] of `p` against labels `y`, with `reference` the
/// reference forecast of each row (for the Brier skill). Errors: lengths
/// differ, a labelled row has a non-finite P or reference, a label is not
/// 0 or 1.
pub fn eval_metrics(p: &[f64], y: &[f64], reference: &[f64]) -> Result<EvalMetrics, ModelError> {
    let c = class_metrics(p, y)?;
    let (_, ys, r) = check_triples(p, y, reference)?;
    let brier_ref = (!ys.is_empty()).then(|| mean_sq(&r, &ys));
    Ok(EvalMetrics {
        n: c.n,
        auc: c.auc,
        brier: c.brier,
        brier_ref,
        brier_skill: brier_skill(p, y, reference)?,
        log_loss: c.log_loss,
        ece: ece(p, y)?,
        base_rate: c.base_rate,
        p_extreme_share: extreme_share(p, y)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    #[test]
    fn ece_by_hand() {
        // Rows (P, y): (0.05,0) (0.15,1) (0.15,0) (0.95,1) (NaN label row).
        // Bin 0: n=1, mean P 0.05, rate 0   -> |0.05 - 0|   = 0.05
        // Bin 1: n=2, mean P 0.15, rate 0.5 -> |0.15 - 0.5| = 0.35
        // Bin 9: n=1, mean P 0.95, rate 1   -> |0.95 - 1|   = 0.05
        // ECE = (1·0.05 + 2·0.35 + 1·0.05) / 4 = 0.8 / 4 = 0.2
        let p = [0.05, 0.15, 0.15, 0.95, 0.5];
        let y = [0.0, 1.0, 0.0, 1.0, f64::NAN];
        close(ece(&p, &y).unwrap().unwrap(), 0.2);
        // Perfectly calibrated within each bin: 0.
        close(ece(&[0.5, 0.5], &[0.0, 1.0]).unwrap().unwrap(), 0.0);
        assert_eq!(ece(&[0.3], &[f64::NAN]).unwrap(), None);
    }

    #[test]
    fn brier_skill_by_hand() {
        // y = 1, 0, 0, 1; P = 0.8, 0.2, 0.4, 0.6 -> Brier
        //   = (0.04 + 0.04 + 0.16 + 0.16) / 4 = 0.10.
        // Reference = training base rates 0.5, 0.5 (fold A), 0.25, 0.25
        //   (fold B) -> Brier_ref = (0.25 + 0.25 + 0.0625 + 0.5625) / 4
        //   = 1.125 / 4 = 0.28125.
        // Skill = 1 - 0.10 / 0.28125 = 0.6444…
        let p = [0.8, 0.2, 0.4, 0.6];
        let y = [1.0, 0.0, 0.0, 1.0];
        let r = [0.5, 0.5, 0.25, 0.25];
        close(
            brier_skill(&p, &y, &r).unwrap().unwrap(),
            1.0 - 0.10 / 0.28125,
        );
        // Saying the reference is skill 0; worse than it is negative.
        close(brier_skill(&r, &y, &r).unwrap().unwrap(), 0.0);
        let worse = [0.2, 0.8, 0.9, 0.1];
        assert!(brier_skill(&worse, &y, &r).unwrap().unwrap() < 0.0);
        // A perfect reference leaves nothing to beat.
        assert_eq!(brier_skill(&p, &y, &y).unwrap(), None);
        // Unlabelled rows are skipped, even with a NaN reference.
        let v = brier_skill(&[0.8, 0.3], &[1.0, f64::NAN], &[0.5, f64::NAN]).unwrap();
        close(v.unwrap(), 1.0 - 0.04 / 0.25);
    }

    #[test]
    fn extreme_share_and_eval_metrics() {
        let p = [0.0, 1.0, 0.5, 1.0 - 1e-12, 0.0];
        let y = [0.0, 1.0, 1.0, 0.0, f64::NAN];
        // Labelled: 0.0, 1.0, 0.5, 1-1e-12 -> two of four exactly 0 or 1.
        close(extreme_share(&p, &y).unwrap().unwrap(), 0.5);
        let r = [0.5; 5];
        let m = eval_metrics(&p, &y, &r).unwrap();
        assert_eq!(m.n, 4);
        assert_eq!(m.p_extreme_share, Some(0.5));
        close(m.brier_ref.unwrap(), 0.25);
        let brier = (0.0 + 0.0 + 0.25 + (1.0f64 - 1e-12).powi(2)) / 4.0;
        close(m.brier.unwrap(), brier);
        close(m.brier_skill.unwrap(), 1.0 - brier / 0.25);
        assert!(m.auc.is_some() && m.ece.is_some());
        // One class: §8's figures are absent, the others are not.
        let m = eval_metrics(&[0.2, 0.4], &[1.0, 1.0], &[0.5, 0.5]).unwrap();
        assert_eq!((m.auc, m.brier), (None, None));
        assert!(m.brier_skill.is_some() && m.ece.is_some());
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(brier_skill(&[0.5], &[1.0], &[]).is_err());
        assert!(brier_skill(&[0.5], &[1.0], &[f64::NAN]).is_err());
        assert!(eval_metrics(&[f64::NAN], &[1.0], &[0.5]).is_err());
        assert!(ece(&[0.5], &[2.0]).is_err());
    }
}
