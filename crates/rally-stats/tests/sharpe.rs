//! Moments, PSR and DSR against published figures and hand/independent
//! computations. Every reference value names its source.
//!
//! "Python NormalDist" below means CPython's `statistics.NormalDist` (an
//! implementation of Φ and Φ⁻¹ independent of statrs), used to evaluate the
//! papers' formulas to full precision.

use rally_stats::{
    StatsError, deflated_sharpe, dsr, expected_max_sharpe, moments, per_period_sharpe, psr,
    psr_of_returns,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn moments_of_the_textbook_data_set() {
    // Source: the classic data set {2,4,4,4,5,5,7,9} (mean 5, population
    // std 2; Wikipedia "Standard deviation"). By hand, with d = x − 5 =
    // {−3,−1,−1,−1,0,0,2,4}:
    //   Σd² = 32 → sample std = √(32/7) = 2.138089935...
    //   Σd³ = −27−1−1−1+8+64 = 42 → m3 = 5.25, skew = 5.25 / 2³ = 0.65625
    //   Σd⁴ = 81+1+1+1+16+256 = 356 → m4 = 44.5, kurt = 44.5 / 4² = 2.78125
    let m = moments(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).expect("valid sample");
    assert_eq!(m.n, 8);
    assert!(close(m.mean, 5.0, 1e-12));
    assert!(close(m.std, (32.0f64 / 7.0).sqrt(), 1e-12));
    assert!(close(m.skewness, 0.65625, 1e-12));
    assert!(close(m.kurtosis, 2.78125, 1e-12));
    assert!(close(m.sharpe(), 5.0 / (32.0f64 / 7.0).sqrt(), 1e-12));
}

#[test]
fn moments_keep_precision_for_daily_sized_returns() {
    // Same data scaled to daily size and shifted: the standardised moments
    // are shift/scale invariant, so they must not move (hand values above).
    let r: Vec<f64> = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
        .iter()
        .map(|x| 0.0003 + 1e-4 * (x - 5.0))
        .collect();
    let m = moments(&r).expect("valid sample");
    assert!(close(m.mean, 0.0003, 1e-15));
    assert!(close(m.skewness, 0.65625, 1e-9));
    assert!(close(m.kurtosis, 2.78125, 1e-9));
}

#[test]
fn moments_reject_bad_input() {
    assert_eq!(
        moments(&[0.01, 0.02]),
        Err(StatsError::TooFewReturns { n: 2, min: 3 })
    );
    assert_eq!(
        moments(&[0.01, f64::NAN, 0.02]),
        Err(StatsError::NonFinite {
            what: "return",
            index: 1
        })
    );
    assert_eq!(moments(&[0.001; 50]), Err(StatsError::ZeroVariance));
    assert_eq!(moments(&[0.0; 50]), Err(StatsError::ZeroVariance));
}

#[test]
fn psr_matches_the_normal_table() {
    // Source: standard normal table, Φ(1.6449) = 0.9500. With γ3 = 0,
    // γ4 = 3 and SR̂ = 0 the variance term is 1, so
    // z = (0 − SR*)·√(n − 1) = 0.16449·10 = 1.6449 for n = 101, SR* = −0.16449.
    let p = psr(0.0, -0.16449, 101, 0.0, 3.0).expect("valid");
    assert!(close(p, 0.95, 1e-4), "{p}");
}

#[test]
fn psr_of_a_skewed_fat_tailed_monthly_track_record() {
    // Inputs: the hedge-fund style example of the jsharpe package README
    // (monthly mean 3.6 %, std 7.9 %, 24 months, skew −2.448, kurt 10.164).
    // Value: the Bailey & López de Prado (2012) formula evaluated by hand:
    //   SR̂ = 0.036/0.079 = 0.4556962
    //   variance term = 1 + 2.448·SR̂ + (10.164 − 1)/4·SR̂² = 2.5912911
    //   z = SR̂·√23 / √2.5912911 = 1.3576294
    //   Φ(z) = 0.9127093 (Python NormalDist).
    // (jsharpe itself prints 0.987: it evaluates the variance term under the
    // null SR* = 0, where the moments drop out, and uses √T; the 2012 paper
    // uses the observed SR̂ and √(n − 1), as here.)
    let p = psr(0.036 / 0.079, 0.0, 24, -2.448, 10.164).expect("valid");
    assert!(close(p, 0.912_709_339_594_895_4, 1e-9), "{p}");
}

#[test]
fn psr_properties() {
    // Definition: z = 0 when SR̂ = SR*, whatever n and the moments.
    for &(sr, n, skew, kurt) in &[
        (0.1, 250, -1.0, 6.0),
        (0.0, 2, 0.0, 3.0),
        (-0.05, 40, 0.5, 4.0),
    ] {
        let p = psr(sr, sr, n, skew, kurt).expect("valid");
        assert!(close(p, 0.5, 1e-15), "{p}");
    }
    // Longer track record, same SR̂ > SR*: more confidence.
    let mut last = 0.0;
    for n in [10, 50, 250, 1000, 5000] {
        let p = psr(0.05, 0.0, n, -0.5, 5.0).expect("valid");
        assert!(p > last, "PSR must increase with n: {p} after {last}");
        last = p;
    }
    // Negative skew and fat tails widen the estimator's spread, lowering a
    // PSR above 1/2 (the variance term grows).
    let normal = psr(0.1, 0.0, 250, 0.0, 3.0).expect("valid");
    let skewed = psr(0.1, 0.0, 250, -2.0, 3.0).expect("valid");
    let fat = psr(0.1, 0.0, 250, 0.0, 12.0).expect("valid");
    assert!(skewed < normal && fat < normal);
}

#[test]
fn psr_errors() {
    assert_eq!(
        psr(0.1, 0.0, 1, 0.0, 3.0),
        Err(StatsError::TooFewReturns { n: 1, min: 2 })
    );
    assert!(matches!(
        psr(f64::NAN, 0.0, 10, 0.0, 3.0),
        Err(StatsError::NonFinite { .. })
    ));
    // 1 − 5·0.5 + 0·0.25 = −1.5: kurtosis 1 with skew 5 is impossible
    // (γ4 ≥ 1 + γ3²).
    assert!(matches!(
        psr(0.5, 0.0, 10, 5.0, 1.0),
        Err(StatsError::DegenerateMoments { .. })
    ));
}

#[test]
fn psr_of_returns_uses_the_series_moments() {
    let r = [
        0.012, -0.004, 0.007, 0.001, -0.009, 0.015, 0.003, -0.002, 0.006, 0.004,
    ];
    let m = moments(&r).expect("valid");
    let direct = psr(m.sharpe(), 0.02, m.n, m.skewness, m.kurtosis).expect("valid");
    assert_eq!(psr_of_returns(&r, 0.02).expect("valid"), direct);
}

#[test]
fn annualised_sharpe_converts_by_root_periods() {
    // Definition: SR_annual = SR_period · √(periods per year).
    assert!(close(
        per_period_sharpe(0.1 * 252f64.sqrt(), 252.0),
        0.1,
        1e-15
    ));
    assert!(close(
        per_period_sharpe(1.2, 12.0),
        1.2 / 12f64.sqrt(),
        1e-15
    ));
}

#[test]
fn expected_max_sharpe_tracks_the_exact_normal_maximum() {
    // Source: Tippett (1925) tables of the expected largest of N standard
    // normals: E[max] = 1.53875 (N = 10), 2.50759 (N = 100), 3.24144
    // (N = 1000). The DSR approximation (unit variance) is 1.5746, 2.5306,
    // 3.2551 (Python NormalDist): within 3 %, tightening with N.
    let exact = [(10, 1.53875), (100, 2.50759), (1000, 3.24144)];
    let approx = [
        1.574_598_301_345_75,
        2.530_602_893_201_684_6,
        3.255_121_513_652_723,
    ];
    let mut last_err = f64::INFINITY;
    for (&(n, e), &a) in exact.iter().zip(&approx) {
        let got = expected_max_sharpe(1.0, n).expect("valid");
        assert!(close(got, a, 1e-9), "N = {n}: {got}");
        let err = (got - e).abs() / e;
        assert!(err < 0.03 && err < last_err, "N = {n}: {err}");
        last_err = err;
    }
    // √V scaling.
    let v = expected_max_sharpe(0.04, 100).expect("valid");
    assert!(close(v, 0.2 * 2.530_602_893_201_684_6, 1e-9));
}

#[test]
fn expected_max_sharpe_grows_with_trials() {
    let mut last = 0.0;
    for n in [2, 3, 5, 10, 30, 100, 1000, 100_000] {
        let e = expected_max_sharpe(1.0, n).expect("valid");
        assert!(e > last, "N = {n}: {e} after {last}");
        last = e;
    }
}

#[test]
fn dsr_reproduces_the_published_example() {
    // Source: Bailey & López de Prado (2014), "The Deflated Sharpe Ratio",
    // numerical example: N = 100 trials, V[SR_n] = 1/2 (annualised), 5 years
    // of daily data (T = 1250, 250 days a year), SR̂ = 2.5 annualised,
    // γ3 = −3, γ4 = 10. Published: SR0 ≈ 0.1132 per day (≈ 1.7894
    // annualised) and DSR ≈ 0.9004 (significant at 90 %, not 95 %).
    // Full precision (Python NormalDist): SR0 = 0.11317200186513215,
    // DSR = 0.9003968344493903.
    let days = 250.0;
    let sr0_annual = expected_max_sharpe(0.5, 100).expect("valid");
    assert!(close(sr0_annual, 1.7894, 1e-4), "{sr0_annual}");
    let sr0 = expected_max_sharpe(0.5 / days, 100).expect("valid");
    assert!(close(sr0, 0.1132, 5e-5), "{sr0}");
    assert!(close(sr0, 0.113_172_001_865_132_15, 1e-12));
    let sr_hat = per_period_sharpe(2.5, days);
    let d = dsr(sr_hat, 1250, -3.0, 10.0, 0.5 / days, 100).expect("valid");
    assert!(close(d, 0.9004, 5e-5), "{d}");
    assert!(close(d, 0.900_396_834_449_390_3, 1e-9), "{d}");
    // The same record against SR* = 0 (no deflation): 0.9999969 (Python
    // NormalDist) — the deflation is what takes it below 95 %.
    let p0 = psr(sr_hat, 0.0, 1250, -3.0, 10.0).expect("valid");
    assert!(close(p0, 0.999_996_859_507_897_6, 1e-9), "{p0}");
}

#[test]
fn dsr_is_below_psr_against_zero() {
    // SR0 > 0 for N ≥ 2, and PSR falls as the benchmark rises.
    for n_trials in [2, 5, 20, 200] {
        let d = dsr(0.08, 500, -0.5, 5.0, 0.001, n_trials).expect("valid");
        let p = psr(0.08, 0.0, 500, -0.5, 5.0).expect("valid");
        assert!(d < p, "N = {n_trials}: {d} vs {p}");
    }
    assert_eq!(
        dsr(0.08, 500, -0.5, 5.0, 0.001, 1),
        Err(StatsError::TooFewTrials { n: 1 })
    );
    assert!(matches!(
        expected_max_sharpe(-0.1, 10),
        Err(StatsError::InvalidVariance { .. })
    ));
}

#[test]
fn deflated_sharpe_from_series_matches_the_scalar_form() {
    let winner = [
        0.012, -0.004, 0.007, 0.001, -0.009, 0.015, 0.003, -0.002, 0.006, 0.004,
    ];
    let trials = [0.31, 0.12, -0.05, 0.22, 0.08, 0.17];
    let out = deflated_sharpe(&winner, &trials).expect("valid");
    // Sample variance (ddof = 1) of the trial Sharpes, by hand: mean 0.14166…,
    // Σ(x − mean)² = 0.080683…, / 5.
    let mean: f64 = trials.iter().sum::<f64>() / 6.0;
    let var = trials.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / 5.0;
    assert!(close(out.sharpe_variance, var, 1e-15));
    assert_eq!(out.n_trials, 6);
    let m = moments(&winner).expect("valid");
    let scalar = dsr(m.sharpe(), m.n, m.skewness, m.kurtosis, var, 6).expect("valid");
    assert!(close(out.dsr, scalar, 1e-15));
    assert!(close(
        out.sr0,
        expected_max_sharpe(var, 6).expect("valid"),
        1e-15
    ));
    assert_eq!(
        deflated_sharpe(&winner, &[0.3]),
        Err(StatsError::TooFewTrials { n: 1 })
    );
}
