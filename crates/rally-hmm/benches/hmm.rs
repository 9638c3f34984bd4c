//! Throughput of the EM fit (1,260 rows, ~5 years of bars) and of the forward
//! filter (6,700 rows), on a deterministic synthetic regime-switching walk.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// LCG-driven 3-regime random walk of OHLC-like bars -> observations.
fn synthetic_obs(n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut s = seed;
    let mut u = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (mut high, mut low, mut close) = (Vec::new(), Vec::new(), Vec::new());
    let mut c = 100.0f64;
    let mut state = 0usize;
    for _ in 0..n {
        if u() < 0.02 {
            state = (state + 1 + (u() * 2.0) as usize) % 3;
        }
        let vol = [0.006, 0.012, 0.03][state];
        let g = (-2.0 * u().ln()).sqrt() * (2.0 * std::f64::consts::PI * u()).cos();
        let prev = c;
        c *= (vol * g).exp();
        let hi = prev.max(c) * (1.0 + vol * u());
        let lo = prev.min(c) * (1.0 - vol * u());
        high.push(hi);
        low.push(lo);
        close.push(c);
    }
    rally_hmm::observations(&high, &low, &close)
}

fn bench(c: &mut Criterion) {
    let obs = synthetic_obs(1261, 42);
    let win = &obs[1..];
    let p = rally_hmm::fit(win).expect("synthetic fit");
    eprintln!(
        "fit: {} rows, n_iter {} -> divide the fit time by {} row-iterations",
        win.len(),
        p.n_iter,
        win.len() * p.n_iter
    );
    c.bench_function("fit_1260", |b| b.iter(|| rally_hmm::fit(black_box(win))));

    let long = synthetic_obs(6700, 7);
    c.bench_function("filter_6700", |b| {
        b.iter(|| rally_hmm::filter(black_box(&p), black_box(&long)))
    });
    c.bench_function("filter_features_6700", |b| {
        b.iter(|| rally_hmm::features(&rally_hmm::filter(black_box(&p), black_box(&long))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
