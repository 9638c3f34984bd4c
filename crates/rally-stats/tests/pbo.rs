//! CSCV probability of backtest overfitting: a brute-force re-implementation
//! of the paper's procedure on small inputs, hand-derived logits, and
//! constructed matrices whose PBO is known (≈ 1, 0, ≈ 1/2).

use ndarray::Array2;
use rally_stats::{DEFAULT_BLOCKS, MAX_BLOCKS, StatsError, moments, pbo};

/// xorshift64* — a tiny deterministic generator so the tests need no `rand`.
struct XorShift(u64);

impl XorShift {
    /// Seeds through one splitmix64 step: raw small seeds (1, 2, …) would
    /// make xorshift's first outputs tiny, i.e. not random at all.
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        XorShift((z ^ (z >> 31)) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in (−1, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// Approximately normal (sum of 12 uniforms on (0,1), minus 6: unit
    /// variance); the tails do not matter here.
    fn normalish(&mut self) -> f64 {
        (0..12).map(|_| (self.uniform() + 1.0) / 2.0).sum::<f64>() - 6.0
    }
}

fn noise(rows: usize, cols: usize, seed: u64, scale: f64) -> Array2<f64> {
    let mut rng = XorShift::new(seed);
    Array2::from_shape_fn((rows, cols), |_| scale * rng.normalish())
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// Row ranges of the blocks, by the documented rule (first T mod S blocks
/// one row longer), written out independently of the crate.
fn block_ranges(t: usize, s: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for b in 0..s {
        let len = t / s + if b < t % s { 1 } else { 0 };
        out.push(start..start + len);
        start += len;
    }
    out
}

#[test]
fn matches_a_brute_force_cscv() {
    // Independent re-implementation: for every split, gather the rows,
    // compute each column's Sharpe with `moments` (a different code path
    // from the crate's centred block sums), pick the argmax, rank OOS.
    let (t, n, s) = (43, 5, 6); // 43 = 6·7 + 1: block 0 has 8 rows
    let m = noise(t, n, 7, 0.01) + 0.0005;
    let out = pbo(m.view(), s).expect("valid");
    assert_eq!(out.combinations, binomial(6, 3));
    assert_eq!(out.outcomes.len(), 20);
    let ranges = block_ranges(t, s);
    assert_eq!(ranges[0].len(), 8);
    assert_eq!(ranges[5].len(), 7);
    let sharpe = |rows: &[usize], j: usize| {
        let r: Vec<f64> = rows.iter().map(|&i| m[[i, j]]).collect();
        moments(&r).expect("valid").sharpe()
    };
    let mut overfit = 0;
    for o in &out.outcomes {
        let (mut is_rows, mut oos_rows) = (Vec::new(), Vec::new());
        for (b, range) in ranges.iter().enumerate() {
            let target = if o.in_sample_blocks & (1 << b) != 0 {
                &mut is_rows
            } else {
                &mut oos_rows
            };
            target.extend(range.clone());
        }
        let is: Vec<f64> = (0..n).map(|j| sharpe(&is_rows, j)).collect();
        let oos: Vec<f64> = (0..n).map(|j| sharpe(&oos_rows, j)).collect();
        let best = (0..n).fold(0, |b, j| if is[j] > is[b] { j } else { b });
        assert_eq!(o.winner, best);
        assert!((o.is_sharpe - is[best]).abs() < 1e-12);
        assert!((o.oos_sharpe - oos[best]).abs() < 1e-12);
        let rank = 1 + oos.iter().filter(|&&x| x < oos[best]).count();
        let omega = rank as f64 / (n as f64 + 1.0);
        assert!((o.relative_rank - omega).abs() < 1e-15);
        assert!((o.logit - (omega / (1.0 - omega)).ln()).abs() < 1e-12);
        if o.logit <= 0.0 {
            overfit += 1;
        }
    }
    assert!((out.pbo - overfit as f64 / 20.0).abs() < 1e-15);
}

#[test]
fn sixteen_blocks_give_12870_splits_each_used_once() {
    let m = noise(320, 3, 11, 0.01);
    let out = pbo(m.view(), DEFAULT_BLOCKS).expect("valid");
    // C(16, 8) = 12,870 (paper §3).
    assert_eq!(out.combinations, 12_870);
    let mut masks: Vec<u32> = out.outcomes.iter().map(|o| o.in_sample_blocks).collect();
    assert!(masks.iter().all(|m| m.count_ones() == 8 && *m < 1 << 16));
    masks.dedup();
    assert_eq!(masks.len(), 12_870, "sorted and distinct");
}

#[test]
fn winner_that_reverses_is_always_overfit() {
    // A column centred on zero over the whole sample and its mirror −A: on
    // any split, OOS sum = −(IS sum), so whichever wins in sample (positive
    // IS mean) has a negative OOS mean and the other a positive one. With
    // N = 2 the winner ranks 1 of 2: ω = 1/3, λ = ln(1/2) = −0.6931 (hand).
    let t = 480;
    let mut rng = XorShift::new(3);
    // Mean reversal between alternating blocks (+ on even, − on odd) plus
    // noise, then centred.
    let mut a: Vec<f64> = (0..t)
        .map(|i| {
            let sign = if (i / 30) % 2 == 0 { 1.0 } else { -1.0 };
            0.002 * sign + 0.01 * rng.normalish()
        })
        .collect();
    let mean = a.iter().sum::<f64>() / t as f64;
    a.iter_mut().for_each(|x| *x -= mean);
    let m = Array2::from_shape_fn((t, 2), |(i, j)| if j == 0 { a[i] } else { -a[i] });
    let out = pbo(m.view(), DEFAULT_BLOCKS).expect("valid");
    assert_eq!(out.pbo, 1.0);
    assert_eq!(out.prob_oos_loss, 1.0);
    for o in &out.outcomes {
        assert!((o.relative_rank - 1.0 / 3.0).abs() < 1e-15);
        assert!((o.logit - 0.5f64.ln()).abs() < 1e-12);
    }
    assert!(out.degradation_slope.is_some_and(|s| s < 0.0));
}

#[test]
fn block_reversal_across_many_configurations_is_mostly_overfit() {
    // Ten configurations, each with its own ± drift pattern over the 16
    // blocks, centred to zero mean over the whole sample (what works in
    // some blocks costs in the others): the in-sample winner is the one
    // whose pattern fits the IS blocks, hence the worst fit to the rest.
    let (t, n, s) = (1600, 10, 16);
    let mut rng = XorShift::new(99);
    let patterns: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            (0..s)
                .map(|_| if rng.uniform() > 0.0 { 1.0 } else { -1.0 })
                .collect()
        })
        .collect();
    let mut m = Array2::from_shape_fn((t, n), |(i, j)| {
        0.003 * patterns[j][i / (t / s)] + 0.01 * rng.normalish()
    });
    for mut col in m.columns_mut() {
        let mean = col.sum() / t as f64;
        col.mapv_inplace(|x| x - mean);
    }
    let out = pbo(m.view(), s).expect("valid");
    assert!(out.pbo > 0.9, "PBO {}", out.pbo);
    assert!(out.mean_logit < 0.0);
    assert!(out.degradation_slope.is_some_and(|s| s < 0.0));
}

#[test]
fn dominant_configuration_is_never_overfit() {
    // Column 3 earns 0.3 std per period more than nine pure-noise rivals:
    // it wins every in-sample half and tops every out-of-sample half.
    let (t, n) = (1600, 10);
    let mut m = noise(t, n, 5, 0.01);
    m.column_mut(3).mapv_inplace(|x| x + 0.003);
    let out = pbo(m.view(), DEFAULT_BLOCKS).expect("valid");
    assert_eq!(out.pbo, 0.0);
    assert!(out.outcomes.iter().all(|o| o.winner == 3));
    // Top of N = 10: ω = 10/11, λ = ln 10 (hand).
    assert!(
        out.outcomes
            .iter()
            .all(|o| (o.logit - 10f64.ln()).abs() < 1e-12)
    );
    assert_eq!(out.prob_oos_loss, 0.0);
}

#[test]
fn iid_noise_is_a_coin_flip() {
    // No configuration has skill: the winner's OOS rank is uniform on
    // 1..=N, and with N = 10 (even) λ ≤ 0 ⇔ rank ≤ 5, probability 1/2.
    // One matrix's 12,870 splits are strongly dependent (single seeds give
    // anything from 0.2 to 0.9), so average over 32 fixed seeds; the mean
    // must sit near 1/2.
    let seeds: Vec<u64> = (1..=32).collect();
    let mut total = 0.0;
    for &seed in &seeds {
        let m = noise(800, 10, seed, 0.01);
        let p = pbo(m.view(), DEFAULT_BLOCKS).expect("valid").pbo;
        assert!((0.0..=1.0).contains(&p));
        total += p;
    }
    let mean = total / seeds.len() as f64;
    assert!((mean - 0.5).abs() < 0.1, "mean PBO {mean}");
}

#[test]
fn identical_configurations_tie_at_the_median() {
    // All columns equal: IS ties go to column 0, its OOS Sharpe ties with
    // every column, mid-rank (N + 1)/2 → ω = 1/2, λ = 0 → counted as
    // overfit (λ ≤ 0): nothing was learned by selecting.
    let col = noise(64, 1, 9, 0.01);
    let m = Array2::from_shape_fn((64, 4), |(i, _)| col[[i, 0]]);
    let out = pbo(m.view(), 4).expect("valid");
    assert!(out.outcomes.iter().all(|o| o.winner == 0 && o.logit == 0.0));
    assert_eq!(out.pbo, 1.0);
}

#[test]
fn flat_configuration_scores_zero_sharpe() {
    // A configuration that never trades (all-zero returns) must not produce
    // NaN; it scores Sharpe 0 and the dominant column still wins.
    let mut m = noise(200, 3, 13, 0.01);
    m.column_mut(1).fill(0.0);
    m.column_mut(2).mapv_inplace(|x| x + 0.004);
    let out = pbo(m.view(), 4).expect("valid");
    assert!(
        out.outcomes
            .iter()
            .all(|o| o.logit.is_finite() && o.winner == 2)
    );
}

#[test]
fn is_deterministic() {
    let m = noise(333, 7, 21, 0.01);
    let a = pbo(m.view(), 8).expect("valid");
    let b = pbo(m.view(), 8).expect("valid");
    assert_eq!(a, b);
}

#[test]
fn rejects_bad_input() {
    let m = noise(100, 3, 1, 0.01);
    for s in [0, 3, 15, MAX_BLOCKS + 2] {
        assert_eq!(
            pbo(m.view(), s),
            Err(StatsError::InvalidBlockCount {
                blocks: s,
                max: MAX_BLOCKS
            })
        );
    }
    assert_eq!(
        pbo(noise(31, 3, 1, 0.01).view(), 16),
        Err(StatsError::TooFewRows {
            rows: 31,
            blocks: 16
        })
    );
    assert_eq!(
        pbo(noise(100, 1, 1, 0.01).view(), 4),
        Err(StatsError::TooFewConfigurations { n: 1 })
    );
    let mut bad = m.clone();
    bad[[10, 2]] = f64::INFINITY;
    assert!(matches!(
        pbo(bad.view(), 4),
        Err(StatsError::NonFinite { index: 32, .. })
    ));
}

#[test]
fn full_size_run_is_fast() {
    // The size: T ≈ 8,000 days, N = 30 configurations, S = 16.
    let m = noise(8000, 30, 17, 0.01);
    let start = std::time::Instant::now();
    let out = pbo(m.view(), DEFAULT_BLOCKS).expect("valid");
    let elapsed = start.elapsed();
    assert_eq!(out.combinations, 12_870);
    // Generous: a few ms optimised; unoptimised test builds are ~20x slower.
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}
